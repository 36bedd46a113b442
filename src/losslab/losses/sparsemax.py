"""Sparsemax activation and the sparsemax loss (Martins & Astudillo 2016).

Sparsemax is the Euclidean projection of the logits onto the probability simplex: like
softmax it gives class probabilities, unlike softmax many of them are exactly 0. The
sparsemax loss is its natural training loss (its gradient is ``sparsemax(z) - q``), as
TensorFlow Addons' ``SparsemaxLoss`` (which required ``from_logits=True``): y_pred are
always logits here.

A logit of ``-inf`` masks its class out (probability 0; a loss of ``+inf`` only when the true
class is masked), as in TensorFlow Addons; a row with a ``nan`` or ``+inf`` logit, or with
every logit ``-inf``, has no answer and gives ``nan``. The logits are shifted by their row
maximum, which leaves both functions unchanged.
"""

from __future__ import annotations

from typing import Any

import keras
from keras import ops

from losslab.losses._base import LosslabLoss, compute_dtype, register_loss_class
from losslab.reference.sparsemax import SPARSEMAX_PARAMS

__all__ = ["SparsemaxLoss", "sparsemax", "sparsemax_loss"]


_FLOOR = -1e30  # stands in for a -inf logit inside the threshold search (finite arithmetic)


def _threshold(z: Any) -> Any:
    """tau (keepdims) such that ``sparsemax(z) = max(z - tau, 0)`` along the last axis.

    ``z`` is finite, shifted to a row maximum of 0, with masked classes at ``_FLOOR``: they are
    sorted last and never enter the support.
    """
    k_max = z.shape[-1]
    z_sorted = ops.flip(ops.sort(z, axis=-1), axis=-1)
    cs = ops.cumsum(z_sorted, axis=-1)
    k = ops.cast(ops.arange(1, k_max + 1), z.dtype)
    in_support = ops.logical_and(
        ops.greater(1.0 + k * z_sorted, cs), ops.greater(z_sorted, 0.5 * _FLOOR)
    )
    k_z = ops.maximum(ops.sum(ops.cast(in_support, "int32"), axis=-1, keepdims=True), 1)
    cs_k = ops.take_along_axis(cs, k_z - 1, axis=-1)
    return (cs_k - 1.0) / ops.cast(k_z, z.dtype)


def _shifted(z: Any) -> tuple[Any, Any, Any]:
    """``(z - max, the same with -inf at _FLOOR, rows without an answer)`` along the last axis."""
    finite = ops.isfinite(z)
    invalid = ops.logical_or(
        ops.any(
            ops.logical_or(ops.isnan(z), ops.logical_and(ops.isinf(z), ops.greater(z, 0.0))),
            axis=-1,
            keepdims=True,
        ),
        ops.logical_not(ops.any(finite, axis=-1, keepdims=True)),
    )
    top = ops.max(ops.where(finite, z, _FLOOR), axis=-1, keepdims=True)
    shifted = z - ops.stop_gradient(top)
    return shifted, ops.where(finite, shifted, _FLOOR), invalid


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
    _, safe, invalid = _shifted(z)
    p = ops.where(invalid, float("nan"), ops.relu(safe - _threshold(safe)))
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
    z, safe, invalid = _shifted(z)
    p = ops.relu(safe - _threshold(safe))
    # a masked class (-inf) costs nothing unless it is (part of) the target: 0 * inf is 0 here
    q_part = ops.where(ops.logical_and(ops.equal(q, 0.0), ops.isinf(z)), 0.0, q * (0.5 * q - z))
    value = ops.sum(p * (safe - 0.5 * p) + q_part, axis=-1)
    return ops.where(ops.squeeze(invalid, -1), float("nan"), value)


@register_loss_class
class SparsemaxLoss(LosslabLoss):
    """Keras loss for :func:`sparsemax_loss` (TensorFlow Addons' ``SparsemaxLoss``)."""

    fn = staticmethod(sparsemax_loss)
    PARAMS = SPARSEMAX_PARAMS
