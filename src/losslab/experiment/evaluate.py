"""Evaluate catalog losses over a table with the NumPy float64 references.

``losslab.evaluate(data, label="y", prediction="p", losses=["mse", "huber:delta=2"])`` reads
a CSV / Parquet file (or a directory of Parquet files), a pandas DataFrame or a pyarrow Table
in chunks, so the table never needs to fit in memory, and returns one value per loss with
Keras's reduction semantics. ``engine="spark"`` hands the same question to
:func:`losslab.spark.evaluate` (native Spark SQL expressions).

Semantics (the same in both engines):

- each row is one sample; a numeric column is a ``(N, 1)`` tensor, an array (list) column a
  ``(N, K)`` tensor; losses whose ``y_true`` are class indices (sparse cross-entropy) read
  the label column as ``(N,)`` integers;
- ``reduction="sum_over_batch_size"`` (Keras's default) is ``sum(w_i * loss_i) / N``, with
  ``N`` the number of rows used (not the sum of the weights); ``"sum"`` and
  ``"mean_with_sample_weight"`` (divided by the sum of the weights) are also available;
- rows where the label, the prediction or the weight is null or NaN (any element of an
  array) are dropped and counted in ``n_dropped`` (``nan="error"`` raises instead);
- the hinge losses turn labels in {0, 1} into {-1, 1} when *every* label of the table is 0
  or 1 (Keras applies the same rule per batch: the table is the batch here);
- losses defined on whole batches (``per_batch=True``) are not supported: their value
  depends on how the table would be cut into batches.

This module imports no Keras and no Spark.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import numpy as np

from losslab.catalog import LossSpec, parse_loss_string, split_loss_list
from losslab.errors import DataError, InvalidParameterError, LosslabError

__all__ = [
    "REDUCTIONS",
    "EvaluationResult",
    "LossItem",
    "PartialSums",
    "evaluate",
    "finish",
    "parse_losses",
]

REDUCTIONS = ("sum_over_batch_size", "sum", "mean_with_sample_weight")
Reduction = Literal["sum_over_batch_size", "sum", "mean_with_sample_weight"]
NanPolicy = Literal["drop", "error"]
DEFAULT_CHUNK = 262_144

# Losses whose labels in {0, 1} become {-1, 1} when the whole batch is binary (Keras's
# convert_binary_labels_to_hinge), as normalised names.
_BINARY_LABEL_RULE = frozenset({"hinge", "squaredhinge"})


def _norm(name: str) -> str:
    return "".join(ch for ch in name.lower() if ch.isalnum())


def uses_binary_label_rule(spec: LossSpec) -> bool:
    """True for losses that convert {0, 1} labels to {-1, 1} when the whole batch is binary."""
    return any(_norm(n) in _BINARY_LABEL_RULE for n in spec.all_names)


def label_is_index(spec: LossSpec) -> bool:
    """True when the loss reads ``y_true`` as integer class indices (sparse cross-entropy,
    ordinal losses): its input generator gives labels of lower rank than the predictions."""
    if spec.inputs == "sparse" or "integer labels" in spec.requires:
        return True
    from losslab.catalog.inputs import generate

    try:
        t, p = generate(spec.inputs, 2, spec.defaults, 0)
    except Exception:  # a generator that needs parameters we cannot guess
        return False
    return bool(
        np.asarray(t).ndim < np.asarray(p).ndim and np.issubdtype(np.asarray(t).dtype, np.integer)
    )


@dataclass(frozen=True)
class LossItem:
    """One loss to evaluate: the text the user gave, its catalog entry and full parameters."""

    key: str
    spec: LossSpec
    params: dict[str, Any]


def parse_losses(losses: str | Sequence[str | LossSpec]) -> list[LossItem]:
    """Parse ``"mse,huber:delta=2"`` or a list of such strings into :class:`LossItem` s.

    Raises:
        UnknownLossError: a name not in the catalog.
        InvalidParameterError: a bad hyperparameter, no loss given, or a per-batch loss.
    """
    if isinstance(losses, str):
        losses = split_loss_list(losses)
    items: list[LossItem] = []
    for entry in losses:
        if isinstance(entry, LossSpec):
            spec, params, key = entry, entry.validate_params({}), entry.name
        else:
            key = str(entry).strip()
            spec, params = parse_loss_string(key)
        if spec.per_batch:
            raise InvalidParameterError(
                f"Loss '{spec.name}' is defined on whole batches, so its value over a table "
                f"depends on how the table is cut into batches. Received: losses containing {key!r}. "
                "Evaluate per-sample losses only (see `losslab losses`)."
            )
        items.append(LossItem(key=key, spec=spec, params=params))
    if not items:
        raise InvalidParameterError(
            "No loss to evaluate. Received: losses=[]. Pass at least one name, e.g. losses=['mse']."
        )
    return items


@dataclass
class PartialSums:
    """Sums over some rows, added chunk by chunk (or partition by partition on Spark).

    ``loss_sums[k]`` is ``sum(w * loss)`` over used rows; for hinge-rule losses
    ``binary_sums[k]`` holds the sum when the labels are converted and ``loss_sums[k]`` the
    one when they are not, and ``non_binary`` says whether some label was not 0 or 1.
    """

    rows: int = 0
    used: int = 0
    weight_sum: float = 0.0
    loss_sums: dict[str, float] = field(default_factory=dict)
    binary_sums: dict[str, float] = field(default_factory=dict)
    non_binary: bool = False

    def merge(self, other: PartialSums) -> PartialSums:
        self.rows += other.rows
        self.used += other.used
        self.weight_sum += other.weight_sum
        for k, v in other.loss_sums.items():
            self.loss_sums[k] = self.loss_sums.get(k, 0.0) + v
        for k, v in other.binary_sums.items():
            self.binary_sums[k] = self.binary_sums.get(k, 0.0) + v
        self.non_binary = self.non_binary or other.non_binary
        return self


@dataclass(frozen=True)
class EvaluationResult:
    """Loss values over a table.

    Attributes:
        values: loss text as given (``"huber:delta=2"``) -> reduced value.
        n_rows: rows read; n_used: rows evaluated; n_dropped: rows dropped for null/NaN.
        reduction: the Keras reduction applied.
        weighted: whether a weight column was used.
        engine: ``"local"`` or ``"spark"``; ``methods`` says per loss how it was computed
            (``"numpy"``, ``"sql"`` or ``"arrow"``).
    """

    values: dict[str, float]
    n_rows: int
    n_used: int
    n_dropped: int
    reduction: str
    weighted: bool
    engine: str
    methods: dict[str, str] = field(default_factory=dict)

    def __getitem__(self, key: str) -> float:
        return self.values[key]

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict (NaN values become ``None``)."""
        return {
            "values": {k: (None if math.isnan(v) else v) for k, v in self.values.items()},
            "n_rows": self.n_rows,
            "n_used": self.n_used,
            "n_dropped": self.n_dropped,
            "reduction": self.reduction,
            "weighted": self.weighted,
            "engine": self.engine,
            "methods": dict(self.methods),
        }


def finish(
    items: Sequence[LossItem],
    sums: PartialSums,
    *,
    reduction: str,
    weighted: bool,
    engine: str,
    nan: str,
    methods: Mapping[str, str],
) -> EvaluationResult:
    """Turn accumulated sums into an :class:`EvaluationResult` (both engines end here)."""
    dropped = sums.rows - sums.used
    if nan == "error" and dropped:
        raise DataError(
            f"{dropped} of {sums.rows} rows have a null or NaN label, prediction or weight. "
            "Received: nan='error'. Clean the table or pass nan='drop' (--nan drop) to skip them."
        )
    values: dict[str, float] = {}
    for it in items:
        total = sums.loss_sums.get(it.key, math.nan)
        if uses_binary_label_rule(it.spec) and not sums.non_binary:
            total = sums.binary_sums.get(it.key, math.nan)
        if reduction == "sum":
            values[it.key] = float(total) if sums.used else 0.0
        elif reduction == "mean_with_sample_weight" and weighted:
            values[it.key] = float(total / sums.weight_sum) if sums.weight_sum else 0.0
        else:
            values[it.key] = float(total / sums.used) if sums.used else math.nan
    return EvaluationResult(
        values=values,
        n_rows=sums.rows,
        n_used=sums.used,
        n_dropped=dropped,
        reduction=reduction,
        weighted=weighted,
        engine=engine,
        methods=dict(methods),
    )


def check_options(reduction: str, nan: str) -> None:
    if reduction not in REDUCTIONS:
        raise InvalidParameterError(
            f"Invalid value for argument `reduction`. Expected one of {REDUCTIONS}. "
            f"Received: reduction={reduction!r}."
        )
    if nan not in ("drop", "error"):
        raise InvalidParameterError(
            f"Invalid value for argument `nan`. Expected 'drop' or 'error'. Received: nan={nan!r}."
        )


# ---------------------------------------------------------------- NumPy chunk arithmetic
def arrow_column_to_numpy(col: Any, name: str) -> np.ndarray:
    """A pyarrow column as float64: ``(n,)`` for numbers, ``(n, K)`` for list columns.

    Nulls become NaN (a null list becomes a row of NaN).
    """
    import pyarrow as pa
    import pyarrow.compute as pc

    if isinstance(col, pa.ChunkedArray):
        col = col.combine_chunks()
    t = col.type
    if pa.types.is_list(t) or pa.types.is_large_list(t) or pa.types.is_fixed_size_list(t):
        n = len(col)
        valid = np.asarray(col.is_valid().to_numpy(zero_copy_only=False), dtype=bool)
        lengths = pc.list_value_length(col).fill_null(0).to_numpy(zero_copy_only=False)
        k = int(lengths[valid].max()) if valid.any() else 0
        if valid.any() and (lengths[valid] != k).any():
            raise DataError(
                f"Column {name!r} holds arrays of different lengths "
                f"({sorted(set(lengths[valid].tolist()))[:5]}). Received: a ragged list column. "
                "Every row must have the same number of elements (one per class or output)."
            )
        flat = pc.list_flatten(col).cast(pa.float64()).to_numpy(zero_copy_only=False)
        out = np.full((n, k), np.nan)
        out[valid] = np.asarray(flat, dtype=np.float64).reshape(-1, k) if k else out[valid]
        return out
    if (
        pa.types.is_integer(t)
        or pa.types.is_floating(t)
        or pa.types.is_boolean(t)
        or pa.types.is_decimal(t)
    ):
        return np.asarray(col.cast(pa.float64()).to_numpy(zero_copy_only=False), dtype=np.float64)
    raise DataError(
        f"Column {name!r} must be numeric or an array of numbers. Received: type {t}. "
        "Convert it (e.g. encode class names as integers) before evaluating."
    )


def _row_ok(a: np.ndarray) -> np.ndarray:
    return ~np.isnan(a).any(axis=1) if a.ndim == 2 else ~np.isnan(a)


def _per_row(values: Any, n: int, key: str) -> np.ndarray:
    v = np.asarray(values, dtype=np.float64)
    if v.ndim == 0 or v.shape[0] != n:
        raise LosslabError(
            f"Loss {key!r} did not return one value per row. Received: shape {v.shape} for {n} rows. "
            "Only per-sample losses can be evaluated over a table."
        )
    # Keras's sum_over_batch_size divides by every value: a per-row mean is the same thing.
    return v.reshape(n, -1).mean(axis=1) if v.ndim > 1 else v


def accumulate(
    items: Sequence[LossItem], y: np.ndarray, p: np.ndarray, w: np.ndarray | None
) -> PartialSums:
    """Partial sums of every loss over one chunk (float64 arrays, rows in axis 0)."""
    n = len(p)
    ok = _row_ok(y) & _row_ok(p)
    if w is not None:
        ok &= ~np.isnan(w)
    y, p = y[ok], p[ok]
    w = w[ok] if w is not None else None
    out = PartialSums(rows=n, used=int(ok.sum()))
    out.weight_sum = float(w.sum()) if w is not None else float(out.used)
    out.loss_sums = {it.key: 0.0 for it in items}
    out.binary_sums = {it.key: 0.0 for it in items if uses_binary_label_rule(it.spec)}
    if out.used == 0:
        return out
    y2 = y[:, None] if y.ndim == 1 else y
    p2 = p[:, None] if p.ndim == 1 else p
    binary = bool(np.isin(y2, (0.0, 1.0)).all())
    out.non_binary = not binary
    for it in items:
        if label_is_index(it.spec):
            if y.ndim != 1:
                raise DataError(
                    f"Loss {it.key!r} reads the label as class indices. Received: an array label "
                    "column. Pass a column of integers 0..K-1 (or use categorical cross-entropy "
                    "for one-hot labels)."
                )
            bad = (y != np.floor(y)) | (y < 0) | (y >= p2.shape[1])
            if bad.any():
                raise DataError(
                    f"Loss {it.key!r} needs integer class indices in [0, {p2.shape[1]}). "
                    f"Received: label values such as {y[bad][:3].tolist()}. "
                    "Encode the classes as 0..K-1."
                )
            t_in: np.ndarray = y.astype(np.int64)
        else:
            t_in = y2
        vals = _per_row(it.spec.reference_values(t_in, p2, **it.params), len(p2), it.key)
        weighted = vals * w if w is not None else vals
        if uses_binary_label_rule(it.spec) and binary:
            # the reference converted this all-binary chunk; add a non-binary dummy row to get
            # the unconverted values too (needed if another chunk turns out non-binary)
            t_x = np.concatenate([t_in, np.full((1, t_in.shape[1]), 2.0)])
            p_x = np.concatenate([p2, np.zeros((1, p2.shape[1]))])
            raw = _per_row(it.spec.reference_values(t_x, p_x, **it.params), len(p_x), it.key)[:-1]
            out.binary_sums[it.key] = float(np.sum(weighted))
            out.loss_sums[it.key] = float(np.sum(raw * w if w is not None else raw))
        else:
            out.loss_sums[it.key] = float(np.sum(weighted))
            if uses_binary_label_rule(it.spec):
                out.binary_sums[it.key] = math.nan  # never used: the table is not binary
    return out


# ---------------------------------------------------------------- reading
def _batches(data: Any, columns: list[str], chunk_size: int) -> Iterator[Any]:
    """Record batches of ``columns`` from a path, a pandas DataFrame or a pyarrow Table."""
    import pyarrow as pa

    if isinstance(data, str | Path):
        path = Path(data)
        if not path.exists():
            raise DataError(
                f"Data file not found. Received: {str(path)!r}. Pass an existing CSV or Parquet path."
            )
        suffix = path.suffix.lower()
        fmt = (
            "csv"
            if suffix in (".csv", ".txt")
            else "parquet"
            if suffix in (".parquet", ".pq", "") or path.is_dir()
            else None
        )
        if fmt is None:
            raise DataError(
                f"Unsupported file type {suffix!r}. Received: {str(path)!r}. "
                "Use a .csv file, a .parquet file or a directory of Parquet files."
            )
        import pyarrow.dataset as ds

        try:
            dataset = ds.dataset(str(path), format=fmt)
        except (pa.ArrowInvalid, OSError) as e:
            raise DataError(f"Could not read {str(path)!r} as {fmt}: {e}. Check the file.") from e
        _check_columns(columns, dataset.schema.names)
        try:
            yield from dataset.to_batches(columns=columns, batch_size=chunk_size)
        except pa.ArrowInvalid as e:
            raise DataError(f"Could not read {str(path)!r}: {e}. Check the file.") from e
        return
    if isinstance(data, pa.Table):
        _check_columns(columns, data.column_names)
        yield from data.select(columns).to_batches(max_chunksize=chunk_size)
        return
    try:
        import pandas as pd
    except ImportError:  # pragma: no cover
        pd = None
    if pd is not None and isinstance(data, pd.DataFrame):
        _check_columns(columns, [str(c) for c in data.columns])
        for start in range(0, max(len(data), 1), chunk_size):
            part = data.iloc[start : start + chunk_size][columns]
            yield pa.RecordBatch.from_pandas(part, preserve_index=False)
        return
    raise DataError(
        f"Cannot evaluate data of type {type(data).__name__}. Received: {data!r:.80}. "
        "Pass a CSV/Parquet path, a pandas DataFrame or a pyarrow Table "
        "(a Spark DataFrame goes to losslab.spark.evaluate)."
    )


def _check_columns(wanted: Iterable[str], available: Sequence[str]) -> None:
    missing = [c for c in wanted if c not in available]
    if missing:
        raise DataError(
            f"Column(s) {', '.join(map(repr, missing))} not found. Received columns: "
            f"{', '.join(map(str, available[:20]))}{' ...' if len(available) > 20 else ''}. "
            "Pass the right --label / --prediction / --weight names."
        )


def evaluate(
    data: Any,
    *,
    label: str,
    prediction: str,
    losses: str | Sequence[str | LossSpec],
    weight: str | None = None,
    reduction: Reduction = "sum_over_batch_size",
    nan: NanPolicy = "drop",
    engine: Literal["local", "spark"] = "local",
    master: str | None = None,
    chunk_size: int = DEFAULT_CHUNK,
) -> EvaluationResult:
    """Evaluate catalog losses over a table, chunk by chunk, with the NumPy references.

    Args:
        data: a CSV or Parquet path (or a directory of Parquet files), a pandas DataFrame or
            a pyarrow Table; with ``engine="spark"`` also a Spark DataFrame.
        label: the column of true values (numbers, arrays for one-hot / multi-output, or
            class indices for sparse cross-entropy).
        prediction: the column of model outputs (numbers or arrays).
        losses: catalog names with optional parameters: ``["mse", "huber:delta=2"]`` or
            ``"mse,huber:delta=2"``.
        weight: optional column of sample weights.
        reduction: ``"sum_over_batch_size"`` (Keras default: ``sum(w * loss) / rows``),
            ``"sum"`` or ``"mean_with_sample_weight"`` (``sum(w * loss) / sum(w)``).
        nan: ``"drop"`` drops rows with null/NaN inputs and counts them; ``"error"`` raises.
        engine: ``"local"`` (NumPy, this process) or ``"spark"`` (native Spark SQL).
        master: Spark master URL for ``engine="spark"`` (default ``local[2]``).
        chunk_size: rows per chunk for the local engine.

    Returns:
        An :class:`EvaluationResult`; ``result.values["mse"]`` is the value of one loss.

    Raises:
        UnknownLossError, InvalidParameterError, DataError: with what to fix.

    Example:
        >>> import pandas as pd
        >>> import losslab
        >>> df = pd.DataFrame({"y": [0.0, 1.0, 2.0], "p": [0.5, 1.0, 1.0]})
        >>> r = losslab.evaluate(df, label="y", prediction="p", losses=["mse", "mae"])
        >>> round(r.values["mse"], 4), round(r.values["mae"], 4)
        (0.4167, 0.5)
    """
    check_options(reduction, nan)
    items = parse_losses(losses)
    if engine == "spark":
        return _evaluate_spark(
            data,
            label=label,
            prediction=prediction,
            items=items,
            weight=weight,
            reduction=reduction,
            nan=nan,
            master=master,
        )
    if engine != "local":
        raise InvalidParameterError(
            f"Invalid value for argument `engine`. Expected 'local' or 'spark'. Received: engine={engine!r}."
        )
    if not isinstance(chunk_size, int) or chunk_size < 1:
        raise InvalidParameterError(
            f"chunk_size must be an integer >= 1. Received: chunk_size={chunk_size!r}."
        )
    columns = list(dict.fromkeys([label, prediction, *([weight] if weight else [])]))
    total = PartialSums()
    for batch in _batches(data, columns, chunk_size):
        if batch.num_rows == 0:
            continue
        y = arrow_column_to_numpy(batch.column(batch.schema.get_field_index(label)), label)
        p = arrow_column_to_numpy(
            batch.column(batch.schema.get_field_index(prediction)), prediction
        )
        w = (
            arrow_column_to_numpy(batch.column(batch.schema.get_field_index(weight)), weight)
            if weight
            else None
        )
        if w is not None and w.ndim != 1:
            raise DataError(
                f"The weight column {weight!r} must hold one number per row. Received: arrays. "
                "Pass a numeric column."
            )
        total.merge(accumulate(items, y, p, w))
    return finish(
        items,
        total,
        reduction=reduction,
        weighted=weight is not None,
        engine="local",
        nan=nan,
        methods={it.key: "numpy" for it in items},
    )


def _evaluate_spark(
    data: Any,
    *,
    label: str,
    prediction: str,
    items: list[LossItem],
    weight: str | None,
    reduction: str,
    nan: str,
    master: str | None,
) -> EvaluationResult:
    from losslab.spark.evaluation import evaluate as spark_evaluate
    from losslab.spark.evaluation import read_table
    from losslab.spark.session import get_session

    spark = get_session(master)
    df = read_table(spark, data)
    return spark_evaluate(
        df,
        label=label,
        prediction=prediction,
        losses=[it.key for it in items],
        weight=weight,
        reduction=reduction,  # type: ignore[arg-type]
        nan=nan,  # type: ignore[arg-type]
    )
