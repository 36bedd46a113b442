"""Out-of-core tables: datasets opened lazily, preprocessing statistics in one streaming
pass, a stable hashed validation slice, and shuffled numeric batches with bounded memory.

The Keras side (the model, ``fit``, saving) is :mod:`losslab.experiment.streaming_fit`.

- :func:`open_dataset`: a Parquet file, a folder of shards, a glob, or CSV files as one
  ``pyarrow.dataset.Dataset`` (nothing is read yet).
- :func:`validation_mask`: which rows of a batch belong to the validation slice, from a hash
  of a key column (``key=``) or of the row's content: the same rows on every run.
- :func:`compute_stats`: one pass over the training rows (the profiler's accumulators):
  numeric columns' means and variances, categories, the target's moments, the row counts.
- :func:`stream_batches`: ``(x, y)`` float32 batches of one split; fragments (files, Parquet
  row groups) in a seeded random order per epoch, then a shuffle buffer of ``buffer_rows``.
  Memory holds about one buffer plus one Arrow batch, whatever the table's size.
- :class:`Prefetch`: a background thread that keeps a few batches ready.
"""

from __future__ import annotations

import glob as _glob
import json
import math
import queue
import threading
from collections.abc import Iterator, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from losslab.errors import DataError, InvalidParameterError
from losslab.experiment.fit_options import check_option

__all__ = [
    "FeatureStat",
    "Prefetch",
    "StreamStats",
    "compute_stats",
    "encode_batch",
    "open_dataset",
    "shuffled_batches",
    "stream_batches",
    "validation_mask",
]

_PARQUET = (".parquet", ".pq", ".parq")
MAX_CATEGORIES = 64
#: A target with at most this many distinct values keeps its value counts (classes).
MAX_CLASSES = 64
READ_ROWS = 65_536


def open_dataset(data: str | Path | Sequence[str | Path]) -> Any:
    """A ``pyarrow.dataset.Dataset`` over a Parquet/CSV file, a folder of shards or a glob.

    Example:
        >>> import pyarrow as pa, pyarrow.parquet as pq, tempfile, os
        >>> d = tempfile.mkdtemp()
        >>> for i in range(3):
        ...     pq.write_table(pa.table({"x": [float(i)] * 4}), os.path.join(d, f"p{i}.parquet"))
        >>> open_dataset(d).count_rows(), open_dataset(os.path.join(d, "p[01].parquet")).count_rows()
        (12, 8)
    """
    import pyarrow.dataset as pads

    if isinstance(data, str | Path):
        text = str(data)
        if any(c in text for c in "*?["):
            files = sorted(_glob.glob(text))
            if not files:
                raise DataError(f"No file matches the pattern. Received: {text!r}. Check the glob.")
        elif Path(text).is_dir():
            files = sorted(
                str(p) for p in Path(text).rglob("*") if p.is_file() and not p.name.startswith((".", "_"))
            )
            if not files:
                raise DataError(f"The folder holds no data file. Received: {text!r}.")
        elif Path(text).exists():
            files = [text]
        else:
            raise DataError(f"Data not found. Received: {text!r}. Check the path.")
    else:
        files = [str(p) for p in data]
    fmt = "parquet" if all(f.lower().endswith(_PARQUET) for f in files) else None
    if fmt is None:
        if not all(f.lower().endswith((".csv", ".csv.gz", ".tsv")) for f in files):
            raise DataError(
                "Streaming reads Parquet or CSV files (one format per dataset). "
                f"Received: {files[:3]!r}. Convert the files or pass one kind."
            )
        fmt = "csv"
    try:
        return pads.dataset(files, format=fmt)
    except Exception as e:  # ArrowInvalid, OSError
        from losslab.data import dataset_error

        raise dataset_error(files, fmt, e) from None


def validation_mask(table: Any, *, val_fraction: float, key: str | None, columns: Sequence[str]) -> np.ndarray:
    """True for rows of ``table`` (a pyarrow batch/table) in the validation slice.

    The slice is chosen by a stable 64-bit hash (pandas' SipHash with its fixed key) of the
    ``key`` column, or of the ``columns`` of the row: the same rows on every run, machine
    and batching.

    Example:
        >>> import pyarrow as pa
        >>> t = pa.table({"id": list(range(10_000)), "x": [0.5] * 10_000})
        >>> m = validation_mask(t, val_fraction=0.2, key="id", columns=["x"])
        >>> round(float(m.mean()), 2)
        0.2
        >>> half = validation_mask(t.slice(5000), val_fraction=0.2, key="id", columns=["x"])
        >>> bool((half == m[5000:]).all())  # a row's side does not depend on its batch
        True
    """
    import pandas as pd

    cols = [key] if key else list(columns)
    frame = table.select(cols).to_pandas()
    h = pd.util.hash_pandas_object(frame, index=False).to_numpy(dtype=np.uint64)
    return (h % np.uint64(1 << 32)).astype(np.float64) < val_fraction * float(1 << 32)


@dataclass
class FeatureStat:
    """How one input column becomes model inputs: standardised number, or one-hot."""

    name: str
    kind: str  # "numeric" or "categorical"
    mean: float = 0.0
    std: float = 1.0
    categories: list[Any] = field(default_factory=list)

    @property
    def width(self) -> int:
        return 1 if self.kind == "numeric" else len(self.categories)


@dataclass
class StreamStats:
    """The preprocessing statistics of the training rows (JSON round trip)."""

    target: str
    features: list[FeatureStat]
    target_mean: float
    target_std: float
    target_values: list[Any] | None
    n_train: int
    n_val: int
    val_fraction: float
    key: str | None
    target_counts: list[list[Any]] | None = None  # [value, training rows] of a discrete target
    task: str | None = None  # set by the fit (losslab._vocab.TaskKind)
    classes: list[Any] | None = None  # class order of a classification task (codes 0..K-1)
    target_abs_mean: float | None = None  # mean(|y|) of the training rows' finite targets
    # a regression target trains as (y - shift) / scale; None: (mean, std) until the loss sets them
    target_shift: float | None = None
    target_scale: float | None = None

    @property
    def n_inputs(self) -> int:
        return sum(f.width for f in self.features)

    def to_json(self) -> str:
        return json.dumps(asdict(self), indent=2, default=float)

    @classmethod
    def from_json(cls, text: str) -> StreamStats:
        d = json.loads(text)
        d["features"] = [FeatureStat(**f) for f in d["features"]]
        return cls(**d)


def _check_columns(ds: Any, target: str, key: str | None) -> list[str]:
    names = list(ds.schema.names)
    for col, what in ((target, "target"), (key, "key")):
        if col is not None and col not in names:
            raise DataError(f"No {what} column {col!r} in the data. Received columns: {names}.")
    return [n for n in names if n not in (target, key)]


def compute_stats(
    ds: Any,
    target: str,
    *,
    val_fraction: float = 0.1,
    key: str | None = None,
    features: Sequence[str] | None = None,
    progress: Any = None,
) -> StreamStats:
    """One streaming pass: the training rows' column statistics and both slices' sizes.

    Args:
        ds: a dataset from :func:`open_dataset`.
        target: the target column (numeric).
        val_fraction: share of rows in the validation slice, in [0, 1).
        key: a row-key column for the validation hash (else the row's content).
        features: input columns (default: every column but the target and the key).
        progress: optional ``callable(rows_done)``.
    """
    import pyarrow as pa

    from losslab.data import ColumnAccumulator

    check_option("val_fraction", val_fraction)
    cols = list(features) if features is not None else _check_columns(ds, target, key)
    _check_columns(ds, target, key)
    accs = {c: ColumnAccumulator(c, ds.schema.field(c).type, MAX_CATEGORIES, False) for c in cols}
    yacc = ColumnAccumulator(target, ds.schema.field(target).type, MAX_CLASSES, True)
    read = list(dict.fromkeys([*cols, target, *([key] if key else [])]))
    n_train = n_val = 0
    # read ahead one fragment and two batches only: the defaults (4 and 16) hold hundreds of MB
    batches = ds.to_batches(columns=read, batch_size=READ_ROWS, batch_readahead=2, fragment_readahead=1)
    for batch in batches:
        val = validation_mask(batch, val_fraction=val_fraction, key=key, columns=[*cols, target])
        n_val += int(val.sum())
        train = batch.filter(pa.array(~val))
        n_train += train.num_rows
        for c, acc in accs.items():
            acc.update(train.column(c))
        yacc.update(train.column(target))
        if progress is not None:
            progress(n_train + n_val)
    if n_train == 0:
        raise DataError(f"No training rows in the data. Received: {n_val} rows, all in validation.")
    feats = [_feature(acc) for acc in accs.values()]
    feats.sort(key=lambda f: f.kind != "numeric")  # numeric first: the exported model's column order
    y = yacc.finish(n_train)
    if y.mean is None:
        raise DataError(f"The target {target!r} must be numeric. Received type {y.dtype}.")
    counts = yacc.counts if yacc.counts is not None and len(yacc.counts) <= MAX_CLASSES else None
    values = sorted(counts) if counts is not None and len(counts) <= 2 else None
    return StreamStats(
        target, feats, float(y.mean), float(y.std or 1.0) or 1.0, values, n_train, n_val, val_fraction, key,
        None if counts is None else [[v, int(counts[v])] for v in sorted(counts)],
        target_abs_mean=yacc.abs_mean,
    )


def _feature(acc: Any) -> FeatureStat:
    if acc.kind in ("numeric", "boolean"):
        var = acc.m2 / acc.n if acc.n else 0.0
        std = math.sqrt(var) if var > 0 else 1.0
        if acc.kind == "boolean":
            counts = acc.counts or {}
            total = sum(counts.values()) or 1
            mean = counts.get(True, 0) / total
            std = math.sqrt(mean * (1 - mean)) or 1.0
            return FeatureStat(acc.name, "numeric", mean, std)
        return FeatureStat(acc.name, "numeric", float(acc.mu), float(std))
    counts = acc.counts or {}
    top = sorted(counts, key=lambda v: (-counts[v], str(v)))[:MAX_CATEGORIES]
    return FeatureStat(acc.name, "categorical", categories=sorted(top, key=str))


def encode_batch(batch: Any, stats: StreamStats) -> tuple[np.ndarray, np.ndarray]:
    """``(x, y)`` float32 arrays: standardised numbers (missing -> 0) and one-hot categories;
    the target as class codes for a classification fit (``classes``), standardised for
    regression (``target_values is None``), else as is."""
    parts = []
    for f in stats.features:
        col = batch.column(f.name)
        if f.kind == "numeric":
            v = col.to_numpy(zero_copy_only=False).astype(np.float64)
            v = (v - f.mean) / f.std
            parts.append(np.nan_to_num(v, nan=0.0)[:, None])
        else:
            values = np.asarray(col.to_pylist(), dtype=object)
            parts.append(np.stack([values == c for c in f.categories], axis=1) if f.categories else np.zeros((len(values), 0)))
    x = np.concatenate(parts, axis=1).astype(np.float32) if parts else np.zeros((batch.num_rows, 0), np.float32)
    y = batch.column(stats.target).to_numpy(zero_copy_only=False).astype(np.float64)
    if stats.classes is not None:  # class codes 0..K-1 (a value not among them: -1)
        order = np.asarray(stats.classes, dtype=np.float64)
        pos = np.clip(np.searchsorted(order, y), 0, len(order) - 1)
        y = np.where(order[pos] == y, pos, -1).astype(np.float64)
    elif stats.target_scale is not None:
        y = (y - (stats.target_shift or 0.0)) / stats.target_scale
    elif stats.target_values is None:
        y = (y - stats.target_mean) / stats.target_std
    return x, y.astype(np.float32)[:, None]


def _fragments(ds: Any) -> list[Any]:
    """Files, and Parquet files cut at their row groups (finer shuffling units)."""
    out = []
    for frag in ds.get_fragments():
        split = getattr(frag, "split_by_row_group", None)
        out.extend(split() if split is not None else [frag])
    return out


def stream_batches(
    ds: Any,
    stats: StreamStats,
    *,
    split: str = "train",
    batch_size: int = 1024,
    buffer_rows: int = 65_536,
    seed: int = 0,
    epoch: int = 0,
    shuffle: bool = True,
) -> Iterator[tuple[np.ndarray, np.ndarray]]:
    """One epoch of ``(x, y)`` batches of ``split`` ("train" or "val").

    Every row of the split comes once, in full batches except the last one. With ``shuffle``
    the fragments come in a random order (seeded by ``seed`` and ``epoch``) and rows are
    permuted inside a buffer of ``buffer_rows`` rows.
    """
    import pyarrow as pa

    if split not in ("train", "val"):
        raise InvalidParameterError(f"split must be 'train' or 'val'. Received: {split!r}.")
    cols = [f.name for f in stats.features]
    read = list(dict.fromkeys([*cols, stats.target, *([stats.key] if stats.key else [])]))

    def encode(batch: Any) -> tuple[np.ndarray, ...] | None:
        val = validation_mask(batch, val_fraction=stats.val_fraction, key=stats.key, columns=[*cols, stats.target])
        part = batch.filter(pa.array(val if split == "val" else ~val))
        return encode_batch(part, stats) if part.num_rows else None

    yield from shuffled_batches(  # type: ignore[misc]
        ds, encode, columns=read, batch_size=batch_size, buffer_rows=buffer_rows, seed=seed, epoch=epoch, shuffle=shuffle
    )


def shuffled_batches(
    ds: Any,
    encode: Any,
    *,
    columns: Sequence[str] | None = None,
    batch_size: int = 1024,
    buffer_rows: int = 65_536,
    seed: int = 0,
    epoch: int = 0,
    shuffle: bool = True,
) -> Iterator[tuple[np.ndarray, ...]]:
    """One epoch of batches of ``encode(arrow batch) -> (arrays...) or None`` over ``ds``:
    fragments in a seeded random order, rows permuted in a buffer of ``buffer_rows``.

    Example:
        >>> import pyarrow as pa, pyarrow.dataset as pads
        >>> ds = pads.dataset(pa.table({"v": np.arange(10.0)}))
        >>> enc = lambda b: (b.column("v").to_numpy(),)
        >>> [len(b[0]) for b in shuffled_batches(ds, enc, batch_size=4)]
        [4, 4, 2]
    """
    rng = np.random.default_rng([seed, epoch])
    frags = _fragments(ds)
    if shuffle:
        frags = [frags[i] for i in rng.permutation(len(frags))]
    held: list[tuple[np.ndarray, ...]] = []
    rows = 0
    for frag in frags:
        for batch in frag.to_batches(columns=columns, batch_size=READ_ROWS, batch_readahead=1, fragment_readahead=1):
            arrays = encode(batch)
            if arrays is None or not len(arrays[0]):
                continue
            held.append(tuple(arrays))
            rows += len(arrays[0])
            if rows >= buffer_rows:
                yield from _drain(held, batch_size, rng if shuffle else None, keep_tail=True)
                rows = sum(len(h[0]) for h in held)
    yield from _drain(held, batch_size, rng if shuffle else None, keep_tail=False)


def _drain(
    held: list[tuple[np.ndarray, ...]], batch_size: int, rng: np.random.Generator | None, *, keep_tail: bool
) -> Iterator[tuple[np.ndarray, ...]]:
    """Emit the buffered rows (permuted) as full batches; keep the remainder when asked."""
    if not held:
        return
    arrays = [np.concatenate(parts) for parts in zip(*held, strict=True)]
    held.clear()
    n = len(arrays[0])
    if rng is not None:
        order = rng.permutation(n)
        arrays = [a[order] for a in arrays]
    full = (n // batch_size) * batch_size
    end = full if keep_tail else n
    for i in range(0, end, batch_size):
        yield tuple(a[i : i + batch_size] for a in arrays)
    if keep_tail and full < n:
        held.append(tuple(a[full:] for a in arrays))


class Prefetch:
    """Iterate ``make(epoch)`` for epochs 0, 1, ... forever on a background thread, keeping
    at most ``depth`` items ready. :meth:`close` stops the thread.

    Example:
        >>> p = Prefetch(lambda epoch: iter([epoch, epoch]), depth=2)
        >>> [next(p) for _ in range(5)]
        [0, 0, 1, 1, 2]
        >>> p.close()
    """

    _END = object()

    def __init__(self, make: Any, depth: int = 4, epochs: int | None = None) -> None:
        self._queue: queue.Queue[Any] = queue.Queue(maxsize=max(1, depth))
        self._stop = threading.Event()
        self._make, self._epochs = make, epochs
        self._thread = threading.Thread(target=self._run, name="losslab-prefetch", daemon=True)
        self._thread.start()

    def _put(self, item: Any) -> bool:
        while not self._stop.is_set():
            try:
                self._queue.put(item, timeout=0.1)
                return True
            except queue.Full:
                continue
        return False

    def _run(self) -> None:
        epoch = 0
        try:
            while not self._stop.is_set() and (self._epochs is None or epoch < self._epochs):
                for item in self._make(epoch):
                    if not self._put(item):
                        return
                epoch += 1
            self._put(self._END)
        except BaseException as e:  # handed to the consumer
            self._put(e)

    def __iter__(self) -> Prefetch:
        return self

    def __next__(self) -> Any:
        item = self._queue.get()
        if item is self._END:
            raise StopIteration
        if isinstance(item, BaseException):
            raise item
        return item

    def close(self) -> None:
        self._stop.set()
        self._thread.join(timeout=5)
