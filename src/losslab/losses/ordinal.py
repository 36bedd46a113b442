"""Ordinal losses Keras lacks: CORAL, CORN and the weighted kappa loss (replacing
TensorFlow Addons' ``WeightedKappaLoss``), with the helpers between integer labels,
ordinal targets, model outputs and class predictions.

CORAL and CORN models emit K - 1 logits for K ordered classes (head ``ordinal_logits``).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from keras import ops

from losslab._params import with_defaults
from losslab.errors import InvalidParameterError
from losslab.losses._base import LosslabLoss, compute_dtype, register_loss_class
from losslab.reference.ordinal import CORAL_PARAMS, CORN_PARAMS, WEIGHTED_KAPPA_PARAMS

__all__ = [
    "CoralLoss",
    "CornLoss",
    "WeightedKappaLoss",
    "coral",
    "coral_probabilities",
    "corn",
    "corn_probabilities",
    "labels_to_levels",
    "ordinal_labels",
    "weighted_kappa",
]


def _pred(y_pred: Any) -> Any:
    y_pred = ops.convert_to_tensor(y_pred)
    return ops.cast(y_pred, compute_dtype(y_pred))


def _labels(y_true: Any, y_pred: Any) -> Any:
    """Integer labels (N,) as y_pred's float dtype, from (N,) or (N, 1)."""
    y = ops.convert_to_tensor(y_true)
    if len(y.shape) == len(y_pred.shape) and y.shape[-1] == 1:
        y = ops.squeeze(y, -1)
    return ops.cast(y, y_pred.dtype)


def labels_to_levels(labels: Any, num_classes: int) -> Any:
    """Ordinal targets for CORAL: ``levels[i, k] = 1 if labels[i] > k``, k = 0 .. K-2.

    Args:
        labels: integer labels in [0, K), shape (N,).
        num_classes: K.

    Returns:
        float32 tensor (N, K-1) of 0/1.

    Example:
        >>> labels_to_levels([0, 2, 1], 3)  # [[0, 0], [1, 1], [1, 0]]  # doctest: +SKIP
    """
    y = ops.cast(ops.convert_to_tensor(labels), "float32")
    thresholds = ops.arange(num_classes - 1, dtype="float32")
    return ops.cast(ops.expand_dims(y, -1) > thresholds, "float32")


def coral_probabilities(logits: Any) -> Any:
    """Class probabilities (N, K) from CORAL's K-1 logits: ``P(y > k) = sigmoid(z_k)``, then
    differences of consecutive cumulative probabilities (clipped at 0, renormalised).

    Example:
        >>> coral_probabilities([[10.0, -10.0]])  # ~[[0, 1, 0]]  # doctest: +SKIP
    """
    z = _pred(logits)
    return _cumulative_to_probabilities(ops.sigmoid(z))


def corn_probabilities(logits: Any) -> Any:
    """Class probabilities (N, K) from CORN's K-1 conditional logits:
    ``P(y > k) = prod_{j <= k} sigmoid(z_j)`` (always decreasing, so always valid).

    Example:
        >>> corn_probabilities([[10.0, -10.0]])  # ~[[0, 1, 0]]  # doctest: +SKIP
    """
    z = _pred(logits)
    return _cumulative_to_probabilities(ops.exp(ops.cumsum(ops.log_sigmoid(z), axis=-1)))


def _cumulative_to_probabilities(p_greater: Any) -> Any:
    ones = ops.ones_like(p_greater[..., :1])
    cum = ops.concatenate([ones, p_greater, ops.zeros_like(ones)], axis=-1)
    probs = ops.relu(cum[..., :-1] - cum[..., 1:])
    return probs / ops.sum(probs, axis=-1, keepdims=True)


def ordinal_labels(probabilities: Any) -> Any:
    """Predicted labels from class probabilities (N, K): the median class, i.e. the number of
    k with ``P(y > k) > 0.5`` (the rule of CORAL and CORN).

    Example:
        >>> ordinal_labels([[0.1, 0.2, 0.7]])  # [2]  # doctest: +SKIP
    """
    p = _pred(probabilities)
    cum = ops.cumsum(p, axis=-1)[..., :-1]
    return ops.sum(ops.cast(cum < 0.5, "int32"), axis=-1)


@with_defaults(CORAL_PARAMS)
def coral(y_true: Any, y_pred: Any, *, importance: Sequence[float] | None) -> Any:
    """CORAL loss (Cao, Mirjalili and Raschka 2020): K-1 binary tasks "y > k", summed:

    ``-sum_k w_k [l_k log s(z_k) + (1 - l_k) log(1 - s(z_k))]``, ``l_k = 1[y > k]``.

    Args:
        y_true: integer labels in [0, K), shape (N,) or (N, 1).
        y_pred: K-1 logits (N, K-1).
        importance: optional weight per task (K-1 numbers).

    Returns:
        Per-sample loss (N,), >= 0.

    Example:
        >>> coral([2], [[0.0, 0.0]])  # 2 log 2  # doctest: +SKIP
    """
    z = _pred(y_pred)
    y = ops.expand_dims(_labels(y_true, z), -1)
    k = ops.arange(z.shape[-1], dtype=z.dtype)
    levels = ops.cast(y > k, z.dtype)
    term = levels * ops.log_sigmoid(z) + (1.0 - levels) * ops.log_sigmoid(-z)
    if importance is not None:
        if len(importance) != z.shape[-1]:
            raise InvalidParameterError(
                f"importance needs one weight per task (K-1 = {z.shape[-1]}). "
                f"Received: importance={list(importance)!r}."
            )
        term = term * ops.convert_to_tensor(list(importance), dtype=z.dtype)
    return -ops.sum(term, axis=-1)


def corn(y_true: Any, y_pred: Any) -> Any:
    """CORN loss (Shi, Cao and Raschka 2023): conditional binary tasks; task k ("y > k given
    y > k - 1") is trained only on samples with ``y >= k``:

    ``-sum_{k <= y} [1[y > k] log s(z_k) + 1[y = k] log(1 - s(z_k))]`` per sample.

    coral-pytorch's ``corn_loss`` divides the batch total by the number of (sample, task)
    pairs used; losslab keeps one value per sample (the per-sample sum), so sample weights
    and Keras reductions apply. The two differ by a batch-level constant factor.

    Args:
        y_true: integer labels in [0, K), shape (N,) or (N, 1).
        y_pred: K-1 conditional logits (N, K-1).

    Returns:
        Per-sample loss (N,), >= 0.

    Example:
        >>> corn([0], [[0.0, 5.0]])  # only task 0 counts: log 2  # doctest: +SKIP
    """
    z = _pred(y_pred)
    y = ops.expand_dims(_labels(y_true, z), -1)
    k = ops.arange(z.shape[-1], dtype=z.dtype)
    mask = ops.cast(y >= k, z.dtype)
    levels = ops.cast(y > k, z.dtype)
    term = levels * ops.log_sigmoid(z) + (1.0 - levels) * ops.log_sigmoid(-z)
    return -ops.sum(mask * term, axis=-1)


@with_defaults(WEIGHTED_KAPPA_PARAMS)
def weighted_kappa(
    y_true: Any,
    y_pred: Any,
    *,
    num_classes: int | None,
    weightage: str,
    epsilon: float,
) -> Any:
    """Weighted kappa loss (de La Torre et al. 2018), as TensorFlow Addons' ``WeightedKappaLoss``:

    ``log(sum_ij W[y_i, j] p_ij / ((hist_true W hist_pred^T) / N) + epsilon)`` with
    ``W[i, j] = |i - j|`` (linear) or ``(i - j)^2`` (quadratic). One value per batch.

    Args:
        y_true: one-hot labels (N, K) or integer labels (N,).
        y_pred: class probabilities (N, K) (softmax output).
        num_classes: K (None: y_pred's last axis).
        weightage: ``"linear"`` or ``"quadratic"``.
        epsilon: added inside the log.

    Returns:
        Scalar in (-inf, log 2]; lower is better (log(epsilon) at perfect predictions).

    Example:
        >>> # perfect agreement gives log(epsilon) = log(1e-6)
        >>> weighted_kappa([0, 1, 2], [[1.0, 0.0, 0.0], [0.0, 1.0, 0.0], [0.0, 0.0, 1.0]])  # doctest: +SKIP
        -13.815511
    """
    p = _pred(y_pred)
    k = p.shape[-1] if num_classes is None else int(num_classes)
    if p.shape[-1] is not None and p.shape[-1] != k:
        raise InvalidParameterError(
            f"num_classes={k} but y_pred has {p.shape[-1]} columns. "
            "Set num_classes to the number of classes of the softmax output (or leave it None)."
        )
    t = ops.convert_to_tensor(y_true)
    if len(t.shape) == len(p.shape) - 1 or (
        len(t.shape) == len(p.shape) and t.shape[-1] == 1 and k > 1
    ):
        if len(t.shape) == len(p.shape):
            t = ops.squeeze(t, -1)
        t = ops.one_hot(ops.cast(t, "int32"), k, dtype=p.dtype)
    t = ops.cast(t, p.dtype)
    idx = ops.arange(k, dtype=p.dtype)
    diff = ops.expand_dims(idx, -1) - ops.expand_dims(idx, 0)
    w = ops.abs(diff) if weightage == "linear" else diff * diff
    lab = ops.expand_dims(ops.sum(t * idx, axis=-1), -1) - idx
    weight = ops.abs(lab) if weightage == "linear" else lab * lab
    numerator = ops.sum(weight * p)
    hist_true = ops.sum(t, axis=0)
    hist_pred = ops.sum(p, axis=0)
    n = ops.cast(ops.shape(p)[0], p.dtype)
    denominator = ops.sum(hist_true * ops.matmul(w, hist_pred)) / n
    safe = ops.where(denominator == 0, ops.ones_like(denominator), denominator)
    ratio = ops.where(denominator == 0, ops.zeros_like(numerator), numerator / safe)
    return ops.log(ratio + epsilon)




@register_loss_class
class CoralLoss(LosslabLoss):
    """CORAL ordinal loss on K-1 logits. See :func:`coral`."""

    fn = staticmethod(coral)
    PARAMS = CORAL_PARAMS
    align = False


@register_loss_class
class CornLoss(LosslabLoss):
    """CORN ordinal loss on K-1 conditional logits. See :func:`corn`."""

    fn = staticmethod(corn)
    PARAMS = CORN_PARAMS
    align = False


@register_loss_class
class WeightedKappaLoss(LosslabLoss):
    """Weighted kappa loss; drop-in for ``tfa.losses.WeightedKappaLoss(num_classes, weightage,
    epsilon)``. See :func:`weighted_kappa`. One value per batch, so sample weights only scale it.
    """

    fn = staticmethod(weighted_kappa)
    PARAMS = WEIGHTED_KAPPA_PARAMS
    align = False

    POSITIONAL = ("num_classes",)  # tfa.losses.WeightedKappaLoss(num_classes, ...)
