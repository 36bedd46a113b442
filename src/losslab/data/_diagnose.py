"""Diagnostics on the profile: order statistics of the sampled target, duplicate rows with
conflicting targets, leakage, and the human-readable warnings.

Everything here reads the uniform random sample of :func:`~losslab.data._accumulate.scan`
(order statistics need sorting, row comparisons need rows) and fills the profile's
diagnostic fields; nothing here reads the table again.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pyarrow as pa

from losslab.data._types import ColumnProfile, DataProfile, TargetProfile
from losslab.errors import DataError

__all__ = [
    "ROBUST_Z",
    "add_warnings",
    "check_target",
    "diagnose_rows",
    "encode_target",
    "sample_stats",
]

#: Robust z-score (from the MAD) above which a value counts as an outlier.
ROBUST_Z = 3.5


def sample_stats(t: TargetProfile, y: np.ndarray) -> None:
    """Order statistics and moments of the sampled target values (in place).

    Example:
        >>> t = TargetProfile("y", "double", "numeric")
        >>> sample_stats(t, np.array([1.0, 2.0, 3.0, 4.0, 100.0]))
        >>> t.median, t.mad, t.outlier_share_mad
        (3.0, 1.0, 0.2)
    """
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


def encode_target(col: Any) -> Any:
    """Numeric codes of a (possibly categorical / string) target column, for comparisons."""
    import pandas as pd

    if pd.api.types.is_numeric_dtype(col) and not pd.api.types.is_bool_dtype(col):
        return col.astype("float64")
    codes, _ = pd.factorize(col.astype("object"), sort=True)
    out = pd.Series(codes.astype("float64"), index=col.index)
    return out.where(codes >= 0)


def diagnose_rows(prof: DataProfile, sample: pa.Table, classification: bool) -> None:
    """Duplicate feature rows with conflicting labels and target leakage, on the sample."""
    names = prof.target_names
    feats = [c.name for c in prof.features if c.kind != "other"]
    if not feats or sample.num_rows == 0:
        return
    df = sample.select([*feats, *names]).to_pandas()
    df = df.dropna(subset=names)
    if df.empty:
        return
    key = df[names].astype(str).agg("|".join, axis=1) if len(names) > 1 else df[names[0]]
    _conflicting_duplicates(prof, df, feats, key)
    if len(names) > 1:
        return
    y = encode_target(df[names[0]])
    for c in prof.features:
        if c.name not in df.columns or c.kind == "other":
            continue
        leak = _label_leak(df[c.name], key) if classification else _numeric_leak(c, df[c.name], y)
        if leak is not None:
            prof.leakage.append({"column": c.name, "reason": leak[0], "value": leak[1]})


def _conflicting_duplicates(prof: DataProfile, df: Any, feats: list[str], key: Any) -> None:
    import pandas as pd

    hashed = pd.util.hash_pandas_object(df[feats], index=False)
    frame = pd.DataFrame({"h": hashed.to_numpy(), "y": key.to_numpy()})
    n_labels = frame.groupby("h", sort=False)["y"].transform("nunique")
    conflicting = n_labels > 1
    prof.duplicate_conflict_share = float(conflicting.mean())
    prof.duplicate_conflict_groups = int(frame.loc[conflicting, "h"].nunique())


def _label_leak(col: Any, key: Any) -> tuple[str, float] | None:
    """A feature with few distinct values that determines the label almost perfectly."""
    import pandas as pd

    pair = pd.DataFrame({"f": col.astype(str), "y": key.astype(str)})
    n_f = pair["f"].nunique()
    n_y = pair["y"].nunique()
    # a feature with about one row per value maps to any label: not evidence
    if n_f < 2 or n_f > max(2 * n_y, 20) or n_f > len(pair) / 5:
        return None
    best = pair.groupby(["f", "y"], sort=False).size().groupby(level=0).max().sum()
    acc = float(best / len(pair))
    if acc >= 0.99:
        return f"predicts the label with {acc:.1%} accuracy on its own", acc
    return None


def _numeric_leak(c: ColumnProfile, col: Any, y: Any) -> tuple[str, float] | None:
    """A numeric feature equal to the target on >= 99% of rows or correlated >= 0.99."""
    if c.kind != "numeric":
        return None
    x = col.astype("float64")
    ok = y.notna() & x.notna()
    if ok.sum() < 3:
        return None
    xv, yv = x[ok].to_numpy(), y[ok].to_numpy()
    same = float(np.mean(np.isclose(xv, yv, rtol=1e-9, atol=0.0)))
    if same >= 0.99:
        return f"equals the target on {same:.1%} of rows", same
    if np.std(xv) > 0 and np.std(yv) > 0:
        r = float(np.corrcoef(xv, yv)[0, 1])
        if abs(r) >= 0.99:
            return f"is nearly identical to the target (correlation {r:+.4f})", r
    return None


def check_target(t: TargetProfile, rows: int) -> None:
    """A :class:`DataError` when the target has no values at all."""
    if t.count == 0:
        raise DataError(
            f"Target column {t.name!r} has no values: all {rows} rows are missing. "
            "Choose another --target or fill the target in."
        )
    if t.infinite:
        raise DataError(
            f"Target column {t.name!r} has {t.infinite} infinite values (+inf or -inf): no loss "
            "or judge metric can use them. Received: finite values from "
            f"{t.min:.4g} to {t.max:.4g}. Drop those rows or make them missing (empty) before training."
        )


def add_warnings(prof: DataProfile, classification: bool) -> None:
    """Human-readable diagnostics: missing values, conflicting duplicates, leakage."""
    w = prof.warnings
    for t in prof.targets:
        if t.missing:
            w.append(
                f"{t.missing_share:.1%} of target {t.name!r} is missing ({t.missing} rows): "
                "those rows are dropped for training."
            )
    infinite = [c for c in prof.features if c.infinite]
    if infinite:
        w.append(
            "Features with +inf/-inf values (left out of the statistics): "
            + ", ".join(f"{c.name} ({c.infinite})" for c in infinite[:10])
            + ". Replace them (cap or make them missing) before training."
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
