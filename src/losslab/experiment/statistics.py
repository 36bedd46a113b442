"""Leaderboard statistics over seeds: mean and Student-t 95% interval per candidate, paired
difference to the best with a two-sided paired t-test over seeds (the same seed gives the
same split, initial weights and batch order to every candidate, so seeds pair the trials).

No Keras import.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from enum import StrEnum
from typing import Any

import numpy as np

from losslab.experiment.judge import DIRECTIONS

__all__ = [
    "ALPHA",
    "CONFIDENCE",
    "POWER",
    "TIER_MARGIN",
    "UNSTABLE_RATIO",
    "Verdict",
    "leaderboard_document",
    "leaderboard_rows",
    "paired_test",
    "seeds_to_separate",
    "t_interval",
    "unstable",
]

CONFIDENCE = 0.95
ALPHA = 0.05
POWER = 0.8
TIER_MARGIN = 0.05
"""A candidate is in the best tier when the upper end of the 95% interval of its paired
difference to the best is within 5% of the best's mean (or 0.005 on a metric near 0)."""
UNSTABLE_RATIO = 10.0
"""Seeds of an error metric (lower is better, >= 0) disagree by orders of magnitude when
the largest value is more than 10x the smallest."""


class Verdict(StrEnum):
    """How a candidate compares with the best (``verdict`` in each leaderboard row)."""

    BEST_TIER = "best tier"  # the best, or as good within TIER_MARGIN with 95% confidence
    WORSE = "worse"  # the paired test rejects (worse on these seeds)
    INCONCLUSIVE = "inconclusive"  # too variable to tell: more seeds would decide
    FAILED = "failed"  # no successful seed


def t_interval(
    values: Sequence[float], confidence: float = CONFIDENCE
) -> tuple[float, float, float, float]:
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


def seeds_to_separate(
    diffs: Sequence[float], *, alpha: float = ALPHA, power: float = POWER, limit: int = 1000
) -> int | None:
    """Seeds a two-sided paired t-test needs to reject at ``alpha`` with ``power``, at the
    observed mean paired difference and its standard deviation (noncentral t).

    Returns None when it cannot be estimated (fewer than 2 differences, a zero mean) or is
    beyond ``limit``; the number of pairs itself when the spread is 0 and the mean is not.

    Example:
        >>> seeds_to_separate([0.1, 0.3, 0.2])   # effect 0.2, sd 0.1: d = 2
        5
    """
    from scipy import stats

    x = np.asarray(diffs, dtype=np.float64)
    x = x[np.isfinite(x)]
    if len(x) < 2 or abs(float(x.mean())) <= 1e-12:
        return None
    sd = float(x.std(ddof=1))
    if sd <= 1e-12:
        return len(x)
    d = abs(float(x.mean())) / sd
    # the normal approximation is a lower bound of the t-test's n: start just below it
    z = float(stats.norm.ppf(1 - alpha / 2) + stats.norm.ppf(power))
    start = max(2, int((z / d) ** 2) - 1)
    if start > limit:
        return None
    for n in range(start, limit + 1):
        crit = float(stats.t.ppf(1 - alpha / 2, n - 1))
        nc = d * math.sqrt(n)
        achieved = float(stats.nct.sf(crit, n - 1, nc) + stats.nct.cdf(-crit, n - 1, nc))
        if achieved >= power:
            return n
    return None


def unstable(values: Sequence[float], direction: str) -> bool:
    """True when the seeds disagree by orders of magnitude (a value non-finite, or the largest
    of a non-negative lower-is-better metric over :data:`UNSTABLE_RATIO` x the smallest).

    Example:
        >>> unstable([2.6, 1e5, 1e17], "min"), unstable([2.6, 2.7, 2.5], "min")
        (True, False)
    """
    a = np.asarray(values, dtype=np.float64)
    if not np.isfinite(a).all():
        return True
    if direction != "min" or len(a) < 2 or a.min() < 0:
        return False
    return bool(a.max() > UNSTABLE_RATIO * max(a.min(), 1e-12))


def _verdict(
    row: dict[str, Any], best: dict[str, Any], p: float | None, dhi_bad: float | None, alpha: float
) -> tuple[Verdict, str]:
    """The verdict of a scored non-best row and its reason: practically equivalent (the
    paired interval within the margin) is the best tier even when the test rejects."""
    rejected = p is not None and p < alpha and row["diff_to_best"] != 0
    why_not = (
        f"{row['n_failed']} seed(s) diverged or failed"
        if row["n_failed"]
        else ("its seeds disagree by orders of magnitude" if row["unstable"] else None)
    )
    margin = max(TIER_MARGIN * abs(best["mean"]), 0.005)
    if why_not is None and dhi_bad is not None and dhi_bad <= margin:
        return Verdict.BEST_TIER, f"within {TIER_MARGIN:.0%} of the best with 95% confidence"
    if rejected:
        return Verdict.WORSE, f"worse than the best on these seeds (paired t-test p = {p:.3g})"
    if why_not is not None:
        return Verdict.INCONCLUSIVE, why_not
    if dhi_bad is None:
        return Verdict.INCONCLUSIVE, "one seed: no paired test"
    return Verdict.INCONCLUSIVE, "too variable to tell from the best"


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
        Rows sorted best first: candidates whose seeds all finished and agree (not
        :func:`unstable`) come first, then the others, then candidates without a successful
        trial. Each row has the mean, median, std and t-interval over seeds, the paired
        difference to the best with its p-value, and a ``verdict`` (:class:`Verdict`: best
        tier, worse, inconclusive, failed) with ``verdict_reason``, and ``seeds_to_separate``:
        the seeds a paired t-test at the observed difference and spread would need to reject
        at 5% with 80% power.
    """
    direction = DIRECTIONS[primary]
    sign = 1.0 if direction == "min" else -1.0
    by_cand: dict[str, dict[int, Mapping[str, Any]]] = {c["id"]: {} for c in candidates}
    for r in records:
        if r["candidate_id"] in by_cand:
            by_cand[r["candidate_id"]][int(r["seed"])] = r
    rows = [_candidate_row(c, by_cand[c["id"]], direction) for c in candidates]
    scored = [r for r in rows if r["mean"] is not None]
    # reliable candidates (every seed finished, seeds agree) first: only they can be the best
    scored.sort(key=lambda r: (not r["_reliable"], sign * r["mean"], r["label"]))
    unscored = [r for r in rows if r["mean"] is None]
    best = scored[0] if scored else None
    for i, r in enumerate(scored):
        r["rank"] = i + 1
        r["is_best"] = r is best
        if r is best:
            r.update(
                diff_to_best=0.0,
                diff_ci_low=None,
                diff_ci_high=None,
                p_value=None,
                seeds_to_separate=None,
            )
            r.update(
                indistinguishable_from_best=True,
                verdict=str(Verdict.BEST_TIER),
                verdict_reason="the best mean over seeds",
            )
            if not r["_reliable"]:
                r["verdict_reason"] = (
                    "the best mean, but no candidate finished every seed with agreeing seeds"
                )
            continue
        assert best is not None
        _compare_to_best(r, best, sign, alpha)
    for r in unscored:
        r.update(
            rank=None,
            is_best=False,
            diff_to_best=None,
            diff_ci_low=None,
            diff_ci_high=None,
            p_value=None,
            seeds_to_separate=None,
            indistinguishable_from_best=False,
            verdict=str(Verdict.FAILED),
            verdict_reason="no seed finished",
        )
    out = scored + unscored
    for r in out:
        r.pop("_by_seed")
        r.pop("_reliable")
    return out


def _candidate_row(
    c: Mapping[str, Any], recs: Mapping[int, Mapping[str, Any]], direction: str
) -> dict[str, Any]:
    """The per-candidate statistics over its seeds (before the comparison with the best)."""
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
        "median": None,
        "std": None,
        "ci_low": None,
        "ci_high": None,
        "unstable": False,
        "metrics": {},
        "epochs_run": None,
        "_by_seed": {s: float(ok[s]["primary"]) for s in ok},
    }
    if vals:
        m, s, lo, hi = t_interval(vals)
        row.update(mean=m, median=float(np.median(vals)), std=s, ci_low=lo, ci_high=hi)
        row["unstable"] = unstable(vals, direction)
        names = sorted({k for r in ok.values() for k in r.get("metrics", {})})
        for name in names:
            xs = [r["metrics"][name] for r in ok.values() if r["metrics"].get(name) is not None]
            row["metrics"][name] = float(np.mean(xs)) if xs else None
        row["epochs_run"] = float(np.mean([r.get("epochs_run", 0) for r in ok.values()]))
    row["_reliable"] = bool(vals) and not row["n_failed"] and not row["unstable"]
    return row


def _compare_to_best(r: dict[str, Any], best: dict[str, Any], sign: float, alpha: float) -> None:
    """Paired difference, test, verdict and seeds needed of row ``r`` against the best."""
    common = sorted(set(r["_by_seed"]) & set(best["_by_seed"]))
    diffs = [r["_by_seed"][s] - best["_by_seed"][s] for s in common]
    dlo = dhi = p = None
    if diffs:
        dm, _, dlo, dhi = t_interval(diffs)
        p = paired_test([r["_by_seed"][s] for s in common], [best["_by_seed"][s] for s in common])
    else:
        dm = r["mean"] - best["mean"]
    paired = len(diffs) > 1
    r.update(
        diff_to_best=dm, diff_ci_low=dlo if paired else None, diff_ci_high=dhi if paired else None
    )
    r["p_value"] = p
    bad_end = None if not paired else (dhi if sign > 0 else -dlo)  # type: ignore[operator]
    verdict, reason = _verdict(r, best, p, bad_end, alpha)
    r["verdict"], r["verdict_reason"] = str(verdict), reason
    r["seeds_to_separate"] = seeds_to_separate(diffs, alpha=alpha)
    reliable = r["_reliable"]
    r["indistinguishable_from_best"] = reliable and (p is None or p >= alpha)


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
        "verdicts": (
            f"best tier: the 95% interval of the paired difference to the best is within "
            f"{TIER_MARGIN:.0%} of the best's mean; worse: the paired test rejects; inconclusive: "
            "neither (too variable to tell), or a seed diverged, or the seeds disagree by orders "
            "of magnitude (never best tier)"
        ),
        "seeds_to_separate_top_two": next((r.get("seeds_to_separate") for r in rows[1:2]), None),
        "rows": rows,
    }
