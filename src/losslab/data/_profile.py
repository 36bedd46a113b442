"""Streaming profile of a table: one pass over Arrow record batches, bounded memory.

Exact statistics over every row (one pass): row count, missing values, mean, standard
deviation, minimum, maximum, zero share, integer-valuedness, value counts of
low-cardinality columns (up to a cap). Statistics that need sorting or row-wise comparisons
(median, MAD, quantiles, skewness, kurtosis, outlier shares, duplicate rows with
conflicting labels, leakage) are computed on a uniform random sample of at most
``sample_size`` rows (bottom-k sampling with a fixed seed; the whole table when it is
smaller). Memory is one record batch plus the sample, whatever the file size.

The steps live in their own modules: the types (:mod:`._types`), the accumulator and the
sampling pass (:mod:`._accumulate`), the diagnostics and warnings (:mod:`._diagnose`).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pyarrow as pa

from losslab.data._accumulate import scan
from losslab.data._diagnose import add_warnings, check_target, diagnose_rows, sample_stats
from losslab.data._read import BatchSource, open_source
from losslab.data._types import DataProfile, TargetProfile
from losslab.errors import DataError

__all__ = [
    "DEFAULT_SAMPLE_SIZE",
    "FEATURE_DISTINCT_CAP",
    "TARGET_DISTINCT_CAP",
    "profile_table",
]

#: Default number of rows in the sample used for order statistics and row comparisons.
DEFAULT_SAMPLE_SIZE = 100_000
#: Value counts are kept exactly up to this many distinct values per feature column.
FEATURE_DISTINCT_CAP = 64
#: ... and up to this many for the target column.
TARGET_DISTINCT_CAP = 1_000


def _target_names(src: BatchSource, target: str | Sequence[str]) -> list[str]:
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
    return names


def _looks_like_classes(t: TargetProfile) -> bool:
    """Non-numeric, two values, or at most 10 whole-number values: leakage reads labels."""
    return t.kind != "numeric" or (
        t.n_distinct is not None
        and (t.n_distinct <= 2 or (bool(t.integer_valued) and t.n_distinct <= 10))
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
            guesses (non-numeric or at most 10 distinct whole numbers).

    Returns:
        A :class:`DataProfile`.

    Raises:
        DataError: missing target column (the message lists the columns), no rows,
            an all-missing target, unreadable data.

    Example:
        >>> import pandas as pd
        >>> p = profile_table(pd.DataFrame({"x": [1.0, 2, 3, 4], "y": [0.5, 1, 2, 9]}), "y")
        >>> p.n_rows, p.target.max, p.target.median
        (4, 9.0, 1.5)
    """
    if sample_size < 10:
        raise DataError(f"sample_size must be >= 10. Received: sample_size={sample_size}.")
    src: BatchSource = open_source(data)
    names = _target_names(src, target)
    cols = src.columns

    def one_pass(batches: Any) -> Any:
        caps = {
            f.name: TARGET_DISTINCT_CAP if f.name in names else FEATURE_DISTINCT_CAP
            for f in src.schema
        }
        return scan(batches, src.schema, caps, targets=names, sample_size=sample_size, seed=seed)

    result = src.scan(one_pass)
    if result.rows == 0:
        raise DataError(
            f"{src.name} has a header but no rows. Received columns: {', '.join(cols)}. "
            "Pass a table with at least one row."
        )
    sample = result.sample
    if sample is None:
        sample = pa.table({c: pa.array([], type=src.schema.field(c).type) for c in cols})
    profiles = [a.finish(result.rows) for a in result.accumulators]
    targets: list[TargetProfile] = [p for p in profiles if p.name in names]  # type: ignore[misc]
    targets.sort(key=lambda t: names.index(t.name))
    prof = DataProfile(
        source=src.name,
        n_rows=result.rows,
        n_columns=len(cols),
        targets=targets,
        features=[p for p in profiles if p.name not in names],
        sample_size=sample.num_rows,
        sampled=sample.num_rows < result.rows,
    )
    for t in targets:
        check_target(t, result.rows)
        if t.kind == "numeric":
            y = sample.column(t.name).to_numpy(zero_copy_only=False).astype(np.float64)
            sample_stats(t, y)
    if classification is None:
        classification = _looks_like_classes(targets[0])
    diagnose_rows(prof, sample, classification)
    add_warnings(prof, classification)
    return prof
