"""Oracles of the Keras classification losses (hinges, binary / categorical / sparse / focal /
generalized cross-entropy) and the matching ``predict_*`` functions."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from losslab.reference._reduce import EPSILON, as_f64
from losslab.reference.keras_builtins._common import (
    ONE_MINUS_EPS,
    as_pair,
    log_sigmoid,
    log_softmax,
    sigmoid,
    softmax,
)

__all__ = [
    "binary_crossentropy",
    "binary_focal_crossentropy",
    "categorical_crossentropy",
    "categorical_focal_crossentropy",
    "categorical_generalized_cross_entropy",
    "categorical_hinge",
    "hinge",
    "predict_binary",
    "predict_categorical",
    "predict_hinge",
    "predict_multiclass_scores",
    "predict_sparse",
    "sparse_categorical_crossentropy",
    "sparse_categorical_crossentropy_mask",
    "squared_hinge",
]


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
        return -(t * log_sigmoid(p) + (1.0 - t) * log_sigmoid(-p))
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
    t, p = as_pair(y_true, y_pred)
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
    + (1 - t)(1 - alpha)`` when ``apply_class_balancing`` else 1 (Lin et al., 2017).

    Probabilities are clipped to ``[eps, 1 - eps]`` as Keras does. Logits are not turned into
    clipped probabilities: ``bce = -(t log sigmoid(z) + (1 - t) log sigmoid(-z))`` and
    ``1 - p_t = t sigmoid(-z) + (1 - t) sigmoid(z)``, exact in float64 (losslab's Keras class
    computes the same in log space; Keras 3.15 saturates past ``|z| ~ 16``)."""
    t, p = as_pair(y_true, y_pred)
    if label_smoothing:
        t = t * (1.0 - label_smoothing) + 0.5 * label_smoothing
    if from_logits:
        bce = _bce_elements(t, p, from_logits=True)
        one_minus_p_t = t * sigmoid(-p) + (1.0 - t) * sigmoid(p)
    else:
        bce = _bce_elements(t, p, from_logits=False)
        one_minus_p_t = 1.0 - (t * p + (1.0 - t) * (1.0 - p))
    out = one_minus_p_t**gamma * bce
    if apply_class_balancing:
        out = (t * alpha + (1.0 - t) * (1.0 - alpha)) * out
    return np.mean(out, axis=axis)


def predict_binary(raw: Any, *, from_logits: bool = False, **_: Any) -> np.ndarray:
    """Probability of class 1: ``sigmoid(raw)`` for logits, else ``raw`` clipped to [0, 1]."""
    r = as_f64(raw)
    return sigmoid(r) if from_logits else np.clip(r, 0.0, 1.0)


def predict_hinge(raw: Any, **_: Any) -> np.ndarray:
    """Hinge scores are margins, not probabilities: ``sigmoid(score)`` keeps the ranking
    and the decision threshold (score 0 -> 0.5) but is not calibrated."""
    return sigmoid(as_f64(raw))


# ----------------------------------------------------------------------------- multiclass
def _class_log_probs(p: np.ndarray, from_logits: bool, axis: int) -> np.ndarray:
    if from_logits:
        return log_softmax(p, axis)
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
    ``[eps, 1 - eps]``; ``t = t (1 - ls) + ls / K`` with ``K`` the size of the class ``axis``
    (Keras 3.15.1 divides by the last axis's size instead; fixed in later releases)."""
    t, p = as_f64(y_true), as_f64(y_pred)
    if label_smoothing:
        t = t * (1.0 - label_smoothing) + label_smoothing / p.shape[axis]
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
    scalar or one weight per class; labels smoothed over the class ``axis``."""
    t, p = as_f64(y_true), as_f64(y_pred)
    if label_smoothing:
        t = t * (1.0 - label_smoothing) + label_smoothing / p.shape[axis]
    if from_logits:
        p = softmax(p, axis)
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
    """``(1 - p[y]^q) / q`` for integer labels ``y`` and probabilities ``p`` (Zhang &
    Sabuncu, 2018): cross-entropy as ``q -> 0``, MAE-like as ``q -> 1``. Keras's value, with
    no clip (losslab's Keras class clips ``p`` only inside its gradient)."""
    p = as_f64(y_pred)
    y = np.rint(as_f64(y_true)).astype(np.int64)
    if y.ndim == p.ndim and y.shape[-1] == 1:
        y = y[..., 0]
    py = np.take_along_axis(p, y[..., None], axis=-1)[..., 0]
    return (1.0 - py**q) / q


def predict_categorical(
    raw: Any, *, from_logits: bool = False, axis: int = -1, **_: Any
) -> np.ndarray:
    """Class probabilities (N, K): ``softmax(raw)`` for logits, else ``raw`` renormalised."""
    r = as_f64(raw)
    if from_logits:
        return softmax(r, axis)
    r = np.clip(r, 0.0, None)
    return r / np.maximum(np.sum(r, axis=axis, keepdims=True), EPSILON)


def predict_sparse(raw: Any, *, from_logits: bool = False, axis: int = -1, **_: Any) -> np.ndarray:
    """Class probabilities (N, K) for integer-label losses."""
    return predict_categorical(raw, from_logits=from_logits, axis=axis)


def predict_multiclass_scores(raw: Any, **_: Any) -> np.ndarray:
    """Categorical hinge scores are margins: ``softmax(scores)`` keeps the arg-max and the
    ranking of classes but is not a calibrated probability."""
    return softmax(as_f64(raw), -1)
