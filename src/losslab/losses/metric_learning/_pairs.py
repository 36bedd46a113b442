"""Pair and triplet losses: contrastive, triplet semi-hard / hard / batch-all, lifted structured."""

from __future__ import annotations

from typing import Any

from keras import ops

from losslab._params import with_defaults
from losslab.losses._base import LosslabLoss, register_loss_class
from losslab.losses.metric_learning._mining import (
    NEG_LARGE,
    as_embeddings,
    count_in_sorted,
    flat_labels,
    label_masks,
    masked_max,
    pairwise_distance,
    row_distance,
    sorted_negatives,
)
from losslab.reference.metric_learning import (
    CONTRASTIVE_PARAMS,
    LIFTED_PARAMS,
    TRIPLET_BATCH_ALL_PARAMS,
    TRIPLET_HARD_PARAMS,
    TRIPLET_SEMIHARD_PARAMS,
)

__all__ = [
    "ContrastiveLoss",
    "LiftedStructLoss",
    "TripletBatchAllLoss",
    "TripletHardLoss",
    "TripletSemiHardLoss",
    "contrastive_loss",
    "lifted_struct_loss",
    "triplet_batch_all_loss",
    "triplet_hard_loss",
    "triplet_semihard_loss",
]


@with_defaults(CONTRASTIVE_PARAMS)
def contrastive_loss(y_true: Any, y_pred: Any, *, margin: float) -> Any:
    """Contrastive loss of a pair (Hadsell et al. 2006), TensorFlow Addons' convention.

    ``y d^2 + (1 - y) max(margin - d, 0)^2``.

    Args:
        y_true: 1 for a similar pair, 0 for a dissimilar one; shape (N,) or (N, 1).
        y_pred: the distance between the pair's two embeddings, same shape.
        margin: distance beyond which dissimilar pairs cost nothing.

    Returns:
        One value per pair (shape of y_pred), >= 0; 0 for similar pairs at distance 0 and
        dissimilar pairs farther than ``margin``.

    Example:
        >>> contrastive_loss([1.0, 0.0], [0.5, 0.2])  # doctest: +SKIP
        [0.25, 0.64]
    """
    d = as_embeddings(y_pred)
    y = ops.cast(y_true, d.dtype)
    return y * ops.square(d) + (1.0 - y) * ops.square(ops.relu(margin - d))


@with_defaults(TRIPLET_SEMIHARD_PARAMS)
def triplet_semihard_loss(y_true: Any, y_pred: Any, *, margin: float, distance_metric: str) -> Any:
    """Triplet loss with semi-hard negative mining (Schroff et al. 2015), TFA's semantics.

    For every positive pair (a, p), a != p, the negative is the closest one with
    ``d_an > d_ap``; if none exists, the farthest negative of a; with no negative at all,
    ``d_an = 0``. Loss: mean over positive pairs of ``max(margin + d_ap - d_an, 0)``;
    0 for a batch without any positive pair.

    Args:
        y_true: integer labels, shape (B,) or (B, 1).
        y_pred: embeddings (B, d); not normalised here (normalise in the model if wanted).
        margin: the margin.
        distance_metric: ``"L2"``, ``"squared-L2"`` or ``"angular"``.

    Returns:
        A scalar (the loss is defined on the batch), >= 0.

    Example:
        >>> triplet_semihard_loss([0, 0], [[0.0, 1.0], [1.0, 0.0]])  # doctest: +SKIP
        2.4142137
    """
    labels = flat_labels(y_true)
    x = as_embeddings(y_pred)
    d = pairwise_distance(x, distance_metric)
    same, diff, eye = label_masks(labels)
    pos = ops.logical_and(same, ops.logical_not(eye))
    sorted_neg = sorted_negatives(d, diff)
    k = count_in_sorted(sorted_neg, d, strict=False)  # negatives with d_an <= d_ap
    n_neg = ops.sum(ops.cast(diff, "int32"), axis=1, keepdims=True)
    has_farther = ops.less(k, n_neg)
    last = ops.cast(ops.shape(d)[1], "int32") - 1
    farther = ops.take_along_axis(sorted_neg, ops.minimum(k, last), axis=1)
    inside = ops.expand_dims(masked_max(d, diff), 1)
    d_an = ops.where(has_farther, farther, inside)
    loss = ops.where(pos, ops.relu(margin + d - d_an), ops.zeros((), dtype=d.dtype))
    n_pos = ops.sum(ops.cast(pos, d.dtype))
    return ops.sum(loss) / ops.maximum(n_pos, 1.0)


@with_defaults(TRIPLET_HARD_PARAMS)
def triplet_hard_loss(
    y_true: Any,
    y_pred: Any,
    *,
    margin: float,
    soft: bool,
    distance_metric: str,
) -> Any:
    """Batch-hard triplet loss (Hermans et al. 2017), TensorFlow Addons' semantics.

    Per anchor: farthest positive ``d_p`` (0 when none) and closest negative ``d_n`` (the
    row's largest distance when none); ``max(d_p - d_n + margin, 0)``, or with ``soft``
    ``log(1 + exp(d_p - d_n))``; mean over anchors.

    Args:
        y_true: integer labels, shape (B,) or (B, 1).
        y_pred: embeddings (B, d).
        margin: the margin (unused when ``soft``).
        soft: soft-margin variant.
        distance_metric: ``"L2"``, ``"squared-L2"`` or ``"angular"``.

    Returns:
        A scalar, >= 0.

    Example:
        >>> triplet_hard_loss([0, 0], [[0.0, 1.0], [1.0, 0.0]])  # doctest: +SKIP
        1.0
    """
    labels = flat_labels(y_true)
    x = as_embeddings(y_pred)
    # Mine on a gradient-free distance matrix, then recompute only the 2B chosen distances
    # with gradients: the same value and gradient (ties aside), without keeping B x B
    # intermediates for the backward pass.
    d = ops.stop_gradient(pairwise_distance(x, distance_metric))
    same, diff, eye = label_masks(labels)
    pos = ops.logical_and(same, ops.logical_not(eye))
    rows = ops.arange(ops.shape(x)[0], dtype="int32")
    row_min = ops.min(d, axis=1, keepdims=True)
    row_max = ops.max(d, axis=1, keepdims=True)
    # no positive: d_p = row minimum = the anchor's distance to itself (0)
    p_idx = ops.where(
        ops.any(pos, axis=1),
        ops.cast(ops.argmax(ops.where(pos, d, row_min), axis=1), "int32"),
        rows,
    )
    # no negative: d_n = the row maximum
    n_idx = ops.cast(ops.argmin(ops.where(diff, d, row_max), axis=1), "int32")
    n_idx = ops.where(ops.any(diff, axis=1), n_idx, ops.cast(ops.argmax(d, axis=1), "int32"))
    gap = row_distance(x, p_idx, distance_metric) - row_distance(x, n_idx, distance_metric)
    per_anchor = ops.softplus(gap) if soft else ops.relu(gap + margin)
    return ops.mean(per_anchor)


@with_defaults(TRIPLET_BATCH_ALL_PARAMS)
def triplet_batch_all_loss(y_true: Any, y_pred: Any, *, margin: float, distance_metric: str) -> Any:
    """Batch-all triplet loss (Hermans et al. 2017, "BA≠0"): every valid triplet counts.

    ``sum_{a,p,n} max(margin + d_ap - d_an, 0) / #{triplets with a positive loss}`` (0 when
    there is none). Computed without the B^3 tensor: for each pair (a, p), the negatives
    closer than ``margin + d_ap`` are counted by binary search in a's sorted negative
    distances and summed with prefix sums.

    Args:
        y_true: integer labels, shape (B,) or (B, 1).
        y_pred: embeddings (B, d).
        margin: the margin.
        distance_metric: ``"L2"``, ``"squared-L2"`` or ``"angular"``.

    Returns:
        A scalar, >= 0.

    Example:
        >>> # two triplets (0, 1, 2) and (1, 0, 2), each 1.0 + d_ap 1.0 - d_an 0.5 = 1.5
        >>> triplet_batch_all_loss([0, 0, 1], [[0.0], [1.0], [0.5]])  # doctest: +SKIP
        1.5
    """
    labels = flat_labels(y_true)
    d = pairwise_distance(as_embeddings(y_pred), distance_metric)
    same, diff, eye = label_masks(labels)
    pos = ops.cast(ops.logical_and(same, ops.logical_not(eye)), d.dtype)
    sorted_neg = sorted_negatives(d, diff)
    n_neg = ops.sum(ops.cast(diff, "int32"), axis=1, keepdims=True)
    col = ops.expand_dims(ops.arange(ops.shape(d)[1], dtype="int32"), 0)
    finite = ops.where(ops.less(col, n_neg), sorted_neg, ops.zeros_like(sorted_neg))
    prefix = ops.concatenate([ops.zeros_like(finite[:, :1]), ops.cumsum(finite, axis=1)], axis=1)
    c = margin + d
    k = count_in_sorted(sorted_neg, c, strict=True)  # negatives with d_an < margin + d_ap
    s_k = ops.take_along_axis(prefix, k, axis=1)
    kf = ops.cast(k, d.dtype)
    total = ops.sum((kf * c - s_k) * pos)
    active = ops.sum(kf * pos)
    return total / ops.maximum(active, 1.0)


@with_defaults(LIFTED_PARAMS)
def lifted_struct_loss(y_true: Any, y_pred: Any, *, margin: float) -> Any:
    """Lifted structured loss (Oh Song et al. 2016) in TensorFlow Addons' form.

    ``J_ij = log(sum_{k not~i} e^{m - D_ik} + sum_{k not~j} e^{m - D_jk}) + D_ij`` for each
    ordered positive pair; loss ``sum max(J_ij, 0)^2 / (2 * #pairs)`` with Euclidean D.
    O(B^2): each row's log-sum-exp is computed once and pairs combine two of them.

    Args:
        y_true: integer labels, shape (B,) or (B, 1).
        y_pred: embeddings (B, d), not L2-normalised (the margin is in Euclidean units).
        margin: the margin.

    Returns:
        A scalar, >= 0; 0 when the batch has no positive pair.

    Example:
        >>> lifted_struct_loss([0, 0, 1], [[0.0], [0.1], [3.0]])  # doctest: +SKIP
    """
    labels = flat_labels(y_true)
    d = pairwise_distance(as_embeddings(y_pred), "L2")
    same, diff, eye = label_masks(labels)
    pos = ops.cast(ops.logical_and(same, ops.logical_not(eye)), d.dtype)
    logits = ops.where(diff, margin - d, ops.full_like(d, NEG_LARGE))
    row = ops.logsumexp(logits, axis=1)
    j = ops.logaddexp(ops.expand_dims(row, 1), ops.expand_dims(row, 0)) + d
    total = ops.sum(ops.square(ops.relu(j)) * pos)
    return total / ops.maximum(ops.sum(pos), 1.0) / 2.0


# --------------------------------------------------------------------------- classes
@register_loss_class
class ContrastiveLoss(LosslabLoss):
    """Keras loss for :func:`contrastive_loss` (TensorFlow Addons' ``ContrastiveLoss``)."""

    fn = staticmethod(contrastive_loss)
    PARAMS = CONTRASTIVE_PARAMS


@register_loss_class
class TripletSemiHardLoss(LosslabLoss):
    """Keras loss for :func:`triplet_semihard_loss` (TFA's ``TripletSemiHardLoss``)."""

    fn = staticmethod(triplet_semihard_loss)
    PARAMS = TRIPLET_SEMIHARD_PARAMS
    align = False


@register_loss_class
class TripletHardLoss(LosslabLoss):
    """Keras loss for :func:`triplet_hard_loss` (TFA's ``TripletHardLoss``)."""

    fn = staticmethod(triplet_hard_loss)
    PARAMS = TRIPLET_HARD_PARAMS
    align = False


@register_loss_class
class TripletBatchAllLoss(LosslabLoss):
    """Keras loss for :func:`triplet_batch_all_loss` (the batch-all option of triplet hard)."""

    fn = staticmethod(triplet_batch_all_loss)
    PARAMS = TRIPLET_BATCH_ALL_PARAMS
    align = False


@register_loss_class
class LiftedStructLoss(LosslabLoss):
    """Keras loss for :func:`lifted_struct_loss` (TFA's ``LiftedStructLoss``)."""

    fn = staticmethod(lifted_struct_loss)
    PARAMS = LIFTED_PARAMS
    align = False
