"""Hyperparameters from the data: rules keyed by the parameters a spec declares.

A parameter rule is ``rule(spec, ctx) -> Iterator[Setting]``; it reads only parameters the
spec declares (``delta``, ``beta``, ``scale``, ``power``, ``tau``, ``gamma``, ``alpha``,
``apply_class_balancing``, ``pos_weight``, ``samples_per_class``, ``label_smoothing``,
``num_classes``) and the spec's metadata. Rules run in registration order (the order of the
parameters in the result); each value is validated against the spec, one by one, and a
value the spec rejects is left at its default.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator
from typing import Any, NamedTuple

from losslab._vocab import TaskKind
from losslab.advisor._context import Context
from losslab.advisor._traits import (
    PositiveModel,
    declares,
    has_huber_threshold_beta,
    is_class_balanced,
    is_fixed_shape_redescending,
    is_focal,
    positive_model,
)
from losslab.catalog import LossSpec, Robustness
from losslab.errors import LosslabError

__all__ = ["ParamRule", "Setting", "configure", "tweedie_power", "yield_param_rules"]


class Setting(NamedTuple):
    """One configured hyperparameter and the reason for its value."""

    name: str
    value: Any
    why: str


ParamRule = Callable[[LossSpec, Context], Iterator[Setting]]


def _sig(x: float, digits: int = 4) -> float:
    if x == 0 or not math.isfinite(x):
        return x
    return float(f"{x:.{digits}g}")


def tweedie_power(zero_share: float, mean: float, var: float) -> float | None:
    """Method-of-moments Tweedie power from the zero share and the mean-variance relation.

    For a compound Poisson-Gamma variable (N ~ Poisson(lam) jumps of Gamma(a, theta)):
    P(Y = 0) = exp(-lam), E[Y] = lam a theta, Var[Y] = lam a (a + 1) theta^2, so
    Var lam / E^2 = 1 + 1/a and the power is p = (a + 2) / (a + 1). Returns ``None`` without
    zeros (no Tweedie signal). Clipped to [1.05, 1.95]. This is the marginal relation, a
    starting point: the tuner refines it.

    Args:
        zero_share: share of exact zeros, in (0, 1).
        mean, var: mean and variance of the target.

    Returns:
        The power p in [1.05, 1.95], or ``None`` when there are no zeros (or no spread).

    Example:
        >>> import math
        >>> round(tweedie_power(math.exp(-1.0), 1.0, 2.0), 3)  # lam = 1, a = 1 -> p = 1.5
        1.5
    """
    if not (0.0 < zero_share < 1.0) or mean <= 0 or var <= 0:
        return None
    lam = -math.log(zero_share)
    ratio = var * lam / mean**2 - 1.0
    if ratio <= 0:
        return 1.05
    a = 1.0 / ratio
    return min(max((a + 2.0) / (a + 1.0), 1.05), 1.95)


# --------------------------------------------------------------------------- numeric targets


def _numeric(ctx: Context) -> bool:
    """Numeric tasks, and ordinal levels predicted as a mean or median."""
    return ctx.kind.is_regression or (
        ctx.kind is TaskKind.ORDINAL and ctx.goal.kind in ("mean", "median")
    )


def _z_sigma(ctx: Context) -> float | None:
    """Robust sigma of the standardized target (1.4826 MAD / std), or None."""
    std = ctx.target.std or 0.0
    rsig = ctx.target.robust_sigma or 0.0
    return rsig / std if std > 0 and rsig > 0 else None


HUBER_FLOOR = 1.0
"""The smallest Huber ``delta`` (standardized units) under a mean goal on a target whose long
tail is its shape (positive / count kinds, or skewed): below it Huber estimates the median."""


def _tail_is_shape(ctx: Context) -> bool:
    return ctx.goal.kind == "mean" and (ctx.kind.is_positive or ctx.skewed)


def huber_threshold(spec: LossSpec, ctx: Context) -> Iterator[Setting]:
    """``delta`` (and smooth L1's ``beta``) = 1.345 robust sigmas: 95% Gaussian efficiency;
    exactly :data:`HUBER_FLOOR` (one standard deviation) under a mean goal on a count /
    positive target, at least it under a mean goal on a skewed target."""
    z = _z_sigma(ctx)
    if not _numeric(ctx) or z is None:
        return
    value = _sig(1.345 * z)
    floor = ""
    if ctx.kind.is_positive and ctx.goal.kind == "mean" and value != HUBER_FLOOR:
        how = "raised" if value < HUBER_FLOOR else "set"
        value = HUBER_FLOOR
        floor = (
            f"; {how} to {HUBER_FLOOR:g} on a count / positive target under a mean goal: its tail "
            "is its shape, not Gaussian noise (delta 1 had the smallest mean regret on such "
            "tables in losslab's benchmark)"
        )
    elif _tail_is_shape(ctx) and value < HUBER_FLOOR:
        value = HUBER_FLOOR
        floor = (
            f"; raised to {HUBER_FLOOR:g}: under a mean goal a skewed or positive target's tail is "
            "its shape, and a smaller delta estimates the median (it lost to delta 1 and to MSE on "
            "heavy-tailed real targets)"
        )
    if has_huber_threshold_beta(spec):
        yield Setting(
            "beta", value, f"beta = 1.345 x robust sigma of the standardized target = {value:g}"
        )
    if declares(spec, "delta"):
        std = ctx.target.std or 0.0
        rsig = ctx.target.robust_sigma or 0.0
        yield Setting(
            "delta",
            value,
            f"delta = 1.345 x robust sigma of the standardized target "
            f"(1.4826 MAD / std = {z:.3g}) = {value:g} "
            f"(x std {std:.4g} = {1.345 * rsig:.4g} in target units; 95% Gaussian efficiency)"
            + floor,
        )


def robust_scale(spec: LossSpec, ctx: Context) -> Iterator[Setting]:
    """``scale``: 2.3849 robust sigmas for a fixed-shape (Cauchy) loss, else the robust sigma."""
    z = _z_sigma(ctx)
    if not _numeric(ctx) or z is None or not declares(spec, "scale"):
        return
    if is_fixed_shape_redescending(spec):
        yield Setting(
            "scale",
            _sig(2.3849 * z),
            "scale = 2.3849 x robust sigma of the standardized target (95% efficiency)",
        )
    elif spec.robustness != Robustness.NONE:
        yield Setting(
            "scale", _sig(z), f"scale = robust sigma of the standardized target ({z:.3g})"
        )


def tweedie_power_setting(spec: LossSpec, ctx: Context) -> Iterator[Setting]:
    """Tweedie ``power`` by the method of moments (see :func:`tweedie_power`)."""
    if not _numeric(ctx) or positive_model(spec) is not PositiveModel.TWEEDIE:
        return
    t = ctx.target
    p = tweedie_power(ctx.zero_share, t.mean or 0.0, (t.std or 0.0) ** 2)
    if p is not None:
        value = round(p, 2)
        yield Setting(
            "power",
            value,
            f"power {value:g} from {ctx.zero_share:.0%} zeros and variance/mean^2 "
            f"(compound Poisson-Gamma moments)",
        )
    elif ctx.kind is TaskKind.COUNT:
        value = 1.2 if (ctx.vmr or 1) > 1.5 else 1.05
        yield Setting(
            "power", value, f"power {value:g}: counts, variance/mean = {ctx.vmr or 1:.2f}"
        )


def quantile_level(spec: LossSpec, ctx: Context) -> Iterator[Setting]:
    """``tau`` of a quantile loss = the goal's level (0.5 for a median goal)."""
    if spec.statistic != "quantile" or not declares(spec, "tau"):
        return
    quantile = ctx.goal.kind == "quantile"
    q = ctx.goal.quantile if quantile else 0.5
    yield Setting("tau", q, f"tau = {q:g} for the {'quantile' if quantile else 'median'} goal")


# --------------------------------------------------------------------------- class targets


def _binary_counts(ctx: Context) -> tuple[int, int] | None:
    """(negatives, positives) of a binary target with positives, else None."""
    counts = ctx.counts
    if ctx.kind is not TaskKind.BINARY or len(counts) != 2 or counts[1][1] <= 0:
        return None
    return counts[0][1], counts[1][1]


def focal_gamma(spec: LossSpec, ctx: Context) -> Iterator[Setting]:
    """Focal ``gamma`` = 1 (imbalance < 5:1), 2 (< 50:1), 3 (beyond)."""
    ir = ctx.imbalance
    if not ctx.kind.is_classification or ir < 3 or not is_focal(spec):
        return
    if declares(spec, "gamma"):
        gamma = 1.0 if ir < 5 else (2.0 if ir < 50 else 3.0)
        yield Setting("gamma", gamma, f"gamma = {gamma:g} for a {ir:.1f}:1 imbalance")


def binary_focal_alpha(spec: LossSpec, ctx: Context) -> Iterator[Setting]:
    """Binary focal ``alpha`` = share of the negative class in [0.1, 0.9], with class balancing."""
    nn = _binary_counts(ctx)
    if nn is None or ctx.imbalance < 3 or not is_focal(spec) or not declares(spec, "alpha"):
        return
    n_neg, n_pos = nn
    alpha = round(min(max(n_neg / (n_neg + n_pos), 0.1), 0.9), 3)
    yield Setting(
        "alpha", alpha, f"alpha = {alpha:g}, the share of the other class (inverse frequency)"
    )
    if declares(spec, "apply_class_balancing"):
        yield Setting("apply_class_balancing", True, "apply_class_balancing=True so alpha is used")


def positive_weight(spec: LossSpec, ctx: Context) -> Iterator[Setting]:
    """``pos_weight`` = negatives / positives (imbalance 1.5:1 or more)."""
    nn = _binary_counts(ctx)
    if nn is None or ctx.imbalance < 1.5 or not declares(spec, "pos_weight"):
        return
    value = _sig(nn[0] / nn[1], 3)
    yield Setting("pos_weight", value, f"pos_weight = negatives / positives = {value:g}")


def class_focal_alpha(spec: LossSpec, ctx: Context) -> Iterator[Setting]:
    """Per-class focal ``alpha`` proportional to inverse class frequencies (multiclass)."""
    if _binary_counts(ctx) is not None or ctx.kind is TaskKind.MULTILABEL:
        return
    if not ctx.kind.is_classification or ctx.imbalance < 3:
        return
    if not is_focal(spec) or not declares(spec, "alpha"):
        return
    total = sum(c for _, c in ctx.counts) or 1
    inv = [total / (len(ctx.counts) * c) if c else 0.0 for _, c in ctx.counts]
    s = sum(inv) or 1.0
    yield Setting(
        "alpha",
        [round(v / s, 4) for v in inv],
        "per-class alpha proportional to inverse class frequency",
    )


def class_balanced_weights(spec: LossSpec, ctx: Context) -> Iterator[Setting]:
    """Class-balanced ``beta`` (effective number of samples) and ``samples_per_class``."""
    if not ctx.kind.is_classification or ctx.imbalance < 1.5 or not is_class_balanced(spec):
        return
    n_max = max(c for _, c in ctx.counts)
    target_beta = 1.0 - 1.0 / max(n_max, 2)
    beta = min((0.9, 0.99, 0.999, 0.9999), key=lambda b: abs(b - target_beta))
    if declares(spec, "beta"):
        yield Setting(
            "beta",
            beta,
            f"beta = {beta:g} (effective number of samples, largest class n = {n_max})",
        )
    yield Setting(
        "samples_per_class",
        [int(c) for _, c in ctx.counts],
        "samples_per_class from the label counts",
    )


def label_smoothing(spec: LossSpec, ctx: Context) -> Iterator[Setting]:
    """``label_smoothing`` = 0.1 when the label-noise hint fires."""
    if ctx.kind.is_classification and ctx.noisy and declares(spec, "label_smoothing"):
        yield Setting("label_smoothing", 0.1, "label_smoothing = 0.1 against the label noise hint")


def number_of_classes(spec: LossSpec, ctx: Context) -> Iterator[Setting]:
    """``num_classes`` = K."""
    k = ctx.task.n_classes
    if ctx.kind.is_classification and k and declares(spec, "num_classes"):
        yield Setting("num_classes", k, f"num_classes = {k}")


def yield_param_rules() -> Iterator[ParamRule]:
    """The parameter rules, in the order their parameters appear in a recommendation."""
    yield huber_threshold
    yield robust_scale
    yield tweedie_power_setting
    yield quantile_level
    yield focal_gamma
    yield binary_focal_alpha
    yield positive_weight
    yield class_focal_alpha
    yield class_balanced_weights
    yield label_smoothing
    yield number_of_classes


def configure(spec: LossSpec, ctx: Context) -> tuple[dict[str, Any], list[str]]:
    """Data-driven hyperparameters of ``spec`` and their reasons (only values it accepts).

    Example:
        >>> import numpy as np, pandas as pd
        >>> import losslab
        >>> from losslab.advisor._goal import Goal
        >>> prof = losslab.profile(pd.DataFrame({"y": [0, 0, 0, 0, 0, 0, 0, 1] * 30}), "y")
        >>> ctx = Context.build(prof, prof.task, Goal("labels"))
        >>> configure(losslab.get_spec("weighted_binary_crossentropy"), ctx)[0]
        {'pos_weight': 7.0}
    """
    params: dict[str, Any] = {}
    notes: list[str] = []
    for rule in yield_param_rules():
        for setting in rule(spec, ctx):
            if setting.name in params:
                continue
            try:
                spec.validate_params({**params, setting.name: setting.value})
            except LosslabError:
                continue
            params[setting.name] = setting.value
            notes.append(setting.why)
    return params, notes
