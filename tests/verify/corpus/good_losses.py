"""Correct custom losses: `losslab check` must pass them with no false alarm."""

from __future__ import annotations

from typing import Any

import keras
from keras import ops

import losslab
from losslab.losses._base import compute_dtype


@losslab.loss(name="corpus_scaled_mae", family="regression", minimum_at_truth=True, replace=True)
def scaled_mae(y_true: Any, y_pred: Any, *, scale: float = 1.0) -> Any:
    """scale * mean |y_pred - y_true| over the last axis."""
    dtype = compute_dtype(y_pred)
    y_true, y_pred = ops.cast(y_true, dtype), ops.cast(y_pred, dtype)
    return scale * ops.mean(ops.abs(y_pred - y_true), axis=-1)


@keras.saving.register_keras_serializable(package="corpus")
def registered_mse(y_true: Any, y_pred: Any) -> Any:
    """A plain function registered for saving."""
    return ops.mean(ops.square(y_pred - y_true), axis=-1)


@keras.saving.register_keras_serializable(package="corpus")
class GoodFocal(keras.losses.Loss):
    """Binary focal cross-entropy on probabilities, written correctly as a Loss subclass."""

    def __init__(self, gamma: float = 2.0, reduction: str = "sum_over_batch_size", name: str = "good_focal", dtype: Any = None) -> None:
        super().__init__(reduction=reduction, name=name, dtype=dtype)
        self.gamma = gamma

    def call(self, y_true: Any, y_pred: Any) -> Any:
        from losslab.losses._base import align_ranks

        y_true, y_pred = align_ranks(y_true, y_pred)
        eps = keras.backend.epsilon()
        p = ops.clip(y_pred, eps, 1.0 - eps)
        pt = ops.where(y_true > 0.5, p, 1.0 - p)
        return ops.mean(-ops.power(1.0 - pt, self.gamma) * ops.log(pt), axis=-1)

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "gamma": self.gamma}
