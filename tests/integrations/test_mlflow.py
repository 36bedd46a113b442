"""MLflow export of a stored run, read back with MlflowClient: a local sqlite:/// store here,
a real tracking server in test_mlflow_server.py."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import pytest

from tests.integrations.conftest import CONFIG, EVENT, record, records, write_run

mlflow = pytest.importorskip("mlflow")

from losslab.errors import DataError  # noqa: E402
from losslab.integrations import export_mlflow  # noqa: E402


@pytest.fixture(scope="module")
def store_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("mlflow")  # one database: creating its tables takes seconds


@pytest.fixture
def uri(store_dir: Path, request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    """The shared sqlite store; each test logs into an experiment of its own, named through
    LOSSLAB_MLFLOW_EXPERIMENT."""
    monkeypatch.chdir(store_dir)  # MLflow's default artifact root (./mlruns) goes here
    monkeypatch.setenv("LOSSLAB_MLFLOW_EXPERIMENT", request.node.name)
    return f"sqlite:///{store_dir / 'mlflow.db'}"


def _runs(uri: str, experiment_id: str) -> list[Any]:
    from mlflow.tracking import MlflowClient

    return MlflowClient(uri).search_runs([experiment_id], max_results=1000)


def _trials(uri: str, experiment_id: str) -> dict[str, Any]:
    runs = [r for r in _runs(uri, experiment_id) if r.data.tags.get("losslab.role") == "trial"]
    ids = [r.data.tags["losslab.trial_id"] for r in runs]
    assert len(ids) == len(set(ids)), f"duplicate trial runs: {sorted(ids)}"
    return {r.data.tags["losslab.trial_id"]: r for r in runs}


def test_parent_and_nested_trial_runs(run_dir: Path, uri: str) -> None:
    from mlflow.tracking import MlflowClient

    res = export_mlflow(run_dir, uri, experiment="losses")
    client = MlflowClient(uri)
    assert (
        client.get_experiment(res.experiment_id).name == "losses"
    )  # the argument wins over the env
    parent = client.get_run(res.parent_run_id)
    stored = {r["trial_id"]: r for r in records()}
    assert sorted(res.logged) == sorted(stored) and res.skipped == [] and res.finished

    # the parent: config, data fingerprint, task reasons, best value, artifacts
    p = parent.data.params
    assert p["kind"] == "compare" and p["task"] == "regression" and p["primary_metric"] == "rmse"
    assert p["candidates"] == "mse, huber:delta=2" and p["seeds"] == "[0, 1]"
    assert p["data.fingerprint"] == "sha256:" + "ab" * 32 and p["training.learning_rate"] == "0.003"
    assert p["training.early_stopping.patience"] == "3" and p["model.hidden"] == "[8]"
    assert (
        parent.data.tags["losslab.task_reasons"]
        == "the target holds real values\ngiven by the user"
    )
    assert (
        parent.data.tags["losslab.best"] == "huber:delta=2"
        and parent.data.metrics["best_rmse"] == 0.58
    )
    assert parent.info.status == "FINISHED"
    arts = {a.path for a in client.list_artifacts(res.parent_run_id)}
    assert {
        "report.html",
        "leaderboard.json",
        "leaderboard.csv",
        "manifest.json",
        "leaderboard-4-trials.json",
    } <= arts
    local = client.download_artifacts(res.parent_run_id, "report.html", str(run_dir.parent))
    assert Path(local).read_text() == (run_dir / "report.html").read_text()

    # one nested run per stored trial, named by its trial id
    trials = _trials(uri, res.experiment_id)
    assert set(trials) == set(stored)
    for tid, run in trials.items():
        rec = stored[tid]
        assert run.data.tags["mlflow.parentRunId"] == res.parent_run_id and run.info.run_name == tid
        assert run.data.params["loss"] == rec["loss"] and run.data.params["seed"] == str(
            rec["seed"]
        )
        assert run.data.params["learning_rate"] == "0.003" and run.data.params["batch_size"] == "32"
        for key in ("loss", "val_loss"):  # per-epoch curves, step = epoch - 1
            hist = client.get_metric_history(run.info.run_id, key)
            got = [(m.step, m.value) for m in sorted(hist, key=lambda m: m.step)]
            want = [
                (i, float("nan") if v is None else v) for i, v in enumerate(rec["history"][key])
            ]
            assert [s for s, _ in got] == [s for s, _ in want]
            assert all(
                (math.isnan(a) and math.isnan(b)) or a == pytest.approx(b)
                for (_, a), (_, b) in zip(got, want, strict=True)
            )
        assert run.data.metrics["epochs_run"] == rec["epochs_run"]
    assert trials["huber-delta=2--seed0"].data.params["loss.delta"] == "2.0"
    ok = trials["mse--seed0"]
    assert (
        ok.info.status == "FINISHED"
        and ok.data.metrics["test_rmse"] == 0.61
        and ok.data.metrics["best_epoch"] == 3
    )
    assert (
        ok.data.metrics["val_rmse"] == pytest.approx(0.71)
        and ok.data.tags["losslab.warnings"] == "0"
    )
    nan = trials["huber-delta=2--seed1"]
    assert nan.info.status == "FAILED" and nan.data.tags["losslab.status"] == "nan"
    assert (
        "test_rmse" not in nan.data.metrics and "NaN at epoch 2" in nan.data.tags["losslab.error"]
    )
    warned = trials["huber-delta=2--seed0"].data.tags
    assert warned["losslab.warnings"] == "1" and EVENT["message"] in warned["losslab.warning.0"]
    assert warned["losslab.warning.0"].startswith("explosion (divergence_guard, epoch 2)")


def test_export_again_and_resume_log_only_what_is_missing(tmp_path: Path, uri: str) -> None:
    run_dir = tmp_path / "run"
    store = write_run(run_dir, records()[:2], finished=False)
    first = export_mlflow(run_dir, uri)
    assert len(first.logged) == 2 and not first.finished
    assert _runs(uri, first.experiment_id)[0].info.status in ("RUNNING", "FINISHED")
    again = export_mlflow(run_dir, uri)
    assert again.logged == [] and sorted(again.skipped) == sorted(first.logged)
    assert again.parent_run_id == first.parent_run_id

    # the run is resumed: two more trials, then the leaderboard and report
    for r in records()[2:]:
        store.append(r)
    write_run(tmp_path / "scratch")  # (a finished copy, for its leaderboard and report files)
    for name in ("leaderboard.json", "leaderboard.csv", "report.html"):
        (run_dir / name).write_bytes((tmp_path / "scratch" / name).read_bytes())
    resumed = export_mlflow(run_dir, uri)
    assert sorted(resumed.logged) == ["huber-delta=2--seed1", "mse--seed1"] and resumed.finished
    assert resumed.parent_run_id == first.parent_run_id
    assert len(_trials(uri, first.experiment_id)) == 4
    parents = [
        r
        for r in _runs(uri, first.experiment_id)
        if r.data.tags.get("losslab.role") == "experiment"
    ]
    assert [r.info.run_id for r in parents] == [first.parent_run_id]
    assert parents[0].info.status == "FINISHED" and parents[0].data.metrics["best_rmse"] == 0.58


def test_a_trial_run_left_unfinished_is_logged_again(run_dir: Path, uri: str) -> None:
    from mlflow.tracking import MlflowClient

    res = export_mlflow(run_dir, uri)
    client = MlflowClient(uri)
    trials = _trials(uri, res.experiment_id)
    # an export killed while logging a trial leaves its MLflow run RUNNING and incomplete
    broken = trials["mse--seed1"]
    client.update_run(broken.info.run_id, status="RUNNING")
    again = export_mlflow(run_dir, uri)
    assert again.logged == ["mse--seed1"]
    now = _trials(uri, res.experiment_id)
    assert len(now) == 4 and now["mse--seed1"].info.run_id != broken.info.run_id
    assert now["mse--seed1"].info.status == "FINISHED"


def test_another_run_gets_its_own_parent(tmp_path: Path, uri: str) -> None:
    a = export_mlflow(write_run(tmp_path / "a").path, uri)
    other = {**CONFIG, "seeds": [0]}
    b_dir = tmp_path / "b"
    write_run(
        b_dir,
        [record(CONFIG["candidates"][0], 0, loss=[1.0], val_loss=[1.0], rmse=1.0)],
        config=other,
    )
    b = export_mlflow(b_dir, uri)
    assert a.parent_run_id != b.parent_run_id and b.logged == ["mse--seed0"]  # same id, other run
    runs = [r for r in _runs(uri, a.experiment_id) if r.data.tags.get("losslab.role") == "trial"]
    parents = [r.data.tags["mlflow.parentRunId"] for r in runs]
    assert parents.count(a.parent_run_id) == 4 and parents.count(b.parent_run_id) == 1


def test_on_trial_extension_point(run_dir: Path, uri: str) -> None:
    seen: list[str] = []

    def log_model(client: Any, run_id: str, rec: dict[str, Any], path: Path) -> None:
        assert path == run_dir
        client.set_tag(run_id, "model", f"models/{rec['trial_id']}.keras")
        seen.append(rec["trial_id"])

    res = export_mlflow(run_dir, uri, on_trial=log_model)
    assert sorted(seen) == sorted(res.logged)
    assert all(
        r.data.tags["model"].endswith(".keras") for r in _trials(uri, res.experiment_id).values()
    )


def test_not_a_run_directory(tmp_path: Path, uri: str) -> None:
    with pytest.raises(DataError, match="No losslab run in .*manifest.json missing"):
        export_mlflow(tmp_path, uri)


def test_bad_mlflow_option() -> None:
    from losslab.errors import InvalidParameterError
    from losslab.integrations.mlflow_tracking import resolve_uri

    with pytest.raises(
        InvalidParameterError, match=r"mlflow must be a tracking URI .* Received: mlflow=3"
    ):
        resolve_uri(3)  # type: ignore[arg-type]
