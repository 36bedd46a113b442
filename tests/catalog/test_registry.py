"""The registry's lookup, loss-string parsing and error messages (no Keras needed)."""

from __future__ import annotations

import pytest

import losslab
from losslab.catalog import parse_loss_string, split_loss_list
from losslab.errors import InvalidParameterError, UnknownLossError


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("mse", ["mse"]),
        (" mse , mae ", ["mse", "mae"]),
        ("mse,huber:delta=2,mae", ["mse", "huber:delta=2", "mae"]),
        ("pinball:tau=[0.1,0.5,0.9],mae", ["pinball:tau=[0.1,0.5,0.9]", "mae"]),
        ("pinball:tau=[0.1,0.9],crossing_penalty=1,mse", ["pinball:tau=[0.1,0.9],crossing_penalty=1", "mse"]),
        ("mse,,mae,", ["mse", "mae"]),
    ],
)
def test_split_loss_list(text: str, expected: list[str]) -> None:
    assert split_loss_list(text) == expected


def test_parse_loss_string_fills_defaults_and_parses_values() -> None:
    spec, params = parse_loss_string("huber:delta=2")
    assert spec.name == "huber" and params == {"delta": 2}
    spec, params = parse_loss_string("pinball:tau=[0.1,0.9];crossing_penalty=0.5")
    assert params["tau"] == [0.1, 0.9] and params["crossing_penalty"] == 0.5
    spec, params = parse_loss_string("bce:from_logits=true")
    assert params["from_logits"] is True


def test_names_are_case_and_separator_insensitive() -> None:
    assert losslab.get_spec("MeanSquaredError") is losslab.get_spec("mean-squared-error")
    assert losslab.get_spec("MSE").name == "mean_squared_error"


def test_unknown_name_suggests_and_points_to_the_listing() -> None:
    with pytest.raises(UnknownLossError, match=r"Unknown loss 'hubr'\. Did you mean: huber\?.*losslab losses"):
        losslab.get_spec("hubr")


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("huber:delta=-1", r"delta must be > 0\. Received: delta=-1\."),
        ("huber:dleta=1", r"unknown keyword argument\(s\) 'dleta'\. Valid arguments: delta\."),
        ("huber:delta", r"not of the form name=value"),
    ],
)
def test_bad_parameters_say_what_and_how(text: str, message: str) -> None:
    with pytest.raises(InvalidParameterError, match=message):
        parse_loss_string(text)


def test_every_losslab_loss_class_is_reachable_from_the_package() -> None:
    """Each catalog entry served by a losslab class is importable as ``losslab.losses.<Class>``."""
    import losslab.losses as pkg

    for spec in losslab.list_losses():
        module, _, attr = spec.keras.partition(":")
        if module.startswith("losslab.losses.") and not spec.extra.get("custom"):
            assert getattr(pkg, attr) is spec.keras_class(), spec.name
