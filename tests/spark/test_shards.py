"""Shards of a dataset for data-parallel training (no Spark, no torch): every row in exactly
one shard, fixed-size batches, and the same global batches whatever the number of processes."""

from __future__ import annotations

import itertools
from pathlib import Path

import numpy as np
import pytest

from losslab.errors import DataError, InvalidParameterError
from losslab.experiment.streaming import compute_stats, open_dataset
from losslab.spark.shards import data_units, process_batches, shard_dataset, shard_stream


def _table(folder: Path, files: int = 3, rows: int = 50, row_group: int | None = None) -> Path:
    import pyarrow as pa
    import pyarrow.parquet as pq

    folder.mkdir(parents=True, exist_ok=True)
    for i in range(files):
        ids = np.arange(i * rows, (i + 1) * rows)
        t = pa.table({"id": ids, "x": ids.astype(float), "y": ids.astype(float) * 2.0})
        pq.write_table(t, folder / f"part-{i}.parquet", row_group_size=row_group)
    return folder


def _ids(ds: object) -> list[int]:
    return sorted(ds.to_table(columns=["id"]).column("id").to_pylist())  # type: ignore[attr-defined]


def test_every_row_is_in_exactly_one_shard(tmp_path: Path) -> None:
    ds = open_dataset(_table(tmp_path / "d", files=3, rows=40, row_group=15))  # 3 groups per file
    assert len(data_units(ds)) == 9
    parts = [_ids(shard_dataset(ds, s, 4)) for s in range(4)]
    assert sorted(itertools.chain(*parts)) == list(range(120))
    assert all(parts)


def test_fewer_units_than_shards_is_one_clear_error(tmp_path: Path) -> None:
    ds = open_dataset(_table(tmp_path / "d", files=1, rows=10))
    with pytest.raises(DataError, match=r"1 files/row groups, fewer than the 2 shards.*at least 2 files"):
        shard_dataset(ds, 0, 2)


def test_batches_have_the_exact_size_across_epochs(tmp_path: Path) -> None:
    ds = open_dataset(_table(tmp_path / "d", files=2, rows=30))
    stats = compute_stats(ds, "y", val_fraction=0.0, key="id", features=["x"])
    stream = shard_stream(ds, stats, shard=1, shards=2, local_batch=7)
    batches = [next(stream) for _ in range(10)]  # 70 rows from a 30-row shard: 2+ epochs
    assert {len(y) for _, y in batches} == {7}
    x = np.concatenate([b[0] for b in batches])[:, 0] * stats.features[0].std + stats.features[0].mean
    seen = np.rint(x[:30]).astype(int)
    assert sorted(seen.tolist()) == list(range(30, 60))  # the first epoch: each row of shard 1 once


def test_one_process_sees_the_global_batches_of_two(tmp_path: Path) -> None:
    ds = open_dataset(_table(tmp_path / "d", files=4, rows=25))
    stats = compute_stats(ds, "y", val_fraction=0.2, key="id", features=["x"])
    one = process_batches(ds, stats, rank=0, world=1, shards=2, batch_size=8, buffer_rows=16, seed=3)
    two = [process_batches(ds, stats, rank=r, world=2, shards=2, batch_size=8, buffer_rows=16, seed=3) for r in (0, 1)]
    for _ in range(12):
        x1, y1 = next(one)
        parts = [next(t) for t in two]
        np.testing.assert_array_equal(x1, np.concatenate([p[0] for p in parts]))
        np.testing.assert_array_equal(y1, np.concatenate([p[1] for p in parts]))
        assert [len(p[1]) for p in parts] == [4, 4]


def test_uneven_batch_or_shards_are_rejected(tmp_path: Path) -> None:
    ds = open_dataset(_table(tmp_path / "d", files=2, rows=10))
    stats = compute_stats(ds, "y", val_fraction=0.0)
    with pytest.raises(InvalidParameterError, match="multiple of 2"):
        next(process_batches(ds, stats, rank=0, world=2, shards=2, batch_size=7))
    with pytest.raises(InvalidParameterError, match="shards a multiple of the workers"):
        next(process_batches(ds, stats, rank=0, world=2, shards=3, batch_size=6))


# torchrun's failure summary (torch.distributed.elastic ChildFailedError), inside Spark's
# barrier-stage report, as the driver receives it when a training process is killed
SPARK_ERROR = """An error occurred while calling o59.collectToPython.
: org.apache.spark.SparkException: Job aborted due to stage failure: Could not recover from a failed barrier ResultStage. Most recent failure reason: Stage failed because barrier task ResultTask(0, 1) finished unsuccessfully.
"""
# the workers' log lines streamed to the driver's stderr (torchrun's summary)
TORCHRUN_REPORT = """torch.distributed.elastic.multiprocessing.errors.ChildFailedError:
============================================================
/tmp/tmpab12/train.py FAILED
------------------------------------------------------------
Root Cause (first observed failure):
[0]:
  time      : 2026-12-07_04:50:01
  host      : localhost
  rank      : 1 (local_rank: 0)
  exitcode  : -9 (pid: 5910)  (SIGKILL)
  error_file: <N/A>
  traceback : Signal 9 (SIGKILL) received by PID 5910
============================================================
"""


def test_a_failed_training_job_is_reported_in_one_line() -> None:
    from losslab.spark.distributed import TrainingFailedError, failure_error

    err = failure_error(RuntimeError(SPARK_ERROR), 2, "spark://h:7077", logs=TORCHRUN_REPORT)
    assert isinstance(err, TrainingFailedError)
    msg = str(err)
    assert "\n" not in msg
    assert msg.startswith(
        "Data-parallel training failed on Spark: the training process of rank 1 (pid 5910) was stopped by SIGKILL."
    )
    assert "Received: 2 workers on 'spark://h:7077'" in msg
    exited = TORCHRUN_REPORT.replace("-9 (pid: 5910)  (SIGKILL)", "1 (pid: 5910)").replace(
        "Signal 9 (SIGKILL) received by PID 5910", "<N/A>"
    )
    assert "rank 1 exited with code 1" in str(failure_error(RuntimeError(SPARK_ERROR), 2, "m", logs=exited))
    no_logs = str(failure_error(RuntimeError(SPARK_ERROR), 2, "m"))
    assert "failed on Spark: Could not recover from a failed barrier ResultStage. Most recent" in no_logs
    worker = "PythonException: Traceback ...\nlosslab.errors.DataError: Shard 1 of 2 holds no training rows.\n"
    assert "failed on Spark: Shard 1 of 2 holds no training rows. Received" in str(failure_error(RuntimeError(worker), 2, "m"))


@pytest.mark.parametrize(
    ("extra", "files", "message"),
    [
        (["--batch-size", "255"], 2, "batch_size=255, shards=2, workers=2"),
        (["--workers", "3", "--batch-size", "255"], 2, "2 files/row groups, fewer than the 3 shards"),
    ],
)
def test_fit_on_spark_refuses_bad_input_before_starting_spark(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], extra: list[str], files: int, message: str
) -> None:
    from losslab.cli import main

    data = _table(tmp_path / "d", files=files, rows=20)
    code = main(["fit", str(data), "--target", "y", "--engine", "spark", "--master", "spark://nowhere:1", *extra])
    err = capsys.readouterr().err
    assert code == 2
    assert message in err and len(err.strip().splitlines()) == 1
