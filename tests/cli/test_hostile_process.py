"""Hostile cases that need a real process: Ctrl-C (SIGINT), ``kill -9`` and a second writer
on the same run directory. Each starts ``losslab`` in a subprocess with this checkout's
sources first on the path.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from losslab.cli.app import main
from tests.cli._hostile_workspace import write_tables

pytestmark = pytest.mark.slow

SRC = str(Path(__file__).resolve().parents[2] / "src")


def start(args: list[str], cwd: Path) -> subprocess.Popen[str]:
    env = {**os.environ, "PYTHONPATH": SRC + os.pathsep + os.environ.get("PYTHONPATH", "")}
    env.setdefault("KERAS_BACKEND", "jax")
    code = "from losslab.cli.app import main; main()"
    return subprocess.Popen(
        [sys.executable, "-c", code, *args],
        cwd=cwd,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        # a background job inherits an ignored SIGINT; a terminal user's process does not
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
    )


def wait_for(cond, proc: subprocess.Popen[str], timeout: float = 120.0) -> None:
    end = time.monotonic() + timeout
    while not cond():
        if proc.poll() is not None:
            out, err = proc.communicate()
            pytest.fail(f"the process ended early ({proc.returncode}):\n{err[-3000:]}")
        if time.monotonic() > end:
            proc.kill()
            pytest.fail("timed out waiting for the process")
        time.sleep(0.1)


def n_lines(path: Path) -> int:
    return path.read_bytes().count(b"\n") if path.exists() else 0


LONG = ["compare", "reg.csv", "-t", "y", "-l", "mse,mae,huber", "--seeds", "3",
        "--max-epochs", "300", "--no-early-stopping", "-q", "--no-report"]  # fmt: skip


def test_ctrl_c_prints_one_line_and_exits_130(tmp_path: Path) -> None:
    write_tables(tmp_path)
    proc = start([*LONG, "--out", "run"], tmp_path)
    wait_for(lambda: (tmp_path / "run" / "manifest.json").exists(), proc)
    time.sleep(1.0)
    proc.send_signal(signal.SIGINT)
    _out, err = proc.communicate(timeout=120)
    assert proc.returncode == 130, err
    assert "Traceback" not in err, err
    errors = [ln for ln in err.splitlines() if ln.startswith("Error:")]
    assert errors == ["Error: Interrupted (Ctrl-C). Re-running the same command resumes a run."]


def test_second_writer_is_refused_and_kill_9_frees_the_lock(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    write_tables(tmp_path)
    args = [*LONG, "--out", "run"]
    proc = start(args, tmp_path)
    wait_for(lambda: (tmp_path / "run" / "manifest.json").exists(), proc)
    monkeypatch.chdir(tmp_path)
    capsys.readouterr()
    assert main(args) == 2
    err = capsys.readouterr().err
    assert "Traceback" not in err
    (line,) = [ln for ln in err.splitlines() if ln.startswith("Error:")]
    assert f"is in use by pid {proc.pid} on " in line and "another --out" in line
    assert n_lines(tmp_path / "run" / "trials.jsonl") <= 9  # the refused writer trained nothing
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=60)
    # the lock died with its process: a resume (shorter, same config) is not refused by it
    from losslab.experiment.lock import RunLock

    with RunLock(tmp_path / "run"):
        pass


def _study(run: Path):
    import optuna
    from optuna.storages import JournalStorage
    from optuna.storages.journal import JournalFileBackend

    storage = JournalStorage(JournalFileBackend(str(run / "tune" / "journal.log")))
    return optuna.load_study(study_name="losslab-tune", storage=storage)


def _configs(study) -> list[tuple]:
    """The configurations of the trials that ran to the end (the interrupted one excluded)."""
    from optuna.trial import TrialState

    return [
        tuple(sorted(t.params.items()))
        for t in study.get_trials(deepcopy=False)
        if t.state is TrialState.COMPLETE
    ]


def test_tune_killed_with_sigkill_resumes_like_an_uninterrupted_study(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """kill -9 in the middle of a study, resume: no configuration repeats, the same number of
    complete trials and the same configurations and best as a study that was never killed
    (the sampler is seeded from (seed, trials asked), so it does not restart from its seed;
    the trial cut short is redone with its own parameters)."""
    write_tables(tmp_path)
    tune = ["tune", "reg.csv", "-t", "y", "-l", "huber,mse", "-n", "4", "--max-epochs", "15",
            "--no-pruning", "-q", "--no-report"]  # fmt: skip
    monkeypatch.chdir(tmp_path)
    assert main([*tune, "--out", "whole"]) == 0
    proc = start([*tune, "--out", "killed"], tmp_path)
    wait_for(lambda: n_lines(tmp_path / "killed" / "trials.jsonl") >= 3, proc, timeout=300)
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=60)
    assert main([*tune, "--out", "killed"]) == 0
    whole, killed = _study(tmp_path / "whole"), _study(tmp_path / "killed")
    configs = _configs(killed)
    assert len(configs) == len(set(configs)) == 8  # nothing repeated, full budget
    assert sorted(configs) == sorted(_configs(whole))
    assert killed.best_params == whole.best_params
    assert killed.best_value == pytest.approx(whole.best_value, rel=1e-5)
    redone = [t for t in killed.get_trials(deepcopy=False) if "retry_of" in t.user_attrs]
    cut = [t for t in killed.get_trials(deepcopy=False) if t.user_attrs.get("interrupted")]
    assert len(redone) == len(cut)
    for t in redone:
        assert t.params == killed.trials[t.user_attrs["retry_of"]].params


def test_fit_and_predict_with_a_string_column_print_no_tensorflow_log_lines(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A model reading a string column predicts on the TensorFlow backend, whose C++ start-up
    lines (Abseil's "All log messages before absl::InitializeLog() ...", oneDNN's notice)
    bypass TF_CPP_MIN_LOG_LEVEL: the terminal must show none of them, only the result."""
    import numpy as np
    import pandas as pd

    rng = np.random.default_rng(0)
    c, x = rng.choice(["a", "b", "c"], 200), rng.normal(size=200)
    pd.DataFrame({"x": x, "c": c, "y": x + (c == "a")}).to_csv(tmp_path / "s.csv", index=False)
    monkeypatch.chdir(tmp_path)
    fit = start(["fit", "s.csv", "-t", "y", "--epochs", "1", "--out", "fitted", "-q"], tmp_path)
    _, fit_err = fit.communicate(timeout=300)
    assert fit.returncode == 0, fit_err
    assert fit_err == "", fit_err  # fit saves and exports without TensorFlow's lines too
    proc = start(["predict", "fitted", "s.csv", "-o", "p.csv"], tmp_path)
    out, err = proc.communicate(timeout=300)
    assert proc.returncode == 0, err
    assert err == "", err  # no absl / oneDNN / cpu_feature_guard line
    assert "predictions: p.csv (200 rows)" in out
    assert len(pd.read_csv(tmp_path / "p.csv")) == 200
