"""``losslab run`` applies the advisor's class weights (imbalanced classes) to plain
cross-entropy: a weighted twin candidate whose weights reach ``model.fit`` and are stored in
the run's configuration and trial records."""

from __future__ import annotations

import json

import keras
import numpy as np

import losslab
from tests.experiment._data import imbalanced_binary, table


def test_advisor_class_weights_reach_fit_and_the_stored_config(tmp_path, monkeypatch):
    x, y = imbalanced_binary(n=400)
    df = table(x, y)
    seen: list[object] = []
    original_fit = keras.Model.fit

    def spy_fit(self, *args, **kwargs):
        seen.append(kwargs.get("class_weight"))
        return original_fit(self, *args, **kwargs)

    monkeypatch.setattr(keras.Model, "fit", spy_fit)
    # the sequential engine calls fit (the fused engine applies the same weights as sample
    # weights; test_fused.py checks its weighted candidate against this fit)
    res = losslab.run(
        df, target="y", top=1, seeds=1, max_epochs=2, hidden=(8,), out=tmp_path / "run", quiet=True, report=False,
        engine="sequential",
    )

    # oracle: scikit-learn's "balanced" rule n / (K * n_k) on the whole table, which is what
    # the advisor gives for an imbalanced target (rounded to 4 decimals)
    counts = np.bincount(y)
    expected = {0: round(len(y) / (2 * counts[0]), 4), 1: round(len(y) / (2 * counts[1]), 4)}
    assert counts[1] / len(y) < 0.1  # the data really is imbalanced

    cands = json.loads((tmp_path / "run" / "manifest.json").read_text())["config"]["candidates"]
    by_label = {c["label"]: c for c in cands}
    assert set(by_label) == {"binary_crossentropy", "binary_crossentropy@weighted"}
    assert by_label["binary_crossentropy"]["class_weight"] is None
    stored = {int(k): v for k, v in by_label["binary_crossentropy@weighted"]["class_weight"].items()}
    assert stored == expected

    recs = {r["label"]: r for r in res.records}
    assert {int(k): v for k, v in recs["binary_crossentropy@weighted"]["class_weight"].items()} == expected
    assert recs["binary_crossentropy"]["class_weight"] is None
    # fit was called once per trial: once without weights, once with the advisor's
    assert len(seen) == 2 and None in seen
    weighted = next(cw for cw in seen if cw is not None)
    assert weighted == expected


def test_user_class_weight_wins_over_the_advisor(tmp_path):
    x, y = imbalanced_binary(n=400)
    res = losslab.run(
        table(x, y), target="y", top=1, seeds=1, max_epochs=1, hidden=(8,), class_weight="balanced",
        out=tmp_path / "run", quiet=True, report=False,
    )
    # one candidate, weighted as the user asked; no advisor twin
    assert [r["label"] for r in res.records] == ["binary_crossentropy@balanced"]
    assert res.records[0]["class_weight"] == "balanced"
