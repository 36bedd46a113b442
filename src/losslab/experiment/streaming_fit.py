"""Train one model on a table larger than memory: ``losslab fit``.

:func:`fit_streaming` reads the table in batches (:mod:`losslab.experiment.streaming`): one
pass for the preprocessing statistics of the training rows, then every epoch a shuffled
stream of batches fed to ``keras.Model.fit`` from a background prefetch thread. Peak memory
is set by ``batch_size``, ``buffer_rows`` and ``prefetch``, not by the table.
:func:`fit_in_memory` trains the same model on the same rows held in NumPy arrays (the
reference the streaming path is tested and benchmarked against).

The saved model (``model.keras``) takes the preprocessed inputs described in
``preprocessing.json`` (standardised numbers, one-hot categories, in its feature order) and
returns the head's output; for a standardised regression target, predictions in target
units are ``output * target_std + target_mean``.
"""

from __future__ import annotations

import json
import math
import os
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from losslab._vocab import TaskKind
from losslab.experiment.streaming import (
    Prefetch,
    StreamStats,
    compute_stats,
    open_dataset,
    stream_batches,
)

__all__ = [
    "FitResult",
    "build_model_for",
    "fit_in_memory",
    "fit_streaming",
    "load_split",
    "save_fit",
    "task_of",
    "validation_loss",
]


@dataclass
class FitResult:
    """What a fit returns (and, with ``out``, writes next to the model)."""

    model: Any
    stats: StreamStats
    history: dict[str, list[float]]
    val_loss: float | None
    seconds: float
    rows_per_second: float
    first_batch_seconds: float | None = None
    out: Path | None = None
    files: list[str] = field(default_factory=list)

    def summary(self) -> dict[str, Any]:
        return {
            "n_train": self.stats.n_train,
            "n_val": self.stats.n_val,
            "val_loss": self.val_loss,
            "seconds": round(self.seconds, 3),
            "rows_per_second": round(self.rows_per_second, 1),
            "first_batch_seconds": self.first_batch_seconds,
            "out": str(self.out) if self.out else None,
        }


def task_of(stats: StreamStats) -> TaskKind:
    """Binary when the training target holds only 0 and 1, else regression."""
    if stats.target_values is not None and set(stats.target_values) <= {0, 1}:
        return TaskKind.BINARY
    return TaskKind.REGRESSION


def build_model_for(
    stats: StreamStats, loss: str, *, hidden: Sequence[int] = (32, 32), seed: int = 0, learning_rate: float = 3e-3
) -> Any:
    """The default MLP with the head the catalog loss needs, compiled with Adam and the loss."""
    import keras

    from losslab.catalog import get as get_loss
    from losslab.catalog import parse_loss_string
    from losslab.experiment.heads import build_head_layer, head_spec
    from losslab.experiment.models import build_body, build_full_model, mlp_config

    spec, params = parse_loss_string(loss)
    hs = head_spec(spec, params, task=task_of(stats))
    body = build_body(mlp_config(hidden), (stats.n_inputs,), seed)
    model = build_full_model(body, build_head_layer(hs, seed=seed))
    model.compile(optimizer=keras.optimizers.Adam(learning_rate), loss=get_loss(spec, **params))
    return model


def validation_loss(model: Any, ds: Any, stats: StreamStats, *, batch_size: int = 4096) -> float | None:
    """The compiled loss over the whole validation slice (rows weighted equally), streamed."""
    total, n = 0.0, 0
    for x, y in stream_batches(ds, stats, split="val", batch_size=batch_size, shuffle=False):
        value = model.compute_loss(x=x, y=y, y_pred=model(x, training=False))
        total += float(np.asarray(value)) * len(y)
        n += len(y)
    return total / n if n else None


def _progress(ds: Any, verbose: int) -> Any:
    if not verbose:
        return None
    import keras

    try:
        rows = ds.count_rows() if ds.format.default_extname == "parquet" else None
    except Exception:  # pragma: no cover - a format without cheap counts
        rows = None
    bar = keras.utils.Progbar(rows, unit_name="row")
    print("preprocessing statistics (one pass):")
    return bar.update


def save_fit(result: FitResult, out: Path) -> None:
    """Write ``model.keras``, ``preprocessing.json`` and ``history.json`` into ``out``.

    The files are written to a staging folder next to ``out`` first, then moved in: a
    failure on the way leaves ``out`` as it was, never a half-written model.
    """
    import shutil
    import tempfile

    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    stage = Path(tempfile.mkdtemp(dir=out.parent, prefix=f".{out.name}.partial-"))
    files = ["model.keras", "preprocessing.json", "history.json"]
    try:
        result.model.save(stage / "model.keras")
        (stage / "preprocessing.json").write_text(result.stats.to_json())
        (stage / "history.json").write_text(json.dumps({"history": result.history, **result.summary()}, indent=2))
        out.mkdir(exist_ok=True)
        for name in files:
            os.replace(stage / name, out / name)
    finally:
        shutil.rmtree(stage, ignore_errors=True)
    result.out = out
    result.files = files


def fit_streaming(
    data: Any,
    target: str,
    loss: str = "mse",
    *,
    out: str | Path | None = None,
    batch_size: int = 1024,
    epochs: int = 5,
    buffer_rows: int = 65_536,
    val_fraction: float = 0.1,
    key: str | None = None,
    seed: int = 0,
    hidden: Sequence[int] = (32, 32),
    learning_rate: float = 3e-3,
    prefetch: int = 4,
    verbose: int = 1,
    stats: StreamStats | None = None,
) -> FitResult:
    """Train on ``data`` (Parquet file/folder/glob or CSV) without loading it into memory.

    Example:
        >>> r = fit_streaming("big/*.parquet", "y", "huber:delta=1.3", out="model")  # doctest: +SKIP
        >>> r.val_loss, r.rows_per_second  # doctest: +SKIP
    """
    from losslab.experiment.models import set_seed

    ds = open_dataset(data)
    if stats is None:
        stats = compute_stats(ds, target, val_fraction=val_fraction, key=key, progress=_progress(ds, verbose))
    set_seed(seed)
    model = build_model_for(stats, loss, hidden=hidden, seed=seed, learning_rate=learning_rate)
    steps = math.ceil(stats.n_train / batch_size)

    def epoch_batches(epoch: int) -> Iterator[Any]:
        return stream_batches(ds, stats, batch_size=batch_size, buffer_rows=buffer_rows, seed=seed, epoch=epoch)

    started = time.perf_counter()
    feed = Prefetch(epoch_batches, depth=prefetch, epochs=epochs)
    first = next(feed)
    first_batch = time.perf_counter() - started

    def train() -> Iterator[Any]:
        yield first
        yield from feed

    try:
        hist = model.fit(train(), steps_per_epoch=steps, epochs=epochs, verbose=verbose, shuffle=False)
    finally:
        feed.close()
    seconds = time.perf_counter() - started
    result = FitResult(
        model,
        stats,
        {k: [float(v) for v in vals] for k, vals in hist.history.items()},
        validation_loss(model, ds, stats),
        seconds,
        stats.n_train * epochs / seconds,
        first_batch,
    )
    if out is not None:
        save_fit(result, Path(out))
    return result


def load_split(ds: Any, stats: StreamStats, split: str) -> tuple[np.ndarray, np.ndarray]:
    """All rows of one split as arrays (for tables that fit in memory)."""
    parts = list(stream_batches(ds, stats, split=split, batch_size=1 << 20, shuffle=False))
    if not parts:
        return np.zeros((0, stats.n_inputs), np.float32), np.zeros((0, 1), np.float32)
    return np.concatenate([p[0] for p in parts]), np.concatenate([p[1] for p in parts])


def fit_in_memory(
    data: Any,
    target: str,
    loss: str = "mse",
    *,
    batch_size: int = 1024,
    epochs: int = 5,
    val_fraction: float = 0.1,
    key: str | None = None,
    seed: int = 0,
    hidden: Sequence[int] = (32, 32),
    learning_rate: float = 3e-3,
    verbose: int = 0,
    stats: StreamStats | None = None,
) -> FitResult:
    """The same model, preprocessing and slices as :func:`fit_streaming`, trained on arrays."""
    from losslab.experiment.models import set_seed

    ds = open_dataset(data)
    if stats is None:
        stats = compute_stats(ds, target, val_fraction=val_fraction, key=key)
    x, y = load_split(ds, stats, "train")
    set_seed(seed)
    model = build_model_for(stats, loss, hidden=hidden, seed=seed, learning_rate=learning_rate)
    started = time.perf_counter()
    hist = model.fit(x, y, batch_size=batch_size, epochs=epochs, shuffle=True, verbose=verbose)
    seconds = time.perf_counter() - started
    return FitResult(
        model,
        stats,
        {k: [float(v) for v in vals] for k, vals in hist.history.items()},
        validation_loss(model, ds, stats),
        seconds,
        len(y) * epochs / seconds,
    )
