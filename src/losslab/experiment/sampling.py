"""Seeded samples of big tables for ``compare`` / ``run``, drawn without loading the table.

A table over :data:`DEFAULT_THRESHOLD` rows (or any table with ``sample=N``) is compared on
a sample of ``N`` rows (:data:`DEFAULT_ROWS` by default):

- every row gets a key: a 64-bit hash of its content (:func:`row_hashes`, pandas' SipHash
  with its fixed key) mixed with the seed (:func:`seeded_keys`);
- a discrete target (at most :data:`MAX_STRATA` distinct values, a classification task) is
  counted in one streaming pass over the target column; each class gets a quota of the
  sample in proportion to its count (:func:`quotas`, largest remainders, at least
  :data:`MIN_PER_CLASS` rows of every class that has them);
- a second streaming pass keeps, per class, the rows with the smallest keys (a bottom-k
  sample: uniform without replacement, of exactly the quota). Memory holds the sample and
  one Arrow batch; the rows kept do not depend on the batching or the order of the files.

The sample is sorted by key, so a re-run (a resume) with the same seed gets the same rows in
the same order. :class:`SampleInfo` is what the run manifest stores about it.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, replace
from pathlib import Path
from typing import Any

import numpy as np

from losslab._vocab import TaskKind
from losslab.errors import DataError, InvalidParameterError

__all__ = [
    "DEFAULT_ROWS",
    "DEFAULT_THRESHOLD",
    "MAX_STRATA",
    "MIN_PER_CLASS",
    "SampleInfo",
    "check_sample",
    "draw_sample",
    "load_or_sample",
    "quotas",
    "row_hashes",
    "seeded_keys",
]

#: Rows of the sample drawn automatically: with the default MLP, 3 seeds and 4 losses, a
#: comparison of this many rows takes minutes on a laptop CPU.
DEFAULT_ROWS = 50_000
#: Tables with more rows than this are sampled automatically.
DEFAULT_THRESHOLD = 200_000
#: A target with more distinct values than this is not stratified.
MAX_STRATA = 100
#: The fewest rows a class keeps in a stratified sample (so each split can hold it).
MIN_PER_CLASS = 3
READ_ROWS = 65_536


@dataclass(frozen=True)
class SampleInfo:
    """What was sampled: ``rows`` of ``of_rows``, the seed, the class counts kept."""

    rows: int
    of_rows: int
    seed: int
    stratified_by: str | None
    strata: dict[str, int] | None
    automatic: bool
    method: str
    source: str

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> SampleInfo:
        return cls(**{k: d[k] for k in cls.__dataclass_fields__})

    def message(self) -> str:
        """The terminal / report sentence.

        Example:
            >>> SampleInfo(500, 10_000, 0, "y", {"0": 400, "1": 100}, True, "hash", "t.parquet").message()
            'sampled 500 of 10,000 rows (5.0%, seed 0, stratified by y; drawn automatically over the size threshold)'
        """
        share = 100.0 * self.rows / max(self.of_rows, 1)
        how = f", stratified by {self.stratified_by}" if self.stratified_by else ""
        auto = "; drawn automatically over the size threshold" if self.automatic else ""
        return f"sampled {self.rows:,} of {self.of_rows:,} rows ({share:.1f}%, seed {self.seed}{how}{auto})"


def check_sample(sample: Any) -> int | None:
    """``sample`` as a row count: ``None`` when not given (sample over the threshold),
    ``-1`` for ``"all"`` (never sample), else the whole number of rows (>= 1).

    Example:
        >>> check_sample("1000"), check_sample(None), check_sample("all")
        (1000, None, -1)
        >>> check_sample("-5")
        Traceback (most recent call last):
        ...
        losslab.errors.InvalidParameterError: --sample must be a whole number of rows >= 1 or 'all'. Received: --sample '-5'.
    """
    if sample is None:
        return None
    if isinstance(sample, str) and sample.strip().lower() == "all":
        return -1
    text = str(sample).strip().replace("_", "").replace(",", "")
    if isinstance(sample, bool) or not text.isdigit() or int(text) < 1:
        raise InvalidParameterError(
            f"--sample must be a whole number of rows >= 1 or 'all'. Received: --sample {sample!r}."
        )
    return int(text)


def row_hashes(table: Any, columns: Sequence[str] | None = None) -> np.ndarray:
    """A 64-bit hash of each row's content (``columns``, default all): the same for the same
    values whatever the batch or file the row sits in.

    Example:
        >>> import pyarrow as pa
        >>> t = pa.table({"a": [1, 2, 1], "b": ["x", "y", "x"]})
        >>> h = row_hashes(t)
        >>> bool(h[0] == h[2]), bool(h[0] == h[1])
        (True, False)
    """
    import pandas as pd

    frame = (table.select(list(columns)) if columns is not None else table).to_pandas()
    return pd.util.hash_pandas_object(frame, index=False).to_numpy(dtype=np.uint64)


def seeded_keys(hashes: np.ndarray, seed: int) -> np.ndarray:
    """Mix row hashes with the seed (SplitMix64's finaliser): another seed, another order.

    Example:
        >>> h = np.arange(5, dtype=np.uint64)
        >>> bool((np.argsort(seeded_keys(h, 0)) == np.argsort(seeded_keys(h, 1))).all())
        False
    """
    with np.errstate(over="ignore"):
        z = hashes + np.uint64((0x9E3779B97F4A7C15 * (int(seed) + 1)) % (1 << 64))
        z = (z ^ (z >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
        z = (z ^ (z >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
        return z ^ (z >> np.uint64(31))


def quotas(counts: Mapping[Any, int], n: int) -> dict[Any, int]:
    """Rows per class in a sample of ``n``: proportional (largest remainders), each class at
    least ``min(count, MIN_PER_CLASS)``, never more than the class has; sums to ``n``.

    Example:
        >>> quotas({"a": 900, "b": 90, "c": 10}, 100)
        {'a': 88, 'b': 9, 'c': 3}
        >>> quotas({"a": 9990, "b": 10}, 100)
        {'a': 97, 'b': 3}
    """
    total = sum(counts.values())
    exact = {k: n * c / total for k, c in counts.items()}
    q = {k: int(v) for k, v in exact.items()}
    order = sorted(counts, key=lambda k: (-(exact[k] - q[k]), str(k)))
    for k in order[: n - sum(q.values())]:
        q[k] += 1
    for k, c in counts.items():
        q[k] = min(max(q[k], min(c, MIN_PER_CLASS)), c)
    while sum(q.values()) > n:  # the floors took rows: give them back from the largest class
        big = max(q, key=lambda k: (q[k] - min(counts[k], MIN_PER_CLASS), str(k)))
        q[big] -= 1
    return q


def _target_counts(ds: Any, target: str) -> dict[Any, int] | None:
    """Counts of each target value (one pass over the target column), None past MAX_STRATA."""
    import pyarrow.compute as pc

    counts: dict[Any, int] = {}
    for batch in ds.to_batches(columns=[target], batch_size=READ_ROWS):
        vc = pc.value_counts(batch.column(0))
        for v, c in zip(vc.field("values").to_pylist(), vc.field("counts").to_pylist(), strict=True):
            counts[v] = counts.get(v, 0) + int(c)
        if len(counts) > MAX_STRATA:
            return None
    return counts


def _keep_smallest(kept: tuple[np.ndarray, Any] | None, keys: np.ndarray, part: Any, q: int) -> tuple[np.ndarray, Any]:
    """The ``q`` rows of smallest key among the kept rows and a new part."""
    import pyarrow as pa

    if kept is not None:
        keys = np.concatenate([kept[0], keys])
        part = pa.concat_tables([kept[1], part])
    if len(keys) > q:
        idx = np.argpartition(keys, q - 1)[:q]
        keys, part = keys[idx], part.take(pa.array(idx))
    return keys, part


def draw_sample(
    ds: Any, target: str, n: int, *, seed: int = 0, stratify: bool = True, counts: Mapping[Any, int] | None = None
) -> tuple[Any, dict[str, int] | None]:
    """Exactly ``n`` rows of the dataset ``ds`` (a ``pyarrow.dataset.Dataset``), by classes
    of ``target`` when ``stratify``, streamed. Returns ``(pandas.DataFrame, class counts)``.

    Example:
        >>> import pyarrow as pa, pyarrow.dataset as pads
        >>> t = pa.table({"x": np.arange(1000.0), "y": [0] * 900 + [1] * 100})
        >>> df, strata = draw_sample(pads.dataset(t), "y", 50, seed=3)
        >>> len(df), strata
        (50, {'0': 45, '1': 5})
        >>> df.equals(draw_sample(pads.dataset(t), "y", 50, seed=3)[0])
        True
    """
    import pyarrow as pa
    import pyarrow.compute as pc

    if stratify and counts is None:
        counts = _target_counts(ds, target)
    groups = quotas(counts, n) if stratify and counts else None
    kept: dict[Any, tuple[np.ndarray, Any]] = {}
    for batch in ds.to_batches(batch_size=READ_ROWS, batch_readahead=2, fragment_readahead=1):
        table = pa.Table.from_batches([batch])
        keys = seeded_keys(row_hashes(table), seed)
        for value, q in (groups or {None: n}).items():
            if groups is None:
                mask = np.ones(len(keys), bool)
            elif value is None:
                mask = table.column(target).is_null().to_numpy(zero_copy_only=False)
            else:
                mask = pc.equal(table.column(target), pa.scalar(value)).fill_null(False).to_numpy(zero_copy_only=False)
            if value in kept and len(kept[value][0]) >= q:
                mask &= keys < kept[value][0].max()  # only rows that can enter the bottom q
            if mask.any():
                kept[value] = _keep_smallest(kept.get(value), keys[mask], table.filter(pa.array(mask)), q)
    if not kept:
        raise DataError("The table holds no rows to sample. Received an empty dataset.")
    keys = np.concatenate([k for k, _ in kept.values()])
    sample = pa.concat_tables([t for _, t in kept.values()]).take(pa.array(np.argsort(keys, kind="stable")))
    strata = None if groups is None else {str(v): len(k) for v, (k, _) in sorted(kept.items(), key=lambda i: str(i[0]))}
    return sample.to_pandas(), strata


def _dataset(data: Any) -> tuple[Any, str] | None:
    """``(pyarrow dataset, source text)`` for a path / folder / glob / table, else None (arrays)."""
    import pyarrow as pa
    import pyarrow.dataset as pads

    from losslab.experiment.streaming import open_dataset

    if isinstance(data, str | Path):  # absolute: a refit from another folder finds it
        return open_dataset(data), os.path.abspath(str(data))
    mod = type(data).__module__
    if mod.startswith("pandas") and type(data).__name__ == "DataFrame":
        return pads.dataset(pa.Table.from_pandas(data, preserve_index=False)), "pandas.DataFrame"
    if isinstance(data, pa.Table):
        return pads.dataset(data), "pyarrow.Table"
    return None


def _stratify(ds: Any, target: str, task: str | None) -> dict[Any, int] | None:
    """Class counts to stratify by, or None (a regression task, or a continuous target)."""
    if task is not None and not TaskKind.parse(task).has_class_labels:
        return None
    if target not in ds.schema.names:
        raise DataError(f"Target column {target!r} is not in the table. Received columns: {ds.schema.names[:12]}.")
    return _target_counts(ds, target)


def _small_file(data: Any, threshold: int) -> bool:
    """A single CSV file too small to hold ``threshold`` rows (each row takes >= 2 bytes)."""
    if not isinstance(data, str | Path) or not Path(data).is_file():
        return False
    return str(data).lower().endswith((".csv", ".tsv", ".txt")) and Path(data).stat().st_size < 2 * threshold


def _rows_in_memory(data: Any) -> float:
    """Rows of an in-memory table or array (no conversion), infinity for a path."""
    if isinstance(data, str | Path) or data is None:
        return 0 if data is None else float("inf")
    rows = getattr(data, "num_rows", None)
    return float(rows) if rows is not None else float(len(data)) if hasattr(data, "__len__") else float("inf")


def _previous(out: str | Path | None) -> SampleInfo | None:
    """The sample a run directory was made with (a resume draws the same one)."""
    if out is None or not Path(out, "manifest.json").exists():
        return None
    from losslab.experiment.store import RunStore

    try:
        stored = ((RunStore(out).read_manifest() or {}).get("data") or {}).get("sample")
    except Exception:  # a damaged manifest: the store reports it when the run opens
        return None
    return SampleInfo.from_dict(stored) if stored else None


def load_or_sample(
    data: Any,
    target: str | None,
    *,
    sample: Any = None,
    threshold: int | None = None,
    seed: int = 0,
    task: str | None = None,
    engine: Any = None,
    out: str | Path | None = None,
) -> tuple[Any, SampleInfo | None]:
    """``(table or the data as given, SampleInfo or None)`` for ``compare`` / ``run``.

    Paths to folders and globs are read through ``pyarrow.dataset``; other inputs below the
    threshold come back unchanged. ``sample``: rows (int), ``"all"`` (never sample) or None
    (the stored sample of ``out`` on a resume, else :data:`DEFAULT_ROWS` over ``threshold``
    rows). An engine with a ``draw_sample`` method (Spark) draws the sample itself.
    """
    n = check_sample(sample)
    previous = _previous(out) if n is None else None
    limit = DEFAULT_THRESHOLD if threshold is None else int(threshold)
    if n is None and previous is None and (_small_file(data, limit) or _rows_in_memory(data) <= limit):
        return data, None  # cannot be over the threshold: read as before, without a count
    try:
        opened = _dataset(data) if target is not None else None
        total = opened[0].count_rows() if opened is not None else 0
    except Exception as e:
        if n is None and isinstance(data, str | Path) and Path(data).is_file():
            return data, None  # the table reader reports what is wrong with the file
        if isinstance(e, DataError):
            raise
        raise DataError(f"Cannot read the table to sample it: {str(e).splitlines()[0]}. Received: {type(data).__name__}.") from None
    if opened is None:
        if n is not None and n > 0:
            raise InvalidParameterError("sample= needs a table (a path, DataFrame or pyarrow Table) with target=. Received arrays.")
        return data, None
    ds, source = opened
    automatic = n is None and previous is None and total > limit
    size = previous.rows if previous is not None else (DEFAULT_ROWS if automatic else n)
    if size is None or size < 0 or (automatic and size >= total):
        return (ds.to_table().to_pandas() if isinstance(data, str | Path) and not Path(data).is_file() else data), None
    if size > total:
        raise DataError(f"--sample {size} asks for more rows than the table has. Received a table of {total} rows; pass a smaller N.")
    seed = previous.seed if previous is not None else seed
    counts = _stratify(ds, target, task)
    draw = getattr(engine, "draw_sample", None)
    try:
        if draw is not None and isinstance(data, str | Path):
            frame, strata = draw(str(data), target, size, seed=seed, counts=counts)
            method = "spark: per-class row_number over xxhash64(row, seed) <= quota"
        else:
            frame, strata = draw_sample(ds, target, size, seed=seed, stratify=counts is not None, counts=counts)
            method = "pyarrow stream: per-class bottom-k of hash(row, seed)"
    except (ValueError, TypeError, OSError) as e:  # Arrow's ArrowInvalid / ArrowTypeError / IO errors
        raise DataError(f"Cannot read the table while sampling it: {str(e).splitlines()[0]}. Received: {source!r}.") from None
    info = SampleInfo(size, total, seed, target if strata else None, strata, automatic, method, source)
    if previous is not None:
        info = replace(info, automatic=previous.automatic)
    # said even under --quiet: every figure of the run is about these rows
    sys.stderr.write(f"Note: {info.message()}. Pass --sample N to choose the size; --refit trains the winner on all rows.\n")
    return frame, info
