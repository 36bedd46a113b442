"""Data shards for data-parallel training: which files/row groups each worker reads, and the
fixed-size batches each worker draws from its shards.

A dataset (:func:`losslab.experiment.streaming.open_dataset`) is cut into *units*: its
files, and Parquet files at their row groups. Unit ``i`` belongs to shard ``i % shards``.
Each shard is streamed on its own (:func:`losslab.experiment.streaming.stream_batches`:
shuffled units, a bounded shuffle buffer), repeated epoch after epoch, and cut into batches
of exactly ``local_batch`` rows, so every worker makes the same number of steps whatever the
sizes of its shards (DDP needs the same number of gradient all-reduces on every rank).

A process handling several shards (``shards`` a multiple of the number of processes) joins
one batch of each of its shards per step: with one process and ``shards=2`` it sees, step
by step, the same global batches as two processes with one shard each. That is how the
data-parallel fit is checked against a single-process fit.

No Keras, torch or Spark import.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from typing import Any

import numpy as np

from losslab.errors import DataError, InvalidParameterError
from losslab.experiment.streaming import StreamStats, stream_batches

__all__ = ["data_units", "process_batches", "shard_dataset", "shard_seed", "shard_stream"]


def data_units(ds: Any) -> list[Any]:
    """The dataset's files, with Parquet files cut at their row groups, in a stable order.

    Example:
        >>> import pyarrow as pa, pyarrow.parquet as pq, tempfile, os
        >>> from losslab.experiment.streaming import open_dataset
        >>> d = tempfile.mkdtemp()
        >>> pq.write_table(pa.table({"x": [1.0] * 10}), os.path.join(d, "a.parquet"), row_group_size=4)
        >>> len(data_units(open_dataset(d)))  # row groups of 4, 4 and 2 rows
        3
    """
    units: list[Any] = []
    for frag in sorted(ds.get_fragments(), key=lambda f: f.path):
        split = getattr(frag, "split_by_row_group", None)
        units.extend(split() if split is not None else [frag])
    return units


def shard_dataset(ds: Any, shard: int, shards: int) -> Any:
    """The sub-dataset of shard ``shard`` of ``shards``: units ``shard, shard + shards, ...``.

    Raises:
        DataError: fewer units than shards (a worker would have no rows).

    Example:
        >>> import pyarrow as pa, pyarrow.parquet as pq, tempfile, os
        >>> from losslab.experiment.streaming import open_dataset
        >>> d = tempfile.mkdtemp()
        >>> for i in range(3):
        ...     pq.write_table(pa.table({"x": [float(i)] * (i + 1)}), os.path.join(d, f"p{i}.parquet"))
        >>> ds = open_dataset(d)
        >>> shard_dataset(ds, 0, 2).count_rows(), shard_dataset(ds, 1, 2).count_rows()
        (4, 2)
    """
    import pyarrow.dataset as pads

    if not 0 <= shard < shards:
        raise InvalidParameterError(f"shard must be in [0, {shards}). Received: shard={shard}.")
    units = data_units(ds)
    if len(units) < shards:
        raise DataError(
            f"The data has {len(units)} files/row groups, fewer than the {shards} shards needed. "
            f"Received: {shards} shards. Write the table in at least {shards} files (or row groups)."
        )
    return pads.FileSystemDataset(units[shard::shards], ds.schema, ds.format, ds.filesystem)


def shard_seed(seed: int, shard: int) -> int:
    """The shuffling seed of one shard (different shards, different orders)."""
    return int(np.random.SeedSequence([seed, shard]).generate_state(1)[0])


def shard_stream(
    ds: Any,
    stats: StreamStats,
    *,
    shard: int,
    shards: int,
    local_batch: int,
    buffer_rows: int = 65_536,
    seed: int = 0,
) -> Iterator[tuple[np.ndarray, np.ndarray]]:
    """Endless ``(x, y)`` training batches of exactly ``local_batch`` rows from one shard.

    The shard's rows come epoch after epoch (a new shuffle each time); a batch may span the
    end of one epoch and the start of the next.
    """
    if local_batch < 1:
        raise InvalidParameterError(f"local_batch must be at least 1. Received: {local_batch}.")
    part = shard_dataset(ds, shard, shards)
    bx: list[np.ndarray] = []
    by: list[np.ndarray] = []
    held = 0
    for epoch in itertools.count():
        got = 0
        for x, y in stream_batches(
            part, stats, batch_size=local_batch, buffer_rows=buffer_rows, seed=shard_seed(seed, shard), epoch=epoch
        ):
            got += len(y)
            bx.append(x)
            by.append(y)
            held += len(y)
            if held >= local_batch:
                xs, ys = np.concatenate(bx), np.concatenate(by)
                n = (len(ys) // local_batch) * local_batch
                for i in range(0, n, local_batch):
                    yield xs[i : i + local_batch], ys[i : i + local_batch]
                bx, by, held = [xs[n:]], [ys[n:]], len(ys) - n
        if got == 0:
            raise DataError(f"Shard {shard} of {shards} holds no training rows. Received: an empty shard.")


def process_batches(
    ds: Any,
    stats: StreamStats,
    *,
    rank: int,
    world: int,
    shards: int,
    batch_size: int,
    buffer_rows: int = 65_536,
    seed: int = 0,
) -> Iterator[tuple[np.ndarray, np.ndarray]]:
    """Endless batches of ``batch_size / world`` rows for process ``rank`` of ``world``.

    The process reads shards ``rank, rank + world, ...`` and joins one batch of
    ``batch_size / shards`` rows of each per step.

    Example:
        >>> import pyarrow as pa, pyarrow.parquet as pq, tempfile, os
        >>> from losslab.experiment.streaming import open_dataset, compute_stats
        >>> d = tempfile.mkdtemp()
        >>> for i in range(2):
        ...     pq.write_table(pa.table({"x": [float(i)] * 8, "y": [1.0 * i] * 8}), os.path.join(d, f"p{i}.parquet"))
        >>> ds = open_dataset(d)
        >>> stats = compute_stats(ds, "y", val_fraction=0.0)
        >>> one = process_batches(ds, stats, rank=0, world=1, shards=2, batch_size=4)
        >>> two = [process_batches(ds, stats, rank=r, world=2, shards=2, batch_size=4) for r in (0, 1)]
        >>> x1, _ = next(one)
        >>> x2 = np.concatenate([next(t)[0] for t in two])
        >>> x1.shape, bool((x1 == x2).all())  # the same global batch
        ((4, 1), True)
    """
    if shards % world or batch_size % shards:
        raise InvalidParameterError(
            "The batch must split evenly over the shards and the shards over the workers. "
            f"Received: batch_size={batch_size}, shards={shards}, workers={world}. "
            f"Use a batch size that is a multiple of {shards} and shards a multiple of the workers."
        )
    mine = range(rank, shards, world)
    streams = [
        shard_stream(ds, stats, shard=s, shards=shards, local_batch=batch_size // shards, buffer_rows=buffer_rows, seed=seed)
        for s in mine
    ]
    while True:
        parts = [next(s) for s in streams]
        yield np.concatenate([p[0] for p in parts]), np.concatenate([p[1] for p in parts])
