"""Data-parallel training of one model on Spark: ``losslab fit DATA --engine spark``.

The engine is Spark's own :class:`pyspark.ml.torch.distributor.TorchDistributor`: it starts
one barrier task per worker, each running ``torchrun``, which runs :func:`train_worker` in a
fresh Python process. There Keras runs on the torch backend (``KERAS_BACKEND=torch`` is set
before Keras is imported), so the Keras model *is* a ``torch.nn.Module``: it is wrapped in
``torch.nn.parallel.DistributedDataParallel`` (the gloo backend, on CPU) and trained by a
plain torch loop on the catalog loss, each worker streaming its own shards of the table
(:mod:`losslab.spark.shards`). DDP averages the gradients of the workers' local batches, so
one step is a step on the global batch of ``batch_size`` rows.

The driver computes the preprocessing statistics in one streaming pass (the same
:func:`losslab.experiment.streaming.compute_stats` as the local ``fit``), sends them with the
plan, gets the trained weights back from rank 0, loads them into the same Keras model under
its own backend and saves it with :func:`losslab.experiment.streaming_fit.save_fit`: the
output is the local fit's (``model.keras``, ``preprocessing.json``, ``history.json``),
written only after training succeeded, through a staging folder.

What the executors need: the driver's Python environment (torch, keras, losslab, pyarrow),
and the data path readable at the same path on every worker (a shared filesystem).
"""

from __future__ import annotations

import os
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import numpy as np

from losslab.errors import DataError, InvalidParameterError, LosslabError
from losslab.experiment.fit_options import FitOptions, check_option
from losslab.experiment.streaming import StreamStats, compute_stats, open_dataset, stream_batches
from losslab.experiment.streaming_fit import batch_encoder, class_weights
from losslab.spark.shards import data_units, process_batches, shard_dataset

__all__ = [
    "DataParallelPlan",
    "LogTail",
    "TrainingFailedError",
    "failure_error",
    "fit_data_parallel",
    "run_plan",
    "train_worker",
]


class TrainingFailedError(LosslabError):
    """The distributed training job failed (a worker died, or the cluster lacked slots)."""


@dataclass(frozen=True)
class DataParallelPlan:
    """Everything a worker needs, sent to every worker (plain, picklable values)."""

    data: list[str]
    stats_json: str
    loss: str
    hidden: tuple[int, ...]
    seed: int
    learning_rate: float
    epochs: int
    batch_size: int
    shards: int
    buffer_rows: int
    steps_per_epoch: int
    verbose: int = 1
    class_weight: str | None = None  # "balanced" (classification fits)


def _torch_keras() -> Any:
    """Import Keras on the torch backend (before anything else imports it)."""
    import sys

    if "keras" not in sys.modules:
        os.environ["KERAS_BACKEND"] = "torch"
    import keras

    if keras.backend.backend() != "torch":
        raise InvalidParameterError(
            "Data-parallel training runs Keras on the torch backend. "
            f"Received: Keras already imported with {keras.backend.backend()!r}. "
            "Run it in a fresh process (or set KERAS_BACKEND=torch)."
        )
    return keras


def _validation(
    model: Any, ds: Any, stats: StreamStats, loss: str, rank: int, world: int, shards: int
) -> tuple[float, int]:
    """Sum of the loss (unweighted, as the local fit's) over this process's validation rows,
    and their count."""
    import torch

    total, n = 0.0, 0
    enc = batch_encoder(stats, loss)
    with torch.no_grad():
        for s in range(rank, shards, world):
            for batch in stream_batches(shard_dataset(ds, s, shards), stats, split="val", batch_size=4096, shuffle=False):
                x, y = enc(*batch)
                value = model.loss(torch.from_numpy(y), model(torch.from_numpy(x), training=False))
                total += float(value) * len(y)
                n += len(y)
    return total, n


def _all_sum(values: Sequence[float], distributed: bool) -> list[float]:
    import torch
    import torch.distributed as dist

    t = torch.tensor(list(values), dtype=torch.float64)
    if distributed:
        dist.all_reduce(t, op=dist.ReduceOp.SUM)
    return [float(v) for v in t]


def _train_loop(plan: DataParallelPlan, model: Any, ds: Any, stats: StreamStats, rank: int, world: int) -> dict[str, list[float]]:
    """Epochs of ``steps_per_epoch`` steps on this process's batches; the mean training
    loss of each epoch (over all workers)."""
    import torch

    distributed = world > 1
    module = torch.nn.parallel.DistributedDataParallel(model) if distributed else model
    # Keras's Adam defaults (epsilon 1e-7), so the optimiser is the local fit's
    optimizer = torch.optim.Adam(model.parameters(), lr=plan.learning_rate, eps=1e-7)
    feed = process_batches(
        ds, stats, rank=rank, world=world, shards=plan.shards, batch_size=plan.batch_size,
        buffer_rows=plan.buffer_rows, seed=plan.seed,
    )  # fmt: skip
    enc = batch_encoder(stats, plan.loss, class_weights(stats, plan.class_weight))
    history: list[float] = []
    for epoch in range(plan.epochs):
        total = 0.0
        for _ in range(plan.steps_per_epoch):
            x, y, *w = enc(*next(feed))
            optimizer.zero_grad()
            weight = torch.from_numpy(w[0]) if w else None
            loss = model.loss(torch.from_numpy(y), module(torch.from_numpy(x), training=True), weight)
            loss.backward()
            optimizer.step()
            total += float(loss.detach())
        mean = _all_sum([total / plan.steps_per_epoch], distributed)[0] / world
        history.append(mean)
        if rank == 0 and plan.verbose:
            print(f"losslab fit: epoch {epoch + 1}/{plan.epochs} loss {mean:.6g}", flush=True)
    return {"loss": history}


def train_worker(plan: DataParallelPlan) -> dict[str, Any] | None:
    """One data-parallel worker (run by ``torchrun`` under TorchDistributor, or alone).

    Reads ``RANK`` and ``WORLD_SIZE`` from the environment (absent: a single process),
    joins the gloo process group, trains, and returns (on rank 0) the trained weights, the
    history, the validation loss over every worker's validation rows and the time taken.
    """
    rank, world = int(os.environ.get("RANK", "0")), int(os.environ.get("WORLD_SIZE", "1"))
    _torch_keras()
    import torch
    import torch.distributed as dist

    from losslab.experiment.models import set_seed
    from losslab.experiment.streaming_fit import build_model_for

    distributed = world > 1
    if distributed:
        dist.init_process_group("gloo", rank=rank, world_size=world)
    try:
        started = time.perf_counter()
        stats = StreamStats.from_json(plan.stats_json)
        ds = open_dataset(plan.data if len(plan.data) > 1 else plan.data[0])
        set_seed(plan.seed)
        model = build_model_for(stats, plan.loss, hidden=plan.hidden, seed=plan.seed, learning_rate=plan.learning_rate)
        history = _train_loop(plan, model, ds, stats, rank, world)
        seconds = time.perf_counter() - started
        total, n = _all_sum(_validation(model, ds, stats, plan.loss, rank, world, plan.shards), distributed)
        if rank != 0:
            return None
        return {
            "weights": [np.asarray(w) for w in model.get_weights()],
            "history": history,
            "val_loss": total / n if n else None,
            "seconds": seconds,
            "world": world,
            "threads": torch.get_num_threads(),
        }
    finally:
        if distributed:
            dist.destroy_process_group()


_GAP = r"[\s\S]{0,300}?"  # a few lines of torchrun's failure summary
_CAUSES: list[tuple[str, str]] = [
    (rf"rank\s*:\s*(?P<rank>\d+){_GAP}exitcode\s*:\s*-?\d+ \(pid: (?P<pid>\d+)\){_GAP}Signal \d+ \((?P<sig>SIG\w+)\)",
     "the training process of rank {rank} (pid {pid}) was stopped by {sig}"),
    (r"Signal \d+ \((?P<sig>SIG\w+)\) received by PID (?P<pid>\d+)", "a training process (pid {pid}) was stopped by {sig}"),
    (rf"rank\s*:\s*(?P<rank>\d+){_GAP}exitcode\s*:\s*(?P<code>-?\d+)", "the training process of rank {rank} exited with code {code}"),
    (r"losslab\.errors\.\w+: (?P<msg>[^\n]+)", "{msg}"),
    (r"Job aborted due to stage failure: (?P<msg>[^\n]+)", "{msg}"),
]  # fmt: skip


def failure_error(e: BaseException, workers: int, master: str, *, logs: str = "") -> TrainingFailedError:
    """The one-line error for a failed training job: the cause found in Spark's and
    torchrun's report (a process stopped by a signal, an exit code, a losslab error in a
    worker, the stage failure), searched in the workers' ``logs`` streamed to the driver
    and in the exception, else the exception's first line.

    Example:
        >>> text = "Job aborted due to stage failure: Could not recover from a failed barrier ResultStage."
        >>> str(failure_error(RuntimeError(text), 2, "local[2]")).split(" Received")[0]
        'Data-parallel training failed on Spark: Could not recover from a failed barrier ResultStage.'
    """
    import re

    text = f"{logs}\n{e}"
    reason = None
    for pattern, template in _CAUSES:
        m = re.search(pattern, text)
        if m:
            reason = template.format(**m.groupdict()).strip()
            break
    if reason is None:
        lines = [s.strip() for s in str(e).splitlines() if s.strip()]
        reason = lines[0] if lines else type(e).__name__
    reason = reason if len(reason) <= 240 else reason[:237] + "..."
    return TrainingFailedError(
        f"Data-parallel training failed on Spark: {reason.rstrip('.')}. Received: {workers} workers on "
        f"{master!r}. Nothing was written to the output folder; check that every worker is alive "
        "and has torch and losslab, then re-run (a failed barrier stage is not retried)."
    )


class LogTail:
    """A stand-in for ``sys.stderr`` while TorchDistributor runs: it keeps the last lines the
    workers' logs stream to the driver (where torchrun reports why a process failed) and
    passes them on only when ``echo`` is true."""

    def __init__(self, target: Any, *, echo: bool, keep: int = 400) -> None:
        from collections import deque

        self.target, self.echo = target, echo
        self.lines: deque[str] = deque(maxlen=keep)

    def write(self, text: str) -> int:
        self.lines.append(text)
        if self.echo:
            self.target.write(text)
        return len(text)

    def flush(self) -> None:
        self.target.flush()

    def text(self) -> str:
        return "".join(self.lines)


def run_plan(
    plan: DataParallelPlan, *, engine: Literal["spark", "local"] = "spark", workers: int = 2, spark: Any = None
) -> dict[str, Any]:
    """Run the plan: ``workers`` TorchDistributor processes on Spark, or :func:`train_worker`
    in this process (``engine="local"``, one process reading every shard)."""
    import contextlib
    import sys

    if engine == "local":
        out = train_worker(plan)
        assert out is not None
        return out
    from pyspark.ml.torch.distributor import TorchDistributor

    master = spark.sparkContext.master
    tail = LogTail(sys.stderr, echo=bool(plan.verbose))
    try:
        with contextlib.redirect_stderr(tail):  # type: ignore[type-var]
            out = TorchDistributor(num_processes=workers, local_mode=False, use_gpu=False).run(train_worker, plan)
    except Exception as e:  # Py4JJavaError, PythonException, RuntimeError from torchrun
        raise failure_error(e, workers, master, logs=tail.text()) from None
    if not isinstance(out, dict) or "weights" not in out:
        raise TrainingFailedError(f"Data-parallel training returned no weights. Received: {type(out).__name__}.")
    return out


def _absolute(data: Any) -> list[str]:
    """Absolute paths (workers run elsewhere); globs are expanded by ``open_dataset``."""
    items = [data] if isinstance(data, str | os.PathLike) else list(data)
    return [str(p) if "://" in str(p) else os.path.abspath(os.fspath(p)) for p in items]


def fit_data_parallel(
    data: Any,
    target: str,
    loss: str = "mse",
    *,
    out: str | os.PathLike[str] | None = None,
    options: FitOptions | None = None,
    workers: int = 2,
    shards: int | None = None,
    engine: Literal["spark", "local"] = "spark",
    master: str | None = None,
    conf: Mapping[str, str] | None = None,
    stats: StreamStats | None = None,
    **option_values: Any,
) -> Any:
    """Train one model with data parallelism over ``workers`` Spark workers.

    Args:
        data: a Parquet file, folder of shards or glob (or CSV files), readable by every
            worker at the same path.
        target, loss: as in :func:`losslab.experiment.streaming_fit.fit_streaming` (the same
            task, class coding and target scaling).
        options, option_values: a :class:`~losslab.experiment.fit_options.FitOptions` or its
            fields as keywords, as in ``fit_streaming``; here ``batch_size`` is the global
            batch (rows per step over all workers) and ``buffer_rows`` the shuffle buffer
            of each shard.
        out: folder for the local fit's files (written after success only).
        workers: training processes (one Spark barrier task each; the cluster needs that
            many free task slots).
        shards: data shards (default ``workers``; a multiple of ``workers``). The batches
            depend on ``shards`` only, so ``engine="local"`` with ``shards=2`` reproduces
            a two-worker run in one process.
        engine: ``"spark"`` (TorchDistributor) or ``"local"`` (this process, torch backend).
        master, conf: a new Spark session's master URL and settings.

    Returns:
        A :class:`losslab.experiment.streaming_fit.FitResult` (``rows_per_second`` counts
        training rows of every worker).

    Example:
        >>> r = fit_data_parallel("big/", "y", "huber:delta=1.3", workers=2, out="model")  # doctest: +SKIP
    """
    from losslab.experiment.streaming_fit import FitResult, build_model_for, save_fit, with_task

    o = FitOptions.of(options, **option_values)
    shards = workers if shards is None else shards
    check_option("workers", workers)
    check_option("shards", shards)
    if engine not in ("spark", "local"):
        raise InvalidParameterError(f"engine must be 'spark' or 'local'. Received: {engine!r}.")
    if o.batch_size % shards or shards % workers:
        raise InvalidParameterError(
            "The batch must split evenly over the shards and the shards over the workers. "
            f"Received: batch_size={o.batch_size}, shards={shards}, workers={workers}. "
            f"Use a batch size that is a multiple of {shards} and shards a multiple of the workers."
        )
    paths = _absolute(data)
    ds = open_dataset(paths if len(paths) > 1 else paths[0])
    if len(data_units(ds)) < shards:
        shard_dataset(ds, 0, shards)  # raises the DataError that says how to fix it
    if stats is None:
        stats = compute_stats(ds, target, val_fraction=o.val_fraction, key=o.key)
    stats = with_task(stats, loss, o.task)
    class_weights(stats, o.class_weight)  # a bad mode fails here, before Spark starts
    if stats.n_train < o.batch_size:
        raise DataError(f"Fewer training rows than one batch. Received: {stats.n_train} rows, batch_size={o.batch_size}.")
    plan = DataParallelPlan(
        paths, stats.to_json(), loss, o.hidden, o.seed, o.learning_rate, o.epochs, o.batch_size, shards,
        o.buffer_rows, stats.n_train // o.batch_size, o.verbose, o.class_weight,
    )  # fmt: skip
    spark = None
    if engine == "spark":
        from losslab.spark.session import get_session

        spark = get_session(master, conf=conf)
    output = run_plan(plan, engine=engine, workers=workers if engine == "spark" else 1, spark=spark)
    model = build_model_for(stats, loss, hidden=o.hidden, seed=o.seed, learning_rate=o.learning_rate)
    model.set_weights(output["weights"])
    rows = plan.steps_per_epoch * o.batch_size * o.epochs
    result = FitResult(
        model, stats, output["history"], output["val_loss"], output["seconds"], rows / output["seconds"],
        loss=loss, source=str(data), class_weight=o.class_weight,
    )  # fmt: skip
    if out is not None:
        save_fit(result, Path(out))
    return result
