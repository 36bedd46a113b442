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
