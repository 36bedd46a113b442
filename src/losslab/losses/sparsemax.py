"""Sparsemax activation and the sparsemax loss (Martins & Astudillo 2016).

Sparsemax is the Euclidean projection of the logits onto the probability simplex: like
softmax it gives class probabilities, unlike softmax many of them are exactly 0. The
sparsemax loss is its natural training loss (its gradient is ``sparsemax(z) - q``), as
TensorFlow Addons' ``SparsemaxLoss`` (which required ``from_logits=True``): y_pred are
always logits here.

Non-finite logits are not supported (TensorFlow Addons special-cased ``-inf``); the
logits are shifted by their row maximum, which leaves both functions unchanged.
"""

from __future__ import annotations

from typing import Any

import keras
from keras import ops

from losslab.losses._base import LosslabLoss, compute_dtype, register_loss_class
from losslab.reference.sparsemax import SPARSEMAX_PARAMS

__all__ = ["SparsemaxLoss", "sparsemax", "sparsemax_loss"]


def _threshold(z: Any) -> Any:
    """tau (keepdims) such that ``sparsemax(z) = max(z - tau, 0)`` along the last axis."""
    k_max = z.shape[-1]
    z_sorted = ops.flip(ops.sort(z, axis=-1), axis=-1)
    cs = ops.cumsum(z_sorted, axis=-1)
    k = ops.cast(ops.arange(1, k_max + 1), z.dtype)
    in_support = ops.greater(1.0 + k * z_sorted, cs)
    k_z = ops.sum(ops.cast(in_support, "int32"), axis=-1, keepdims=True)
    cs_k = ops.take_along_axis(cs, k_z - 1, axis=-1)
    return (cs_k - 1.0) / ops.cast(k_z, z.dtype)


@keras.saving.register_keras_serializable(package="losslab", name="sparsemax")
def sparsemax(x: Any, axis: int = -1) -> Any:
    """Sparsemax activation: ``max(z - tau(z), 0)``, a sparse alternative to softmax.

    Args:
        x: logits, any shape.
        axis: the class axis.

    Returns:
        Probabilities of the same shape, summing to 1 along ``axis``, many exactly 0.

    Example:
        >>> sparsemax([[2.0, 1.0, -1.0]])  # doctest: +SKIP
        [[1., 0., 0.]]
        >>> keras.layers.Dense(10, activation=sparsemax)  # doctest: +SKIP
    """
    x = ops.convert_to_tensor(x)
    z = ops.cast(x, compute_dtype(x))
    moved = axis not in (-1, len(z.shape) - 1)
    if moved:
        z = ops.moveaxis(z, axis, -1)
    z = z - ops.max(z, axis=-1, keepdims=True)
    p = ops.relu(z - _threshold(z))
    if moved:
        p = ops.moveaxis(p, -1, axis)
    return ops.cast(p, x.dtype) if x.dtype in ("float16", "bfloat16") else p


def sparsemax_loss(y_true: Any, y_pred: Any) -> Any:
    """Sparsemax loss: ``-q.z + 1/2 sum_{j in S(z)} (z_j^2 - tau^2) + 1/2 ||q||^2``.

    Written as TensorFlow Addons does, ``sum_j p_j (z_j - p_j / 2) + q_j (q_j / 2 - z_j)``
    with ``p = sparsemax(z)``.

    Args:
        y_true: one-hot (or any distribution) targets q, shape (N, K).
        y_pred: logits z, shape (N, K).

    Returns:
        (N,) values >= 0; 0 when ``z_k >= 1 + max_{j != k} z_j`` for the true class k.

    Example:
        >>> sparsemax_loss([[0.0, 1.0]], [[0.0, 2.0]])  # doctest: +SKIP
        [0.]
    """
    y_pred = ops.convert_to_tensor(y_pred)
    z = ops.cast(y_pred, compute_dtype(y_pred))
    q = ops.cast(y_true, z.dtype)
    z = z - ops.max(z, axis=-1, keepdims=True)
    p = ops.relu(z - _threshold(z))
    return ops.sum(p * (z - 0.5 * p) + q * (0.5 * q - z), axis=-1)


@register_loss_class
class SparsemaxLoss(LosslabLoss):
    """Keras loss for :func:`sparsemax_loss` (TensorFlow Addons' ``SparsemaxLoss``)."""

    fn = staticmethod(sparsemax_loss)
    PARAMS = SPARSEMAX_PARAMS
