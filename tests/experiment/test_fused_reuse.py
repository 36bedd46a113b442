"""Compiled fused programs reused across ``tune``'s batches: a batch with the structure of
an earlier one (same batch size, losses, member counts) runs the earlier batch's programs
on its own arrays, and trials of one loss with different float hyperparameters (Huber's
delta) share one group and one program. The oracle for the values is the sequential
engine (one Keras ``fit`` per trial), run unshuffled on both sides."""

from __future__ import annotations

import dataclasses
import logging
import re
from typing import Any

import numpy as np
import pytest

import losslab
from losslab.experiment.engine import LocalEngine
from losslab.experiment.fused import FusedEngine

keras = pytest.importorskip("keras")
pytestmark = pytest.mark.skipif(keras.backend.backend() != "jax", reason="the fused engine runs under JAX only")


class _Unshuffled(LocalEngine):
    def map(self, fn: Any, tasks: Any) -> Any:
        for t in tasks:
            yield fn(dataclasses.replace(t, training={**t.training, "shuffle": False}))


class _Compiles(logging.Handler):
    """Counts JAX's 'Finished XLA compilation of jit(NAME)' log lines by NAME."""

    def __init__(self) -> None:
        super().__init__()
        self.names: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        m = re.match(r"Finished XLA compilation of jit\((\w+)\)", record.getMessage())
        if m:
            self.names.append(m.group(1))


@pytest.mark.parametrize("fast_compile", [False, True])
def test_later_batches_reuse_the_compiled_programs_and_agree_with_sequential_fits(tmp_path, fast_compile):
    import jax

    rng = np.random.default_rng(0)
    x = rng.normal(size=(160, 3))
    y = x @ np.array([1.0, -2.0, 0.5]) + 0.3 * rng.standard_t(3, size=160)
    kw = dict(losses=["huber"], n_trials=6, max_epochs=4, pruning=False, trials_per_batch=2,
              learning_rate=(1e-3, 1e-1), batch_sizes=(32,), hidden=(8,), quiet=True, report=False)
    eng = FusedEngine(shuffle=False, fast_compile=fast_compile)
    counter = _Compiles()
    logger = logging.getLogger("jax._src.dispatch")
    logger.addHandler(counter)
    old = jax.config.jax_log_compiles
    jax.config.update("jax_log_compiles", True)
    try:
        fused = losslab.tune(None, x, y, engine=eng, out=tmp_path / "f", **kw)
    finally:
        jax.config.update("jax_log_compiles", old)
        logger.removeHandler(counter)
    seq = losslab.tune(None, x, y, engine=_Unshuffled(), out=tmp_path / "s", **kw)
    assert eng.fallbacks == {} and eng.chunks == 3
    # three batches of two huber trials (two deltas in one group): one training program
    # compiled, reused by the second and third batch
    assert (eng.programs.misses, eng.programs.hits) == (1, 2)
    assert counter.names.count("fused_epoch") == 1
    a, b = fused.study.trials, seq.study.trials
    assert [t.params for t in a] == [t.params for t in b]
    assert len({t.params["huber.delta"] for t in a}) == len(a)
    for ta, tb in zip(a, b, strict=True):
        assert ta.state.name == tb.state.name == "COMPLETE"
        assert ta.value == pytest.approx(tb.value, rel=2e-3, abs=1e-4), ta.number
    assert fused.study.best_trial.number == seq.study.best_trial.number


def _group_of(loss_cls: Any, params: dict[str, Any]) -> Any:
    """A minimal group: what ``traced_params`` reads (spec, params, head units, targets, loss)."""
    from types import SimpleNamespace

    spec = SimpleNamespace(
        name="probe",
        params=[SimpleNamespace(name=k, default=float(v), search=None) for k, v in params.items()],
        keras_class=lambda: loss_cls,
    )
    return SimpleNamespace(
        spec=spec, params=params, hs=SimpleNamespace(units=1),
        y_train=np.linspace(-1.0, 1.0, 8, dtype="float32").reshape(-1, 1), loss=loss_cls(**params),
    )


def test_float_hyperparameters_are_traced_only_when_the_loss_runs_with_arrays() -> None:
    """Huber's delta enters arithmetic only, so it may be traced; a loss that branches in
    Python on its value, or uses it in ``float()``, must keep it a constant."""
    from losslab.experiment.fused._reuse import traced_params

    class Branching(keras.losses.Loss):
        def __init__(self, delta: float = 1.0, reduction: str = "sum_over_batch_size") -> None:
            super().__init__(reduction=reduction)
            self.delta = delta

        def call(self, y_true: Any, y_pred: Any) -> Any:
            err = keras.ops.abs(y_true - y_pred)
            return err if self.delta > 1.0 else keras.ops.square(err)

    class Converting(Branching):
        def call(self, y_true: Any, y_pred: Any) -> Any:
            return keras.ops.abs(y_true - y_pred) * float(self.delta)

    assert traced_params(_group_of(keras.losses.Huber, {"delta": 1.5})) == ("delta",)
    assert traced_params(_group_of(Branching, {"delta": 1.5})) == ()
    assert traced_params(_group_of(Converting, {"delta": 1.5})) == ()
