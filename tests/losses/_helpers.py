"""Helpers shared by the loss-family tests: tensors to NumPy, one loss value, ``model.fit``."""

from __future__ import annotations

from typing import Any

import numpy as np

import losslab


def to_numpy(x: Any, dtype: Any = None) -> np.ndarray:
    """A backend tensor (or array) as a NumPy array, cast to ``dtype`` when one is given."""
    from keras import ops

    return np.asarray(ops.convert_to_numpy(x), dtype=dtype)


def loss_value(
    loss: Any,
    y_true: Any,
    y_pred: Any,
    sample_weight: Any = None,
    *,
    y_true_dtype: Any = None,
) -> np.ndarray:
    """``loss(y_true, y_pred, sample_weight)`` in float64, with ``y_pred`` passed as float32
    and ``y_true`` as given (or cast to ``y_true_dtype``)."""
    out = loss(
        np.asarray(y_true, y_true_dtype), np.asarray(y_pred, "float32"), sample_weight=sample_weight
    )
    return to_numpy(out, np.float64)


def fit_together(x: np.ndarray, cases: list[tuple]) -> tuple[Any, dict[str, list[float]]]:
    """One model, one output head per loss (a single compile for all of them), 2 epochs;
    returns the model and its per-output loss histories.

    Each case is ``(loss name, params, y, units, activation)``; every loss history must be
    finite.
    """
    import keras

    inp = keras.Input((x.shape[1],))
    outs = [
        keras.layers.Dense(units, activation=act, name=name)(inp)
        for name, _, _, units, act in cases
    ]
    model = keras.Model(inp, outs)
    losses = [losslab.get(name, **params) for name, params, _, _, _ in cases]
    model.compile(optimizer=keras.optimizers.SGD(0.02), loss=losses)
    hist = model.fit(x, [y for _, _, y, _, _ in cases], epochs=2, batch_size=16, verbose=0).history
    for name, *_ in cases:
        assert np.all(np.isfinite(hist[f"{name}_loss"])), (name, hist[f"{name}_loss"])
    assert np.all(np.isfinite(hist["loss"]))
    return model, hist


def loss_value_f32(loss: Any, y_true: Any, y_pred: Any, sample_weight: Any = None) -> np.ndarray:
    """:func:`loss_value` with ``y_true`` passed as float32 too (regression-type targets)."""
    return loss_value(loss, y_true, y_pred, sample_weight, y_true_dtype="float32")
