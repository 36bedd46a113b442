"""SQL forms of the regression losses: point losses, robust losses, quantiles, cosine
similarity, and the count / positive-target deviances (Poisson, Tweedie, Gamma)."""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from losslab.spark.sql._columns import (
    EPSILON,
    elementwise,
    functions,
    lit,
    np_log,
    plain,
    reduce_array,
    size_check,
    softplus,
)
from losslab.spark.sql._compiler import (
    CompiledLoss,
    NotCompilable,
    Operand,
    any_value,
    expect_params,
    is_last_axis,
    register_sql,
)

if TYPE_CHECKING:  # pragma: no cover
    from pyspark.sql import Column

__all__: list[str] = []  # compilers are reached through the registry


# ---------------------------------------------------------------- point losses
@register_sql("mean_squared_error", "mse")
def _mse(t: Operand, p: Operand, params: Mapping[str, Any]) -> CompiledLoss:
    expect_params(params)
    F = functions()
    return plain(t, p, lambda a, b: F.pow(a - b, 2.0))


@register_sql("mean_absolute_error", "mae")
def _mae(t: Operand, p: Operand, params: Mapping[str, Any]) -> CompiledLoss:
    expect_params(params)
    F = functions()
    return plain(t, p, lambda a, b: F.abs(a - b))


@register_sql("mean_absolute_percentage_error", "mape")
def _mape(t: Operand, p: Operand, params: Mapping[str, Any]) -> CompiledLoss:
    expect_params(params)
    F = functions()
    return plain(
        t, p, lambda a, b: lit(100.0) * F.abs((a - b) / F.greatest(F.abs(a), lit(EPSILON)))
    )


@register_sql("mean_squared_logarithmic_error", "msle")
def _msle(t: Operand, p: Operand, params: Mapping[str, Any]) -> CompiledLoss:
    expect_params(params)
    F = functions()

    def f(a: Column, b: Column) -> Column:
        first = F.log1p(F.greatest(b, lit(EPSILON)))
        second = F.log1p(F.greatest(a, lit(EPSILON)))
        return F.pow(first - second, 2.0)

    return plain(t, p, f)


@register_sql("log_cosh", "logcosh")
def _log_cosh(t: Operand, p: Operand, params: Mapping[str, Any]) -> CompiledLoss:
    expect_params(params)

    def f(a: Column, b: Column) -> Column:
        x = b - a  # Keras: x + softplus(-2x) - log(2)
        return x + softplus(lit(-2.0) * x) - lit(math.log(2.0))

    return plain(t, p, f)


@register_sql("cosine_similarity", "cosine")
def _cosine(t: Operand, p: Operand, params: Mapping[str, Any]) -> CompiledLoss:
    expect_params(params, axis=is_last_axis)
    F = functions()
    dot = elementwise(lambda a, b: a * b, t, p, "sum")
    if t.kind == "array":
        tn = F.sqrt(F.aggregate(t.column, lit(0.0), lambda acc, x: acc + x * x))
    else:
        tn = F.abs(t.column)
    if p.kind == "array":
        pn = F.sqrt(F.aggregate(p.column, lit(0.0), lambda acc, x: acc + x * x))
    else:
        pn = F.abs(p.column)
    if t.kind != p.kind:
        raise NotCompilable("cosine similarity needs label and prediction of the same shape")
    value = -dot / (F.greatest(tn, lit(EPSILON)) * F.greatest(pn, lit(EPSILON)))
    return CompiledLoss(value, checks=size_check(t, p))


# ---------------------------------------------------------------- robust losses
@register_sql("huber")
def _huber(t: Operand, p: Operand, params: Mapping[str, Any]) -> CompiledLoss:
    expect_params(params, delta=any_value)
    F = functions()
    d = float(params["delta"])

    def f(a: Column, b: Column) -> Column:
        e = F.abs(b - a)
        return F.when(e <= lit(d), lit(0.5) * F.pow(e, 2.0)).otherwise(
            lit(d) * e - lit(0.5 * d * d)
        )

    return plain(t, p, f)


@register_sql("pseudo_huber")
def _pseudo_huber(t: Operand, p: Operand, params: Mapping[str, Any]) -> CompiledLoss:
    expect_params(params, delta=any_value)
    F = functions()
    d = float(params["delta"])
    return plain(
        t,
        p,
        lambda a, b: lit(d * d) * (F.sqrt(lit(1.0) + F.pow((b - a) / lit(d), 2.0)) - lit(1.0)),
    )


@register_sql("cauchy")
def _cauchy(t: Operand, p: Operand, params: Mapping[str, Any]) -> CompiledLoss:
    expect_params(params, scale=any_value)
    F = functions()
    c = float(params["scale"])
    return plain(t, p, lambda a, b: lit(0.5 * c * c) * F.log1p(F.pow((b - a) / lit(c), 2.0)))


@register_sql("smooth_l1")
def _smooth_l1(t: Operand, p: Operand, params: Mapping[str, Any]) -> CompiledLoss:
    expect_params(params, beta=any_value)
    F = functions()
    beta = float(params["beta"])
    if beta == 0:
        return plain(t, p, lambda a, b: F.abs(b - a))

    def f(a: Column, b: Column) -> Column:
        e = F.abs(b - a)
        return F.when(e < lit(beta), lit(0.5) * F.pow(e, 2.0) / lit(beta)).otherwise(
            e - lit(0.5 * beta)
        )

    return plain(t, p, f)


@register_sql("general_robust", "barron")
def _general_robust(t: Operand, p: Operand, params: Mapping[str, Any]) -> CompiledLoss:
    expect_params(params, alpha=any_value, scale=any_value)
    F = functions()
    alpha, c = float(params["alpha"]), float(params["scale"])

    def f(a: Column, b: Column) -> Column:
        z = F.pow((b - a) / lit(c), 2.0)
        if alpha == 2.0:
            return lit(0.5) * z
        if alpha == 0.0:
            return F.log(lit(0.5) * z + lit(1.0))
        if math.isinf(alpha) and alpha < 0:
            return lit(1.0) - F.exp(lit(-0.5) * z)
        bb = abs(alpha - 2.0)
        return lit(bb / alpha) * (F.pow(z / lit(bb) + lit(1.0), alpha / 2.0) - lit(1.0))

    return plain(t, p, f)


# ---------------------------------------------------------------- quantiles
@register_sql("pinball", "quantile")
def _pinball(t: Operand, p: Operand, params: Mapping[str, Any]) -> CompiledLoss:
    expect_params(params, tau=any_value, crossing_penalty=any_value)
    F = functions()
    tau = params["tau"]
    taus = [float(x) for x in tau] if isinstance(tau, list | tuple) else [float(tau)]
    penalty = float(params.get("crossing_penalty", 0.0))
    if len(taus) == 1:
        q = taus[0]
        return plain(t, p, lambda a, b: F.greatest(lit(q) * (a - b), lit(q - 1.0) * (a - b)))
    if t.kind != "scalar" or p.kind != "array":
        raise NotCompilable("several quantile levels need a scalar label and an array prediction")
    levels = F.array(*[lit(x) for x in taus])

    def term(x: Column, i: Column) -> Column:
        lv = F.try_element_at(levels, i + 1)
        e = t.column - x
        return F.greatest(lv * e, (lv - lit(1.0)) * e)

    value = reduce_array(F.transform(p.column, term), "mean", p.column)
    if penalty > 0:
        q = len(taus)
        gaps = F.transform(
            F.slice(p.column, 1, q - 1),
            lambda x, i: F.greatest(x - F.try_element_at(p.column, i + 2), lit(0.0)),
        )
        value = value + lit(penalty) * reduce_array(gaps, "sum") / lit(float(q - 1))
    checks = (
        (
            f"prediction arrays must hold {len(taus)} quantiles (one per tau)",
            F.size(p.column) != len(taus),
        ),
    )
    return CompiledLoss(value, checks=checks)


# ---------------------------------------------------------------- counts and positive targets
def _mean_of(b: Column, log_input: bool) -> tuple[Column, Column]:
    """(mu, log mu) from the raw output (log-rate, or the mean clipped at 1e-7)."""
    F = functions()
    if log_input:
        return F.exp(b), b
    mu = F.greatest(b, lit(1e-7))
    return mu, F.log(mu)


@register_sql("poisson")
def _poisson(t: Operand, p: Operand, params: Mapping[str, Any]) -> CompiledLoss:
    expect_params(params)
    return plain(t, p, lambda a, b: b - a * np_log(b + lit(EPSILON)))


@register_sql("poisson_nll", "log_poisson")
def _poisson_nll(t: Operand, p: Operand, params: Mapping[str, Any]) -> CompiledLoss:
    expect_params(params, log_input=any_value, full=any_value, eps=any_value)
    F = functions()
    log_input, full, eps = bool(params["log_input"]), bool(params["full"]), float(params["eps"])

    def f(y: Column, b: Column) -> Column:
        v = F.exp(b) - y * b if log_input else b - y * np_log(b + lit(eps))
        if full:
            stirling = y * F.log(y) - y + lit(0.5) * F.log(lit(2.0 * math.pi) * y)
            v = v + F.when(y > lit(1.0), stirling).otherwise(lit(0.0))
        return v

    return plain(t, p, f)


@register_sql("tweedie_deviance", "tweedie")
def _tweedie(t: Operand, p: Operand, params: Mapping[str, Any]) -> CompiledLoss:
    expect_params(params, power=any_value, log_input=any_value)
    F = functions()
    pw, log_input = float(params["power"]), bool(params["log_input"])

    def f(y: Column, b: Column) -> Column:
        mu, log_mu = _mean_of(b, log_input)
        if pw == 1.0:
            ylogy = F.when(y > lit(0.0), y * F.log(y)).otherwise(lit(0.0))
            return lit(2.0) * (ylogy - y * log_mu - y + mu)
        if pw == 2.0:
            return lit(2.0) * (log_mu - np_log(y) + y / mu - lit(1.0))
        return lit(2.0) * (
            F.pow(F.greatest(y, lit(0.0)), 2.0 - pw) / lit((1.0 - pw) * (2.0 - pw))
            - y * F.exp(lit(1.0 - pw) * log_mu) / lit(1.0 - pw)
            + F.exp(lit(2.0 - pw) * log_mu) / lit(2.0 - pw)
        )

    return plain(t, p, f)


@register_sql("gamma_deviance")
def _gamma_deviance(t: Operand, p: Operand, params: Mapping[str, Any]) -> CompiledLoss:
    expect_params(params, log_input=any_value)
    log_input = bool(params["log_input"])

    def f(y: Column, b: Column) -> Column:
        mu, log_mu = _mean_of(b, log_input)
        return lit(2.0) * (log_mu - np_log(y) + y / mu - lit(1.0))

    return plain(t, p, f)
