"""Softmax-over-the-batch losses: n-pairs (single and multi-label), NT-Xent / InfoNCE and SupCon."""

from __future__ import annotations

from typing import Any

from keras import ops

from losslab._params import with_defaults
from losslab.errors import DataError
from losslab.losses._base import LosslabLoss, register_loss_class
from losslab.losses.metric_learning._mining import (
    NEG_LARGE,
    as_embeddings,
    flat_labels,
    l2_normalize,
    label_masks,
)
from losslab.reference.metric_learning import NPAIRS_PARAMS, NTXENT_PARAMS, SUPCON_PARAMS

__all__ = [
    "NTXentLoss",
    "NpairsLoss",
    "NpairsMultilabelLoss",
    "SupervisedContrastiveLoss",
    "npairs_loss",
    "npairs_loss_from_similarity",
    "npairs_multilabel_loss",
    "npairs_multilabel_loss_from_similarity",
    "nt_xent_loss",
    "supervised_contrastive_loss",
]


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
    labels = flat_labels(y_true)
    s = as_embeddings(similarity)
    same, _, _ = label_masks(labels)
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
    s = as_embeddings(similarity)
    y = ops.cast(y_true, s.dtype)
    t = ops.matmul(y, ops.transpose(y))
    rowsum = ops.sum(t, axis=1, keepdims=True)
    valid = ops.cast(ops.greater(rowsum, 0.0), s.dtype)
    t = t / ops.maximum(rowsum, 1e-12)
    per_row = _xent_with_targets(t, s) * ops.squeeze(valid, 1)
    return ops.sum(per_row) / ops.maximum(ops.sum(valid), 1.0)


def _split_pairs(y_pred: Any) -> tuple[Any, Any]:
    z = as_embeddings(y_pred)
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
    masked = ops.where(eye, ops.full_like(s, NEG_LARGE), s)
    return s, ops.logsumexp(masked, axis=1, keepdims=True)


@with_defaults(NTXENT_PARAMS)
def nt_xent_loss(y_true: Any, y_pred: Any, *, temperature: float) -> Any:
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
    z = l2_normalize(ops.concatenate([a, p], axis=0))
    s, lse = _self_masked_logits(z, temperature)
    m = ops.shape(z)[0]
    n = m // 2
    idx = ops.arange(m)
    partner = ops.expand_dims((idx + n) % m, 1)
    s_pos = ops.take_along_axis(s, partner, axis=1)
    return ops.mean(lse - s_pos)


@with_defaults(SUPCON_PARAMS)
def supervised_contrastive_loss(y_true: Any, y_pred: Any, *, temperature: float) -> Any:
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
    labels = flat_labels(y_true)
    z = l2_normalize(as_embeddings(y_pred))
    s, lse = _self_masked_logits(z, temperature)
    same, _, eye = label_masks(labels)
    pos = ops.cast(ops.logical_and(same, ops.logical_not(eye)), z.dtype)
    n_pos = ops.sum(pos, axis=1)
    mean_log_prob = ops.sum(pos * (s - lse), axis=1) / ops.maximum(n_pos, 1.0)
    valid = ops.cast(ops.greater(n_pos, 0.0), z.dtype)
    return -ops.sum(mean_log_prob * valid) / ops.maximum(ops.sum(valid), 1.0)


# --------------------------------------------------------------------------- classes
@register_loss_class
class NpairsLoss(LosslabLoss):
    """Keras loss for :func:`npairs_loss` (y_pred = [anchors | positives])."""

    fn = staticmethod(npairs_loss)
    PARAMS = NPAIRS_PARAMS
    align = False


@register_loss_class
class NpairsMultilabelLoss(LosslabLoss):
    """Keras loss for :func:`npairs_multilabel_loss` (y_pred = [anchors | positives])."""

    fn = staticmethod(npairs_multilabel_loss)
    PARAMS = NPAIRS_PARAMS
    align = False


@register_loss_class
class NTXentLoss(LosslabLoss):
    """Keras loss for :func:`nt_xent_loss` (SimCLR's NT-Xent, InfoNCE)."""

    fn = staticmethod(nt_xent_loss)
    PARAMS = NTXENT_PARAMS
    align = False


@register_loss_class
class SupervisedContrastiveLoss(LosslabLoss):
    """Keras loss for :func:`supervised_contrastive_loss` (SupCon)."""

    fn = staticmethod(supervised_contrastive_loss)
    PARAMS = SUPCON_PARAMS
    align = False
