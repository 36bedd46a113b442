"""NumPy float64 oracles for losslab's classification losses, and the prediction functions.

Written from the formulas. Probabilities (``from_logits=False``) are clipped to
``[1e-7, 1 - 1e-7]`` as Keras does; logits go through log-softmax / log-sigmoid.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from losslab._params import BOOL, Interval, Param, with_defaults
from losslab.reference._reduce import EPSILON, as_f64

__all__ = [
    "ASYMMETRIC_PARAMS",
    "CLASS_BALANCED_CE_PARAMS",
    "CLASS_BALANCED_FOCAL_PARAMS",
    "POLY1_PARAMS",
    "SMOOTHED_SPARSE_CE_PARAMS",
    "SPARSE_FOCAL_PARAMS",
    "SYMMETRIC_CE_PARAMS",
    "WEIGHTED_BCE_PARAMS",
    "asymmetric_loss",
    "class_balanced_crossentropy",
    "class_balanced_focal",
    "class_balanced_weights",
    "poly1_crossentropy",
    "predict_class_probabilities",
    "predict_probability",
    "sparse_categorical_crossentropy_smoothed",
    "sparse_categorical_focal",
    "symmetric_crossentropy",
    "weighted_binary_crossentropy",
]

FROM_LOGITS = Param(
    "from_logits",
    False,
    BOOL,
    "True: y_pred are logits (linear head, most stable); False: probabilities",
)
_GAMMA = Param(
    "gamma",
    2.0,
    Interval(0.0, None),
    "focusing parameter: 0 gives cross-entropy, higher down-weights easy examples",
    search=("float", 0.0, 5.0, False),
)
_SAMPLES_PER_CLASS = Param(
    "samples_per_class",
    None,
    Interval(0.0, None, allow_none=True),
    "training-set count of each class (list of K numbers); None gives every class weight 1",
)
_CB_BETA = Param(
    "beta",
    0.9999,
    Interval(0.0, 1.0, closed="left"),
    "effective-number hyperparameter: 0 = no re-weighting, -> 1 = inverse class frequency",
    search=("categorical", (0.9, 0.99, 0.999, 0.9999)),
)

SPARSE_FOCAL_PARAMS: tuple[Param, ...] = (
    Param(
        "alpha",
        0.25,
        Interval(0.0, None, allow_none=True),
        "class weight: one number for every class, a list of K per-class weights, or None",
    ),
    _GAMMA,
    FROM_LOGITS,
)

POLY1_PARAMS: tuple[Param, ...] = (
    Param(
        "epsilon",
        2.0,
        Interval(-1.0, None),
        "weight of the first polynomial term (1 - p_t); 0 gives cross-entropy",
        search=("float", -1.0, 5.0, False),
    ),
    FROM_LOGITS,
)

SYMMETRIC_CE_PARAMS: tuple[Param, ...] = (
    Param(
        "alpha",
        0.1,
        Interval(0.0, None),
        "weight of the cross-entropy term",
        search=("float", 0.01, 1.0, True),
    ),
    Param(
        "beta",
        1.0,
        Interval(0.0, None),
        "weight of the reverse cross-entropy term",
        search=("float", 0.1, 2.0, True),
    ),
    Param(
        "label_clip",
        1e-4,
        Interval(0.0, 1.0, closed="neither"),
        "the zeros of y_true are clipped to this inside log (the paper's A = log(1e-4))",
    ),
    FROM_LOGITS,
)

WEIGHTED_BCE_PARAMS: tuple[Param, ...] = (
    Param(
        "pos_weight",
        1.0,
        Interval(0.0, None),
        "weight of the positive term: one number, or a list with one weight per label "
        "(n_negative / n_positive balances the classes)",
        search=("float", 0.5, 20.0, True),
    ),
    FROM_LOGITS,
)

ASYMMETRIC_PARAMS: tuple[Param, ...] = (
    Param(
        "gamma_neg",
        4.0,
        Interval(0.0, None),
        "focusing exponent of negative labels",
        search=("float", 0.0, 6.0, False),
    ),
    Param(
        "gamma_pos",
        1.0,
        Interval(0.0, None),
        "focusing exponent of positive labels",
        search=("float", 0.0, 2.0, False),
    ),
    Param(
        "clip",
        0.05,
        Interval(0.0, 1.0, closed="left"),
        "probability margin m: negatives use max(p - m, 0) (easy negatives are discarded)",
        search=("float", 0.0, 0.2, False),
    ),
    FROM_LOGITS,
)

CLASS_BALANCED_CE_PARAMS: tuple[Param, ...] = (_SAMPLES_PER_CLASS, _CB_BETA, FROM_LOGITS)
CLASS_BALANCED_FOCAL_PARAMS: tuple[Param, ...] = (_SAMPLES_PER_CLASS, _CB_BETA, _GAMMA, FROM_LOGITS)

SMOOTHED_SPARSE_CE_PARAMS: tuple[Param, ...] = (
    Param(
        "label_smoothing",
        0.1,
        Interval(0.0, 1.0, closed="left"),
        "mass moved from the true class to the uniform distribution over K classes",
        search=("float", 0.0, 0.3, False),
    ),
    FROM_LOGITS,
)


# ----------------------------------------------------------------------------- helpers
def _log_softmax(z: np.ndarray) -> np.ndarray:
    z = z - z.max(axis=-1, keepdims=True)
    return z - np.log(np.exp(z).sum(axis=-1, keepdims=True))


def log_probs(y_pred: Any, from_logits: bool) -> np.ndarray:
    """Class log-probabilities from logits (log-softmax) or probabilities (normalised, clipped)."""
    p = as_f64(y_pred)
    if from_logits:
        return _log_softmax(p)
    p = p / p.sum(axis=-1, keepdims=True)
    return np.log(np.clip(p, EPSILON, 1 - EPSILON))


def _log_sigmoid(x: np.ndarray) -> np.ndarray:
    return -np.logaddexp(0.0, -x)


def binary_log_probs(y_pred: Any, from_logits: bool) -> tuple[np.ndarray, np.ndarray]:
    """``(log p, log(1 - p))`` per unit."""
    p = as_f64(y_pred)
    if from_logits:
        return _log_sigmoid(p), _log_sigmoid(-p)
    p = np.clip(p, EPSILON, 1 - EPSILON)
    return np.log(p), np.log1p(-p)


def _labels(y_true: Any) -> np.ndarray:
    t = as_f64(y_true)
    if t.ndim >= 2 and t.shape[-1] == 1:
        t = t[..., 0]
    return t.astype(np.int64)


def _onehot(labels: np.ndarray, k: int) -> np.ndarray:
    return np.eye(k)[labels]


def class_balanced_weights(
    samples_per_class: Sequence[float] | None, beta: float, k: int
) -> np.ndarray:
    """Cui et al. (2019) weights ``(1 - beta) / (1 - beta^n_c)``, normalised to sum to K.

    ``beta = 0`` gives every class weight 1; counts of 0 are treated as 1.
    """
    if samples_per_class is None:
        return np.ones(k)
    n = np.maximum(np.asarray(samples_per_class, dtype=np.float64), 1.0)
    if len(n) != k:
        raise ValueError(f"samples_per_class has {len(n)} entries but y_pred has {k} classes.")
    w = (1.0 - beta) / (1.0 - beta**n) if beta > 0 else np.ones_like(n)
    return w / w.sum() * len(n)


# ----------------------------------------------------------------------------- losses
@with_defaults(SPARSE_FOCAL_PARAMS)
def sparse_categorical_focal(
    y_true: Any,
    y_pred: Any,
    *,
    alpha: float | Sequence[float] | None,
    gamma: float,
    from_logits: bool,
) -> np.ndarray:
    """``-alpha_y (1 - p_y)^gamma log p_y`` for integer labels y."""
    lp = log_probs(y_pred, from_logits)
    k = lp.shape[-1]
    y = _labels(y_true)
    lpy = np.take_along_axis(lp, y[..., None], axis=-1)[..., 0]
    v = -((1.0 - np.exp(lpy)) ** gamma) * lpy
    if alpha is None:
        return v
    a = np.broadcast_to(np.asarray(alpha, dtype=np.float64), (k,))
    return a[y] * v


@with_defaults(POLY1_PARAMS)
def poly1_crossentropy(
    y_true: Any, y_pred: Any, *, epsilon: float, from_logits: bool
) -> np.ndarray:
    """``CE + epsilon (1 - sum_k y_k p_k)`` (Leng et al. 2022, Optax's poly_loss_cross_entropy)."""
    t = as_f64(y_true)
    lp = log_probs(y_pred, from_logits)
    return -(t * lp).sum(axis=-1) + epsilon * (1.0 - (t * np.exp(lp)).sum(axis=-1))


@with_defaults(SYMMETRIC_CE_PARAMS)
def symmetric_crossentropy(
    y_true: Any,
    y_pred: Any,
    *,
    alpha: float,
    beta: float,
    label_clip: float,
    from_logits: bool,
) -> np.ndarray:
    """``alpha CE(y, p) + beta RCE``, ``RCE = -sum_k p_k log(max(y_k, label_clip))``."""
    t = as_f64(y_true)
    lp = log_probs(y_pred, from_logits)
    ce = -(t * lp).sum(axis=-1)
    rce = -(np.exp(lp) * np.log(np.clip(t, label_clip, 1.0))).sum(axis=-1)
    return alpha * ce + beta * rce


@with_defaults(WEIGHTED_BCE_PARAMS)
def weighted_binary_crossentropy(
    y_true: Any,
    y_pred: Any,
    *,
    pos_weight: float | Sequence[float],
    from_logits: bool,
) -> np.ndarray:
    """``mean(-(pos_weight y log p + (1 - y) log(1 - p)))`` over the last axis
    (torch.nn.BCEWithLogitsLoss with ``pos_weight``)."""
    t = as_f64(y_true)
    lp, lq = binary_log_probs(y_pred, from_logits)
    w = np.asarray(pos_weight, dtype=np.float64)
    return np.mean(-(w * t * lp + (1.0 - t) * lq), axis=-1)


@with_defaults(ASYMMETRIC_PARAMS)
def asymmetric_loss(
    y_true: Any,
    y_pred: Any,
    *,
    gamma_neg: float,
    gamma_pos: float,
    clip: float,
    from_logits: bool,
) -> np.ndarray:
    """ASL (Ridnik et al. 2021), summed over labels:
    ``-sum [y (1-p)^g+ log p + (1-y) p_m^g- log(1 - p_m)]``, ``p_m = max(p - clip, 0)``."""
    t = as_f64(y_true)
    x = as_f64(y_pred)
    if from_logits:
        p = 1.0 / (1.0 + np.exp(-x))
        lp = _log_sigmoid(x)
        lq = _log_sigmoid(-x)
    else:
        p = np.clip(x, EPSILON, 1 - EPSILON)
        lp, lq = np.log(p), np.log1p(-p)
    if clip > 0:
        pm = np.maximum(p - clip, 0.0)
        lq = np.log(1.0 - pm)
    else:
        pm = p
    pos = t * (1.0 - p) ** gamma_pos * lp
    neg = (1.0 - t) * pm**gamma_neg * lq
    return -(pos + neg).sum(axis=-1)


@with_defaults(CLASS_BALANCED_CE_PARAMS)
def class_balanced_crossentropy(
    y_true: Any,
    y_pred: Any,
    *,
    samples_per_class: Sequence[float] | None,
    beta: float,
    from_logits: bool,
) -> np.ndarray:
    """``-w_y log p_y`` with Cui et al.'s effective-number weights ``w``."""
    lp = log_probs(y_pred, from_logits)
    y = _labels(y_true)
    w = class_balanced_weights(samples_per_class, beta, lp.shape[-1])
    return -w[y] * np.take_along_axis(lp, y[..., None], axis=-1)[..., 0]


@with_defaults(CLASS_BALANCED_FOCAL_PARAMS)
def class_balanced_focal(
    y_true: Any,
    y_pred: Any,
    *,
    samples_per_class: Sequence[float] | None,
    beta: float,
    gamma: float,
    from_logits: bool,
) -> np.ndarray:
    """``-w_y (1 - p_y)^gamma log p_y`` (softmax focal loss with effective-number weights)."""
    lp = log_probs(y_pred, from_logits)
    y = _labels(y_true)
    w = class_balanced_weights(samples_per_class, beta, lp.shape[-1])
    lpy = np.take_along_axis(lp, y[..., None], axis=-1)[..., 0]
    return -w[y] * (1.0 - np.exp(lpy)) ** gamma * lpy


@with_defaults(SMOOTHED_SPARSE_CE_PARAMS)
def sparse_categorical_crossentropy_smoothed(
    y_true: Any, y_pred: Any, *, label_smoothing: float, from_logits: bool
) -> np.ndarray:
    """``-sum_k q_k log p_k`` with ``q = (1 - ls) onehot(y) + ls / K``."""
    lp = log_probs(y_pred, from_logits)
    k = lp.shape[-1]
    q = (1.0 - label_smoothing) * _onehot(_labels(y_true), k) + label_smoothing / k
    return -(q * lp).sum(axis=-1)


# ----------------------------------------------------------------------------- predictions
def predict_class_probabilities(raw: Any, *, from_logits: bool = False, **_: Any) -> np.ndarray:
    """Class probabilities (N, K): softmax of logits, or the probabilities renormalised."""
    r = as_f64(raw)
    if from_logits:
        return np.exp(_log_softmax(r))
    return r / r.sum(axis=-1, keepdims=True)


def predict_probability(raw: Any, *, from_logits: bool = False, **_: Any) -> np.ndarray:
    """Per-unit probabilities of the positive class: sigmoid of logits or the probabilities."""
    r = as_f64(raw)
    return 1.0 / (1.0 + np.exp(-r)) if from_logits else r
