"""The profile types: what one streaming pass learns about a table and its target.

:class:`ColumnProfile` (every column), :class:`TargetProfile` (the target, with the
statistics task inference and the advisor read) and :class:`DataProfile` (the whole table),
with their JSON form (schema in docs/advisor.md).
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np
import pyarrow as pa

__all__ = [
    "CLASS_LIKE_MAX",
    "RARE_CLASS_SHARE",
    "ColumnProfile",
    "DataProfile",
    "TargetProfile",
    "column_kind",
    "json_label",
]

#: Class statistics (imbalance, rare classes, value counts in JSON) are reported for
#: numeric targets only up to this many distinct whole-number values.
CLASS_LIKE_MAX = 50
#: A class is "rare" below this share of the labelled rows.
RARE_CLASS_SHARE = 0.01


def column_kind(t: pa.DataType) -> str:
    """``numeric``, ``boolean``, ``categorical`` (dictionary), ``text`` or ``other``.

    Example:
        >>> column_kind(pa.int64()), column_kind(pa.string()), column_kind(pa.list_(pa.int8()))
        ('numeric', 'text', 'other')
    """
    if pa.types.is_boolean(t):
        return "boolean"
    if pa.types.is_integer(t) or pa.types.is_floating(t) or pa.types.is_decimal(t):
        return "numeric"
    if pa.types.is_dictionary(t):
        return "categorical"
    if pa.types.is_string(t) or pa.types.is_large_string(t):
        return "text"
    return "other"


def json_label(v: Any) -> Any:
    """A JSON-friendly class label (numpy scalars to Python; integral floats to int).

    Example:
        >>> json_label(np.float64(3.0)), json_label("a")
        (3, 'a')
    """
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
        infinite: values that are +inf or -inf (left out of every statistic).
        n_distinct: number of distinct values when at most the cap, else ``None``.
        mean, std, min, max: numeric columns only (population std), else ``None``.
    """

    name: str
    dtype: str
    kind: str
    count: int = 0
    missing: int = 0
    missing_share: float = 0.0
    infinite: int = 0
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
            1,000 distinct values (``TARGET_DISTINCT_CAP``), else ``None``.
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
        keys = [json_label(k) for k in self.value_counts]
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
            v = [json_label(x) for x in v]
        out[k] = v
    return out
