"""Multiclass losses over integer labels or one-hot targets: sparse focal (per-class alpha),
PolyLoss, symmetric cross-entropy, class-balanced cross-entropy and focal, smoothed sparse CE."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from keras import ops

from losslab._params import with_defaults
from losslab.losses._base import LosslabLoss, register_loss_class
from losslab.losses.classification._common import (
    as_pred,
    cast_pair,
    class_balanced_weights,
    class_weight_of,
    focal_term,
    log_probs,
    sparse_onehot,
)
from losslab.reference.classification import (
    CLASS_BALANCED_CE_PARAMS,
    CLASS_BALANCED_FOCAL_PARAMS,
    POLY1_PARAMS,
    SMOOTHED_SPARSE_CE_PARAMS,
    SPARSE_FOCAL_PARAMS,
    SYMMETRIC_CE_PARAMS,
)

__all__ = [
    "ClassBalancedCrossentropy",
    "ClassBalancedFocal",
    "Poly1Crossentropy",
    "SparseCategoricalCrossentropySmoothed",
    "SparseCategoricalFocalCrossentropy",
    "SymmetricCrossentropy",
    "class_balanced_crossentropy",
    "class_balanced_focal",
    "poly1_crossentropy",
    "sparse_categorical_crossentropy_smoothed",
    "sparse_categorical_focal",
    "symmetric_crossentropy",
]


@with_defaults(SPARSE_FOCAL_PARAMS)
def sparse_categorical_focal(
    y_true: Any,
    y_pred: Any,
    *,
    alpha: float | Sequence[float] | None,
    gamma: float,
    from_logits: bool,
) -> Any:
    """Focal loss for integer labels: ``-alpha_y (1 - p_y)^gamma log p_y`` (Lin et al. 2017).

    The sparse counterpart of ``keras.losses.CategoricalFocalCrossentropy`` (same defaults),
    with ``alpha`` either one number or a list of K per-class weights.

    Args:
        y_true: integer labels in [0, K), shape (N,) or (N, 1).
        y_pred: (N, K) probabilities (``from_logits=False``) or logits.
        alpha: class weight(s), or None for 1.
        gamma: focusing parameter >= 0; 0 gives (alpha-weighted) cross-entropy.
        from_logits: whether y_pred are logits.

    Returns:
        Per-sample loss (N,), >= 0.

    Example:
        >>> sparse_categorical_focal([0], [[0.9, 0.1]], alpha=None, gamma=0.0)  # -log 0.9  # doctest: +SKIP
    """
    y_pred = as_pred(y_pred)
    onehot = sparse_onehot(y_true, y_pred)
    log_pt = ops.sum(onehot * log_probs(y_pred, from_logits), axis=-1)
    v = -focal_term(log_pt, gamma) * log_pt
    if alpha is None:
        return v
    if isinstance(alpha, Sequence):
        return class_weight_of(onehot, alpha, "alpha") * v
    return alpha * v


@with_defaults(POLY1_PARAMS)
def poly1_crossentropy(y_true: Any, y_pred: Any, *, epsilon: float, from_logits: bool) -> Any:
    """Poly-1 loss (Leng et al. 2022): ``CE + epsilon (1 - sum_k y_k p_k)``.

    Same value as Optax's ``poly_loss_cross_entropy`` on logits.

    Args:
        y_true: one-hot or soft labels (N, K).
        y_pred: (N, K) probabilities or logits.
        epsilon: weight of the first polynomial term (>= -1); 0 gives cross-entropy.
        from_logits: whether y_pred are logits.

    Returns:
        Per-sample loss (N,).

    Example:
        >>> poly1_crossentropy([[1.0, 0.0]], [[0.8, 0.2]], epsilon=1.0)  # -log .8 + .2  # doctest: +SKIP
    """
    y_true, y_pred = cast_pair(y_true, y_pred)
    lp = log_probs(y_pred, from_logits)
    ce = -ops.sum(y_true * lp, axis=-1)
    if epsilon == 0:
        return ce
    pt = ops.sum(y_true * ops.exp(lp), axis=-1)
    return ce + epsilon * (1.0 - pt)


@with_defaults(SYMMETRIC_CE_PARAMS)
def symmetric_crossentropy(
    y_true: Any,
    y_pred: Any,
    *,
    alpha: float,
    beta: float,
    label_clip: float,
    from_logits: bool,
) -> Any:
    """Symmetric cross-entropy (Wang et al. 2019) for noisy labels:
    ``alpha CE(y, p) + beta RCE``, ``RCE = -sum_k p_k log(max(y_k, label_clip))``.

    Args:
        y_true: one-hot or soft labels (N, K).
        y_pred: (N, K) probabilities or logits.
        alpha: weight of CE (the paper uses 0.1 on CIFAR-10).
        beta: weight of reverse CE (1.0).
        label_clip: floor on y_true inside the log (the paper's A = log(1e-4)).
        from_logits: whether y_pred are logits.

    Returns:
        Per-sample loss (N,), >= 0.

    Example:
        >>> symmetric_crossentropy([[1.0, 0.0]], [[0.9, 0.1]])  # doctest: +SKIP
    """
    y_true, y_pred = cast_pair(y_true, y_pred)
    lp = log_probs(y_pred, from_logits)
    ce = -ops.sum(y_true * lp, axis=-1)
    rce = -ops.sum(ops.exp(lp) * ops.log(ops.clip(y_true, label_clip, 1.0)), axis=-1)
    return alpha * ce + beta * rce


@with_defaults(CLASS_BALANCED_CE_PARAMS)
def class_balanced_crossentropy(
    y_true: Any,
    y_pred: Any,
    *,
    samples_per_class: Sequence[float] | None,
    beta: float,
    from_logits: bool,
) -> Any:
    """Class-balanced softmax cross-entropy (Cui et al. 2019): ``-w_y log p_y`` with
    ``w = (1 - beta) / (1 - beta^n_y)`` normalised to sum to K.

    Args:
        y_true: integer labels in [0, K), shape (N,) or (N, 1).
        y_pred: (N, K) probabilities or logits.
        samples_per_class: training counts per class (K numbers); None gives plain CE.
        beta: in [0, 1); 0 gives no re-weighting, values near 1 approach inverse frequency.
        from_logits: whether y_pred are logits.

    Returns:
        Per-sample loss (N,), >= 0.

    Example:
        >>> class_balanced_crossentropy([1], [[0.5, 0.5]], samples_per_class=[90, 10], beta=0.99)  # doctest: +SKIP
    """
    return class_balanced_focal(
        y_true,
        y_pred,
        samples_per_class=samples_per_class,
        beta=beta,
        gamma=0.0,
        from_logits=from_logits,
    )


@with_defaults(CLASS_BALANCED_FOCAL_PARAMS)
def class_balanced_focal(
    y_true: Any,
    y_pred: Any,
    *,
    samples_per_class: Sequence[float] | None,
    beta: float,
    gamma: float,
    from_logits: bool,
) -> Any:
    """Class-balanced softmax focal loss (Cui et al. 2019): ``-w_y (1 - p_y)^gamma log p_y``.

    Args:
        y_true: integer labels in [0, K), shape (N,) or (N, 1).
        y_pred: (N, K) probabilities or logits.
        samples_per_class: training counts per class (K numbers); None gives weight 1.
        beta: effective-number hyperparameter in [0, 1).
        gamma: focusing parameter >= 0.
        from_logits: whether y_pred are logits.

    Returns:
        Per-sample loss (N,), >= 0.

    Example:
        >>> class_balanced_focal([1], [[0.5, 0.5]], samples_per_class=[90, 10])  # doctest: +SKIP
    """
    y_pred = as_pred(y_pred)
    onehot = sparse_onehot(y_true, y_pred)
    log_pt = ops.sum(onehot * log_probs(y_pred, from_logits), axis=-1)
    w = class_weight_of(
        onehot, class_balanced_weights(samples_per_class, beta), "samples_per_class"
    )
    return -w * focal_term(log_pt, gamma) * log_pt


@with_defaults(SMOOTHED_SPARSE_CE_PARAMS)
def sparse_categorical_crossentropy_smoothed(
    y_true: Any, y_pred: Any, *, label_smoothing: float, from_logits: bool
) -> Any:
    """Sparse categorical cross-entropy with label smoothing (Keras's sparse CE has none):
    ``-sum_k q_k log p_k``, ``q = (1 - ls) onehot(y) + ls / K`` (as Keras's categorical CE).

    Args:
        y_true: integer labels in [0, K), shape (N,) or (N, 1).
        y_pred: (N, K) probabilities or logits.
        label_smoothing: in [0, 1).
        from_logits: whether y_pred are logits.

    Returns:
        Per-sample loss (N,), >= 0.

    Example:
        >>> sparse_categorical_crossentropy_smoothed([0], [[0.9, 0.1]], label_smoothing=0.0)  # doctest: +SKIP
    """
    y_pred = as_pred(y_pred)
    onehot = sparse_onehot(y_true, y_pred)
    lp = log_probs(y_pred, from_logits)
    k = y_pred.shape[-1]
    ls = label_smoothing
    return -((1.0 - ls) * ops.sum(onehot * lp, axis=-1) + (ls / k) * ops.sum(lp, axis=-1))


class _SparseLoss(LosslabLoss):
    """Integer labels (N,) against class scores (N, K): ranks differ by design."""

    align = False


@register_loss_class
class SparseCategoricalFocalCrossentropy(_SparseLoss):
    """Focal loss for integer labels, per-class alpha. See :func:`sparse_categorical_focal`."""

    fn = staticmethod(sparse_categorical_focal)
    PARAMS = SPARSE_FOCAL_PARAMS


@register_loss_class
class Poly1Crossentropy(LosslabLoss):
    """Poly-1 cross-entropy (PolyLoss). See :func:`poly1_crossentropy`."""

    fn = staticmethod(poly1_crossentropy)
    PARAMS = POLY1_PARAMS


@register_loss_class
class SymmetricCrossentropy(LosslabLoss):
    """Symmetric cross-entropy for noisy labels. See :func:`symmetric_crossentropy`."""

    fn = staticmethod(symmetric_crossentropy)
    PARAMS = SYMMETRIC_CE_PARAMS


@register_loss_class
class ClassBalancedCrossentropy(_SparseLoss):
    """Class-balanced cross-entropy (effective number). See :func:`class_balanced_crossentropy`."""

    fn = staticmethod(class_balanced_crossentropy)
    PARAMS = CLASS_BALANCED_CE_PARAMS


@register_loss_class
class ClassBalancedFocal(_SparseLoss):
    """Class-balanced focal loss (effective number). See :func:`class_balanced_focal`."""

    fn = staticmethod(class_balanced_focal)
    PARAMS = CLASS_BALANCED_FOCAL_PARAMS


@register_loss_class
class SparseCategoricalCrossentropySmoothed(_SparseLoss):
    """Sparse categorical cross-entropy with label smoothing.
    See :func:`sparse_categorical_crossentropy_smoothed`."""

    fn = staticmethod(sparse_categorical_crossentropy_smoothed)
    PARAMS = SMOOTHED_SPARSE_CE_PARAMS
