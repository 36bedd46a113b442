"""NumPy float64 oracles for losslab's ordinal losses (CORAL, CORN, weighted kappa) and the
helpers between labels, ordinal targets, model outputs and class predictions.

Labels are integers ``0 .. K-1``. CORAL and CORN models emit ``K - 1`` logits.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from losslab._params import Interval, OneOf, Param, with_defaults
from losslab.reference._reduce import as_f64

__all__ = [
    "CORAL_PARAMS",
    "CORN_PARAMS",
    "WEIGHTED_KAPPA_PARAMS",
    "coral",
    "coral_probabilities",
    "corn",
    "corn_probabilities",
    "labels_to_levels",
    "ordinal_labels",
    "predict_coral",
    "predict_corn",
    "weighted_kappa",
]

CORAL_PARAMS: tuple[Param, ...] = (
    Param(
        "importance",
        None,
        Interval(0.0, None, allow_none=True),
        "weight of each of the K-1 binary tasks (list of K-1 numbers); None gives 1 each",
    ),
)
CORN_PARAMS: tuple[Param, ...] = ()
WEIGHTED_KAPPA_PARAMS: tuple[Param, ...] = (
    Param(
        "num_classes",
        None,
        Interval(2, None, integer=True, allow_none=True),
        "number of classes K; None reads it from y_pred's last axis",
    ),
    Param(
        "weightage",
        "quadratic",
        OneOf(("linear", "quadratic")),
        "disagreement weights |i - j| (linear) or (i - j)^2 (quadratic)",
        search=("categorical", ("linear", "quadratic")),
    ),
    Param(
        "epsilon", 1e-6, Interval(0.0, None), "added inside the log (TensorFlow Addons' epsilon)"
    ),
)


def _log_sigmoid(x: np.ndarray) -> np.ndarray:
    return -np.logaddexp(0.0, -x)


def _sigmoid(x: np.ndarray) -> np.ndarray:
    return np.exp(_log_sigmoid(x))


def _int_labels(y_true: Any) -> np.ndarray:
    t = as_f64(y_true)
    if t.ndim >= 2 and t.shape[-1] == 1:
        t = t[..., 0]
    return t.astype(np.int64)


def labels_to_levels(labels: Any, num_classes: int) -> np.ndarray:
    """Ordinal targets: ``levels[i, k] = 1 if labels[i] > k`` for ``k = 0 .. K-2``.

    Example:
        >>> labels_to_levels([0, 2, 1], 3).tolist()
        [[0.0, 0.0], [1.0, 1.0], [1.0, 0.0]]
    """
    y = _int_labels(labels)
    return (y[..., None] > np.arange(num_classes - 1)).astype(np.float64)


@with_defaults(CORAL_PARAMS)
def coral(y_true: Any, y_pred: Any, *, importance: Sequence[float] | None) -> np.ndarray:
    """``-sum_k w_k [l_k log s(z_k) + (1 - l_k) log(1 - s(z_k))]`` with ``l_k = 1[y > k]``
    (Cao, Mirjalili and Raschka 2020; sum over tasks as in coral-pytorch)."""
    z = as_f64(y_pred)
    lv = labels_to_levels(y_true, z.shape[-1] + 1)
    term = lv * _log_sigmoid(z) + (1.0 - lv) * _log_sigmoid(-z)
    if importance is not None:
        term = term * np.asarray(importance, dtype=np.float64)
    return -term.sum(axis=-1)


def corn(y_true: Any, y_pred: Any) -> np.ndarray:
    """``-sum_{k <= y} [1[y > k] log s(z_k) + 1[y = k] log(1 - s(z_k))]``: task k is trained on
    the samples with ``y >= k`` only (Shi, Cao and Raschka 2023), summed per sample."""
    z = as_f64(y_pred)
    y = _int_labels(y_true)
    k = np.arange(z.shape[-1])
    mask = (y[..., None] >= k).astype(np.float64)
    lv = (y[..., None] > k).astype(np.float64)
    term = lv * _log_sigmoid(z) + (1.0 - lv) * _log_sigmoid(-z)
    return -(mask * term).sum(axis=-1)


def _levels_to_probabilities(p_greater: np.ndarray) -> np.ndarray:
    """Class probabilities from ``P(y > k)``, k = 0..K-2 (differences, clipped at 0, renormalised)."""
    ones = np.ones(p_greater.shape[:-1] + (1,))
    zeros = np.zeros(p_greater.shape[:-1] + (1,))
    cum = np.concatenate([ones, p_greater, zeros], axis=-1)
    probs = np.maximum(cum[..., :-1] - cum[..., 1:], 0.0)
    return probs / probs.sum(axis=-1, keepdims=True)


def coral_probabilities(logits: Any) -> np.ndarray:
    """Class probabilities (N, K) from CORAL's K-1 logits: ``P(y > k) = sigmoid(z_k)``."""
    return _levels_to_probabilities(_sigmoid(as_f64(logits)))


def corn_probabilities(logits: Any) -> np.ndarray:
    """Class probabilities (N, K) from CORN's K-1 conditional logits:
    ``P(y > k) = prod_{j <= k} sigmoid(z_j)``."""
    return _levels_to_probabilities(np.cumprod(_sigmoid(as_f64(logits)), axis=-1))


def ordinal_labels(probabilities: Any) -> np.ndarray:
    """Predicted labels from class probabilities: the median class (the first k with
    cumulative probability >= 0.5), the rule CORAL and CORN use (count of P(y > k) > 0.5)."""
    p = as_f64(probabilities)
    return (np.cumsum(p, axis=-1)[..., :-1] < 0.5).sum(axis=-1)


def predict_coral(raw: Any, **_: Any) -> np.ndarray:
    """Class probabilities (N, K) from a CORAL model's raw output."""
    return coral_probabilities(raw)


def predict_corn(raw: Any, **_: Any) -> np.ndarray:
    """Class probabilities (N, K) from a CORN model's raw output."""
    return corn_probabilities(raw)


@with_defaults(WEIGHTED_KAPPA_PARAMS)
def weighted_kappa(
    y_true: Any,
    y_pred: Any,
    *,
    num_classes: int | None,
    weightage: str,
    epsilon: float,
) -> np.ndarray:
    """TensorFlow Addons' WeightedKappaLoss (one value per batch):
    ``log(sum_ij W[y_i, j] p_ij / ((hist_true W hist_pred^T) / N) + epsilon)``,
    ``W = |i - j|`` or ``(i - j)^2``. y_true one-hot (N, K) or integer labels (N,)."""
    p = as_f64(y_pred)
    k = p.shape[-1] if num_classes is None else int(num_classes)
    t = as_f64(y_true)
    if t.ndim == p.ndim - 1 or (t.ndim == p.ndim and t.shape[-1] == 1 and k > 1):
        t = np.eye(k)[_int_labels(t)]
    idx = np.arange(k, dtype=np.float64)
    diff = idx[:, None] - idx[None, :]
    w = np.abs(diff) if weightage == "linear" else diff**2
    lab = t @ idx  # the class index of each sample (soft labels give their mean index)
    d = lab[:, None] - idx[None, :]
    numerator = np.sum((np.abs(d) if weightage == "linear" else d**2) * p)
    denominator = t.sum(axis=0) @ w @ p.sum(axis=0) / p.shape[0]
    ratio = numerator / denominator if denominator != 0 else 0.0
    return np.asarray(np.log(ratio + epsilon))
