"""Streaming profile of a table: one pass over Arrow record batches, bounded memory.

Exact statistics over every row (one pass): row count, missing values, mean, standard
deviation, minimum, maximum, zero share, integer-valuedness, value counts of
low-cardinality columns (up to a cap). Statistics that need sorting or row-wise comparisons
(median, MAD, quantiles, skewness, kurtosis, outlier shares, duplicate rows with
conflicting labels, leakage) are computed on a uniform random sample of at most
``sample_size`` rows (bottom-k sampling with a fixed seed; the whole table when it is
smaller). Memory is one record batch plus the sample, whatever the file size.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from losslab.data._read import BatchSource, open_source
from losslab.errors import DataError

__all__ = ["ColumnProfile", "DataProfile", "TargetProfile", "profile_table"]

#: Default number of rows in the sample used for order statistics and row comparisons.
DEFAULT_SAMPLE_SIZE = 100_000
#: Value counts are kept exactly up to this many distinct values per feature column.
FEATURE_DISTINCT_CAP = 64
#: ... and up to this many for the target column.
TARGET_DISTINCT_CAP = 1_000
#: Class statistics (imbalance, rare classes, value counts in JSON) are reported for
#: numeric targets only up to this many distinct whole-number values.
CLASS_LIKE_MAX = 50
#: A class is "rare" below this share of the labelled rows.
RARE_CLASS_SHARE = 0.01
#: Robust z-score (from the MAD) above which a value counts as an outlier.
ROBUST_Z = 3.5


def _kind(t: pa.DataType) -> str:
    if pa.types.is_boolean(t):
        return "boolean"
    if pa.types.is_integer(t) or pa.types.is_floating(t) or pa.types.is_decimal(t):
        return "numeric"
    if pa.types.is_dictionary(t):
        return "categorical"
    if pa.types.is_string(t) or pa.types.is_large_string(t):
        return "text"
    return "other"


def _label(v: Any) -> Any:
    """A JSON-friendly class label (numpy scalars to Python; integral floats to int)."""
    if isinstance(v, np.generic):
        v = v.item()
    if isinstance(v, float) and v.is_integer():
        return int(v)
    return v


@dataclass
class ColumnProfile:
    """Statistics of one column over every row (see the module docstring).

    Attributes:
        name: column name.
        dtype: Arrow type, as text.
        kind: ``numeric``, ``boolean``, ``categorical`` (dictionary), ``text`` or ``other``.
        count: non-missing values.
        missing: missing values (nulls and NaN).
        missing_share: ``missing / rows``.
        n_distinct: number of distinct values when at most the cap, else ``None``.
        mean, std, min, max: numeric columns only (population std), else ``None``.
    """

    name: str
    dtype: str
    kind: str
    count: int = 0
    missing: int = 0
    missing_share: float = 0.0
    n_distinct: int | None = None
    mean: float | None = None
    std: float | None = None
    min: float | None = None
    max: float | None = None

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class TargetProfile(ColumnProfile):
    """Everything the task inference and the advisor read about the target.

    Attributes (beyond :class:`ColumnProfile`):
        value_counts: label -> count (every row), when there are at most
            ``TARGET_DISTINCT_CAP`` distinct values, else ``None``.
        ordered_levels: the declared order of an ordered categorical target, else ``None``.
        integer_valued: every value is a whole number (numeric targets).
        zero_share, negative_share: shares of zeros and of negative values (every row).
        unit_interval: every value lies in [0, 1].
        variance_to_mean: variance / mean (dispersion; 1 for a Poisson variable).
        median, mad, robust_sigma (1.4826 x MAD), q01, q25, q75, q99: sample statistics.
        skewness, excess_kurtosis: sample moments (0 and 0 for a Gaussian).
        tail_ratio: (q99 - median) / (q75 - median) divided by its Gaussian value 3.45;
            about 1 for Gaussian tails, larger for heavy right tails.
        outlier_share_mad: share of sample values with robust z = |y - median| / (1.4826 MAD)
            above 3.5.
        outlier_share_iqr: share outside the Tukey fences [q25 - 1.5 IQR, q75 + 1.5 IQR].
        imbalance_ratio: largest class count / smallest class count (classification).
        rare_classes: labels with less than 1% of the rows.
    """

    value_counts: dict[Any, int] | None = None
    ordered_levels: list[Any] | None = None
    integer_valued: bool | None = None
    zero_share: float | None = None
    negative_share: float | None = None
    unit_interval: bool | None = None
    variance_to_mean: float | None = None
    median: float | None = None
    mad: float | None = None
    robust_sigma: float | None = None
    q01: float | None = None
    q25: float | None = None
    q75: float | None = None
    q99: float | None = None
    skewness: float | None = None
    excess_kurtosis: float | None = None
    tail_ratio: float | None = None
    outlier_share_mad: float | None = None
    outlier_share_iqr: float | None = None
    imbalance_ratio: float | None = None
    rare_classes: list[Any] = field(default_factory=list)

    @property
    def labels(self) -> list[Any]:
        """Distinct labels in their natural order (declared order for ordered categories)."""
        if self.ordered_levels is not None:
            return list(self.ordered_levels)
        if self.value_counts is None:
            return []
        keys = [_label(k) for k in self.value_counts]
        try:
            return sorted(keys)
        except TypeError:
            return sorted(keys, key=str)


@dataclass
class DataProfile:
    """The result of :func:`profile_table` (and of ``losslab.profile``).

    Attributes:
        source: where the data came from.
        n_rows, n_columns: table size.
        targets: one :class:`TargetProfile` per target column (several for multilabel).
        features: a :class:`ColumnProfile` per other column.
        sample_size: rows in the random sample; ``sampled`` is True when it is smaller than
            the table.
        duplicate_conflict_share: share of sampled rows whose feature values occur again
            with a different target (a label-noise hint); ``None`` without features.
        duplicate_conflict_groups: number of such feature-value groups in the sample.
        leakage: features identical or nearly identical to the target:
            ``{"column", "reason", "value"}`` dicts.
        warnings: human-readable diagnostics ("12% of the target is missing ...").
        task: the inferred :class:`~losslab.data.TaskInfo` (filled by ``losslab.profile``).
    """

    source: str
    n_rows: int
    n_columns: int
    targets: list[TargetProfile]
    features: list[ColumnProfile]
    sample_size: int
    sampled: bool
    duplicate_conflict_share: float | None = None
    duplicate_conflict_groups: int | None = None
    leakage: list[dict[str, Any]] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    task: Any = None

    @property
    def target(self) -> TargetProfile:
        """The (first) target column's profile."""
        return self.targets[0]

    @property
    def target_names(self) -> list[str]:
        return [t.name for t in self.targets]

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict (schema in docs/advisor.md, key ``profile``)."""
        return {
            "source": self.source,
            "n_rows": self.n_rows,
            "n_columns": self.n_columns,
            "sample_size": self.sample_size,
            "sampled": self.sampled,
            "targets": [_target_dict(t) for t in self.targets],
            "features": [_clean(c.to_dict()) for c in self.features],
            "duplicate_conflict_share": self.duplicate_conflict_share,
            "duplicate_conflict_groups": self.duplicate_conflict_groups,
            "leakage": list(self.leakage),
            "warnings": list(self.warnings),
            "task": self.task.to_dict() if self.task is not None else None,
        }


def _target_dict(t: TargetProfile) -> dict[str, Any]:
    d = _clean(t.to_dict())
    if t.value_counts is not None and len(t.value_counts) > CLASS_LIKE_MAX:
        d["value_counts"] = None  # a continuous target: counts of 1000 values say little
    return d


def _clean(d: dict[str, Any]) -> dict[str, Any]:
    """Replace NaN/inf by None and stringify dict keys (JSON-safe)."""
    out: dict[str, Any] = {}
    for k, v in d.items():
        if isinstance(v, float) and not math.isfinite(v):
            v = None
        elif isinstance(v, dict):
            v = {str(kk): vv for kk, vv in v.items()}
        elif isinstance(v, list):
            v = [_label(x) for x in v]
        out[k] = v
    return out


class _Acc:
    """One column's one-pass accumulator."""

    def __init__(self, name: str, dtype: pa.DataType, cap: int, is_target: bool) -> None:
        self.name = name
        self.dtype = dtype
        self.kind = _kind(dtype)
        self.cap = cap
        self.is_target = is_target
        self.rows = 0
        self.missing = 0
        self.n = 0
        self.mu = 0.0
        self.m2 = 0.0
        self.lo = math.inf
        self.hi = -math.inf
        self.zeros = 0
        self.negatives = 0
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
            total = float(x.sum())
            if math.isnan(total):  # NaN values or nulls (nulls become NaN)
                nan = np.isnan(x)
                n_nan = int(nan.sum())
                x = x[~nan]
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
                    if not self.non_integer:
                        self.non_integer = bool(np.any(x != np.floor(x)))
            self._count_values(arr)
        else:
            self.missing += nulls
            self.n += len(arr) - nulls
            self._count_values(arr)

    def finish(self, rows: int) -> ColumnProfile | TargetProfile:
        cls = TargetProfile if self.is_target else ColumnProfile
        prof: Any = cls(
            name=self.name,
            dtype=str(self.dtype),
            kind=self.kind,
            count=self.n,
            missing=self.missing,
            missing_share=self.missing / rows if rows else 0.0,
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
                prof.value_counts = {_label(k): int(c) for k, c in items}
                label_like = (
                    self.kind != "numeric"
                    or len(items) <= 2
                    or (not self.non_integer and len(items) <= CLASS_LIKE_MAX)
                )
                if len(items) >= 2 and label_like:
                    prof.imbalance_ratio = items[0][1] / items[-1][1]
                total = sum(self.counts.values())
                prof.rare_classes = [
                    _label(k) for k, c in items if label_like and c / total < RARE_CLASS_SHARE
                ]
            if self.ordered:
                prof.ordered_levels = [_label(v) for v in self.ordered]
        return prof


def _sample_stats(t: TargetProfile, y: np.ndarray) -> None:
    """Order statistics and moments of the sampled target values (in place)."""
    y = y[np.isfinite(y)]
    if y.size < 3:
        return
    q01, q25, med, q75, q99 = np.quantile(y, [0.01, 0.25, 0.5, 0.75, 0.99])
    mad = float(np.median(np.abs(y - med)))
    t.median, t.mad, t.robust_sigma = float(med), mad, 1.4826 * mad
    t.q01, t.q25, t.q75, t.q99 = float(q01), float(q25), float(q75), float(q99)
    d = y - y.mean()
    m2 = float(np.mean(d * d))
    if m2 > 0:
        t.skewness = float(np.mean(d**3) / m2**1.5)
        t.excess_kurtosis = float(np.mean(d**4) / m2**2 - 3.0)
    if q75 > med:
        t.tail_ratio = float((q99 - med) / (q75 - med) / 3.4525)
    if mad > 0:
        z = np.abs(y - med) / (1.4826 * mad)
        t.outlier_share_mad = float(np.mean(z > ROBUST_Z))
    else:
        # more than half the values are equal: anything else is "far" in MAD units
        t.outlier_share_mad = float(np.mean(y != med))
    iqr = q75 - q25
    t.outlier_share_iqr = float(np.mean((y < q25 - 1.5 * iqr) | (y > q75 + 1.5 * iqr)))


def _bottom_k(
    parts: list[tuple[np.ndarray, pa.Table]], k: int
) -> tuple[list[tuple[np.ndarray, pa.Table]], float]:
    keys = np.concatenate([p[0] for p in parts])
    table = pa.concat_tables([p[1] for p in parts])
    if len(keys) <= k:
        return [(keys, table)], math.inf
    idx = np.argpartition(keys, k - 1)[:k]
    kept = keys[idx]
    return [(kept, table.take(pa.array(idx)))], float(kept.max())


def _encode_target(col: Any) -> Any:
    """Numeric codes of a (possibly categorical / string) target column, for comparisons."""
    import pandas as pd

    if pd.api.types.is_numeric_dtype(col) and not pd.api.types.is_bool_dtype(col):
        return col.astype("float64")
    codes, _ = pd.factorize(col.astype("object"), sort=True)
    out = pd.Series(codes.astype("float64"), index=col.index)
    return out.where(codes >= 0)


def _diagnose_rows(prof: DataProfile, sample: pa.Table, classification: bool) -> None:
    """Duplicate feature rows with conflicting labels and target leakage, on the sample."""
    import pandas as pd

    names = prof.target_names
    feats = [c.name for c in prof.features if c.kind != "other"]
    if not feats or sample.num_rows == 0:
        return
    df = sample.select([*feats, *names]).to_pandas()
    df = df.dropna(subset=names)
    if df.empty:
        return
    target = names[0]
    key = df[names].astype(str).agg("|".join, axis=1) if len(names) > 1 else df[target]

    # duplicate feature rows with different labels
    hashed = pd.util.hash_pandas_object(df[feats], index=False)
    frame = pd.DataFrame({"h": hashed.to_numpy(), "y": key.to_numpy()})
    n_labels = frame.groupby("h", sort=False)["y"].transform("nunique")
    conflicting = n_labels > 1
    prof.duplicate_conflict_share = float(conflicting.mean())
    prof.duplicate_conflict_groups = int(frame.loc[conflicting, "h"].nunique())

    if len(names) > 1:
        return
    y = _encode_target(df[target])
    ok_y = y.notna()
    for c in prof.features:
        if c.name not in df.columns or c.kind == "other":
            continue
        col = df[c.name]
        if classification:
            # a feature that determines the label almost perfectly with few distinct values
            pair = pd.DataFrame({"f": col.astype(str), "y": key.astype(str)})
            n_f = pair["f"].nunique()
            n_y = pair["y"].nunique()
            # a feature with about one row per value maps to any label: not evidence
            if n_f < 2 or n_f > max(2 * n_y, 20) or n_f > len(pair) / 5:
                continue
            best = pair.groupby(["f", "y"], sort=False).size().groupby(level=0).max().sum()
            acc = float(best / len(pair))
            if acc >= 0.99:
                prof.leakage.append(
                    {
                        "column": c.name,
                        "reason": f"predicts the label with {acc:.1%} accuracy on its own",
                        "value": acc,
                    }
                )
            continue
        if c.kind != "numeric":
            continue
        x = col.astype("float64")
        ok = ok_y & x.notna()
        if ok.sum() < 3:
            continue
        xv, yv = x[ok].to_numpy(), y[ok].to_numpy()
        same = float(np.mean(np.isclose(xv, yv, rtol=1e-9, atol=0.0)))
        if same >= 0.99:
            prof.leakage.append(
                {
                    "column": c.name,
                    "reason": f"equals the target on {same:.1%} of rows",
                    "value": same,
                }
            )
            continue
        if np.std(xv) > 0 and np.std(yv) > 0:
            r = float(np.corrcoef(xv, yv)[0, 1])
            if abs(r) >= 0.99:
                prof.leakage.append(
                    {
                        "column": c.name,
                        "reason": f"is nearly identical to the target (correlation {r:+.4f})",
                        "value": r,
                    }
                )


def _check_target(t: TargetProfile, rows: int, columns: list[str]) -> None:
    if t.count == 0:
        raise DataError(
            f"Target column {t.name!r} has no values: all {rows} rows are missing. "
            "Choose another --target or fill the target in."
        )


def profile_table(
    data: Any,
    target: str | Sequence[str],
    *,
    sample_size: int = DEFAULT_SAMPLE_SIZE,
    seed: int = 0,
    classification: bool | None = None,
) -> DataProfile:
    """Profile ``data`` for ``target`` in one streaming pass (no task inference).

    Args:
        data: CSV/Parquet path, pandas DataFrame or pyarrow Table.
        target: the target column, or several 0/1 columns for a multilabel target.
        sample_size: rows in the uniform random sample used for order statistics,
            duplicates and leakage (default 100,000).
        seed: seed of the sampling.
        classification: treat the target as class labels in the leakage check; ``None``
            guesses (non-numeric or at most 20 distinct values).

    Returns:
        A :class:`DataProfile`.

    Raises:
        DataError: missing target column (the message lists the columns), no rows,
            an all-missing target, unreadable data.

    Example:
        >>> import pandas as pd
        >>> p = profile_table(pd.DataFrame({"x": [1.0, 2, 3, 4], "y": [0.5, 1, 2, 9]}), "y")
        >>> p.n_rows, p.target.max
        (4, 9.0)
    """
    if sample_size < 10:
        raise DataError(f"sample_size must be >= 10. Received: sample_size={sample_size}.")
    src: BatchSource = open_source(data)
    names = [target] if isinstance(target, str) else list(target)
    if not names:
        raise DataError("No target column given. Pass target='column name'.")
    cols = src.columns
    missing = [n for n in names if n not in cols]
    if missing:
        shown = ", ".join(cols[:50]) + (f", ... ({len(cols)} columns)" if len(cols) > 50 else "")
        raise DataError(
            f"Target column {missing[0]!r} not found in {src.name}. Available columns: {shown}. "
            "Pass --target with one of them."
        )

    def one_pass(batches: Any) -> tuple[list[_Acc], list[tuple[np.ndarray, pa.Table]], int]:
        accs = [
            _Acc(
                f.name,
                f.type,
                TARGET_DISTINCT_CAP if f.name in names else FEATURE_DISTINCT_CAP,
                f.name in names,
            )
            for f in src.schema
        ]
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
                parts, threshold = _bottom_k(parts, sample_size)
                held = sample_size
        return accs, parts, rows

    accs, parts, rows = src.scan(one_pass)
    if rows == 0:
        raise DataError(
            f"{src.name} has a header but no rows. Received columns: {', '.join(cols)}. "
            "Pass a table with at least one row."
        )
    if parts:
        parts, _ = _bottom_k(parts, sample_size)
        sample = parts[0][1]
    else:
        sample = pa.table({c: pa.array([], type=src.schema.field(c).type) for c in cols})
    profiles = [a.finish(rows) for a in accs]
    targets: list[TargetProfile] = [p for p in profiles if p.name in names]  # type: ignore[misc]
    targets.sort(key=lambda t: names.index(t.name))
    features = [p for p in profiles if p.name not in names]
    prof = DataProfile(
        source=src.name,
        n_rows=rows,
        n_columns=len(cols),
        targets=targets,
        features=features,
        sample_size=sample.num_rows,
        sampled=sample.num_rows < rows,
    )
    for t in targets:
        _check_target(t, rows, cols)
        if t.kind == "numeric":
            y = sample.column(t.name).to_numpy(zero_copy_only=False).astype(np.float64)
            _sample_stats(t, y)
    if classification is None:
        t0 = targets[0]
        classification = t0.kind != "numeric" or (
            t0.n_distinct is not None
            and (t0.n_distinct <= 2 or (bool(t0.integer_valued) and t0.n_distinct <= 10))
        )
    prof_classification = classification
    _diagnose_rows(prof, sample, classification)
    _add_warnings(prof, prof_classification)
    return prof


def _add_warnings(prof: DataProfile, classification: bool) -> None:
    w = prof.warnings
    for t in prof.targets:
        if t.missing:
            w.append(
                f"{t.missing_share:.1%} of target {t.name!r} is missing ({t.missing} rows): "
                "those rows are dropped for training."
            )
    many = [c for c in prof.features if c.missing_share >= 0.2]
    if many:
        w.append(
            "Features with >= 20% missing values: "
            + ", ".join(f"{c.name} ({c.missing_share:.0%})" for c in many[:10])
            + "."
        )
    if prof.duplicate_conflict_share:
        where = "in the sample" if prof.sampled else "of the rows"
        w.append(
            f"{prof.duplicate_conflict_share:.1%} {where} share their feature values with a row "
            f"of a different target ({prof.duplicate_conflict_groups} groups): "
            + (
                "label noise or missing features."
                if classification
                else "the features do not determine the target (noise or missing features)."
            )
        )
    for leak in prof.leakage:
        w.append(f"Possible leakage: feature {leak['column']!r} {leak['reason']}; drop it.")
