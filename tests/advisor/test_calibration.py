"""Rules calibrated from the advisor benchmark (bench/bench_advice.py): each test plants the
property the rule reads and checks the configured value against a NumPy computation."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from losslab.advisor import recommend
from losslab.advisor._configure import HUBER_FLOOR


def _huber(rec):
    return next(c for c in rec.candidates if c.loss == "huber")


def test_huber_delta_is_at_least_one_on_a_heavy_tailed_positive_target(catalog):
    rng = np.random.default_rng(3)
    x = rng.normal(size=(800, 2))
    y = np.exp(1.5 * x[:, 0] + rng.normal(0, 1.2, 800))  # monetary-like: long right tail
    df = pd.DataFrame(x, columns=["a", "b"]).assign(y=y)
    rec = recommend(df, target="y", catalog=catalog, top=None)
    assert rec.task.kind == "positive" and rec.goal.kind == "mean"
    # the plain rule would give 1.345 x 1.4826 MAD / std, far below 1 on this tail
    robust = 1.345 * 1.4826 * np.median(np.abs(y - np.median(y))) / y.std()
    assert robust < 0.5
    h = _huber(rec)
    assert h.params["delta"] == HUBER_FLOOR == 1.0
    assert "raised to 1" in h.reason


def test_huber_delta_keeps_the_robust_value_under_a_median_goal(catalog):
    rng = np.random.default_rng(3)
    x = rng.normal(size=(800, 2))
    y = np.exp(1.5 * x[:, 0] + rng.normal(0, 1.2, 800))
    df = pd.DataFrame(x, columns=["a", "b"]).assign(y=y)
    rec = recommend(df, target="y", catalog=catalog, top=None, goal="median")
    assert any(c.loss == "huber" for c in rec.candidates), "huber is proposed under a median goal"
    robust = 1.345 * 1.4826 * np.median(np.abs(y - np.median(y))) / y.std()
    assert _huber(rec).params["delta"] == pytest.approx(robust, rel=1e-3)


def test_focal_is_penalised_under_a_probability_goal(catalog):
    from losslab.advisor._rules import FOCAL_PROBABILITY_PENALTY

    rng = np.random.default_rng(5)
    x = rng.normal(size=(2000, 2))
    df = pd.DataFrame(x, columns=["a", "b"]).assign(y=(x[:, 0] + rng.normal(size=2000) > 1.2).astype(int))
    prob = recommend(df, target="y", catalog=catalog, top=None)
    labels = recommend(df, target="y", catalog=catalog, top=None, goal="labels")
    focal_p = next(c for c in prob.candidates if c.loss == "binary_focal")
    focal_l = next(c for c in labels.candidates if c.loss == "binary_focal")
    assert "distorts probabilities" in focal_p.reason and "distorts" not in focal_l.reason
    assert prob.candidates[0].loss == "bce"
    assert FOCAL_PROBABILITY_PENALTY == 0.3


def test_imbalanced_ordinal_levels_get_no_reweighting_bonus(catalog):
    rng = np.random.default_rng(6)
    x = rng.normal(size=(3000, 2))
    # five ordered levels, the first holding most rows (about 8:1 to the rarest)
    y = np.digitize(x[:, 0] + 0.3 * rng.normal(size=3000), [0.5, 1.0, 1.5, 2.0]) + 1
    df = pd.DataFrame(x, columns=["a", "b"]).assign(y=y)
    rec = recommend(df, target="y", catalog=catalog, top=None, goal="labels")
    assert rec.task.kind == "ordinal"
    assert not any("imbalanced" in c.reason for c in rec.candidates)
    assert [c.family for c in rec.candidates[:2]] == ["ordinal", "ordinal"]
