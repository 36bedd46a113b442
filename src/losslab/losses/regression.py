"""Robust and quantile regression losses Keras lacks: pinball (quantile), Cauchy,
pseudo-Huber, smooth L1 and Barron's general robust loss.

Each is a pure ``keras.ops`` function returning one value per sample (the mean over the
last axis, as Keras's regression losses) and a thin :class:`LosslabLoss` class.
Half-precision inputs are computed in float32; hyperparameters are Python numbers, so
no Python branch ever depends on a tensor value (jit-safe).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

from keras import ops

from losslab._params import with_defaults
from losslab.errors import InvalidParameterError
from losslab.losses._base import LosslabLoss, align_ranks, compute_dtype, register_loss_class
from losslab.reference.regression import (
    CAUCHY_PARAMS,
    GENERAL_ROBUST_PARAMS,
    PINBALL_PARAMS,
    PSEUDO_HUBER_PARAMS,
    SMOOTH_L1_PARAMS,
    taus_of,
)

__all__ = [
    "CauchyLoss",
    "GeneralRobustLoss",
    "PinballLoss",
    "PseudoHuber",
    "QuantileLoss",
    "SmoothL1",
    "cauchy",
    "general_robust",
    "pinball",
    "pseudo_huber",
    "smooth_l1",
]


def _cast(y_true: Any, y_pred: Any) -> tuple[Any, Any]:
    y_pred = ops.convert_to_tensor(y_pred)
    dtype = compute_dtype(y_pred)
    return ops.cast(y_true, dtype), ops.cast(y_pred, dtype)


@with_defaults(PINBALL_PARAMS)
def pinball(
    y_true: Any, y_pred: Any, *, tau: float | Sequence[float], crossing_penalty: float
) -> Any:
    """Pinball (quantile) loss, one or several quantile levels.

    ``mean_q max(tau_q e, (tau_q - 1) e)`` with ``e = y_true - y_pred_q``, plus
    ``crossing_penalty * mean_j relu(y_pred_j - y_pred_{j+1})`` with several levels.
    Matches TensorFlow Addons' ``pinball_loss`` (same ``tau`` argument) for one level.

    Args:
        y_true: targets, shape (N,) or (N, D).
        y_pred: one level: same shape as y_true. Q levels: (N, Q) (or (N, D, Q)), one output
            per level in the order of ``tau``.
        tau: a level in [0, 1] or a list of increasing levels.
        crossing_penalty: weight of the penalty on adjacent quantiles that cross (>= 0).

    Returns:
        Per-sample loss, shape (N,) (or (N, D) for (N, D, Q) outputs); >= 0, 0 at y_pred = y_true.

    Example:
        >>> float(pinball([0.0, 0.0, 1.0, 1.0], [1.0, 1.0, 1.0, 0.0], tau=0.1))  # doctest: +SKIP
        0.475
    """
    taus = taus_of(tau)
    y_true, y_pred = _cast(y_true, y_pred)
    if len(taus) == 1:
        e = y_true - y_pred
        return ops.mean(ops.maximum(taus[0] * e, (taus[0] - 1.0) * e), axis=-1)
    if len(y_true.shape) == len(y_pred.shape) - 1:
        y_true = ops.expand_dims(y_true, -1)
    levels = ops.convert_to_tensor(taus, dtype=y_pred.dtype)
    e = y_true - y_pred
    values = ops.mean(ops.maximum(levels * e, (levels - 1.0) * e), axis=-1)
    if crossing_penalty > 0:
        cross = ops.relu(y_pred[..., :-1] - y_pred[..., 1:])
        values = values + crossing_penalty * ops.mean(cross, axis=-1)
    return values


@with_defaults(CAUCHY_PARAMS)
def cauchy(y_true: Any, y_pred: Any, *, scale: float) -> Any:
    """Cauchy (Lorentzian) loss ``mean(c^2 / 2 * log(1 + (e / c)^2))``.

    Args:
        y_true: targets, shape (N,) or (N, D).
        y_pred: predictions, same shape.
        scale: c > 0, in target units.

    Returns:
        Per-sample loss (N,), >= 0, 0 at y_pred = y_true; grows like log |e|.

    Example:
        >>> cauchy([[0.0]], [[1.0]])  # 0.5 * log(2)  # doctest: +SKIP
    """
    y_true, y_pred = _cast(y_true, y_pred)
    e = (y_pred - y_true) / scale
    return ops.mean((0.5 * scale * scale) * ops.log1p(e * e), axis=-1)


@with_defaults(PSEUDO_HUBER_PARAMS)
def pseudo_huber(y_true: Any, y_pred: Any, *, delta: float) -> Any:
    """Pseudo-Huber loss ``mean(delta^2 (sqrt(1 + (e / delta)^2) - 1))``: smooth everywhere,
    quadratic near 0, linear with slope delta in the tails.

    Args:
        y_true: targets, shape (N,) or (N, D).
        y_pred: predictions, same shape.
        delta: > 0, in target units.

    Returns:
        Per-sample loss (N,), >= 0, 0 at y_pred = y_true.

    Example:
        >>> pseudo_huber([[0.0]], [[1.0]])  # sqrt(2) - 1  # doctest: +SKIP
    """
    y_true, y_pred = _cast(y_true, y_pred)
    e = (y_pred - y_true) / delta
    return ops.mean((delta * delta) * (ops.sqrt(1.0 + e * e) - 1.0), axis=-1)


@with_defaults(SMOOTH_L1_PARAMS)
def smooth_l1(y_true: Any, y_pred: Any, *, beta: float) -> Any:
    """Smooth L1 loss, as ``torch.nn.SmoothL1Loss(beta=...)``:
    ``0.5 e^2 / beta if |e| < beta else |e| - 0.5 beta`` (mean over the last axis).

    Note: this is Huber divided by beta (Huber uses ``0.5 e^2`` and ``delta (|e| - delta/2)``).

    Args:
        y_true: targets, shape (N,) or (N, D).
        y_pred: predictions, same shape.
        beta: >= 0; 0 gives the mean absolute error.

    Returns:
        Per-sample loss (N,), >= 0, 0 at y_pred = y_true.

    Example:
        >>> smooth_l1([[0.0]], [[2.0]])  # 2 - 0.5  # doctest: +SKIP
    """
    y_true, y_pred = _cast(y_true, y_pred)
    a = ops.abs(y_pred - y_true)
    if beta == 0:
        return ops.mean(a, axis=-1)
    return ops.mean(ops.where(a < beta, (0.5 / beta) * a * a, a - 0.5 * beta), axis=-1)


@with_defaults(GENERAL_ROBUST_PARAMS)
def general_robust(y_true: Any, y_pred: Any, *, alpha: float, scale: float) -> Any:
    """Barron's general and adaptive robust loss with a fixed shape ``alpha``:

    ``rho(e) = |alpha - 2| / alpha * (((e / c)^2 / |alpha - 2| + 1)^(alpha / 2) - 1)``,
    computed as ``expm1(alpha / 2 * log1p(z / |alpha - 2|))`` (accurate near alpha = 0), with
    the limits ``0.5 z`` (alpha = 2), ``log(0.5 z + 1)`` (alpha = 0) and ``1 - exp(-0.5 z)``
    (alpha = -inf), ``z = (e / c)^2``.

    Args:
        y_true: targets, shape (N,) or (N, D).
        y_pred: predictions, same shape.
        alpha: shape, <= 2 (or -inf); lower is more robust.
        scale: c > 0, width of the quadratic bowl (target units).

    Returns:
        Per-sample loss (N,), >= 0, 0 at y_pred = y_true.

    Example:
        >>> general_robust([[0.0]], [[1.0]], alpha=2.0)  # 0.5  # doctest: +SKIP
    """
    y_true, y_pred = _cast(y_true, y_pred)
    e = (y_pred - y_true) / scale
    z = e * e
    if alpha == 2.0:
        v = 0.5 * z
    elif alpha == 0.0:
        v = ops.log1p(0.5 * z)
    elif math.isinf(alpha):
        v = -ops.expm1(-0.5 * z)
    else:
        b = abs(alpha - 2.0)
        v = (b / alpha) * ops.expm1((alpha / 2.0) * ops.log1p(z / b))
    return ops.mean(v, axis=-1)


@register_loss_class
class PinballLoss(LosslabLoss):
    """Pinball (quantile) loss; drop-in for ``tfa.losses.PinballLoss(tau=...)``. See :func:`pinball`.

    Example:
        >>> loss = PinballLoss(tau=[0.1, 0.5, 0.9])  # model output (N, 3)  # doctest: +SKIP
    """

    fn = staticmethod(pinball)
    PARAMS = PINBALL_PARAMS
    align = False

    @classmethod
    def check_params(cls, params: dict[str, Any]) -> None:
        taus = taus_of(params["tau"])
        if len(taus) > 1 and list(taus) != sorted(taus):
            raise InvalidParameterError(
                f"tau must list the quantile levels in increasing order. Received: tau={params['tau']!r}. "
                f"Pass tau={sorted(taus)!r} and order the model outputs the same way."
            )

    def call(self, y_true: Any, y_pred: Any) -> Any:
        if len(taus_of(self._params["tau"])) == 1:
            y_true, y_pred = align_ranks(y_true, y_pred)
        return pinball(y_true, y_pred, **self._params)


QuantileLoss = PinballLoss  # the same class under its descriptive name


@register_loss_class
class CauchyLoss(LosslabLoss):
    """Cauchy (Lorentzian) loss. See :func:`cauchy`."""

    fn = staticmethod(cauchy)
    PARAMS = CAUCHY_PARAMS


@register_loss_class
class PseudoHuber(LosslabLoss):
    """Pseudo-Huber loss. See :func:`pseudo_huber`."""

    fn = staticmethod(pseudo_huber)
    PARAMS = PSEUDO_HUBER_PARAMS


@register_loss_class
class SmoothL1(LosslabLoss):
    """Smooth L1 loss (torch.nn.SmoothL1Loss). See :func:`smooth_l1`."""

    fn = staticmethod(smooth_l1)
    PARAMS = SMOOTH_L1_PARAMS


@register_loss_class
class GeneralRobustLoss(LosslabLoss):
    """Barron's general robust loss with fixed ``alpha`` and ``scale``. See :func:`general_robust`."""

    fn = staticmethod(general_robust)
    PARAMS = GENERAL_ROBUST_PARAMS
