"""One trial: a pure function of (data reference, config, seed) -> :class:`TrialRecord`.

``run_trial`` reads the split and the seed's initial weights from the run directory, builds
the model with the loss's head, trains with EarlyStopping + TerminateOnNaN under an epoch
cap, turns the raw test outputs into predictions and scores the judge metrics. Engines only
decide where it runs (the fused engine builds the same records: :func:`record_identity`).
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
from losslab.experiment.store import RunStore, utc_now
from losslab.experiment.trial_callbacks import (
    epoch_hook,
    event_records,
    loss_watchers,
    make_val_judge_callback,
    predict_raw,
)

__all__ = [
    "FitOutcome", "NAN_ERROR", "judged_status", "record_identity", "TrialRecord", "TrialSetup",
    "TrialTask", "build_trial_model", "load_prepared", "prepare_trial", "run_trial",
    "trial_record",
]


NAN_ERROR = "training produced NaN or infinite values (TerminateOnNaN); try a lower learning rate"


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
        save_model: store the trained network as ``trials/<trial_id>.keras`` (``--no-models``: False).
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
    save_model: bool = True


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
    return RunStore(run_dir).load_prepared()


def load_prepared(run_dir: str | Path) -> PreparedData:
    """The prepared split of a run directory (cached per process)."""
    p = RunStore(run_dir).data_dir / "split.npz"
    return _load_cached(str(run_dir), p.stat().st_mtime)


@dataclass
class TrialSetup:
    """What a trial trains on, decided before any model exists (no Keras).

    Attributes:
        data: the prepared split.
        spec, params: the catalog entry and its full parameters.
        head: the output head (:class:`~losslab.experiment.heads.HeadSpec`).
        levels: the quantile levels of a quantile head, else None.
        shift, scale: the target standardisation (``scale`` None: the target is used as is).
        y_train, y_val: the encoded training / validation targets the loss reads.
        class_weight: ``{class code: weight}`` for ``model.fit``, or None.
    """

    task: TrialTask
    data: PreparedData
    spec: Any
    params: dict[str, Any]
    head: Any
    levels: list[float] | None
    shift: np.ndarray
    scale: np.ndarray | None
    y_train: np.ndarray
    y_val: np.ndarray
    class_weight: dict[int, float] | None

    def initial_bias(self) -> np.ndarray | None:
        """The head's data-informed starting bias (on the scale the head trains on)."""
        from losslab.experiment import heads

        y = self.data.y_train
        y_fit = (y - self.shift) / self.scale if self.scale is not None else y
        return heads.initial_bias(self.head, self.spec, self.params, y_fit)

    def prediction(self, raw: np.ndarray) -> np.ndarray:
        """Raw outputs -> the prediction the judge reads, in the target's units."""
        from losslab.experiment import positive_guard

        return positive_guard.prediction_in_target_units(
            self.spec,
            self.head,
            raw,
            self.params,
            shift=self.shift,
            scale=self.scale,
            target_dim=self.data.target_dim,
            bounds=positive_guard.positive_bounds(self.data.y_train),
        )

    def judge(self, pred: np.ndarray, y: np.ndarray) -> dict[str, float | None]:
        """Every judge metric of ``pred`` against the prepared targets ``y``."""
        from losslab.experiment import judge

        t = self.task
        return judge.judge(
            t.task, y, pred, n_classes=t.n_classes, quantile=t.goal_quantile, quantiles=self.levels
        )

    def score(self, pred: np.ndarray, y: np.ndarray | None = None) -> float | None:
        """The primary judge metric (on the validation targets by default)."""
        return self.judge(pred, self.data.y_val if y is None else y).get(self.task.primary_metric)


def prepare_trial(task: TrialTask) -> TrialSetup:
    """Read the prepared split and decide the head, target scaling and target encoding.

    Regression-type heads learn the target standardised with the training rows' mean and
    std (loss parameters in target units, e.g. Huber's delta, then refer to that scale, as
    the advisor sets them); predictions are mapped back, so judge metrics are in the
    target's units. Positive heads (log-rate, softplus) learn ``y / mean(y_train)`` (no shift: y stays >= 0).
    """
    from losslab.catalog import get_spec
    from losslab.experiment import heads

    data = load_prepared(task.run_dir)
    spec = get_spec(task.candidate["loss"])
    params = spec.validate_params(task.candidate.get("params", {}))
    hs = heads.head_spec(
        spec, params, task=task.task, target_dim=data.target_dim, n_classes=task.n_classes
    )
    levels = heads.quantile_levels(spec, params) if hs.head.value == "quantiles" else None
    enabled = bool(task.training.get("scale_target", True))
    shift, scale = heads.target_scaling(
        hs, data.y_train, task=task.task, enabled=enabled, spec=spec
    )

    def encode(y: np.ndarray) -> np.ndarray:
        y_fit = (y - shift) / scale if scale is not None else y
        return heads.encode_targets(spec, hs, y_fit, task=task.task, n_classes=task.n_classes)

    cw = None
    if task.candidate.get("class_weight") is not None and task.n_classes:
        cw = heads.class_weights(task.candidate["class_weight"], data.y_train, task.n_classes)
    return TrialSetup(
        task,
        data,
        spec,
        params,
        hs,
        levels,
        shift,
        scale,
        encode(data.y_train),
        encode(data.y_val),
        cw,
    )


def build_trial_model(setup: TrialSetup) -> Any:
    """The compiled Keras model: the seed's stored initial body weights plus the seeded head."""
    import keras

    from losslab.experiment import heads
    from losslab.experiment.models import (
        build_body,
        build_full_model,
        load_initial_weights,
        set_seed,
    )

    task = setup.task
    set_seed(task.seed)
    body = build_body(task.model, setup.data.input_shape, task.seed)
    load_initial_weights(body, RunStore(task.run_dir), task.seed)
    head = heads.build_head_layer(
        setup.head, seed=task.seed * 7919 + 997, bias=setup.initial_bias()
    )
    model = build_full_model(body, head)
    optimizer = keras.optimizers.get(
        {
            "class_name": task.training.get("optimizer", "adam"),
            "config": {"learning_rate": float(task.training["learning_rate"])},
        }
    )
    model.compile(optimizer=optimizer, loss=setup.spec.build(**setup.params))
    return model


def _trial_callbacks(
    setup: TrialSetup,
    extra: Sequence[Any],
    on_epoch: Callable[[int, Mapping[str, Any]], None] | None,
    judge_each_epoch: str | None,
) -> tuple[list[Any], Any, list[Any]]:
    """``(callbacks, the EarlyStopping callback or None, the watchers)`` of one fit."""
    import keras

    tr = setup.task.training
    es_cfg = dict(tr.get("early_stopping") or {})
    cbs: list[Any] = []
    es = None
    if es_cfg.get("enabled", True):
        es = keras.callbacks.EarlyStopping(**{k: v for k, v in es_cfg.items() if k != "enabled"})
        cbs.append(es)
    watchers = loss_watchers(es_cfg)
    cbs.extend(watchers)
    if tr.get("terminate_on_nan", True):
        cbs.append(keras.callbacks.TerminateOnNaN())
    if judge_each_epoch:
        d = setup.data
        cbs.append(
            make_val_judge_callback(
                d.x_val, d.y_val, setup.prediction, setup.score, judge_each_epoch
            )
        )
    if on_epoch is not None:
        cbs.append(epoch_hook(on_epoch))
    cbs.extend(extra)
    return cbs, es, watchers


@dataclass
class FitOutcome:
    """What training left behind: the history and the raw outputs on validation and test."""

    history: dict[str, list[float | None]]
    raw_val: np.ndarray
    raw_test: np.ndarray
    train_seconds: float
    best_epoch: int | None = None
    stopped_early: bool = False
    events: list[dict[str, Any]] = field(default_factory=list)


def _guard_events(setup: TrialSetup, fit: FitOutcome, epoch: int) -> list[dict[str, Any]]:
    """Events for positive-head predictions capped on the validation / test rows."""
    from losslab.experiment import positive_guard

    raws = {"validation": fit.raw_val, "test": fit.raw_test}
    bounds = positive_guard.positive_bounds(setup.data.y_train)
    return positive_guard.extrapolation_events(
        setup.head, setup.spec, setup.params, raws, bounds, epoch=epoch, scale=setup.scale
    )


def record_identity(task: TrialTask, spec: Any, params: Mapping[str, Any], head: Any) -> dict[str, Any]:
    """The :class:`TrialRecord` fields that name a trial (the same for every engine)."""
    cand = task.candidate
    return {
        "trial_id": task.trial_id,
        "candidate_id": str(cand["id"]),
        "label": str(cand["label"]),
        "loss": spec.name,
        "params": {k: (list(v) if isinstance(v, tuple) else v) for k, v in params.items()},
        "class_weight": cand.get("class_weight"),
        "seed": int(task.seed),
        "head": head.head.value,
        "primary_metric": task.primary_metric,
        "max_epochs": int(task.training["max_epochs"]),
        "finished": utc_now(),
    }


def judged_status(
    task: TrialTask, status: str, error: str | None, metrics: Mapping[str, float | None]
) -> tuple[str, str | None, float | None]:
    """``(status, error, primary)``: an ``ok`` trial whose primary judge metric is undefined
    on the test split becomes ``failed``."""
    primary = metrics.get(task.primary_metric) if status == "ok" else None
    if status == "ok" and primary is None:
        return "failed", f"the judge metric {task.primary_metric} is undefined on the test split", None
    return status, error, primary


def trial_record(setup: TrialSetup, fit: FitOutcome, started: float) -> TrialRecord:
    """Judge the outputs of a finished fit and build its :class:`TrialRecord` (status
    ``"nan"`` for non-finite training or outputs, ``"failed"`` when the primary judge metric
    is undefined on the test split)."""
    task, data = setup.task, setup.data
    epochs_run = len(fit.history.get("loss", []))
    nan_stop = any(v is None for v in fit.history.get("loss", []))
    status, error = "ok", None
    metrics: dict[str, float | None] = {}
    val_metrics: dict[str, float | None] = {}
    arrays: dict[str, np.ndarray] = {"raw": fit.raw_test.astype(np.float32)}
    if nan_stop or not np.isfinite(fit.raw_test).all():
        status = "nan"
        error = NAN_ERROR
    else:
        pred_test = setup.prediction(fit.raw_test)
        arrays["prediction"] = pred_test.astype(np.float32)
        metrics = setup.judge(pred_test, data.y_test)
        val_metrics = {task.primary_metric: setup.score(setup.prediction(fit.raw_val))}
    status, error, primary = judged_status(task, status, error, metrics)
    return TrialRecord(
        **record_identity(task, setup.spec, setup.params, setup.head),
        status=status,
        error=error,
        metrics=metrics,
        primary=primary,
        val_metrics=val_metrics,
        epochs_run=epochs_run,
        best_epoch=fit.best_epoch if epochs_run else None,
        stopped_early=fit.stopped_early,
        history=fit.history,
        train_seconds=round(fit.train_seconds, 4),
        seconds=round(time.perf_counter() - started, 4),
        events=fit.events + _guard_events(setup, fit, epochs_run),
        arrays=arrays,
    )


def run_trial(
    task: TrialTask,
    *,
    callbacks: Sequence[Any] = (),
    on_epoch: Callable[[int, Mapping[str, Any]], None] | None = None,
    judge_each_epoch: str | None = None,
) -> TrialRecord:
    """Train and judge one (loss, seed) pair.

    Steps: :func:`prepare_trial` (head, target scaling and encoding), :func:`build_trial_model`
    (stored initial weights + seeded head), one ``fit`` with EarlyStopping + TerminateOnNaN +
    the training watchers, then :func:`trial_record` (judge metrics on the test split).

    Args:
        task: the :class:`TrialTask`.
        callbacks: extra Keras callbacks (e.g. Optuna's pruning callback), run after the
            built-in ones.
        on_epoch: ``fn(epoch, logs)`` after each epoch (progress bars).
        judge_each_epoch: when set, the validation primary judge metric is written into
            ``logs[judge_each_epoch]`` after each epoch (for pruning on the judge metric).

    Returns:
        The :class:`TrialRecord` (status ``"nan"`` when TerminateOnNaN stopped training or
        the outputs are not finite; ``events`` holds what the training watchers noticed).
        Exceptions from a user's ``build_model`` propagate.

    Example:
        >>> rec = run_trial(task)  # doctest: +SKIP
        >>> rec.metrics["rmse"]    # doctest: +SKIP
    """
    t0 = time.perf_counter()
    setup = prepare_trial(task)
    model = build_trial_model(setup)
    cbs, es, watchers = _trial_callbacks(setup, callbacks, on_epoch, judge_each_epoch)
    data = setup.data
    t_fit = time.perf_counter()
    hist = model.fit(
        data.x_train,
        setup.y_train,
        validation_data=(data.x_val, setup.y_val),
        epochs=int(task.training["max_epochs"]),
        batch_size=int(task.training["batch_size"]),
        callbacks=cbs,
        class_weight=setup.class_weight,
        shuffle=bool(task.training.get("shuffle", True)),
        verbose=0,
    )
    train_seconds = time.perf_counter() - t_fit
    history = {
        k: [float(v) if v is not None and math.isfinite(float(v)) else None for v in vals]
        for k, vals in hist.history.items()
    }
    best_epoch = None
    if es is not None and getattr(es, "best_epoch", None) is not None:
        best_epoch = int(es.best_epoch) + 1
    fit = FitOutcome(
        history=history,
        raw_val=predict_raw(model, data.x_val),
        raw_test=predict_raw(model, data.x_test),
        train_seconds=train_seconds,
        best_epoch=best_epoch,
        stopped_early=bool(es is not None and es.stopped_epoch > 0),
        events=event_records(watchers),
    )
    record = trial_record(setup, fit, t0)
    if record.status == "ok" and task.save_model:
        from losslab.experiment.export import save_trial_model

        save_trial_model(task, model)
    return record
