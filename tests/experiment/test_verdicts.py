"""Leaderboard verdicts (best tier / worse / inconclusive / failed) from constructed trial
records: no training needed. Oracles: scipy's paired t-test and noncentral t power."""

from __future__ import annotations

import math

import numpy as np
import pytest

from losslab.experiment import statistics
from losslab.experiment.statistics import Verdict


def _rec(cid, seed, v, status="ok"):
    return {
        "candidate_id": cid,
        "seed": seed,
        "status": status,
        "primary": v,
        "metrics": {"rmse": v},
        "epochs_run": 5,
    }


def _board(values: dict[str, list], metric: str = "rmse"):
    cands = [{"id": c, "label": c, "loss": c, "params": {}} for c in values]
    recs = []
    for c, vs in values.items():
        for s, v in enumerate(vs):
            recs.append(_rec(c, s, v, "nan") if v is None else _rec(c, s, v))
    rows = statistics.leaderboard_rows(recs, cands, metric)
    return {r["candidate_id"]: r for r in rows}, rows


def test_best_tier_when_the_paired_interval_is_within_the_margin():
    base = [1.00, 1.10, 0.90, 1.05, 0.95]
    near = [v + d for v, d in zip(base, [0.004, 0.006, 0.005, 0.003, 0.007], strict=True)]
    by, rows = _board({"a": base, "b": near})
    assert rows[0]["candidate_id"] == "a" and by["a"]["verdict"] == Verdict.BEST_TIER
    # consistently worse by 0.005 +- 0.0016 (the test rejects), but the 95% upper end is far
    # below 5% of 1.0: practically equivalent
    assert by["b"]["verdict"] == Verdict.BEST_TIER
    assert by["b"]["p_value"] < 0.05
    assert by["b"]["diff_ci_high"] < statistics.TIER_MARGIN * by["a"]["mean"]
    assert by["b"]["median"] == pytest.approx(float(np.median(near)))


def test_worse_when_the_paired_test_rejects():
    by, _ = _board({"a": [1.0, 1.1, 0.9], "c": [2.0, 2.1, 1.9]})
    assert by["c"]["verdict"] == Verdict.WORSE and by["c"]["p_value"] == 0.0
    assert not by["c"]["indistinguishable_from_best"]


def test_inconclusive_when_too_variable_to_tell_and_seeds_needed():
    from scipy import stats

    a = [1.0, 1.1, 0.9]
    b = [1.05, 1.0, 1.0]  # close but noisy: the paired interval is +-0.26
    by, rows = _board({"a": a, "b": b})
    row = by["b"]
    assert row["verdict"] == Verdict.INCONCLUSIVE and row["indistinguishable_from_best"]
    assert row["p_value"] == pytest.approx(stats.ttest_rel(b, a).pvalue)
    # oracle: the smallest n where the noncentral-t power of the two-sided test reaches 0.8
    diffs = np.subtract(b, a)
    d = abs(diffs.mean()) / diffs.std(ddof=1)

    def power(n):
        crit = stats.t.ppf(0.975, n - 1)
        return stats.nct.sf(crit, n - 1, d * math.sqrt(n)) + stats.nct.cdf(
            -crit, n - 1, d * math.sqrt(n)
        )

    n = row["seeds_to_separate"]
    assert n is not None and power(n) >= 0.8 > power(n - 1)
    doc = statistics.leaderboard_document(rows, "rmse")
    assert doc["seeds_to_separate_top_two"] == n


def test_orders_of_magnitude_never_best_tier_even_when_its_mean_wins_nothing():
    # the log-link blow-up of the issue: fine median, RMSE 1e5..1e17 on the same seeds
    by, rows = _board({"gamma": [2.6, 1e5, 1e17], "mse": [3.0, 3.1, 2.9], "mae": [3.05, 3.0, 3.1]})
    assert by["gamma"]["unstable"] and by["gamma"]["verdict"] == Verdict.INCONCLUSIVE
    assert "orders of magnitude" in by["gamma"]["verdict_reason"]
    assert not by["gamma"]["indistinguishable_from_best"]
    assert rows[-1]["candidate_id"] == "gamma"
    assert by["gamma"]["median"] == 1e5


def test_a_diverged_seed_is_never_best_even_with_the_lowest_mean():
    by, rows = _board({"x": [0.5, None, 0.6], "mse": [1.0, 1.1, 0.9]})
    assert rows[0]["candidate_id"] == "mse" and by["mse"]["is_best"]
    assert by["x"]["verdict"] == Verdict.INCONCLUSIVE and by["x"]["n_failed"] == 1
    assert not by["x"]["is_best"] and by["x"]["rank"] == 2


def test_failed_candidate_and_higher_is_better_metric():
    by, rows = _board({"a": [0.9, 0.91, 0.92], "b": [None, None, None]}, metric="accuracy")
    assert by["b"]["verdict"] == Verdict.FAILED and by["b"]["rank"] is None
    # accuracy: higher is better, seeds are not checked for orders of magnitude
    by, _ = _board({"a": [0.9, 0.91, 0.92], "c": [0.5, 0.52, 0.51]}, metric="accuracy")
    assert by["a"]["is_best"] and by["c"]["verdict"] == Verdict.WORSE


def test_unstable_and_seeds_to_separate_edges():
    assert statistics.unstable([1.0, float("nan")], "min")
    assert not statistics.unstable([-1.0, 50.0], "min")  # a signed metric is not checked
    assert statistics.seeds_to_separate([0.1]) is None
    assert statistics.seeds_to_separate([0.0, 0.0]) is None
    assert statistics.seeds_to_separate([0.2, 0.2, 0.2]) == 3
