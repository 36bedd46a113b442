"""Leaderboard statistics over seeds: mean and Student-t 95% interval per candidate, paired
difference to the best with a two-sided paired t-test over seeds (the same seed gives the
same split, initial weights and batch order to every candidate, so seeds pair the trials).

No Keras import.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from losslab.experiment.judge import DIRECTIONS

__all__ = ["ALPHA", "CONFIDENCE", "leaderboard_document", "leaderboard_rows", "paired_test", "t_interval"]

CONFIDENCE = 0.95
ALPHA = 0.05


def t_interval(values: Sequence[float], confidence: float = CONFIDENCE) -> tuple[float, float, float, float]:
    """Mean, standard deviation (ddof=1) and Student-t interval of ``values``.

    With one value the interval is ``(mean, mean)`` and the std 0 (nothing to estimate).

    Example:
        >>> m, s, lo, hi = t_interval([1.0, 2.0, 3.0])
        >>> round(lo, 3), round(hi, 3)   # 2 -/+ t(0.975, 2) * 1 / sqrt(3)
        (-0.484, 4.484)
    """
    from scipy import stats

    a = np.asarray(values, dtype=np.float64)
    m = float(a.mean())
    if len(a) < 2:
        return m, 0.0, m, m
    s = float(a.std(ddof=1))
    half = float(stats.t.ppf(0.5 + confidence / 2, len(a) - 1)) * s / math.sqrt(len(a))
    return m, s, m - half, m + half


def paired_test(a: Sequence[float], b: Sequence[float]) -> float | None:
    """Two-sided paired t-test p-value of ``a - b`` (None with fewer than 2 pairs).

    A zero-variance difference gives p = 1 when it is 0 everywhere and p = 0 otherwise.
    """
    from scipy import stats

    x = np.asarray(a, dtype=np.float64) - np.asarray(b, dtype=np.float64)
    if len(x) < 2:
        return None
    if np.allclose(x, x[0], rtol=0, atol=1e-12):
        return 1.0 if abs(x[0]) <= 1e-12 else 0.0
    return float(stats.ttest_1samp(x, 0.0).pvalue)


def leaderboard_rows(
    records: Sequence[Mapping[str, Any]],
    candidates: Sequence[Mapping[str, Any]],
    primary: str,
    *,
    alpha: float = ALPHA,
) -> list[dict[str, Any]]:
    """Rank candidates on the primary judge metric (format: docs/run-directory.md).

    Args:
        records: finished trial records.
        candidates: candidate descriptions (``id``, ``label``, ``loss``, ``params``, ``class_weight``).
        primary: the primary metric name.
        alpha: level of the paired test.

    Returns:
        Rows sorted best first; candidates without a successful trial come last.
    """
    sign = 1.0 if DIRECTIONS[primary] == "min" else -1.0
    by_cand: dict[str, dict[int, Mapping[str, Any]]] = {c["id"]: {} for c in candidates}
    for r in records:
        if r["candidate_id"] in by_cand:
            by_cand[r["candidate_id"]][int(r["seed"])] = r
    rows: list[dict[str, Any]] = []
    for c in candidates:
        recs = by_cand[c["id"]]
        ok = {s: r for s, r in recs.items() if r.get("status") == "ok" and r.get("primary") is not None}
        vals = [float(ok[s]["primary"]) for s in sorted(ok)]
        row: dict[str, Any] = {
            "candidate_id": c["id"],
            "label": c["label"],
            "loss": c["loss"],
            "params": dict(c.get("params", {})),
            "class_weight": c.get("class_weight"),
            "n_seeds": len(vals),
            "n_failed": len(recs) - len(ok),
            "mean": None,
            "std": None,
            "ci_low": None,
            "ci_high": None,
            "metrics": {},
            "epochs_run": None,
            "_by_seed": {s: float(ok[s]["primary"]) for s in ok},
        }
        if vals:
            m, s, lo, hi = t_interval(vals)
            row.update(mean=m, std=s, ci_low=lo, ci_high=hi)
            names = sorted({k for r in ok.values() for k in r.get("metrics", {})})
            for name in names:
                xs = [r["metrics"][name] for r in ok.values() if r["metrics"].get(name) is not None]
                row["metrics"][name] = float(np.mean(xs)) if xs else None
            row["epochs_run"] = float(np.mean([r.get("epochs_run", 0) for r in ok.values()]))
        rows.append(row)
    scored = sorted((r for r in rows if r["mean"] is not None), key=lambda r: (sign * r["mean"], r["label"]))
    unscored = [r for r in rows if r["mean"] is None]
    best = scored[0] if scored else None
    for i, r in enumerate(scored):
        r["rank"] = i + 1
        r["is_best"] = r is best
        if r is best:
            r.update(diff_to_best=0.0, diff_ci_low=None, diff_ci_high=None, p_value=None)
            r["indistinguishable_from_best"] = True
            continue
        assert best is not None
        common = sorted(set(r["_by_seed"]) & set(best["_by_seed"]))
        diffs = [r["_by_seed"][s] - best["_by_seed"][s] for s in common]
        if diffs:
            dm, _, dlo, dhi = t_interval(diffs)
            p = paired_test([r["_by_seed"][s] for s in common], [best["_by_seed"][s] for s in common])
        else:
            dm, dlo, dhi, p = r["mean"] - best["mean"], None, None, None
        r.update(diff_to_best=dm, diff_ci_low=dlo if len(diffs) > 1 else None, diff_ci_high=dhi if len(diffs) > 1 else None)
        r["p_value"] = p
        r["indistinguishable_from_best"] = p is None or p >= alpha
    for r in unscored:
        r.update(
            rank=None,
            is_best=False,
            diff_to_best=None,
            diff_ci_low=None,
            diff_ci_high=None,
            p_value=None,
            indistinguishable_from_best=False,
        )
    out = scored + unscored
    for r in out:
        r.pop("_by_seed")
    return out


def leaderboard_document(rows: list[dict[str, Any]], primary: str) -> dict[str, Any]:
    """The content of ``leaderboard.json``: the rows with what they mean.

    Example:
        >>> leaderboard_document([], "rmse")["direction"]
        'min'
    """
    return {
        "primary_metric": primary,
        "direction": DIRECTIONS[primary],
        "confidence": CONFIDENCE,
        "interval": "Student t interval over seeds",
        "test": "two-sided paired t-test over seeds against the best candidate (alpha 0.05)",
        "rows": rows,
    }
