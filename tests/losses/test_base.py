"""The machinery every losslab loss class shares: constructors derived from ``PARAMS``,
validation in one place, and the lazy class table of ``losslab.losses``."""

from __future__ import annotations

import importlib
import inspect
import json
import pydoc
import re
import subprocess
import sys

import pytest

import losslab
import losslab.losses
from losslab.catalog import list_losses
from losslab.errors import InvalidParameterError
from losslab.losses import LosslabLoss


def _losslab_classes() -> list[type]:
    out = []
    for spec in list_losses():
        cls = spec.keras_class()
        if isinstance(cls, type) and issubclass(cls, LosslabLoss) and cls not in out:
            out.append(cls)
    return out


CLASSES = _losslab_classes()


@pytest.mark.parametrize("cls", CLASSES, ids=[c.__name__ for c in CLASSES])
def test_constructor_signature_lists_every_hyperparameter_with_its_default(cls):
    sig = inspect.signature(cls)
    names = [n for n in sig.parameters if n not in ("reduction", "name", "dtype")]
    assert sorted(names) == sorted(p.name for p in cls.PARAMS)
    for p in cls.PARAMS:
        assert sig.parameters[p.name].default == p.default or p.default is None
    assert sig.parameters["reduction"].default == "sum_over_batch_size"
    assert sig.parameters["name"].default is None
    # help() shows the same signature
    text = pydoc.render_doc(cls, renderer=pydoc.plaintext)
    assert all(re.search(rf"\b{p.name}(: [^=]+)? ?= ?", text) for p in cls.PARAMS), text


def test_no_losslab_class_keeps_a_hand_written_constructor():
    # every constructor is derived from PARAMS; a class that needs more uses check_params
    # (cross-parameter checks) or POSITIONAL (hyperparameters also taken by position)
    hand_written = [c.__name__ for c in CLASSES if "__signature__" not in vars(c.__init__)]
    assert hand_written == []


def test_unknown_keyword_is_rejected_with_the_valid_ones():
    from losslab.losses.regression import CauchyLoss

    with pytest.raises(
        InvalidParameterError,
        match=r"CauchyLoss got unknown keyword argument\(s\) 'scal'. Valid arguments: scale.",
    ):
        CauchyLoss(scal=1.0)
    with pytest.raises(InvalidParameterError, match=r"scale must be > 0. Received: scale=-1."):
        CauchyLoss(scale=-1)
    with pytest.raises(TypeError, match=r"takes 0 positional argument\(s\)"):
        CauchyLoss(2.0)


def test_positional_hyperparameter_and_cross_parameter_check():
    from losslab.losses.ordinal import WeightedKappaLoss
    from losslab.losses.regression import PinballLoss

    # tfa.losses.WeightedKappaLoss(num_classes, weightage=...) keeps working
    loss = WeightedKappaLoss(5, weightage="linear")
    assert loss.params["num_classes"] == 5 and loss.params["weightage"] == "linear"
    assert str(inspect.signature(WeightedKappaLoss)).startswith("(num_classes=None, *, weightage:")
    with pytest.raises(TypeError, match="multiple values for argument 'num_classes'"):
        WeightedKappaLoss(5, num_classes=4)
    with pytest.raises(
        InvalidParameterError, match=r"tau must list the quantile levels in increasing order"
    ):
        PinballLoss(tau=[0.9, 0.1])


def test_config_round_trip_through_the_derived_constructor():
    import keras

    from losslab.losses.segmentation import JaccardLoss

    loss = JaccardLoss(mode="multiclass", smooth=0.5, reduction="sum", name="j")
    config = json.loads(json.dumps(keras.saving.serialize_keras_object(loss)))
    again = keras.saving.deserialize_keras_object(config)
    assert type(again) is JaccardLoss and again.params == loss.params
    assert again.reduction == "sum" and again.name == "j"


def test_class_table_is_derived_from_the_family_modules():
    table = losslab.losses.class_table()
    # every losslab class of the catalog is reachable by name, from its own family module
    for cls in CLASSES:
        assert table[cls.__name__] == cls.__module__.rsplit("._", 1)[0], cls.__name__
        assert getattr(losslab.losses, cls.__name__) is cls
    assert set(table) <= set(dir(losslab.losses))
    # and every name of the table is a Keras loss class of that module
    import keras

    for name, module in table.items():
        assert issubclass(getattr(importlib.import_module(module), name), keras.losses.Loss), name


def test_import_losslab_losses_imports_no_family_module():
    code = (
        "import sys, losslab.losses as L\n"
        "fams = ['regression', 'classification', 'metric_learning', 'segmentation', 'ordinal', "
        "'probabilistic', 'boxes', 'keras_builtins']\n"
        "print([f for f in fams if 'losslab.losses.' + f in sys.modules])\n"
        "print('PinballLoss' in dir(L))\n"
        "L.PinballLoss\n"
        "print('losslab.losses.regression' in sys.modules)\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=300
    ).stdout.split()
    assert out == ["[]", "True", "True"]
