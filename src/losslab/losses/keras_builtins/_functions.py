"""The repaired per-sample functions behind losslab's Keras built-in subclasses: each keeps
Keras's value where Keras is right and fixes the defect named in its docstring."""

from __future__ import annotations

from typing import Any

import keras
from keras import ops

from losslab.losses._base import align_ranks

__all__ = [
    "binary_focal_crossentropy",
    "categorical_crossentropy",
    "categorical_focal_crossentropy",
    "categorical_generalized_cross_entropy",
    "circle",
    "cosine_similarity",
]


def _l2_normalize(x: Any, axis: int) -> Any:
    # Same values as keras.ops.normalize (``x * min(rsqrt(sum x^2), 1/eps)``), but the
    # clamp sits inside the rsqrt, so an all-zero vector gets a finite gradient instead of
    # Keras 3.15's NaN (rsqrt'(0) = inf times 0).
    eps = keras.backend.epsilon()
    square_sum = ops.sum(ops.square(x), axis=axis, keepdims=True)
    return x * ops.rsqrt(ops.maximum(square_sum, eps * eps))


def cosine_similarity(y_true: Any, y_pred: Any, axis: int = -1) -> Any:
    """``-sum(l2_normalize(y_true) * l2_normalize(y_pred), axis)``, Keras's values with a
    finite gradient at an all-zero prediction."""
    y_pred = ops.convert_to_tensor(y_pred)
    y_true = ops.convert_to_tensor(y_true, dtype=y_pred.dtype)
    y_true, y_pred = align_ranks(y_true, y_pred)
    return -ops.sum(_l2_normalize(y_true, axis) * _l2_normalize(y_pred, axis), axis=axis)


def categorical_generalized_cross_entropy(y_true: Any, y_pred: Any, q: float) -> Any:
    """``(1 - p^q) / q`` with ``p`` the probability of the true class, Keras's value exactly.

    The derivative ``-p^(q-1)`` is infinite at ``p = 0`` for ``q < 1`` (Keras 3.15 returns inf
    there, and clipping ``p`` at 1e-7 in the value changes it: 8.005 instead of 10 for
    ``q = 0.1``). Here the value uses ``p`` itself and the gradient uses ``max(p, eps)``:
    ``1 - p^q`` is written ``stop_gradient(-expm1(q log p)) - (p - stop_gradient(p)) * q
    max(p, eps)^(q-1)``, whose value is ``1 - p^q`` (accurate at small q) and whose
    derivative is finite and non-zero everywhere.
    """
    y_pred = ops.convert_to_tensor(y_pred)
    labels = ops.cast(y_true, "int32")
    if len(labels.shape) == len(y_pred.shape) and labels.shape[-1] == 1:
        labels = ops.squeeze(labels, -1)
    one_hot = ops.one_hot(labels, ops.shape(y_pred)[-1], dtype=y_pred.dtype)
    p = ops.sum(y_pred * one_hot, axis=-1)
    slope = q * ops.power(ops.maximum(p, keras.backend.epsilon()), q - 1.0)
    # 1 - p^q as -expm1(q log p): no float32 cancellation at small q (q = 1e-4 gave 1e-3
    # relative error as 1 - p^q); exactly 1 at p = 0
    one_minus_pq = ops.stop_gradient(-ops.expm1(q * ops.log(p)))
    return (one_minus_pq - (p - ops.stop_gradient(p)) * ops.stop_gradient(slope)) / q


def _smooth_over_axis(
    y_true: Any, y_pred: Any, label_smoothing: float, axis: int
) -> tuple[Any, Any]:
    y_pred = ops.convert_to_tensor(y_pred)
    y_true = ops.cast(y_true, y_pred.dtype)
    if label_smoothing:
        k = ops.cast(ops.shape(y_pred)[axis], y_pred.dtype)
        y_true = y_true * (1.0 - label_smoothing) + label_smoothing / k
    return y_true, y_pred


def categorical_crossentropy(
    y_true: Any,
    y_pred: Any,
    from_logits: bool = False,
    label_smoothing: float = 0.0,
    axis: int = -1,
) -> Any:
    """Keras's categorical cross-entropy with the smoothing mass spread over the class ``axis``
    (``t (1 - ls) + ls / K``, ``K = y_pred.shape[axis]``), not over the last axis."""
    y_true, y_pred = _smooth_over_axis(y_true, y_pred, label_smoothing, axis)
    return keras.losses.categorical_crossentropy(
        y_true, y_pred, from_logits=from_logits, label_smoothing=0.0, axis=axis
    )


def categorical_focal_crossentropy(
    y_true: Any,
    y_pred: Any,
    alpha: float = 0.25,
    gamma: float = 2.0,
    from_logits: bool = False,
    label_smoothing: float = 0.0,
    axis: int = -1,
) -> Any:
    """Keras's categorical focal cross-entropy with the smoothing mass spread over the class
    ``axis`` (see :func:`categorical_crossentropy`)."""
    y_true, y_pred = _smooth_over_axis(y_true, y_pred, label_smoothing, axis)
    return keras.losses.categorical_focal_crossentropy(
        y_true,
        y_pred,
        alpha=alpha,
        gamma=gamma,
        from_logits=from_logits,
        label_smoothing=0.0,
        axis=axis,
    )


def _log_one_minus_p_t(t: Any, z: Any) -> Any:
    """``log(1 - p_t)`` with ``1 - p_t = t (1 - p) + (1 - t) p``, ``p = sigmoid(z)``, in log space.

    Hard labels take ``log_sigmoid(-z)`` / ``log_sigmoid(z)`` directly; soft labels
    ``logaddexp(log t + log_sigmoid(-z), log(1 - t) + log_sigmoid(z))`` with ``t`` kept inside
    (0, 1) there, so every branch is finite in value and derivative (double ``where``).
    """
    log_p, log_1mp = ops.log_sigmoid(z), ops.log_sigmoid(-z)
    hard_pos, hard_neg = ops.greater_equal(t, 1.0), ops.less_equal(t, 0.0)
    t_soft = ops.where(ops.logical_or(hard_pos, hard_neg), 0.5, t)
    soft = ops.logaddexp(ops.log(t_soft) + log_1mp, ops.log1p(-t_soft) + log_p)
    return ops.where(hard_pos, log_1mp, ops.where(hard_neg, log_p, soft))


def binary_focal_crossentropy(
    y_true: Any,
    y_pred: Any,
    apply_class_balancing: bool = False,
    alpha: float = 0.25,
    gamma: float = 2.0,
    from_logits: bool = False,
    label_smoothing: float = 0.0,
    axis: int = -1,
) -> Any:
    """Keras's binary focal cross-entropy; with ``from_logits`` computed from the logits.

    ``bce = -(t log_sigmoid(z) + (1 - t) log_sigmoid(-z))`` and
    ``(1 - p_t)^gamma = exp(gamma log(1 - p_t))`` (exactly 1 with a zero derivative at
    ``gamma = 0``), so nothing saturates at large ``|z|`` and gradients and Hessians stay
    finite for every ``gamma >= 0`` (Optax's ``sigmoid_focal_loss`` does the same). With
    probabilities, Keras's own function (clipped to ``[eps, 1 - eps]``) is used.
    """
    if not from_logits:
        return keras.losses.binary_focal_crossentropy(
            y_true,
            y_pred,
            apply_class_balancing=apply_class_balancing,
            alpha=alpha,
            gamma=gamma,
            from_logits=False,
            label_smoothing=label_smoothing,
            axis=axis,
        )
    z = ops.convert_to_tensor(y_pred)
    t = ops.cast(y_true, z.dtype)
    if label_smoothing:
        t = t * (1.0 - label_smoothing) + 0.5 * label_smoothing
    bce = -(t * ops.log_sigmoid(z) + (1.0 - t) * ops.log_sigmoid(-z))
    out = ops.exp(gamma * _log_one_minus_p_t(t, z)) * bce
    if apply_class_balancing:
        out = (t * alpha + (1.0 - t) * (1.0 - alpha)) * out
    return ops.mean(out, axis=axis)


def circle(
    y_true: Any,
    y_pred: Any,
    ref_labels: Any = None,
    ref_embeddings: Any = None,
    remove_diagonal: bool = True,
    gamma: float = 80.0,
    margin: float = 0.4,
) -> Any:
    """``keras.losses.circle`` with the reference set cast to the dtype of ``y_pred``."""
    y_pred = ops.convert_to_tensor(y_pred)
    if ref_embeddings is not None:
        ref_embeddings = ops.convert_to_tensor(ref_embeddings, dtype=y_pred.dtype)
    if ref_labels is not None:
        ref_labels = ops.convert_to_tensor(ref_labels, dtype="int32")
    return keras.losses.circle(
        y_true,
        y_pred,
        ref_labels=ref_labels,
        ref_embeddings=ref_embeddings,
        remove_diagonal=remove_diagonal,
        gamma=gamma,
        margin=margin,
    )
