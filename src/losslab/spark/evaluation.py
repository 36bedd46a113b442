"""Evaluate catalog losses over a Spark DataFrame in one aggregation pass.

Every loss with a SQL form (:mod:`losslab.spark.sql`) becomes a native column expression;
all of them, the row counts and the weight sum are computed by ONE ``agg`` (one Spark job,
whole-stage code generation, no Python UDF). Losses with no SQL form are computed by a
second job, ``mapInArrow`` + the NumPy reference (:mod:`losslab.spark.arrow`). Semantics are
those of the local engine, :func:`losslab.evaluation.evaluate` (Keras reductions, NaN rows
dropped and counted, hinge label rule over the whole table): both fill the same
:class:`~losslab.evaluation.PartialSums` and end in :func:`~losslab.evaluation.finish`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from losslab.catalog import LossSpec
from losslab.errors import DataError, InvalidParameterError
from losslab.evaluation import (
    EvaluationResult,
    LossItem,
    NanPolicy,
    PartialSums,
    Reduction,
    check_options,
    finish,
    label_is_index,
    parse_losses,
)
from losslab.spark.arrow import arrow_partial_sums
from losslab.spark.session import get_session
from losslab.spark.sql import CompiledLoss, NotCompilable, Operand, compile_loss

if TYPE_CHECKING:  # pragma: no cover
    from pyspark.sql import Column, DataFrame, SparkSession

__all__ = ["evaluate", "evaluate_data", "read_table"]


def check_local_columns(data: Any, columns: Sequence[str]) -> None:
    """Read the schema of a local CSV/Parquet path with pyarrow (no JVM) and check that it
    holds ``columns``: a damaged file or a missing column is reported in a second, not after
    the Spark session started.

    Raises:
        DataError: unreadable or damaged file, or a missing column (the columns are listed).

    Example:
        >>> check_local_columns(None, ["y"])  # not a path: Spark reads it
    """
    if not isinstance(data, str | Path) or "://" in str(data) or not Path(data).exists():
        return
    from losslab.data import open_source

    path = Path(data)
    if path.is_dir():
        import pyarrow as pa
        import pyarrow.dataset as ds

        try:
            names = list(ds.dataset(path, format="parquet").schema.names)
        except (pa.ArrowInvalid, OSError) as e:
            raise DataError(
                f"Cannot read the Parquet directory {str(path)!r}: {' '.join(str(e).split())[:200]}. "
                "Check that it holds Parquet files."
            ) from None
    elif path.suffix.lower() in (".csv", ".txt", ".parquet", ".pq"):
        names = open_source(path).columns
    else:
        return
    missing = [c for c in columns if c not in names]
    if missing:
        shown = ", ".join(names[:20]) + (" ..." if len(names) > 20 else "")
        raise DataError(
            f"Column {missing[0]!r} not found in {str(path)!r}. Received columns: {shown}. "
            "Pass the right --label / --prediction / --weight name."
        )


def read_table(spark: SparkSession, data: Any) -> DataFrame:
    """A Spark DataFrame from a CSV/Parquet path, a pandas DataFrame, a pyarrow Table or a
    Spark DataFrame (returned as is).

    Raises:
        DataError: unknown file type, missing file, unsupported object.

    Example:
        >>> read_table(get_session(), "preds.parquet").columns  # doctest: +SKIP
        ['y', 'p']
    """
    from pyspark.sql import DataFrame

    if isinstance(data, DataFrame):
        return data
    if isinstance(data, str | Path):
        text = str(data)
        is_remote = "://" in text
        path = Path(text)
        if not is_remote and not path.exists():
            raise DataError(
                f"Data file not found. Received: {text!r}. Pass an existing CSV or Parquet path."
            )
        suffix = path.suffix.lower()
        if suffix in (".csv", ".txt"):
            return spark.read.csv(text, header=True, inferSchema=True)
        if suffix in (".parquet", ".pq", "") or (not is_remote and path.is_dir()):
            return spark.read.parquet(text)
        raise DataError(
            f"Unsupported file type {suffix!r}. Received: {text!r}. "
            "Use a .csv file, a .parquet file or a directory of Parquet files."
        )
    try:
        import pyarrow as pa

        if isinstance(data, pa.Table):
            return spark.createDataFrame(data.to_pandas())
    except ImportError:  # pragma: no cover
        pass
    import pandas as pd

    if isinstance(data, pd.DataFrame):
        return spark.createDataFrame(data)
    raise DataError(
        f"Cannot evaluate data of type {type(data).__name__}. Received: {data!r:.80}. "
        "Pass a Spark DataFrame, a CSV/Parquet path, a pandas DataFrame or a pyarrow Table."
    )


def _operand(df: DataFrame, name: str, role: str) -> tuple[Operand, Column]:
    """The column as double / array<double> (ML vectors converted) and its validity."""
    from pyspark.ml.functions import vector_to_array
    from pyspark.ml.linalg import VectorUDT
    from pyspark.sql import functions as F
    from pyspark.sql import types as T

    if name not in df.columns:
        raise DataError(
            f"{role.capitalize()} column {name!r} not found. Received columns: "
            f"{', '.join(df.columns[:20])}{' ...' if len(df.columns) > 20 else ''}. "
            f"Pass the right --{role} name."
        )
    dtype = df.schema[name].dataType
    col = F.col(f"`{name}`")
    if isinstance(dtype, T.NumericType | T.BooleanType):
        c = col.cast("double")
        return Operand(c, "scalar"), c.isNotNull() & ~F.isnan(c)
    if isinstance(dtype, VectorUDT):
        c = vector_to_array(col, "float64")
    elif isinstance(dtype, T.ArrayType) and isinstance(dtype.elementType, T.NumericType):
        c = col.cast("array<double>")
    else:
        raise DataError(
            f"{role.capitalize()} column {name!r} must be numeric, an array of numbers or an ML "
            f"vector. Received: type {dtype.simpleString()}. Convert it before evaluating."
        )
    ok = c.isNotNull() & ~F.exists(c, lambda x: x.isNull() | F.isnan(x))
    return Operand(c, "array"), ok


@dataclass
class _Columns:
    """The label, prediction and weight columns of one evaluation, and the valid-row test."""

    label: Operand
    prediction: Operand
    weight: Column | None
    valid: Column
    names: tuple[str, str]


def _columns(df: DataFrame, label: str, prediction: str, weight: str | None) -> _Columns:
    t_op, t_ok = _operand(df, label, "label")
    p_op, p_ok = _operand(df, prediction, "prediction")
    valid = t_ok & p_ok
    w: Column | None = None
    if weight is not None:
        w_op, w_ok = _operand(df, weight, "weight")
        if w_op.kind != "scalar":
            raise DataError(
                f"The weight column {weight!r} must hold one number per row. Received: arrays. "
                "Pass a numeric column."
            )
        w, valid = w_op.column, valid & w_ok
    return _Columns(t_op, p_op, w, valid, (label, prediction))


def _compile(
    items: Sequence[LossItem], cols: _Columns, fallback: bool
) -> tuple[dict[str, CompiledLoss], list[LossItem]]:
    """SQL forms of the losses that have one; the others are left to the Arrow fallback."""
    compiled: dict[str, CompiledLoss] = {}
    arrow_items: list[LossItem] = []
    for it in items:
        if label_is_index(it.spec) and cols.label.kind != "scalar":
            raise DataError(
                f"Loss {it.key!r} reads the label as class indices. Received: an array label "
                "column. Pass a column of integers 0..K-1 (or use categorical cross-entropy for "
                "one-hot labels)."
            )
        try:
            compiled[it.key] = compile_loss(it.spec, cols.label, cols.prediction, it.params)
        except NotCompilable as e:
            if not fallback:
                raise InvalidParameterError(
                    f"Loss {it.key!r} has no Spark SQL form ({e}). Received: fallback=False. "
                    "Pass fallback=True to compute it with mapInArrow and NumPy."
                ) from None
            arrow_items.append(it)
    return compiled, arrow_items


@dataclass
class _Pass:
    """The aggregations of the one SQL pass and the input checks to report after it."""

    aggs: list[Column]
    checks: list[tuple[str, str]] = field(default_factory=list)


def _aggregations(compiled: dict[str, CompiledLoss], cols: _Columns) -> _Pass:
    from pyspark.sql import functions as F

    valid, w = cols.valid, cols.weight
    out = _Pass([F.count(F.lit(1)).alias("rows"), F.count(F.when(valid, 1)).alias("used")])
    if w is not None:
        out.aggs.append(F.sum(F.when(valid, w)).alias("weight_sum"))
    nan_lit = F.lit(float("nan"))
    rule: Column | None = None
    for i, (key, c) in enumerate(compiled.items()):
        # Spark's log of a non-positive number is NULL where NumPy gives NaN/-inf: keep
        # NaN so an invalid value shows in the result instead of silently vanishing
        value = F.coalesce(c.value, nan_lit)
        out.aggs.append(F.sum(F.when(valid, value * w if w is not None else value)).alias(f"l{i}"))
        if c.binary_value is not None and c.non_binary is not None:
            rule = c.non_binary if rule is None else rule
            bvalue = F.coalesce(c.binary_value, nan_lit)
            bval = bvalue * w if w is not None else bvalue
            out.aggs.append(F.sum(F.when(valid, bval)).alias(f"b{i}"))
        for j, (msg, bad) in enumerate(c.checks):
            out.aggs.append(F.count(F.when(valid & bad, 1)).alias(f"c{i}_{j}"))
            out.checks.append((f"c{i}_{j}", f"Loss {key!r}: {msg}"))
    if rule is not None:
        out.aggs.append(F.max(F.when(valid, rule.cast("int"))).alias("non_binary"))
    return out


def _sql_sums(df: DataFrame, compiled: dict[str, CompiledLoss], cols: _Columns) -> PartialSums:
    """Run the one aggregation pass; raise on rows that break a loss's input contract."""
    plan = _aggregations(compiled, cols)
    row = df.agg(*plan.aggs).collect()[0].asDict()
    sums = PartialSums(
        rows=int(row["rows"]),
        used=int(row["used"]),
        weight_sum=float(row.get("weight_sum") or 0.0)
        if cols.weight is not None
        else float(row["used"]),
        non_binary=bool(row.get("non_binary") or 0),
    )
    label, prediction = cols.names
    for col_name, message in plan.checks:
        if row[col_name]:
            raise DataError(
                f"{message}. Received: {row[col_name]} offending row(s) in "
                f"{label!r}/{prediction!r}. Fix those rows or filter them out."
            )
    for i, key in enumerate(compiled):
        sums.loss_sums[key] = _num(row[f"l{i}"])
        if f"b{i}" in row:
            sums.binary_sums[key] = _num(row[f"b{i}"])
    return sums


def _arrow_sums(df: DataFrame, items: list[LossItem], cols: _Columns) -> PartialSums:
    w = cols.weight
    conv = df.select(
        cols.label.column.alias("__y"),
        cols.prediction.column.alias("__p"),
        *([w.alias("__w")] if w is not None else []),
    )
    return arrow_partial_sums(conv, "__y", "__p", "__w" if w is not None else None, items)


def evaluate(
    df: DataFrame,
    *,
    label: str,
    prediction: str,
    losses: str | Sequence[str | LossSpec | LossItem],
    weight: str | None = None,
    reduction: Reduction = "sum_over_batch_size",
    nan: NanPolicy = "drop",
    fallback: bool = True,
) -> EvaluationResult:
    """Evaluate catalog losses over a Spark DataFrame in one native aggregation pass.

    Args:
        df: the table. Label/prediction columns may be numbers, arrays of numbers or
            ``pyspark.ml.linalg`` vectors; class-index labels for sparse cross-entropy.
        label, prediction: column names.
        losses: catalog names with optional parameters (``["mse", "huber:delta=2"]`` or
            ``"mse,huber:delta=2"``).
        weight: optional sample-weight column.
        reduction: ``"sum_over_batch_size"`` (Keras default, ``sum(w * loss) / rows``),
            ``"sum"`` or ``"mean_with_sample_weight"``.
        nan: ``"drop"``: rows with a null/NaN label, prediction or weight are left out and
            counted in ``n_dropped``; ``"error"``: raise if there is any.
        fallback: compute losses with no SQL form with ``mapInArrow`` + NumPy (a second
            job); with ``False`` such a loss is an error.

    Returns:
        An :class:`~losslab.evaluation.EvaluationResult` (``engine="spark"``;
        ``methods[key]`` is ``"sql"`` or ``"arrow"``).

    Raises:
        UnknownLossError, InvalidParameterError, DataError.

    Example:
        >>> from losslab.spark import get_session, evaluate  # doctest: +SKIP
        >>> df = get_session().createDataFrame([(0.0, 0.5), (1.0, 1.0)], "y double, p double")  # doctest: +SKIP
        >>> evaluate(df, label="y", prediction="p", losses=["mse", "mae"]).values  # doctest: +SKIP
        {'mse': 0.125, 'mae': 0.25}
    """
    check_options(reduction, nan)
    items = parse_losses(losses)
    cols = _columns(df, label, prediction, weight)
    compiled, arrow_items = _compile(items, cols, fallback)
    sums = _sql_sums(df, compiled, cols) if compiled or not arrow_items else PartialSums()
    if arrow_items:
        part = _arrow_sums(df, arrow_items, cols)
        if compiled:
            sums.loss_sums.update(part.loss_sums)
            sums.binary_sums.update(part.binary_sums)
            sums.non_binary = sums.non_binary or part.non_binary
        else:
            sums = part
    methods = {it.key: ("sql" if it.key in compiled else "arrow") for it in items}
    return finish(
        items,
        sums,
        reduction=reduction,
        weighted=cols.weight is not None,
        engine="spark",
        nan=nan,
        methods=methods,
    )


def evaluate_data(
    data: Any,
    *,
    label: str,
    prediction: str,
    losses: str | Sequence[str | LossSpec | LossItem],
    weight: str | None = None,
    reduction: Reduction = "sum_over_batch_size",
    nan: NanPolicy = "drop",
    master: str | None = None,
) -> EvaluationResult:
    """:func:`evaluate` over any table :func:`read_table` reads, on the session of ``master``.

    The options and the losses are checked before the session starts, so a mistake costs
    no JVM. This is ``losslab.evaluate(..., engine="spark")``.

    Example:
        >>> evaluate_data("preds.parquet", label="y", prediction="p", losses="mse").values  # doctest: +SKIP
        {'mse': 0.125}
    """
    check_options(reduction, nan)
    items = parse_losses(losses)
    check_local_columns(data, [label, prediction, *([weight] if weight else [])])
    df = read_table(get_session(master), data)
    return evaluate(
        df,
        label=label,
        prediction=prediction,
        losses=items,
        weight=weight,
        reduction=reduction,
        nan=nan,
    )


def _num(x: Any) -> float:
    return float("nan") if x is None else float(x)
