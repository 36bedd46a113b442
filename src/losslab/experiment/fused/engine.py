"""The fused trial engine: every (loss, seed) trial of a comparison as one JAX program.

For the small tabular models of a comparison most of a ``fit``'s time is per-step overhead;
the candidates of a seed share the split, the body, the initial weights and the batch
order, so their K x R trainings run together: members' weights stacked, one jitted step
computing every member's forward pass, loss and optimizer update, a ``lax.scan`` over the
batches of an epoch, early stopping per member.

Design choices:

- **Keras's stateless API, not a re-implementation of the model**: the forward pass is
  ``model.stateless_call(trainable, non_trainable, x, training=True, return_losses=True)`` on
  a template model (body + catalog head), so any functional or sequential Keras body works,
  including layers with non-trainable state (batch normalisation) and dropout (each
  member's seed-generator state is its own, built from its seed as ``run_trial`` builds it).
- **The Keras optimizer's ``stateless_apply``, not optax**: the sequential path compiles
  ``keras.optimizers.get({"class_name": ..., "config": {"learning_rate": ...}})``; using
  the same object's update rule gives the same numbers (optax's Adam differs from Keras's
  in epsilon placement and defaults) and supports every optimizer the sequential path does.
- **The Keras loss object** (``spec.build(**params)``) with the batch's sample weights, so
  reductions, masks and class weights are Keras's own; Keras's own ``EarlyStopping`` and the
  trial's watchers decide stopping and events per member.

Tasks the fused program cannot serve run through ``fn(task)`` (``run_trial``), one by one;
the reason is logged once and kept in :attr:`FusedEngine.fallbacks`. What forces the
sequential path: a backend other than JAX; a trial function with extra callbacks (the
tuner's pruning); a body that is not a functional or sequential Keras model; an
EarlyStopping monitor other than ``loss`` / ``val_loss``; an error while compiling the fused
program (e.g. a loss that cannot be traced under ``vmap``).

Example:
    >>> from losslab.experiment.fused import FusedEngine
    >>> FusedEngine(memory_budget=2**30)
    FusedEngine(memory_budget=1073741824)
"""

from __future__ import annotations

import dataclasses
import json
import logging
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from pathlib import Path
from typing import Any

from losslab.experiment.trial import TrialRecord, TrialTask, load_prepared, run_trial

__all__ = ["FusedEngine", "fallback_reason"]

_LOG = logging.getLogger("losslab.experiment.fused")
DEFAULT_BUDGET = 2 * 1024**3


def _is_graph_model(body: Any) -> bool:
    import keras

    if isinstance(body, keras.Sequential):
        return True
    try:
        from keras.src.models.functional import Functional
    except ImportError:  # a Keras layout change: trust a model with symbolic outputs
        return bool(getattr(body, "outputs", None))
    return isinstance(body, Functional)


def fallback_reason(fn: Callable[[Any], Any], task: TrialTask | None = None) -> str | None:
    """Why the fused engine cannot serve ``task`` with ``fn`` (None when it can).

    Example:
        >>> fallback_reason(print) is not None
        True
    """
    import keras

    if keras.backend.backend() != "jax":
        return f"the fused engine needs the JAX backend (KERAS_BACKEND is {keras.backend.backend()!r})"
    if fn is not run_trial:
        return "the trial function is not plain run_trial (extra callbacks such as pruning need a Keras fit)"
    if task is None:
        return None
    es = dict(task.training.get("early_stopping") or {})
    if es.get("enabled", True) and es.get("monitor", "val_loss") not in ("loss", "val_loss"):
        return f"EarlyStopping monitors {es.get('monitor')!r}; the fused engine logs only loss and val_loss"
    if callable(task.model):
        from losslab.experiment.models import build_body

        body = build_body(task.model, load_prepared(task.run_dir).input_shape, int(task.seed))
        if not _is_graph_model(body):
            return f"build_model returned a {type(body).__name__}, not a functional or sequential Keras model"
    return None


def _bundle_key(task: TrialTask) -> str:
    model = task.model if isinstance(task.model, dict) else f"callable:{id(task.model)}"
    return json.dumps([task.run_dir, model, dict(task.training), task.task, task.n_classes], sort_keys=True, default=str)


def _chunks(tasks: Sequence[TrialTask], per_member: int, budget: int) -> list[list[TrialTask]]:
    """Whole candidates (all their seeds) per chunk while they fit the memory budget; a
    candidate larger than the budget alone is cut by seed."""
    size = max(1, budget // max(per_member, 1))
    by_cand: dict[str, list[TrialTask]] = {}
    for t in sorted(tasks, key=lambda t: (str(t.candidate["id"]), int(t.seed))):
        by_cand.setdefault(str(t.candidate["id"]), []).append(t)
    chunks: list[list[TrialTask]] = []
    for members in by_cand.values():
        pieces = [members[i : i + size] for i in range(0, len(members), size)]
        for piece in pieces:
            if chunks and len(piece) == len(members) and len(chunks[-1]) + len(piece) <= size:
                chunks[-1].extend(piece)
            else:
                chunks.append(list(piece))
    return chunks


def _with_every_seed(bundle: Sequence[TrialTask]) -> list[TrialTask]:
    """The bundle's candidates with every seed of the run: a resumed run then trains the same
    programs (same members, so bitwise the same numbers) as an uninterrupted one; members
    already stored are trained again but not yielded."""
    from losslab.experiment.store import RunStore

    manifest = RunStore(bundle[0].run_dir).read_manifest() or {}
    run_seeds = [int(s) for s in (manifest.get("config") or {}).get("seeds") or []]
    have = {(str(t.candidate["id"]), int(t.seed)) for t in bundle}
    out = list(bundle)
    firsts = {str(t.candidate["id"]): t for t in bundle}
    for cid, t in firsts.items():
        for s in run_seeds:
            if (cid, s) not in have and (Path(t.run_dir) / "init" / f"seed-{s}.npz").exists():
                out.append(dataclasses.replace(t, seed=s, trial_id=f"{cid}--stored-seed{s}"))
    return out


class FusedEngine:
    """Trains every pending trial of a comparison at once under JAX (see the module doc).

    Args:
        memory_budget: bytes the members' parameters, optimizer slots, best-weights copies
            and gradients may take; more members than fit run in several chunks. 2 GB default.
        shuffle: shuffle the rows each epoch (per seed, as ``fit`` does). ``False`` is for
            tests comparing with an unshuffled sequential ``fit``.
        keep_weights: keep each fused trial's final trainable weights in :attr:`weights`.

    Attributes:
        fallbacks: ``{trial_id: reason}`` of the trials that ran sequentially.
        chunks: the number of fused programs run so far.
        weights: ``{trial_id: [arrays in model.trainable_variables order]}`` (keep_weights).
    """

    name = "fused"

    def __init__(self, *, memory_budget: int = DEFAULT_BUDGET, shuffle: bool = True, keep_weights: bool = False) -> None:
        self.memory_budget = int(memory_budget)
        self.shuffle = bool(shuffle)
        self.keep_weights = bool(keep_weights)
        self.weights: dict[str, list[Any]] = {}
        self.fallbacks: dict[str, str] = {}
        self.chunks = 0
        self._logged: set[str] = set()

    def __repr__(self) -> str:
        return f"FusedEngine(memory_budget={self.memory_budget})"

    def map(self, fn: Callable[[Any], Any], tasks: Iterable[Any]) -> Iterator[Any]:
        """Yield one :class:`TrialRecord` per task (fused where possible)."""
        tasks = list(tasks)
        if not tasks:
            return
        reason = fallback_reason(fn)
        if reason is not None:
            yield from self._sequential(fn, tasks, reason)
            return
        bundles: dict[str, list[TrialTask]] = {}
        for t in tasks:
            bundles.setdefault(_bundle_key(t), []).append(t)
        for bundle in bundles.values():
            reason = fallback_reason(fn, bundle[0])
            if reason is not None:
                yield from self._sequential(fn, bundle, reason)
                continue
            from losslab.experiment.fused._members import member_bytes

            data = load_prepared(bundle[0].run_dir)
            pending = {t.trial_id for t in bundle}
            for chunk in _chunks(_with_every_seed(bundle), member_bytes(bundle, data), self.memory_budget):
                if any(t.trial_id in pending for t in chunk):
                    yield from self._fused_or_sequential(fn, chunk, data, pending)

    def _sequential(self, fn: Callable[[Any], Any], tasks: Sequence[TrialTask], reason: str) -> Iterator[Any]:
        if reason not in self._logged:
            self._logged.add(reason)
            _LOG.warning("losslab: %d trial(s) run sequentially: %s.", len(tasks), reason)
        for t in tasks:
            self.fallbacks[t.trial_id] = reason
            yield fn(t)

    def _fused_or_sequential(self, fn: Callable[[Any], Any], chunk: list[TrialTask], data: Any, pending: set[str]) -> Iterator[Any]:
        try:
            records = self.run_chunk(chunk, data)
        except Exception as e:  # a body or loss the fused program cannot trace
            todo = [t for t in chunk if t.trial_id in pending]
            yield from self._sequential(fn, todo, f"the fused program failed ({type(e).__name__}: {str(e)[:200]})")
            return
        yield from (r for r in records if r.trial_id in pending)

    def run_chunk(self, tasks: Sequence[TrialTask], data: Any) -> list[TrialRecord]:
        """Train ``tasks`` (same run directory, model and training settings) as one program."""
        import jax.numpy as jnp
        import numpy as np

        from losslab.experiment.fused._members import build_groups
        from losslab.experiment.fused._program import Programs, can_pad
        from losslab.experiment.fused._records import member_record
        from losslab.experiment.fused._train import train

        t0 = time.perf_counter()
        seeds = sorted({int(t.seed) for t in tasks})
        groups = build_groups(tasks, data, seeds)
        progs = Programs(groups, data.x_train, data.x_val, int(tasks[0].training["batch_size"]), padded=can_pad(groups))
        setup = (time.perf_counter() - t0) / len(tasks)
        final, runs = train(groups, progs, seeds, shuffle=self.shuffle)
        states = [(tv, ntv, None) for tv, ntv in final]
        n_val = len(data.x_val)  # one compiled forward for both splits
        raw = [np.asarray(r) for r in progs.raw(states, jnp.concatenate([progs.x_val, jnp.asarray(data.x_test)]))]
        raw_val = [r[:, :n_val] for r in raw]
        raw_test = [r[:, n_val:] for r in raw]
        self.chunks += 1
        out = []
        for gi, (g, rs) in enumerate(zip(groups, runs, strict=True)):
            for j, r in enumerate(rs):
                if self.keep_weights:
                    self.weights[r.member.task.trial_id] = [np.asarray(w[j]) for w in final[gi][0]]
                out.append(member_record(g, r, data, raw_test[gi][j], raw_val[gi][j], setup_seconds=setup))
        return out
