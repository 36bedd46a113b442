"""Evaluate catalog losses over a Spark DataFrame in one aggregation pass.

Every loss with a SQL form (:mod:`losslab.spark.sql`) becomes a native column expression;
all of them, the row counts and the weight sum are computed by ONE ``agg`` (one Spark job,
whole-stage code generation, no Python UDF). Losses with no SQL form are computed by a
second job, ``mapInArrow`` + the NumPy reference (:mod:`losslab.spark.arrow`). Semantics are
those of :func:`losslab.experiment.evaluate.evaluate` (Keras reductions, NaN rows dropped
and counted, hinge label rule over the whole table).
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from losslab.catalog import LossSpec
from losslab.errors import DataError, InvalidParameterError
from losslab.experiment.evaluate import (
    EvaluationResult,
    LossItem,
    PartialSums,
    check_options,
    finish,
    label_is_index,
    parse_losses,
)
from losslab.spark.sql import CompiledLoss, NotCompilable, Operand, compile_loss

if TYPE_CHECKING:  # pragma: no cover
    from pyspark.sql import Column, DataFrame, SparkSession

__all__ = ["evaluate", "read_table"]


def read_table(spark: SparkSession, data: Any) -> DataFrame:
    """A Spark DataFrame from a CSV/Parquet path, a pandas DataFrame, a pyarrow Table or a
    Spark DataFrame (returned as is).

    Raises:
        DataError: unknown file type, missing file, unsupported object.
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


def evaluate(
    df: DataFrame,
    *,
    label: str,
    prediction: str,
    losses: str | Sequence[str | LossSpec],
    weight: str | None = None,
    reduction: Literal[
        "sum_over_batch_size", "sum", "mean_with_sample_weight"
    ] = "sum_over_batch_size",
    nan: Literal["drop", "error"] = "drop",
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
        An :class:`~losslab.experiment.evaluate.EvaluationResult` (``engine="spark"``;
        ``methods[key]`` is ``"sql"`` or ``"arrow"``).

    Raises:
        UnknownLossError, InvalidParameterError, DataError.

    Example:
        >>> from losslab.spark import get_session, evaluate  # doctest: +SKIP
        >>> df = get_session().createDataFrame([(0.0, 0.5), (1.0, 1.0)], "y double, p double")  # doctest: +SKIP
        >>> evaluate(df, label="y", prediction="p", losses=["mse", "mae"]).values  # doctest: +SKIP
        {'mse': 0.125, 'mae': 0.25}
    """
    from pyspark.sql import functions as F

    check_options(reduction, nan)
    items = parse_losses(losses)
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

    compiled: dict[str, CompiledLoss] = {}
    arrow_items: list[LossItem] = []
    for it in items:
        if label_is_index(it.spec) and t_op.kind != "scalar":
            raise DataError(
                f"Loss {it.key!r} reads the label as class indices. Received: an array label "
                "column. Pass a column of integers 0..K-1 (or use categorical cross-entropy for "
                "one-hot labels)."
            )
        try:
            compiled[it.key] = compile_loss(it.spec, t_op, p_op, it.params)
        except NotCompilable as e:
            if not fallback:
                raise InvalidParameterError(
                    f"Loss {it.key!r} has no Spark SQL form ({e}). Received: fallback=False. "
                    "Pass fallback=True to compute it with mapInArrow and NumPy."
                ) from None
            arrow_items.append(it)

    aggs: list[Column] = [F.count(F.lit(1)).alias("rows"), F.count(F.when(valid, 1)).alias("used")]
    if w is not None:
        aggs.append(F.sum(F.when(valid, w)).alias("weight_sum"))
    checks: list[tuple[str, str]] = []
    any_rule = False
    nan_lit = F.lit(float("nan"))
    for i, (key, c) in enumerate(compiled.items()):
        # Spark's log of a non-positive number is NULL where NumPy gives NaN/-inf: keep
        # NaN so an invalid value shows in the result instead of silently vanishing
        value = F.coalesce(c.value, nan_lit)
        val = value * w if w is not None else value
        aggs.append(F.sum(F.when(valid, val)).alias(f"l{i}"))
        if c.binary_value is not None and c.non_binary is not None:
            any_rule = True
            bvalue = F.coalesce(c.binary_value, nan_lit)
            bval = bvalue * w if w is not None else bvalue
            aggs.append(F.sum(F.when(valid, bval)).alias(f"b{i}"))
        for j, (msg, bad) in enumerate(c.checks):
            aggs.append(F.count(F.when(valid & bad, 1)).alias(f"c{i}_{j}"))
            checks.append((f"c{i}_{j}", f"Loss {key!r}: {msg}"))
    if any_rule:
        rule = next(c.non_binary for c in compiled.values() if c.non_binary is not None)
        aggs.append(F.max(F.when(valid, rule.cast("int"))).alias("non_binary"))

    if compiled or not arrow_items:
        row = df.agg(*aggs).collect()[0].asDict()
        sums = PartialSums(
            rows=int(row["rows"]),
            used=int(row["used"]),
            weight_sum=float(row.get("weight_sum") or 0.0) if w is not None else float(row["used"]),
            non_binary=bool(row.get("non_binary") or 0),
        )
        for col_name, message in checks:
            if row[col_name]:
                raise DataError(
                    f"{message}. Received: {row[col_name]} offending row(s) in "
                    f"{label!r}/{prediction!r}. Fix those rows or filter them out."
                )
        for i, key in enumerate(compiled):
            sums.loss_sums[key] = _num(row[f"l{i}"])
            if f"b{i}" in row:
                sums.binary_sums[key] = _num(row[f"b{i}"])
    else:
        sums = PartialSums()
    if arrow_items:
        from losslab.spark.arrow import arrow_partial_sums

        conv = df.select(
            t_op.column.alias("__y"),
            p_op.column.alias("__p"),
            *([w.alias("__w")] if w is not None else []),
        )
        part = arrow_partial_sums(conv, "__y", "__p", "__w" if w is not None else None, arrow_items)
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
        weighted=w is not None,
        engine="spark",
        nan=nan,
        methods=methods,
    )


def _num(x: Any) -> float:
    return float("nan") if x is None else float(x)
