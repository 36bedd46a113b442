"""NumPy float64 oracles for the segmentation losses, written from the definitions.

Layout is channels-last. ``mode``:

- ``"binary"``: y_true and y_pred ``(N, ..., 1)`` (or ``(N, ...)``), y_true in {0, 1};
- ``"multilabel"``: ``(N, ..., C)`` multi-hot targets, one sigmoid per channel;
- ``"multiclass"``: y_pred ``(N, ..., C)`` class scores (softmax), y_true integer class ids
  ``(N, ...)`` / ``(N, ..., 1)`` or one-hot ``(N, ..., C)``.

Scores are computed per class from soft counts (TP = sum p t, FP = sum p (1-t),
FN = sum (1-p) t) over the pixels of each sample (``per_sample=True``) or of the whole batch
(``per_sample=False``, one value per batch), then averaged over classes.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from losslab._params import BOOL, Interval, OneOf, Param, with_defaults

__all__ = [
    "DICE_PARAMS",
    "FOCAL_TVERSKY_PARAMS",
    "JACCARD_PARAMS",
    "LOVASZ_HINGE_PARAMS",
    "LOVASZ_SOFTMAX_PARAMS",
    "MCC_PARAMS",
    "MODES",
    "dice",
    "focal_tversky",
    "jaccard",
    "lovasz_hinge",
    "lovasz_softmax",
    "mcc",
    "predict_lovasz_softmax",
    "predict_segmentation",
]

MODES = ("binary", "multiclass", "multilabel")
EPS = 1e-7  # lower clamp of the denominators (segmentation_models.pytorch's eps)

_MODE = Param("mode", "binary", OneOf(MODES), "binary, multiclass (softmax) or multilabel (sigmoids)")
_FROM_LOGITS = Param("from_logits", False, BOOL, "y_pred are logits (sigmoid / softmax applied here)")
_SMOOTH = Param(
    "smooth",
    1.0,
    Interval(0, None),
    "added to numerator and denominator (empty masks score 1, gradients stay finite)",
    search=("float", 1e-5, 10.0, True),
)
_PER_SAMPLE = Param(
    "per_sample",
    True,
    BOOL,
    "score each sample's image (True) or the whole batch as one image (False, one value per batch)",
)
_IGNORE_EMPTY = Param(
    "ignore_empty",
    False,
    BOOL,
    "classes absent from y_true contribute 0 (segmentation_models.pytorch's behaviour)",
)

DICE_PARAMS = (_MODE, _FROM_LOGITS, _SMOOTH, _PER_SAMPLE, _IGNORE_EMPTY)
JACCARD_PARAMS = DICE_PARAMS
FOCAL_TVERSKY_PARAMS = (
    _MODE,
    _FROM_LOGITS,
    Param(
        "alpha",
        0.3,
        Interval(0, None),
        "weight of false positives",
        search=("float", 0.1, 0.9, False),
    ),
    Param(
        "beta",
        0.7,
        Interval(0, None),
        "weight of false negatives (> alpha favours recall)",
        search=("float", 0.1, 0.9, False),
    ),
    Param(
        "gamma",
        0.75,
        Interval(0, None, closed="neither"),
        "focal exponent on (1 - Tversky index); < 1 focuses on hard classes",
        search=("float", 0.5, 3.0, False),
    ),
    _SMOOTH,
    _PER_SAMPLE,
    _IGNORE_EMPTY,
)
MCC_PARAMS = (
    Param("mode", "binary", OneOf(MODES), "binary, multiclass (softmax) or multilabel (sigmoids)"),
    _FROM_LOGITS,
    Param(
        "eps",
        1e-5,
        Interval(0, None, closed="neither"),
        "added to each of TP, TN, FP, FN (segmentation_models.pytorch's eps)",
    ),
    _PER_SAMPLE,
)
LOVASZ_HINGE_PARAMS = (
    Param("from_logits", True, BOOL, "y_pred are logits (True) or probabilities (turned into logits)"),
)
LOVASZ_SOFTMAX_PARAMS = (
    Param("from_logits", False, BOOL, "y_pred are logits (softmax applied here) or probabilities"),
)


def _sigmoid(x: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-x))


def _softmax(x: np.ndarray) -> np.ndarray:
    e = np.exp(x - x.max(axis=-1, keepdims=True))
    return e / e.sum(axis=-1, keepdims=True)


def _prepare(y_true: Any, y_pred: Any, mode: str, from_logits: bool) -> tuple[np.ndarray, np.ndarray]:
    """Targets and probabilities, both (N, P, C) float64."""
    p = np.asarray(y_pred, dtype=np.float64)
    t = np.asarray(y_true, dtype=np.float64)
    if mode == "multiclass":
        c = p.shape[-1]
        p = _softmax(p) if from_logits else p
        if t.ndim == p.ndim and t.shape[-1] == c and c > 1:
            pass
        else:
            if t.ndim == p.ndim and t.shape[-1] == 1:
                t = t[..., 0]
            t = np.eye(c)[t.astype(int)]
    else:
        p = _sigmoid(p) if from_logits else p
        if mode == "binary" and p.shape[-1] != 1:
            p = p[..., None]
        if mode == "binary" and t.shape[-1] != 1:
            t = t[..., None]
        if t.ndim == p.ndim - 1:
            t = t[..., None]
        if p.ndim == t.ndim - 1:
            p = p[..., None]
    n, c = p.shape[0], p.shape[-1]
    return t.reshape(n, -1, c), p.reshape(n, -1, c)


def _counts(t: np.ndarray, p: np.ndarray, per_sample: bool) -> tuple[np.ndarray, ...]:
    """Soft TP, FP, FN, TN and target sums: (N, C) per sample or (1, C) for the batch."""
    if not per_sample:
        t = t.reshape(1, -1, t.shape[-1])
        p = p.reshape(1, -1, p.shape[-1])
    tp = (p * t).sum(axis=1)
    fp = (p * (1 - t)).sum(axis=1)
    fn = ((1 - p) * t).sum(axis=1)
    tn = ((1 - p) * (1 - t)).sum(axis=1)
    return tp, fp, fn, tn, t.sum(axis=1)


def _finish(loss_c: np.ndarray, t_sum: np.ndarray, ignore_empty: bool, per_sample: bool) -> np.ndarray:
    if ignore_empty:
        loss_c = loss_c * (t_sum > 0)
    out = loss_c.mean(axis=-1)
    return out if per_sample else np.asarray(out[0])


@with_defaults(DICE_PARAMS)
def dice(
    y_true: Any,
    y_pred: Any,
    *,
    mode: str,
    from_logits: bool,
    smooth: float,
    per_sample: bool,
    ignore_empty: bool,
) -> np.ndarray:
    """Soft Dice loss: ``1 - (2 TP + smooth) / max(2 TP + FP + FN + smooth, eps)``, class mean."""
    t, p = _prepare(y_true, y_pred, mode, from_logits)
    tp, fp, fn, _, ts = _counts(t, p, per_sample)
    score = (2 * tp + smooth) / np.maximum(2 * tp + fp + fn + smooth, EPS)
    return _finish(1 - score, ts, ignore_empty, per_sample)


@with_defaults(DICE_PARAMS)
def jaccard(
    y_true: Any,
    y_pred: Any,
    *,
    mode: str,
    from_logits: bool,
    smooth: float,
    per_sample: bool,
    ignore_empty: bool,
) -> np.ndarray:
    """Soft Jaccard (IoU) loss: ``1 - (TP + smooth) / max(TP + FP + FN + smooth, eps)``."""
    t, p = _prepare(y_true, y_pred, mode, from_logits)
    tp, fp, fn, _, ts = _counts(t, p, per_sample)
    score = (tp + smooth) / np.maximum(tp + fp + fn + smooth, EPS)
    return _finish(1 - score, ts, ignore_empty, per_sample)


@with_defaults(FOCAL_TVERSKY_PARAMS)
def focal_tversky(
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
) -> np.ndarray:
    """Focal Tversky loss: ``(1 - TI)^gamma``, ``TI = (TP + s) / max(TP + a FP + b FN + s, eps)``."""
    t, p = _prepare(y_true, y_pred, mode, from_logits)
    tp, fp, fn, _, ts = _counts(t, p, per_sample)
    ti = (tp + smooth) / np.maximum(tp + alpha * fp + beta * fn + smooth, EPS)
    return _finish(np.maximum(1 - ti, 0.0) ** gamma, ts, ignore_empty, per_sample)


@with_defaults(MCC_PARAMS)
def mcc(
    y_true: Any,
    y_pred: Any,
    *,
    mode: str,
    from_logits: bool,
    eps: float,
    per_sample: bool,
) -> np.ndarray:
    """Matthews-correlation loss ``1 - MCC`` from soft counts, each count + eps, class mean."""
    t, p = _prepare(y_true, y_pred, mode, from_logits)
    tp, fp, fn, tn, ts = _counts(t, p, per_sample)
    tp, fp, fn, tn = tp + eps, fp + eps, fn + eps, tn + eps
    m = (tp * tn - fp * fn) / np.sqrt((tp + fp) * (tp + fn) * (tn + fp) * (tn + fn))
    return _finish(1 - m, ts, False, per_sample)


def _lovasz_extension(errors: np.ndarray, fg: np.ndarray) -> float:
    """Berman et al.'s Lovász extension of the Jaccard loss at ``errors`` (one image, one class)."""
    order = np.argsort(-errors, kind="stable")
    e, g = errors[order], fg[order]
    gts = g.sum()
    inter = gts - np.cumsum(g)
    union = gts + np.cumsum(1 - g)
    jac = 1.0 - inter / union
    grad = np.concatenate([jac[:1], jac[1:] - jac[:-1]])
    return float(np.dot(e, grad))


@with_defaults(LOVASZ_HINGE_PARAMS)
def lovasz_hinge(y_true: Any, y_pred: Any, *, from_logits: bool) -> np.ndarray:
    """Lovász hinge (Berman et al. 2018), per image and channel, mean over channels.

    Errors ``max(1 - x (2t - 1), 0)`` on logits x; probabilities are turned into logits.
    """
    p = np.asarray(y_pred, dtype=np.float64)
    if not from_logits:
        q = np.clip(p, EPS, 1 - EPS)
        p = np.log(q) - np.log1p(-q)
    t, x = _prepare(y_true, p, "binary", False)
    n, _, c = x.shape
    out = np.zeros(n)
    for i in range(n):
        out[i] = np.mean(
            [_lovasz_extension(np.maximum(1 - x[i, :, k] * (2 * t[i, :, k] - 1), 0), t[i, :, k]) for k in range(c)]
        )
    return out


@with_defaults(LOVASZ_SOFTMAX_PARAMS)
def lovasz_softmax(y_true: Any, y_pred: Any, *, from_logits: bool) -> np.ndarray:
    """Lovász-softmax (Berman et al. 2018), per image, mean over the classes present in y_true."""
    t, p = _prepare(y_true, y_pred, "multiclass", from_logits)
    n, _, c = p.shape
    out = np.zeros(n)
    for i in range(n):
        vals = [
            _lovasz_extension(np.abs(t[i, :, k] - p[i, :, k]), t[i, :, k])
            for k in range(c)
            if t[i, :, k].sum() > 0
        ]
        out[i] = np.mean(vals) if vals else 0.0
    return out


def predict_segmentation(
    raw: Any, *, mode: str = "binary", from_logits: bool = False, **_: Any
) -> np.ndarray:
    """Per-pixel probabilities: sigmoid (binary, multilabel) or softmax (multiclass) of logits."""
    x = np.asarray(raw, dtype=np.float64)
    if not from_logits:
        return x
    return _softmax(x) if mode == "multiclass" else _sigmoid(x)


def predict_lovasz_hinge(raw: Any, *, from_logits: bool = True) -> np.ndarray:
    """Per-pixel probabilities from the Lovász hinge's logits."""
    x = np.asarray(raw, dtype=np.float64)
    return _sigmoid(x) if from_logits else x


def predict_lovasz_softmax(raw: Any, *, from_logits: bool = False) -> np.ndarray:
    """Per-pixel class probabilities for Lovász-softmax."""
    x = np.asarray(raw, dtype=np.float64)
    return _softmax(x) if from_logits else x
