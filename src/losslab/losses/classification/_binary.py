"""Binary and multilabel losses: BCE with ``pos_weight`` and the asymmetric loss (ASL)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from keras import ops

from losslab._params import with_defaults
from losslab.losses._base import LosslabLoss, register_loss_class
from losslab.losses.classification._common import EPS, binary_log_probs, cast_pair, safe_pow
from losslab.reference.classification import ASYMMETRIC_PARAMS, WEIGHTED_BCE_PARAMS

__all__ = [
    "AsymmetricLoss",
    "WeightedBinaryCrossentropy",
    "asymmetric_loss",
    "weighted_binary_crossentropy",
]


@with_defaults(WEIGHTED_BCE_PARAMS)
def weighted_binary_crossentropy(
    y_true: Any,
    y_pred: Any,
    *,
    pos_weight: float | Sequence[float],
    from_logits: bool,
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
    y_true, y_pred = cast_pair(y_true, y_pred)
    lp, lq = binary_log_probs(y_pred, from_logits)
    w = (
        ops.convert_to_tensor(pos_weight, dtype=y_pred.dtype)
        if isinstance(pos_weight, Sequence)
        else pos_weight
    )
    return ops.mean(-(w * y_true * lp + (1.0 - y_true) * lq), axis=-1)


@with_defaults(ASYMMETRIC_PARAMS)
def asymmetric_loss(
    y_true: Any,
    y_pred: Any,
    *,
    gamma_neg: float,
    gamma_pos: float,
    clip: float,
    from_logits: bool,
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
    y_true, y_pred = cast_pair(y_true, y_pred)
    lp, lq = binary_log_probs(y_pred, from_logits)
    p = ops.sigmoid(y_pred) if from_logits else ops.clip(y_pred, EPS, 1.0 - EPS)
    if clip > 0:
        pm = ops.relu(p - clip)
        lq = ops.log1p(-pm)
    else:
        pm = p
    pos = safe_pow(1.0 - p, gamma_pos) * lp
    neg = safe_pow(pm, gamma_neg) * lq
    return -ops.sum(y_true * pos + (1.0 - y_true) * neg, axis=-1)


@register_loss_class
class WeightedBinaryCrossentropy(LosslabLoss):
    """Binary cross-entropy with ``pos_weight``. See :func:`weighted_binary_crossentropy`."""

    fn = staticmethod(weighted_binary_crossentropy)
    PARAMS = WEIGHTED_BCE_PARAMS


@register_loss_class
class AsymmetricLoss(LosslabLoss):
    """Asymmetric loss (ASL) for multilabel classification. See :func:`asymmetric_loss`."""

    fn = staticmethod(asymmetric_loss)
    PARAMS = ASYMMETRIC_PARAMS
