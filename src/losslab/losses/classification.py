"""Classification losses Keras lacks: sparse categorical focal (per-class alpha), PolyLoss,
symmetric cross-entropy, BCE with ``pos_weight``, asymmetric loss (ASL) for multilabel,
class-balanced cross-entropy and focal (Cui et al. 2019), and label smoothing for sparse CE.

Pure ``keras.ops`` functions returning one value per sample plus thin :class:`LosslabLoss`
classes. Logits go through log-softmax / log-sigmoid; probabilities are clipped to
``[1e-7, 1 - 1e-7]`` like Keras, so no ``log(0)`` can occur.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from keras import ops

from losslab.errors import InvalidParameterError
from losslab.losses._base import LosslabLoss, compute_dtype, register_loss_class
from losslab.reference.classification import (
    ASYMMETRIC_PARAMS,
    CLASS_BALANCED_CE_PARAMS,
    CLASS_BALANCED_FOCAL_PARAMS,
    POLY1_PARAMS,
    SMOOTHED_SPARSE_CE_PARAMS,
    SPARSE_FOCAL_PARAMS,
    SYMMETRIC_CE_PARAMS,
    WEIGHTED_BCE_PARAMS,
)

__all__ = [
    "AsymmetricLoss",
    "ClassBalancedCrossentropy",
    "ClassBalancedFocal",
    "Poly1Crossentropy",
    "SparseCategoricalCrossentropySmoothed",
    "SparseCategoricalFocalCrossentropy",
    "SymmetricCrossentropy",
    "WeightedBinaryCrossentropy",
    "asymmetric_loss",
    "class_balanced_crossentropy",
    "class_balanced_focal",
    "class_balanced_weights",
    "poly1_crossentropy",
    "sparse_categorical_crossentropy_smoothed",
    "sparse_categorical_focal",
    "symmetric_crossentropy",
    "weighted_binary_crossentropy",
]

_EPS = 1e-7  # keras.backend.epsilon()


def _cast(y_true: Any, y_pred: Any) -> tuple[Any, Any]:
    y_pred = ops.convert_to_tensor(y_pred)
    dtype = compute_dtype(y_pred)
    return ops.cast(y_true, dtype), ops.cast(y_pred, dtype)


def _pred(y_pred: Any) -> Any:
    y_pred = ops.convert_to_tensor(y_pred)
    return ops.cast(y_pred, compute_dtype(y_pred))


def _pow(base: Any, exponent: float) -> Any:
    """``base ** exponent`` for base in [0, 1] with a finite gradient at base = 0.

    Integer exponents up to 16 use repeated multiplication (cheaper than ``exp(e log b)`` and
    exact at 0); other exponents floor the base at 1e-30 so ``e b^(e-1)`` stays finite.
    Exactly 1 when the exponent is 0.
    """
    if exponent == 0:
        return 1.0
    if float(exponent).is_integer() and 0 < exponent <= 16:
        # square-and-multiply: keras.ops.power would hand XLA a general pow(x, y)
        n, out, sq = int(exponent), None, base
        while n:
            if n & 1:
                out = sq if out is None else out * sq
            n >>= 1
            if n:
                sq = sq * sq
        return out
    return ops.power(ops.maximum(base, 1e-30), exponent)


def log_probs(y_pred: Any, from_logits: bool) -> Any:
    """Class log-probabilities: log-softmax of logits, or log of the clipped, renormalised
    probabilities (as Keras's categorical cross-entropy)."""
    if from_logits:
        return ops.log_softmax(y_pred, axis=-1)
    p = y_pred / ops.sum(y_pred, axis=-1, keepdims=True)
    return ops.log(ops.clip(p, _EPS, 1.0 - _EPS))


def _sparse_onehot(y_true: Any, y_pred: Any) -> Any:
    """One-hot (N, K) float targets from integer labels (N,) or (N, 1)."""
    labels = ops.convert_to_tensor(y_true)
    if len(labels.shape) == len(y_pred.shape) and labels.shape[-1] == 1:
        labels = ops.squeeze(labels, -1)
    return ops.one_hot(ops.cast(labels, "int32"), y_pred.shape[-1], dtype=y_pred.dtype)


def _binary_log_probs(y_pred: Any, from_logits: bool) -> tuple[Any, Any]:
    if from_logits:
        return ops.log_sigmoid(y_pred), ops.log_sigmoid(-y_pred)
    p = ops.clip(y_pred, _EPS, 1.0 - _EPS)
    return ops.log(p), ops.log1p(-p)


def class_balanced_weights(
    samples_per_class: Sequence[float] | None, beta: float
) -> list[float] | None:
    """Effective-number class weights (Cui et al. 2019), normalised to sum to K.

    ``w_c = (1 - beta) / (1 - beta^n_c)``; ``beta = 0`` gives 1 for every class. Counts of
    0 are treated as 1. Pure Python (computed once, from hyperparameters).

    Example:
        >>> class_balanced_weights([100, 10], beta=0.0)
        [1.0, 1.0]
    """
    if samples_per_class is None:
        return None
    n = [max(float(c), 1.0) for c in samples_per_class]
    w = [(1.0 - beta) / (1.0 - beta**c) for c in n] if beta > 0 else [1.0] * len(n)
    total = sum(w)
    return [x / total * len(n) for x in w]


def _class_weight_of(onehot: Any, weights: Sequence[float] | None, name: str) -> Any:
    """Per-sample weight ``weights[y]`` from one-hot targets (1 when weights is None)."""
    if weights is None:
        return 1.0
    k = onehot.shape[-1]
    if k is not None and len(weights) != k:
        raise InvalidParameterError(
            f"{name} has {len(weights)} entries but y_pred has {k} classes. "
            f"Received: {name}={list(weights)!r}. Give one value per class, in class order."
        )
    return ops.sum(onehot * ops.convert_to_tensor(list(weights), dtype=onehot.dtype), axis=-1)


def _focal_term(log_pt: Any, gamma: float) -> Any:
    """``(1 - p_t)^gamma`` computed as ``(-expm1(log p_t))^gamma`` (exact 1 when gamma = 0)."""
    return _pow(-ops.expm1(log_pt), gamma)


def sparse_categorical_focal(
    y_true: Any,
    y_pred: Any,
    *,
    alpha: float | Sequence[float] | None = 0.25,
    gamma: float = 2.0,
    from_logits: bool = False,
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
    y_pred = _pred(y_pred)
    onehot = _sparse_onehot(y_true, y_pred)
    log_pt = ops.sum(onehot * log_probs(y_pred, from_logits), axis=-1)
    v = -_focal_term(log_pt, gamma) * log_pt
    if alpha is None:
        return v
    if isinstance(alpha, Sequence):
        return _class_weight_of(onehot, alpha, "alpha") * v
    return alpha * v


def poly1_crossentropy(
    y_true: Any, y_pred: Any, *, epsilon: float = 2.0, from_logits: bool = False
) -> Any:
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
    y_true, y_pred = _cast(y_true, y_pred)
    lp = log_probs(y_pred, from_logits)
    ce = -ops.sum(y_true * lp, axis=-1)
    if epsilon == 0:
        return ce
    pt = ops.sum(y_true * ops.exp(lp), axis=-1)
    return ce + epsilon * (1.0 - pt)


def symmetric_crossentropy(
    y_true: Any,
    y_pred: Any,
    *,
    alpha: float = 0.1,
    beta: float = 1.0,
    label_clip: float = 1e-4,
    from_logits: bool = False,
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
    y_true, y_pred = _cast(y_true, y_pred)
    lp = log_probs(y_pred, from_logits)
    ce = -ops.sum(y_true * lp, axis=-1)
    rce = -ops.sum(ops.exp(lp) * ops.log(ops.clip(y_true, label_clip, 1.0)), axis=-1)
    return alpha * ce + beta * rce


def weighted_binary_crossentropy(
    y_true: Any,
    y_pred: Any,
    *,
    pos_weight: float | Sequence[float] = 1.0,
    from_logits: bool = False,
) -> Any:
    """Binary cross-entropy with a weight on the positive term, as
    ``torch.nn.BCEWithLogitsLoss(pos_weight=...)`` and ``tf.nn.weighted_cross_entropy_with_logits``:
    ``-(pos_weight y log p + (1 - y) log(1 - p))``, mean over the last axis (Keras BCE's convention).

    Args:
        y_true: 0/1 (or soft) labels, shape (N,) or (N, L).
        y_pred: probabilities or logits, same shape.
        pos_weight: one number or one per label (L).
        from_logits: whether y_pred are logits.

    Returns:
        Per-sample loss (N,), >= 0.

    Example:
        >>> weighted_binary_crossentropy([[1.0]], [[1.5]], pos_weight=1.0, from_logits=True)  # doctest: +SKIP
    """
    y_true, y_pred = _cast(y_true, y_pred)
    lp, lq = _binary_log_probs(y_pred, from_logits)
    w = (
        ops.convert_to_tensor(pos_weight, dtype=y_pred.dtype)
        if isinstance(pos_weight, Sequence)
        else pos_weight
    )
    return ops.mean(-(w * y_true * lp + (1.0 - y_true) * lq), axis=-1)


def asymmetric_loss(
    y_true: Any,
    y_pred: Any,
    *,
    gamma_neg: float = 4.0,
    gamma_pos: float = 1.0,
    clip: float = 0.05,
    from_logits: bool = False,
) -> Any:
    """Asymmetric loss for multilabel classification (Ridnik et al. 2021), summed over labels:

    ``-sum_l [y (1 - p)^gamma_pos log p + (1 - y) p_m^gamma_neg log(1 - p_m)]`` with the shifted
    probability ``p_m = max(p - clip, 0)`` (easy negatives contribute nothing). The sum over
    labels follows the authors' implementation.

    Args:
        y_true: 0/1 labels (N, L).
        y_pred: (N, L) probabilities or logits.
        gamma_neg, gamma_pos: focusing exponents (4 and 1 in the paper's code).
        clip: probability margin in [0, 1).
        from_logits: whether y_pred are logits.

    Returns:
        Per-sample loss (N,), >= 0.

    Example:
        >>> asymmetric_loss([[1.0, 0.0]], [[0.9, 0.02]])  # doctest: +SKIP
    """
    y_true, y_pred = _cast(y_true, y_pred)
    lp, lq = _binary_log_probs(y_pred, from_logits)
    p = ops.sigmoid(y_pred) if from_logits else ops.clip(y_pred, _EPS, 1.0 - _EPS)
    if clip > 0:
        pm = ops.relu(p - clip)
        lq = ops.log1p(-pm)
    else:
        pm = p
    pos = _pow(1.0 - p, gamma_pos) * lp
    neg = _pow(pm, gamma_neg) * lq
    return -ops.sum(y_true * pos + (1.0 - y_true) * neg, axis=-1)


def class_balanced_crossentropy(
    y_true: Any,
    y_pred: Any,
    *,
    samples_per_class: Sequence[float] | None = None,
    beta: float = 0.9999,
    from_logits: bool = False,
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


def class_balanced_focal(
    y_true: Any,
    y_pred: Any,
    *,
    samples_per_class: Sequence[float] | None = None,
    beta: float = 0.9999,
    gamma: float = 2.0,
    from_logits: bool = False,
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
    y_pred = _pred(y_pred)
    onehot = _sparse_onehot(y_true, y_pred)
    log_pt = ops.sum(onehot * log_probs(y_pred, from_logits), axis=-1)
    w = _class_weight_of(
        onehot, class_balanced_weights(samples_per_class, beta), "samples_per_class"
    )
    return -w * _focal_term(log_pt, gamma) * log_pt


def sparse_categorical_crossentropy_smoothed(
    y_true: Any, y_pred: Any, *, label_smoothing: float = 0.1, from_logits: bool = False
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
    y_pred = _pred(y_pred)
    onehot = _sparse_onehot(y_true, y_pred)
    lp = log_probs(y_pred, from_logits)
    k = y_pred.shape[-1]
    ls = label_smoothing
    return -((1.0 - ls) * ops.sum(onehot * lp, axis=-1) + (ls / k) * ops.sum(lp, axis=-1))


_RED = "sum_over_batch_size"


class _SparseLoss(LosslabLoss):
    """Integer labels (N,) against class scores (N, K): ranks differ by design."""

    align = False


@register_loss_class
class SparseCategoricalFocalCrossentropy(_SparseLoss):
    """Focal loss for integer labels, per-class alpha. See :func:`sparse_categorical_focal`."""

    fn = staticmethod(sparse_categorical_focal)
    PARAMS = SPARSE_FOCAL_PARAMS

    def __init__(
        self,
        *,
        alpha: float | Sequence[float] | None = 0.25,
        gamma: float = 2.0,
        from_logits: bool = False,
        reduction: str | None = _RED,
        name: str | None = None,
        dtype: Any = None,
    ) -> None:
        super().__init__(
            alpha=alpha,
            gamma=gamma,
            from_logits=from_logits,
            reduction=reduction,
            name=name,
            dtype=dtype,
        )


@register_loss_class
class Poly1Crossentropy(LosslabLoss):
    """Poly-1 cross-entropy (PolyLoss). See :func:`poly1_crossentropy`."""

    fn = staticmethod(poly1_crossentropy)
    PARAMS = POLY1_PARAMS

    def __init__(
        self,
        *,
        epsilon: float = 2.0,
        from_logits: bool = False,
        reduction: str | None = _RED,
        name: str | None = None,
        dtype: Any = None,
    ) -> None:
        super().__init__(
            epsilon=epsilon, from_logits=from_logits, reduction=reduction, name=name, dtype=dtype
        )


@register_loss_class
class SymmetricCrossentropy(LosslabLoss):
    """Symmetric cross-entropy for noisy labels. See :func:`symmetric_crossentropy`."""

    fn = staticmethod(symmetric_crossentropy)
    PARAMS = SYMMETRIC_CE_PARAMS

    def __init__(
        self,
        *,
        alpha: float = 0.1,
        beta: float = 1.0,
        label_clip: float = 1e-4,
        from_logits: bool = False,
        reduction: str | None = _RED,
        name: str | None = None,
        dtype: Any = None,
    ) -> None:
        super().__init__(
            alpha=alpha,
            beta=beta,
            label_clip=label_clip,
            from_logits=from_logits,
            reduction=reduction,
            name=name,
            dtype=dtype,
        )


@register_loss_class
class WeightedBinaryCrossentropy(LosslabLoss):
    """Binary cross-entropy with ``pos_weight``. See :func:`weighted_binary_crossentropy`."""

    fn = staticmethod(weighted_binary_crossentropy)
    PARAMS = WEIGHTED_BCE_PARAMS

    def __init__(
        self,
        *,
        pos_weight: float | Sequence[float] = 1.0,
        from_logits: bool = False,
        reduction: str | None = _RED,
        name: str | None = None,
        dtype: Any = None,
    ) -> None:
        super().__init__(
            pos_weight=pos_weight,
            from_logits=from_logits,
            reduction=reduction,
            name=name,
            dtype=dtype,
        )


@register_loss_class
class AsymmetricLoss(LosslabLoss):
    """Asymmetric loss (ASL) for multilabel classification. See :func:`asymmetric_loss`."""

    fn = staticmethod(asymmetric_loss)
    PARAMS = ASYMMETRIC_PARAMS

    def __init__(
        self,
        *,
        gamma_neg: float = 4.0,
        gamma_pos: float = 1.0,
        clip: float = 0.05,
        from_logits: bool = False,
        reduction: str | None = _RED,
        name: str | None = None,
        dtype: Any = None,
    ) -> None:
        super().__init__(
            gamma_neg=gamma_neg,
            gamma_pos=gamma_pos,
            clip=clip,
            from_logits=from_logits,
            reduction=reduction,
            name=name,
            dtype=dtype,
        )


@register_loss_class
class ClassBalancedCrossentropy(_SparseLoss):
    """Class-balanced cross-entropy (effective number). See :func:`class_balanced_crossentropy`."""

    fn = staticmethod(class_balanced_crossentropy)
    PARAMS = CLASS_BALANCED_CE_PARAMS

    def __init__(
        self,
        *,
        samples_per_class: Sequence[float] | None = None,
        beta: float = 0.9999,
        from_logits: bool = False,
        reduction: str | None = _RED,
        name: str | None = None,
        dtype: Any = None,
    ) -> None:
        super().__init__(
            samples_per_class=samples_per_class,
            beta=beta,
            from_logits=from_logits,
            reduction=reduction,
            name=name,
            dtype=dtype,
        )


@register_loss_class
class ClassBalancedFocal(_SparseLoss):
    """Class-balanced focal loss (effective number). See :func:`class_balanced_focal`."""

    fn = staticmethod(class_balanced_focal)
    PARAMS = CLASS_BALANCED_FOCAL_PARAMS

    def __init__(
        self,
        *,
        samples_per_class: Sequence[float] | None = None,
        beta: float = 0.9999,
        gamma: float = 2.0,
        from_logits: bool = False,
        reduction: str | None = _RED,
        name: str | None = None,
        dtype: Any = None,
    ) -> None:
        super().__init__(
            samples_per_class=samples_per_class,
            beta=beta,
            gamma=gamma,
            from_logits=from_logits,
            reduction=reduction,
            name=name,
            dtype=dtype,
        )


@register_loss_class
class SparseCategoricalCrossentropySmoothed(_SparseLoss):
    """Sparse categorical cross-entropy with label smoothing.
    See :func:`sparse_categorical_crossentropy_smoothed`."""

    fn = staticmethod(sparse_categorical_crossentropy_smoothed)
    PARAMS = SMOOTHED_SPARSE_CE_PARAMS

    def __init__(
        self,
        *,
        label_smoothing: float = 0.1,
        from_logits: bool = False,
        reduction: str | None = _RED,
        name: str | None = None,
        dtype: Any = None,
    ) -> None:
        super().__init__(
            label_smoothing=label_smoothing,
            from_logits=from_logits,
            reduction=reduction,
            name=name,
            dtype=dtype,
        )
