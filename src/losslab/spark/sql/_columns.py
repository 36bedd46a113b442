"""Column arithmetic shared by the compilers: constants, NumPy-faithful functions and the
walk over array columns (``transform`` + ``aggregate``; ``zip_with`` is avoided because it
switches off whole-stage code generation).

pyspark is imported inside the functions (:func:`functions`), so importing this module
starts no JVM.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Literal

from losslab.spark.sql._compiler import CompiledLoss, Operand

if TYPE_CHECKING:  # pragma: no cover
    from pyspark.sql import Column

__all__ = [
    "EPSILON",
    "Reduce",
    "clip",
    "elementwise",
    "functions",
    "lit",
    "log_sigmoid",
    "logsumexp",
    "non_binary",
    "np_log",
    "plain",
    "reduce_array",
    "sigmoid",
    "size_check",
    "smooth_binary",
    "softplus",
]

EPSILON = 1e-7  # keras.backend.epsilon()
# Probabilities are clipped to [EPSILON, ONE_MINUS_EPS] (losslab.reference.keras_builtins):
# the upper bound is 1 - 1e-7 as Keras applies it on float32 tensors (1 - 1.19e-7), shared
# with the NumPy oracle so that Spark and the local engine give the same value for a
# saturated prediction (p = 1 exactly).

Reduce = Literal["mean", "sum", "max"]


def functions() -> Any:
    """``pyspark.sql.functions`` (imported on first use)."""
    from pyspark.sql import functions as F

    return F


def lit(x: float) -> Column:
    """A double literal."""
    return functions().lit(float(x))


def reduce_array(arr: Column, how: Reduce, size_of: Column | None = None) -> Column:
    """Reduce an array expression; ``size_of`` is a cheaper array of the same length."""
    F = functions()
    if how == "max":
        return F.aggregate(arr, F.try_element_at(arr, F.lit(1)), lambda acc, x: F.greatest(acc, x))
    total = F.aggregate(arr, lit(0.0), lambda acc, x: acc + x)
    return total / F.size(arr if size_of is None else size_of) if how == "mean" else total


def elementwise(
    f: Callable[[Column, Column], Column], t: Operand, p: Operand, how: Reduce = "mean"
) -> Column:
    """``how`` over the last axis of ``f(t, p)``: one value per row.

    Scalars are used as they are; arrays are walked with ``transform`` (with the element
    index, reading the other array with ``element_at``) then reduced with ``aggregate``.
    """
    F = functions()
    if t.kind == "scalar" and p.kind == "scalar":
        return f(t.column, p.column)
    if p.kind == "array" and t.kind == "array":
        terms = F.transform(p.column, lambda x, i: f(F.try_element_at(t.column, i + 1), x))
        return reduce_array(terms, how, p.column)
    if p.kind == "array":
        return reduce_array(F.transform(p.column, lambda x: f(t.column, x)), how, p.column)
    return reduce_array(F.transform(t.column, lambda x: f(x, p.column)), how, t.column)


def size_check(t: Operand, p: Operand) -> tuple[tuple[str, Column], ...]:
    """The input check of losses that read two arrays element by element."""
    if t.kind == "array" and p.kind == "array":
        F = functions()
        return (
            ("label and prediction arrays differ in length", F.size(t.column) != F.size(p.column)),
        )
    return ()


def plain(
    t: Operand, p: Operand, f: Callable[[Column, Column], Column], how: Reduce = "mean"
) -> CompiledLoss:
    """The loss ``how``-reduced over ``f(t, p)`` per element, with the array-length check."""
    return CompiledLoss(elementwise(f, t, p, how), checks=size_check(t, p))


def non_binary(t: Operand) -> Column:
    """True for a row whose label (any element) is not 0 or 1."""
    F = functions()

    def bad(x: Column) -> Column:
        return ~((x == 0.0) | (x == 1.0))

    if t.kind == "scalar":
        return bad(t.column)
    return F.exists(t.column, bad)


def clip(x: Column, low: float, high: float) -> Column:
    F = functions()
    return F.least(F.greatest(x, lit(low)), lit(high))


def np_log(x: Column) -> Column:
    """NumPy's ``log``: ``-inf`` at 0 and NaN below (Spark's ``log`` gives NULL there)."""
    F = functions()
    return (
        F.when(x > lit(0.0), F.log(x)).when(x == lit(0.0), lit(-math.inf)).otherwise(lit(math.nan))
    )


def softplus(x: Column) -> Column:
    """``log(1 + exp(x))`` without overflow: ``max(x, 0) + log1p(exp(-|x|))``."""
    F = functions()
    return F.greatest(x, lit(0.0)) + F.log1p(F.exp(-F.abs(x)))


def log_sigmoid(x: Column) -> Column:
    return -softplus(-x)


def sigmoid(x: Column) -> Column:
    F = functions()
    return lit(1.0) / (lit(1.0) + F.exp(-x))


def smooth_binary(t: Column, ls: float) -> Column:
    """Keras's binary label smoothing: ``t * (1 - ls) + ls / 2``."""
    return t * lit(1.0 - ls) + lit(0.5 * ls) if ls else t


def logsumexp(z: Column) -> Column:
    """``log(sum(exp(z)))`` of an array, shifted by its maximum."""
    F = functions()
    m = reduce_array(z, "max")
    return m + F.log(F.aggregate(z, lit(0.0), lambda acc, x: acc + F.exp(x - m)))
