"""losslab on a real Spark standalone cluster: a master and two workers as separate processes.

Each driver runs in its own subprocess (this test process may hold the shared ``local[2]``
session, and Spark allows one per process). The executors run this interpreter
(``PYSPARK_PYTHON``) and import this checkout's ``src`` (``spark.executorEnv.PYTHONPATH``).
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from tests.spark.cluster import (
    StandaloneCluster,
    cluster_env,
    group_members,
    pid_running,
)

pytestmark = [pytest.mark.spark, pytest.mark.slow, pytest.mark.xdist_group("spark")]

CLI = "import sys; from losslab.cli import main; sys.exit(main(sys.argv[1:]))"


def _python(code: str, *args: str, timeout: float = 420) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", code, *args],
        env=cluster_env(),
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def _cli(*args: str, timeout: float = 420) -> subprocess.CompletedProcess[str]:
    return _python(CLI, *args, timeout=timeout)


def _regression_csv(path: Path, n: int = 240) -> Path:
    rng = np.random.default_rng(3)
    x = rng.normal(size=(n, 3))
    y = x @ np.array([1.0, -2.0, 0.5]) + 0.3 * rng.standard_t(3, size=n)
    lines = ["x1,x2,x3,y"] + [",".join(f"{v:.6f}" for v in (*row, t)) for row, t in zip(x, y, strict=True)]
    path.write_text("\n".join(lines) + "\n")
    return path


def _leaderboard(run: Path) -> dict[str, float]:
    """label -> mean primary judge metric, from ``leaderboard.json``."""
    board = json.loads((run / "leaderboard.json").read_text())
    return {r["label"]: r["mean"] for r in board["rows"]}


def _trials(run: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in (run / "trials.jsonl").read_text().splitlines() if line]


def test_cluster_starts_two_workers_and_stops_without_leftovers(tmp_path: Path) -> None:
    """Its own small cluster: both workers register, and stop() leaves no process behind."""
    pytest.importorskip("pyspark")
    cluster = StandaloneCluster(tmp_path / "c")
    try:
        cluster.start(workers=2)
        alive = cluster.alive_workers()
        assert len(alive) == 2
        assert all(w["host"] == "127.0.0.1" for w in alive)
        assert cluster.status()["url"] == cluster.url
        pids = cluster.pids
        assert len(pids) == 3
    finally:
        cluster.stop()
    time.sleep(0.5)
    assert [p for p in pids if pid_running(p)] == []
    assert [p for pid in pids for p in group_members(pid)] == []


EVALUATE = textwrap.dedent(
    """
    import json, sys, time
    import losslab
    from losslab.spark.session import get_session
    master, conf, path = sys.argv[1], json.loads(sys.argv[2]), sys.argv[3]
    spark = get_session(master, conf=conf)
    status = spark.sparkContext._jsc.sc().getExecutorMemoryStatus
    deadline = time.monotonic() + 90
    while status().size() - 1 < 2 and time.monotonic() < deadline:  # minus the driver
        time.sleep(0.5)
    n_exec = status().size() - 1
    losses = ["mse", "mae", "huber:delta=1.5", "log_cosh", "pinball:tau=0.9"]
    r = losslab.evaluate(spark.read.parquet(path), label="y", prediction="p", losses=losses,
                         engine="spark")
    print(json.dumps({"values": r.values, "n": r.n_used, "methods": r.methods,
                      "master": spark.sparkContext.master, "executors": n_exec}))
    spark.stop()
    """
)


def test_evaluate_parquet_folder_on_the_cluster_equals_local(spark_cluster: Any, tmp_path: Path) -> None:
    import pyarrow as pa
    import pyarrow.parquet as pq

    import losslab

    rng = np.random.default_rng(11)
    folder = tmp_path / "preds"
    folder.mkdir()
    for i in range(4):  # four shards, read as one table
        y = rng.normal(size=5000)
        p = y + rng.standard_t(2, size=5000)
        pq.write_table(pa.table({"y": y, "p": p}), folder / f"part-{i}.parquet")
    losses = ["mse", "mae", "huber:delta=1.5", "log_cosh", "pinball:tau=0.9"]
    local = losslab.evaluate(str(folder), label="y", prediction="p", losses=losses)
    out = _python(EVALUATE, spark_cluster.url, json.dumps(spark_cluster.driver_conf()), str(folder))
    assert out.returncode == 0, out.stderr[-4000:]
    got = json.loads(out.stdout.strip().splitlines()[-1])
    assert got["master"] == spark_cluster.url
    assert got["executors"] == 2  # one executor on each worker
    assert got["n"] == 20000
    for key in losses:
        assert got["values"][key] == pytest.approx(local.values[key], rel=1e-9), key
    assert "arrow" in got["methods"].values() or "sql" in got["methods"].values()


COMPARE = ["--losses", "mse,huber:delta=1,mae", "--seeds", "1", "--max-epochs", "4",
           "--hidden", "8", "--batch-size", "32", "--quiet", "--no-report"]  # fmt: skip


def test_compare_on_the_cluster_equals_local(spark_cluster: Any, tmp_path: Path) -> None:
    data = _regression_csv(tmp_path / "d.csv")
    shared = tmp_path / "shared"  # the run directory every executor writes to
    local = _cli("compare", str(data), "--target", "y", *COMPARE, "--out", str(tmp_path / "local"), "--engine", "sequential")
    assert local.returncode == 0, local.stderr[-4000:]
    remote = _cli(
        "compare", str(data), "--target", "y", *COMPARE, "--out", str(shared),
        "--engine", "spark", "--master", spark_cluster.url,
    )  # fmt: skip
    assert remote.returncode == 0, remote.stderr[-4000:]
    trials = _trials(shared)
    assert len(trials) == 3  # one record per trial: no duplicate from a retried task
    local_board, remote_board = _leaderboard(tmp_path / "local"), _leaderboard(shared)
    assert len(local_board) == 3 and sorted(remote_board) == sorted(local_board)
    for label, mean in local_board.items():  # same seeds, same trials (to float round-off)
        assert remote_board[label] == pytest.approx(mean, rel=1e-4), label


KILL_DRIVER = textwrap.dedent(
    """
    import json, sys, time
    from losslab.spark.engine import SparkEngine
    master, conf = sys.argv[1], json.loads(sys.argv[2])

    def slow_square(x):
        import os, time
        time.sleep(6)
        return x * x, os.getpid()

    engine = SparkEngine(master=master, conf=conf, parallelism=2)
    print("READY", flush=True)
    print(json.dumps(sorted(v for v, _ in engine.map(slow_square, range(4)))), flush=True)
    """
)


def test_a_worker_killed_mid_job_is_survived(spark_cluster: Any, tmp_path: Path) -> None:
    """kill -9 a worker while its executor runs a task: Spark reruns the task on the other
    worker and every result comes back once; then the cluster gets a fresh worker."""
    conf = dict(spark_cluster.driver_conf(), **{"spark.task.maxFailures": "4"})
    proc = subprocess.Popen(
        [sys.executable, "-c", KILL_DRIVER, spark_cluster.url, json.dumps(conf)],
        env=cluster_env(), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    victim = spark_cluster.workers[0]
    try:
        assert proc.stdout is not None
        assert proc.stdout.readline().strip() == "READY"
        _wait_for_running_executor(spark_cluster, victim.name)
        time.sleep(2)  # the task is in its sleep now
        victim.kill(signal.SIGKILL)
        out, err = proc.communicate(timeout=300)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 0, err[-4000:]
    assert json.loads(out.strip().splitlines()[-1]) == [0, 1, 4, 9]
    assert not victim.alive() or victim.proc.wait(10) is not None
    spark_cluster.workers.remove(victim)
    spark_cluster.add_worker()  # later tests get two workers again
    spark_cluster.wait_workers(2)


def _wait_for_running_executor(cluster: StandaloneCluster, worker: str, timeout: float = 120) -> None:
    """Until the worker has launched an executor (its work dir holds an app directory)."""
    wdir = cluster.workdir / worker
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if any(wdir.glob("app-*/*/stderr")):
            return
        time.sleep(0.5)
    raise TimeoutError(f"no executor started on {worker}")


def test_a_worker_killed_during_compare_leaves_a_readable_run(spark_cluster: Any, tmp_path: Path) -> None:
    """kill -9 a worker mid-compare: the run finishes (task retry) or fails with one clear
    line; either way the run directory reads back and a re-run completes it."""
    data = _regression_csv(tmp_path / "d.csv", n=400)
    run = tmp_path / "shared"
    args = ["compare", str(data), "--target", "y", "--losses", "mse,huber:delta=1,mae,log_cosh",
            "--seeds", "2", "--max-epochs", "8", "--hidden", "8", "--batch-size", "16",
            "--quiet", "--no-report", "--out", str(run), "--engine", "spark",
            "--master", spark_cluster.url]  # fmt: skip
    proc = subprocess.Popen(
        [sys.executable, "-c", CLI, *args],
        env=cluster_env(), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    victim = spark_cluster.workers[-1]
    try:
        _wait_for_running_executor(spark_cluster, victim.name)
        time.sleep(4)
        victim.kill(signal.SIGKILL)
        out, err = proc.communicate(timeout=400)
    finally:
        if proc.poll() is None:
            proc.kill()
    if proc.returncode != 0:  # failed: one clear line, not a JVM trace
        assert "Traceback" not in err and "Py4J" not in err, err[-3000:]
    trials = _trials(run)  # every stored line parses
    ids = [t.get("trial_id") for t in trials]
    assert len(ids) == len(set(ids))
    spark_cluster.workers.remove(victim)
    spark_cluster.add_worker()
    spark_cluster.wait_workers(2)
    again = _cli(*args)
    assert again.returncode == 0, again.stderr[-4000:]
    assert len(_trials(run)) == 8
    assert os.path.exists(run / "leaderboard.json")


def test_predict_on_the_cluster_equals_local_predict(spark_cluster: Any, tmp_path: Path) -> None:
    """``losslab predict --engine spark`` scores a Parquet folder on the cluster's executors
    (``predict_batch_udf``) with the exported raw-column model: the same predictions, row by
    row (joined on an id column), as the local pandas path."""
    import pandas as pd

    data = _regression_csv(tmp_path / "d.csv")
    run = tmp_path / "run"
    made = _cli("compare", str(data), "--target", "y", *COMPARE, "--out", str(run), "--refit")
    assert made.returncode == 0, made.stderr[-4000:]
    frame = pd.read_csv(data).drop(columns="y")
    frame.insert(0, "row_id", np.arange(len(frame)))
    folder = tmp_path / "rows"
    folder.mkdir()
    for i, rows in enumerate(np.array_split(np.arange(len(frame)), 3)):
        frame.iloc[rows].to_parquet(folder / f"part-{i}.parquet", index=False)
    frame.to_parquet(tmp_path / "all.parquet", index=False)
    local = _cli("predict", str(run), str(tmp_path / "all.parquet"), "--id", "row_id", "-o", str(tmp_path / "local.parquet"))
    assert local.returncode == 0, local.stderr[-4000:]
    remote = _cli("predict", str(run), str(folder), "--id", "row_id", "-o", str(tmp_path / "remote.parquet"),
                  "--engine", "spark", "--master", spark_cluster.url)  # fmt: skip
    assert remote.returncode == 0, remote.stderr[-4000:]
    assert f"({len(frame)} rows, spark)" in remote.stdout
    mine = pd.read_parquet(tmp_path / "local.parquet").set_index("row_id")["prediction"]
    theirs = pd.read_parquet(tmp_path / "remote.parquet").set_index("row_id")["prediction"]
    assert len(theirs) == len(frame) and theirs.index.is_unique
    np.testing.assert_allclose(theirs.loc[mine.index].to_numpy(), mine.to_numpy(), rtol=1e-5, atol=1e-6)
