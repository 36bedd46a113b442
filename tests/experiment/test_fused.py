"""The fused engine against the sequential path (one ``fit`` per trial), member by member.

The oracle is Keras's own ``fit`` (``run_trial``, or a hand-written model + ``fit`` for the
weights), run unshuffled on both sides so the batch order is the same.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

import numpy as np
import pytest

import losslab
from losslab.experiment.engine import LocalEngine, resolve_engine
from losslab.experiment.fused import FusedEngine
from losslab.experiment.trial import TrialTask, run_trial

from ._data import multiclass_data, regression_data

keras = pytest.importorskip("keras")
pytestmark = pytest.mark.skipif(keras.backend.backend() != "jax", reason="the fused engine runs under JAX only")

SETTINGS = {"hidden": (8,), "quiet": True, "report": False, "batch_size": 32, "max_epochs": 6, "seeds": 2}


class _Capture:
    """An engine that records the tasks and runs nothing (sets the run directory up)."""

    def __init__(self) -> None:
        self.tasks: list[TrialTask] = []

    def map(self, fn: Any, tasks: Any) -> Any:
        self.tasks = list(tasks)
        return iter([])


def _tasks(tmp: Path, x: np.ndarray, y: np.ndarray, losses: list[str], **kw: Any) -> list[TrialTask]:
    cap = _Capture()
    losslab.compare(None, x, y, losses=losses, out=tmp, engine=cap, **{**SETTINGS, **kw})
    return [dataclasses.replace(t, training={**t.training, "shuffle": False}) for t in cap.tasks]


def _count_data(n: int = 170) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(1)
    x = rng.normal(size=(n, 4))
    return x, rng.poisson(np.exp(0.3 * x[:, 0] - 0.2 * x[:, 1] + 1.0)).astype(float)


def _binary_data(n: int = 170) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(2)
    x = rng.normal(size=(n, 4))
    return x, (rng.random(n) < 1 / (1 + np.exp(-(2 * x[:, 0] - x[:, 1] - 1.0)))).astype(int)


# one loss of every head kind the default MLP supports (170 rows: 102 training rows = 3 full
# batches of 32 and a last batch of 6)
CASES = {
    "regression": (lambda: regression_data(170), ["mse", "huber", "gaussian_nll", "pinball:tau=[0.1,0.5,0.9]"], {}),
    "count": (_count_data, ["poisson_nll"], {"task": "count"}),
    "binary": (_binary_data, ["binary_crossentropy:from_logits=true", "binary_crossentropy@balanced"], {"task": "binary"}),
    "multiclass": (lambda: multiclass_data(170), ["sparse_categorical_crossentropy"], {"task": "multiclass"}),
    "ordinal": (lambda: multiclass_data(170), ["coral"], {"task": "ordinal"}),
}


def _assert_same_record(f: Any, s: Any) -> None:
    assert (f.status, f.head, f.loss, f.trial_id) == (s.status, s.head, s.loss, s.trial_id)
    assert set(f.history) == set(s.history) == {"loss", "val_loss"}
    for key in ("loss", "val_loss"):
        np.testing.assert_allclose(f.history[key], s.history[key], rtol=2e-4, atol=1e-6, err_msg=f"{f.trial_id} {key}")
    assert (f.epochs_run, f.best_epoch, f.stopped_early, f.max_epochs) == (s.epochs_run, s.best_epoch, s.stopped_early, s.max_epochs)
    assert set(f.arrays) == set(s.arrays)
    np.testing.assert_allclose(f.arrays["raw"], s.arrays["raw"], rtol=1e-3, atol=1e-4, err_msg=f.trial_id)
    assert set(f.metrics) == set(s.metrics)
    for k, v in s.metrics.items():
        assert (f.metrics[k] is None) == (v is None), k
        if v is not None:
            assert f.metrics[k] == pytest.approx(v, rel=1e-3, abs=1e-4), (f.trial_id, k)
    assert f.primary_metric == s.primary_metric and set(f.val_metrics) == set(s.val_metrics)
    assert [e["kind"] for e in f.events] == [e["kind"] for e in s.events]
    assert set(f.to_dict()) == set(s.to_dict())


@pytest.mark.slow
@pytest.mark.parametrize("kind", list(CASES))
def test_fused_members_match_sequential_fit(tmp_path: Path, kind: str) -> None:
    make, losses, kw = CASES[kind]
    x, y = make()
    tasks = _tasks(tmp_path / "run", x, y, losses, early_stopping={"patience": 1}, **kw)
    engine = FusedEngine(shuffle=False)
    fused = {r.trial_id: r for r in engine.map(run_trial, tasks)}
    assert not engine.fallbacks and engine.chunks == 1
    for t in tasks:
        _assert_same_record(fused[t.trial_id], run_trial(t))


def _hand_written_fit(task: TrialTask) -> list[np.ndarray]:
    """The sequential protocol written out with Keras alone: stored body weights, seeded
    head with the training mean as bias, standardised target, Adam, unshuffled fit."""
    from losslab.catalog import get_spec
    from losslab.experiment.models import build_body, build_full_model, load_initial_weights
    from losslab.experiment.store import RunStore
    from losslab.experiment.trial import load_prepared

    data = load_prepared(task.run_dir)
    y = data.y_train.reshape(len(data.y_train), -1)
    y_fit = (y - y.mean(axis=0)) / y.std(axis=0)
    body = build_body(task.model, data.input_shape, task.seed)
    load_initial_weights(body, RunStore(task.run_dir), task.seed)
    head = keras.layers.Dense(
        1, kernel_initializer=keras.initializers.GlorotUniform(seed=task.seed * 7919 + 997),
        bias_initializer=keras.initializers.Constant(y_fit.mean(axis=0).astype("float32")),
    )
    model = build_full_model(body, head)
    model.compile(optimizer=keras.optimizers.Adam(task.training["learning_rate"]), loss=get_spec(task.candidate["loss"]).build())
    model.fit(data.x_train, y_fit.astype("float32"), batch_size=32, epochs=task.training["max_epochs"], shuffle=False, verbose=0)
    return [np.asarray(v) for v in model.trainable_variables]


@pytest.mark.slow
def test_fused_weights_equal_a_hand_written_fit(tmp_path: Path) -> None:
    x, y = regression_data(170)
    tasks = _tasks(tmp_path / "run", x, y, ["mse", "huber"], early_stopping=False, max_epochs=3)
    engine = FusedEngine(shuffle=False, keep_weights=True)
    list(engine.map(run_trial, tasks))
    for t in (t for t in tasks if t.candidate["loss"] == "mean_squared_error"):
        expected = _hand_written_fit(t)
        got = engine.weights[t.trial_id]
        assert [w.shape for w in got] == [w.shape for w in expected]
        for a, b in zip(got, expected, strict=True):
            np.testing.assert_allclose(a, b, rtol=1e-4, atol=1e-5)


@pytest.mark.slow
def test_a_nan_member_does_not_stop_the_others(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from losslab.experiment.fused import _members

    real = _members._head_values

    def poisoned(group: Any, seed: int, feat_dim: int, bias: Any) -> list[np.ndarray]:
        values = real(group, seed, feat_dim, bias)
        if group.spec.name == "huber" and seed == 1:
            values[0] = np.full_like(values[0], np.nan)
        return values

    monkeypatch.setattr(_members, "_head_values", poisoned)
    x, y = regression_data(170)
    tasks = _tasks(tmp_path / "run", x, y, ["mse", "huber"])
    recs = {r.trial_id: r for r in FusedEngine(shuffle=False).map(run_trial, tasks)}
    bad = recs["huber--seed1"]
    assert bad.status == "nan" and bad.epochs_run == 1 and bad.metrics == {} and "prediction" not in bad.arrays
    assert "TerminateOnNaN" in (bad.error or "")
    assert any(e["kind"] == "nonfinite" and e["batch"] == 1 for e in bad.events)
    for tid in ("mse--seed0", "mse--seed1", "huber--seed0"):
        tid = tid.replace("mse", "mean_squared_error")
        assert recs[tid].status == "ok" and recs[tid].epochs_run > 1
        assert np.isfinite(recs[tid].primary)
    # the healthy members trained exactly as without the poisoned one
    monkeypatch.setattr(_members, "_head_values", real)
    clean = {r.trial_id: r for r in FusedEngine(shuffle=False).map(run_trial, tasks)}
    for tid in ("mean_squared_error--seed1", "huber--seed0"):
        np.testing.assert_allclose(recs[tid].arrays["raw"], clean[tid].arrays["raw"], rtol=1e-6)


@pytest.mark.slow
def test_memory_budget_splits_into_chunks_with_the_same_results(tmp_path: Path) -> None:
    x, y = regression_data(170)
    tasks = _tasks(tmp_path / "run", x, y, ["mse", "huber"], max_epochs=3)
    one = FusedEngine(shuffle=False)
    whole = {r.trial_id: r for r in one.map(run_trial, tasks)}
    small = FusedEngine(shuffle=False, memory_budget=1)  # one member per chunk
    parts = {r.trial_id: r for r in small.map(run_trial, tasks)}
    assert one.chunks == 1 and small.chunks == len(tasks)
    for tid, r in whole.items():
        np.testing.assert_allclose(parts[tid].arrays["raw"], r.arrays["raw"], rtol=1e-5, atol=1e-6)
        for key in ("loss", "val_loss"):
            np.testing.assert_allclose(parts[tid].history[key], r.history[key], rtol=1e-5)


def test_other_trial_functions_fall_back_with_a_reason(tmp_path: Path) -> None:
    x, y = regression_data(170)
    tasks = _tasks(tmp_path / "run", x, y, ["mse"], max_epochs=1, seeds=1)
    engine = FusedEngine()
    out = list(engine.map(lambda t: t.trial_id, tasks))
    assert out == [t.trial_id for t in tasks]
    assert "not plain run_trial" in engine.fallbacks[tasks[0].trial_id]


def test_resolve_engine() -> None:
    assert isinstance(resolve_engine(None), FusedEngine)  # JAX backend: fused by default
    assert isinstance(resolve_engine("sequential"), LocalEngine)
    assert isinstance(resolve_engine("fused"), FusedEngine)
    eng = LocalEngine()
    assert resolve_engine(eng) is eng
    with pytest.raises(losslab.errors.InvalidParameterError, match="engine must be 'sequential', 'fused'"):
        resolve_engine("gpu")
    from losslab.cli.commands._options import make_engine

    assert make_engine("local", None) is None  # the API's default: fused under JAX
    assert isinstance(make_engine("sequential", None), LocalEngine)
    assert isinstance(make_engine("fused", None), FusedEngine)


class _Interrupted(FusedEngine):
    """Fused, then Ctrl-C after the first stored record."""

    def map(self, fn: Any, tasks: Any) -> Any:
        for i, rec in enumerate(super().map(fn, tasks)):
            if i == 1:
                raise KeyboardInterrupt
            yield rec


@pytest.mark.slow
def test_an_interrupted_fused_run_resumes_to_the_same_leaderboard(tmp_path: Path) -> None:
    x, y = regression_data(200, outliers=0.05, seed=3)
    kw = {"losses": ["mse", "mae"], "seeds": 2, "max_epochs": 5, "hidden": (16,), "quiet": True, "report": False}
    reference = losslab.compare(None, x, y, out=tmp_path / "ref", **kw)
    again = losslab.compare(None, x, y, out=tmp_path / "again", **kw)
    assert again.rows == reference.rows  # deterministic
    with pytest.raises(KeyboardInterrupt):
        losslab.compare(None, x, y, out=tmp_path / "cut", engine=_Interrupted(), **kw)
    stored = (tmp_path / "cut" / "trials.jsonl").read_text().splitlines()
    assert len(stored) == 1
    resumed = losslab.compare(None, x, y, out=tmp_path / "cut", **kw)
    assert len(resumed.records) == 4
    assert resumed.rows == reference.rows  # bitwise: the resumed chunk is the same program
    assert [r["metrics"] for r in sorted(resumed.records, key=lambda r: r["trial_id"])] == [
        r["metrics"] for r in sorted(reference.records, key=lambda r: r["trial_id"])
    ]


@pytest.mark.slow
def test_leaderboards_agree_on_heavy_outliers(tmp_path: Path) -> None:
    # one-sided gross errors on 15% of the rows pull the mean, not the median: MAE / Huber
    # beat MSE on MAE (the median goal's metric) whichever engine trains them
    x, y = regression_data(600, outliers=0.15)
    kw = {"losses": ["mse", "mae", "huber"], "goal": "median", "seeds": 3, "max_epochs": 30, "hidden": (16,), "quiet": True, "report": False}
    fused = losslab.compare(None, x, y, out=tmp_path / "f", **kw)
    seq = losslab.compare(None, x, y, out=tmp_path / "s", engine="sequential", **kw)
    assert fused.best == seq.best
    assert fused.best in ("mean_absolute_error", "huber")
    assert fused.rows[-1]["label"] == seq.rows[-1]["label"] == "mean_squared_error"
