"""NumPy float64 oracles for the Keras 3 built-in losses, from their formulas.

Conventions follow Keras 3.15 (``keras/src/losses/losses.py`` and the backends'
``nn.py``): per-sample values are means over the last axis unless stated; probabilities
are clipped to ``[eps, 1 - eps]`` with ``eps = 1e-7`` where Keras clips. Nothing here
imports Keras: every oracle is written from the formula in its docstring.

Where Keras 3.15.1 disagrees with its own documentation (Tversky's ``alpha`` and
``beta``), the oracle follows the documentation and Salehi et al. (2017); losslab's
``Tversky`` class does the same.

The ``predict_*`` functions turn a model's raw output into what judge metrics read
(probabilities of class 1, class probabilities, ...); see ``LossSpec.predict``.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from losslab.reference._reduce import EPSILON, as_f64

__all__ = [
    "binary_crossentropy",
    "binary_focal_crossentropy",
    "categorical_crossentropy",
    "categorical_focal_crossentropy",
    "categorical_generalized_cross_entropy",
    "categorical_hinge",
    "circle",
    "circle_mask",
    "cosine_similarity",
    "ctc",
    "dice",
    "hinge",
    "huber",
    "kl_divergence",
    "log_cosh",
    "mean_absolute_error",
    "mean_absolute_percentage_error",
    "mean_squared_error",
    "mean_squared_logarithmic_error",
    "poisson",
    "predict_binary",
    "predict_categorical",
    "predict_ctc",
    "predict_hinge",
    "predict_multiclass_scores",
    "predict_sparse",
    "sparse_categorical_crossentropy",
    "sparse_categorical_crossentropy_mask",
    "squared_hinge",
    "tversky",
]

Axis = int | Sequence[int] | None

# Keras clips probabilities to [eps, 1 - eps] on float32 tensors, where 1 - 1e-7 rounds to
# 1 - 1.19e-7: that bound sets the value of a saturated cross-entropy (-log(1.19e-7) = 15.94,
# not -log(1e-7) = 16.12), so the oracle uses the float32 bound too.
ONE_MINUS_EPS = float(np.float32(1.0 - EPSILON))


# ----------------------------------------------------------------------------- helpers
def _same_rank(t: np.ndarray, p: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Keras's ``squeeze_or_expand_to_same_rank``: fix a rank difference of one when the
    longer array ends in an axis of size 1."""
    if t.ndim == p.ndim + 1 and t.shape[-1] == 1:
        return (t, p[..., None]) if p.ndim == 1 else (t[..., 0], p)
    if p.ndim == t.ndim + 1 and p.shape[-1] == 1:
        return (t[..., None], p) if t.ndim == 1 else (t, p[..., 0])
    return t, p


def _pair(y_true: Any, y_pred: Any) -> tuple[np.ndarray, np.ndarray]:
    return _same_rank(as_f64(y_true), as_f64(y_pred))


def _sigmoid(z: np.ndarray) -> np.ndarray:
    return np.where(
        z >= 0, 1.0 / (1.0 + np.exp(-np.abs(z))), np.exp(-np.abs(z)) / (1.0 + np.exp(-np.abs(z)))
    )


def _log_sigmoid(z: np.ndarray) -> np.ndarray:
    """``log(sigmoid(z)) = -softplus(-z)``, stable for large ``|z|``."""
    return -np.logaddexp(0.0, -z)


def _log_softmax(z: np.ndarray, axis: int = -1) -> np.ndarray:
    z = z - z.max(axis=axis, keepdims=True)
    return z - np.log(np.exp(z).sum(axis=axis, keepdims=True))


def _softmax(z: np.ndarray, axis: int = -1) -> np.ndarray:
    return np.exp(_log_softmax(z, axis))


def _axes(axis: Axis) -> int | tuple[int, ...] | None:
    if axis is None or isinstance(axis, int):
        return axis
    return tuple(int(a) for a in axis)


# ----------------------------------------------------------------------------- regression
def mean_squared_error(y_true: Any, y_pred: Any) -> np.ndarray:
    """``mean((y_true - y_pred)**2, axis=-1)``."""
    t, p = _pair(y_true, y_pred)
    return np.mean((t - p) ** 2, axis=-1)


def mean_absolute_error(y_true: Any, y_pred: Any) -> np.ndarray:
    """``mean(|y_true - y_pred|, axis=-1)``."""
    t, p = _pair(y_true, y_pred)
    return np.mean(np.abs(t - p), axis=-1)


def mean_absolute_percentage_error(y_true: Any, y_pred: Any) -> np.ndarray:
    """``100 * mean(|y_true - y_pred| / max(|y_true|, eps), axis=-1)``."""
    t, p = _pair(y_true, y_pred)
    return 100.0 * np.mean(np.abs(t - p) / np.maximum(np.abs(t), EPSILON), axis=-1)


def mean_squared_logarithmic_error(y_true: Any, y_pred: Any) -> np.ndarray:
    """``mean((log(max(y_pred, eps) + 1) - log(max(y_true, eps) + 1))**2, axis=-1)``."""
    t, p = _pair(y_true, y_pred)
    return np.mean(
        (np.log1p(np.maximum(p, EPSILON)) - np.log1p(np.maximum(t, EPSILON))) ** 2, axis=-1
    )


def cosine_similarity(y_true: Any, y_pred: Any, *, axis: int = -1) -> np.ndarray:
    """``-sum(t / max(||t||, eps) * p / max(||p||, eps), axis)`` (between -1 and 1)."""
    t, p = _pair(y_true, y_pred)
    tn = t / np.maximum(np.sqrt(np.sum(t**2, axis=axis, keepdims=True)), EPSILON)
    pn = p / np.maximum(np.sqrt(np.sum(p**2, axis=axis, keepdims=True)), EPSILON)
    return -np.sum(tn * pn, axis=axis)


def huber(y_true: Any, y_pred: Any, *, delta: float = 1.0) -> np.ndarray:
    """``mean(0.5 e^2 if |e| <= delta else delta (|e| - 0.5 delta), axis=-1)``."""
    t, p = _pair(y_true, y_pred)
    e = np.abs(p - t)
    return np.mean(np.where(e <= delta, 0.5 * e**2, delta * e - 0.5 * delta**2), axis=-1)


def log_cosh(y_true: Any, y_pred: Any) -> np.ndarray:
    """``mean(log(cosh(y_pred - y_true)), axis=-1)``, as ``x + softplus(-2x) - log 2``."""
    t, p = _pair(y_true, y_pred)
    x = p - t
    return np.mean(x + np.logaddexp(0.0, -2.0 * x) - np.log(2.0), axis=-1)


# ----------------------------------------------------------------------------- count / distributions
def poisson(y_true: Any, y_pred: Any) -> np.ndarray:
    """``mean(y_pred - y_true * log(y_pred + eps), axis=-1)``; ``y_pred`` is the rate."""
    t, p = as_f64(y_true), as_f64(y_pred)
    return np.mean(p - t * np.log(p + EPSILON), axis=-1)


def kl_divergence(y_true: Any, y_pred: Any) -> np.ndarray:
    """``sum(t * log(t / p), axis=-1)`` with ``t, p`` clipped to ``[eps, 1]``."""
    t = np.clip(as_f64(y_true), EPSILON, 1.0)
    p = np.clip(as_f64(y_pred), EPSILON, 1.0)
    return np.sum(t * np.log(t / p), axis=-1)


# ----------------------------------------------------------------------------- hinge
def _hinge_labels(t: np.ndarray) -> np.ndarray:
    """Keras maps labels to -1/+1 when the whole batch is in {0, 1}."""
    if np.all((t == 0) | (t == 1)):
        return 2.0 * t - 1.0
    return t


def hinge(y_true: Any, y_pred: Any) -> np.ndarray:
    """``mean(max(1 - y_true * y_pred, 0), axis=-1)``; {0, 1} labels become {-1, 1}."""
    p = as_f64(y_pred)
    t = _hinge_labels(as_f64(y_true))
    return np.mean(np.maximum(1.0 - t * p, 0.0), axis=-1)


def squared_hinge(y_true: Any, y_pred: Any) -> np.ndarray:
    """``mean(max(1 - y_true * y_pred, 0)**2, axis=-1)``; {0, 1} labels become {-1, 1}."""
    p = as_f64(y_pred)
    t = _hinge_labels(as_f64(y_true))
    return np.mean(np.maximum(1.0 - t * p, 0.0) ** 2, axis=-1)


def categorical_hinge(y_true: Any, y_pred: Any) -> np.ndarray:
    """``max(neg - pos + 1, 0)``, ``pos = sum(t p)``, ``neg = max((1 - t) p)`` (last axis)."""
    t, p = as_f64(y_true), as_f64(y_pred)
    pos = np.sum(t * p, axis=-1)
    neg = np.max((1.0 - t) * p, axis=-1)
    return np.maximum(neg - pos + 1.0, 0.0)


# ----------------------------------------------------------------------------- binary
def _bce_elements(t: np.ndarray, p: np.ndarray, from_logits: bool) -> np.ndarray:
    if from_logits:
        return -(t * _log_sigmoid(p) + (1.0 - t) * _log_sigmoid(-p))
    q = np.clip(p, EPSILON, ONE_MINUS_EPS)
    return -(t * np.log(q) + (1.0 - t) * np.log(1.0 - q))


def binary_crossentropy(
    y_true: Any,
    y_pred: Any,
    *,
    from_logits: bool = False,
    label_smoothing: float = 0.0,
    axis: int = -1,
) -> np.ndarray:
    """``mean(-(t log p + (1 - t) log(1 - p)), axis)`` with ``t = t (1 - ls) + ls / 2`` and
    ``p`` clipped to ``[eps, 1 - eps]`` (or ``p = sigmoid(y_pred)`` computed in log space
    when ``from_logits``)."""
    t, p = _pair(y_true, y_pred)
    if label_smoothing:
        t = t * (1.0 - label_smoothing) + 0.5 * label_smoothing
    return np.mean(_bce_elements(t, p, from_logits), axis=axis)


def binary_focal_crossentropy(
    y_true: Any,
    y_pred: Any,
    *,
    apply_class_balancing: bool = False,
    alpha: float = 0.25,
    gamma: float = 2.0,
    from_logits: bool = False,
    label_smoothing: float = 0.0,
    axis: int = -1,
) -> np.ndarray:
    """``mean(w (1 - p_t)^gamma bce, axis)`` with ``p_t = t p + (1 - t)(1 - p)``; ``w = t alpha
    + (1 - t)(1 - alpha)`` when ``apply_class_balancing`` else 1 (Lin et al., 2017)."""
    t, p = _pair(y_true, y_pred)
    if label_smoothing:
        t = t * (1.0 - label_smoothing) + 0.5 * label_smoothing
    if from_logits:
        p = _sigmoid(p)
    bce = _bce_elements(t, p, from_logits=False)
    p_t = t * p + (1.0 - t) * (1.0 - p)
    out = (1.0 - p_t) ** gamma * bce
    if apply_class_balancing:
        out = (t * alpha + (1.0 - t) * (1.0 - alpha)) * out
    return np.mean(out, axis=axis)


def predict_binary(raw: Any, *, from_logits: bool = False, **_: Any) -> np.ndarray:
    """Probability of class 1: ``sigmoid(raw)`` for logits, else ``raw`` clipped to [0, 1]."""
    r = as_f64(raw)
    return _sigmoid(r) if from_logits else np.clip(r, 0.0, 1.0)


def predict_hinge(raw: Any, **_: Any) -> np.ndarray:
    """Hinge scores are margins, not probabilities: ``sigmoid(score)`` keeps the ranking
    and the decision threshold (score 0 -> 0.5) but is not calibrated."""
    return _sigmoid(as_f64(raw))


# ----------------------------------------------------------------------------- multiclass
def _class_log_probs(p: np.ndarray, from_logits: bool, axis: int) -> np.ndarray:
    if from_logits:
        return _log_softmax(p, axis)
    q = p / np.sum(p, axis=axis, keepdims=True)
    return np.log(np.clip(q, EPSILON, ONE_MINUS_EPS))


def categorical_crossentropy(
    y_true: Any,
    y_pred: Any,
    *,
    from_logits: bool = False,
    label_smoothing: float = 0.0,
    axis: int = -1,
) -> np.ndarray:
    """``-sum(t log p, axis)``; probabilities are renormalised to sum to 1 and clipped to
    ``[eps, 1 - eps]``; ``t = t (1 - ls) + ls / K``."""
    t, p = as_f64(y_true), as_f64(y_pred)
    if label_smoothing:
        t = t * (1.0 - label_smoothing) + label_smoothing / t.shape[-1]
    return -np.sum(t * _class_log_probs(p, from_logits, axis), axis=axis)


def categorical_focal_crossentropy(
    y_true: Any,
    y_pred: Any,
    *,
    alpha: float | Sequence[float] = 0.25,
    gamma: float = 2.0,
    from_logits: bool = False,
    label_smoothing: float = 0.0,
    axis: int = -1,
) -> np.ndarray:
    """``sum(-alpha (1 - p)^gamma t log p, axis)`` with ``p`` the (softmaxed when
    ``from_logits``) renormalised probabilities clipped to ``[eps, 1 - eps]``; ``alpha`` a
    scalar or one weight per class."""
    t, p = as_f64(y_true), as_f64(y_pred)
    if label_smoothing:
        t = t * (1.0 - label_smoothing) + label_smoothing / t.shape[-1]
    if from_logits:
        p = _softmax(p, axis)
    q = np.clip(p / np.sum(p, axis=axis, keepdims=True), EPSILON, ONE_MINUS_EPS)
    a = as_f64(alpha)
    return np.sum(a * (1.0 - q) ** gamma * (-t * np.log(q)), axis=axis)


def sparse_categorical_crossentropy(
    y_true: Any,
    y_pred: Any,
    *,
    from_logits: bool = False,
    ignore_class: int | None = None,
    axis: int = -1,
) -> np.ndarray:
    """``-log p[y]`` for integer labels ``y``; entries whose label is ``ignore_class`` are 0
    (and masked out of the reduction, see :func:`sparse_categorical_crossentropy_mask`)."""
    p = as_f64(y_pred)
    y = np.asarray(y_true)
    if y.ndim == p.ndim and y.shape[axis] == 1:
        y = np.squeeze(y, axis=axis)
    y = np.rint(as_f64(y)).astype(np.int64)
    ax = axis % p.ndim
    p = np.moveaxis(p, ax, -1)
    valid = np.ones(y.shape, dtype=bool) if ignore_class is None else y != ignore_class
    y_safe = np.where(valid, y, 0)
    p_safe = np.where(valid[..., None], p, 1.0)  # any valid row: masked entries are dropped
    logp = _class_log_probs(p_safe, from_logits, -1)
    out = -np.take_along_axis(logp, y_safe[..., None], axis=-1)[..., 0]
    return np.where(valid, out, 0.0)


def sparse_categorical_crossentropy_mask(
    y_true: Any, y_pred: Any, *, ignore_class: int | None = None, axis: int = -1, **_: Any
) -> np.ndarray | None:
    """The entries Keras counts in the reduction: labels different from ``ignore_class``."""
    if ignore_class is None:
        return None
    y = np.asarray(y_true)
    if y.ndim == np.ndim(y_pred) and y.shape[axis] == 1:
        y = np.squeeze(y, axis=axis)
    return np.rint(as_f64(y)).astype(np.int64) != ignore_class


def categorical_generalized_cross_entropy(
    y_true: Any, y_pred: Any, *, q: float = 0.5
) -> np.ndarray:
    """``(1 - max(p[y], eps)^q) / q`` for integer labels ``y`` and probabilities ``p`` (Zhang &
    Sabuncu, 2018): cross-entropy as ``q -> 0``, MAE-like as ``q -> 1``. losslab clips ``p``
    at ``eps = 1e-7`` (Keras 3.15 does not, and its gradient is infinite at ``p = 0``)."""
    p = as_f64(y_pred)
    y = np.rint(as_f64(y_true)).astype(np.int64)
    if y.ndim == p.ndim and y.shape[-1] == 1:
        y = y[..., 0]
    py = np.maximum(np.take_along_axis(p, y[..., None], axis=-1)[..., 0], EPSILON)
    return (1.0 - py**q) / q


def predict_categorical(
    raw: Any, *, from_logits: bool = False, axis: int = -1, **_: Any
) -> np.ndarray:
    """Class probabilities (N, K): ``softmax(raw)`` for logits, else ``raw`` renormalised."""
    r = as_f64(raw)
    if from_logits:
        return _softmax(r, axis)
    r = np.clip(r, 0.0, None)
    return r / np.maximum(np.sum(r, axis=axis, keepdims=True), EPSILON)


def predict_sparse(raw: Any, *, from_logits: bool = False, axis: int = -1, **_: Any) -> np.ndarray:
    """Class probabilities (N, K) for integer-label losses."""
    return predict_categorical(raw, from_logits=from_logits, axis=axis)


def predict_multiclass_scores(raw: Any, **_: Any) -> np.ndarray:
    """Categorical hinge scores are margins: ``softmax(scores)`` keeps the arg-max and the
    ranking of classes but is not a calibrated probability."""
    return _softmax(as_f64(raw), -1)


# ----------------------------------------------------------------------------- segmentation
def dice(y_true: Any, y_pred: Any, *, axis: Axis = None) -> np.ndarray:
    """``1 - 2 sum(t p) / (sum(t) + sum(p) + eps)`` over ``axis`` (``None``: the whole batch,
    one scalar)."""
    t, p = as_f64(y_true), as_f64(y_pred)
    ax = _axes(axis)
    inter = np.sum(t * p, axis=ax)
    return 1.0 - 2.0 * inter / (np.sum(t, axis=ax) + np.sum(p, axis=ax) + EPSILON)


def tversky(
    y_true: Any, y_pred: Any, *, alpha: float = 0.5, beta: float = 0.5, axis: Axis = None
) -> np.ndarray:
    """``1 - TP / (TP + alpha FP + beta FN + eps)`` with ``TP = sum(t p)``, ``FP = sum((1 - t)
    p)``, ``FN = sum(t (1 - p))`` over ``axis`` (Salehi et al., 2017; Keras's documentation).
    Keras 3.15.1's own function swaps alpha and beta; this oracle does not."""
    t, p = as_f64(y_true), as_f64(y_pred)
    ax = _axes(axis)
    tp = np.sum(t * p, axis=ax)
    fp = np.sum((1.0 - t) * p, axis=ax)
    fn = np.sum(t * (1.0 - p), axis=ax)
    return 1.0 - tp / (tp + alpha * fp + beta * fn + EPSILON)


# ----------------------------------------------------------------------------- sequence
def ctc(y_true: Any, y_pred: Any) -> np.ndarray:
    """Connectionist temporal classification: ``-log sum_paths prod_t softmax(y_pred)[t, path_t]``.

    ``y_true`` (N, L) integer labels; 0 is the blank and the padding: the label of sample
    ``i`` is ``y_true[i, :n_i]`` with ``n_i`` the number of non-zero entries (Keras's rule).
    ``y_pred`` (N, T, C) logits. Computed with the forward algorithm in log space
    (Graves et al., 2006) over the extended sequence ``blank, l1, blank, l2, ..., blank``.
    """
    labels = np.rint(as_f64(y_true)).astype(np.int64)
    logp = _log_softmax(as_f64(y_pred), -1)
    n, t_len, _ = logp.shape
    out = np.empty(n)
    for i in range(n):
        length = int(np.sum(labels[i] != 0))
        seq = labels[i, :length]
        ext = np.zeros(2 * length + 1, dtype=np.int64)
        ext[1::2] = seq
        s_len = ext.size
        alpha = np.full(s_len, -np.inf)
        alpha[0] = logp[i, 0, 0]
        if s_len > 1:
            alpha[1] = logp[i, 0, ext[1]]
        skip = np.zeros(s_len, dtype=bool)
        skip[3::2] = seq[1:] != seq[:-1]  # label positions whose predecessor label differs
        for t in range(1, t_len):
            prev = alpha
            stay_or_step = np.logaddexp(prev, np.concatenate(([-np.inf], prev[:-1])))
            two_back = np.concatenate(([-np.inf, -np.inf], prev[:-2]))
            total = np.where(skip, np.logaddexp(stay_or_step, two_back), stay_or_step)
            alpha = total + logp[i, t, ext]
        end = alpha[-1] if s_len == 1 else np.logaddexp(alpha[-1], alpha[-2])
        out[i] = -end
    return out


def predict_ctc(raw: Any, **_: Any) -> np.ndarray:
    """Per-timestep class probabilities (N, T, C) from the logits."""
    return _softmax(as_f64(raw), -1)


# ----------------------------------------------------------------------------- metric learning
def circle(
    y_true: Any,
    y_pred: Any,
    *,
    gamma: float = 80.0,
    margin: float = 0.4,
    remove_diagonal: bool = True,
    ref_labels: Any = None,
    ref_embeddings: Any = None,
) -> np.ndarray:
    """Circle loss per anchor (Sun et al., 2020), as Keras defines it on the batch.

    ``ref_labels`` / ``ref_embeddings`` (Keras's function arguments, not the class's) compare
    each anchor with another set of embeddings instead of the batch itself.

    With cosine distances ``d_ij = max(1 - e_i . e_j, 0)`` (embeddings assumed
    L2-normalised), positives ``j`` of the same label (``j != i`` when
    ``remove_diagonal``) and negatives of another label::

        a_p = max(margin + d, 0),      a_n = max(1 + margin - d, 0)
        L_p = logsumexp_j(-gamma a_p (margin - d))          over positives
        L_n = logsumexp_j(gamma a_n (1 - margin - d))       over negatives
        loss_i = softplus(L_p + L_n)

    An anchor without positives (or negatives) gets 0 and is masked out of the
    reduction (see :func:`circle_mask`).
    """
    e = as_f64(y_pred)
    y = np.rint(as_f64(y_true)).astype(np.int64).reshape(-1)
    r = e if ref_embeddings is None else as_f64(ref_embeddings)
    ry = y if ref_labels is None else np.rint(as_f64(ref_labels)).astype(np.int64).reshape(-1)
    d = np.maximum(1.0 - e @ r.T, 0.0)
    pos = y[:, None] == ry[None, :]
    neg = ~pos
    if remove_diagonal:
        pos = pos & ~np.eye(len(y), len(ry), dtype=bool)
    a_p = np.maximum((margin + d) * pos, 0.0)
    a_n = np.maximum((1.0 + margin - d) * neg, 0.0)
    wp = -gamma * a_p * (margin - d)
    wn = gamma * a_n * (1.0 - margin - d)

    def _lse(x: np.ndarray, m: np.ndarray) -> np.ndarray:
        x = np.where(m, x, -np.inf)
        top = np.max(x, axis=1)
        safe = np.where(np.isfinite(top), top, 0.0)
        with np.errstate(divide="ignore"):
            return safe + np.log(np.sum(np.exp(x - safe[:, None]), axis=1))

    z = _lse(wp, pos) + _lse(wn, neg)
    return np.where(np.isfinite(z), np.logaddexp(0.0, np.where(np.isfinite(z), z, 0.0)), 0.0)


def circle_mask(y_true: Any, y_pred: Any, **params: Any) -> np.ndarray:
    """Keras masks Circle's zero per-anchor values out of the reduction."""
    return circle(y_true, y_pred, **params) > 0
