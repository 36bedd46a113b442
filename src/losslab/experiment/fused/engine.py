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

Tasks the fused program cannot serve run through ``fn(task)`` (``run_trial``, one Keras
``fit`` each); the reason is logged once as a warning (``losslab: N trial(s) run
sequentially (one Keras fit each): <reason>.``) and kept in :attr:`FusedEngine.fallbacks`.
What forces the sequential path:

- a backend other than JAX;
- a trial function other than ``run_trial`` (or ``run_trial`` with ``judge_each_epoch``):
  extra Keras callbacks need a Keras ``fit`` (``tune``'s pruning on this engine does not:
  it is the ``epoch_end`` hook of :meth:`FusedEngine.map`);
- an EarlyStopping monitor other than ``loss`` / ``val_loss``;
- a ``build_model`` returning a subclassed model (not functional or Sequential);
- an error while building or tracing the fused program (a layer or loss that does not run
  under ``jax.jit`` / ``vmap``).

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

__all__ = ["FusedEngine", "fallback_reason", "fast_compile_pays", "trial_options"]

_LOG = logging.getLogger("losslab.experiment.fused")
EpochEnd = Callable[[str, int, dict[str, float]], bool]
DEFAULT_BUDGET = 2 * 1024**3
FAST_COMPILE_WORK = 1e9  # see fast_compile_pays
#: ``tune``'s default batch width and compile setting on this engine (measured, see for_tune)
TUNE_PARALLELISM = 8
TUNE_FAST_COMPILE_WORK = float("inf")


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
        return f"the fused engine needs the JAX backend (KERAS_BACKEND is {keras.backend.backend()!r}; set KERAS_BACKEND=jax)"
    if trial_options(fn) is None:
        return (
            f"the trial function {getattr(fn, '__name__', type(fn).__name__)!r} is not plain run_trial "
            "(or run_trial with judge_each_epoch=...): a custom trial function or extra Keras callbacks "
            "need one Keras fit per trial"
        )
    if task is None:
        return None
    es = dict(task.training.get("early_stopping") or {})
    if es.get("enabled", True) and es.get("monitor", "val_loss") not in ("loss", "val_loss"):
        return (
            f"EarlyStopping monitors {es.get('monitor')!r}; the fused engine logs only loss and val_loss "
            "(use --monitor val_loss for fused training)"
        )
    if callable(task.model):
        from losslab.experiment.models import build_body

        body = build_body(task.model, load_prepared(task.run_dir).input_shape, int(task.seed))
        if not _is_graph_model(body):
            return (
                f"build_model returned a {type(body).__name__}, a subclassed model; the fused engine needs a "
                "functional or Sequential Keras model (keras.Model(inputs, outputs) or keras.Sequential)"
            )
    return None


def trial_options(fn: Callable[[Any], Any]) -> dict[str, Any] | None:
    """The keyword arguments of ``run_trial`` that ``fn`` binds, when the fused engine can
    honour them (``run_trial`` itself, or ``functools.partial(run_trial,
    judge_each_epoch=KEY)``); None otherwise.

    Example:
        >>> import functools
        >>> trial_options(functools.partial(run_trial, judge_each_epoch="val_judge"))
        {'judge_each_epoch': 'val_judge'}
        >>> trial_options(functools.partial(run_trial, callbacks=[object()])) is None
        True
    """
    import functools

    if fn is run_trial:
        return {}
    if isinstance(fn, functools.partial) and fn.func is run_trial and not fn.args and set(fn.keywords) <= {"judge_each_epoch"}:
        return dict(fn.keywords)
    return None


def _bundle_key(task: TrialTask) -> str:
    """Tasks trained by one program: same run directory, body, task and training settings
    (the learning rate is each member's own optimizer variable, so it is left out)."""
    model = task.model if isinstance(task.model, dict) else f"callable:{id(task.model)}"
    training = {k: v for k, v in task.training.items() if k != "learning_rate"}
    return json.dumps([task.run_dir, model, training, task.task, task.n_classes], sort_keys=True, default=str)


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
        fast_compile: compile the fused programs with XLA's backend optimisation level 0:
            about half the compile time, the same training (within float32 rounding), but
            slower programs: a little slower for Dense networks, many times slower for
            convolutions (a Conv1D body trained 9x slower). ``None`` (default) chooses per
            chunk (:func:`fast_compile_pays`): fast for a network of Dense and element-wise
            layers whose training is small (members x parameters x training rows x epoch cap
            at most ``fast_compile_work``, e.g. the bundled diabetes demo), where compiling is
            most of the time; ``True`` / ``False`` force it.
        fast_compile_work: the largest training ``None`` compiles fast (default
            ``FAST_COMPILE_WORK`` = 1e9; :meth:`for_tune` uses no limit: a tune is many short,
            compile-bound batches).
        parallelism: how many of Optuna's asked trials ``tune`` trains together (its
            default ``trials_per_batch`` on this engine); trials sharing the batch size share
            a program, those of one loss share a group (learning rates and float loss
            hyperparameters such as Huber's ``delta`` are per member).

    Attributes:
        fallbacks: ``{trial_id: reason}`` of the trials that ran sequentially.
        chunks: the number of fused programs run so far.
        programs: the compiled programs by structure; a chunk with the structure of an
            earlier one (``tune``'s later batches: same batch size, losses and member counts,
            any learning rates and float loss hyperparameters) reuses them.
        weights: ``{trial_id: [arrays in model.trainable_variables order]}`` (keep_weights).
    """

    name = "fused"

    def __init__(
        self,
        *,
        memory_budget: int = DEFAULT_BUDGET,
        shuffle: bool = True,
        keep_weights: bool = False,
        parallelism: int = 8,
        fast_compile: bool | None = None,
        fast_compile_work: float = FAST_COMPILE_WORK,
    ) -> None:
        self.memory_budget = int(memory_budget)
        self.parallelism = int(parallelism)
        self.shuffle = bool(shuffle)
        self.keep_weights = bool(keep_weights)
        self.fast_compile = None if fast_compile is None else bool(fast_compile)
        self.fast_compile_work = float(fast_compile_work)
        self.weights: dict[str, list[Any]] = {}
        self.fallbacks: dict[str, str] = {}
        self.chunks = 0
        from losslab.experiment.fused._reuse import ProgramCache

        self.programs = ProgramCache()
        self._logged: set[str] = set()

    @classmethod
    def for_tune(cls) -> FusedEngine:
        """The engine ``tune`` uses by default under JAX (``--engine local`` or ``fused``).

        Batches of ``TUNE_PARALLELISM`` asked trials, a network of Dense layers compiled
        with ``fast_compile`` whatever the table's size: a tune is many short, compile-bound
        batches, and the level-0 programs train the same within float32 rounding
        (``bench/bench_tune_fused.py``, ``docs/experiments.md``); other bodies (convolutions)
        keep full optimisation.

        Example:
            >>> FusedEngine.for_tune().parallelism == TUNE_PARALLELISM
            True
        """
        return cls(parallelism=TUNE_PARALLELISM, fast_compile_work=TUNE_FAST_COMPILE_WORK)

    def __repr__(self) -> str:
        return f"FusedEngine(memory_budget={self.memory_budget})"

    def map(self, fn: Callable[[Any], Any], tasks: Iterable[Any], *, epoch_end: EpochEnd | None = None) -> Iterator[Any]:
        """Yield one :class:`TrialRecord` per task (fused where possible).

        Args:
            fn: ``run_trial`` or ``functools.partial(run_trial, judge_each_epoch=KEY)``
                (then each member's logs and history hold the validation judge metric under
                KEY); any other function runs every task sequentially.
            tasks: the trial tasks.
            epoch_end: ``fn(trial_id, epoch, logs) -> stop`` after every epoch of every
                trial (tune's pruning): ``True`` freezes that member like an early stop. On
                the sequential path it is a Keras callback, so ``fn`` must accept
                ``callbacks=``.
        """
        tasks = list(tasks)
        if not tasks:
            return
        reason = fallback_reason(fn)
        if reason is not None:
            yield from self._sequential(fn, tasks, reason, epoch_end)
            return
        judge_key = (trial_options(fn) or {}).get("judge_each_epoch")
        bundles: dict[str, list[TrialTask]] = {}
        for t in tasks:
            bundles.setdefault(_bundle_key(t), []).append(t)
        for bundle in bundles.values():
            reason = fallback_reason(fn, bundle[0])
            if reason is not None:
                yield from self._sequential(fn, bundle, reason, epoch_end)
                continue
            from losslab.experiment.fused._members import member_bytes

            data = load_prepared(bundle[0].run_dir)
            pending = {t.trial_id for t in bundle}
            for chunk in _chunks(_with_every_seed(bundle), member_bytes(bundle, data), self.memory_budget):
                if any(t.trial_id in pending for t in chunk):
                    try:
                        records = self.run_chunk(chunk, data, judge_key=judge_key, epoch_end=epoch_end)
                    except Exception as e:  # a body or loss the fused program cannot trace
                        todo = [t for t in chunk if t.trial_id in pending]
                        why = (
                            "the fused program could not be built (a layer or loss that does not run under "
                            f"jax.jit/vmap, e.g. NumPy calls or Python branches on values): {type(e).__name__}: "
                            f"{' '.join(str(e).split())[:200]}"
                        )
                        yield from self._sequential(fn, todo, why, epoch_end)
                        continue
                    yield from (r for r in records if r.trial_id in pending)

    def _sequential(self, fn: Callable[..., Any], tasks: Sequence[TrialTask], reason: str, epoch_end: EpochEnd | None = None) -> Iterator[Any]:
        if reason not in self._logged:
            self._logged.add(reason)
            _LOG.warning("losslab: %d trial(s) run sequentially (one Keras fit each): %s.", len(tasks), reason)
        for t in tasks:
            self.fallbacks[t.trial_id] = reason
            yield fn(t) if epoch_end is None else fn(t, callbacks=[_hook_callback(epoch_end, t.trial_id)])

    def run_chunk(
        self, tasks: Sequence[TrialTask], data: Any, *, judge_key: str | None = None, epoch_end: EpochEnd | None = None
    ) -> list[TrialRecord]:
        """Train ``tasks`` (same run directory, model and training settings) as one program;
        ``judge_key`` and ``epoch_end`` as in :meth:`map`."""
        import numpy as np

        from losslab.experiment.fused._members import build_groups
        from losslab.experiment.fused._program import Programs, can_pad
        from losslab.experiment.fused._records import member_record, val_scorer
        from losslab.experiment.fused._reuse import merge_groups
        from losslab.experiment.fused._train import EpochHooks, train

        t0 = time.perf_counter()
        seeds = sorted({int(t.seed) for t in tasks})
        groups, traced = merge_groups(build_groups(tasks, data, seeds))
        progs = Programs(
            groups, data.x_train, data.x_val, int(tasks[0].training["batch_size"]),
            padded=can_pad(groups), x_test=data.x_test, cache=self.programs, traced=traced,
            compiler_options={"xla_backend_optimization_level": 0} if self._fast(groups, data, tasks[0]) else None,
            bucket_members=judge_key is not None,  # tune's repeated batches: reuse programs
        )
        setup = (time.perf_counter() - t0) / len(tasks)
        hooks = EpochHooks(judge_key, val_scorer(groups, progs, data) if judge_key else None, epoch_end)
        final, runs = train(groups, progs, seeds, shuffle=self.shuffle, hooks=hooks)
        states = [(tv, ntv, None) for tv, ntv in final]
        n_val = len(data.x_val)  # one compiled forward for both splits
        raw = [np.asarray(r) for r in progs.raw(states, progs.x_eval)]
        raw_val = [r[:, :n_val] for r in raw]
        raw_test = [r[:, n_val:] for r in raw]
        self.chunks += 1
        out = []
        for gi, (g, rs) in enumerate(zip(groups, runs, strict=True)):
            for j, r in enumerate(rs):
                if self.keep_weights:
                    self.weights[r.member.task.trial_id] = [np.asarray(w[j]) for w in final[gi][0]]
                rec = member_record(g, r, data, raw_test[gi][j], raw_val[gi][j], setup_seconds=setup)
                if rec.status == "ok" and getattr(r.member.task, "save_model", False):
                    _save_member(r.member.task, final[gi], j)
                out.append(rec)
        return out


    def _fast(self, groups: Sequence[Any], data: Any, task: TrialTask) -> bool:
        if self.fast_compile is not None:
            return self.fast_compile
        return fast_compile_pays(groups, len(data.x_train), int(task.training["max_epochs"]), self.fast_compile_work)


#: Layers whose level-0 code is about as fast as the optimised one (matrix products and
#: element-wise operations); any other layer (convolutions, recurrences, attention) keeps
#: full optimisation.
CHEAP_LAYERS = frozenset({
    "InputLayer", "Dense", "Dropout", "AlphaDropout", "GaussianDropout", "GaussianNoise", "Activation",
    "ReLU", "LeakyReLU", "PReLU", "ELU", "Softmax", "BatchNormalization", "LayerNormalization",
    "Normalization", "Rescaling", "Flatten", "Reshape", "Concatenate", "Add", "Subtract", "Multiply",
    "Average", "Identity",
})


def fast_compile_pays(groups: Sequence[Any], n_train: int, max_epochs: int, limit: float = FAST_COMPILE_WORK) -> bool:
    """Whether XLA's fast (level-0) compile pays for a chunk: its network has only
    :data:`CHEAP_LAYERS` and its training is small (members x parameters x training rows x
    epoch cap at most ``limit``), so compiling, not training, is most of its time.

    Measured here (bench/bench_fused.py): the diabetes demo (12 members x ~1.5k parameters x
    265 rows x 100 epochs = 4.8e8) ran 1.2-2 s faster with the fast compile; a 50k-row table
    (25 members x ~1.8k parameters x 30k rows x 10 epochs = 1.4e10) about 28 s slower; a
    Conv1D body (3,000 sequences) 9x slower.

    Example:
        >>> import keras, numpy as np
        >>> from types import SimpleNamespace
        >>> mlp = keras.Sequential([keras.Input((10,)), keras.layers.Dense(32), keras.layers.Dense(1)])
        >>> g = SimpleNamespace(model=mlp, state=[[np.zeros((3, 10, 32)), np.zeros((3, 32))], [], []])
        >>> fast_compile_pays([g], n_train=265, max_epochs=100), fast_compile_pays([g], n_train=30_000, max_epochs=100)
        (True, False)
        >>> conv = keras.Sequential([keras.Input((8, 2)), keras.layers.Conv1D(4, 3), keras.layers.Flatten()])
        >>> fast_compile_pays([SimpleNamespace(model=conv, state=g.state)], n_train=265, max_epochs=100)
        False
    """
    import numpy as np

    if not all(_cheap(g.model) for g in groups):
        return False
    stacked = sum(int(np.prod(np.shape(a))) for g in groups for a in g.state[0])  # members x parameters
    return stacked * int(n_train) * int(max_epochs) <= limit


def _cheap(model: Any) -> bool:
    """Every layer of ``model`` (nested models' layers included) is in :data:`CHEAP_LAYERS`."""
    import keras

    for layer in model.layers:
        if isinstance(layer, keras.Model):
            if not _cheap(layer):
                return False
        elif type(layer).__name__ not in CHEAP_LAYERS:
            return False
    return True


def _hook_callback(epoch_end: EpochEnd, trial_id: str) -> Any:
    """``epoch_end`` as a Keras callback of a sequential trial: ``True`` stops its fit."""
    import keras

    class _EpochEnd(keras.callbacks.Callback):
        def on_epoch_end(self, epoch: int, logs: dict[str, Any] | None = None) -> None:
            if epoch_end(trial_id, epoch, dict(logs or {})):
                self.model.stop_training = True

    return _EpochEnd()


def _save_member(task: TrialTask, state: Any, j: int) -> None:
    """Store member ``j``'s trained network like the sequential trial does (``--no-models``
    turns it off): its (best) weights assigned to the trial's network, variable by variable."""
    import numpy as np

    from losslab.experiment.export import build_network, save_trial_model

    net = build_network(task)
    trainable, non_trainable = state
    for var, w in zip(net.trainable_variables, trainable, strict=True):
        var.assign(np.asarray(w[j]))
    for var, w in zip(net.non_trainable_variables, non_trainable, strict=True):
        var.assign(np.asarray(w[j]))
    save_trial_model(task, net)
