"""Compile catalog losses to native Spark SQL column expressions (no Python UDF).

A compiler turns ``(label, prediction, params)`` into a per-row :class:`CompiledLoss`
whose value equals the loss's NumPy reference for that row (Keras semantics: epsilon
clipping at 1e-7, label smoothing, mean over the last axis). Array columns (one-hot labels,
class scores, several outputs) are handled with the higher-order functions ``transform``
and ``aggregate`` (``element_at`` for class indices); ``zip_with`` is avoided because it
switches off whole-stage code generation.

Compilers are keyed by catalog names; :func:`compile_loss` finds the compiler of a
:class:`~losslab.catalog.LossSpec` through its name and aliases, and raises
:class:`NotCompilable` for a loss (or a parameter value) with no expression form, in which
case :func:`losslab.spark.evaluate` falls back to ``mapInArrow`` + the NumPy reference.

Add a compiler::

    @register_sql("my_loss")
    def _my_loss(t: Operand, p: Operand, params: Mapping[str, Any]) -> CompiledLoss:
        return CompiledLoss(elementwise(lambda a, b: F.abs(a - b) ** params["power"], t, p))
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal

from losslab.catalog import LossSpec, get_spec
from losslab.reference.keras_builtins import ONE_MINUS_EPS

if TYPE_CHECKING:  # pragma: no cover
    from pyspark.sql import Column

__all__ = [
    "EPSILON",
    "CompiledLoss",
    "NotCompilable",
    "Operand",
    "compilable_losses",
    "compile_loss",
    "elementwise",
    "register_sql",
]

EPSILON = 1e-7  # keras.backend.epsilon()
# Probabilities are clipped to [EPSILON, ONE_MINUS_EPS]: the upper bound is 1 - 1e-7 as Keras
# applies it on float32 tensors (1 - 1.19e-7), shared with the NumPy oracle so that Spark and
# the local engine give the same value for a saturated prediction (p = 1 exactly).


class NotCompilable(Exception):
    """This loss (or this parameter value, or these column types) has no SQL form."""


@dataclass(frozen=True)
class Operand:
    """A column expression and its shape: ``"scalar"`` (N, 1) or ``"array"`` (N, K)."""

    column: Column
    kind: Literal["scalar", "array"]


@dataclass(frozen=True)
class CompiledLoss:
    """Per-row expressions of one loss.

    Attributes:
        value: the per-row loss value (double).
        binary_value: for losses with Keras's hinge label rule, the value when labels in
            {0, 1} are converted to {-1, 1} (used when every label of the table is 0 or 1).
        non_binary: 1 for a row whose labels are not all 0 or 1 (hinge rule only).
        checks: ``(message, column)`` pairs; a column is true for a row that breaks the
            loss's input contract (counted in the same pass, then reported as an error).
    """

    value: Column
    binary_value: Column | None = None
    non_binary: Column | None = None
    checks: tuple[tuple[str, Column], ...] = ()


LossCompiler = Callable[[Operand, Operand, Mapping[str, Any]], CompiledLoss]
_COMPILERS: dict[str, LossCompiler] = {}


def _norm(name: str) -> str:
    return "".join(ch for ch in name.lower() if ch.isalnum())


def register_sql(*names: str) -> Callable[[LossCompiler], LossCompiler]:
    """Decorator: register a compiler under catalog names or aliases."""

    def deco(fn: LossCompiler) -> LossCompiler:
        for n in names:
            _COMPILERS[_norm(n)] = fn
        return fn

    return deco


def find_compiler(spec: LossSpec) -> LossCompiler | None:
    """The compiler for ``spec`` (matched on its name and aliases), or ``None``."""
    for n in spec.all_names:
        fn = _COMPILERS.get(_norm(n))
        if fn is not None:
            return fn
    return None


def compile_loss(
    spec: LossSpec | str, label: Operand, prediction: Operand, params: Mapping[str, Any]
) -> CompiledLoss:
    """Per-row SQL expressions for ``spec`` with validated ``params``.

    Raises:
        NotCompilable: no SQL form for this loss, parameter value or column shape.
    """
    spec = get_spec(spec)
    fn = find_compiler(spec)
    if fn is None:
        raise NotCompilable(f"no SQL form for '{spec.name}'")
    return fn(label, prediction, params)


def compilable_losses() -> list[str]:
    """Canonical names of the catalog losses that compile to SQL (with default parameters)."""
    from losslab.catalog import list_losses

    return [s.name for s in list_losses() if find_compiler(s) is not None]


# ---------------------------------------------------------------- helpers
def _F() -> Any:
    from pyspark.sql import functions as F

    return F


def _lit(x: float) -> Column:
    return _F().lit(float(x))


def _expect(params: Mapping[str, Any], **allowed: Callable[[Any], bool]) -> None:
    """Every parameter must be known to the compiler and pass its predicate."""
    for k, v in params.items():
        ok = allowed.get(k)
        if ok is None or not ok(v):
            raise NotCompilable(f"parameter {k}={v!r}")


def _any(_: Any) -> bool:
    return True


def _last_axis(v: Any) -> bool:
    return v in (-1, None)


def _none(v: Any) -> bool:
    return v is None


def _reduce_array(
    arr: Column, how: Literal["mean", "sum", "max"], size_of: Column | None = None
) -> Column:
    """Reduce an array expression; ``size_of`` is a cheaper array of the same length."""
    F = _F()
    if how == "max":
        return F.aggregate(arr, F.try_element_at(arr, F.lit(1)), lambda acc, x: F.greatest(acc, x))
    total = F.aggregate(arr, _lit(0.0), lambda acc, x: acc + x)
    return total / F.size(arr if size_of is None else size_of) if how == "mean" else total


def elementwise(
    f: Callable[[Column, Column], Column],
    t: Operand,
    p: Operand,
    how: Literal["mean", "sum", "max"] = "mean",
) -> Column:
    """``how`` over the last axis of ``f(t, p)``: one value per row.

    Scalars are used as they are; arrays are walked with ``transform`` (with the element
    index, reading the other array with ``element_at``) then reduced with ``aggregate``.
    """
    F = _F()
    if t.kind == "scalar" and p.kind == "scalar":
        return f(t.column, p.column)
    if p.kind == "array" and t.kind == "array":
        terms = F.transform(p.column, lambda x, i: f(F.try_element_at(t.column, i + 1), x))
        return _reduce_array(terms, how, p.column)
    if p.kind == "array":
        return _reduce_array(F.transform(p.column, lambda x: f(t.column, x)), how, p.column)
    return _reduce_array(F.transform(t.column, lambda x: f(x, p.column)), how, t.column)


def _size_check(t: Operand, p: Operand) -> tuple[tuple[str, Column], ...]:
    if t.kind == "array" and p.kind == "array":
        F = _F()
        return (
            ("label and prediction arrays differ in length", F.size(t.column) != F.size(p.column)),
        )
    return ()


def _non_binary(t: Operand) -> Column:
    F = _F()

    def bad(x: Column) -> Column:
        return ~((x == 0.0) | (x == 1.0))

    if t.kind == "scalar":
        return bad(t.column)
    return F.exists(t.column, bad)


def _clip(x: Column, low: float, high: float) -> Column:
    F = _F()
    return F.least(F.greatest(x, _lit(low)), _lit(high))


def _np_log(x: Column) -> Column:
    """NumPy's ``log``: ``-inf`` at 0 and NaN below (Spark's ``log`` gives NULL there)."""
    F = _F()
    return (
        F.when(x > _lit(0.0), F.log(x))
        .when(x == _lit(0.0), _lit(-math.inf))
        .otherwise(_lit(math.nan))
    )


def _softplus(x: Column) -> Column:
    """``log(1 + exp(x))`` without overflow: ``max(x, 0) + log1p(exp(-|x|))``."""
    F = _F()
    return F.greatest(x, _lit(0.0)) + F.log1p(F.exp(-F.abs(x)))


def _log_sigmoid(x: Column) -> Column:
    return -_softplus(-x)


def _sigmoid(x: Column) -> Column:
    F = _F()
    return _lit(1.0) / (_lit(1.0) + F.exp(-x))


def _smooth_binary(t: Column, ls: float) -> Column:
    return t * _lit(1.0 - ls) + _lit(0.5 * ls) if ls else t


def _plain(
    t: Operand,
    p: Operand,
    f: Callable[[Column, Column], Column],
    how: Literal["mean", "sum", "max"] = "mean",
) -> CompiledLoss:
    return CompiledLoss(elementwise(f, t, p, how), checks=_size_check(t, p))


# ---------------------------------------------------------------- regression
@register_sql("mean_squared_error", "mse")
def _mse(t: Operand, p: Operand, params: Mapping[str, Any]) -> CompiledLoss:
    _expect(params)
    F = _F()
    return _plain(t, p, lambda a, b: F.pow(a - b, 2.0))


@register_sql("mean_absolute_error", "mae")
def _mae(t: Operand, p: Operand, params: Mapping[str, Any]) -> CompiledLoss:
    _expect(params)
    F = _F()
    return _plain(t, p, lambda a, b: F.abs(a - b))


@register_sql("mean_absolute_percentage_error", "mape")
def _mape(t: Operand, p: Operand, params: Mapping[str, Any]) -> CompiledLoss:
    _expect(params)
    F = _F()
    return _plain(
        t, p, lambda a, b: _lit(100.0) * F.abs((a - b) / F.greatest(F.abs(a), _lit(EPSILON)))
    )


@register_sql("mean_squared_logarithmic_error", "msle")
def _msle(t: Operand, p: Operand, params: Mapping[str, Any]) -> CompiledLoss:
    _expect(params)
    F = _F()

    def f(a: Column, b: Column) -> Column:
        first = F.log1p(F.greatest(b, _lit(EPSILON)))
        second = F.log1p(F.greatest(a, _lit(EPSILON)))
        return F.pow(first - second, 2.0)

    return _plain(t, p, f)


@register_sql("huber")
def _huber(t: Operand, p: Operand, params: Mapping[str, Any]) -> CompiledLoss:
    _expect(params, delta=_any)
    F = _F()
    d = float(params["delta"])

    def f(a: Column, b: Column) -> Column:
        e = F.abs(b - a)
        return F.when(e <= _lit(d), _lit(0.5) * F.pow(e, 2.0)).otherwise(
            _lit(d) * e - _lit(0.5 * d * d)
        )

    return _plain(t, p, f)


@register_sql("log_cosh", "logcosh")
def _log_cosh(t: Operand, p: Operand, params: Mapping[str, Any]) -> CompiledLoss:
    _expect(params)

    def f(a: Column, b: Column) -> Column:
        x = b - a  # Keras: x + softplus(-2x) - log(2)
        return x + _softplus(_lit(-2.0) * x) - _lit(math.log(2.0))

    return _plain(t, p, f)


@register_sql("poisson")
def _poisson(t: Operand, p: Operand, params: Mapping[str, Any]) -> CompiledLoss:
    _expect(params)
    return _plain(t, p, lambda a, b: b - a * _np_log(b + _lit(EPSILON)))


@register_sql("kl_divergence", "kld", "kullback_leibler_divergence")
def _kld(t: Operand, p: Operand, params: Mapping[str, Any]) -> CompiledLoss:
    _expect(params)
    F = _F()

    def f(a: Column, b: Column) -> Column:
        tc = _clip(a, EPSILON, 1.0)
        return tc * F.log(tc / _clip(b, EPSILON, 1.0))

    return _plain(t, p, f, "sum")


# ---------------------------------------------------------------- hinge family
def _hinge_like(t: Operand, p: Operand, square: bool) -> CompiledLoss:
    F = _F()

    def f(a: Column, b: Column) -> Column:
        m = F.greatest(_lit(1.0) - a * b, _lit(0.0))
        return F.pow(m, 2.0) if square else m

    return CompiledLoss(
        value=elementwise(f, t, p),
        binary_value=elementwise(lambda a, b: f(_lit(2.0) * a - _lit(1.0), b), t, p),
        non_binary=_non_binary(t),
        checks=_size_check(t, p),
    )


@register_sql("hinge")
def _hinge(t: Operand, p: Operand, params: Mapping[str, Any]) -> CompiledLoss:
    _expect(params)
    return _hinge_like(t, p, square=False)


@register_sql("squared_hinge")
def _squared_hinge(t: Operand, p: Operand, params: Mapping[str, Any]) -> CompiledLoss:
    _expect(params)
    return _hinge_like(t, p, square=True)


@register_sql("categorical_hinge")
def _categorical_hinge(t: Operand, p: Operand, params: Mapping[str, Any]) -> CompiledLoss:
    _expect(params)
    F = _F()
    pos = elementwise(lambda a, b: a * b, t, p, "sum")
    neg = elementwise(lambda a, b: (_lit(1.0) - a) * b, t, p, "max")
    return CompiledLoss(F.greatest(neg - pos + _lit(1.0), _lit(0.0)), checks=_size_check(t, p))


# ---------------------------------------------------------------- binary
def _bce_terms(a: Column, b: Column, from_logits: bool) -> Column:
    """Keras's ``ops.binary_crossentropy`` for one element (a: target, b: output)."""
    F = _F()
    if from_logits:
        return -(a * _log_sigmoid(b)) - (_lit(1.0) - a) * _log_sigmoid(-b)
    o = _clip(b, EPSILON, ONE_MINUS_EPS)
    return -(a * F.log(o) + (_lit(1.0) - a) * F.log(_lit(1.0) - o))


@register_sql("binary_crossentropy", "bce", "log_loss")
def _bce(t: Operand, p: Operand, params: Mapping[str, Any]) -> CompiledLoss:
    _expect(params, from_logits=_any, label_smoothing=_any, axis=_last_axis)
    logits, ls = bool(params.get("from_logits", False)), float(params.get("label_smoothing", 0.0))
    return _plain(t, p, lambda a, b: _bce_terms(_smooth_binary(a, ls), b, logits))


@register_sql("binary_focal_crossentropy", "binary_focal")
def _binary_focal(t: Operand, p: Operand, params: Mapping[str, Any]) -> CompiledLoss:
    _expect(
        params,
        apply_class_balancing=_any,
        alpha=_any,
        gamma=_any,
        from_logits=_any,
        label_smoothing=_any,
        axis=_last_axis,
    )
    F = _F()
    ls = float(params.get("label_smoothing", 0.0))
    logits = bool(params.get("from_logits", False))
    gamma = float(params.get("gamma", 2.0))
    alpha = float(params.get("alpha", 0.25))
    balance = bool(params.get("apply_class_balancing", False))

    def f(a: Column, b: Column) -> Column:
        y = _smooth_binary(a, ls)
        q = _sigmoid(b) if logits else b
        bce = _bce_terms(y, q, from_logits=False)
        p_t = y * q + (_lit(1.0) - y) * (_lit(1.0) - q)
        out = F.pow(_lit(1.0) - p_t, gamma) * bce
        if balance:
            out = (y * _lit(alpha) + (_lit(1.0) - y) * _lit(1.0 - alpha)) * out
        return out

    return _plain(t, p, f)


# ---------------------------------------------------------------- multiclass
def _logsumexp(z: Column) -> Column:
    F = _F()
    m = _reduce_array(z, "max")
    return m + F.log(F.aggregate(z, _lit(0.0), lambda acc, x: acc + F.exp(x - m)))


@register_sql("categorical_crossentropy", "cce")
def _cce(t: Operand, p: Operand, params: Mapping[str, Any]) -> CompiledLoss:
    _expect(params, from_logits=_any, label_smoothing=_any, axis=_last_axis)
    if t.kind != "array" or p.kind != "array":
        raise NotCompilable("categorical cross-entropy needs array label and prediction columns")
    F = _F()
    logits, ls = bool(params.get("from_logits", False)), float(params.get("label_smoothing", 0.0))
    k = F.size(p.column)
    if logits:
        lse = _logsumexp(p.column)
        log_prob = F.transform(p.column, lambda x: x - lse)
    else:
        s = F.aggregate(p.column, _lit(0.0), lambda acc, x: acc + x)
        log_prob = F.transform(p.column, lambda x: F.log(_clip(x / s, EPSILON, ONE_MINUS_EPS)))

    def term(x: Column, i: Column) -> Column:
        y = F.try_element_at(t.column, i + 1)
        if ls:
            y = y * _lit(1.0 - ls) + _lit(ls) / k
        return y * x

    total = F.aggregate(F.transform(log_prob, term), _lit(0.0), lambda acc, x: acc + x)
    return CompiledLoss(-total, checks=_size_check(t, p))


@register_sql("sparse_categorical_crossentropy", "scce")
def _sparse_cce(t: Operand, p: Operand, params: Mapping[str, Any]) -> CompiledLoss:
    _expect(params, from_logits=_any, ignore_class=_none, axis=_last_axis)
    if t.kind != "scalar" or p.kind != "array":
        raise NotCompilable(
            "sparse cross-entropy needs a class-index label and an array prediction"
        )
    F = _F()
    idx = t.column.cast("int")
    picked = F.try_element_at(p.column, idx + 1)
    if params.get("from_logits", False):
        value = _logsumexp(p.column) - picked
    else:
        s = F.aggregate(p.column, _lit(0.0), lambda acc, x: acc + x)
        value = -F.log(_clip(picked / s, EPSILON, ONE_MINUS_EPS))
    bad = (t.column != F.floor(t.column)) | (t.column < 0) | (t.column >= F.size(p.column))
    return CompiledLoss(
        F.when(~bad, value),
        checks=(("labels must be integer class indices in [0, K)", bad),),
    )


@register_sql("categorical_focal_crossentropy", "categorical_focal")
def _categorical_focal(t: Operand, p: Operand, params: Mapping[str, Any]) -> CompiledLoss:
    _expect(params, alpha=_any, gamma=_any, from_logits=_any, label_smoothing=_any, axis=_last_axis)
    if t.kind != "array" or p.kind != "array":
        raise NotCompilable(
            "categorical focal cross-entropy needs array label and prediction columns"
        )
    F = _F()
    alpha = params.get("alpha", 0.25)
    gamma = float(params.get("gamma", 2.0))
    ls = float(params.get("label_smoothing", 0.0))
    k = F.size(p.column)
    if params.get("from_logits", False):
        lse = _logsumexp(p.column)
        probs = F.transform(p.column, lambda x: F.exp(x - lse))
    else:
        probs = p.column
    s = F.aggregate(probs, _lit(0.0), lambda acc, x: acc + x)
    alphas = F.array(*[_lit(a) for a in alpha]) if isinstance(alpha, list | tuple) else None

    def term(x: Column, i: Column) -> Column:
        q = _clip(x / s, EPSILON, ONE_MINUS_EPS)
        y = F.try_element_at(t.column, i + 1)
        if ls:
            y = y * _lit(1.0 - ls) + _lit(ls) / k
        a = F.try_element_at(alphas, i + 1) if alphas is not None else _lit(float(alpha))
        return a * F.pow(_lit(1.0) - q, gamma) * (-y * F.log(q))

    total = F.aggregate(F.transform(probs, term), _lit(0.0), lambda acc, x: acc + x)
    return CompiledLoss(total, checks=_size_check(t, p))


@register_sql("categorical_generalized_cross_entropy", "gce")
def _gce(t: Operand, p: Operand, params: Mapping[str, Any]) -> CompiledLoss:
    _expect(params, q=_any)
    if t.kind != "scalar" or p.kind != "array":
        raise NotCompilable(
            "generalized cross-entropy needs a class-index label and an array prediction"
        )
    F = _F()
    q = float(params["q"])
    picked = F.try_element_at(p.column, t.column.cast("int") + 1)
    bad = (t.column != F.floor(t.column)) | (t.column < 0) | (t.column >= F.size(p.column))
    return CompiledLoss(
        F.when(~bad, (_lit(1.0) - F.pow(picked, q)) / _lit(q)),
        checks=(("labels must be integer class indices in [0, K)", bad),),
    )


@register_sql("cosine_similarity", "cosine")
def _cosine(t: Operand, p: Operand, params: Mapping[str, Any]) -> CompiledLoss:
    _expect(params, axis=_last_axis)
    F = _F()
    dot = elementwise(lambda a, b: a * b, t, p, "sum")
    if t.kind == "array":
        tn = F.sqrt(F.aggregate(t.column, _lit(0.0), lambda acc, x: acc + x * x))
    else:
        tn = F.abs(t.column)
    if p.kind == "array":
        pn = F.sqrt(F.aggregate(p.column, _lit(0.0), lambda acc, x: acc + x * x))
    else:
        pn = F.abs(p.column)
    if t.kind != p.kind:
        raise NotCompilable("cosine similarity needs label and prediction of the same shape")
    value = -dot / (F.greatest(tn, _lit(EPSILON)) * F.greatest(pn, _lit(EPSILON)))
    return CompiledLoss(value, checks=_size_check(t, p))


# ---------------------------------------------------------------- robust regression
@register_sql("pseudo_huber")
def _pseudo_huber(t: Operand, p: Operand, params: Mapping[str, Any]) -> CompiledLoss:
    _expect(params, delta=_any)
    F = _F()
    d = float(params["delta"])
    return _plain(
        t,
        p,
        lambda a, b: _lit(d * d) * (F.sqrt(_lit(1.0) + F.pow((b - a) / _lit(d), 2.0)) - _lit(1.0)),
    )


@register_sql("cauchy")
def _cauchy(t: Operand, p: Operand, params: Mapping[str, Any]) -> CompiledLoss:
    _expect(params, scale=_any)
    F = _F()
    c = float(params["scale"])
    return _plain(t, p, lambda a, b: _lit(0.5 * c * c) * F.log1p(F.pow((b - a) / _lit(c), 2.0)))


@register_sql("smooth_l1")
def _smooth_l1(t: Operand, p: Operand, params: Mapping[str, Any]) -> CompiledLoss:
    _expect(params, beta=_any)
    F = _F()
    beta = float(params["beta"])
    if beta == 0:
        return _plain(t, p, lambda a, b: F.abs(b - a))

    def f(a: Column, b: Column) -> Column:
        e = F.abs(b - a)
        return F.when(e < _lit(beta), _lit(0.5) * F.pow(e, 2.0) / _lit(beta)).otherwise(
            e - _lit(0.5 * beta)
        )

    return _plain(t, p, f)


@register_sql("general_robust", "barron")
def _general_robust(t: Operand, p: Operand, params: Mapping[str, Any]) -> CompiledLoss:
    _expect(params, alpha=_any, scale=_any)
    F = _F()
    alpha, c = float(params["alpha"]), float(params["scale"])

    def f(a: Column, b: Column) -> Column:
        z = F.pow((b - a) / _lit(c), 2.0)
        if alpha == 2.0:
            return _lit(0.5) * z
        if alpha == 0.0:
            return F.log(_lit(0.5) * z + _lit(1.0))
        if math.isinf(alpha) and alpha < 0:
            return _lit(1.0) - F.exp(_lit(-0.5) * z)
        bb = abs(alpha - 2.0)
        return _lit(bb / alpha) * (F.pow(z / _lit(bb) + _lit(1.0), alpha / 2.0) - _lit(1.0))

    return _plain(t, p, f)


@register_sql("pinball", "quantile")
def _pinball(t: Operand, p: Operand, params: Mapping[str, Any]) -> CompiledLoss:
    _expect(params, tau=_any, crossing_penalty=_any)
    F = _F()
    tau = params["tau"]
    taus = [float(x) for x in tau] if isinstance(tau, list | tuple) else [float(tau)]
    penalty = float(params.get("crossing_penalty", 0.0))
    if len(taus) == 1:
        q = taus[0]
        return _plain(t, p, lambda a, b: F.greatest(_lit(q) * (a - b), _lit(q - 1.0) * (a - b)))
    if t.kind != "scalar" or p.kind != "array":
        raise NotCompilable("several quantile levels need a scalar label and an array prediction")
    levels = F.array(*[_lit(x) for x in taus])

    def term(x: Column, i: Column) -> Column:
        lv = F.try_element_at(levels, i + 1)
        e = t.column - x
        return F.greatest(lv * e, (lv - _lit(1.0)) * e)

    value = _reduce_array(F.transform(p.column, term), "mean", p.column)
    if penalty > 0:
        q = len(taus)
        gaps = F.transform(
            F.slice(p.column, 1, q - 1),
            lambda x, i: F.greatest(x - F.try_element_at(p.column, i + 2), _lit(0.0)),
        )
        value = value + _lit(penalty) * _reduce_array(gaps, "sum") / _lit(float(q - 1))
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
    F = _F()
    if log_input:
        return F.exp(b), b
    mu = F.greatest(b, _lit(1e-7))
    return mu, F.log(mu)


@register_sql("poisson_nll", "log_poisson")
def _poisson_nll(t: Operand, p: Operand, params: Mapping[str, Any]) -> CompiledLoss:
    _expect(params, log_input=_any, full=_any, eps=_any)
    F = _F()
    log_input, full, eps = bool(params["log_input"]), bool(params["full"]), float(params["eps"])

    def f(y: Column, b: Column) -> Column:
        v = F.exp(b) - y * b if log_input else b - y * _np_log(b + _lit(eps))
        if full:
            stirling = y * F.log(y) - y + _lit(0.5) * F.log(_lit(2.0 * math.pi) * y)
            v = v + F.when(y > _lit(1.0), stirling).otherwise(_lit(0.0))
        return v

    return _plain(t, p, f)


@register_sql("tweedie_deviance", "tweedie")
def _tweedie(t: Operand, p: Operand, params: Mapping[str, Any]) -> CompiledLoss:
    _expect(params, power=_any, log_input=_any)
    F = _F()
    pw, log_input = float(params["power"]), bool(params["log_input"])

    def f(y: Column, b: Column) -> Column:
        mu, log_mu = _mean_of(b, log_input)
        if pw == 1.0:
            ylogy = F.when(y > _lit(0.0), y * F.log(y)).otherwise(_lit(0.0))
            return _lit(2.0) * (ylogy - y * log_mu - y + mu)
        if pw == 2.0:
            return _lit(2.0) * (log_mu - _np_log(y) + y / mu - _lit(1.0))
        return _lit(2.0) * (
            F.pow(F.greatest(y, _lit(0.0)), 2.0 - pw) / _lit((1.0 - pw) * (2.0 - pw))
            - y * F.exp(_lit(1.0 - pw) * log_mu) / _lit(1.0 - pw)
            + F.exp(_lit(2.0 - pw) * log_mu) / _lit(2.0 - pw)
        )

    return _plain(t, p, f)


@register_sql("gamma_deviance")
def _gamma_deviance(t: Operand, p: Operand, params: Mapping[str, Any]) -> CompiledLoss:
    _expect(params, log_input=_any)
    log_input = bool(params["log_input"])

    def f(y: Column, b: Column) -> Column:
        mu, log_mu = _mean_of(b, log_input)
        return _lit(2.0) * (log_mu - _np_log(y) + y / mu - _lit(1.0))

    return _plain(t, p, f)
