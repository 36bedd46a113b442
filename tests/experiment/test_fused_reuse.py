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
