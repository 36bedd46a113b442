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

# the sequential engine stores one trial at a time, so a kill lands between trials (the fused
# engine stores a whole chunk at once: its interruption test is in test_fused.py)
SETTINGS = {"losses": ["mse", "mae"], "seeds": 2, "max_epochs": 5, "hidden": (16,), "quiet": True, "report": False, "engine": "sequential"}

SCRIPT = """
import sys, numpy as np, losslab
d = np.load(sys.argv[1])
losslab.compare(None, d["x"], d["y"], losses=["mse", "mae"], seeds=2, max_epochs=5, hidden=(16,),
                quiet=True, report=False, out=sys.argv[2], engine="sequential")
"""


def _lines(path: Path) -> int:
    try:
        return path.read_bytes().count(b"\n")
    except FileNotFoundError:
        return 0


@pytest.mark.slow
def test_determinism_kill_9_resume_and_refusal(tmp_path):
    """One test (the runs are shared): two uninterrupted runs agree; a run killed with SIGKILL
    and resumed agrees with them without retraining its finished trials; another config or
    other data in the same directory is refused and leaves it untouched; results reload."""
    x, y = regression_data(n=200, outliers=0.05, seed=3)
    reference = losslab.compare(None, x, y, out=tmp_path / "ref", **SETTINGS)

    # determinism: same seed and backend, the same leaderboard and metrics twice
    again = losslab.compare(None, x, y, out=tmp_path / "again", **SETTINGS)
    assert again.rows == reference.rows
    assert [r["metrics"] for r in again.records] == [r["metrics"] for r in reference.records]

    # kill -9 after the first finished trial, then resume
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
    lines = (out / "trials.jsonl").read_text().splitlines()
    before = {json.loads(line)["trial_id"]: json.loads(line) for line in lines if line.endswith("}")}
    assert 1 <= len(before) < 4

    resumed = losslab.compare(None, x, y, out=out, **SETTINGS)
    after = {r["trial_id"]: r for r in resumed.records}
    assert len(after) == 4
    for tid, rec in before.items():  # not retrained: the stored record is untouched
        assert after[tid]["finished"] == rec["finished"] and after[tid]["seconds"] == rec["seconds"]
    assert _lines(out / "trials.jsonl") == 4
    assert resumed.rows == reference.rows

    # another configuration or other data in the same directory: refused, nothing written
    manifest = (reference.run_dir / "manifest.json").read_text()
    with pytest.raises(RunDirectoryError, match=r"another configuration \(different: candidates"):
        losslab.compare(None, x, y, out=reference.run_dir, **{**SETTINGS, "losses": ["mse", "huber"]})
    with pytest.raises(RunDirectoryError, match="different data"):
        losslab.compare(None, x, y + 1.0, out=reference.run_dir, **SETTINGS)
    assert (reference.run_dir / "manifest.json").read_text() == manifest
    assert _lines(reference.run_dir / "trials.jsonl") == 4

    # the results reload from the run directory alone
    loaded = losslab.experiment.Results.load(reference.run_dir)
    assert loaded.rows == reference.rows
    assert loaded.leaderboard.equals(reference.leaderboard)
    m = json.loads((reference.run_dir / "manifest.json").read_text())
    assert m["environment"]["backend"] == os.environ.get("KERAS_BACKEND", "jax")
    assert m["data"]["fingerprint"].startswith("sha256:") and m["format_version"] == 1
