"""Custom losses as people write them in the wild, each exercising one question about
`losslab check` on real-world code: a correct function nobody registered for saving, NaN
at the truth, sqrt(0) gradients, per-sample wrong directions, swapped arguments, a
correlation loss, mixed precision, user code that prints / exits / hangs, a critic.
"""

from __future__ import annotations

import sys
import threading
from typing import Any

import keras
from keras import ops

_register = keras.saving.register_keras_serializable(package="realworld")

#: set by the tests to let `never_returns_until_released` return (no thread left behind)
RELEASE = threading.Event()


def unregistered_mse(y_true: Any, y_pred: Any) -> Any:
    """A correct MSE that nobody registered for Keras serialization."""
    return ops.mean(ops.square(y_pred - y_true), axis=-1)


@_register
def l1_as_ratio(y_true: Any, y_pred: Any) -> Any:
    """|e| written as e^2 / |e|: 0 / 0 = NaN exactly at the truth."""
    err = y_pred - y_true
    return ops.mean(ops.square(err) / ops.abs(err), axis=-1)


@_register
def rmsle(y_true: Any, y_pred: Any) -> Any:
    """Root mean squared log error per sample: sqrt(0) has an infinite gradient when the
    prediction equals the target."""
    return ops.sqrt(ops.mean(ops.square(ops.log(1.0 + y_pred) - ops.log(1.0 + y_true)), axis=-1))


@_register
def target_weighted_mse(y_true: Any, y_pred: Any) -> Any:
    """Weights errors by (1 + y): negative weights for targets below -1, whose samples are
    pushed away from the truth (the batch as a whole still descends)."""
    return (1.0 + y_true[..., 0]) * ops.mean(ops.square(y_pred - y_true), axis=-1)


@_register
def swapped_poisson(y_pred: Any, y_true: Any) -> Any:
    """Keras's Poisson with the arguments swapped: Keras passes y_true first."""
    return ops.mean(y_pred - y_true * ops.log(y_pred + 1e-7), axis=-1)


@_register
def swapped_bce(y_pred: Any, y_true: Any) -> Any:
    """Clipped binary cross-entropy with the arguments swapped."""
    eps = keras.backend.epsilon()
    p = ops.clip(y_pred, eps, 1.0 - eps)
    return -ops.mean(y_true * ops.log(p) + (1.0 - y_true) * ops.log(1.0 - p), axis=-1)


@_register
def correlation_loss(y_true: Any, y_pred: Any) -> Any:
    """1 - Pearson correlation per sample: blind to the offset and scale of the prediction."""
    t = y_true - ops.mean(y_true, axis=-1, keepdims=True)
    p = y_pred - ops.mean(y_pred, axis=-1, keepdims=True)
    cov = ops.sum(t * p, axis=-1)
    return 1.0 - cov / (ops.sqrt(ops.sum(t * t, axis=-1) * ops.sum(p * p, axis=-1)) + 1e-7)


@_register
def policy_dtype_mse(y_true: Any, y_pred: Any) -> Any:
    """Casts to the global dtype policy's compute dtype "like the layers do": float16 under
    mixed_float16, where (300 * error)^2 overflows (float16 max 65504); fine in float32."""
    dtype = keras.config.dtype_policy().compute_dtype
    y_true, y_pred = ops.cast(y_true, dtype), ops.cast(y_pred, dtype)
    return ops.mean(ops.square(300.0 * (y_pred - y_true)), axis=-1)


@_register
def chatty_mse(y_true: Any, y_pred: Any) -> Any:
    """Prints while computing (debugging left in)."""
    print("computing the loss on a batch")
    print("debug: still here", file=sys.stderr)
    return ops.mean(ops.square(y_pred - y_true), axis=-1)


@_register
def exits(y_true: Any, y_pred: Any) -> Any:
    """Calls sys.exit(0) (a script's leftover)."""
    sys.exit(0)


@_register
def never_returns_until_released(y_true: Any, y_pred: Any) -> Any:
    """Waits (for the tests: until RELEASE is set)."""
    while not RELEASE.wait(0.05):
        pass
    return ops.mean(ops.square(y_pred - y_true), axis=-1)


@_register
def never_returns(y_true: Any, y_pred: Any) -> Any:
    """Never returns."""
    while True:
        threading.Event().wait(0.05)


@_register
def wasserstein_critic(y_true: Any, y_pred: Any) -> Any:
    """A WGAN critic loss: labels are +/-1 signs, not prediction targets."""
    return ops.mean(y_true * y_pred, axis=-1)


# name: (the check that must fail, check() keyword arguments, a phrase of its evidence)
EXPECTED: dict[str, tuple[str, dict[str, Any], str]] = {
    "l1_as_ratio": ("minimum", {"minimum_at_truth": True}, "non-finite loss"),
    "rmsle": ("edges", {"family": "count"}, "predictions equal to the targets: non-finite gradient"),
    "target_weighted_mse": ("gradients", {}, "away from the truth for 2 of 8 samples"),
    "swapped_poisson": ("argument_order", {"family": "count"}, "reads its arguments in the wrong order"),
    "swapped_bce": ("argument_order", {"family": "binary"}, "reads its arguments in the wrong order"),
    "correlation_loss": ("minimum", {"minimum_at_truth": True}, "is not worse than the truth"),
    "policy_dtype_mse": ("half_precision", {}, "under mixed_float16"),
}

# consequences of the same root cause that may fail too
ALSO_FAILS: dict[str, set[str]] = {
    "l1_as_ratio": {"edges"},  # NaN at the truth is also a non-finite edge value
    "correlation_loss": {"edges"},  # all-zero rows: sqrt(0) in the normalisation
}
