"""Shared pieces of the Keras built-in oracles: Keras's float32 clip bound, rank alignment,
stable sigmoid / softmax in log space, axis normalisation."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from losslab.reference._reduce import EPSILON, as_f64

__all__ = [
    "Axis",
    "ONE_MINUS_EPS",
    "as_pair",
    "axes_of",
    "log_sigmoid",
    "log_softmax",
    "same_rank",
    "sigmoid",
    "softmax",
]


Axis = int | Sequence[int] | None


# Keras clips probabilities to [eps, 1 - eps] on float32 tensors, where 1 - 1e-7 rounds to
# 1 - 1.19e-7: that bound sets the value of a saturated cross-entropy (-log(1.19e-7) = 15.94,
# not -log(1e-7) = 16.12), so the oracle uses the float32 bound too.
ONE_MINUS_EPS = float(np.float32(1.0 - EPSILON))


# ----------------------------------------------------------------------------- helpers
def same_rank(t: np.ndarray, p: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Keras's ``squeeze_or_expand_to_same_rank``: fix a rank difference of one when the
    longer array ends in an axis of size 1."""
    if t.ndim == p.ndim + 1 and t.shape[-1] == 1:
        return (t, p[..., None]) if p.ndim == 1 else (t[..., 0], p)
    if p.ndim == t.ndim + 1 and p.shape[-1] == 1:
        return (t[..., None], p) if t.ndim == 1 else (t, p[..., 0])
    return t, p


def as_pair(y_true: Any, y_pred: Any) -> tuple[np.ndarray, np.ndarray]:
    return same_rank(as_f64(y_true), as_f64(y_pred))


def sigmoid(z: np.ndarray) -> np.ndarray:
    return np.where(
        z >= 0, 1.0 / (1.0 + np.exp(-np.abs(z))), np.exp(-np.abs(z)) / (1.0 + np.exp(-np.abs(z)))
    )


def log_sigmoid(z: np.ndarray) -> np.ndarray:
    """``log(sigmoid(z)) = -softplus(-z)``, stable for large ``|z|``."""
    return -np.logaddexp(0.0, -z)


def log_softmax(z: np.ndarray, axis: int = -1) -> np.ndarray:
    z = z - z.max(axis=axis, keepdims=True)
    return z - np.log(np.exp(z).sum(axis=axis, keepdims=True))


def softmax(z: np.ndarray, axis: int = -1) -> np.ndarray:
    return np.exp(log_softmax(z, axis))


def axes_of(axis: Axis) -> int | tuple[int, ...] | None:
    if axis is None or isinstance(axis, int):
        return axis
    return tuple(int(a) for a in axis)
