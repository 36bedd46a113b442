"""Metric-learning losses TensorFlow Addons had and Keras 3 lacks, on every backend.

Contrastive (per pair), triplet semi-hard, triplet hard (batch-hard or batch-all), lifted
structured, n-pairs (single and multi-label), NT-Xent / InfoNCE and supervised contrastive
(SupCon). TensorFlow Addons' argument names are kept (``margin``, ``distance_metric``,
``soft``), so migrating is a change of import.

Except contrastive, each loss is defined on the whole batch (the negatives come from the
batch) and returns one scalar: the catalog marks them ``per_batch=True``. Sample weights
scale that scalar, they do not re-weight samples inside the batch.

Memory and time are O(B^2) (O(B^2 log B) for the sorts): the semi-hard negative of every
(anchor, positive) pair is found by a binary search in each anchor's sorted negative
distances, where TensorFlow Addons builds a B x B x B tensor. Everything is masks and fixed
loops over static sizes, so it is jit-safe on JAX.

Rules for degenerate batches (all documented in ``docs/losses.md``):

- a batch with no positive pair gives 0 (TensorFlow Addons divides 0 by 0: NaN);
- semi-hard: a pair with no farther negative uses the farthest negative; an anchor with no
  negative at all uses distance 0 (TensorFlow Addons' fallback, kept);
- hard: an anchor with no positive uses d_p = 0, one with no negative uses the largest
  distance of its row (TensorFlow Addons' fallback, kept).
"""

from __future__ import annotations

from typing import Any

from keras import ops

from losslab.errors import DataError
from losslab.losses._base import LosslabLoss, compute_dtype, register_loss_class
from losslab.reference.metric_learning import (
    CONTRASTIVE_PARAMS,
    LIFTED_PARAMS,
    NPAIRS_PARAMS,
    NTXENT_PARAMS,
    SUPCON_PARAMS,
    TRIPLET_BATCH_ALL_PARAMS,
    TRIPLET_HARD_PARAMS,
    TRIPLET_SEMIHARD_PARAMS,
)

__all__ = [
    "ContrastiveLoss",
    "LiftedStructLoss",
    "NpairsLoss",
    "NpairsMultilabelLoss",
    "NTXentLoss",
    "SupervisedContrastiveLoss",
    "TripletBatchAllLoss",
    "TripletHardLoss",
    "TripletSemiHardLoss",
    "contrastive_loss",
    "lifted_struct_loss",
    "npairs_loss",
    "npairs_loss_from_similarity",
    "npairs_multilabel_loss",
    "npairs_multilabel_loss_from_similarity",
    "nt_xent_loss",
    "pairwise_distance",
    "supervised_contrastive_loss",
    "triplet_batch_all_loss",
    "triplet_hard_loss",
    "triplet_semihard_loss",
]

_NEG_LARGE = -1e9  # a finite "minus infinity" for masked logits (finite gradients)


# --------------------------------------------------------------------------- helpers
def _embeddings(y_pred: Any) -> Any:
    y_pred = ops.convert_to_tensor(y_pred)
    return ops.cast(y_pred, compute_dtype(y_pred))


def _flat_labels(y_true: Any) -> Any:
    y = ops.convert_to_tensor(y_true)
    if len(y.shape) == 2 and y.shape[-1] == 1:
        y = ops.squeeze(y, -1)
    if len(y.shape) != 1:
        raise DataError(
            f"y_true must be class labels of shape (N,) or (N, 1). Received: shape {tuple(y.shape)}. "
            "Pass one integer label per embedding."
        )
    return y


def _masks(labels: Any) -> tuple[Any, Any, Any]:
    """(same label, different label, identity) boolean (B, B) masks."""
    same = ops.equal(ops.expand_dims(labels, 1), ops.expand_dims(labels, 0))
    idx = ops.arange(ops.shape(labels)[0])
    eye = ops.equal(ops.expand_dims(idx, 1), ops.expand_dims(idx, 0))
    return same, ops.logical_not(same), eye


def _l2_normalize(x: Any) -> Any:
    norm2 = ops.sum(ops.square(x), axis=-1, keepdims=True)
    return x * ops.rsqrt(ops.maximum(norm2, 1e-24))


def pairwise_distance(embeddings: Any, distance_metric: str = "L2") -> Any:
    """All pairwise distances of ``embeddings`` (B, d) -> (B, B), diagonal exactly 0.

    Args:
        embeddings: (B, d) float tensor.
        distance_metric: ``"L2"``, ``"squared-L2"`` or ``"angular"`` (1 - cosine similarity,
            clipped to [0, 2]).

    Returns:
        (B, B) non-negative distances. The square root has a finite gradient at 0
        (TensorFlow Addons' guard).

    Example:
        >>> pairwise_distance([[0.5, 0.5], [1.0, 1.0]])  # doctest: +SKIP
        [[0., 0.7071], [0.7071, 0.]]
    """
    x = _embeddings(embeddings)
    idx = ops.arange(ops.shape(x)[0])
    eye = ops.equal(ops.expand_dims(idx, 1), ops.expand_dims(idx, 0))
    zero = ops.zeros((), dtype=x.dtype)
    if distance_metric == "angular":
        xn = _l2_normalize(x)
        d = ops.clip(1.0 - ops.matmul(xn, ops.transpose(xn)), 0.0, 2.0)
        return ops.where(eye, zero, d)
    sq = ops.sum(ops.square(x), axis=1)
    d2 = ops.expand_dims(sq, 1) + ops.expand_dims(sq, 0) - 2.0 * ops.matmul(x, ops.transpose(x))
    d2 = ops.where(eye, zero, ops.maximum(d2, 0.0))
    if distance_metric == "squared-L2":
        return d2
    # sqrt with a finite gradient at 0: the clamped branch is never selected there
    return ops.where(ops.greater(d2, 0.0), ops.sqrt(ops.maximum(d2, 1e-16)), zero)


def _row_distance(x: Any, idx: Any, distance_metric: str) -> Any:
    """Distance from each row of ``x`` to row ``idx[i]`` (0 for itself), with gradients."""
    other = ops.take(x, idx, axis=0)
    if distance_metric == "angular":
        cos = ops.sum(_l2_normalize(x) * _l2_normalize(other), axis=1)
        self_pair = ops.equal(idx, ops.arange(ops.shape(x)[0], dtype="int32"))
        return ops.where(self_pair, ops.zeros((), dtype=x.dtype), ops.clip(1.0 - cos, 0.0, 2.0))
    d2 = ops.sum(ops.square(x - other), axis=1)
    if distance_metric == "squared-L2":
        return d2
    return ops.where(ops.greater(d2, 0.0), ops.sqrt(ops.maximum(d2, 1e-16)), ops.zeros((), dtype=x.dtype))


def _masked_max(d: Any, mask: Any) -> Any:
    """Row max over ``mask``; the row minimum when the mask is empty (TFA's fallback)."""
    row_min = ops.min(d, axis=1, keepdims=True)
    return ops.max(ops.where(mask, d, row_min), axis=1)


def _masked_min(d: Any, mask: Any) -> Any:
    """Row min over ``mask``; the row maximum when the mask is empty (TFA's fallback)."""
    row_max = ops.max(d, axis=1, keepdims=True)
    return ops.min(ops.where(mask, d, row_max), axis=1)


def _search_steps(b: Any) -> int:
    return int(b).bit_length() + 1 if isinstance(b, int) else 33


def _count_in_sorted(sorted_rows: Any, values: Any, *, strict: bool, native: bool = True) -> Any:
    """Per row r and column c: how many ``sorted_rows[r]`` are <= (or <, ``strict``) ``values[r, c]``.

    A batched binary search with a fixed number of steps (jit-safe), O(B^2 log B) time and
    O(B^2) memory. Each backend's native batched ``searchsorted`` is used when it has one;
    the portable fallback is a fixed-step binary search in ``keras.ops``.
    """
    import keras

    backend = keras.backend.backend() if native else "portable"
    side = "left" if strict else "right"
    if backend == "torch":
        import torch

        found = torch.searchsorted(sorted_rows.contiguous(), values.contiguous(), side=side)
        return found.to(torch.int32)
    if backend == "tensorflow":
        import tensorflow as tf

        return tf.searchsorted(sorted_rows, values, side=side, out_type=tf.int32)
    if backend == "jax":
        import jax
        import jax.numpy as jnp

        row_search = jax.vmap(lambda s, v: jnp.searchsorted(s, v, side=side, method="scan_unrolled"))
        return row_search(sorted_rows, values).astype(jnp.int32)
    b = sorted_rows.shape[1]
    n = ops.shape(sorted_rows)[1]
    lo = ops.zeros_like(values, dtype="int32")
    hi = lo + ops.cast(n, "int32")
    last = ops.cast(n, "int32") - 1
    for _ in range(_search_steps(b)):
        active = ops.less(lo, hi)
        mid = (lo + hi) // 2
        v = ops.take_along_axis(sorted_rows, ops.minimum(mid, last), axis=1)
        right = ops.less(v, values) if strict else ops.less_equal(v, values)
        lo = ops.where(ops.logical_and(active, right), mid + 1, lo)
        hi = ops.where(ops.logical_and(active, ops.logical_not(right)), mid, hi)
    return lo


def _sorted_negatives(d: Any, diff: Any) -> Any:
    """Each row's negative distances in ascending order, padded with +inf."""
    inf = ops.cast(float("inf"), d.dtype)
    return ops.sort(ops.where(diff, d, inf), axis=1)


# --------------------------------------------------------------------------- functions
def contrastive_loss(y_true: Any, y_pred: Any, *, margin: float = 1.0) -> Any:
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
    d = _embeddings(y_pred)
    y = ops.cast(y_true, d.dtype)
    return y * ops.square(d) + (1.0 - y) * ops.square(ops.relu(margin - d))


def triplet_semihard_loss(
    y_true: Any, y_pred: Any, *, margin: float = 1.0, distance_metric: str = "L2"
) -> Any:
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
    labels = _flat_labels(y_true)
    x = _embeddings(y_pred)
    d = pairwise_distance(x, distance_metric)
    same, diff, eye = _masks(labels)
    pos = ops.logical_and(same, ops.logical_not(eye))
    sorted_neg = _sorted_negatives(d, diff)
    k = _count_in_sorted(sorted_neg, d, strict=False)  # negatives with d_an <= d_ap
    n_neg = ops.sum(ops.cast(diff, "int32"), axis=1, keepdims=True)
    has_farther = ops.less(k, n_neg)
    last = ops.cast(ops.shape(d)[1], "int32") - 1
    farther = ops.take_along_axis(sorted_neg, ops.minimum(k, last), axis=1)
    inside = ops.expand_dims(_masked_max(d, diff), 1)
    d_an = ops.where(has_farther, farther, inside)
    loss = ops.where(pos, ops.relu(margin + d - d_an), ops.zeros((), dtype=d.dtype))
    n_pos = ops.sum(ops.cast(pos, d.dtype))
    return ops.sum(loss) / ops.maximum(n_pos, 1.0)


def triplet_hard_loss(
    y_true: Any,
    y_pred: Any,
    *,
    margin: float = 1.0,
    soft: bool = False,
    distance_metric: str = "L2",
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
    labels = _flat_labels(y_true)
    x = _embeddings(y_pred)
    # Mine on a gradient-free distance matrix, then recompute only the 2B chosen distances
    # with gradients: the same value and gradient (ties aside), without keeping B x B
    # intermediates for the backward pass.
    d = ops.stop_gradient(pairwise_distance(x, distance_metric))
    same, diff, eye = _masks(labels)
    pos = ops.logical_and(same, ops.logical_not(eye))
    rows = ops.arange(ops.shape(x)[0], dtype="int32")
    row_min = ops.min(d, axis=1, keepdims=True)
    row_max = ops.max(d, axis=1, keepdims=True)
    # no positive: d_p = row minimum = the anchor's distance to itself (0)
    p_idx = ops.where(
        ops.any(pos, axis=1), ops.cast(ops.argmax(ops.where(pos, d, row_min), axis=1), "int32"), rows
    )
    # no negative: d_n = the row maximum
    n_idx = ops.cast(ops.argmin(ops.where(diff, d, row_max), axis=1), "int32")
    n_idx = ops.where(ops.any(diff, axis=1), n_idx, ops.cast(ops.argmax(d, axis=1), "int32"))
    gap = _row_distance(x, p_idx, distance_metric) - _row_distance(x, n_idx, distance_metric)
    per_anchor = ops.softplus(gap) if soft else ops.relu(gap + margin)
    return ops.mean(per_anchor)


def triplet_batch_all_loss(
    y_true: Any, y_pred: Any, *, margin: float = 1.0, distance_metric: str = "L2"
) -> Any:
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
    labels = _flat_labels(y_true)
    d = pairwise_distance(_embeddings(y_pred), distance_metric)
    same, diff, eye = _masks(labels)
    pos = ops.cast(ops.logical_and(same, ops.logical_not(eye)), d.dtype)
    sorted_neg = _sorted_negatives(d, diff)
    n_neg = ops.sum(ops.cast(diff, "int32"), axis=1, keepdims=True)
    col = ops.expand_dims(ops.arange(ops.shape(d)[1], dtype="int32"), 0)
    finite = ops.where(ops.less(col, n_neg), sorted_neg, ops.zeros_like(sorted_neg))
    prefix = ops.concatenate([ops.zeros_like(finite[:, :1]), ops.cumsum(finite, axis=1)], axis=1)
    c = margin + d
    k = _count_in_sorted(sorted_neg, c, strict=True)  # negatives with d_an < margin + d_ap
    s_k = ops.take_along_axis(prefix, k, axis=1)
    kf = ops.cast(k, d.dtype)
    total = ops.sum((kf * c - s_k) * pos)
    active = ops.sum(kf * pos)
    return total / ops.maximum(active, 1.0)


def lifted_struct_loss(y_true: Any, y_pred: Any, *, margin: float = 1.0) -> Any:
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
    labels = _flat_labels(y_true)
    d = pairwise_distance(_embeddings(y_pred), "L2")
    same, diff, eye = _masks(labels)
    pos = ops.cast(ops.logical_and(same, ops.logical_not(eye)), d.dtype)
    logits = ops.where(diff, margin - d, ops.full_like(d, _NEG_LARGE))
    row = ops.logsumexp(logits, axis=1)
    j = ops.logaddexp(ops.expand_dims(row, 1), ops.expand_dims(row, 0)) + d
    total = ops.sum(ops.square(ops.relu(j)) * pos)
    return total / ops.maximum(ops.sum(pos), 1.0) / 2.0


def _xent_with_targets(targets: Any, similarity: Any) -> Any:
    return -ops.sum(targets * ops.log_softmax(similarity, axis=1), axis=1)


def npairs_loss_from_similarity(y_true: Any, similarity: Any) -> Any:
    """N-pairs loss from a similarity matrix: TensorFlow Addons' ``npairs_loss`` inputs.

    Args:
        y_true: integer labels (B,) or (B, 1).
        similarity: (B, B) similarities ``f(anchors) @ f(positives).T``.

    Returns:
        Scalar: mean over rows of the softmax cross-entropy between the row and the
        label-equality row normalised to sum 1.

    Example:
        >>> npairs_loss_from_similarity([0, 1], [[1.0, 0.0], [0.0, 1.0]])  # doctest: +SKIP
    """
    labels = _flat_labels(y_true)
    s = _embeddings(similarity)
    same, _, _ = _masks(labels)
    t = ops.cast(same, s.dtype)
    t = t / ops.sum(t, axis=1, keepdims=True)
    return ops.mean(_xent_with_targets(t, s))


def npairs_multilabel_loss_from_similarity(y_true: Any, similarity: Any) -> Any:
    """Multilabel n-pairs from a similarity matrix (TFA's ``npairs_multilabel_loss`` inputs).

    Args:
        y_true: multi-hot labels (B, C).
        similarity: (B, B) similarities.

    Returns:
        Scalar: mean over rows that have a label of the cross-entropy with targets
        ``Y Y^T`` normalised per row (rows without labels are left out; 0 if none is left).

    Example:
        >>> npairs_multilabel_loss_from_similarity([[1, 0], [0, 1]], [[1.0, 0.0], [0.0, 1.0]])  # doctest: +SKIP
    """
    s = _embeddings(similarity)
    y = ops.cast(y_true, s.dtype)
    t = ops.matmul(y, ops.transpose(y))
    rowsum = ops.sum(t, axis=1, keepdims=True)
    valid = ops.cast(ops.greater(rowsum, 0.0), s.dtype)
    t = t / ops.maximum(rowsum, 1e-12)
    per_row = _xent_with_targets(t, s) * ops.squeeze(valid, 1)
    return ops.sum(per_row) / ops.maximum(ops.sum(valid), 1.0)


def _split_pairs(y_pred: Any) -> tuple[Any, Any]:
    z = _embeddings(y_pred)
    width = z.shape[-1]
    if len(z.shape) != 2 or width is None or width % 2:
        raise DataError(
            "y_pred must hold two embeddings side by side, shape (N, 2 * d). "
            f"Received: shape {tuple(z.shape)}. Concatenate the two embeddings on the last axis."
        )
    h = width // 2
    return z[:, :h], z[:, h:]


def npairs_loss(y_true: Any, y_pred: Any) -> Any:
    """N-pairs loss (Sohn 2016) on ``y_pred = [anchors | positives]`` of shape (N, 2d).

    The similarity is ``anchors @ positives.T``; see :func:`npairs_loss_from_similarity`.
    No normalisation: add L2 regularisation on the embeddings as the paper does.

    Args:
        y_true: integer labels (N,) or (N, 1), one per (anchor, positive) pair.
        y_pred: (N, 2d) anchor embedding then positive embedding.

    Returns:
        A scalar, >= 0.

    Example:
        >>> npairs_loss([0, 1], [[1.0, 0.0, 1.0, 0.0], [0.0, 1.0, 0.0, 1.0]])  # doctest: +SKIP
    """
    a, p = _split_pairs(y_pred)
    return npairs_loss_from_similarity(y_true, ops.matmul(a, ops.transpose(p)))


def npairs_multilabel_loss(y_true: Any, y_pred: Any) -> Any:
    """Multilabel n-pairs on ``y_pred = [anchors | positives]`` and multi-hot ``y_true`` (N, C).

    Args:
        y_true: multi-hot labels (N, C).
        y_pred: (N, 2d) anchor embedding then positive embedding.

    Returns:
        A scalar, >= 0.

    Example:
        >>> npairs_multilabel_loss([[1, 0], [0, 1]], [[1.0, 0.0, 1.0, 0.0], [0.0, 1.0, 0.0, 1.0]])  # doctest: +SKIP
    """
    a, p = _split_pairs(y_pred)
    return npairs_multilabel_loss_from_similarity(y_true, ops.matmul(a, ops.transpose(p)))


def _self_masked_logits(z: Any, temperature: float) -> tuple[Any, Any]:
    s = ops.matmul(z, ops.transpose(z)) / temperature
    idx = ops.arange(ops.shape(z)[0])
    eye = ops.equal(ops.expand_dims(idx, 1), ops.expand_dims(idx, 0))
    masked = ops.where(eye, ops.full_like(s, _NEG_LARGE), s)
    return s, ops.logsumexp(masked, axis=1, keepdims=True)


def nt_xent_loss(y_true: Any, y_pred: Any, *, temperature: float = 0.1) -> Any:
    """NT-Xent / InfoNCE (Chen et al. 2020, SimCLR) on two views ``[view1 | view2]``.

    Views are L2-normalised; each of the 2N views has its other view as positive and the
    2N - 2 remaining views as negatives:
    ``mean_i [ -s_ip / t + log sum_{k != i} exp(s_ik / t) ]``.

    Args:
        y_true: unused (the pairing is given by the layout); pass zeros of shape (N,).
        y_pred: (N, 2d): the embedding of the first view, then of the second view.
        temperature: softmax temperature.

    Returns:
        A scalar, >= 0 up to log(2N - 1) - 1/t bounds.

    Example:
        >>> nt_xent_loss([0, 0], [[1.0, 0.0, 1.0, 0.1], [0.0, 1.0, 0.1, 1.0]])  # doctest: +SKIP
    """
    a, p = _split_pairs(y_pred)
    z = _l2_normalize(ops.concatenate([a, p], axis=0))
    s, lse = _self_masked_logits(z, temperature)
    m = ops.shape(z)[0]
    n = m // 2
    idx = ops.arange(m)
    partner = ops.expand_dims((idx + n) % m, 1)
    s_pos = ops.take_along_axis(s, partner, axis=1)
    return ops.mean(lse - s_pos)


def supervised_contrastive_loss(y_true: Any, y_pred: Any, *, temperature: float = 0.1) -> Any:
    """Supervised contrastive loss, L_out form (Khosla et al. 2020), one view per sample.

    ``mean_{i: P(i) != {}} -1/|P(i)| sum_{p in P(i)} log(exp(s_ip/t) / sum_{k != i} exp(s_ik/t))``
    with cosine similarities and P(i) the other samples of i's class. Anchors without a
    positive are left out; a batch without any positive pair gives 0.

    Args:
        y_true: integer labels (B,) or (B, 1).
        y_pred: embeddings (B, d) (normalised here).
        temperature: softmax temperature.

    Returns:
        A scalar, >= 0.

    Example:
        >>> supervised_contrastive_loss([0, 0, 1], [[1.0, 0.0], [0.9, 0.1], [0.0, 1.0]])  # doctest: +SKIP
    """
    labels = _flat_labels(y_true)
    z = _l2_normalize(_embeddings(y_pred))
    s, lse = _self_masked_logits(z, temperature)
    same, _, eye = _masks(labels)
    pos = ops.cast(ops.logical_and(same, ops.logical_not(eye)), z.dtype)
    n_pos = ops.sum(pos, axis=1)
    mean_log_prob = ops.sum(pos * (s - lse), axis=1) / ops.maximum(n_pos, 1.0)
    valid = ops.cast(ops.greater(n_pos, 0.0), z.dtype)
    return -ops.sum(mean_log_prob * valid) / ops.maximum(ops.sum(valid), 1.0)


# --------------------------------------------------------------------------- classes
@register_loss_class
class ContrastiveLoss(LosslabLoss):
    """Keras loss for :func:`contrastive_loss` (TensorFlow Addons' ``ContrastiveLoss``)."""

    fn = staticmethod(contrastive_loss)
    PARAMS = CONTRASTIVE_PARAMS

    def __init__(
        self,
        *,
        margin: float = 1.0,
        reduction: str | None = "sum_over_batch_size",
        name: str | None = None,
        dtype: Any = None,
    ) -> None:
        super().__init__(margin=margin, reduction=reduction, name=name, dtype=dtype)


@register_loss_class
class TripletSemiHardLoss(LosslabLoss):
    """Keras loss for :func:`triplet_semihard_loss` (TFA's ``TripletSemiHardLoss``)."""

    fn = staticmethod(triplet_semihard_loss)
    PARAMS = TRIPLET_SEMIHARD_PARAMS
    align = False

    def __init__(
        self,
        *,
        margin: float = 1.0,
        distance_metric: str = "L2",
        reduction: str | None = "sum_over_batch_size",
        name: str | None = None,
        dtype: Any = None,
    ) -> None:
        super().__init__(
            margin=margin, distance_metric=distance_metric, reduction=reduction, name=name, dtype=dtype
        )


@register_loss_class
class TripletHardLoss(LosslabLoss):
    """Keras loss for :func:`triplet_hard_loss` (TFA's ``TripletHardLoss``)."""

    fn = staticmethod(triplet_hard_loss)
    PARAMS = TRIPLET_HARD_PARAMS
    align = False

    def __init__(
        self,
        *,
        margin: float = 1.0,
        soft: bool = False,
        distance_metric: str = "L2",
        reduction: str | None = "sum_over_batch_size",
        name: str | None = None,
        dtype: Any = None,
    ) -> None:
        super().__init__(
            margin=margin,
            soft=soft,
            distance_metric=distance_metric,
            reduction=reduction,
            name=name,
            dtype=dtype,
        )


@register_loss_class
class TripletBatchAllLoss(LosslabLoss):
    """Keras loss for :func:`triplet_batch_all_loss` (the batch-all option of triplet hard)."""

    fn = staticmethod(triplet_batch_all_loss)
    PARAMS = TRIPLET_BATCH_ALL_PARAMS
    align = False

    def __init__(
        self,
        *,
        margin: float = 1.0,
        distance_metric: str = "L2",
        reduction: str | None = "sum_over_batch_size",
        name: str | None = None,
        dtype: Any = None,
    ) -> None:
        super().__init__(
            margin=margin, distance_metric=distance_metric, reduction=reduction, name=name, dtype=dtype
        )


@register_loss_class
class LiftedStructLoss(LosslabLoss):
    """Keras loss for :func:`lifted_struct_loss` (TFA's ``LiftedStructLoss``)."""

    fn = staticmethod(lifted_struct_loss)
    PARAMS = LIFTED_PARAMS
    align = False

    def __init__(
        self,
        *,
        margin: float = 1.0,
        reduction: str | None = "sum_over_batch_size",
        name: str | None = None,
        dtype: Any = None,
    ) -> None:
        super().__init__(margin=margin, reduction=reduction, name=name, dtype=dtype)


@register_loss_class
class NpairsLoss(LosslabLoss):
    """Keras loss for :func:`npairs_loss` (y_pred = [anchors | positives])."""

    fn = staticmethod(npairs_loss)
    PARAMS = NPAIRS_PARAMS
    align = False

    def __init__(
        self,
        *,
        reduction: str | None = "sum_over_batch_size",
        name: str | None = None,
        dtype: Any = None,
    ) -> None:
        super().__init__(reduction=reduction, name=name, dtype=dtype)


@register_loss_class
class NpairsMultilabelLoss(LosslabLoss):
    """Keras loss for :func:`npairs_multilabel_loss` (y_pred = [anchors | positives])."""

    fn = staticmethod(npairs_multilabel_loss)
    PARAMS = NPAIRS_PARAMS
    align = False

    def __init__(
        self,
        *,
        reduction: str | None = "sum_over_batch_size",
        name: str | None = None,
        dtype: Any = None,
    ) -> None:
        super().__init__(reduction=reduction, name=name, dtype=dtype)


@register_loss_class
class NTXentLoss(LosslabLoss):
    """Keras loss for :func:`nt_xent_loss` (SimCLR's NT-Xent, InfoNCE)."""

    fn = staticmethod(nt_xent_loss)
    PARAMS = NTXENT_PARAMS
    align = False

    def __init__(
        self,
        *,
        temperature: float = 0.1,
        reduction: str | None = "sum_over_batch_size",
        name: str | None = None,
        dtype: Any = None,
    ) -> None:
        super().__init__(temperature=temperature, reduction=reduction, name=name, dtype=dtype)


@register_loss_class
class SupervisedContrastiveLoss(LosslabLoss):
    """Keras loss for :func:`supervised_contrastive_loss` (SupCon)."""

    fn = staticmethod(supervised_contrastive_loss)
    PARAMS = SUPCON_PARAMS
    align = False

    def __init__(
        self,
        *,
        temperature: float = 0.1,
        reduction: str | None = "sum_over_batch_size",
        name: str | None = None,
        dtype: Any = None,
    ) -> None:
        super().__init__(temperature=temperature, reduction=reduction, name=name, dtype=dtype)
