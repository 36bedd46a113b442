"""Readers: CSV, Parquet, pandas and Arrow tables, as one stream of Arrow record batches.

No Keras import here. pyarrow is imported at module level (it is light compared with a
deep-learning backend, and this module is only imported when data is read).
"""

from __future__ import annotations

import csv
import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pyarrow as pa

from losslab.errors import DataError

__all__ = ["BatchSource", "SchemaChanged", "check_schema", "dataset_error", "open_source", "parquet_error", "read_table"]

#: Rows per record batch when streaming a file (about 20-50 MB for 20 numeric columns).
BATCH_ROWS = 262_144
#: Bytes per CSV block (the streaming reader's unit; column types come from the first one).
CSV_BLOCK_BYTES = 16 << 20

_PARQUET_EXT = (".parquet", ".pq", ".parq")
_CSV_EXT = (".csv", ".tsv", ".txt", ".csv.gz", ".tsv.gz", ".csv.bz2")


@dataclass
class BatchSource:
    """A table seen as a schema plus a re-iterable stream of record batches.

    Attributes:
        name: a label for messages (file path or ``"<pandas.DataFrame>"``).
        schema: the Arrow schema of every batch.
        num_rows: total rows when known without reading (Parquet, in-memory), else ``None``.
    """

    name: str
    schema: pa.Schema
    num_rows: int | None
    _table: pa.Table | None = None
    _path: Path | None = None
    _kind: str = "table"
    _csv_types: dict[str, Any] | None = None

    @property
    def columns(self) -> list[str]:
        return list(self.schema.names)

    def batches(self, columns: list[str] | None = None) -> Iterator[pa.RecordBatch]:
        """Yield record batches (only ``columns`` when given)."""
        if self._kind == "table":
            assert self._table is not None
            table = self._table.select(columns) if columns is not None else self._table
            yield from table.to_batches(max_chunksize=BATCH_ROWS)
        elif self._kind == "parquet":
            import pyarrow.parquet as pq

            assert self._path is not None
            # buffered column reads without pre-buffering: memory stays at about one batch
            # instead of growing with whole row groups (3x less peak RSS, and faster)
            pf = pq.ParquetFile(self._path, pre_buffer=False, buffer_size=1 << 20)
            yield from pf.iter_batches(batch_size=BATCH_ROWS, columns=columns, use_threads=True)
        else:
            assert self._path is not None
            yield from _iter_csv(self, columns)

    def scan(self, consume: Any, columns: list[str] | None = None) -> Any:
        """``consume(batches)`` over the stream, started again (up to 64 times) when a CSV
        column had to be widened mid-file. Returns what ``consume`` returns."""
        for _ in range(64):
            try:
                return consume(self.batches(columns))
            except SchemaChanged:
                continue
        raise DataError(
            f"Cannot settle the column types of {self.name!r}. Convert it to Parquet first."
        )


def _csv_delimiter(path: Path) -> str:
    name = path.name.lower()
    return "\t" if name.endswith((".tsv", ".tsv.gz")) else ","


def _csv_options(
    path: Path, columns: list[str] | None, types: dict[str, Any]
) -> tuple[Any, Any, Any]:
    import pyarrow.csv as pcsv

    read = pcsv.ReadOptions(block_size=CSV_BLOCK_BYTES)
    parse = pcsv.ParseOptions(delimiter=_csv_delimiter(path))
    convert = pcsv.ConvertOptions(column_types=types or None, include_columns=columns or None)
    return read, parse, convert


def _malformed_line(path: Path) -> tuple[int, int, int] | None:
    """First line whose field count differs from the header: (line number, expected, got)."""
    import gzip

    opener: Any = gzip.open if path.name.endswith(".gz") else open
    with opener(path, "rt", newline="") as f:
        reader = csv.reader(f, delimiter=_csv_delimiter(path))
        expected = None
        for row in reader:
            if expected is None:
                expected = len(row)
                continue
            if not row:  # blank lines are skipped by the parser
                continue
            if len(row) != expected:
                return reader.line_num, expected, len(row)
    return None


def _csv_error(path: Path, err: Exception) -> DataError:
    text = str(err)
    if "Empty CSV file" in text:
        return DataError(
            f"The file {str(path)!r} is empty: no header and no rows. Received: a file of "
            f"{os.path.getsize(path)} bytes. Pass a CSV file with a header line and at least one row."
        )
    if "Expected" in text and "columns" in text:
        where = _malformed_line(path)
        if where is not None:
            line, expected, got = where
            return DataError(
                f"Malformed CSV row in {str(path)!r} at line {line}: expected {expected} fields "
                f"(as in the header), got {got}. Fix or remove that line (quote fields that contain "
                "the delimiter)."
            )
    if "UTF8" in text or "UTF-8" in text:
        return DataError(
            f"The CSV file {str(path)!r} is not UTF-8 text: {text.splitlines()[0]}. Save the file "
            "as UTF-8 (e.g. iconv -f latin1 -t utf-8 in.csv > out.csv)."
        )
    return DataError(
        f"Cannot read CSV file {str(path)!r}: {text.splitlines()[0]}. Check the file format."
    )


def parquet_error(path: str | os.PathLike[str], err: BaseException) -> DataError:
    """The one error for a file that does not read as Parquet (pyarrow's reason, one period).

    Example:
        >>> str(parquet_error("bad.parquet", OSError("Parquet file size is 0 bytes.")))
        "Cannot read Parquet file 'bad.parquet': Parquet file size is 0 bytes. Check that it is a Parquet file."
    """
    reason = " ".join(str(err).split()).rstrip(".")
    return DataError(f"Cannot read Parquet file {str(path)!r}: {reason}. Check that it is a Parquet file.")


def dataset_error(files: list[str], fmt: str, err: BaseException) -> DataError:
    """The error for files that do not open as one ``pyarrow.dataset``: :func:`parquet_error`
    for the first file that is not Parquet, else the dataset's reason (one period).

    Example:
        >>> str(dataset_error(["a.csv"], "csv", OSError("Schemas differ.")))
        "Cannot open the dataset: Schemas differ. Received: ['a.csv']. Check that the files share one format and schema."
    """
    import pyarrow.parquet as pq

    for f in files if fmt == "parquet" else []:
        try:
            pq.ParquetFile(f)
        except (pa.ArrowInvalid, OSError) as e:
            return parquet_error(f, e)
    reason = " ".join(str(err).split()).rstrip(".")
    return DataError(
        f"Cannot open the dataset: {reason}. Received: {files[:3]!r}. "
        "Check that the files share one format and schema."
    )


def check_schema(name: str, schema: pa.Schema) -> pa.Schema:
    """Refuse column names that are not UTF-8 text or that appear more than once.

    Args:
        name: the source's label for messages.
        schema: its Arrow schema.

    Returns:
        ``schema`` unchanged.

    Raises:
        DataError: a header that is not UTF-8, or duplicate column names (named).

    Example:
        >>> check_schema("t", pa.schema([("x", pa.int64()), ("x", pa.int64())]))
        Traceback (most recent call last):
        ...
        losslab.errors.DataError: Duplicate column names in 't': 'x' (2 times). Received columns: 'x', 'x'. Rename the columns so that each name appears once.
    """
    try:
        names = list(schema.names)
    except UnicodeDecodeError as e:
        raise DataError(
            f"The column names of {name!r} are not UTF-8 text (byte {e.object[e.start : e.end]!r} "
            "cannot be decoded). Received: a header in another encoding (e.g. Latin-1). "
            "Save the file as UTF-8 (e.g. iconv -f latin1 -t utf-8 in.csv > out.csv)."
        ) from None
    seen: dict[str, int] = {}
    for col in names:
        seen[col] = seen.get(col, 0) + 1
    dups = [f"{col!r} ({k} times)" for col, k in seen.items() if k > 1]
    if dups:
        shown = ", ".join(repr(c) for c in names[:20]) + (" ..." if len(names) > 20 else "")
        raise DataError(
            f"Duplicate column names in {name!r}: {', '.join(dups[:5])}. Received columns: "
            f"{shown}. Rename the columns so that each name appears once."
        )
    return schema


class SchemaChanged(Exception):
    """A CSV column needed a wider type in a later block; the source's schema was updated and
    the consumer must start its scan again (see :meth:`BatchSource.scan`)."""


def _widen(path: Path, schema: pa.Schema, types: dict[str, Any], err: Exception) -> bool:
    """Widen the column named in a conversion error (int -> float64 -> string)."""
    text = str(err)
    if "In CSV column #" not in text or "conversion error" not in text:
        return False
    idx = int(text.split("In CSV column #")[1].split(":")[0])
    name = schema.names[idx]
    current = types.get(name, schema.field(idx).type)
    if pa.types.is_string(current):
        return False
    types[name] = pa.string() if pa.types.is_floating(current) else pa.float64()
    return True


def _open_csv(path: Path, types: dict[str, Any], columns: list[str] | None = None) -> Any:
    import pyarrow.csv as pcsv

    read, parse, convert = _csv_options(path, columns, types)
    try:
        return pcsv.open_csv(path, read_options=read, parse_options=parse, convert_options=convert)
    except pa.ArrowInvalid as e:
        raise _csv_error(path, e) from None


def _iter_csv(src: BatchSource, columns: list[str] | None) -> Iterator[pa.RecordBatch]:
    """Stream a CSV file. Column types come from the first block; when a later block does
    not convert (an integer column with a decimal far down the file), the column is widened
    and :class:`SchemaChanged` is raised so that the consumer restarts with the new schema
    (one pass over the file in the common case, instead of a schema pre-scan)."""
    assert src._path is not None
    types = src._csv_types if src._csv_types is not None else {}
    src._csv_types = types
    reader = _open_csv(src._path, types, columns)
    try:
        yield from reader
    except pa.ArrowInvalid as e:
        if _widen(src._path, src.schema, types, e):
            src.schema = _open_csv(src._path, types).schema
            raise SchemaChanged(str(e)) from None
        raise _csv_error(src._path, e) from None


def open_source(data: Any) -> BatchSource:
    """Open a path (CSV / Parquet), a pandas DataFrame or a pyarrow Table as a stream.

    Args:
        data: ``str`` or ``Path`` to a ``.csv``/``.tsv`` (optionally gzipped) or
            ``.parquet`` file, a ``pandas.DataFrame``, a ``pyarrow.Table`` or
            ``pyarrow.RecordBatch``.

    Returns:
        A :class:`BatchSource`.

    Raises:
        DataError: unreadable, missing or empty input, or an unsupported type.

    Example:
        >>> import pandas as pd
        >>> src = open_source(pd.DataFrame({"x": [1.0, 2.0], "y": [0, 1]}))
        >>> src.columns, src.num_rows
        (['x', 'y'], 2)
    """
    if isinstance(data, pa.RecordBatch):
        data = pa.Table.from_batches([data])
    if isinstance(data, pa.Table):
        schema = check_schema("<pyarrow.Table>", data.schema)
        return BatchSource("<pyarrow.Table>", schema, data.num_rows, _table=data)
    mod = type(data).__module__
    if mod.startswith("pandas") and type(data).__name__ == "DataFrame":
        try:
            table = pa.Table.from_pandas(data, preserve_index=False)
        except (pa.ArrowInvalid, pa.ArrowTypeError) as e:
            raise DataError(
                f"Cannot convert the DataFrame to Arrow: {e}. Received columns with mixed types. "
                "Give each column one type (e.g. df[col].astype(str))."
            ) from None
        schema = check_schema("<pandas.DataFrame>", table.schema)
        return BatchSource("<pandas.DataFrame>", schema, table.num_rows, _table=table)
    if isinstance(data, str | os.PathLike):
        path = Path(data)
        if not path.exists():
            raise DataError(f"Data file not found. Received: {str(path)!r}. Check the path.")
        if path.is_dir():
            raise DataError(f"Expected a data file, got a directory. Received: {str(path)!r}.")
        low = path.name.lower()
        if low.endswith(_PARQUET_EXT):
            import pyarrow.parquet as pq

            try:
                pf = pq.ParquetFile(path)
            except (pa.ArrowInvalid, OSError) as e:
                raise parquet_error(path, e) from None
            schema = check_schema(str(path), pf.schema_arrow)
            return BatchSource(str(path), schema, pf.metadata.num_rows, _path=path, _kind="parquet")
        if low.endswith(_CSV_EXT) or "." not in low:
            if path.stat().st_size == 0:
                raise _csv_error(path, pa.ArrowInvalid("Empty CSV file"))
            schema = check_schema(str(path), _open_csv(path, {}).schema)
            binary = [f.name for f in schema if pa.types.is_binary(f.type)]
            if binary:  # the CSV reader types non-UTF-8 text as binary
                raise DataError(
                    f"Column {binary[0]!r} of {str(path)!r} holds text that is not UTF-8. "
                    "Save the file as UTF-8 (e.g. iconv -f latin1 -t utf-8 in.csv > out.csv)."
                )
            return BatchSource(str(path), schema, None, _path=path, _kind="csv", _csv_types={})
        raise DataError(
            f"Unsupported file type {path.suffix!r}. Received: {str(path)!r}. "
            "Use a .csv, .tsv or .parquet file, a pandas DataFrame or a pyarrow Table."
        )
    hint = (
        " For a Spark DataFrame, write it to Parquet (df.write.parquet(path)) and pass the path."
        if mod.startswith("pyspark")
        else ""
    )
    raise DataError(
        f"Unsupported data of type {type(data).__name__}. Pass a CSV/Parquet path, a pandas "
        f"DataFrame or a pyarrow Table.{hint}"
    )


def read_table(data: Any) -> Any:
    """Read a whole table into a pandas DataFrame.

    Args:
        data: a CSV/Parquet path, a pandas DataFrame (returned as is) or a pyarrow Table.

    Returns:
        A ``pandas.DataFrame``.

    Raises:
        DataError: unreadable or empty input, or a malformed CSV row (with its line number).

    Example:
        >>> import pyarrow as pa
        >>> read_table(pa.table({"y": [1, 2]})).shape
        (2, 1)
    """
    mod = type(data).__module__
    if mod.startswith("pandas") and type(data).__name__ == "DataFrame":
        return data
    src = open_source(data)
    if src._table is not None:
        return src._table.to_pandas()
    batches = src.scan(list)
    table = pa.Table.from_batches(batches, schema=batches[0].schema if batches else src.schema)
    return table.to_pandas()
