"""Train one model on a table larger than memory: ``losslab fit``.

:func:`fit_streaming` reads the table in batches (:mod:`losslab.experiment.streaming`): one
pass for the preprocessing statistics of the training rows, then every epoch a shuffled
stream of batches fed to ``keras.Model.fit`` from a background prefetch thread. Peak memory
is set by ``batch_size``, ``buffer_rows`` and ``prefetch``, not by the table.
:func:`fit_in_memory` trains the same model on the same rows held in NumPy arrays (the
reference the streaming path is tested and benchmarked against).

The saved model (``model.keras``) takes the preprocessed inputs described in
``preprocessing.json`` (standardised numbers, one-hot categories, in its feature order) and
returns the head's output; for a regression target scaled by the loss's rule
(:func:`target_transform`: standardised, or over mean(|y|) for Poisson / Gamma heads),
predictions in target units are ``output * target_scale + target_shift``.
"""

from __future__ import annotations

import dataclasses
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
from losslab.experiment.fit_options import FitOptions, check_option
from losslab.experiment.streaming import (
    Prefetch,
    StreamStats,
    compute_stats,
    open_dataset,
    stream_batches,
)

__all__ = [
    "FitResult",
    "batch_encoder",
    "class_weights",
    "target_transform",
    "with_task",
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
    loss: str | None = None  # the fit's loss string (with it, save_fit also exports OUT/model/)
    source: str | None = None
    class_weight: str | None = None

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


def task_of(stats: StreamStats, loss: str | None = None, task: str | None = None) -> TaskKind:
    """The fit's task: ``task`` when given (or already set on ``stats``); else the loss's
    catalog family when it is a classification one (binary, multiclass); else binary when
    the training target holds only 0 and 1, regression otherwise.

    Example:
        >>> from losslab.experiment.streaming import StreamStats
        >>> s = StreamStats("y", [], 1.0, 0.8, None, 90, 10, 0.1, None, [[0, 30], [1, 30], [2, 30]])
        >>> task_of(s, "sparse_categorical_crossentropy"), task_of(s, "mse")
        (<TaskKind.MULTICLASS: 'multiclass'>, <TaskKind.REGRESSION: 'regression'>)
    """
    if task is not None or stats.task is not None:
        return TaskKind.parse(task if task is not None else stats.task)  # type: ignore[arg-type]
    family = _loss_task(loss) if loss is not None else None
    if family is not None and family.has_class_labels:
        return family
    if stats.target_values is not None and set(stats.target_values) <= {0, 1}:
        return TaskKind.BINARY
    return TaskKind.REGRESSION


def _loss_task(loss: str) -> TaskKind | None:
    """The task of the loss's catalog family, None for a family that is no table task."""
    from losslab.catalog import parse_loss_string

    try:
        return TaskKind.parse(parse_loss_string(loss)[0].family.value)
    except Exception:  # segmentation, metric learning, sequences ...
        return None


def with_task(stats: StreamStats, loss: str, task: str | None = None) -> StreamStats:
    """``stats`` with the fit's task and, for classification, the class order (every value
    of the training target: it must have at most ``MAX_CLASSES`` values).

    Raises:
        DataError: a classification task on a target with too many values.
    """
    kind = task_of(stats, loss, task)
    if not kind.has_class_labels:
        shift, scale = target_transform(stats, loss, kind)
        return dataclasses.replace(stats, task=str(kind), classes=None, target_shift=shift, target_scale=scale)
    if stats.target_counts is None:
        from losslab.errors import DataError
        from losslab.experiment.streaming import MAX_CLASSES

        raise DataError(
            f"A {kind} fit needs class labels; the target {stats.target!r} has more than {MAX_CLASSES} "
            "distinct values. Pass a regression loss, or a target of class codes."
        )
    return dataclasses.replace(stats, task=str(kind), classes=[v for v, _ in stats.target_counts])


def target_transform(stats: StreamStats, loss: str, kind: TaskKind) -> tuple[float, float | None]:
    """``(shift, scale)`` of a regression target for ``loss``, by the rule the in-memory
    trials use (:func:`losslab.experiment.heads.scaling_rule`): standardised for identity,
    quantile and mean+scale heads; over mean(|y|) for positive heads and sign-keeping
    losses (Poisson, Gamma, MSLE: the target keeps its sign); as is (0, 1) otherwise.

    Example:
        >>> from losslab.experiment.streaming import StreamStats
        >>> s = StreamStats("y", [], 40.0, 8.0, None, 90, 10, 0.1, None, target_abs_mean=40.0)
        >>> target_transform(s, "mse", TaskKind.REGRESSION), target_transform(s, "poisson", TaskKind.COUNT)
        ((40.0, 8.0), (0.0, 40.0))
    """
    from losslab.catalog import parse_loss_string
    from losslab.experiment.heads import head_spec, scaling_rule

    spec, params = parse_loss_string(loss)
    rule = scaling_rule(head_spec(spec, params, task=str(kind)), task=str(kind), spec=spec)
    if rule == "standardise":
        return stats.target_mean, stats.target_std
    if rule == "mean_abs" and stats.target_abs_mean:
        return 0.0, stats.target_abs_mean
    return 0.0, 1.0


def class_weights(stats: StreamStats, mode: str | None) -> dict[int, float] | None:
    """``"balanced"``: n / (K n_k) per class code from the training counts (scikit-learn's
    rule, as ``compare --class-weight balanced``); None: no weights.

    Example:
        >>> from losslab.experiment.streaming import StreamStats
        >>> s = StreamStats("y", [], 0.25, 0.4, [0, 1], 100, 0, 0.0, None, [[0, 75], [1, 25]],
        ...                 "binary", [0, 1])
        >>> class_weights(s, "balanced")
        {0: 0.6666666666666666, 1: 2.0}
    """
    if mode is None:
        return None
    from losslab.experiment.heads import class_weights as weights_of

    if stats.classes is None or not stats.target_counts:
        from losslab.errors import InvalidParameterError

        raise InvalidParameterError(f"class_weight applies to classification fits. Received: class_weight={mode!r}.")
    counts = np.asarray([c for _, c in stats.target_counts], dtype=np.int64)
    return weights_of(mode, np.repeat(np.arange(len(counts)), counts), len(counts))


def batch_encoder(stats: StreamStats, loss: str, weights: dict[int, float] | None = None) -> Any:
    """``(x, y) -> (x, y the loss reads[, sample weights])``: class codes one-hot when the
    loss needs them; per-row class weights when ``weights`` are given."""
    if stats.classes is None:
        return lambda x, y: (x, y)
    from losslab.catalog import parse_loss_string
    from losslab.experiment.heads import encode_targets, head_spec

    spec, params = parse_loss_string(loss)
    k = len(stats.classes)
    task = stats.task or "binary"
    hs = head_spec(spec, params, task=task, n_classes=k)
    table = None if weights is None else np.asarray([weights.get(i, 1.0) for i in range(k)], np.float32)

    def encode(x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, ...]:
        codes = y[:, 0].astype(np.int64)
        if (codes < 0).any():  # a class the training rows never hold: left out
            x, codes = x[codes >= 0], codes[codes >= 0]
        y_enc = encode_targets(spec, hs, codes, task=task, n_classes=k)
        return (x, y_enc) if table is None else (x, y_enc, table[codes])

    return encode


def build_model_for(
    stats: StreamStats,
    loss: str,
    *,
    hidden: Sequence[int] = FitOptions.hidden,
    seed: int = FitOptions.seed,
    learning_rate: float = FitOptions.learning_rate,
) -> Any:
    """The default MLP with the head the catalog loss needs, compiled with Adam and the loss
    (defaults: :class:`FitOptions`'s)."""
    import keras

    from losslab.catalog import get as get_loss
    from losslab.catalog import parse_loss_string
    from losslab.experiment.heads import build_head_layer, head_spec
    from losslab.experiment.models import build_body, build_full_model, mlp_config

    spec, params = parse_loss_string(loss)
    n_classes = len(stats.classes) if stats.classes is not None else None
    hs = head_spec(spec, params, task=task_of(stats, loss), n_classes=n_classes)
    body = build_body(mlp_config(hidden), (stats.n_inputs,), seed)
    model = build_full_model(body, build_head_layer(hs, seed=seed))
    model.compile(optimizer=keras.optimizers.Adam(learning_rate), loss=get_loss(spec, **params))
    return model


def validation_loss(
    model: Any, ds: Any, stats: StreamStats, *, batch_size: int = 4096, loss: str | None = None
) -> float | None:
    """The compiled loss over the whole validation slice (rows weighted equally), streamed
    (``loss``: the fit's loss string, which decides the encoding of class targets)."""
    total, n = 0.0, 0
    enc = batch_encoder(stats, loss) if loss is not None else (lambda x, y: (x, y))
    for batch in stream_batches(ds, stats, split="val", batch_size=batch_size, shuffle=False):
        x, y = enc(*batch)
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
    """Write ``model.keras``, ``preprocessing.json`` and ``history.json`` into ``out``, and
    with the fit's loss known the raw-column model ``out/model/`` (``losslab predict out``,
    :mod:`losslab.experiment.fit_export`).

    The files are written to a staging folder next to ``out`` first, then moved in: a
    failure on the way leaves ``out`` as it was, never a half-written model.
    """
    import shutil
    import tempfile

    from losslab.experiment.export import save_keras_atomic

    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    stage = Path(tempfile.mkdtemp(dir=out.parent, prefix=f".{out.name}.partial-"))
    files = ["model.keras", "preprocessing.json", "history.json"]
    try:
        save_keras_atomic(result.model, stage / "model.keras")  # without Keras's TensorFlow probe
        (stage / "preprocessing.json").write_text(result.stats.to_json())
        (stage / "history.json").write_text(json.dumps({"history": result.history, **result.summary()}, indent=2))
        if result.loss is not None:  # the raw-column model: losslab predict OUT TABLE
            from losslab.experiment.fit_export import export_fit

            info = {"source": result.source, "rows": result.stats.n_train, "epochs": len(result.history.get("loss", [])),
                    "val_loss": result.val_loss, "class_weight": result.class_weight}  # fmt: skip
            export_fit(result.model, result.stats, result.loss, stage / "model", info)
            files.append("model/")
        out.mkdir(exist_ok=True)
        if (out / "model").is_dir() and (stage / "model").is_dir():
            shutil.rmtree(out / "model")
        for name in files:
            os.replace(stage / name.rstrip("/"), out / name.rstrip("/"))
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
    options: FitOptions | None = None,
    prefetch: int = 4,
    stats: StreamStats | None = None,
    **option_values: Any,
) -> FitResult:
    """Train on ``data`` (Parquet file/folder/glob or CSV) without loading it into memory.

    ``options`` (a :class:`~losslab.experiment.fit_options.FitOptions`) or its fields as
    keywords (``epochs=3, batch_size=256, seed=1, ...``; keywords override ``options``).
    ``task`` (default: from the loss's catalog family and the target, :func:`task_of`):
    regression, binary or multiclass (class codes in the sorted order of the target's
    values); ``class_weight="balanced"`` weights classes n / (K n_k) in training.
    ``prefetch``: batches prepared ahead by a background thread.

    Example:
        >>> r = fit_streaming("big/*.parquet", "y", "huber:delta=1.3", out="model")  # doctest: +SKIP
        >>> r.val_loss, r.rows_per_second  # doctest: +SKIP
    """
    from losslab.experiment.models import set_seed

    o = FitOptions.of(options, **option_values)
    check_option("prefetch", prefetch)
    ds = open_dataset(data)
    if stats is None:
        stats = compute_stats(ds, target, val_fraction=o.val_fraction, key=o.key, progress=_progress(ds, o.verbose))
    stats = with_task(stats, loss, o.task)
    enc = batch_encoder(stats, loss, class_weights(stats, o.class_weight))
    set_seed(o.seed)
    model = build_model_for(stats, loss, hidden=o.hidden, seed=o.seed, learning_rate=o.learning_rate)
    steps = math.ceil(stats.n_train / o.batch_size)

    def epoch_batches(epoch: int) -> Iterator[Any]:
        batches = stream_batches(
            ds, stats, batch_size=o.batch_size, buffer_rows=o.buffer_rows, seed=o.seed, epoch=epoch
        )
        return (enc(x, y) for x, y in batches)

    started = time.perf_counter()
    feed = Prefetch(epoch_batches, depth=prefetch, epochs=o.epochs)
    first = next(feed)
    first_batch = time.perf_counter() - started

    def train() -> Iterator[Any]:
        yield first
        yield from feed

    try:
        hist = model.fit(train(), steps_per_epoch=steps, epochs=o.epochs, verbose=o.verbose, shuffle=False)
    finally:
        feed.close()
    seconds = time.perf_counter() - started
    result = FitResult(
        model,
        stats,
        {k: [float(v) for v in vals] for k, vals in hist.history.items()},
        validation_loss(model, ds, stats, loss=loss),
        seconds,
        stats.n_train * o.epochs / seconds,
        first_batch,
        loss=loss,
        source=str(data),
        class_weight=o.class_weight,
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
    options: FitOptions | None = None,
    stats: StreamStats | None = None,
    **option_values: Any,
) -> FitResult:
    """The same model, preprocessing, slices, task and class weights as
    :func:`fit_streaming`, trained on arrays (options as there; ``verbose`` defaults to 0)."""
    from losslab.experiment.models import set_seed

    o = FitOptions.of(options or FitOptions(verbose=0), **option_values)
    ds = open_dataset(data)
    if stats is None:
        stats = compute_stats(ds, target, val_fraction=o.val_fraction, key=o.key)
    stats = with_task(stats, loss, o.task)
    x, y, *w = batch_encoder(stats, loss, class_weights(stats, o.class_weight))(*load_split(ds, stats, "train"))
    set_seed(o.seed)
    model = build_model_for(stats, loss, hidden=o.hidden, seed=o.seed, learning_rate=o.learning_rate)
    started = time.perf_counter()
    hist = model.fit(
        x, y, sample_weight=w[0] if w else None, batch_size=o.batch_size, epochs=o.epochs, shuffle=True,
        verbose=o.verbose,
    )  # fmt: skip
    seconds = time.perf_counter() - started
    return FitResult(
        model,
        stats,
        {k: [float(v) for v in vals] for k, vals in hist.history.items()},
        validation_loss(model, ds, stats, loss=loss),
        seconds,
        len(y) * o.epochs / seconds,
    )
