"""SQL forms of the classification losses: hinge family, binary and categorical
cross-entropies (probabilities or logits, label smoothing, focal), class-index losses and
KL divergence. Epsilon clipping and label smoothing follow Keras 3."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from losslab.reference.keras_builtins import ONE_MINUS_EPS
from losslab.spark.sql._columns import (
    EPSILON,
    clip,
    elementwise,
    functions,
    lit,
    log_sigmoid,
    logsumexp,
    non_binary,
    plain,
    sigmoid,
    size_check,
    smooth_binary,
)
from losslab.spark.sql._compiler import (
    CompiledLoss,
    NotCompilable,
    Operand,
    any_value,
    expect_params,
    is_last_axis,
    is_none,
    register_sql,
)

if TYPE_CHECKING:  # pragma: no cover
    from pyspark.sql import Column

__all__: list[str] = []  # compilers are reached through the registry

_INDEX_CHECK = "labels must be integer class indices in [0, K)"


# ---------------------------------------------------------------- hinge family
def _hinge_like(t: Operand, p: Operand, square: bool) -> CompiledLoss:
    F = functions()

    def f(a: Column, b: Column) -> Column:
        m = F.greatest(lit(1.0) - a * b, lit(0.0))
        return F.pow(m, 2.0) if square else m

    return CompiledLoss(
        value=elementwise(f, t, p),
        binary_value=elementwise(lambda a, b: f(lit(2.0) * a - lit(1.0), b), t, p),
        non_binary=non_binary(t),
        checks=size_check(t, p),
    )


@register_sql("hinge")
def _hinge(t: Operand, p: Operand, params: Mapping[str, Any]) -> CompiledLoss:
    expect_params(params)
    return _hinge_like(t, p, square=False)


@register_sql("squared_hinge")
def _squared_hinge(t: Operand, p: Operand, params: Mapping[str, Any]) -> CompiledLoss:
    expect_params(params)
    return _hinge_like(t, p, square=True)


@register_sql("categorical_hinge")
def _categorical_hinge(t: Operand, p: Operand, params: Mapping[str, Any]) -> CompiledLoss:
    expect_params(params)
    F = functions()
    pos = elementwise(lambda a, b: a * b, t, p, "sum")
    neg = elementwise(lambda a, b: (lit(1.0) - a) * b, t, p, "max")
    return CompiledLoss(F.greatest(neg - pos + lit(1.0), lit(0.0)), checks=size_check(t, p))


# ---------------------------------------------------------------- binary
def _bce_terms(a: Column, b: Column, from_logits: bool) -> Column:
    """Keras's ``ops.binary_crossentropy`` for one element (a: target, b: output)."""
    F = functions()
    if from_logits:
        return -(a * log_sigmoid(b)) - (lit(1.0) - a) * log_sigmoid(-b)
    o = clip(b, EPSILON, ONE_MINUS_EPS)
    return -(a * F.log(o) + (lit(1.0) - a) * F.log(lit(1.0) - o))


@register_sql("binary_crossentropy", "bce", "log_loss")
def _bce(t: Operand, p: Operand, params: Mapping[str, Any]) -> CompiledLoss:
    expect_params(params, from_logits=any_value, label_smoothing=any_value, axis=is_last_axis)
    logits, ls = bool(params.get("from_logits", False)), float(params.get("label_smoothing", 0.0))
    return plain(t, p, lambda a, b: _bce_terms(smooth_binary(a, ls), b, logits))


@register_sql("binary_focal_crossentropy", "binary_focal")
def _binary_focal(t: Operand, p: Operand, params: Mapping[str, Any]) -> CompiledLoss:
    expect_params(
        params,
        apply_class_balancing=any_value,
        alpha=any_value,
        gamma=any_value,
        from_logits=any_value,
        label_smoothing=any_value,
        axis=is_last_axis,
    )
    F = functions()
    ls = float(params.get("label_smoothing", 0.0))
    logits = bool(params.get("from_logits", False))
    gamma = float(params.get("gamma", 2.0))
    alpha = float(params.get("alpha", 0.25))
    balance = bool(params.get("apply_class_balancing", False))

    def f(a: Column, b: Column) -> Column:
        y = smooth_binary(a, ls)
        q = sigmoid(b) if logits else b
        bce = _bce_terms(y, q, from_logits=False)
        p_t = y * q + (lit(1.0) - y) * (lit(1.0) - q)
        out = F.pow(lit(1.0) - p_t, gamma) * bce
        if balance:
            out = (y * lit(alpha) + (lit(1.0) - y) * lit(1.0 - alpha)) * out
        return out

    return plain(t, p, f)


# ---------------------------------------------------------------- multiclass
def _smoothed(y: Column, ls: float, k: Column) -> Column:
    """Keras's categorical label smoothing over ``k`` classes."""
    return y * lit(1.0 - ls) + lit(ls) / k if ls else y


@register_sql("categorical_crossentropy", "cce")
def _cce(t: Operand, p: Operand, params: Mapping[str, Any]) -> CompiledLoss:
    expect_params(params, from_logits=any_value, label_smoothing=any_value, axis=is_last_axis)
    if t.kind != "array" or p.kind != "array":
        raise NotCompilable("categorical cross-entropy needs array label and prediction columns")
    F = functions()
    logits, ls = bool(params.get("from_logits", False)), float(params.get("label_smoothing", 0.0))
    k = F.size(p.column)
    if logits:
        lse = logsumexp(p.column)
        log_prob = F.transform(p.column, lambda x: x - lse)
    else:
        s = F.aggregate(p.column, lit(0.0), lambda acc, x: acc + x)
        log_prob = F.transform(p.column, lambda x: F.log(clip(x / s, EPSILON, ONE_MINUS_EPS)))

    def term(x: Column, i: Column) -> Column:
        return _smoothed(F.try_element_at(t.column, i + 1), ls, k) * x

    total = F.aggregate(F.transform(log_prob, term), lit(0.0), lambda acc, x: acc + x)
    return CompiledLoss(-total, checks=size_check(t, p))


@register_sql("categorical_focal_crossentropy", "categorical_focal")
def _categorical_focal(t: Operand, p: Operand, params: Mapping[str, Any]) -> CompiledLoss:
    expect_params(
        params,
        alpha=any_value,
        gamma=any_value,
        from_logits=any_value,
        label_smoothing=any_value,
        axis=is_last_axis,
    )
    if t.kind != "array" or p.kind != "array":
        raise NotCompilable(
            "categorical focal cross-entropy needs array label and prediction columns"
        )
    F = functions()
    alpha = params.get("alpha", 0.25)
    gamma = float(params.get("gamma", 2.0))
    ls = float(params.get("label_smoothing", 0.0))
    k = F.size(p.column)
    if params.get("from_logits", False):
        lse = logsumexp(p.column)
        probs = F.transform(p.column, lambda x: F.exp(x - lse))
    else:
        probs = p.column
    s = F.aggregate(probs, lit(0.0), lambda acc, x: acc + x)
    alphas = F.array(*[lit(a) for a in alpha]) if isinstance(alpha, list | tuple) else None

    def term(x: Column, i: Column) -> Column:
        q = clip(x / s, EPSILON, ONE_MINUS_EPS)
        y = _smoothed(F.try_element_at(t.column, i + 1), ls, k)
        a = F.try_element_at(alphas, i + 1) if alphas is not None else lit(float(alpha))
        return a * F.pow(lit(1.0) - q, gamma) * (-y * F.log(q))

    total = F.aggregate(F.transform(probs, term), lit(0.0), lambda acc, x: acc + x)
    return CompiledLoss(total, checks=size_check(t, p))


@register_sql("kl_divergence", "kld", "kullback_leibler_divergence")
def _kld(t: Operand, p: Operand, params: Mapping[str, Any]) -> CompiledLoss:
    expect_params(params)
    F = functions()

    def f(a: Column, b: Column) -> Column:
        tc = clip(a, EPSILON, 1.0)
        return tc * F.log(tc / clip(b, EPSILON, 1.0))

    return plain(t, p, f, "sum")


# ---------------------------------------------------------------- class indices
def _bad_index(t: Operand, p: Operand) -> Column:
    """True for a label that is not an integer class index in [0, K)."""
    F = functions()
    return (t.column != F.floor(t.column)) | (t.column < 0) | (t.column >= F.size(p.column))


@register_sql("sparse_categorical_crossentropy", "scce")
def _sparse_cce(t: Operand, p: Operand, params: Mapping[str, Any]) -> CompiledLoss:
    expect_params(params, from_logits=any_value, ignore_class=is_none, axis=is_last_axis)
    if t.kind != "scalar" or p.kind != "array":
        raise NotCompilable(
            "sparse cross-entropy needs a class-index label and an array prediction"
        )
    F = functions()
    picked = F.try_element_at(p.column, t.column.cast("int") + 1)
    if params.get("from_logits", False):
        value = logsumexp(p.column) - picked
    else:
        s = F.aggregate(p.column, lit(0.0), lambda acc, x: acc + x)
        value = -F.log(clip(picked / s, EPSILON, ONE_MINUS_EPS))
    bad = _bad_index(t, p)
    return CompiledLoss(F.when(~bad, value), checks=((_INDEX_CHECK, bad),))


@register_sql("categorical_generalized_cross_entropy", "gce")
def _gce(t: Operand, p: Operand, params: Mapping[str, Any]) -> CompiledLoss:
    expect_params(params, q=any_value)
    if t.kind != "scalar" or p.kind != "array":
        raise NotCompilable(
            "generalized cross-entropy needs a class-index label and an array prediction"
        )
    F = functions()
    q = float(params["q"])
    picked = F.try_element_at(p.column, t.column.cast("int") + 1)
    bad = _bad_index(t, p)
    return CompiledLoss(
        F.when(~bad, (lit(1.0) - F.pow(picked, q)) / lit(q)), checks=((_INDEX_CHECK, bad),)
    )
