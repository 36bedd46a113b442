"""Segmentation losses Keras lacks: soft Dice and Jaccard per sample, focal Tversky,
Lovász hinge, Lovász-softmax and the Matthews-correlation (MCC) loss.

Keras 3's ``Dice`` and ``Tversky`` collapse the whole batch into one score; these score
each sample's image (``per_sample=True``, the default: one value per sample, so sample
weights work) or the whole batch (``per_sample=False``: one value per batch), with a
smoothing term, per class, then average over classes.

Layout is channels-last. ``mode="binary"``: y_true / y_pred ``(N, ..., 1)``;
``"multilabel"``: ``(N, ..., C)`` with one sigmoid per channel; ``"multiclass"``: y_pred
``(N, ..., C)`` softmax scores and y_true integer class ids ``(N, ...)`` / ``(N, ..., 1)``
or one-hot ``(N, ..., C)``. ``from_logits=True`` applies the sigmoid / softmax here.
Spatial sizes must be static (they are in any Keras model with a fixed input size).
"""

from __future__ import annotations

import math
from typing import Any

from keras import ops

from losslab._params import with_defaults
from losslab.errors import DataError
from losslab.losses._base import LosslabLoss, compute_dtype, register_loss_class
from losslab.reference.segmentation import (
    DICE_PARAMS,
    EPS,
    FOCAL_TVERSKY_PARAMS,
    JACCARD_PARAMS,
    LOVASZ_HINGE_PARAMS,
    LOVASZ_SOFTMAX_PARAMS,
    MCC_PARAMS,
)

__all__ = [
    "DiceLoss",
    "FocalTverskyLoss",
    "JaccardLoss",
    "LovaszHingeLoss",
    "LovaszSoftmaxLoss",
    "MCCLoss",
    "dice_loss",
    "focal_tversky_loss",
    "jaccard_loss",
    "lovasz_hinge_loss",
    "lovasz_softmax_loss",
    "mcc_loss",
]


def _prepare(y_true: Any, y_pred: Any, mode: str, from_logits: bool) -> tuple[Any, Any]:
    """(targets, probabilities), both ``(N, P, C)`` in the compute dtype."""
    y_pred = ops.convert_to_tensor(y_pred)
    p = ops.cast(y_pred, compute_dtype(y_pred))
    t = ops.convert_to_tensor(y_true)
    if mode == "multiclass":
        c = p.shape[-1]
        if c is None or c < 2:
            raise DataError(
                f"mode='multiclass' needs y_pred with C >= 2 class scores on the last axis. "
                f"Received: shape {tuple(p.shape)}. Use mode='binary' for one channel."
            )
        if from_logits:
            p = ops.softmax(p, axis=-1)
        if len(t.shape) == len(p.shape) and t.shape[-1] == c:
            t = ops.cast(t, p.dtype)
        else:
            if len(t.shape) == len(p.shape) and t.shape[-1] == 1:
                t = ops.squeeze(t, -1)
            t = ops.one_hot(ops.cast(t, "int32"), c, dtype=p.dtype)
    else:
        if from_logits:
            p = ops.sigmoid(p)
        t = ops.cast(t, p.dtype)
        if mode == "binary" and p.shape[-1] != 1:  # no channel axis: add one
            p = ops.expand_dims(p, -1)
        if mode == "binary" and t.shape[-1] != 1:
            t = ops.expand_dims(t, -1)
        if len(t.shape) == len(p.shape) - 1:
            t = ops.expand_dims(t, -1)
        elif len(p.shape) == len(t.shape) - 1:
            p = ops.expand_dims(p, -1)
    if len(p.shape) < 2 or tuple(t.shape[1:]) != tuple(p.shape[1:]):
        raise DataError(
            f"y_true and y_pred do not match for mode={mode!r}. Received: y_true shape "
            f"{tuple(ops.shape(y_true))}, y_pred shape {tuple(p.shape)}. Binary and multilabel "
            "targets have y_pred's shape; multiclass targets are class ids (N, ...) or one-hot."
        )
    c = p.shape[-1]
    pixels = math.prod(int(s) for s in p.shape[1:-1]) if len(p.shape) > 2 else 1
    return ops.reshape(t, (-1, pixels, c)), ops.reshape(p, (-1, pixels, c))


def _counts(t: Any, p: Any, per_sample: bool) -> tuple[Any, Any, Any, Any, Any]:
    """Soft TP, FP, FN, TN and target sums: (N, C) per sample or (1, C) for the batch."""
    if not per_sample:
        c = p.shape[-1]
        t = ops.reshape(t, (1, -1, c))
        p = ops.reshape(p, (1, -1, c))
    tp = ops.sum(p * t, axis=1)
    fp = ops.sum(p * (1.0 - t), axis=1)
    fn = ops.sum((1.0 - p) * t, axis=1)
    tn = ops.sum((1.0 - p) * (1.0 - t), axis=1)
    return tp, fp, fn, tn, ops.sum(t, axis=1)


def _finish(loss_c: Any, t_sum: Any, ignore_empty: bool, per_sample: bool) -> Any:
    if ignore_empty:
        loss_c = loss_c * ops.cast(ops.greater(t_sum, 0.0), loss_c.dtype)
    out = ops.mean(loss_c, axis=-1)
    return out if per_sample else out[0]


@with_defaults(DICE_PARAMS)
def dice_loss(
    y_true: Any,
    y_pred: Any,
    *,
    mode: str,
    from_logits: bool,
    smooth: float,
    per_sample: bool,
    ignore_empty: bool,
) -> Any:
    """Soft Dice loss, per sample (or per batch), averaged over classes.

    ``1 - (2 TP + smooth) / max(2 TP + FP + FN + smooth, eps)`` with soft counts
    ``TP = sum p t``, ``FP = sum p (1 - t)``, ``FN = sum (1 - p) t`` (segmentation_models.pytorch's
    ``soft_dice_score``; Milletari et al. 2016 with a smoothing term).

    Args:
        y_true: masks (see the module docstring for each ``mode``).
        y_pred: probabilities, or logits with ``from_logits=True``; channels last.
        mode: ``"binary"``, ``"multiclass"`` or ``"multilabel"``.
        from_logits: apply the sigmoid / softmax here.
        smooth: added to numerator and denominator (an empty mask predicted empty scores 1).
        per_sample: one value per sample (True) or one for the whole batch (False).
        ignore_empty: classes absent from a sample's y_true contribute 0.

    Returns:
        (N,) values in [0, 1] (a scalar when ``per_sample=False``); 0 is a perfect overlap.

    Example:
        >>> dice_loss([[[1.0], [0.0]]], [[[1.0], [0.0]]], smooth=0.0)  # doctest: +SKIP
        [0.]
    """
    t, p = _prepare(y_true, y_pred, mode, from_logits)
    tp, fp, fn, _, ts = _counts(t, p, per_sample)
    score = (2.0 * tp + smooth) / ops.maximum(2.0 * tp + fp + fn + smooth, EPS)
    return _finish(1.0 - score, ts, ignore_empty, per_sample)


@with_defaults(DICE_PARAMS)
def jaccard_loss(
    y_true: Any,
    y_pred: Any,
    *,
    mode: str,
    from_logits: bool,
    smooth: float,
    per_sample: bool,
    ignore_empty: bool,
) -> Any:
    """Soft Jaccard (IoU) loss: ``1 - (TP + smooth) / max(TP + FP + FN + smooth, eps)``.

    Args:
        y_true: masks (see the module docstring for each ``mode``).
        y_pred: probabilities, or logits with ``from_logits=True``; channels last.
        mode: ``"binary"``, ``"multiclass"`` or ``"multilabel"``.
        from_logits: apply the sigmoid / softmax here.
        smooth: smoothing term.
        per_sample: one value per sample (True) or one for the whole batch (False).
        ignore_empty: classes absent from a sample's y_true contribute 0.

    Returns:
        (N,) values in [0, 1] (a scalar when ``per_sample=False``).

    Example:
        >>> jaccard_loss([[[1.0], [1.0]]], [[[1.0], [0.0]]], smooth=0.0)  # doctest: +SKIP
        [0.5]
    """
    t, p = _prepare(y_true, y_pred, mode, from_logits)
    tp, fp, fn, _, ts = _counts(t, p, per_sample)
    score = (tp + smooth) / ops.maximum(tp + fp + fn + smooth, EPS)
    return _finish(1.0 - score, ts, ignore_empty, per_sample)


@with_defaults(FOCAL_TVERSKY_PARAMS)
def focal_tversky_loss(
    y_true: Any,
    y_pred: Any,
    *,
    mode: str,
    from_logits: bool,
    alpha: float,
    beta: float,
    gamma: float,
    smooth: float,
    per_sample: bool,
    ignore_empty: bool,
) -> Any:
    """Focal Tversky loss (Abraham & Khan 2019): ``(1 - TI)^gamma`` per class, class mean.

    ``TI = (TP + smooth) / max(TP + alpha FP + beta FN + smooth, eps)``. ``alpha`` weighs
    false positives and ``beta`` false negatives, as in Salehi et al. (2017) and
    segmentation_models.pytorch (Abraham & Khan name them the other way round).

    Args:
        y_true: masks. y_pred: probabilities or logits. mode, from_logits, smooth,
            per_sample, ignore_empty: as in :func:`dice_loss`.
        alpha: weight of false positives.
        beta: weight of false negatives.
        gamma: focal exponent (0.75 = the paper's 1 / (4/3)).

    Returns:
        (N,) values in [0, 1] (a scalar when ``per_sample=False``).

    Example:
        >>> focal_tversky_loss([[[1.0], [1.0]]], [[[1.0], [0.0]]], gamma=1.0, alpha=0.5, beta=0.5, smooth=0.0)  # doctest: +SKIP
        [0.33333334]
    """
    t, p = _prepare(y_true, y_pred, mode, from_logits)
    tp, fp, fn, _, ts = _counts(t, p, per_sample)
    ti = (tp + smooth) / ops.maximum(tp + alpha * fp + beta * fn + smooth, EPS)
    base = ops.relu(1.0 - ti)
    # exact 0 at a perfect fit and a finite gradient there, even for gamma < 1
    positive = ops.greater(base, 0.0)
    powered = ops.power(ops.where(positive, base, ops.ones_like(base)), gamma)
    loss_c = ops.where(positive, powered, ops.zeros_like(base))
    return _finish(loss_c, ts, ignore_empty, per_sample)


@with_defaults(MCC_PARAMS)
def mcc_loss(
    y_true: Any,
    y_pred: Any,
    *,
    mode: str,
    from_logits: bool,
    eps: float,
    per_sample: bool,
) -> Any:
    """Matthews-correlation loss (Abhishek & Hamarneh 2021): ``1 - MCC`` from soft counts.

    ``MCC = (TP TN - FP FN) / sqrt((TP + FP)(TP + FN)(TN + FP)(TN + FN))`` with ``eps``
    added to each count (segmentation_models.pytorch's ``MCCLoss``), per class then averaged.

    Args:
        y_true: masks. y_pred: probabilities or logits. mode, from_logits, per_sample: as
            in :func:`dice_loss`.
        eps: added to each of TP, TN, FP, FN.

    Returns:
        (N,) values in [0, 2] (a scalar when ``per_sample=False``); 0 is perfect.

    Example:
        >>> mcc_loss([[[1.0], [0.0]]], [[[1.0], [0.0]]])  # 0 up to eps  # doctest: +SKIP
        [2.e-05]
    """
    t, p = _prepare(y_true, y_pred, mode, from_logits)
    tp, fp, fn, tn, ts = _counts(t, p, per_sample)
    tp, fp, fn, tn = tp + eps, fp + eps, fn + eps, tn + eps
    den = ops.sqrt((tp + fp) * (tp + fn)) * ops.sqrt((tn + fp) * (tn + fn))
    return _finish(1.0 - (tp * tn - fp * fn) / den, ts, False, per_sample)


def _lovasz(errors: Any, fg: Any) -> Any:
    """Lovász extension of the Jaccard loss on the last axis of ``errors`` (…, P)."""
    order = ops.argsort(-errors, axis=-1)
    e = ops.take_along_axis(errors, order, axis=-1)
    g = ops.take_along_axis(fg, order, axis=-1)
    gts = ops.sum(g, axis=-1, keepdims=True)
    inter = gts - ops.cumsum(g, axis=-1)
    union = gts + ops.cumsum(1.0 - g, axis=-1)
    jac = 1.0 - inter / union  # union >= 1 at every position
    grad = ops.concatenate([jac[..., :1], jac[..., 1:] - jac[..., :-1]], axis=-1)
    return ops.sum(e * ops.stop_gradient(grad), axis=-1)


@with_defaults(LOVASZ_HINGE_PARAMS)
def lovasz_hinge_loss(y_true: Any, y_pred: Any, *, from_logits: bool) -> Any:
    """Lovász hinge (Berman et al. 2018): a convex surrogate of the Jaccard loss, per image.

    Errors ``max(1 - x (2t - 1), 0)`` of the logits x, sorted in decreasing order and
    weighted by the gradient of the Lovász extension of the Jaccard loss. Binary masks
    (one channel) or multilabel (one value per channel, then the channel mean).

    Args:
        y_true: binary masks ``(N, ..., C)`` (or ``(N, ...)`` for one channel).
        y_pred: logits (``from_logits=True``, the default, as in the paper) or
            probabilities (turned into logits), same shape.
        from_logits: whether y_pred are logits.

    Returns:
        (N,) values >= 0.

    Example:
        >>> lovasz_hinge_loss([[[1.0], [0.0]]], [[[3.0], [-3.0]]])  # doctest: +SKIP
        [0.]
    """
    y_pred = ops.convert_to_tensor(y_pred)
    x = ops.cast(y_pred, compute_dtype(y_pred))
    if not from_logits:
        q = ops.clip(x, EPS, 1.0 - EPS)
        x = ops.log(q) - ops.log1p(-q)
    t, x = _prepare(y_true, x, "binary", False)
    t = ops.transpose(t, (0, 2, 1))
    x = ops.transpose(x, (0, 2, 1))
    errors = ops.relu(1.0 - x * (2.0 * t - 1.0))
    return ops.mean(_lovasz(errors, t), axis=-1)


@with_defaults(LOVASZ_SOFTMAX_PARAMS)
def lovasz_softmax_loss(y_true: Any, y_pred: Any, *, from_logits: bool) -> Any:
    """Lovász-softmax (Berman et al. 2018), per image, mean over the classes present.

    For each class c: errors ``|t_c - p_c|`` sorted decreasingly and weighted by the
    Lovász-extension gradient; averaged over the classes present in the image's y_true
    (``classes='present'`` of the reference code). An image whose target is empty for
    every class gives 0.

    Args:
        y_true: class ids ``(N, ...)`` / ``(N, ..., 1)`` or one-hot ``(N, ..., C)``.
        y_pred: class probabilities ``(N, ..., C)`` or logits with ``from_logits=True``.
        from_logits: apply the softmax here.

    Returns:
        (N,) values in [0, 1].

    Example:
        >>> lovasz_softmax_loss([[0, 1]], [[[1.0, 0.0], [0.0, 1.0]]])  # doctest: +SKIP
        [0.]
    """
    t, p = _prepare(y_true, y_pred, "multiclass", from_logits)
    t = ops.transpose(t, (0, 2, 1))
    p = ops.transpose(p, (0, 2, 1))
    per_class = _lovasz(ops.abs(t - p), t)
    present = ops.cast(ops.greater(ops.sum(t, axis=-1), 0.0), p.dtype)
    return ops.sum(per_class * present, axis=-1) / ops.maximum(ops.sum(present, axis=-1), 1.0)


# --------------------------------------------------------------------------- classes
class _SegmentationLoss(LosslabLoss):
    align = False


@register_loss_class
class DiceLoss(_SegmentationLoss):
    """Keras loss for :func:`dice_loss`."""

    fn = staticmethod(dice_loss)
    PARAMS = DICE_PARAMS


@register_loss_class
class JaccardLoss(DiceLoss):
    """Keras loss for :func:`jaccard_loss` (same hyperparameters as :class:`DiceLoss`)."""

    fn = staticmethod(jaccard_loss)
    PARAMS = JACCARD_PARAMS


@register_loss_class
class FocalTverskyLoss(_SegmentationLoss):
    """Keras loss for :func:`focal_tversky_loss`."""

    fn = staticmethod(focal_tversky_loss)
    PARAMS = FOCAL_TVERSKY_PARAMS


@register_loss_class
class MCCLoss(_SegmentationLoss):
    """Keras loss for :func:`mcc_loss`."""

    fn = staticmethod(mcc_loss)
    PARAMS = MCC_PARAMS


@register_loss_class
class LovaszHingeLoss(_SegmentationLoss):
    """Keras loss for :func:`lovasz_hinge_loss`."""

    fn = staticmethod(lovasz_hinge_loss)
    PARAMS = LOVASZ_HINGE_PARAMS


@register_loss_class
class LovaszSoftmaxLoss(_SegmentationLoss):
    """Keras loss for :func:`lovasz_softmax_loss`."""

    fn = staticmethod(lovasz_softmax_loss)
    PARAMS = LOVASZ_SOFTMAX_PARAMS
