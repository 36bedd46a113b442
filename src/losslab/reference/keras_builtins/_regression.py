"""Oracles of the Keras regression and distribution losses: MSE, MAE, MAPE, MSLE, cosine
similarity, Huber, log-cosh, Poisson, KL divergence."""

from __future__ import annotations

from typing import Any

import numpy as np

from losslab.reference._reduce import EPSILON, as_f64
from losslab.reference.keras_builtins._common import as_pair

__all__ = [
    "cosine_similarity",
    "huber",
    "kl_divergence",
    "log_cosh",
    "mean_absolute_error",
    "mean_absolute_percentage_error",
    "mean_squared_error",
    "mean_squared_logarithmic_error",
    "poisson",
]


# ----------------------------------------------------------------------------- regression
def mean_squared_error(y_true: Any, y_pred: Any) -> np.ndarray:
    """``mean((y_true - y_pred)**2, axis=-1)``."""
    t, p = as_pair(y_true, y_pred)
    return np.mean((t - p) ** 2, axis=-1)


def mean_absolute_error(y_true: Any, y_pred: Any) -> np.ndarray:
    """``mean(|y_true - y_pred|, axis=-1)``."""
    t, p = as_pair(y_true, y_pred)
    return np.mean(np.abs(t - p), axis=-1)


def mean_absolute_percentage_error(y_true: Any, y_pred: Any) -> np.ndarray:
    """``100 * mean(|y_true - y_pred| / max(|y_true|, eps), axis=-1)``."""
    t, p = as_pair(y_true, y_pred)
    return 100.0 * np.mean(np.abs(t - p) / np.maximum(np.abs(t), EPSILON), axis=-1)


def mean_squared_logarithmic_error(y_true: Any, y_pred: Any) -> np.ndarray:
    """``mean((log(max(y_pred, eps) + 1) - log(max(y_true, eps) + 1))**2, axis=-1)``."""
    t, p = as_pair(y_true, y_pred)
    return np.mean(
        (np.log1p(np.maximum(p, EPSILON)) - np.log1p(np.maximum(t, EPSILON))) ** 2, axis=-1
    )


def cosine_similarity(y_true: Any, y_pred: Any, *, axis: int = -1) -> np.ndarray:
    """``-sum(t / max(||t||, eps) * p / max(||p||, eps), axis)`` (between -1 and 1)."""
    t, p = as_pair(y_true, y_pred)
    tn = t / np.maximum(np.sqrt(np.sum(t**2, axis=axis, keepdims=True)), EPSILON)
    pn = p / np.maximum(np.sqrt(np.sum(p**2, axis=axis, keepdims=True)), EPSILON)
    return -np.sum(tn * pn, axis=axis)


def huber(y_true: Any, y_pred: Any, *, delta: float = 1.0) -> np.ndarray:
    """``mean(0.5 e^2 if |e| <= delta else delta (|e| - 0.5 delta), axis=-1)``."""
    t, p = as_pair(y_true, y_pred)
    e = np.abs(p - t)
    return np.mean(np.where(e <= delta, 0.5 * e**2, delta * e - 0.5 * delta**2), axis=-1)


def log_cosh(y_true: Any, y_pred: Any) -> np.ndarray:
    """``mean(log(cosh(y_pred - y_true)), axis=-1)``, as ``x + softplus(-2x) - log 2``."""
    t, p = as_pair(y_true, y_pred)
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
