"""Deliberately broken custom losses: each one must fail `losslab check` for one reason.

``EXPECTED`` maps each entry to (the check that must fail, check() keyword arguments, a
phrase the failure's evidence must contain).
"""

from __future__ import annotations

from typing import Any

import keras
from keras import ops

_register = keras.saving.register_keras_serializable(package="corpus")


@_register
def batch_mean_inside(y_true: Any, y_pred: Any) -> Any:
    """Reduces over the whole batch itself: Keras gets one scalar, not one value per sample."""
    return ops.mean(ops.square(y_pred - y_true))


@_register
def batch_normalised(y_true: Any, y_pred: Any) -> Any:
    """Divides each sample's error by the batch mean error: samples leak into each other."""
    err = ops.mean(ops.square(y_pred - y_true), axis=-1)
    return err / (ops.mean(err) + 1e-7)


@_register
class BroadcastLoss(keras.losses.Loss):
    """A custom Loss subclass that does not align ranks: (N,) vs (N, 1) becomes (N, N)."""

    def call(self, y_true: Any, y_pred: Any) -> Any:
        return ops.mean(ops.square(y_true - y_pred), axis=-1)


@_register
def python_if(y_true: Any, y_pred: Any) -> Any:
    """A Python `if` on a tensor value: fine eagerly, breaks under jax.jit."""
    err = ops.square(y_pred - y_true)
    if ops.max(err) > 100.0:
        err = ops.sqrt(err)
    return ops.mean(err, axis=-1)


@keras.saving.register_keras_serializable(package="corpus")
class ForgotConfig(keras.losses.Loss):
    """Stores gamma but never returns it from get_config: reloads with the default."""

    def __init__(self, gamma: float = 2.0, reduction: str = "sum_over_batch_size", name: str = "forgot_config", dtype: Any = None) -> None:
        super().__init__(reduction=reduction, name=name, dtype=dtype)
        self.gamma = gamma

    def call(self, y_true: Any, y_pred: Any) -> Any:
        from losslab.losses._base import align_ranks

        y_true, y_pred = align_ranks(y_true, y_pred)
        return self.gamma * ops.mean(ops.abs(y_pred - y_true), axis=-1)


@_register
def nan_at_edges(y_true: Any, y_pred: Any) -> Any:
    """Binary cross-entropy without clipping: log(0) at probabilities 0 and 1."""
    return -ops.mean(y_true * ops.log(y_pred) + (1.0 - y_true) * ops.log(1.0 - y_pred), axis=-1)


@_register
def wrong_sign(y_true: Any, y_pred: Any) -> Any:
    """Negated squared error: gradient descent moves away from the truth."""
    return -ops.mean(ops.square(y_pred - y_true), axis=-1)


@_register
def cut_gradient(y_true: Any, y_pred: Any) -> Any:
    """Rounds the prediction: the gradient is zero everywhere."""
    return ops.mean(ops.square(ops.round(y_pred) - y_true), axis=-1)


@_register
def shifted_minimum(y_true: Any, y_pred: Any) -> Any:
    """Minimal at y_pred = y_true + 0.5, not at the truth."""
    return ops.mean(ops.square(y_pred - y_true - 0.5), axis=-1)


@_register
def half_overflow(y_true: Any, y_pred: Any) -> Any:
    """exp(20 y) overflows float16 (max 65504) although float32 is fine. Keras's fit casts
    y_pred and y_true to the loss's dtype (float32) even under mixed precision, so this is a
    warning about float16 tensors passed to the function directly, not a failure."""
    return ops.mean(ops.exp(20.0 * y_true) * ops.square(y_pred - y_true), axis=-1) / 1e8


# consequences of the same root cause that may fail too
ALSO_FAILS: dict[str, set[str]] = {
    "batch_mean_inside": {"reductions"},
    "batch_normalised": {"reductions", "gradients"},
}

EXPECTED: dict[str, tuple[str, dict[str, Any], str]] = {
    "batch_mean_inside": ("per_sample", {}, "reduces over the batch"),
    "batch_normalised": ("per_sample", {}, "depends on the other samples"),
    "BroadcastLoss": ("rank_broadcast", {}, "(8, 1)"),
    "python_if": ("jit", {}, "jit"),
    "ForgotConfig": ("save_load", {"params": {"gamma": 3.0}}, "gamma"),
    "nan_at_edges": ("edges", {"family": "binary"}, "probabilities"),
    "wrong_sign": ("gradients", {}, "away from the truth"),
    "cut_gradient": ("gradients", {}, "exactly zero"),
    "shifted_minimum": ("minimum", {"minimum_at_truth": True}, "lower loss than the perfect"),
}

# losses whose only remark is a warning (not a defect of the loss: check passes, exit 0)
WARNED: dict[str, tuple[str, dict[str, Any], str]] = {
    "half_overflow": ("half_precision", {"family": "binary"}, "float16 tensors passed straight to call()"),
}


@_register
def backend_dependent(y_true: Any, y_pred: Any) -> Any:
    """Gives other values on jax than elsewhere: caught only by the cross-backend check."""
    scale = 1.0 if keras.backend.backend() == "jax" else 1.5
    return scale * ops.mean(ops.square(y_pred - y_true), axis=-1)
