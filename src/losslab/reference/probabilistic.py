"""NumPy float64 oracles for losslab's deviance and likelihood losses (counts, positive
targets, mean + scale outputs), and the functions turning raw outputs into predictions.

Written from the formulas. Per-sample values are means over the last axis of y_true.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from losslab._params import BOOL, Interval, OneOf, Param, with_defaults
from losslab.reference._reduce import as_f64

__all__ = [
    "GAMMA_PARAMS",
    "GAUSSIAN_NLL_PARAMS",
    "POISSON_NLL_PARAMS",
    "STUDENT_T_PARAMS",
    "TWEEDIE_PARAMS",
    "gamma_deviance",
    "gaussian_nll",
    "poisson_nll",
    "predict_mean",
    "predict_mean_scale",
    "split_mean_scale",
    "student_t_nll",
    "tweedie_deviance",
]

_LOG_INPUT = Param(
    "log_input",
    True,
    BOOL,
    "True: y_pred is the log of the mean (linear head, stable); False: y_pred is the mean (> 0)",
)

TWEEDIE_PARAMS: tuple[Param, ...] = (
    Param(
        "power",
        1.5,
        Interval(1.0, 3.0),
        "Tweedie power p: 1 = Poisson, (1, 2) = compound Poisson-Gamma, 2 = Gamma, 3 = inverse Gaussian",
        search=("float", 1.05, 1.95, False),
    ),
    _LOG_INPUT,
)

GAMMA_PARAMS: tuple[Param, ...] = (_LOG_INPUT,)

POISSON_NLL_PARAMS: tuple[Param, ...] = (
    _LOG_INPUT,
    Param(
        "full", False, BOOL, "add the Stirling term y log y - y + 0.5 log(2 pi y) for y > 1 (torch)"
    ),
    Param(
        "eps",
        1e-8,
        Interval(0.0, None, closed="neither"),
        "added to the mean inside log when log_input=False",
    ),
)

_VARIANCE_LINK = Param(
    "variance_link",
    "softplus",
    OneOf(("softplus", "exp")),
    "positive transform of the raw scale output: softplus(s) or exp(s)",
)

GAUSSIAN_NLL_PARAMS: tuple[Param, ...] = (
    Param(
        "beta",
        0.0,
        Interval(0.0, 1.0),
        "beta-NLL weight: each term is multiplied by stop_gradient(variance)**beta (0 = plain NLL, 0.5 recommended)",
        search=("float", 0.0, 1.0, False),
    ),
    Param(
        "full", False, BOOL, "add the constant 0.5 log(2 pi) (torch.nn.GaussianNLLLoss full=True)"
    ),
    Param(
        "eps", 1e-6, Interval(0.0, None, closed="neither"), "floor on the variance (torch's clamp)"
    ),
    _VARIANCE_LINK,
)

STUDENT_T_PARAMS: tuple[Param, ...] = (
    Param(
        "df",
        3.0,
        Interval(0.0, None, closed="neither"),
        "degrees of freedom nu (lower = heavier tails, more robust; large = Gaussian)",
        search=("float", 1.0, 30.0, True),
    ),
    Param("eps", 1e-6, Interval(0.0, None, closed="neither"), "floor on the scale"),
    Param(
        "scale_link",
        "softplus",
        OneOf(("softplus", "exp")),
        "positive transform of the raw scale output: softplus(s) or exp(s)",
    ),
)


def _mean_of(y_pred: np.ndarray, log_input: bool) -> tuple[np.ndarray, np.ndarray]:
    """(mu, log mu) from the raw output."""
    if log_input:
        return np.exp(y_pred), y_pred
    mu = np.maximum(y_pred, 1e-7)
    return mu, np.log(mu)


@with_defaults(TWEEDIE_PARAMS)
def tweedie_deviance(
    y_true: Any, y_pred: Any, *, power: float, log_input: bool
) -> np.ndarray:
    """Unit Tweedie deviance (scikit-learn's ``mean_tweedie_deviance`` per element).

    ``p = 1``: ``2 (y log(y / mu) - y + mu)``; ``p = 2``: ``2 (log(mu / y) + y / mu - 1)``;
    otherwise ``2 (y^(2-p) / ((1-p)(2-p)) - y mu^(1-p) / (1-p) + mu^(2-p) / (2-p))``.
    """
    y = as_f64(y_true)
    mu, log_mu = _mean_of(as_f64(y_pred), log_input)
    p = float(power)
    if p == 1.0:
        ylogy = np.where(y > 0, y * np.log(np.where(y > 0, y, 1.0)), 0.0)
        d = 2.0 * (ylogy - y * log_mu - y + mu)
    elif p == 2.0:
        d = 2.0 * (log_mu - np.log(y) + y / mu - 1.0)
    else:
        d = 2.0 * (
            np.maximum(y, 0.0) ** (2.0 - p) / ((1.0 - p) * (2.0 - p))
            - y * np.exp((1.0 - p) * log_mu) / (1.0 - p)
            + np.exp((2.0 - p) * log_mu) / (2.0 - p)
        )
    return np.mean(d, axis=-1)


@with_defaults(GAMMA_PARAMS)
def gamma_deviance(y_true: Any, y_pred: Any, *, log_input: bool) -> np.ndarray:
    """``2 (log(mu / y) + y / mu - 1)`` (scikit-learn's ``mean_gamma_deviance`` per element)."""
    y = as_f64(y_true)
    mu, log_mu = _mean_of(as_f64(y_pred), log_input)
    return np.mean(2.0 * (log_mu - np.log(y) + y / mu - 1.0), axis=-1)


@with_defaults(POISSON_NLL_PARAMS)
def poisson_nll(
    y_true: Any, y_pred: Any, *, log_input: bool, full: bool, eps: float
) -> np.ndarray:
    """torch.nn.PoissonNLLLoss per element: ``exp(z) - y z`` (log input) or
    ``mu - y log(mu + eps)``; ``full`` adds ``y log y - y + 0.5 log(2 pi y)`` where y > 1."""
    y, raw = as_f64(y_true), as_f64(y_pred)
    v = np.exp(raw) - y * raw if log_input else raw - y * np.log(raw + eps)
    if full:
        ys = np.where(y > 1, y, 2.0)
        v = v + np.where(y > 1, ys * np.log(ys) - ys + 0.5 * np.log(2 * np.pi * ys), 0.0)
    return np.mean(v, axis=-1)


def split_mean_scale(y_true: Any, y_pred: Any) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``(y, mean, raw_scale)``: y_pred's last axis holds D means then D raw scales."""
    y, raw = as_f64(y_true), as_f64(y_pred)
    if y.ndim == raw.ndim - 1:
        y = y[..., None]
    d = raw.shape[-1] // 2
    return y, raw[..., :d], raw[..., d:]


def _softplus(x: np.ndarray) -> np.ndarray:
    return np.logaddexp(0.0, x)


@with_defaults(GAUSSIAN_NLL_PARAMS)
def gaussian_nll(
    y_true: Any,
    y_pred: Any,
    *,
    beta: float,
    full: bool,
    eps: float,
    variance_link: str,
) -> np.ndarray:
    """``0.5 (log var + (y - mu)^2 / var) [+ 0.5 log(2 pi)]``, times ``var^beta`` (beta-NLL).

    ``var = max(link(s), eps)``; the 0.5 factor and the optional constant follow
    torch.nn.GaussianNLLLoss.
    """
    y, mu, s = split_mean_scale(y_true, y_pred)
    var = np.maximum(_softplus(s) if variance_link == "softplus" else np.exp(s), eps)
    v = 0.5 * (np.log(var) + (y - mu) ** 2 / var)
    if full:
        v = v + 0.5 * math.log(2 * math.pi)
    if beta > 0:
        v = v * var**beta
    return np.mean(v, axis=-1)


@with_defaults(STUDENT_T_PARAMS)
def student_t_nll(
    y_true: Any, y_pred: Any, *, df: float, eps: float, scale_link: str
) -> np.ndarray:
    """Negative log density of a Student-t with ``df`` degrees of freedom, location mu, scale sigma:

    ``-lgamma((nu+1)/2) + lgamma(nu/2) + 0.5 log(nu pi) + log sigma
    + (nu+1)/2 log(1 + ((y - mu) / sigma)^2 / nu)``.
    """
    y, mu, s = split_mean_scale(y_true, y_pred)
    sigma = np.maximum(_softplus(s) if scale_link == "softplus" else np.exp(s), eps)
    nu = float(df)
    const = -math.lgamma((nu + 1) / 2) + math.lgamma(nu / 2) + 0.5 * math.log(nu * math.pi)
    v = const + np.log(sigma) + (nu + 1) / 2 * np.log1p(((y - mu) / sigma) ** 2 / nu)
    return np.mean(v, axis=-1)


def predict_mean(raw: Any, *, log_input: bool = True, **_: Any) -> np.ndarray:
    """The predicted mean: ``exp(raw)`` for log-input losses, else ``raw``."""
    r = as_f64(raw)
    return np.exp(r) if log_input else r


def predict_mean_scale(raw: Any, **_: Any) -> np.ndarray:
    """The predicted mean of a mean + scale output: the first half of the last axis."""
    r = as_f64(raw)
    return r[..., : r.shape[-1] // 2]
