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

Modules: ``_compiler`` (the registry, :class:`Operand`, :class:`CompiledLoss`,
:func:`compile_loss`), ``_columns`` (column arithmetic shared by the compilers),
``_regression`` and ``_classification`` (the compilers, registered on import of this
package).

Add a compiler::

    from losslab.spark.sql import CompiledLoss, Operand, elementwise, register_sql

    @register_sql("my_loss")
    def _my_loss(t: Operand, p: Operand, params: Mapping[str, Any]) -> CompiledLoss:
        F = pyspark.sql.functions
        return CompiledLoss(elementwise(lambda a, b: F.abs(a - b) ** params["power"], t, p))
"""

from losslab.spark.sql import _classification, _regression  # noqa: F401  (registers the compilers)
from losslab.spark.sql._columns import EPSILON, elementwise
from losslab.spark.sql._compiler import (
    CompiledLoss,
    LossCompiler,
    NotCompilable,
    Operand,
    compilable_losses,
    compile_loss,
    find_compiler,
    register_sql,
)

__all__ = [
    "EPSILON",
    "CompiledLoss",
    "LossCompiler",
    "NotCompilable",
    "Operand",
    "compilable_losses",
    "compile_loss",
    "elementwise",
    "find_compiler",
    "register_sql",
]
