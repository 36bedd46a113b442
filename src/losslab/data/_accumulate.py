"""The streaming accumulator: one pass over Arrow record batches, bounded memory.

:class:`ColumnAccumulator` keeps one column's exact statistics (count, missing values, mean
and M2 by Chan et al.'s pairwise update, min, max, zeros, negatives, whole-number check,
capped value counts). :func:`scan` runs every column's accumulator over the batches and
keeps a uniform random sample of at most ``sample_size`` rows (bottom-k sampling on
seeded uniform keys), so memory is one batch plus the sample whatever the table size.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from losslab.data._types import (
    CLASS_LIKE_MAX,
    RARE_CLASS_SHARE,
    ColumnProfile,
    TargetProfile,
    column_kind,
    json_label,
)

__all__ = ["ColumnAccumulator", "Scan", "bottom_k", "scan"]


class ColumnAccumulator:
    """One column's one-pass accumulator (:meth:`update` per batch, :meth:`finish` once).

    Example:
        >>> acc = ColumnAccumulator("y", pa.float64(), cap=10, is_target=True)
        >>> acc.update(pa.array([1.0, 2.0, None])); acc.update(pa.array([3.0]))
        >>> p = acc.finish(rows=4)
        >>> p.count, p.missing, p.mean, p.max
        (3, 1, 2.0, 3.0)
    """

    def __init__(self, name: str, dtype: pa.DataType, cap: int, is_target: bool) -> None:
        self.name = name
        self.dtype = dtype
        self.kind = column_kind(dtype)
        self.cap = cap
        self.is_target = is_target
        self.rows = 0
        self.missing = 0
        self.infinite = 0
        self.n = 0
        self.mu = 0.0
        self.m2 = 0.0
        self.lo = math.inf
        self.hi = -math.inf
        self.zeros = 0
        self.negatives = 0
        self.abs_sum = 0.0  # sum of |x| over the finite values (targets only)
        self.non_integer = False
        # value counts for scalar kinds only (lists, structs, timestamps are not labels)
        self.counts: dict[Any, int] | None = {} if self.kind != "other" else None
        self.ordered: list[Any] | None = None
        if pa.types.is_dictionary(dtype) and dtype.ordered:
            self.ordered = []

    def _count_values(self, arr: pa.Array) -> None:
        if self.counts is None:
            return
        if self.kind == "numeric" and len(arr) > 4096:
            head = arr.slice(0, 4096)
            if pc.count_distinct(head).as_py() > self.cap:
                self.counts = None
                return
        if self.kind == "categorical":
            arr = arr.dictionary_decode() if hasattr(arr, "dictionary_decode") else arr
        vc = pc.value_counts(arr)
        values = vc.field("values").to_pylist()
        counts = vc.field("counts").to_pylist()
        for v, c in zip(values, counts, strict=True):
            if v is None or (isinstance(v, float) and math.isnan(v)):
                continue
            self.counts[v] = self.counts.get(v, 0) + c
        if len(self.counts) > self.cap:
            self.counts = None

    def update(self, arr: pa.Array) -> None:
        if isinstance(arr, pa.ChunkedArray):
            arr = pa.concat_arrays(arr.chunks) if arr.num_chunks != 1 else arr.chunk(0)
        self.rows += len(arr)
        nulls = arr.null_count
        if self.ordered is not None and not self.ordered:
            self.ordered = arr.dictionary.to_pylist()
        if self.kind == "numeric":
            num = arr if pa.types.is_floating(arr.type) else pc.cast(arr, pa.float64())
            x = num.to_numpy(zero_copy_only=False)
            with np.errstate(invalid="ignore"):  # inf - inf: checked just below
                total = float(x.sum())
            finite = None if math.isfinite(total) else np.isfinite(x)
            if finite is not None and not finite.all():  # NaN/null (missing) or +-inf values
                n_nan = int(np.isnan(x).sum())
                self.infinite += int(x.size - n_nan - finite.sum())  # counted, left out
                x = x[finite]
                total = float(x.sum())
                m2 = float(x.var()) * x.size if x.size else 0.0
            else:
                n_nan = 0
                m2 = float(pc.variance(num).as_py() or 0.0) * x.size
            self.missing += max(n_nan, nulls)
            if x.size:
                # Chan et al.'s pairwise update of (n, mean, M2): stable across batches
                nb = int(x.size)
                mb = total / nb
                delta = mb - self.mu
                tot = self.n + nb
                self.mu += delta * nb / tot
                self.m2 += m2 + delta * delta * self.n * nb / tot
                self.n = tot
                self.lo = min(self.lo, float(x.min()))
                self.hi = max(self.hi, float(x.max()))
                if self.is_target:
                    self.zeros += int(np.count_nonzero(x == 0))
                    self.negatives += int(np.count_nonzero(x < 0))
                    self.abs_sum += float(np.abs(x).sum())
                    if not self.non_integer:
                        self.non_integer = bool(np.any(x != np.floor(x)))
            self._count_values(arr)
        else:
            self.missing += nulls
            self.n += len(arr) - nulls
            self._count_values(arr)

    @property
    def abs_mean(self) -> float | None:
        """mean(|x|) of a numeric target's finite values (None: none seen, or not a target).

        Example:
            >>> acc = ColumnAccumulator("y", pa.float64(), cap=10, is_target=True)
            >>> acc.update(pa.array([-3.0, 1.0, None, float("inf")]))
            >>> acc.abs_mean
            2.0
        """
        return self.abs_sum / self.n if self.is_target and self.kind == "numeric" and self.n else None

    def finish(self, rows: int) -> ColumnProfile | TargetProfile:
        cls = TargetProfile if self.is_target else ColumnProfile
        prof: Any = cls(
            name=self.name,
            dtype=str(self.dtype),
            kind=self.kind,
            count=self.n,
            missing=self.missing,
            missing_share=self.missing / rows if rows else 0.0,
            infinite=self.infinite,
            n_distinct=len(self.counts) if self.counts is not None else None,
        )
        if self.kind == "numeric" and self.n:
            mean = self.mu
            var = max(self.m2 / self.n, 0.0)
            prof.mean, prof.std, prof.min, prof.max = mean, math.sqrt(var), self.lo, self.hi
            if self.is_target:
                prof.integer_valued = not self.non_integer
                prof.zero_share = self.zeros / self.n
                prof.negative_share = self.negatives / self.n
                prof.unit_interval = self.lo >= 0.0 and self.hi <= 1.0
                prof.variance_to_mean = var / mean if mean > 0 else None
        if self.is_target:
            if self.counts is not None:
                items = sorted(self.counts.items(), key=lambda kv: -kv[1])
                prof.value_counts = {json_label(k): int(c) for k, c in items}
                label_like = (
                    self.kind != "numeric"
                    or len(items) <= 2
                    or (not self.non_integer and len(items) <= CLASS_LIKE_MAX)
                )
                if len(items) >= 2 and label_like:
                    prof.imbalance_ratio = items[0][1] / items[-1][1]
                total = sum(self.counts.values())
                prof.rare_classes = [
                    json_label(k) for k, c in items if label_like and c / total < RARE_CLASS_SHARE
                ]
            if self.ordered:
                prof.ordered_levels = [json_label(v) for v in self.ordered]
        return prof


def bottom_k(
    parts: list[tuple[np.ndarray, pa.Table]], k: int
) -> tuple[list[tuple[np.ndarray, pa.Table]], float]:
    """Keep the ``k`` rows with the smallest sampling keys; returns them and the new threshold."""
    keys = np.concatenate([p[0] for p in parts])
    table = pa.concat_tables([p[1] for p in parts])
    if len(keys) <= k:
        return [(keys, table)], math.inf
    idx = np.argpartition(keys, k - 1)[:k]
    kept = keys[idx]
    return [(kept, table.take(pa.array(idx)))], float(kept.max())


class Scan:
    """What one pass returns: the accumulators (schema order), the sample and the row count."""

    def __init__(self, accumulators: list[ColumnAccumulator], sample: pa.Table | None, rows: int):
        self.accumulators = accumulators
        self.sample = sample
        self.rows = rows


def scan(
    batches: Iterable[pa.RecordBatch],
    schema: pa.Schema,
    caps: dict[str, int],
    *,
    targets: list[str],
    sample_size: int,
    seed: int,
) -> Scan:
    """Run every column's accumulator over ``batches`` and keep a bottom-k row sample.

    Args:
        batches: the record batches (one pass).
        schema: their schema.
        caps: column name -> value-count cap.
        targets: the target column names (they keep target statistics).
        sample_size: rows in the uniform random sample.
        seed: seed of the sampling keys.

    Returns:
        A :class:`Scan`; ``sample`` is ``None`` when no row was seen.
    """
    accs = [ColumnAccumulator(f.name, f.type, caps[f.name], f.name in targets) for f in schema]
    rng = np.random.default_rng(seed)
    parts: list[tuple[np.ndarray, pa.Table]] = []
    held = 0
    threshold = math.inf
    rows = 0
    for batch in batches:
        n = batch.num_rows
        if n == 0:
            continue
        rows += n
        for j, acc in enumerate(accs):
            acc.update(batch.column(j))
        keys = rng.random(n)
        mask = keys < threshold
        if mask.all():
            parts.append((keys, pa.Table.from_batches([batch])))
            held += n
        elif mask.any():
            parts.append((keys[mask], pa.Table.from_batches([batch.filter(pa.array(mask))])))
            held += int(mask.sum())
        if held > 2 * sample_size:
            parts, threshold = bottom_k(parts, sample_size)
            held = sample_size
    sample = bottom_k(parts, sample_size)[0][0][1] if parts else None
    return Scan(accs, sample, rows)
