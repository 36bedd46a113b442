"""Deviance and likelihood losses Keras lacks: Tweedie and Gamma deviance, Poisson NLL on a
log-rate, Gaussian NLL (with beta-NLL weighting) and Student-t NLL on mean + scale outputs.

Pure ``keras.ops`` functions returning one value per sample (mean over the last axis of
y_true) plus thin :class:`LosslabLoss` classes. ``log_input=True`` (the default) takes the
log of the mean from a linear head: ``exp`` is applied inside the loss, so the model never
has to produce a positive number and no ``log(0)`` can occur.
"""

from __future__ import annotations

import math
from typing import Any

from keras import ops

from losslab._params import with_defaults
from losslab.losses._base import LosslabLoss, compute_dtype, register_loss_class
from losslab.reference.probabilistic import (
    GAMMA_PARAMS,
    GAUSSIAN_NLL_PARAMS,
    POISSON_NLL_PARAMS,
    STUDENT_T_PARAMS,
    TWEEDIE_PARAMS,
)

__all__ = [
    "GammaDeviance",
    "GaussianNLL",
    "PoissonNLL",
    "StudentTNLL",
    "TweedieDeviance",
    "gamma_deviance",
    "gaussian_nll",
    "poisson_nll",
    "student_t_nll",
    "tweedie_deviance",
]

_MIN_MEAN = 1e-7  # floor on the mean when log_input=False


def _cast(y_true: Any, y_pred: Any) -> tuple[Any, Any]:
    y_pred = ops.convert_to_tensor(y_pred)
    dtype = compute_dtype(y_pred)
    return ops.cast(y_true, dtype), ops.cast(y_pred, dtype)


def _log_mean(y_pred: Any, log_input: bool) -> Any:
    return y_pred if log_input else ops.log(ops.maximum(y_pred, _MIN_MEAN))


def _safe_log(y: Any) -> Any:
    """log(y) where y > 0, 0 elsewhere (no -inf, no NaN gradient)."""
    return ops.log(ops.where(y > 0, y, ops.ones_like(y)))


@with_defaults(TWEEDIE_PARAMS)
def tweedie_deviance(
    y_true: Any, y_pred: Any, *, power: float, log_input: bool
) -> Any:
    """Unit Tweedie deviance with power p (scikit-learn's ``mean_tweedie_deviance`` per element).

    ``p = 1``: ``2 (y log(y / mu) - y + mu)``; ``p = 2``: ``2 (log(mu / y) + y / mu - 1)``;
    else ``2 (y^(2-p) / ((1-p)(2-p)) - y mu^(1-p) / (1-p) + mu^(2-p) / (2-p))``. The
    y-only terms make the deviance 0 at mu = y.

    Args:
        y_true: targets, >= 0 for p < 2, > 0 for p >= 2; shape (N,) or (N, D).
        y_pred: log of the mean (``log_input=True``) or the mean (> 0), same shape.
        power: p in [1, 3].
        log_input: whether y_pred is the log of the mean.

    Returns:
        Per-sample deviance (N,), >= 0, 0 at mu = y.

    Example:
        >>> tweedie_deviance([[2.0]], [[0.0]], power=1.5)  # mu = exp(0) = 1  # doctest: +SKIP
    """
    y, raw = _cast(y_true, y_pred)
    log_mu = _log_mean(raw, log_input)
    p = float(power)
    if p == 1.0:
        d = 2.0 * (y * (_safe_log(y) - log_mu) - y + ops.exp(log_mu))
    elif p == 2.0:
        d = 2.0 * (log_mu - _safe_log(y) + y * ops.exp(-log_mu) - 1.0)
    else:
        y_term = ops.power(ops.maximum(y, 0.0), 2.0 - p) / ((1.0 - p) * (2.0 - p))
        d = 2.0 * (
            y_term
            - y * ops.exp((1.0 - p) * log_mu) / (1.0 - p)
            + ops.exp((2.0 - p) * log_mu) / (2.0 - p)
        )
    return ops.mean(d, axis=-1)


@with_defaults(GAMMA_PARAMS)
def gamma_deviance(y_true: Any, y_pred: Any, *, log_input: bool) -> Any:
    """Unit Gamma deviance ``2 (log(mu / y) + y / mu - 1)`` (scikit-learn's ``mean_gamma_deviance``).

    Args:
        y_true: targets > 0, shape (N,) or (N, D).
        y_pred: log of the mean (``log_input=True``) or the mean (> 0), same shape.
        log_input: whether y_pred is the log of the mean.

    Returns:
        Per-sample deviance (N,), >= 0, 0 at mu = y.

    Example:
        >>> gamma_deviance([[1.0]], [[0.0]])  # mu = 1 = y -> 0  # doctest: +SKIP
    """
    return tweedie_deviance(y_true, y_pred, power=2.0, log_input=log_input)


@with_defaults(POISSON_NLL_PARAMS)
def poisson_nll(
    y_true: Any, y_pred: Any, *, log_input: bool, full: bool, eps: float
) -> Any:
    """Poisson negative log-likelihood, as ``torch.nn.PoissonNLLLoss``.

    ``exp(z) - y z`` for a log-rate z (``log_input=True``), else ``mu - y log(mu + eps)``;
    ``full=True`` adds Stirling's ``y log y - y + 0.5 log(2 pi y)`` where y > 1. Without
    ``full`` the value is the NLL up to ``log(y!)``, so it is not 0 at the optimum.

    Args:
        y_true: counts >= 0, shape (N,) or (N, D).
        y_pred: log-rate (``log_input=True``) or rate, same shape.
        log_input: whether y_pred is the log of the rate.
        full: add the Stirling approximation term.
        eps: added to the rate inside the log (``log_input=False``).

    Returns:
        Per-sample NLL (N,), minimal at rate = y.

    Example:
        >>> poisson_nll([[2.0]], [[0.0]])  # exp(0) - 2 * 0 = 1  # doctest: +SKIP
    """
    y, raw = _cast(y_true, y_pred)
    v = ops.exp(raw) - y * raw if log_input else raw - y * ops.log(raw + eps)
    if full:
        ys = ops.where(y > 1, y, 2.0 * ops.ones_like(y))
        v = v + ops.where(
            y > 1, ys * ops.log(ys) - ys + 0.5 * ops.log((2.0 * math.pi) * ys), ops.zeros_like(y)
        )
    return ops.mean(v, axis=-1)


def _split(y_true: Any, y_pred: Any) -> tuple[Any, Any, Any]:
    y, raw = _cast(y_true, y_pred)
    if len(y.shape) == len(raw.shape) - 1:
        y = ops.expand_dims(y, -1)
    d = raw.shape[-1] // 2
    return y, raw[..., :d], raw[..., d:]


def _positive(s: Any, link: str, eps: float) -> Any:
    return ops.maximum(ops.softplus(s) if link == "softplus" else ops.exp(s), eps)


@with_defaults(GAUSSIAN_NLL_PARAMS)
def gaussian_nll(
    y_true: Any,
    y_pred: Any,
    *,
    beta: float,
    full: bool,
    eps: float,
    variance_link: str,
) -> Any:
    """Gaussian negative log-likelihood with a predicted variance, optionally beta-NLL.

    ``0.5 (log var + (y - mu)^2 / var)`` with ``var = max(link(s), eps)``, following
    ``torch.nn.GaussianNLLLoss``: the 0.5 factor is kept and ``0.5 log(2 pi)`` is added only
    with ``full=True``. With ``beta > 0`` each term is multiplied by
    ``stop_gradient(var)^beta`` (Seitzer et al. 2022), which keeps badly fit points from
    being ignored by inflating their variance.

    Args:
        y_true: targets, shape (N,) or (N, D).
        y_pred: (N, 2D): D means then D raw scales (any real numbers).
        beta: in [0, 1]; 0 is the plain NLL, 0.5 the paper's recommendation.
        full: add ``0.5 log(2 pi)``.
        eps: floor on the variance.
        variance_link: ``"softplus"`` or ``"exp"`` applied to the raw scale.

    Returns:
        Per-sample NLL (N,) (mean over D).

    Example:
        >>> gaussian_nll([[0.0]], [[0.0, 0.5413]])  # var = softplus(0.5413) = 1 -> 0  # doctest: +SKIP
    """
    y, mu, s = _split(y_true, y_pred)
    var = _positive(s, variance_link, eps)
    r = y - mu
    v = 0.5 * (ops.log(var) + r * r / var)
    if full:
        v = v + 0.5 * math.log(2.0 * math.pi)
    if beta > 0:
        v = v * ops.stop_gradient(ops.power(var, beta))
    return ops.mean(v, axis=-1)


@with_defaults(STUDENT_T_PARAMS)
def student_t_nll(
    y_true: Any, y_pred: Any, *, df: float, eps: float, scale_link: str
) -> Any:
    """Student-t negative log-likelihood with a predicted location and scale (fixed ``df``).

    ``-lgamma((nu+1)/2) + lgamma(nu/2) + 0.5 log(nu pi) + log sigma
    + (nu+1)/2 log1p(((y - mu) / sigma)^2 / nu)``: the exact negative log density.

    Args:
        y_true: targets, shape (N,) or (N, D).
        y_pred: (N, 2D): D locations then D raw scales.
        df: degrees of freedom nu > 0.
        eps: floor on sigma.
        scale_link: ``"softplus"`` or ``"exp"`` applied to the raw scale.

    Returns:
        Per-sample NLL (N,) (mean over D).

    Example:
        >>> student_t_nll([[0.0]], [[0.0, 0.5413]], df=3.0)  # doctest: +SKIP
    """
    y, mu, s = _split(y_true, y_pred)
    sigma = _positive(s, scale_link, eps)
    nu = float(df)
    const = -math.lgamma((nu + 1) / 2) + math.lgamma(nu / 2) + 0.5 * math.log(nu * math.pi)
    r = (y - mu) / sigma
    v = const + ops.log(sigma) + ((nu + 1) / 2) * ops.log1p(r * r / nu)
    return ops.mean(v, axis=-1)




@register_loss_class
class TweedieDeviance(LosslabLoss):
    """Tweedie deviance loss. See :func:`tweedie_deviance`."""

    fn = staticmethod(tweedie_deviance)
    PARAMS = TWEEDIE_PARAMS


@register_loss_class
class GammaDeviance(LosslabLoss):
    """Gamma deviance loss. See :func:`gamma_deviance`."""

    fn = staticmethod(gamma_deviance)
    PARAMS = GAMMA_PARAMS


@register_loss_class
class PoissonNLL(LosslabLoss):
    """Poisson NLL on a log-rate (torch.nn.PoissonNLLLoss). See :func:`poisson_nll`."""

    fn = staticmethod(poisson_nll)
    PARAMS = POISSON_NLL_PARAMS


class _MeanScaleLoss(LosslabLoss):
    """y_true (N, D) or (N,) against y_pred (N, 2D): the ranks may differ by design."""

    align = False


@register_loss_class
class GaussianNLL(_MeanScaleLoss):
    """Gaussian NLL on mean + scale outputs, optional beta-NLL. See :func:`gaussian_nll`."""

    fn = staticmethod(gaussian_nll)
    PARAMS = GAUSSIAN_NLL_PARAMS


@register_loss_class
class StudentTNLL(_MeanScaleLoss):
    """Student-t NLL on location + scale outputs. See :func:`student_t_nll`."""

    fn = staticmethod(student_t_nll)
    PARAMS = STUDENT_T_PARAMS
