"""NumPy float64 oracles for losslab's robust and quantile regression losses.

Written from the formulas (never by calling the Keras code). Each returns one value per
sample: the mean over the last axis, as Keras's regression losses do.

The hyperparameter declarations (:class:`~losslab._params.Param` tuples) live here, in the
keras-free bottom layer, so the catalog entry and the Keras class share one definition.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from losslab._params import Interval, Param, with_defaults
from losslab.reference._reduce import as_f64

__all__ = [
    "CAUCHY_PARAMS",
    "GENERAL_ROBUST_PARAMS",
    "PINBALL_PARAMS",
    "PSEUDO_HUBER_PARAMS",
    "SMOOTH_L1_PARAMS",
    "cauchy",
    "general_robust",
    "pinball",
    "pseudo_huber",
    "smooth_l1",
    "taus_of",
]

PINBALL_PARAMS: tuple[Param, ...] = (
    Param(
        "tau",
        0.5,
        Interval(0.0, 1.0),
        "quantile level in [0, 1], or a list of increasing levels (one output per level); "
        "the user's goal, so never tuned",
    ),
    Param(
        "crossing_penalty",
        0.0,
        Interval(0.0, None),
        "weight of the non-crossing penalty mean(relu(q_j - q_{j+1})) over adjacent levels",
        search=("float", 0.0, 10.0, False),
    ),
)

CAUCHY_PARAMS: tuple[Param, ...] = (
    Param(
        "scale",
        1.0,
        Interval(0.0, None, closed="neither"),
        "error size c where the loss turns logarithmic (target units)",
        search=("float", 0.05, 10.0, True),
    ),
)

PSEUDO_HUBER_PARAMS: tuple[Param, ...] = (
    Param(
        "delta",
        1.0,
        Interval(0.0, None, closed="neither"),
        "error size where the loss turns from quadratic to linear (target units)",
        search=("float", 0.05, 10.0, True),
    ),
)

SMOOTH_L1_PARAMS: tuple[Param, ...] = (
    Param(
        "beta",
        1.0,
        Interval(0.0, None),
        "error size where the loss turns from quadratic to linear; 0 gives the absolute error",
        search=("float", 0.05, 10.0, True),
    ),
)

GENERAL_ROBUST_PARAMS: tuple[Param, ...] = (
    Param(
        "alpha",
        1.0,
        Interval(None, 2.0),
        "shape: 2 = L2, 1 = pseudo-Huber/Charbonnier, 0 = Cauchy, -2 = Geman-McClure, "
        "-inf = Welsch; lower is more robust",
        search=("float", -4.0, 2.0, False),
    ),
    Param(
        "scale",
        1.0,
        Interval(0.0, None, closed="neither"),
        "scale c of the quadratic bowl near zero (target units)",
        search=("float", 0.05, 10.0, True),
    ),
)


def taus_of(tau: float | Sequence[float]) -> tuple[float, ...]:
    """The quantile levels as a tuple (a single level gives a 1-tuple)."""
    if isinstance(tau, Sequence) and not isinstance(tau, str):
        return tuple(float(t) for t in tau)
    return (float(tau),)


@with_defaults(PINBALL_PARAMS)
def pinball(
    y_true: Any, y_pred: Any, *, tau: float | Sequence[float], crossing_penalty: float
) -> np.ndarray:
    """``mean_q max(tau_q e, (tau_q - 1) e)`` with ``e = y_true - y_pred_q``.

    One level: y_pred has y_true's shape. Q levels: y_pred has a trailing axis of Q
    outputs and y_true lacks it (or has size 1 there). The crossing penalty adds
    ``crossing_penalty * mean_j relu(y_pred_j - y_pred_{j+1})`` over adjacent levels.
    """
    taus = taus_of(tau)
    t, p = as_f64(y_true), as_f64(y_pred)
    if len(taus) == 1:
        e = t - p
        return np.mean(np.maximum(taus[0] * e, (taus[0] - 1.0) * e), axis=-1)
    if t.ndim == p.ndim - 1:
        t = t[..., None]
    levels = np.asarray(taus)
    e = t - p
    values = np.mean(np.maximum(levels * e, (levels - 1.0) * e), axis=-1)
    if crossing_penalty > 0:
        values = values + crossing_penalty * np.mean(
            np.maximum(p[..., :-1] - p[..., 1:], 0.0), axis=-1
        )
    return values


@with_defaults(CAUCHY_PARAMS)
def cauchy(y_true: Any, y_pred: Any, *, scale: float) -> np.ndarray:
    """``mean(c^2 / 2 * log(1 + (e / c)^2))``."""
    e = as_f64(y_pred) - as_f64(y_true)
    return np.mean(0.5 * scale**2 * np.log1p((e / scale) ** 2), axis=-1)


@with_defaults(PSEUDO_HUBER_PARAMS)
def pseudo_huber(y_true: Any, y_pred: Any, *, delta: float) -> np.ndarray:
    """``mean(delta^2 (sqrt(1 + (e / delta)^2) - 1))``."""
    e = as_f64(y_pred) - as_f64(y_true)
    return np.mean(delta**2 * (np.sqrt(1.0 + (e / delta) ** 2) - 1.0), axis=-1)


@with_defaults(SMOOTH_L1_PARAMS)
def smooth_l1(y_true: Any, y_pred: Any, *, beta: float) -> np.ndarray:
    """``mean(0.5 e^2 / beta if |e| < beta else |e| - 0.5 beta)`` (torch.nn.SmoothL1Loss)."""
    a = np.abs(as_f64(y_pred) - as_f64(y_true))
    if beta == 0:
        return np.mean(a, axis=-1)
    return np.mean(np.where(a < beta, 0.5 * a**2 / beta, a - 0.5 * beta), axis=-1)


@with_defaults(GENERAL_ROBUST_PARAMS)
def general_robust(
    y_true: Any, y_pred: Any, *, alpha: float, scale: float
) -> np.ndarray:
    """Barron's ``rho(e, alpha, c)``, mean over the last axis, with its limits at 0, 2, -inf."""
    z = ((as_f64(y_pred) - as_f64(y_true)) / scale) ** 2
    if alpha == 2.0:
        v = 0.5 * z
    elif alpha == 0.0:
        v = np.log(0.5 * z + 1.0)
    elif np.isneginf(alpha):
        v = 1.0 - np.exp(-0.5 * z)
    else:
        b = abs(alpha - 2.0)
        v = b / alpha * ((z / b + 1.0) ** (alpha / 2.0) - 1.0)
    return np.mean(v, axis=-1)
