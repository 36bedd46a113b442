"""Tuning steps that run trials: the objective (suggest a configuration, train, store) and
the two loops, in this process with live pruning or in batches through an engine.
"""

from __future__ import annotations

import dataclasses
import functools
import math
from collections.abc import Mapping
from typing import Any

from losslab.errors import InvalidParameterError
from losslab.experiment.config import ExperimentPlan
from losslab.experiment.engine import Engine
from losslab.experiment.execution import OpenRun
from losslab.experiment.lineup import Contender
from losslab.experiment.progress import TrialProgress
from losslab.experiment.trial import TrialRecord, TrialTask, run_trial
from losslab.experiment.tune_study import (
    VAL_JUDGE,
    LossBudget,
    SearchSettings,
    enqueue_next,
    enqueue_retry,
    pending_retries,
    takes_epoch_end,
)

__all__ = ["LivePruning", "TuneObjective", "run_batched", "run_in_process", "search_space", "suggest"]


def search_space(spec: Any, params: Mapping[str, Any]) -> dict[str, tuple[Any, ...]]:
    """The tunable parameters of a loss: those with a catalog search space that the user left
    at their default (a value set explicitly, e.g. ``huber:delta=2``, is kept fixed).

    Example:
        >>> from losslab.catalog import get_spec
        >>> list(search_space(get_spec("huber"), {"delta": 2.0}))
        []
    """
    out = {}
    for p in spec.params:
        if p.search is None or params.get(p.name, p.default) != p.default:
            continue
        out[p.name] = tuple(p.search)
    return out


def suggest(trial: Any, name: str, space: tuple[Any, ...]) -> Any:
    """Ask ``trial`` for a value of ``name`` in a catalog search space
    (``("float", low, high[, log])``, ``("int", ...)``, ``("categorical", choices)``)."""
    kind = space[0]
    log = bool(space[3]) if len(space) > 3 else False
    if kind == "float":
        return trial.suggest_float(name, float(space[1]), float(space[2]), log=log)
    if kind == "int":
        return trial.suggest_int(name, int(space[1]), int(space[2]), log=log)
    if kind == "categorical":
        return trial.suggest_categorical(name, list(space[1]))
    raise InvalidParameterError(
        f"Unknown search space {space!r} for {name}: expected float, int or categorical."
    )


class TuneObjective:
    """Turns an Optuna trial into a :class:`TrialTask` and a finished record into a value."""

    def __init__(self, plan: ExperimentPlan, run: OpenRun, settings: SearchSettings) -> None:
        self.plan, self.run, self.settings = plan, run, settings
        self.by_label: dict[str, Contender] = {c.label: c for c in plan.contenders}
        self.labels = [c.label for c in plan.contenders]

    def make_task(self, trial: Any) -> tuple[dict[str, Any], TrialTask]:
        """Suggest this trial's configuration (on the driver) and describe its training."""
        cand = self.by_label[trial.suggest_categorical("loss", self.labels)]
        lo, hi = self.settings.learning_rate
        lr = trial.suggest_float("learning_rate", lo, hi, log=True)
        bs = trial.suggest_categorical("batch_size", list(self.settings.batch_sizes))
        params = dict(cand.params)
        if self.settings.tune_loss_params:
            for name, space in search_space(cand.spec, cand.params).items():
                params[name] = suggest(trial, f"{cand.spec.name}.{name}", space)
        params = cand.spec.validate_params(params)
        training = dataclasses.replace(self.plan.training, learning_rate=lr, batch_size=bs)
        task = TrialTask(
            run_dir=str(self.run.store.path),
            trial_id=f"tune-{trial.number:04d}",
            candidate={**cand.to_dict(), "params": params},
            seed=self.settings.seed,
            task=str(self.plan.task),
            n_classes=self.run.prepared.n_classes,
            primary_metric=self.plan.primary,
            goal_quantile=self.plan.quantile,
            model=self.plan.model,
            training=training.to_dict(),
        )
        return params, task

    def record(self, trial: Any, params: Mapping[str, Any], rec: TrialRecord) -> float | None:
        """Store a finished trial and attach its results to the Optuna trial."""
        value = rec.val_metrics.get(self.plan.primary) if rec.status == "ok" else None
        trial.set_user_attr(
            "loss_params", {k: (list(v) if isinstance(v, tuple) else v) for k, v in params.items()}
        )
        trial.set_user_attr("test_metrics", rec.metrics)
        trial.set_user_attr("epochs_run", rec.epochs_run)
        self.run.store.append(rec.to_dict(), rec.arrays)
        return None if value is None else float(value)

    def __call__(self, trial: Any) -> float:
        """The in-process objective (the pruning callback stops a trial live)."""
        from optuna_integration import KerasPruningCallback

        params, task = self.make_task(trial)
        from optuna import TrialPruned

        cbs = [KerasPruningCallback(trial, VAL_JUDGE)] if self.settings.pruning else []
        try:
            rec = run_trial(task, callbacks=cbs, judge_each_epoch=VAL_JUDGE)
        except TrialPruned:
            raise
        except BaseException:
            # cut short (Ctrl-C, an error): Optuna marks it failed; as on the engine path it
            # does not use its loss's budget, so re-running the command redoes it
            trial.set_user_attr("interrupted", True)
            raise
        value = self.record(trial, params, rec)
        return float("nan") if value is None else value


def run_in_process(
    study: Any, objective: TuneObjective, budget: LossBudget, bar: TrialProgress
) -> None:
    """One trial after another in this process, each loss enqueued in turn."""
    while (nxt := budget.next_label(budget.counts())) is not None:
        enqueue_next(study, nxt, objective.settings.seed)
        study.optimize(objective, n_trials=1, catch=(), gc_after_trial=False)
        bar.set_completed(budget.used())


def _ask_batch(
    study: Any, objective: TuneObjective, budget: LossBudget, width: int
) -> dict[str, tuple[Any, dict[str, Any], TrialTask]]:
    counts = budget.counts()
    batch: dict[str, tuple[Any, dict[str, Any], TrialTask]] = {}
    seed = objective.settings.seed
    # after a kill, the cut-short trials are redone first, as a batch of their own: the next
    # batch is then asked at the same point as in an uninterrupted study
    for number, params in pending_retries(study)[:width]:
        label = params.get("loss")
        if label in counts and counts[label] < budget.n_trials:
            counts[label] += 1
            enqueue_retry(study, number, params, seed)
            _add(batch, objective, study.ask())
    retried = bool(batch)
    while not retried and len(batch) < width and (nxt := budget.next_label(counts)) is not None:
        counts[nxt] += 1  # asked trials count against the loss's budget
        enqueue_next(study, nxt, seed)
        _add(batch, objective, study.ask())
    return batch


def _add(batch: dict[str, Any], objective: TuneObjective, trial: Any) -> None:
    params, task = objective.make_task(trial)
    batch[task.trial_id] = (trial, params, task)


def _tell(study: Any, trial: Any, rec: TrialRecord, value: float | None, pruning: bool) -> None:
    from optuna.trial import TrialState

    if pruning:  # reported after the fact: the history and plots stay complete
        for step, v in enumerate(rec.history.get(VAL_JUDGE) or []):
            if v is not None and math.isfinite(v):
                trial.report(float(v), step)
    if value is None or not math.isfinite(value):
        study.tell(trial, state=TrialState.FAIL)
    else:
        study.tell(trial, value)


class LivePruning:
    """Pruning while an engine trains a batch (an engine whose ``map`` takes ``epoch_end``,
    such as the fused one): after every epoch of a trial its ``val_judge`` value is reported
    to its Optuna trial, as ``KerasPruningCallback`` does, and the trial is stopped (frozen
    like an early stop) when ``trial.should_prune()``; :attr:`pruned` names those trials.
    """

    def __init__(self, trials: Mapping[str, Any]) -> None:
        self.trials = trials
        self.pruned: set[str] = set()

    def __call__(self, trial_id: str, epoch: int, logs: Mapping[str, float]) -> bool:
        value = logs.get(VAL_JUDGE)
        if value is None or trial_id not in self.trials:
            return False
        trial = self.trials[trial_id]
        trial.report(float(value), step=epoch)
        if trial.should_prune():
            self.pruned.add(trial_id)
            return True
        return False


def _tell_batch_trial(study: Any, objective: TuneObjective, entry: tuple[Any, Any, Any], rec: TrialRecord, live: LivePruning | None) -> None:
    """Store and tell one finished trial of a batch (a pruned one is told PRUNED and, as on
    the in-process path, not stored)."""
    from optuna.trial import TrialState

    trial, params, _ = entry
    if live is not None and rec.trial_id in live.pruned:
        trial.set_user_attr("loss_params", {k: (list(v) if isinstance(v, tuple) else v) for k, v in params.items()})
        trial.set_user_attr("epochs_run", rec.epochs_run)
        study.tell(trial, state=TrialState.PRUNED)
        return
    value = objective.record(trial, params, rec)
    _tell(study, trial, rec, value, objective.settings.pruning and live is None)


def run_batched(
    study: Any,
    objective: TuneObjective,
    budget: LossBudget,
    engine: Engine,
    width: int,
    bar: TrialProgress,
) -> None:
    """Ask ``width`` trials, map them through ``engine`` in one call, store and tell each as
    it finishes; ask the next batch once the whole batch is told. With an engine that takes
    ``epoch_end`` (the fused one) and pruning on, trials are pruned live (:class:`LivePruning`)."""
    from optuna.trial import TrialState

    fn = functools.partial(run_trial, judge_each_epoch=VAL_JUDGE)
    while batch := _ask_batch(study, objective, budget, width):
        told: set[str] = set()
        live = LivePruning({tid: b[0] for tid, b in batch.items()}) if objective.settings.pruning and takes_epoch_end(engine) else None
        recs = engine.map(fn, [b[2] for b in batch.values()], epoch_end=live) if live is not None else engine.map(fn, [b[2] for b in batch.values()])
        try:
            for rec in recs:
                _tell_batch_trial(study, objective, batch[rec.trial_id], rec, live)
                told.add(rec.trial_id)
                bar.set_completed(budget.used())
        finally:
            # a trial cut short (an error, Ctrl-C) is not left RUNNING; it does not use its
            # loss's budget, so re-running the command redoes it
            for tid, (trial, _, _) in batch.items():
                if tid not in told:
                    trial.set_user_attr("interrupted", True)
                    study.tell(trial, state=TrialState.FAIL)
