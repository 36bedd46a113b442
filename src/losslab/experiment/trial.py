"""One trial: a pure function of (data reference, config, seed) -> :class:`TrialRecord`.

``run_trial`` reads the prepared split and the seed's initial body weights from the run
directory, builds the model with the loss's head from the catalog, trains with
EarlyStopping(val_loss) + TerminateOnNaN under a max-epochs cap, turns the raw test outputs
into predictions and scores the judge metrics. Engines (local, Spark) only decide where it
runs.
"""

from __future__ import annotations

import functools
import math
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from losslab.experiment.protocol import PreparedData
from losslab.experiment.store import utc_now

__all__ = ["TrialRecord", "TrialTask", "event_records", "load_prepared", "run_trial", "trial_watchers"]


@dataclass(frozen=True)
class TrialTask:
    """Everything a trial needs (picklable when ``model`` is a config dict).

    Attributes:
        run_dir: the run directory holding ``data/`` and ``init/`` (the data reference).
        trial_id: unique id (``<candidate_id>--seed<S>``).
        candidate: ``{"id", "label", "loss", "params", "class_weight"}``.
        seed: training seed (initial weights, head, batch order).
        task: task kind.
        n_classes: K for classification, else None.
        primary_metric: the primary judge metric name.
        goal_quantile: the goal's quantile level (pinball), or None.
        model: the MLP config dict, or a user's ``build_model`` callable.
        training: optimizer, learning_rate, batch_size, max_epochs, early_stopping, terminate_on_nan.
    """

    run_dir: str
    trial_id: str
    candidate: Mapping[str, Any]
    seed: int
    task: str
    n_classes: int | None
    primary_metric: str
    goal_quantile: float | None
    model: Any
    training: Mapping[str, Any]


@dataclass
class TrialRecord:
    """The result of one trial (field meanings: docs/run-directory.md)."""

    trial_id: str
    candidate_id: str
    label: str
    loss: str
    params: dict[str, Any]
    class_weight: Any
    seed: int
    head: str | None
    status: str
    error: str | None
    metrics: dict[str, float | None]
    primary_metric: str
    primary: float | None
    val_metrics: dict[str, float | None]
    epochs_run: int
    best_epoch: int | None
    max_epochs: int
    stopped_early: bool
    history: dict[str, list[float | None]]
    train_seconds: float
    seconds: float
    finished: str
    events: list[dict[str, Any]] = field(default_factory=list)
    arrays: dict[str, np.ndarray] = field(default_factory=dict, repr=False)

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d.pop("arrays")
        return d


@functools.lru_cache(maxsize=4)
def _load_cached(run_dir: str, mtime: float) -> PreparedData:
    return PreparedData.load(Path(run_dir) / "data")


def load_prepared(run_dir: str | Path) -> PreparedData:
    """The prepared split of a run directory (cached per process)."""
    p = Path(run_dir) / "data" / "split.npz"
    return _load_cached(str(run_dir), p.stat().st_mtime)


def _predict(model: Any, x: np.ndarray, batch: int = 8192) -> np.ndarray:
    """Raw outputs by direct calls (no compiled predict function: cheap for small data)."""
    from keras import ops

    parts = [ops.convert_to_numpy(model(x[i : i + batch], training=False)) for i in range(0, len(x), batch)]
    return np.concatenate(parts, axis=0).astype(np.float64)


class _EpochHook:
    """Keras callback factory calling ``fn(epoch, logs)`` after each epoch."""

    @staticmethod
    def make(fn: Callable[[int, Mapping[str, Any]], None]) -> Any:
        import keras

        class _Hook(keras.callbacks.Callback):
            def on_epoch_end(self, epoch: int, logs: Mapping[str, Any] | None = None) -> None:
                fn(epoch, logs or {})

        return _Hook()


def make_val_judge_callback(
    x_val: np.ndarray, y_val: np.ndarray, prediction: Callable[[np.ndarray], np.ndarray], score: Callable[[np.ndarray], float | None], key: str
) -> Any:
    """A callback writing the validation judge metric into ``logs[key]`` after each epoch
    (placed before a pruning callback, which then reads it)."""
    import keras

    class _ValJudge(keras.callbacks.Callback):
        def on_epoch_end(self, epoch: int, logs: dict[str, Any] | None = None) -> None:
            raw = _predict(self.model, x_val)
            v = score(prediction(raw)) if np.isfinite(raw).all() else None
            if logs is not None:
                logs[key] = float("nan") if v is None else float(v)

    return _ValJudge()


def trial_watchers(es_cfg: Mapping[str, Any]) -> list[Any]:
    """The training watchers of a trial: they collect events and never print or stop.

    A :class:`~losslab.callbacks.DivergenceGuard` always (NaN/inf, explosion, stuck; NaN
    itself is stopped by TerminateOnNaN). An :class:`~losslab.callbacks.OverfittingMonitor`
    only when early stopping is off or does not restore the best weights: otherwise a rising
    validation loss is what early stopping already handles (its weights are not kept), and
    flagging it would mark nearly every early-stopped trial.
    """
    from losslab.callbacks import DivergenceGuard, OverfittingMonitor

    out: list[Any] = [DivergenceGuard(action="warn", warn=False)]
    if not es_cfg.get("enabled", True) or not es_cfg.get("restore_best_weights", False):
        out.append(OverfittingMonitor(action="warn", warn=False))
    return out


def event_records(watchers: Sequence[Any]) -> list[dict[str, Any]]:
    """The watchers' events as stored in a trial record (docs/run-directory.md)."""
    out: list[dict[str, Any]] = []
    for w in watchers:
        monitor = type(w).__name__ == "OverfittingMonitor"
        source = "overfitting_monitor" if monitor else "divergence_guard"
        for ev in w.events:
            details = dict(ev.details)
            out.append(
                {
                    "source": source,
                    "kind": ev.kind,
                    "epoch": int(ev.epoch) + 1,
                    "batch": None if ev.batch is None else int(ev.batch) + 1,
                    "message": ev.message,
                    "causes": [str(c) for c in details.pop("causes", [])],
                    "details": details,
                }
            )
    return sorted(out, key=lambda d: (d["epoch"], d["batch"] or 0))


def run_trial(
    task: TrialTask,
    *,
    callbacks: Sequence[Any] = (),
    on_epoch: Callable[[int, Mapping[str, Any]], None] | None = None,
    judge_each_epoch: str | None = None,
) -> TrialRecord:
    """Train and judge one (loss, seed) pair.

    Args:
        task: the :class:`TrialTask`.
        callbacks: extra Keras callbacks (e.g. Optuna's pruning callback), run after the
            built-in ones.
        on_epoch: ``fn(epoch, logs)`` after each epoch (progress bars).
        judge_each_epoch: when set, the validation primary judge metric is written into
            ``logs[judge_each_epoch]`` after each epoch (for pruning on the judge metric).

    Returns:
        The :class:`TrialRecord` (status ``"nan"`` when TerminateOnNaN stopped training or
        the outputs are not finite; ``events`` holds what the training watchers noticed). Exceptions from a user's ``build_model`` propagate.

    Example:
        >>> rec = run_trial(task)  # doctest: +SKIP
        >>> rec.metrics["rmse"]    # doctest: +SKIP
    """
    import keras

    from losslab.catalog import get_spec
    from losslab.experiment import heads, judge
    from losslab.experiment.models import (
        build_body,
        build_full_model,
        load_initial_weights,
        set_seed,
    )

    t0 = time.perf_counter()
    data = load_prepared(task.run_dir)
    cand = task.candidate
    spec = get_spec(cand["loss"])
    params = spec.validate_params(cand.get("params", {}))
    tr = task.training
    hs = heads.head_spec(spec, params, task=task.task, target_dim=data.target_dim, n_classes=task.n_classes)
    levels = heads.quantile_levels(spec, params) if hs.head.value == "quantiles" else None

    # regression-type heads learn the target standardised with the training rows' mean and
    # std (loss parameters in target units, e.g. Huber's delta, then refer to that scale, as
    # the advisor sets them); predictions are mapped back, so judge metrics are in the
    # target's units. Positive heads (log-rate, softplus) keep the raw non-negative target.
    shift, scale = heads.target_scaling(hs, data.y_train, task=task.task, enabled=bool(tr.get("scale_target", True)))
    y_train_fit = (data.y_train - shift) / scale if scale is not None else data.y_train
    y_val_fit = (data.y_val - shift) / scale if scale is not None else data.y_val

    set_seed(task.seed)
    body = build_body(task.model, data.input_shape, task.seed)
    load_initial_weights(body, Path(task.run_dir) / "init" / f"seed-{task.seed}.npz")
    head = heads.build_head_layer(
        hs, seed=task.seed * 7919 + 997, bias=heads.initial_bias(hs, spec, params, y_train_fit)
    )
    model = build_full_model(body, head)
    optimizer = keras.optimizers.get(
        {"class_name": tr.get("optimizer", "adam"), "config": {"learning_rate": float(tr["learning_rate"])}}
    )
    model.compile(optimizer=optimizer, loss=spec.build(**params))

    y_train = heads.encode_targets(spec, hs, y_train_fit, task=task.task, n_classes=task.n_classes)
    y_val = heads.encode_targets(spec, hs, y_val_fit, task=task.task, n_classes=task.n_classes)
    cw = None
    if cand.get("class_weight") is not None and task.n_classes:
        cw = heads.class_weights(cand["class_weight"], data.y_train, task.n_classes)

    def prediction(raw: np.ndarray) -> np.ndarray:
        pred = heads.to_prediction(spec, hs, raw, params)
        if scale is None:
            return pred
        d = data.target_dim
        # the prediction holds D columns (point) or Q*D columns (quantiles, level-major)
        reps = pred.shape[-1] // d if pred.ndim > 1 else 1
        return pred * np.tile(scale, reps) + np.tile(shift, reps) if pred.ndim > 1 else pred * scale[0] + shift[0]

    def score(pred: np.ndarray, y: np.ndarray = data.y_val) -> float | None:
        m = judge.judge(
            task.task, y, pred, n_classes=task.n_classes, quantile=task.goal_quantile, quantiles=levels
        )
        return m.get(task.primary_metric)

    es_cfg = dict(tr.get("early_stopping") or {})
    cbs: list[Any] = []
    es = None
    if es_cfg.get("enabled", True):
        es = keras.callbacks.EarlyStopping(**{k: v for k, v in es_cfg.items() if k != "enabled"})
        cbs.append(es)
    watchers = trial_watchers(es_cfg)
    cbs.extend(watchers)
    if tr.get("terminate_on_nan", True):
        cbs.append(keras.callbacks.TerminateOnNaN())
    if judge_each_epoch:
        cbs.append(make_val_judge_callback(data.x_val, data.y_val, prediction, score, judge_each_epoch))
    if on_epoch is not None:
        cbs.append(_EpochHook.make(on_epoch))
    cbs.extend(callbacks)

    max_epochs = int(tr["max_epochs"])
    t_fit = time.perf_counter()
    hist = model.fit(
        data.x_train,
        y_train,
        validation_data=(data.x_val, y_val),
        epochs=max_epochs,
        batch_size=int(tr["batch_size"]),
        callbacks=cbs,
        class_weight=cw,
        shuffle=bool(tr.get("shuffle", True)),  # internal: tests compare engines unshuffled
        verbose=0,
    )
    train_seconds = time.perf_counter() - t_fit
    history = {
        k: [float(v) if v is not None and math.isfinite(float(v)) else None for v in vals]
        for k, vals in hist.history.items()
    }
    epochs_run = len(history.get("loss", []))
    nan_stop = any(v is None for v in history.get("loss", []))

    raw_test = _predict(model, data.x_test)
    raw_val = _predict(model, data.x_val)
    status, error = "ok", None
    metrics: dict[str, float | None] = {}
    val_metrics: dict[str, float | None] = {}
    arrays: dict[str, np.ndarray] = {"raw": raw_test.astype(np.float32)}
    if nan_stop or not np.isfinite(raw_test).all():
        status = "nan"
        error = "training produced NaN or infinite values (TerminateOnNaN); try a lower learning rate"
    else:
        pred_test = prediction(raw_test)
        arrays["prediction"] = pred_test.astype(np.float32)
        metrics = judge.judge(
            task.task, data.y_test, pred_test, n_classes=task.n_classes, quantile=task.goal_quantile, quantiles=levels
        )
        val_metrics = {task.primary_metric: score(prediction(raw_val))}
    best_epoch = None
    if es is not None and getattr(es, "best_epoch", None) is not None and epochs_run:
        best_epoch = int(es.best_epoch) + 1
    primary = metrics.get(task.primary_metric) if status == "ok" else None
    if status == "ok" and primary is None:
        status, error = "failed", f"the judge metric {task.primary_metric} is undefined on the test split"
    return TrialRecord(
        trial_id=task.trial_id,
        candidate_id=str(cand["id"]),
        label=str(cand["label"]),
        loss=spec.name,
        params={k: (list(v) if isinstance(v, tuple) else v) for k, v in params.items()},
        class_weight=cand.get("class_weight"),
        seed=int(task.seed),
        head=hs.head.value,
        status=status,
        error=error,
        metrics=metrics,
        primary_metric=task.primary_metric,
        primary=primary,
        val_metrics=val_metrics,
        epochs_run=epochs_run,
        best_epoch=best_epoch,
        max_epochs=max_epochs,
        stopped_early=bool(es is not None and es.stopped_epoch > 0),
        history=history,
        train_seconds=round(train_seconds, 4),
        seconds=round(time.perf_counter() - t0, 4),
        finished=utc_now(),
        events=event_records(watchers),
        arrays=arrays,
    )
