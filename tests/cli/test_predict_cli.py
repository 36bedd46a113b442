"""``losslab refit`` / ``losslab predict`` / ``losslab.load`` on a small numeric run: the
model directory and its card, predictions that match the trials and the judge metrics
(scikit-learn as the oracle), and user mistakes as one line with exit code 2."""

from __future__ import annotations

import json
import statistics
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from sklearn.metrics import mean_squared_error

import losslab
from losslab.cli import main
from losslab.experiment.store import RunStore

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def table() -> pd.DataFrame:
    rng = np.random.default_rng(3)
    df = pd.DataFrame(rng.normal(size=(200, 3)), columns=["u", "v", "w"])
    df.insert(0, "row_id", np.arange(200))
    df["y"] = 3.0 * df.u - df.v + 0.1 * rng.normal(size=200) + 10.0
    return df


@pytest.fixture(scope="module")
def run_dir(table: pd.DataFrame, tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("cli") / "run"
    losslab.compare(
        None,
        table.drop(columns="row_id"),
        target="y",
        losses=["huber", "mse"],
        seeds=2,
        max_epochs=6,
        quiet=True,
        report=False,
        out=out,
    )
    assert main(["refit", str(out)]) == 0
    return out


def test_refit_writes_model_dir_and_card(run_dir: Path) -> None:
    files = sorted(p.name for p in (run_dir / "model").iterdir())
    assert files == ["card.json", "card.md", "model.keras"]
    card = json.loads((run_dir / "model" / "card.json").read_text())
    winner = losslab.load(run_dir).best
    recs = [r for r in RunStore(run_dir).records() if r["label"] == winner]
    assert card["candidate"]["label"] == winner
    assert card["refit"]["epochs"] == max(
        1, round(statistics.median(r["best_epoch"] or r["epochs_run"] for r in recs))
    )
    assert card["refit"]["rows"] == 160  # train + validation rows of 200 (20% test)
    assert card["data"]["fingerprint"].startswith("sha256:")
    assert (
        card["judge_metrics"]["primary_metric"] == "rmse"
        and card["judge_metrics"]["ci_low"] is not None
    )
    assert [c["name"] for c in card["columns"]["numeric"]] == ["u", "v", "w"]


def test_predict_cli_on_test_rows_matches_card_metrics(
    run_dir: Path, table: pd.DataFrame, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    idx = RunStore(run_dir).load_prepared().idx_test
    test = table.iloc[idx]
    src, out = tmp_path / "test.csv", tmp_path / "preds.parquet"
    test.to_csv(src, index=False)
    assert main(["predict", str(run_dir), str(src), "-o", str(out), "--id", "row_id"]) == 0
    printed = capsys.readouterr()
    preds = pd.read_parquet(out)
    assert list(preds.columns) == ["row_id", "prediction"]
    card = json.loads((run_dir / "model" / "card.json").read_text())
    rmse = mean_squared_error(test["y"], preds["prediction"]) ** 0.5
    assert rmse == pytest.approx(card["refit"]["test_metrics"]["rmse"], rel=1e-4)
    assert "judge metrics" in printed.out and "rmse" in printed.out
    assert "ignored" not in printed.err  # the id and the target are not extra columns
    api = losslab.load(run_dir).predict(test.drop(columns="y"))
    np.testing.assert_allclose(
        api["prediction"].to_numpy(), preds["prediction"].to_numpy(), rtol=1e-6
    )


def test_candidate_model_matches_stored_predictions(run_dir: Path, table: pd.DataFrame) -> None:
    run = losslab.load(run_dir)
    store = RunStore(run_dir)
    idx = store.load_prepared().idx_test
    for label in run.candidates:
        frame = run.predict(table.iloc[idx], label)
        bundle = run.bundle(label)
        tid = bundle.path.stem
        want = store.read_predictions(tid)["prediction"].reshape(-1)
        np.testing.assert_allclose(frame["prediction"].to_numpy(), want, rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda d: d.drop(columns=["v"]), "lacks the model's input column"),
        (lambda d: d.assign(u=["x"] + [1.0] * (len(d) - 1)), "must be numeric"),
    ],
)
def test_schema_errors_exit_2_with_one_line(
    run_dir, table, tmp_path, capsys, change, message
) -> None:
    src, out = tmp_path / "bad.csv", tmp_path / "preds.parquet"
    change(table.head(20)).to_csv(src, index=False)
    assert main(["predict", str(run_dir), str(src), "-o", str(out)]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("Error:") and message in err and len(err.splitlines()) == 1
    assert not out.exists() and list(tmp_path.iterdir()) == [src]


def test_predict_without_model_dir_and_no_models(
    table: pd.DataFrame, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "run"
    losslab.compare(
        None,
        table.drop(columns="row_id"),
        target="y",
        losses=["mse"],
        seeds=1,
        max_epochs=2,
        quiet=True,
        report=False,
        out=out,
        save_models=False,
    )
    assert not list((out / "trials").glob("*.keras"))
    src = tmp_path / "t.csv"
    table.head(5).to_csv(src, index=False)
    assert main(["predict", str(out), str(src), "-o", str(tmp_path / "p.csv")]) == 2
    assert "losslab refit" in capsys.readouterr().err
    assert main(["refit", str(out), "--candidate", "nope"]) == 2
    assert (
        main(["refit", str(out)]) == 0
    )  # the refit needs the initial weights, not the trial models
    assert (out / "model" / "model.keras").exists()


def test_compare_cli_refit_and_no_models(
    table: pd.DataFrame, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    src, out = tmp_path / "t.csv", tmp_path / "run"
    table.drop(columns="row_id").to_csv(src, index=False)
    args = ["compare", str(src), "-t", "y", "-l", "mse", "--seeds", "1", "--max-epochs", "2"]
    assert main([*args, "--out", str(out), "--refit", "--no-models", "--no-report", "-q"]) == 0
    assert "model: " in capsys.readouterr().out
    assert (out / "model" / "card.md").exists() and not list((out / "trials").glob("*.keras"))
