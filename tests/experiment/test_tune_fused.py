"""``tune`` on the fused engine: Optuna's asked trials trained as one JAX program per batch
(grouped by batch size and loss parameters, learning rates per member), pruned live.

The oracle for the values is the sequential engine (one Keras ``fit`` per trial), run
unshuffled on both sides so the batch order is the same."""

from __future__ import annotations

import dataclasses
import json
import math
import re
from typing import Any

import numpy as np
import pytest

import losslab
from losslab.experiment.engine import LocalEngine
from losslab.experiment.fused import FusedEngine

keras = pytest.importorskip("keras")
pytestmark = pytest.mark.skipif(keras.backend.backend() != "jax", reason="the fused engine runs under JAX only")

TINY = {"hidden": (8,), "quiet": True, "report": False}


def _data(n: int = 160) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(0)
    x = rng.normal(size=(n, 3))
    return x, x @ np.array([1.0, -2.0, 0.5]) + 0.1 * rng.normal(size=n)


def _records(run_dir: Any) -> dict[str, dict]:
    lines = (run_dir / "trials.jsonl").read_text(encoding="utf-8").splitlines()
    return {r["trial_id"]: r for r in map(json.loads, lines)}


class _Unshuffled(LocalEngine):
    """The sequential engine with ``fit(shuffle=False)`` (the fused side runs with
    ``FusedEngine(shuffle=False)``)."""

    def map(self, fn: Any, tasks: Any) -> Any:
        for t in tasks:
            yield fn(dataclasses.replace(t, training={**t.training, "shuffle": False}))


def test_fused_tune_chooses_the_sequential_best_trial(tmp_path):
    """Same asked trials (same batch width), each trained fused and with its own Keras
    ``fit``: the told values agree within float32 tolerance and the best trial is the same."""
    x, y = _data()
    kw = dict(losses=["mse", "huber"], n_trials=3, max_epochs=5, pruning=False, trials_per_batch=3,
              learning_rate=(1e-3, 1e-1), batch_sizes=(32,), **TINY)
    eng = FusedEngine(shuffle=False)
    fused = losslab.tune(None, x, y, engine=eng, out=tmp_path / "f", **kw)
    seq = losslab.tune(None, x, y, engine=_Unshuffled(), out=tmp_path / "s", **kw)
    assert eng.fallbacks == {} and eng.chunks >= 1
    a, b = fused.study.trials, seq.study.trials
    assert [t.params for t in a] == [t.params for t in b]
    # several learning rates and huber deltas in one program: at least one group holds two members
    assert len({t.params["learning_rate"] for t in a}) == len(a)
    for ta, tb in zip(a, b, strict=True):
        assert ta.state.name == tb.state.name == "COMPLETE"
        assert ta.value == pytest.approx(tb.value, rel=2e-3, abs=1e-4), ta.number
        assert len(ta.intermediate_values) == len(tb.intermediate_values)
    assert fused.study.best_trial.number == seq.study.best_trial.number
    assert {k: v["trial"] for k, v in fused.best.items()} == {k: v["trial"] for k, v in seq.best.items()}


def test_pruning_stops_members_inside_a_fused_batch(tmp_path):
    x, y = _data()
    eng = FusedEngine()
    res = losslab.tune(None, x, y, losses=["mse", "huber"], n_trials=6, max_epochs=8, trials_per_batch=4,
                       learning_rate=(1e-4, 1e-1), engine=eng, out=tmp_path / "run", **TINY)
    assert eng.fallbacks == {}  # every trial trained in a fused program
    trials = res.study.trials
    pruned = [t for t in trials if t.state.name == "PRUNED"]
    complete = [t for t in trials if t.state.name == "COMPLETE"]
    assert pruned and complete and len(pruned) + len(complete) == len(trials) == 12
    recs = _records(tmp_path / "run")
    for t in pruned:  # stopped before the epoch cap, told PRUNED, not stored (as in process)
        assert 0 < len(t.intermediate_values) < 8
        assert t.user_attrs["epochs_run"] == len(t.intermediate_values)
        assert f"tune-{t.number:04d}" not in recs
    for t in complete:  # the values reported live are the stored per-epoch judge metric
        rec = recs[f"tune-{t.number:04d}"]
        assert [t.intermediate_values[i] for i in range(rec["epochs_run"])] == pytest.approx(rec["history"]["val_judge"])
        assert t.value == pytest.approx(rec["val_metrics"]["rmse"], rel=1e-9)
        assert math.isfinite(t.value)
    cfg = json.loads((tmp_path / "run" / "manifest.json").read_text())["config"]["tune"]
    assert cfg["pruning_mode"].startswith("live")


class _FusedStopsAfterFirst(FusedEngine):
    """A fused engine whose run is interrupted after the first finished trial."""

    def map(self, fn: Any, tasks: Any, *, epoch_end: Any = None) -> Any:
        for rec in super().map(fn, tasks, epoch_end=epoch_end):
            yield rec
            raise RuntimeError("engine lost")


def test_a_resumed_fused_tune_does_not_redo_finished_trials(tmp_path):
    x, y = _data(120)
    kw = dict(losses=["mse"], n_trials=3, max_epochs=3, trials_per_batch=2, out=tmp_path / "run", **TINY)
    with pytest.raises(RuntimeError, match="engine lost"):
        losslab.tune(None, x, y, engine=_FusedStopsAfterFirst(), **kw)
    first = _records(tmp_path / "run")
    assert list(first) == ["tune-0000"]
    res = losslab.tune(None, x, y, engine=FusedEngine(), **kw)
    states = [(t.number, t.state.name, bool(t.user_attrs.get("interrupted"))) for t in res.study.trials]
    # trial 1 was cut short: failed and interrupted, redone with its parameters; trial 0 is kept
    assert states[:2] == [(0, "COMPLETE", False), (1, "FAIL", True)]
    done = [n for n, s, _ in states if s in ("COMPLETE", "PRUNED")]
    assert len(done) == 3 and len(states) == 4
    redo = res.study.trials[2]
    assert redo.user_attrs["retry_of"] == 1 and redo.params == res.study.trials[1].params
    recs = _records(tmp_path / "run")
    assert sorted(recs) == [f"tune-{n:04d}" for n, s, _ in states if s == "COMPLETE"]
    assert recs["tune-0000"] == first["tune-0000"]  # not trained or stored again
    # resuming the finished study trains nothing more
    again = losslab.tune(None, x, y, engine=FusedEngine(), **kw)
    assert len(again.study.trials) == 4 and _records(tmp_path / "run") == recs


class _Capture:
    """An engine that records the tasks and runs nothing (sets the run directory up)."""

    def __init__(self) -> None:
        self.tasks: list[Any] = []

    def map(self, fn: Any, tasks: Any) -> Any:
        self.tasks = list(tasks)
        return iter([])


@pytest.mark.filterwarnings("ignore:Early stopping conditioned on metric")  # val_judge is written after EarlyStopping reads the logs
def test_the_epoch_end_hook_also_stops_a_sequential_fallback(tmp_path):
    """A task the fused program cannot serve (here an EarlyStopping monitor it does not log)
    runs through one Keras fit with the hook as a callback: the message names the cause and
    the hook stops the trial where it said so."""
    import functools

    from losslab.experiment.trial import run_trial

    x, y = _data(120)
    cap = _Capture()
    losslab.compare(None, x, y, losses=["mse"], seeds=1, max_epochs=6, out=tmp_path / "run", engine=cap, **TINY)
    es = {**cap.tasks[0].training["early_stopping"], "monitor": "val_judge", "mode": "min"}
    task = dataclasses.replace(cap.tasks[0], training={**cap.tasks[0].training, "early_stopping": es})
    seen: list[tuple[str, int, float]] = []

    def hook(trial_id: str, epoch: int, logs: dict) -> bool:
        seen.append((trial_id, epoch, logs["val_judge"]))
        return epoch == 1

    eng = FusedEngine()
    (rec,) = eng.map(functools.partial(run_trial, judge_each_epoch="val_judge"), [task], epoch_end=hook)
    assert "EarlyStopping monitors 'val_judge'" in eng.fallbacks[task.trial_id]
    assert [(t, e) for t, e, _ in seen] == [(task.trial_id, 0), (task.trial_id, 1)]
    assert rec.epochs_run == 2 and [v for _, _, v in seen] == pytest.approx(rec.history["val_judge"])


def test_tune_defaults_to_the_fused_engine_under_jax(tmp_path):
    """No engine under JAX: batches of ``FusedEngine.for_tune()``'s width, pruned live;
    ``engine="sequential"`` is the in-process loop (no batch width in the config)."""
    from losslab.experiment.fused.engine import TUNE_FAST_COMPILE_WORK, TUNE_PARALLELISM
    from losslab.experiment.tune_study import tune_engine

    runner, width = tune_engine(None, None)
    assert isinstance(runner, FusedEngine) and width == runner.parallelism == TUNE_PARALLELISM
    assert runner.fast_compile is None and runner.fast_compile_work == TUNE_FAST_COMPILE_WORK
    assert tune_engine(None, 3)[1] == 3 and isinstance(tune_engine("fused", None)[0], FusedEngine)
    assert tune_engine("sequential", None) == (None, 1)
    x, y = _data(80)
    kw = dict(losses=["mse"], n_trials=2, max_epochs=2, **TINY)
    losslab.tune(None, x, y, out=tmp_path / "default", **kw)
    losslab.tune(None, x, y, out=tmp_path / "seq", engine="sequential", **kw)
    default = json.loads((tmp_path / "default" / "manifest.json").read_text())["config"]["tune"]
    seq = json.loads((tmp_path / "seq" / "manifest.json").read_text())["config"]["tune"]
    assert default["trials_per_batch"] == TUNE_PARALLELISM and default["pruning_mode"].startswith("live")
    assert "trials_per_batch" not in seq and "pruning_mode" not in seq


def test_cli_tune_names_the_engine_it_defaults_to(tmp_path, capsys):
    """``losslab tune``: the default is the fused engine's batches (config
    ``tune.trials_per_batch``), ``--engine sequential`` the in-process loop; the help says both."""
    from losslab.cli import main
    from losslab.experiment.fused.engine import TUNE_PARALLELISM
    from tests.experiment._data import table

    x, y = _data(80)
    csv = tmp_path / "reg.csv"
    table(x, y).to_csv(csv, index=False)
    args = ["tune", str(csv), "-t", "y", "-l", "mse", "-n", "1", "--max-epochs", "1", "--hidden", "8", "-q", "--no-report"]
    assert main([*args, "--out", str(tmp_path / "d")]) == 0
    assert main([*args, "--out", str(tmp_path / "s"), "--engine", "sequential"]) == 0
    assert main([*args, "--out", str(tmp_path / "b"), "--engine", "sequential", "--trials-per-batch", "2"]) == 0
    cfg = {k: json.loads((tmp_path / k / "manifest.json").read_text())["config"]["tune"] for k in "dsb"}
    assert cfg["d"]["trials_per_batch"] == TUNE_PARALLELISM and cfg["d"]["pruning_mode"].startswith("live")
    assert "trials_per_batch" not in cfg["s"]
    assert cfg["b"]["trials_per_batch"] == 2 and cfg["b"]["pruning_mode"].startswith("reported after")
    capsys.readouterr()
    assert main(["tune", "--help"]) == 0
    text = " ".join(re.sub("[\u2500-\u257f]", " ", capsys.readouterr().out).split())  # no box drawing
    assert f"batches of {TUNE_PARALLELISM} asked trials on the fused engine" in text and "sequential" in text


@pytest.mark.slow
def test_batched_default_search_finds_as_good_a_configuration_as_the_in_process_search(tmp_path):
    """Batches do not hurt the search. Known answer: y = x @ (1, -2, 0.5) + N(0, 0.1^2), so
    no model can beat a validation RMSE of about 0.1 (the noise), and a tuned MLP should get
    near it. Expected before running: with 24 trials each (so TPE, past its 10 random startup
    trials, asks the later batches), both the in-process study and the fused default (batches
    of 8, constant liar) reach a best validation RMSE below 0.25, and the fused best is within
    20% (+0.01) of the in-process best."""
    x, y = _data(400)
    kw = dict(losses=["mse"], n_trials=24, max_epochs=40, learning_rate=(1e-3, 1e-1), batch_sizes=(16, 32),
              hidden=(16,), quiet=True, report=False)
    inproc = losslab.tune(None, x, y, engine="sequential", out=tmp_path / "seq", **kw)
    fused = losslab.tune(None, x, y, out=tmp_path / "fused", **kw)
    a, b = inproc.best["mean_squared_error"]["value"], fused.best["mean_squared_error"]["value"]
    assert len(inproc.study.trials) == len(fused.study.trials) == 24
    assert 0.05 < a < 0.25 and 0.05 < b < 0.25, (a, b)
    assert b <= 1.2 * a + 0.01, (a, b)
