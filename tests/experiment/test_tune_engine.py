"""``tune`` through the engine protocol: batches of asked trials mapped by an engine and told
as they finish; the same study as the in-process path for one trial per batch; the report of
the main run directory from ``losslab tune``."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest

import losslab
from losslab.cli import main
from losslab.errors import InvalidParameterError
from losslab.experiment.engine import LocalEngine
from tests.experiment._data import table

TINY = {"max_epochs": 3, "hidden": (8,), "quiet": True}


def _data(n: int = 120) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(0)
    x = rng.normal(size=(n, 3))
    return x, x @ np.array([1.0, -2.0, 0.5]) + 0.1 * rng.normal(size=n)


def _records(run_dir) -> dict[str, dict]:
    lines = (run_dir / "trials.jsonl").read_text(encoding="utf-8").splitlines()
    return {r["trial_id"]: r for r in map(json.loads, lines)}


def test_engine_batches_tell_every_trial_with_its_stored_result(tmp_path):
    x, y = _data()
    res = losslab.tune(
        None, x, y, losses=["mse", "huber"], n_trials=2, engine=LocalEngine(), trials_per_batch=2,
        out=tmp_path / "run", report=False, **TINY,
    )
    trials = res.study.trials
    # equal budget: 2 trials per loss, all told COMPLETE (nothing pruned on an engine)
    assert sorted(t.params["loss"] for t in trials) == ["huber", "huber", "mean_squared_error", "mean_squared_error"]
    assert all(t.state.name == "COMPLETE" for t in trials)
    recs = _records(tmp_path / "run")
    assert sorted(recs) == [f"tune-{i:04d}" for i in range(4)]
    for t in trials:
        rec = recs[f"tune-{t.number:04d}"]
        # the told value is the stored record's validation judge metric, and the per-epoch
        # judge values were reported after the trial (one per epoch run)
        assert t.value == pytest.approx(rec["val_metrics"]["rmse"], rel=1e-12)
        assert len(t.intermediate_values) == rec["epochs_run"]
        assert t.intermediate_values[rec["epochs_run"] - 1] == pytest.approx(rec["history"]["val_judge"][-1])
        assert rec["params"] == pytest.approx(t.user_attrs["loss_params"])
    cfg = json.loads((tmp_path / "run" / "manifest.json").read_text())["config"]["tune"]
    assert cfg["trials_per_batch"] == 2
    assert cfg["pruning_mode"].startswith("reported after each trial")
    # resuming the finished study runs nothing more
    again = losslab.tune(
        None, x, y, losses=["mse", "huber"], n_trials=2, engine=LocalEngine(), trials_per_batch=2,
        out=tmp_path / "run", report=False, **TINY,
    )
    assert len(again.study.trials) == 4 and len(_records(tmp_path / "run")) == 4


def test_one_trial_per_batch_gives_the_in_process_study(tmp_path):
    """Engines only decide where trials run: with one trial per batch (and pruning off, which
    only the in-process path can apply live) the engine path asks, trains and tells exactly
    what the in-process ``study.optimize`` path (``engine="sequential"``) does."""
    x, y = _data()
    kw = dict(losses=["huber"], n_trials=3, pruning=False, report=False, **TINY)
    inproc = losslab.tune(None, x, y, out=tmp_path / "a", engine="sequential", **kw)
    viaeng = losslab.tune(None, x, y, out=tmp_path / "b", engine=LocalEngine(), **kw)
    a, b = inproc.study.trials, viaeng.study.trials
    assert [t.params for t in a] == [t.params for t in b]
    for ta, tb in zip(a, b, strict=True):
        assert math.isfinite(ta.value)
        assert tb.value == pytest.approx(ta.value, rel=1e-6)
    assert inproc.best["huber"]["params"] == viaeng.best["huber"]["params"]


def test_engine_options_are_checked(tmp_path):
    x, y = _data(60)
    with pytest.raises(InvalidParameterError, match="engine must be 'sequential', 'fused' or an object with map"):
        losslab.tune(None, x, y, losses=["mse"], engine=object(), out=tmp_path / "r")
    with pytest.raises(InvalidParameterError, match="trials_per_batch must be an integer >= 1 or None. Received: trials_per_batch=0"):
        losslab.tune(None, x, y, losses=["mse"], engine=LocalEngine(), trials_per_batch=0, out=tmp_path / "r")
    with pytest.raises(InvalidParameterError, match="engine must be 'sequential', 'fused' or an object with map.*Received: engine='fast'"):
        losslab.tune(None, x, y, losses=["mse"], engine="fast", out=tmp_path / "r")
    assert not (tmp_path / "r").exists()


def test_cli_tune_writes_the_report_and_prints_the_leaderboard(tmp_path, capsys):
    x, y = _data()
    csv = tmp_path / "reg.csv"
    table(x, y).to_csv(csv, index=False)
    out = tmp_path / "run"
    args = ["tune", str(csv), "-t", "y", "-l", "mse", "-n", "2", "--max-epochs", "2", "--hidden", "8", "--out", str(out)]
    assert main([*args, "--trials-per-batch", "2"]) == 0
    printed = capsys.readouterr().out
    assert (out / "report.html").stat().st_size > 1000
    assert (out / "report.md").exists() and (out / "summary.json").exists()
    assert "leaderboard" in printed.lower() and "rmse" in printed
    summary = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    assert summary["kind"] == "tune"
    # --master without --engine spark: one line, exit 2
    assert main([*args, "--master", "local[2]", "-q"]) == 2
    err = capsys.readouterr().err
    assert [ln for ln in err.splitlines() if ln.startswith("Error:")] == [
        "Error: --master applies to --engine spark only. Received --engine local."
    ]


class _StopsAfterFirst:
    """An engine whose run is interrupted after the first finished trial."""

    def map(self, fn, tasks):
        tasks = list(tasks)
        yield fn(tasks[0])
        raise RuntimeError("engine lost")


def test_an_interrupted_batch_is_redone_on_resume(tmp_path):
    x, y = _data()
    kw = dict(losses=["mse"], n_trials=3, trials_per_batch=2, out=tmp_path / "run", report=False, **TINY)
    with pytest.raises(RuntimeError, match="engine lost"):
        losslab.tune(None, x, y, engine=_StopsAfterFirst(), **kw)
    res = losslab.tune(None, x, y, engine=LocalEngine(), **kw)
    states = [(t.number, t.state.name, bool(t.user_attrs.get("interrupted"))) for t in res.study.trials]
    # trial 1 was cut short: marked failed and interrupted, then redone; 3 complete in all
    assert states[1] == (1, "FAIL", True)
    assert sum(s == "COMPLETE" for _, s, _ in states) == 3
    recs = _records(tmp_path / "run")
    assert "tune-0001" not in recs and len(recs) == 3
