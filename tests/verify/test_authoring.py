"""@losslab.loss: a per-sample function becomes a registered, serializable Keras loss and a
catalog entry. Expected values come from the formula in NumPy."""

from __future__ import annotations

import json

import keras
import numpy as np
import pytest

import losslab
from losslab.catalog import unregister
from losslab.errors import InvalidParameterError
from tests.verify.corpus import good_losses

pytestmark = pytest.mark.backends


def _mae(y_true: np.ndarray, y_pred: np.ndarray, scale: float) -> np.ndarray:
    # the formula of corpus_scaled_mae: scale * mean_d |y_pred - y_true|
    return scale * np.mean(np.abs(np.asarray(y_pred, np.float64) - y_true), axis=-1)


def test_decorator_makes_a_registered_keras_loss_and_catalog_entry() -> None:
    cls = good_losses.scaled_mae
    assert issubclass(cls, keras.losses.Loss)
    assert keras.saving.get_registered_name(cls) == "losslab>CorpusScaledMae"
    spec = losslab.get_spec("corpus_scaled_mae")
    assert spec is cls.spec and spec.keras_class() is cls
    assert [p.name for p in spec.params] == ["scale"] and spec.defaults == {"scale": 1.0}
    assert spec.inputs == "regression" and spec.head.value == "identity" and "custom" in spec.tags

    rng = np.random.default_rng(0)
    y_true = rng.normal(size=(6, 3)).astype("float32")
    y_pred = rng.normal(size=(6, 3)).astype("float32")
    loss = losslab.get("corpus_scaled_mae", scale=2.5, reduction="none")
    np.testing.assert_allclose(keras.ops.convert_to_numpy(loss(y_true, y_pred)), _mae(y_true, y_pred, 2.5), rtol=1e-5)
    # the catalog's reference of an authored loss without an oracle is the Keras function in NumPy
    np.testing.assert_allclose(spec.reference_values(y_true, y_pred, scale=2.5), _mae(y_true, y_pred, 2.5), rtol=1e-5)
    assert spec.extra["independent_reference"] is False


def test_config_json_round_trip_keeps_parameters() -> None:
    loss = good_losses.scaled_mae(scale=3.0)
    config = json.loads(json.dumps(keras.saving.serialize_keras_object(loss)))
    again = keras.saving.deserialize_keras_object(config)
    assert type(again) is good_losses.scaled_mae and again.params == {"scale": 3.0}
    assert repr(again) == "CorpusScaledMae(scale=3.0)"


def test_authored_loss_defined_in_a_function_resolves_and_aligns_ranks() -> None:
    from keras import ops

    @losslab.loss(name="tmp_abs_error", family="regression", params={"power": 1.0}, replace=True)
    def tmp_abs_error(y_true, y_pred, *, power=1.0):
        return ops.mean(ops.abs(y_pred - y_true) ** power, axis=-1)

    try:
        loss = losslab.get("tmp_abs_error", reduction="none")
        y = np.arange(4, dtype="float32")  # (N,) against (N, 1): no (N, N) broadcast
        values = keras.ops.convert_to_numpy(loss(y, (y + 1.0)[:, None]))
        np.testing.assert_allclose(values, np.ones(4))
        with pytest.raises(InvalidParameterError, match=r"unknown keyword argument\(s\) 'powr'"):
            losslab.get("tmp_abs_error", powr=2)
    finally:
        unregister("tmp_abs_error")


@pytest.mark.parametrize(
    ("kwargs", "fn_src", "match"),
    [
        ({"name": "Bad Name"}, "def f(y_true, y_pred): return y_pred", "snake_case"),
        ({"name": "ok_name", "family": "nonsense"}, "def f(y_true, y_pred): return y_pred", "Unknown family"),
        ({"name": "ok_name", "head": "nonsense"}, "def f(y_true, y_pred): return y_pred", "Unknown head"),
        ({"name": "ok_name", "inputs": "nonsense"}, "def f(y_true, y_pred): return y_pred", "Unknown input generator"),
        ({"name": "ok_name"}, "def f(y_pred): return y_pred", "needs a function fn\\(y_true, y_pred"),
        ({"name": "ok_name", "params": {"alpha": 1.0}}, "def f(y_true, y_pred): return y_pred", "does not accept parameter"),
    ],
)
def test_bad_declarations_are_rejected_with_a_fix(kwargs: dict, fn_src: str, match: str) -> None:
    namespace: dict = {}
    exec(fn_src, namespace)
    with pytest.raises(InvalidParameterError, match=match):
        losslab.loss(**kwargs)(namespace["f"])


def test_name_taken_by_another_loss_is_an_error() -> None:
    with pytest.raises(ValueError, match="already taken"):
        losslab.loss(name="mse")(lambda y_true, y_pred: y_pred)
