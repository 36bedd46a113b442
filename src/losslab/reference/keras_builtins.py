"""NumPy float64 oracles for the Keras 3 built-in losses, from their formulas.

Conventions follow Keras 3.15 (``keras/src/losses/losses.py``): per-sample values are
means over the last axis unless stated; probabilities are clipped to
``[eps, 1 - eps]`` with ``eps = 1e-7`` where Keras clips.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from losslab.reference._reduce import as_f64

__all__ = ["huber", "mean_squared_error"]


def mean_squared_error(y_true: Any, y_pred: Any) -> np.ndarray:
    """``mean((y_true - y_pred)**2, axis=-1)``."""
    t, p = as_f64(y_true), as_f64(y_pred)
    return np.mean((t - p) ** 2, axis=-1)


def huber(y_true: Any, y_pred: Any, *, delta: float = 1.0) -> np.ndarray:
    """``mean(0.5 e^2 if |e| <= delta else delta (|e| - 0.5 delta), axis=-1)``."""
    e = np.abs(as_f64(y_pred) - as_f64(y_true))
    return np.mean(np.where(e <= delta, 0.5 * e**2, delta * e - 0.5 * delta**2), axis=-1)
