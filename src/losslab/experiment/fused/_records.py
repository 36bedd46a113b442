"""Trial records of a fused run, in the form ``run_trial`` gives them.

The raw test outputs go through the catalog's predict transform and the inverse target
scaling, then the judge metrics (:func:`losslab.experiment.judge.judge`); the status and
error follow ``run_trial``'s conventions (``"nan"`` when TerminateOnNaN stopped the member
or its outputs are not finite, ``"failed"`` when the primary metric is undefined).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from losslab.experiment.fused._members import Group, for_member
from losslab.experiment.fused._train import MemberRun
from losslab.experiment.trial import NAN_ERROR, TrialRecord, judged_status, record_identity
from losslab.experiment.trial_callbacks import event_records

__all__ = ["member_record", "prediction", "val_scorer"]


def prediction(group: Group, raw: np.ndarray, data: Any) -> np.ndarray:
    """Raw outputs -> predictions in the target's units (catalog predict with the positive
    heads' cap from the training targets, as the sequential trial does, then unscaling)."""
    from losslab.experiment import positive_guard

    return positive_guard.prediction_in_target_units(
        group.spec,
        group.hs,
        raw,
        group.params,
        shift=group.shift,
        scale=group.scale,
        target_dim=data.target_dim,
        bounds=positive_guard.positive_bounds(data.y_train),
    )


def val_scorer(groups: Sequence[Group], progs: Any, data: Any) -> Callable[[Any], list[np.ndarray]]:
    """``states -> [validation judge metric per member]`` per group: the primary judge metric
    of the current weights on the validation split (NaN when undefined or the outputs are
    not finite), as the sequential trial's ``judge_each_epoch`` callback computes it."""
    from losslab.experiment import judge

    n_val = len(data.x_val)

    def score(states: Any) -> list[np.ndarray]:
        raws = [np.asarray(r)[:, :n_val].astype(np.float64) for r in progs.raw(states, progs.x_eval)]
        out = []
        for g, raw in zip(groups, raws, strict=True):
            values = []
            for m, r in zip(g.members, raw, strict=True):
                t = m.task
                v = None
                if np.isfinite(r).all():
                    pred = prediction(for_member(g, m), r, data)
                    scores = judge.judge(t.task, data.y_val, pred, n_classes=t.n_classes, quantile=t.goal_quantile, quantiles=g.levels)
                    v = scores.get(t.primary_metric)
                values.append(np.nan if v is None else float(v))
            out.append(np.asarray(values))
        return out

    return score


def _scores(group: Group, run: MemberRun, data: Any, raw_test: np.ndarray, raw_val: np.ndarray) -> tuple[str, str | None, dict, dict]:
    from losslab.experiment import judge

    task = run.member.task
    if run.nan_stop or not np.isfinite(raw_test).all():
        return "nan", NAN_ERROR, {}, {}
    def scores(y: np.ndarray, raw: np.ndarray) -> dict[str, float | None]:
        pred = prediction(group, raw, data)
        return judge.judge(task.task, y, pred, n_classes=task.n_classes, quantile=task.goal_quantile, quantiles=group.levels)

    metrics = scores(data.y_test, raw_test)
    val = scores(data.y_val, raw_val)
    return "ok", None, metrics, {task.primary_metric: val.get(task.primary_metric)}


def member_record(group: Group, run: MemberRun, data: Any, raw_test: np.ndarray, raw_val: np.ndarray, *, setup_seconds: float) -> TrialRecord:
    """The :class:`TrialRecord` of one member."""
    t0 = time.perf_counter()
    task = run.member.task
    group = for_member(group, run.member)
    raw_test = raw_test.astype(np.float64)
    status, error, metrics, val_metrics = _scores(group, run, data, raw_test, raw_val.astype(np.float64))
    arrays = {"raw": raw_test.astype(np.float32)}
    if status == "ok":
        arrays["prediction"] = prediction(group, raw_test, data).astype(np.float32)
    status, error, primary = judged_status(task, status, error, metrics)
    epochs_run = len(run.history["loss"])
    es = run.es
    best_epoch = int(es.best_epoch) + 1 if es is not None and getattr(es, "best_epoch", None) is not None and epochs_run else None
    return TrialRecord(
        **record_identity(task, group.spec, group.params, group.hs),
        status=status,
        error=error,
        metrics=metrics,
        primary=primary,
        val_metrics=val_metrics,
        epochs_run=epochs_run,
        best_epoch=best_epoch,
        stopped_early=bool(es is not None and es.stopped_epoch > 0),
        history=run.history,
        train_seconds=round(run.train_seconds, 4),
        seconds=round(setup_seconds + run.train_seconds + time.perf_counter() - t0, 4),
        events=event_records(run.watchers) + _guard_events(group, data, raw_val, raw_test, epochs_run),
        arrays=arrays,
    )


def _guard_events(group: Group, data: Any, raw_val: np.ndarray, raw_test: np.ndarray, epoch: int) -> list[dict[str, Any]]:
    """The positive-head cap's events on the validation / test rows (as the sequential trial)."""
    from losslab.experiment import positive_guard

    bounds = positive_guard.positive_bounds(data.y_train)
    raws = {"validation": raw_val, "test": raw_test}
    return positive_guard.extrapolation_events(group.hs, group.spec, group.params, raws, bounds, epoch=epoch, scale=group.scale)
