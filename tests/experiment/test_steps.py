"""The experiment steps behind the facade: the engine gets every pending trial in one call,
the task is inferred as the advisor infers it, the run directory has one reader."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Iterator
from typing import Any

import numpy as np
import pytest

import losslab
from losslab.experiment.engine import LocalEngine, default_engine
from losslab.experiment.store import RunStore
from tests.experiment._data import FAST, regression_data


class _RecordingEngine:
    """A LocalEngine that remembers the task lists it was handed."""

    def __init__(self) -> None:
        self.calls: list[list[str]] = []

    def map(self, fn: Callable[[Any], Any], tasks: Iterable[Any]) -> Iterator[Any]:
        tasks = list(tasks)
        self.calls.append([t.trial_id for t in tasks])
        yield from LocalEngine().map(fn, tasks)


def test_default_engine_is_fused_under_jax_and_sequential_by_name():
    import keras

    from losslab.experiment.engine import resolve_engine
    from losslab.experiment.fused import FusedEngine

    expected = FusedEngine if keras.backend.backend() == "jax" else LocalEngine
    assert isinstance(default_engine({"kind": "mlp", "hidden": [8]}, n_tasks=4), expected)
    assert isinstance(resolve_engine("sequential"), LocalEngine)


def test_engine_gets_every_pending_trial_in_one_call(tmp_path):
    x, y = regression_data(n=120)
    eng = _RecordingEngine()
    kw = dict(
        losses=["mse", "mae"], seeds=2, max_epochs=2, out=tmp_path / "run", engine=eng, **FAST
    )
    res = losslab.compare(None, x, y, **kw)
    assert eng.calls == [
        [
            "mean_squared_error--seed0",
            "mean_absolute_error--seed0",
            "mean_squared_error--seed1",
            "mean_absolute_error--seed1",
        ]
    ]
    assert len(res.records) == 4
    # resumed with every trial finished: the engine is handed nothing to run
    losslab.compare(None, x, y, **kw)
    assert eng.calls[1] == []
    # Results.load and the report read the same directory through RunStore
    loaded = losslab.experiment.Results.load(res.run_dir)
    assert [r["trial_id"] for r in loaded.records] == [
        r["trial_id"] for r in RunStore(res.run_dir).records()
    ]
    assert loaded.rows == res.rows


def test_compare_infers_the_task_like_the_advisor(tmp_path):
    # scikit-learn's diabetes target: integers 25..346 with 214 distinct values. The advisor
    # reads them as a continuous measurement (regression); compare and recommend agree.
    from sklearn.datasets import load_diabetes

    frame = load_diabetes(as_frame=True).frame
    res = losslab.compare(
        None,
        frame,
        target="target",
        losses=["mse"],
        seeds=1,
        max_epochs=1,
        out=tmp_path / "run",
        **FAST,
    )
    advisor = losslab.recommend(frame, target="target").task
    manifest = json.loads((tmp_path / "run" / "manifest.json").read_text())
    assert res.task == advisor.kind == "regression"
    assert manifest["task"]["reasons"] == advisor.reasons and manifest["task"]["reasons"]


def test_a_given_task_that_the_targets_contradict_is_refused(tmp_path):
    x, y = regression_data(n=100)
    with pytest.raises(losslab.DataError, match="--task count needs non-negative integers"):
        losslab.compare(None, x, y, losses=["poisson"], task="count", out=tmp_path / "run", **FAST)
    assert not (tmp_path / "run").exists()


def test_multi_output_regression_is_inferred(tmp_path):
    x, y = regression_data(n=120)
    y2 = np.column_stack([y, 2.0 * y + 1.0])
    res = losslab.compare(
        None, x, y2, losses=["mse"], seeds=1, max_epochs=1, out=tmp_path / "run", **FAST
    )
    assert res.task == "regression"
    assert res.manifest["task"]["reasons"] == ["the target has 2 real-valued columns"]
