"""``tune``'s less travelled paths: the refit over extra seeds really trains each loss's best
configuration (stored in ``RUN_DIR/refit`` and named in the report), the median pruner really
stops trials of a planted bad region before the epoch cap, and a study stopped by Ctrl-C
resumes without retraining its finished trials.

Oracles: the tuned trial itself (the refit's seed-0 trial of the best configuration trains
exactly what the tuned trial trained, so its test metrics must agree), the median rule
recomputed from the study's own intermediate values, and the stored records before and after
the interruption.
"""

from __future__ import annotations

import json
import statistics

import numpy as np
import pytest

import losslab
from losslab.experiment import tune_trials
from losslab.experiment.engine import LocalEngine

pytestmark = pytest.mark.slow


def _data(n: int = 160, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, 3))
    return x, x @ np.array([1.0, -2.0, 0.5]) + 0.1 * rng.normal(size=n)


def _records(run_dir) -> dict[str, dict]:
    lines = (run_dir / "trials.jsonl").read_text(encoding="utf-8").splitlines()
    return {r["trial_id"]: r for r in map(json.loads, lines)}


def test_refit_seeds_trains_each_best_configuration_on_every_seed(tmp_path):
    x, y = _data()
    out = tmp_path / "run"
    # LocalEngine: the tuned trials and the refit both train with one Keras fit per trial,
    # so the refit's seed 0 repeats the tuned trial of the same configuration exactly
    res = losslab.tune(
        None,
        x,
        y,
        losses=["mse", "huber"],
        n_trials=2,
        max_epochs=4,
        hidden=(8,),
        refit_seeds=2,
        engine=LocalEngine(),
        quiet=True,
        out=out,
    )
    assert set(res.best) == {"mean_squared_error", "huber"}
    refit = res.results
    assert refit is not None and refit.run_dir == out / "refit"
    recs = refit.records
    # every loss's best configuration (labelled with its tuned parameters), once per seed
    assert sorted((r["loss"], r["seed"]) for r in recs) == sorted(
        (lab, s) for lab in ("mean_squared_error", "huber") for s in range(2)
    )
    assert all(r["status"] == "ok" and r["epochs_run"] >= 1 for r in recs)
    # the loss parameters are the tuned ones; learning rate and batch size those of the best
    # loss overall (one training setup for the whole comparison)
    overall = min(res.best.values(), key=lambda b: b["value"])
    for r in recs:
        assert r["params"] == pytest.approx(res.best[r["loss"]]["loss_params"])
    cfg = json.loads((out / "refit" / "manifest.json").read_text())["config"]
    assert cfg["training"]["learning_rate"] == pytest.approx(overall["learning_rate"])
    assert cfg["training"]["batch_size"] == overall["batch_size"]
    # the seeds really differ: two trainings of one configuration give two results
    for lab in res.best:
        rmses = {round(r["metrics"]["rmse"], 9) for r in recs if r["loss"] == lab}
        assert len(rmses) == 2, lab
    # seed 0 of the overall best loss trains what its tuned trial trained: same test metrics
    best_label = next(lab for lab, b in res.best.items() if b is overall)
    seed0 = next(r for r in recs if r["loss"] == best_label and r["seed"] == 0)
    assert seed0["metrics"]["rmse"] == pytest.approx(overall["test_metrics"]["rmse"], rel=1e-5)
    # stored: a regular comparison directory with its leaderboard and report, named by the
    # tune report
    stored = json.loads((out / "refit" / "leaderboard.json").read_text())
    assert {row["label"] for row in stored["rows"]} == {r["label"] for r in recs}
    assert all(row["n_seeds"] == 2 for row in stored["rows"])
    assert (out / "refit" / "report.md").exists()
    assert "`refit/report.md`" in (out / "report.md").read_text(encoding="utf-8")
    assert res.to_dict()["refit"]["primary_metric"] == "rmse"


def _median_rule_holds(study, trial) -> bool:
    """MedianPruner's rule, recomputed: at the trial's last reported step, its value is worse
    (higher) than the median of the values that trials finished before it reported at that
    step."""
    from optuna.trial import TrialState

    step = max(trial.intermediate_values)
    earlier = [
        t.intermediate_values[step]
        for t in study.get_trials(deepcopy=False, states=(TrialState.COMPLETE, TrialState.PRUNED))
        if t.number < trial.number and step in t.intermediate_values
    ]
    return bool(earlier) and trial.intermediate_values[step] > statistics.median(earlier)


def test_pruning_stops_the_planted_bad_region_before_the_epoch_cap(tmp_path):
    """Planted bad region: learning rates down to 1e-7 (a network that barely moves); the
    median pruner (3 startup trials, 2 warm-up epochs) must stop some of those trials live."""
    from optuna.trial import TrialState

    x, y = _data()
    max_epochs = 8
    res = losslab.tune(
        None,
        x,
        y,
        losses=["mse"],
        n_trials=7,
        learning_rate=(1e-7, 3e-2),
        max_epochs=max_epochs,
        early_stopping=False,
        hidden=(8,),
        quiet=True,
        report=False,
        out=tmp_path / "run",
        engine="sequential",  # pruned live by Keras's callback, one trial after another
    )
    trials = res.study.trials
    pruned = [t for t in trials if t.state == TrialState.PRUNED]
    complete = [t for t in trials if t.state == TrialState.COMPLETE]
    assert pruned, [(t.state.name, t.params["learning_rate"]) for t in trials]
    for t in pruned:
        # stopped live, after the warm-up and before the cap, for the reason the pruner gives
        assert 3 <= len(t.intermediate_values) < max_epochs
        assert _median_rule_holds(res.study, t), t.number
        # a pruned trial is not stored as a finished trial
        assert f"tune-{t.number:04d}" not in _records(tmp_path / "run")
    for t in complete:
        assert len(t.intermediate_values) == max_epochs
    # the pruned trials come from the bad region, the best one from outside it
    assert statistics.median(t.params["learning_rate"] for t in pruned) < 1e-3
    assert res.study.best_trial.params["learning_rate"] > 1e-3
    assert res.study.best_trial.state == TrialState.COMPLETE


def test_a_study_stopped_by_ctrl_c_resumes_without_retraining(tmp_path, monkeypatch):
    x, y = _data()
    kw = dict(
        losses=["mse"],
        n_trials=4,
        max_epochs=3,
        hidden=(8,),
        pruning=False,
        quiet=True,
        report=False,
        out=tmp_path / "run",
        engine="sequential",  # the in-process loop, whose trial function is patched below
    )
    real = tune_trials.run_trial
    calls = []

    def interrupted_third(task, **kwargs):
        calls.append(task.trial_id)
        if len(calls) == 3:
            raise KeyboardInterrupt
        return real(task, **kwargs)

    monkeypatch.setattr(tune_trials, "run_trial", interrupted_third)
    with pytest.raises(KeyboardInterrupt):
        losslab.tune(None, x, y, **kw)
    before = _records(tmp_path / "run")
    assert sorted(before) == ["tune-0000", "tune-0001"]

    calls.clear()

    def counted(task, **kwargs):
        calls.append(task.trial_id)
        return real(task, **kwargs)

    monkeypatch.setattr(tune_trials, "run_trial", counted)
    res = losslab.tune(None, x, y, **kw)
    after = _records(tmp_path / "run")
    # the two finished trials are not retrained: untouched records, no new call for them
    for tid, rec in before.items():
        assert after[tid]["finished"] == rec["finished"] and after[tid]["seconds"] == rec["seconds"]
    assert not set(calls) & set(before)
    # the full budget is reached: 4 complete trials in all, the cut-short one (marked
    # interrupted, so it does not use the budget) redone first with its own parameters
    trials = res.study.trials
    done = [t for t in trials if t.state.name == "COMPLETE"]
    assert len(done) == 4 and len(after) == 4
    assert trials[2].state.name == "FAIL" and trials[2].user_attrs.get("interrupted")
    redo = [t for t in trials if "retry_of" in t.user_attrs]
    assert [(t.number, t.user_attrs["retry_of"]) for t in redo] == [(3, 2)]
    assert redo[0].params == trials[2].params
    assert calls == ["tune-0003", "tune-0004"]
