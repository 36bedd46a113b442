"""The MLflow export against a real tracking server (``mlflow server`` on a free loopback port,
sqlite backend, proxied artifacts; the ``server`` fixture of conftest.py)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.integrations.conftest import records

pytest.importorskip("mlflow")

pytestmark = pytest.mark.slow


def test_export_to_a_tracking_server(server: str, run_dir: Path, tmp_path: Path) -> None:
    from mlflow.tracking import MlflowClient

    from losslab.integrations import export_mlflow

    res = export_mlflow(run_dir, server, experiment="server-test")
    assert res.tracking_uri == server and res.finished
    client = MlflowClient(server)
    runs = client.search_runs([res.experiment_id])
    trials = {
        r.data.tags["losslab.trial_id"]: r
        for r in runs
        if r.data.tags.get("losslab.role") == "trial"
    }
    stored = {r["trial_id"]: r for r in records()}
    assert set(trials) == set(stored)
    for tid, run in trials.items():
        hist = sorted(client.get_metric_history(run.info.run_id, "val_loss"), key=lambda m: m.step)
        want = [v for v in stored[tid]["history"]["val_loss"]]
        assert [m.step for m in hist] == list(range(len(want)))
        assert [m.value for m in hist if m.value == m.value] == pytest.approx(
            [v for v in want if v is not None]
        )
    parent = client.get_run(res.parent_run_id)
    assert parent.data.params["data.fingerprint"] == "sha256:" + "ab" * 32
    # the report went through the server's artifact proxy and comes back byte for byte
    local = client.download_artifacts(res.parent_run_id, "report.html", str(tmp_path))
    assert Path(local).read_bytes() == (run_dir / "report.html").read_bytes()
    table = client.download_artifacts(res.parent_run_id, "leaderboard-4-trials.json", str(tmp_path))
    assert "huber:delta=2" in Path(table).read_text()

    again = export_mlflow(run_dir, server, experiment="server-test")
    assert again.logged == [] and len(again.skipped) == 4
    assert len(client.search_runs([res.experiment_id])) == 5  # one parent, four trials
