"""Determinism and resumability: same seed and backend give the same leaderboard twice; a run
killed with SIGKILL resumes without retraining finished trials and ends with the leaderboard
of an uninterrupted run."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

import losslab
from losslab.experiment.store import RunDirectoryError
from tests.experiment._data import regression_data

# one worker computes the shared reference run (make test uses --dist loadgroup)
pytestmark = pytest.mark.xdist_group(name="experiment_resume")

SETTINGS = {"losses": ["mse", "mae"], "seeds": 2, "max_epochs": 8, "hidden": (16,), "quiet": True, "report": False}

SCRIPT = """
import sys, numpy as np, losslab
d = np.load(sys.argv[1])
losslab.compare(None, d["x"], d["y"], losses=["mse", "mae"], seeds=2, max_epochs=8, hidden=(16,),
                quiet=True, report=False, out=sys.argv[2])
"""


@pytest.fixture(scope="session")
def data():
    return regression_data(n=200, outliers=0.05, seed=3)


@pytest.fixture(scope="session")  # session: computed once even if other modules interleave
def reference_run(data, tmp_path_factory):
    x, y = data
    return losslab.compare(None, x, y, out=tmp_path_factory.mktemp("ref") / "run", **SETTINGS)


def _lines(path: Path) -> int:
    try:
        return path.read_bytes().count(b"\n")
    except FileNotFoundError:
        return 0


@pytest.mark.slow
def test_same_seed_same_leaderboard(data, reference_run, tmp_path):
    x, y = data
    again = losslab.compare(None, x, y, out=tmp_path / "again", **SETTINGS)
    assert again.rows == reference_run.rows
    assert [r["metrics"] for r in again.records] == [r["metrics"] for r in reference_run.records]


@pytest.mark.slow
def test_kill_9_then_resume_equals_uninterrupted(data, reference_run, tmp_path):
    x, y = data
    np.savez(tmp_path / "data.npz", x=x, y=y)
    out = tmp_path / "killed"
    proc = subprocess.Popen(
        [sys.executable, "-c", SCRIPT, str(tmp_path / "data.npz"), str(out)],
        env={**os.environ, "KERAS_BACKEND": os.environ.get("KERAS_BACKEND", "jax")},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 240
    try:
        while _lines(out / "trials.jsonl") < 1:
            assert proc.poll() is None, "the run ended before it could be killed"
            assert time.monotonic() < deadline, "no trial finished in time"
            time.sleep(0.05)
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait()
    assert proc.returncode == -signal.SIGKILL
    before = {json.loads(line)["trial_id"]: json.loads(line) for line in (out / "trials.jsonl").read_text().splitlines() if line.endswith("}")}
    assert 1 <= len(before) < 4

    resumed = losslab.compare(None, x, y, out=out, **SETTINGS)
    after = {r["trial_id"]: r for r in resumed.records}
    assert len(after) == 4
    for tid, rec in before.items():  # not retrained: the stored record is untouched
        assert after[tid]["finished"] == rec["finished"] and after[tid]["seconds"] == rec["seconds"]
    assert _lines(out / "trials.jsonl") == 4
    assert resumed.rows == reference_run.rows


def test_other_config_in_same_directory_is_refused(data, reference_run):
    x, y = data
    manifest = (reference_run.run_dir / "manifest.json").read_text()
    with pytest.raises(RunDirectoryError, match=r"another configuration \(different: candidates"):
        losslab.compare(None, x, y, out=reference_run.run_dir, **{**SETTINGS, "losses": ["mse", "huber"]})
    with pytest.raises(RunDirectoryError, match="different data"):
        losslab.compare(None, x, y + 1.0, out=reference_run.run_dir, **SETTINGS)
    assert (reference_run.run_dir / "manifest.json").read_text() == manifest
    assert _lines(reference_run.run_dir / "trials.jsonl") == 4


def test_results_reload_from_the_run_directory(reference_run):
    loaded = losslab.experiment.Results.load(reference_run.run_dir)
    assert loaded.rows == reference_run.rows
    assert loaded.leaderboard.equals(reference_run.leaderboard)
    m = json.loads((reference_run.run_dir / "manifest.json").read_text())
    assert m["environment"]["backend"] == os.environ.get("KERAS_BACKEND", "jax")
    assert m["data"]["fingerprint"].startswith("sha256:") and m["format_version"] == 1
