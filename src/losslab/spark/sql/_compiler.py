"""The compiler registry: :class:`Operand` and :class:`CompiledLoss`, ``register_sql``,
``compile_loss`` and the parameter checks every compiler starts with.

A compiler is a function ``(label, prediction, params) -> CompiledLoss`` registered under
the catalog names of its loss; :func:`compile_loss` finds the compiler of a
:class:`~losslab.catalog.LossSpec` through its name and aliases.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal

from losslab.catalog import LossSpec, get_spec

if TYPE_CHECKING:  # pragma: no cover
    from pyspark.sql import Column

__all__ = [
    "CompiledLoss",
    "LossCompiler",
    "NotCompilable",
    "Operand",
    "any_value",
    "compilable_losses",
    "compile_loss",
    "expect_params",
    "find_compiler",
    "is_last_axis",
    "is_none",
    "register_sql",
]


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
    """The compiler for ``spec`` (matched on its name and aliases), or ``None``.

    Example:
        >>> from losslab.catalog import get_spec
        >>> find_compiler(get_spec("huber")) is not None, find_compiler(get_spec("dice"))
        (True, None)
    """
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

    Example:
        >>> from pyspark.sql import functions as F  # doctest: +SKIP
        >>> y, p = Operand(F.col("y"), "scalar"), Operand(F.col("p"), "scalar")  # doctest: +SKIP
        >>> df.select(compile_loss("mae", y, p, {}).value.alias("mae"))  # doctest: +SKIP
    """
    spec = get_spec(spec)
    fn = find_compiler(spec)
    if fn is None:
        raise NotCompilable(f"no SQL form for '{spec.name}'")
    return fn(label, prediction, params)


def compilable_losses() -> list[str]:
    """Canonical names of the catalog losses that compile to SQL (with default parameters).

    Example:
        >>> names = compilable_losses()
        >>> "huber" in names, "dice" in names
        (True, False)
    """
    from losslab.catalog import list_losses

    return [s.name for s in list_losses() if find_compiler(s) is not None]


def expect_params(params: Mapping[str, Any], **allowed: Callable[[Any], bool]) -> None:
    """Every parameter must be known to the compiler and pass its predicate.

    Raises:
        NotCompilable: naming the first parameter the compiler cannot express.

    Example:
        >>> expect_params({"axis": -1}, axis=is_last_axis)
        >>> expect_params({"axis": 0}, axis=is_last_axis)
        Traceback (most recent call last):
        ...
        losslab.spark.sql._compiler.NotCompilable: parameter axis=0
    """
    for k, v in params.items():
        ok = allowed.get(k)
        if ok is None or not ok(v):
            raise NotCompilable(f"parameter {k}={v!r}")


def any_value(_: Any) -> bool:
    """Any value of this parameter compiles."""
    return True


def is_last_axis(v: Any) -> bool:
    """The reduction axis is the last one (``-1``, or ``None`` for a default)."""
    return v in (-1, None)


def is_none(v: Any) -> bool:
    """Only the ``None`` value of this parameter compiles."""
    return v is None
