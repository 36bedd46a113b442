"""The advisor decides by catalog metadata, never by names, and never changes its input."""

from __future__ import annotations

import copy
import dataclasses

import numpy as np
import pandas as pd
import pytest

import losslab
from losslab._vocab import Requirement
from losslab.advisor import PENDING_CATALOG_METADATA, recommend
from losslab.advisor._configure import yield_param_rules
from losslab.advisor._rules import yield_classification_rules, yield_regression_rules
from losslab.advisor._traits import ONE_HOT_TWIN_KEY
from tests.advisor.conftest import compound_poisson_gamma, features, mini_catalog


def _tables(rng) -> dict[str, tuple[pd.DataFrame, str]]:
    out = {}
    df = features(rng, 3000)
    df["y"] = compound_poisson_gamma(rng, 3000, power=1.5, lam=0.7, theta=3.0)
    out["tweedie"] = (df, "y")
    df = features(rng, 3000)
    y = df.x0 + rng.normal(size=3000)
    y[:60] += 40.0
    df["y"] = y
    out["outliers"] = (df, "y")
    df = features(rng, 3000)
    df["y"] = (rng.random(3000) < 0.05).astype(int)
    out["imbalanced"] = (df, "y")
    base = rng.normal(size=(30, 2))
    idx = np.repeat(np.arange(30), 40)
    labels = (np.arange(30) % 3)[idx]
    flip = rng.random(len(idx)) < 0.3
    labels[flip] = rng.integers(0, 3, size=flip.sum())
    df = pd.DataFrame(base[idx], columns=["a", "b"])
    df["y"] = labels
    out["noisy"] = (df, "y")
    return out


def _renamed(specs):
    """The same specs under meaningless names (``extra`` references follow the rename); the
    new names sort like the old ones, so ties still break in the same order."""
    names = {name: f"loss_{i:02d}" for i, name in enumerate(sorted(s.name for s in specs))}
    out = []
    for s in specs:
        extra = dict(s.extra)
        if ONE_HOT_TWIN_KEY in extra:
            extra[ONE_HOT_TWIN_KEY] = names[extra[ONE_HOT_TWIN_KEY]]
        out.append(dataclasses.replace(s, name=names[s.name], aliases=(), extra=extra))
    return out, names


@pytest.mark.parametrize("table", ["tweedie", "outliers", "imbalanced", "noisy"])
def test_renaming_every_loss_changes_nothing_but_the_names(rng, table):
    df, target = _tables(rng)[table]
    specs = mini_catalog()
    renamed, names = _renamed(specs)
    prof = losslab.profile(df, target=target)
    for goal in (None, "median" if table in ("tweedie", "outliers") else "labels"):
        a = recommend(prof, goal=goal, catalog=specs, top=None)
        b = recommend(prof, goal=goal, catalog=renamed, top=None)
        expected = [(names[c.loss], c.params, c.score) for c in a.candidates]
        assert [(c.loss, c.params, c.score) for c in b.candidates] == expected


def test_recommend_does_not_change_the_profile_it_is_given(rng, catalog):
    df = features(rng, 800)
    df["y"] = (rng.random(800) < 0.2).astype(int)
    prof = losslab.profile(df, target="y")
    before = copy.deepcopy(prof)
    task = prof.task
    forced = recommend(prof, task="multiclass", catalog=catalog)
    assert forced.task.kind == "multiclass" and forced.profile.task.kind == "multiclass"
    recommend(prof, goal="labels", catalog=catalog, top=None)
    assert prof.task is task and repr(prof) == repr(before)
    # a profile without a task: the task is inferred into a copy
    bare = losslab.data.profile_table(df, "y")
    bare_before = copy.deepcopy(bare)
    rec = recommend(bare, catalog=catalog)
    assert rec.task.kind == "binary" and bare.task is None
    assert repr(bare) == repr(bare_before)


def test_configured_parameters_are_declared_by_the_spec(rng):
    specs = {s.name: s for s in losslab.list_losses()}
    for df, target in _tables(rng).values():
        for goal in (None, "quantile:0.8") if df[target].nunique() > 10 else (None, "labels"):
            for c in recommend(df, target=target, goal=goal, top=None).candidates:
                declared = {p.name for p in specs[c.loss].params}
                assert set(c.params) <= declared, (c.loss, c.params)


def test_pending_catalog_metadata_names_catalog_losses():
    specs = {s.name: s for s in losslab.list_losses()}
    for name, meta in PENDING_CATALOG_METADATA.items():
        assert name in specs, name
        twin = meta.get(ONE_HOT_TWIN_KEY)
        if twin is not None:
            assert Requirement.ONE_HOT.value in specs[twin].requires
            assert Requirement.INTEGER_LABELS.value in specs[name].requires


def test_rule_registries_hold_distinct_documented_functions():
    for registry in (yield_regression_rules, yield_classification_rules, yield_param_rules):
        rules = list(registry())
        assert len(rules) == len(set(rules)) and rules
        assert all(callable(r) and r.__doc__ for r in rules)


def test_soft_targets_on_a_wide_proportion_with_exact_zeros_and_ones(rng, catalog):
    # more than 1,000 distinct values reaching 0 and 1: the value counts are not kept, and
    # focal / re-weighted cross-entropy must still be refused (they are meant for labels)
    df = features(rng, 5000)
    y = rng.beta(0.5, 0.5, size=5000)
    y[:100], y[100:200] = 0.0, 1.0
    df["y"] = y
    rec = recommend(df, target="y", catalog=catalog, top=None)
    names = [c.loss for c in rec.candidates]
    assert rec.task.kind == "proportion" and rec.profile.target.value_counts is None
    assert "bce" in names and "binary_focal" not in names
