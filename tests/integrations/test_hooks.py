"""The hooks: ``mlflow=``/``tensorboard=`` of compare/run/tune, the CLI's ``--mlflow`` (env
``LOSSLAB_MLFLOW_URI``) / ``--tensorboard`` and the export commands; the tune journal read
with Optuna's public API as optuna-dashboard reads it."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import losslab
from losslab.cli import main
from losslab.integrations import export_after_run

pytest.importorskip("mlflow")


def _trial_runs(uri: str, experiment: str = "losslab") -> list:
    from mlflow.tracking import MlflowClient

    client = MlflowClient(uri)
    exp = client.get_experiment_by_name(experiment)
    runs = client.search_runs([exp.experiment_id], max_results=1000)
    return [r for r in runs if r.data.tags.get("losslab.role") == "trial"]


def test_no_option_no_export(run_dir: Path) -> None:
    assert export_after_run(run_dir) == {"mlflow": None, "tensorboard": None}


def test_a_failing_export_warns_and_keeps_the_run(
    run_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "tb").mkdir()
    (tmp_path / "tb" / "mse--seed0").mkdir()  # a directory that is not this run's trial
    done = export_after_run(run_dir, tensorboard=tmp_path / "tb", quiet=True)
    assert done["tensorboard"] is None
    err = capsys.readouterr().err
    assert err.startswith("Warning: the TensorBoard export failed (RunDirectoryError: ")
    assert f"retry with `losslab export-tensorboard {run_dir} {tmp_path / 'tb'}`" in err


@pytest.mark.slow
def test_export_commands(
    run_dir: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.chdir(tmp_path)
    uri = f"sqlite:///{tmp_path / 'mlflow.db'}"
    assert main(["export-mlflow", str(run_dir), "--uri", uri, "--experiment", "cli"]) == 0
    assert "4 trials logged, 0 already there" in capsys.readouterr().out
    monkeypatch.setenv("LOSSLAB_MLFLOW_URI", uri)
    assert main(["export-mlflow", str(run_dir), "--experiment", "cli"]) == 0
    assert "0 trials logged, 4 already there" in capsys.readouterr().out
    assert len(_trial_runs(uri, "cli")) == 4
    assert main(["export-tensorboard", str(run_dir), str(tmp_path / "tb")]) == 0
    assert "4 trials written" in capsys.readouterr().out
    assert main(["export-mlflow", str(tmp_path / "nothing")]) == 2
    assert "No losslab run in" in capsys.readouterr().err


def test_cli_options_are_listed(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("COLUMNS", "200")  # Rich wraps the help at the terminal width
    for command in ("compare", "run", "tune"):
        assert main([command, "--help"]) == 0
        out = capsys.readouterr().out
        assert "--mlflow" in out and "--tensorboard" in out and "LOSSLAB_MLFLOW_URI" in out


@pytest.mark.slow
def test_cli_run_then_api_resume_log_each_trial_once(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    rng = np.random.default_rng(0)
    x = rng.normal(size=(120, 3))
    pd.DataFrame(
        {"a": x[:, 0], "b": x[:, 1], "c": x[:, 2], "y": x @ [1.0, -2.0, 0.5] + rng.normal(size=120)}
    ).to_csv("t.csv", index=False)
    uri = f"sqlite:///{tmp_path / 'mlflow.db'}"
    monkeypatch.setenv("LOSSLAB_MLFLOW_URI", uri)
    args = [
        "compare",
        "t.csv",
        "-t",
        "y",
        "-l",
        "mse,huber",
        "--seeds",
        "2",
        "--max-epochs",
        "3",
        "--out",
        "run",
        "--quiet",
        "--no-report",
    ]
    assert main([*args, "--tensorboard", "tb"]) == 0
    runs = _trial_runs(uri)
    assert sorted(r.data.tags["losslab.trial_id"] for r in runs) == sorted(
        f"{c}--seed{s}" for c in ("mean_squared_error", "huber") for s in (0, 1)
    )
    assert sorted(p.name for p in (tmp_path / "tb").iterdir()) == sorted(
        r.data.tags["losslab.trial_id"] for r in runs
    )
    stored = {r["trial_id"]: r for r in losslab.experiment.Results.load("run").records}
    for r in runs:  # what MLflow holds is what the run directory holds
        assert r.data.metrics["test_rmse"] == pytest.approx(
            stored[r.data.tags["losslab.trial_id"]]["metrics"]["rmse"]
        )

    # the same comparison through the API resumes the run (nothing to train) and logs nothing twice
    monkeypatch.delenv("LOSSLAB_MLFLOW_URI")
    res = losslab.compare(
        None,
        "t.csv",
        target="y",
        losses="mse,huber",
        seeds=2,
        max_epochs=3,
        out="run",
        quiet=True,
        report=False,
        mlflow=uri,
        tensorboard="tb",
    )
    assert len(res.records) == 4 and len(_trial_runs(uri)) == 4


@pytest.mark.slow
def test_tune_exports_every_optuna_trial_and_the_journal_loads(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import optuna
    from optuna.storages import JournalStorage
    from optuna.storages.journal import JournalFileBackend

    monkeypatch.chdir(tmp_path)
    rng = np.random.default_rng(1)
    x = rng.normal(size=(120, 3))
    y = x @ [1.0, -2.0, 0.5] + rng.normal(size=120)
    uri = f"sqlite:///{tmp_path / 'mlflow.db'}"
    result = losslab.tune(
        None,
        x,
        y,
        losses=["mse", "huber"],
        n_trials=2,
        max_epochs=3,
        quiet=True,
        report=False,
        out="tune",
        mlflow=uri,
        tensorboard="tb",
    )

    # what optuna-dashboard does with the journal file: load the study through Optuna's public API
    storage = JournalStorage(JournalFileBackend(str(tmp_path / "tune" / "tune" / "journal.log")))
    assert optuna.get_all_study_names(storage) == ["losslab-tune"]
    study = optuna.load_study(study_name="losslab-tune", storage=storage)
    assert len(study.trials) == 4 and {t.params["loss"] for t in study.trials} == {
        "mean_squared_error",
        "huber",
    }
    assert result.study.best_value == pytest.approx(study.best_value)

    runs = {r.data.tags["losslab.trial_id"]: r for r in _trial_runs(uri)}
    assert sorted(runs) == [f"tune-{t.number:04d}" for t in study.trials]  # pruned trials too
    for t in study.trials:
        run = runs[f"tune-{t.number:04d}"]
        assert float(run.data.params["learning_rate"]) == pytest.approx(t.params["learning_rate"])
        assert int(run.data.params["batch_size"]) == t.params["batch_size"]
        if t.state == optuna.trial.TrialState.COMPLETE:
            assert (
                run.data.metrics["val_rmse"] == pytest.approx(t.value)
                and run.info.status == "FINISHED"
            )
        else:
            assert run.info.status in ("KILLED", "FAILED")
    assert (tmp_path / "tb" / "tune-0000" / "validation").is_dir()
