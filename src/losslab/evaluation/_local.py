"""The local engine: a table read in chunks, each chunk evaluated with the NumPy references.

Tables are read by :mod:`losslab.data` (CSV with type widening, Parquet, pandas, Arrow);
a directory of Parquet files is read file by file. Only the label, prediction and weight
columns are read, and only one chunk is in memory at a time, so the table never needs to
fit in memory.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path
from typing import Any

from losslab.catalog import LossSpec
from losslab.data import BatchSource, open_source
from losslab.errors import DataError, InvalidParameterError
from losslab.evaluation._arrays import arrow_column_to_numpy
from losslab.evaluation._items import LossItem, parse_losses
from losslab.evaluation._result import EvaluationResult, NanPolicy, Reduction, check_options
from losslab.evaluation._sums import PartialSums, accumulate, finish

__all__ = ["DEFAULT_CHUNK", "evaluate"]

DEFAULT_CHUNK = 262_144
_PARQUET_SUFFIXES = (".parquet", ".pq", ".parq")


def _check_columns(wanted: Iterable[str], available: Sequence[str]) -> None:
    missing = [c for c in wanted if c not in available]
    if missing:
        raise DataError(
            f"Column(s) {', '.join(map(repr, missing))} not found. Received columns: "
            f"{', '.join(map(str, available[:20]))}{' ...' if len(available) > 20 else ''}. "
            "Pass the right --label / --prediction / --weight names."
        )


def _parquet_files(directory: Path) -> list[Path]:
    """The Parquet files under ``directory``, skipping names starting with ``_`` or ``.``
    (``_SUCCESS``, ``.crc`` files written next to Spark's part files)."""
    files = [
        f
        for f in sorted(directory.rglob("*"))
        if f.is_file()
        and f.name.lower().endswith(_PARQUET_SUFFIXES)
        and not any(part.startswith(("_", ".")) for part in f.relative_to(directory).parts)
    ]
    if not files:
        raise DataError(
            f"No Parquet file in the directory. Received: {str(directory)!r}. "
            "Pass a CSV or Parquet file, or a directory of .parquet files."
        )
    return files


def _sources(data: Any, columns: list[str]) -> list[BatchSource]:
    """The table as streams holding ``columns`` (several for a directory of Parquet files)."""
    import pyarrow as pa

    if isinstance(data, str | os.PathLike):
        path = Path(data)
        paths = _parquet_files(path) if path.is_dir() else [path]
        sources = [open_source(p) for p in paths]
        for src in sources:
            _check_columns(columns, src.columns)
        return sources
    if isinstance(data, pa.Table):
        _check_columns(columns, data.column_names)
        return [open_source(data.select(columns))]
    if type(data).__module__.startswith("pandas") and type(data).__name__ == "DataFrame":
        _check_columns(columns, [str(c) for c in data.columns])
        return [open_source(data[columns])]
    raise DataError(
        f"Cannot evaluate data of type {type(data).__name__}. Received: {data!r:.80}. "
        "Pass a CSV/Parquet path, a pandas DataFrame or a pyarrow Table "
        "(a Spark DataFrame goes to losslab.spark.evaluate)."
    )


def _chunks(batches: Iterable[Any], chunk_size: int) -> Iterator[Any]:
    for batch in batches:
        for start in range(0, batch.num_rows, chunk_size):
            yield batch.slice(start, chunk_size)


def _column(batch: Any, name: str) -> Any:
    return arrow_column_to_numpy(batch.column(batch.schema.get_field_index(name)), name)


def _table_sums(
    source: BatchSource,
    items: Sequence[LossItem],
    columns: list[str],
    chunk_size: int,
    names: tuple[str, str, str | None],
) -> PartialSums:
    """The sums of every loss over one stream, chunk by chunk."""
    label, prediction, weight = names

    def consume(batches: Iterable[Any]) -> PartialSums:
        total = PartialSums()
        for chunk in _chunks(batches, chunk_size):
            w = _column(chunk, weight) if weight else None
            if w is not None and w.ndim != 1:
                raise DataError(
                    f"The weight column {weight!r} must hold one number per row. Received: arrays. "
                    "Pass a numeric column."
                )
            total.merge(accumulate(items, _column(chunk, label), _column(chunk, prediction), w))
        return total

    # a CSV column widened mid-file restarts the scan, so the sums start again from zero
    result: PartialSums = source.scan(consume, columns)
    return result


def evaluate(
    data: Any,
    *,
    label: str,
    prediction: str,
    losses: str | Sequence[str | LossSpec | LossItem],
    weight: str | None = None,
    reduction: Reduction = "sum_over_batch_size",
    nan: NanPolicy = "drop",
    chunk_size: int = DEFAULT_CHUNK,
) -> EvaluationResult:
    """Evaluate catalog losses over a table, chunk by chunk, with the NumPy references.

    This is the local engine of :func:`losslab.evaluate` (which adds ``engine="spark"``).

    Args:
        data: a CSV or Parquet path (or a directory of Parquet files), a pandas DataFrame or
            a pyarrow Table.
        label: the column of true values (numbers, arrays for one-hot / multi-output, or
            class indices for sparse cross-entropy).
        prediction: the column of model outputs (numbers or arrays).
        losses: catalog names with optional parameters: ``["mse", "huber:delta=2"]`` or
            ``"mse,huber:delta=2"``.
        weight: optional column of sample weights.
        reduction: ``"sum_over_batch_size"`` (Keras default: ``sum(w * loss) / rows``),
            ``"sum"`` or ``"mean_with_sample_weight"`` (``sum(w * loss) / sum(w)``).
        nan: ``"drop"`` drops rows with null/NaN inputs and counts them; ``"error"`` raises.
        chunk_size: rows per chunk.

    Returns:
        An :class:`EvaluationResult` (``engine="local"``, every method ``"numpy"``).

    Raises:
        UnknownLossError, InvalidParameterError, DataError: with what to fix.

    Example:
        >>> import pandas as pd
        >>> df = pd.DataFrame({"y": [0.0, 1.0, 2.0], "p": [0.5, 1.0, 1.0], "w": [1.0, 1.0, 2.0]})
        >>> r = evaluate(df, label="y", prediction="p", losses="mse,mae", weight="w", chunk_size=2)
        >>> # mse: (0.25 + 0 + 2 * 1) / 3 rows, mae: (0.5 + 0 + 2 * 1) / 3 rows
        >>> round(r.values["mse"], 4), round(r.values["mae"], 4), r.n_used
        (0.75, 0.8333, 3)
    """
    check_options(reduction, nan)
    items = parse_losses(losses)
    if not isinstance(chunk_size, int) or chunk_size < 1:
        raise InvalidParameterError(
            f"chunk_size must be an integer >= 1. Received: chunk_size={chunk_size!r}."
        )
    columns = list(dict.fromkeys([label, prediction, *([weight] if weight else [])]))
    total = PartialSums()
    for source in _sources(data, columns):
        total.merge(_table_sums(source, items, columns, chunk_size, (label, prediction, weight)))
    return finish(
        items,
        total,
        reduction=reduction,
        weighted=weight is not None,
        engine="local",
        nan=nan,
        methods={it.key: "numpy" for it in items},
    )
