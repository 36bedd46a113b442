"""The epoch loop of a fused run, with Keras's stopping rules applied member by member.

Each member gets its own Keras callbacks, exactly those of ``run_trial``: an
``EarlyStopping`` built from the trial's config, the training watchers
(:func:`losslab.experiment.trial_callbacks.loss_watchers`) and TerminateOnNaN's rule. They are
Keras's own objects, fed after each epoch with the member's logs (``loss`` = the mean of
the epoch's batch losses weighted by batch size, as Keras's loss tracker reports it;
``val_loss`` as ``evaluate`` reports it), so patience, ``min_delta``, ``baseline``,
``start_from_epoch`` and ``restore_best_weights`` follow Keras's code. The callbacks see a
:class:`MemberView` instead of a model: ``get_weights`` asks for a snapshot of the member's
current weights (taken on the device for every member at once), ``set_weights`` asks to
restore that snapshot at the end.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from losslab.experiment.fused._members import Group, Member
from losslab.experiment.fused._program import Programs, batch_indices, pad_last_batch

__all__ = ["EpochHooks", "MemberRun", "MemberView", "train"]


class MemberView:
    """What a Keras callback sees of one member: the group's optimizer, loss and layers
    (read by the watchers to name likely causes), ``stop_training``, and weights by token."""

    def __init__(self, group: Group) -> None:
        self.optimizer = group.optimizer
        self.loss = group.loss
        self.layers = group.model.layers
        self.trainable_weights = group.model.trainable_weights
        self.stop_training = False
        self.snapshot = False
        self.restore = False

    def get_weights(self) -> str:
        self.snapshot = True
        return "member-weights"

    def set_weights(self, weights: Any) -> None:
        self.restore = True


@dataclass
class EpochHooks:
    """What a caller adds to each epoch of every member (tune's pruning).

    Attributes:
        key: the log key of ``score``'s values (tune: ``val_judge``), or None.
        score: ``states -> [values per member]`` per group, after each epoch (the validation
            judge metric), or None.
        epoch_end: ``fn(trial_id, epoch, logs) -> stop``: called after each epoch of every
            member still training; ``True`` freezes the member like an early stop (a pruned
            trial).
    """

    key: str | None = None
    score: Callable[[Any], list[np.ndarray]] | None = None
    epoch_end: Callable[[str, int, dict[str, float]], bool] | None = None


@dataclass
class MemberRun:
    """The training outcome of one member."""

    member: Member
    view: MemberView
    es: Any
    watchers: list[Any]
    history: dict[str, list[float | None]] = field(default_factory=lambda: {"loss": [], "val_loss": []})
    nan_stop: bool = False
    done: bool = False
    stopped_by_hook: bool = False
    train_seconds: float = 0.0


def _callbacks(group: Group, member: Member) -> MemberRun:
    import keras

    from losslab.experiment.trial_callbacks import loss_watchers as trial_watchers

    es_cfg = dict(member.task.training.get("early_stopping") or {})
    view = MemberView(group)
    es = None
    if es_cfg.get("enabled", True):
        es = keras.callbacks.EarlyStopping(**{k: v for k, v in es_cfg.items() if k != "enabled"})
    watchers = trial_watchers(es_cfg)
    for cb in [es, *watchers]:
        if cb is not None:
            cb.set_model(view)
            cb.on_train_begin()
    return MemberRun(member, view, es, watchers)


def _finite(v: float) -> float | None:
    return float(v) if math.isfinite(float(v)) else None


def _epoch_end(
    run: MemberRun, epoch: int, batch_losses: np.ndarray, sizes: np.ndarray, val: float, nan_rule: bool, extra: dict[str, float]
) -> dict[str, float]:
    """Feed one member's epoch to its callbacks, as ``fit`` would; returns the epoch's logs
    (``extra`` holds logs computed outside the step, e.g. tune's validation judge metric)."""
    running = np.cumsum(batch_losses * sizes) / np.cumsum(sizes)
    bad = np.flatnonzero(~np.isfinite(running))
    stop_batch = int(bad[0]) if nan_rule and bad.size else None
    loss = float(running[stop_batch] if stop_batch is not None else running[-1])
    for w in run.watchers:
        if hasattr(w, "on_epoch_begin"):
            w.on_epoch_begin(epoch)
        if hasattr(w, "on_train_batch_end"):
            w.on_train_batch_end(0, {"loss": float(running[0])})
            if bad.size:
                w.on_train_batch_end(int(bad[0]), {"loss": float(running[bad[0]])})
    logs = {"loss": loss, "val_loss": float(val), **extra}
    for key, value in logs.items():
        run.history.setdefault(key, []).append(_finite(value))
    if run.es is not None:
        run.es.on_epoch_end(epoch, logs)
    for w in run.watchers:
        w.on_epoch_end(epoch, logs)
    if stop_batch is not None or (nan_rule and not math.isfinite(loss)):
        run.nan_stop = True
    if run.nan_stop or run.view.stop_training:
        run.done = True
    return logs


def _to_host(values: Sequence[Any]) -> list[np.ndarray]:
    return [np.asarray(v) for v in values]



def _select(mask: np.ndarray, a: Sequence[np.ndarray], b: Sequence[np.ndarray]) -> list[np.ndarray]:
    """Per member (leading axis): ``a`` where ``mask``, else ``b``."""
    return [np.where(mask.reshape((-1,) + (1,) * (x.ndim - 1)), x, y) for x, y in zip(a, b, strict=True)]


def train(
    groups: Sequence[Group], progs: Programs, seeds: Sequence[int], *, shuffle: bool = True, hooks: EpochHooks | None = None
) -> tuple[Any, list[list[MemberRun]]]:
    """Train every member until it stops; returns the final stacked weights (the best ones
    where EarlyStopping restores them) and the per-member outcomes."""
    import time

    import jax.numpy as jnp

    tr = groups[0].members[0].task.training
    max_epochs, b = int(tr["max_epochs"]), int(tr["batch_size"])
    nan_rule = bool(tr.get("terminate_on_nan", True))
    runs = [[_callbacks(g, m) for m in g.members] for g in groups]
    states = progs.pad([tuple(g.state) for g in groups])
    best = [(list(s[0]), list(s[1])) for s in states]
    take = [np.zeros(len(g.members), dtype=bool) for g in groups]
    n = int(progs.x_train.shape[0])
    sizes = np.array([b] * (n // b) + ([n % b] if n % b else []), dtype=np.float64)
    t0 = time.perf_counter()
    for epoch in range(max_epochs):
        alive_np = [np.array([not r.done for r in rs]) for rs in runs]
        if not any(a.any() for a in alive_np):
            break
        full, rest = batch_indices(seeds, epoch, n, b, shuffle=shuffle)
        batches: Any = pad_last_batch(full, rest) if progs.padded else full
        alive = [jnp.asarray(a) for a in alive_np]
        states, _, losses, best, vals = progs.epoch(states, alive, batches, None if progs.padded else rest, best, [jnp.asarray(t) for t in take])
        vals = _to_host(vals)
        losses_np = _to_host(losses)
        scores = _to_host(hooks.score(states)) if hooks is not None and hooks.score is not None else None
        for gi, rs in enumerate(runs):
            for j, r in enumerate(rs):
                if alive_np[gi][j]:
                    extra = {hooks.key: float(scores[gi][j])} if scores is not None and hooks and hooks.key else {}
                    logs = _epoch_end(r, epoch, losses_np[gi][:, j].astype(np.float64), sizes, float(vals[gi][j]), nan_rule, extra)
                    r.train_seconds = time.perf_counter() - t0
                    if hooks is not None and hooks.epoch_end is not None and hooks.epoch_end(r.member.task.trial_id, epoch, logs):
                        r.done = r.stopped_by_hook = True
            take[gi] = np.array([r.view.snapshot for r in rs])
            for r in rs:
                r.view.snapshot = False
    for rs in runs:
        for r in rs:
            if r.es is not None:
                r.es.on_train_end()
            r.train_seconds = r.train_seconds or time.perf_counter() - t0
    final = []
    for gi, ((bt, bn), s, t, rs) in enumerate(zip(best, states, take, runs, strict=True)):
        restore = np.array([r.view.restore for r in rs])
        cur = [progs.unpad(gi, _to_host(s[0])), progs.unpad(gi, _to_host(s[1]))]
        snap = [_select(t, c, progs.unpad(gi, _to_host(x))) for c, x in zip(cur, (bt, bn), strict=True)]  # the last epoch's snapshot
        final.append(tuple(_select(restore, sn, c) for sn, c in zip(snap, cur, strict=True)))
    return final, runs
