"""``losslab compare / run / tune`` from the command line, and ``tune`` from the API: bad input
gives one line and exit code 2 with the run directory left consistent; the three commands
work on regression, binary and multiclass targets."""

from __future__ import annotations

import json

import numpy as np
import pytest
from sklearn.metrics import roc_auc_score

import losslab
from losslab.cli import main
from tests.experiment._data import imbalanced_binary, multiclass_data, regression_data, table


@pytest.fixture
def reg_csv(tmp_path):
    x, y = regression_data(n=200)
    path = tmp_path / "reg.csv"
    table(x, y).to_csv(path, index=False)
    return path


def _one_error_line(capsys) -> str:
    err = capsys.readouterr().err
    lines = [line for line in err.splitlines() if line.startswith("Error:")]
    assert len(lines) == 1, err
    assert "Traceback" not in err
    return lines[0]


@pytest.mark.parametrize(
    ("losses", "match"),
    [
        ("mse,msee", "Unknown loss 'msee'. Did you mean"),
        ("huber:delta=-2", "delta must be > 0. Received: delta=-2"),
        ("huber:gamma=2", "unknown keyword argument(s) 'gamma'"),
        ("mse,poisson", "Loss 'poisson' needs y>=0; your target has"),
        ("binary_crossentropy", "is a binary loss; the task is regression"),
    ],
)
def test_compare_bad_losses_one_line_exit_2(reg_csv, tmp_path, capsys, losses, match):
    out = tmp_path / "run"
    code = main(["compare", str(reg_csv), "--target", "y", "--losses", losses, "--out", str(out), "-q"])
    assert code == 2
    assert match in _one_error_line(capsys)
    assert not out.exists()  # nothing half-written


def test_compare_bad_data_one_line_exit_2(tmp_path, capsys):
    x, _ = regression_data(n=100)
    single = tmp_path / "single.csv"
    table(x, np.ones(100, dtype=int)).to_csv(single, index=False)
    tiny = tmp_path / "tiny.csv"
    table(x[:12], np.arange(12.0)).to_csv(tiny, index=False)
    out = tmp_path / "run"
    cases = [
        # the advisor's task inference (shared by compare, run and tune) names the single value
        ([str(single), "--task", "binary", "--losses", "bce"], "has a single value (1) in all 100 labelled rows"),
        ([str(tiny), "--losses", "mse"], "Too few rows"),
        ([str(tmp_path / "missing.csv"), "--losses", "mse"], "not found"),
        ([str(tiny), "--losses", "mse", "--target", "nope"], "Target column 'nope' is not in the table"),
        ([str(tiny), "--losses", "mse", "--hidden", "a,b"], "--hidden must be comma-separated integers"),
    ]
    for args, match in cases:
        argv = ["compare", *args, "--out", str(out), "-q"]
        if "--target" not in args:
            argv += ["--target", "y"]
        assert main(argv) == 2, args
        assert match in _one_error_line(capsys)
    assert not out.exists()


@pytest.mark.slow
def test_compare_cli_binary_then_refuses_other_config(tmp_path, capsys):
    x, y = imbalanced_binary(n=300)
    path = tmp_path / "bin.csv"
    table(x, y).to_csv(path, index=False)
    out = tmp_path / "run"
    args = ["compare", str(path), "-t", "y", "-l", "bce,binary_focal_crossentropy:gamma=1", "--seeds", "1",
            "--max-epochs", "5", "--hidden", "8", "--out", str(out), "--no-report"]
    assert main([*args, "--json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert doc["task"] == "binary" and doc["primary_metric"] == "log_loss"
    assert {r["label"] for r in doc["leaderboard"]} == {"binary_crossentropy", "binary_focal_crossentropy:gamma=1"}
    assert all(r["mean"] is not None for r in doc["leaderboard"])
    # the same command again: everything is finished, nothing retrained
    trials = (out / "trials.jsonl").read_text()
    assert main([*args, "-q"]) == 0
    assert (out / "trials.jsonl").read_text() == trials
    capsys.readouterr()
    # another configuration in the same directory: refused, directory untouched
    manifest = (out / "manifest.json").read_text()
    assert main([*args, "--patience", "5", "-q"]) == 2
    assert "another configuration (different: training)" in _one_error_line(capsys)
    assert (out / "manifest.json").read_text() == manifest and (out / "trials.jsonl").read_text() == trials


@pytest.mark.slow
def test_compare_cli_multiclass(tmp_path, capsys):
    x, y = multiclass_data(n=240)
    df = table(x, np.array(["red", "green", "blue"])[y])
    path = tmp_path / "mc.parquet"
    df.to_parquet(path)
    out = tmp_path / "run"
    code = main(["compare", str(path), "-t", "y", "-l", "sparse_categorical_crossentropy", "--goal", "labels",
                 "--seeds", "1", "--max-epochs", "10", "--lr", "0.02", "--hidden", "8", "--out", str(out),
                 "--no-report", "-q"])
    assert code == 0
    assert capsys.readouterr().out.strip() == str(out)
    m = json.loads((out / "manifest.json").read_text())
    assert m["task"]["kind"] == "multiclass" and m["primary_metric"] == "accuracy"
    assert m["task"]["classes"] == ["blue", "green", "red"]
    lb = json.loads((out / "leaderboard.json").read_text())
    assert lb["rows"][0]["mean"] > 0.8


@pytest.mark.slow
def test_run_cli_end_to_end(reg_csv, tmp_path, capsys):
    out = tmp_path / "run"
    code = main(["run", str(reg_csv), "--target", "y", "--top", "2", "--seeds", "1", "--max-epochs", "5",
                 "--hidden", "8", "--out", str(out)])
    captured = capsys.readouterr()
    assert code == 0, captured.err
    m = json.loads((out / "manifest.json").read_text())
    assert m["kind"] == "run" and m["recommendation"]["task"]["kind"] == "regression"
    # the report names the file and explains the task with the advisor's reasons
    assert m["data"]["source"] == str(reg_csv)
    assert m["task"]["reasons"] == m["recommendation"]["task"]["reasons"] != ["given by the user"]
    recommended = [c["loss"] for c in m["recommendation"]["candidates"]]
    compared = [c["loss"] for c in m["config"]["candidates"]]
    assert compared and set(compared) <= set(recommended)
    assert (out / "leaderboard.json").exists() and (out / "report.html").exists()


@pytest.mark.slow
def test_tune_api_regression_resumes_from_journal(tmp_path):
    x, y = regression_data(n=200)
    kw = {"losses": ["huber"], "max_epochs": 5, "hidden": (8,), "quiet": True, "out": tmp_path / "run"}
    res = losslab.tune(None, x, y, n_trials=2, **kw)
    assert (tmp_path / "run" / "tune" / "journal.log").exists()
    assert len(res.study.trials) == 2
    # the loss's own hyperparameter was searched in the catalog's space
    space = losslab.get_spec("huber").param("delta").search
    deltas = [t.params["huber.delta"] for t in res.study.trials]
    assert all(space[1] <= d <= space[2] for d in deltas)
    assert res.best["huber"]["value"] == min(t.value for t in res.study.trials if t.value is not None)
    # same command again: the study resumes from the journal, no new trial
    again = losslab.tune(None, x, y, n_trials=2, **kw)
    assert len(again.study.trials) == 2


@pytest.mark.slow
def test_tune_api_multiclass_equal_budget(tmp_path):
    x, y = multiclass_data(n=200)
    res = losslab.tune(
        None, x, y, losses=["sparse_categorical_crossentropy", "categorical_crossentropy"], n_trials=1,
        max_epochs=5, hidden=(8,), quiet=True, pruning=False, out=tmp_path / "run",
    )
    assert res.primary_metric == "log_loss"
    assert sorted(t.params["loss"] for t in res.study.trials) == ["categorical_crossentropy", "sparse_categorical_crossentropy"]
    assert set(res.best) == {"categorical_crossentropy", "sparse_categorical_crossentropy"}
    assert res.study.direction.name == "MINIMIZE"


@pytest.mark.slow
def test_tune_cli_binary(tmp_path, capsys):
    rng = np.random.default_rng(4)
    x = rng.normal(size=(300, 6))
    logit = x @ np.array([2.0, -1.0, 1.0, 0.0, 0.0, 0.5])
    y = (rng.random(300) < 1 / (1 + np.exp(-logit))).astype(int)
    path = tmp_path / "bin.csv"
    table(x, y).to_csv(path, index=False)
    out = tmp_path / "run"
    code = main(["tune", str(path), "-t", "y", "-l", "bce:label_smoothing=0", "-n", "2", "--max-epochs", "10",
                 "--hidden", "8", "--goal", "ranking", "--out", str(out), "--json"])
    assert code == 0
    doc = json.loads(capsys.readouterr().out)
    assert doc["primary_metric"] == "roc_auc" and doc["direction"] == "max"
    best = doc["best"]["binary_crossentropy"]
    split = np.load(out / "data" / "split.npz")
    # independent reference: ranking the validation rows by the true logit (the planted
    # model); the tuned network's validation AUC must come close to it
    oracle = roc_auc_score(y[split["idx_val"]], logit[split["idx_val"]])
    assert oracle - 0.1 < best["value"] <= 1.0, (best["value"], oracle)
    # the reported test AUC is what scikit-learn computes from the stored test predictions
    with np.load(out / "trials" / f"tune-{best['trial']:04d}.npz") as z:
        p_test = z["prediction"].reshape(len(split["idx_test"]), -1)[:, -1]
    assert roc_auc_score(y[split["idx_test"]], p_test) == pytest.approx(best["test_metrics"]["roc_auc"], rel=1e-6)
