"""Keras callbacks of a trial and what they record: the per-epoch hook of the progress bars,
the validation judge metric for pruning, and the training watchers (divergence, overfitting)
whose events go into the trial record.

Keras is imported inside the functions only.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

import numpy as np

__all__ = ["epoch_hook", "event_records", "loss_watchers", "make_val_judge_callback", "predict_raw"]


def predict_raw(model: Any, x: np.ndarray, batch: int = 8192) -> np.ndarray:
    """Raw outputs by direct calls (no compiled predict function: cheap for small data)."""
    from keras import ops

    parts = [
        ops.convert_to_numpy(model(x[i : i + batch], training=False))
        for i in range(0, len(x), batch)
    ]
    return np.concatenate(parts, axis=0).astype(np.float64)


def epoch_hook(fn: Callable[[int, Mapping[str, Any]], None]) -> Any:
    """A Keras callback calling ``fn(epoch, logs)`` after each epoch."""
    import keras

    class _Hook(keras.callbacks.Callback):
        def on_epoch_end(self, epoch: int, logs: Mapping[str, Any] | None = None) -> None:
            fn(epoch, logs or {})

    return _Hook()


def make_val_judge_callback(
    x_val: np.ndarray,
    y_val: np.ndarray,
    prediction: Callable[[np.ndarray], np.ndarray],
    score: Callable[[np.ndarray], float | None],
    key: str,
) -> Any:
    """A callback writing the validation judge metric into ``logs[key]`` after each epoch
    (placed before a pruning callback, which then reads it)."""
    import keras

    class _ValJudge(keras.callbacks.Callback):
        def on_epoch_end(self, epoch: int, logs: dict[str, Any] | None = None) -> None:
            raw = predict_raw(self.model, x_val)
            v = score(prediction(raw)) if np.isfinite(raw).all() else None
            if logs is not None:
                logs[key] = float("nan") if v is None else float(v)

    return _ValJudge()


def loss_watchers(es_cfg: Mapping[str, Any]) -> list[Any]:
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
