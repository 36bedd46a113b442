"""``losslab run`` end to end through the CLI entry point, on a classification table and on a
count table: the run directory, the winner, the report, then ``losslab predict`` with the
exported model (in a fresh process under TensorFlow: the table has a string column).

Oracles: scikit-learn on the same split (a logistic / Poisson regression fit on the training
rows, a constant baseline, the metrics recomputed from the predictions file) and the leader
recomputed from the stored trial records.
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from sklearn import metrics as skm
from sklearn.linear_model import LogisticRegression, PoissonRegressor

from losslab.cli import main
from losslab.experiment.store import RunStore

pytestmark = pytest.mark.slow

N = 400
SRC = Path(__file__).resolve().parents[2] / "src"
ENTRY = "import sys; from losslab.cli import main; sys.exit(main(sys.argv[1:]))"


def _features(seed: int) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    return pd.DataFrame(
        {
            "a": rng.normal(size=N),
            "b": rng.normal(size=N),
            "c": rng.normal(size=N),
            "shop": rng.choice(["north", "south", "east"], size=N),
        }
    )


def _numeric(df: pd.DataFrame) -> np.ndarray:
    """The features as a plain matrix for scikit-learn (one-hot shop)."""
    return np.column_stack(
        [df[["a", "b", "c"]].to_numpy(), pd.get_dummies(df["shop"]).to_numpy(float)]
    )


def _records_leader(run_dir: Path, primary: str, direction: str) -> str:
    """The candidate with the best mean primary metric over its seeds, from trials.jsonl."""
    by_label: dict[str, list[float]] = {}
    for rec in RunStore(run_dir).records():
        assert rec["status"] == "ok", rec
        by_label.setdefault(rec["label"], []).append(rec["metrics"][primary])
    sign = 1.0 if direction == "min" else -1.0
    return min(by_label, key=lambda lab: sign * statistics.fmean(by_label[lab]))


def _run(tmp_path: Path, df: pd.DataFrame, capsys) -> tuple[Path, dict, Path]:
    src, out = tmp_path / "table.csv", tmp_path / "run"
    df.to_csv(src, index=False)
    code = main(["run", str(src), "-t", "y", "--top", "2", "--seeds", "2", "--max-epochs", "30",
                 "--lr", "0.01", "--hidden", "16", "--out", str(out), "--refit", "--json"])  # fmt: skip
    captured = capsys.readouterr()
    assert code == 0, captured.err
    doc = json.loads(captured.out)
    assert "model: " in captured.err  # --json keeps stdout for the JSON document
    return src, doc, out


def _check_run_dir(out: Path, doc: dict, kind: str) -> dict:
    m = json.loads((out / "manifest.json").read_text())
    assert m["kind"] == "run" and m["task"]["kind"] == kind == doc["task"]
    assert m["recommendation"]["task"]["kind"] == kind
    recs = RunStore(out).records()
    labels = {c["label"] for c in m["config"]["candidates"]}
    # every candidate trained on both seeds and stored with its test predictions
    assert sorted((r["label"], r["seed"]) for r in recs) == sorted(
        (lab, s) for lab in labels for s in (0, 1)
    )
    for r in recs:
        assert (out / "trials" / f"{r['trial_id']}.npz").exists()
    direction = json.loads((out / "leaderboard.json").read_text())["direction"]
    assert (
        doc["best"]
        == doc["leaderboard"][0]["label"]
        == _records_leader(out, doc["primary_metric"], direction)
    )
    # the report names the winner and the exported model
    md = (out / "report.md").read_text(encoding="utf-8")
    assert doc["best"] in md and "model/model.keras" in md
    assert (out / "report.html").stat().st_size > 1000
    card = json.loads((out / "model" / "card.json").read_text())
    assert card["candidate"]["label"] == doc["best"]
    return card


def _predict(tmp_path: Path, out: Path, test: pd.DataFrame) -> pd.DataFrame:
    """``losslab predict`` in a fresh process through the script's entry point, under
    TensorFlow (the exported model reads the string column ``shop`` as it is)."""
    src, preds = tmp_path / "test.csv", tmp_path / "preds.csv"
    test.to_csv(src, index=False)
    env = {**os.environ, "KERAS_BACKEND": "tensorflow", "TF_CPP_MIN_LOG_LEVEL": "3"}
    env["PYTHONPATH"] = os.pathsep.join([str(SRC), env.get("PYTHONPATH", "")])
    argv = ["predict", str(out), str(src), "-o", str(preds), "--id", "row"]
    proc = subprocess.run(
        [sys.executable, "-c", ENTRY, *argv], env=env, capture_output=True, text=True, timeout=600
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert "judge metrics" in proc.stdout  # the table holds the target
    assert "ignored" not in proc.stderr  # the id and the target are not extra columns
    frame = pd.read_csv(preds)
    assert len(frame) == len(test) and frame["row"].tolist() == test["row"].tolist()
    return frame


def test_run_cli_on_a_binary_table(tmp_path, capsys):
    df = _features(11)
    rng = np.random.default_rng(12)
    logit = 1.5 * df["a"] - 1.0 * df["b"] + np.where(df["shop"] == "north", 1.0, -0.5)
    df["y"] = np.where(rng.random(N) < 1 / (1 + np.exp(-logit)), "yes", "no")
    src, doc, out = _run(tmp_path, df, capsys)
    assert doc["task"] == "binary" and doc["primary_metric"] == "log_loss"
    card = _check_run_dir(out, doc, "binary")

    idx = RunStore(out).load_prepared()
    train = df.iloc[np.concatenate([idx.idx_train, idx.idx_val])]
    test = df.iloc[idx.idx_test].assign(row=idx.idx_test)
    y_test = (test["y"] == "yes").to_numpy(int)
    # scikit-learn's logistic regression on the same rows: the planted model is logistic,
    # so it is the near-optimal reference; a constant base rate is the floor
    lr = LogisticRegression(max_iter=1000).fit(_numeric(train), train["y"] == "yes")
    lr_loss = skm.log_loss(y_test, lr.predict_proba(_numeric(test))[:, 1])
    base = skm.log_loss(y_test, np.full(len(y_test), (train["y"] == "yes").mean()))
    best = doc["leaderboard"][0]["mean"]
    assert best < base - 0.1 and best < lr_loss + 0.1, (best, lr_loss, base)

    frame = _predict(tmp_path, out, test)
    probs = frame[["p_no", "p_yes"]].to_numpy()
    np.testing.assert_allclose(probs.sum(axis=1), 1.0, rtol=1e-5)
    assert frame["label"].tolist() == np.where(probs[:, 1] > probs[:, 0], "yes", "no").tolist()
    # the exported (refit) model: its test log loss recomputed from the file matches its card
    # and beats the constant base rate
    got = skm.log_loss(y_test, frame["p_yes"].to_numpy())
    assert got == pytest.approx(card["refit"]["test_metrics"]["log_loss"], rel=1e-3)
    assert got < base - 0.1
    assert skm.roc_auc_score(y_test, frame["p_yes"]) > 0.8


def test_run_cli_on_a_count_table(tmp_path, capsys):
    df = _features(21)
    rng = np.random.default_rng(22)
    rate = np.exp(0.6 * df["a"] - 0.4 * df["b"] + np.where(df["shop"] == "north", 0.5, 0.0) + 0.3)
    df["y"] = rng.poisson(rate)
    src, doc, out = _run(tmp_path, df, capsys)
    assert doc["task"] == "count"
    card = _check_run_dir(out, doc, "count")

    idx = RunStore(out).load_prepared()
    train = df.iloc[np.concatenate([idx.idx_train, idx.idx_val])]
    test = df.iloc[idx.idx_test].assign(row=idx.idx_test)
    # scikit-learn's Poisson regression (the planted model) and the constant mean
    glm = PoissonRegressor(alpha=1e-6, max_iter=1000).fit(_numeric(train), train["y"])
    glm_dev = skm.mean_poisson_deviance(test["y"], glm.predict(_numeric(test)))
    base_dev = skm.mean_poisson_deviance(test["y"], np.full(len(test), train["y"].mean()))
    assert glm_dev < 0.8 * base_dev  # the planted signal is there to find

    frame = _predict(tmp_path, out, test)
    pred = frame["prediction"].to_numpy()
    assert (pred > 0).all()
    dev = skm.mean_poisson_deviance(test["y"], pred)
    primary = doc["primary_metric"]
    if primary == "poisson_deviance":
        assert dev == pytest.approx(card["refit"]["test_metrics"][primary], rel=1e-3)
    # the exported model finds most of what the true model family finds
    assert dev < base_dev - 0.5 * (base_dev - glm_dev), (dev, glm_dev, base_dev)
