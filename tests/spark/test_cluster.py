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


def test_cluster_starts_two_workers(spark_cluster: StandaloneCluster) -> None:
    """Both workers of the shared cluster register, on 127.0.0.1, with the master the fixture
    names. That stop() then leaves no process behind is asserted by the fixture's teardown
    (``tests/spark/conftest.py``), after every cluster test, on this same cluster."""
    alive = spark_cluster.alive_workers()
    assert len(alive) == 2
    assert all(w["host"] == "127.0.0.1" for w in alive)
    assert spark_cluster.status()["url"] == spark_cluster.url
    assert len(spark_cluster.pids) == 3
    assert all(pid_running(p) for p in spark_cluster.pids)


COMPARE = ["--losses", "mse,huber:delta=1,mae", "--seeds", "1", "--max-epochs", "4",
           "--hidden", "8", "--batch-size", "32", "--quiet", "--no-report"]  # fmt: skip
LOSSES = ["mse", "mae", "huber:delta=1.5", "log_cosh", "pinball:tau=0.9"]

# One driver process (one Spark application, one pair of executors) serves three tests, in
# this order: ``losslab compare --engine spark --master URL`` (the CLI creates the session on
# the cluster, as in a fresh process), ``losslab predict --engine spark --master URL`` and
# ``losslab.evaluate(..., engine="spark")``, both on that active session. Each step runs even
# when an earlier one failed, and reports its exit code or traceback to its own test.
DRIVER = textwrap.dedent(
    """
    import contextlib, io, json, sys, time, traceback
    master, paths = sys.argv[1], json.loads(sys.argv[2])
    out = {}

    def step(name, fn):
        buf = io.StringIO()
        try:
            with contextlib.redirect_stdout(buf):
                out[name] = {"result": fn()}
        except BaseException:
            out[name] = {"error": traceback.format_exc()}
        out[name]["stdout"] = buf.getvalue()

    from losslab.cli import main

    step("compare", lambda: main(["compare", paths["data"], "--target", "y", *paths["compare"],
                                  "--out", paths["shared"], "--engine", "spark", "--master", master]))
    step("predict", lambda: main(["predict", paths["run"], paths["rows"], "--id", "row_id", "-o",
                                  paths["remote"], "--engine", "spark", "--master", master]))

    def evaluate():
        import losslab
        from losslab.spark.session import get_session
        spark = get_session(master)
        status = spark.sparkContext._jsc.sc().getExecutorMemoryStatus
        deadline = time.monotonic() + 90
        while status().size() - 1 < 2 and time.monotonic() < deadline:  # minus the driver
            time.sleep(0.5)
        n_exec = status().size() - 1
        r = losslab.evaluate(spark.read.parquet(paths["preds"]), label="y", prediction="p",
                             losses=paths["losses"], engine="spark")
        return {"values": r.values, "n": r.n_used, "methods": r.methods,
                "master": spark.sparkContext.master, "executors": n_exec}

    step("evaluate", evaluate)
    from losslab.spark.session import stop_session
    stop_session()
    print(json.dumps(out))
    """
)


@pytest.fixture(scope="module")
def local_run(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """One local compare (sequential engine, ``--refit``) of the regression CSV, shared by two
    tests: its leaderboard is the oracle of ``test_compare_on_the_cluster_equals_local`` (the
    refit only adds ``model/``; it leaves trials and leaderboard as they were), and its
    exported model is what ``test_predict_on_the_cluster_equals_local_predict`` scores on
    both paths. Returns (data CSV, run directory)."""
    root = tmp_path_factory.mktemp("cluster-local-run")
    data = _regression_csv(root / "d.csv")
    run = root / "local"
    done = _cli("compare", str(data), "--target", "y", *COMPARE, "--out", str(run), "--engine", "sequential", "--refit")
    assert done.returncode == 0, done.stderr[-4000:]
    assert (run / "model" / "model.keras").is_file()
    return data, run


@pytest.fixture(scope="module")
def cluster_driver(
    spark_cluster: Any, local_run: tuple[Path, Path], tmp_path_factory: pytest.TempPathFactory
) -> dict[str, Any]:
    """Runs :data:`DRIVER` once against the cluster and returns its per-step report with the
    paths it read and wrote. Asserts only that the driver process itself finished: each step
    is asserted by its own test (:func:`_step`)."""
    import pandas as pd
    import pyarrow as pa
    import pyarrow.parquet as pq

    root = tmp_path_factory.mktemp("cluster-driver")
    data, run = local_run
    rng = np.random.default_rng(11)
    preds = root / "preds"
    preds.mkdir()
    for i in range(4):  # four shards, read as one table
        y = rng.normal(size=5000)
        p = y + rng.standard_t(2, size=5000)
        pq.write_table(pa.table({"y": y, "p": p}), preds / f"part-{i}.parquet")
    frame = pd.read_csv(data).drop(columns="y")
    frame.insert(0, "row_id", np.arange(len(frame)))
    rows = root / "rows"
    rows.mkdir()
    for i, part in enumerate(np.array_split(np.arange(len(frame)), 3)):
        frame.iloc[part].to_parquet(rows / f"part-{i}.parquet", index=False)
    frame.to_parquet(root / "all.parquet", index=False)
    paths = {"data": str(data), "compare": COMPARE, "shared": str(root / "shared"), "run": str(run),
             "rows": str(rows), "remote": str(root / "remote.parquet"), "preds": str(preds), "losses": LOSSES}  # fmt: skip
    done = _python(DRIVER, spark_cluster.url, json.dumps(paths), timeout=900)
    assert done.returncode == 0, done.stderr[-4000:]
    report = json.loads(done.stdout.strip().splitlines()[-1])
    return {**report, "paths": {k: Path(v) for k, v in paths.items() if isinstance(v, str)},
            "all": root / "all.parquet", "n_rows": len(frame), "stderr": done.stderr}  # fmt: skip


def _step(driver: dict[str, Any], name: str) -> Any:
    """The result of one driver step; a step that raised fails its test with the traceback."""
    got = driver[name]
    assert "error" not in got, got["error"][-4000:] + "\n" + driver["stderr"][-2000:]
    return got["result"]


def test_evaluate_parquet_folder_on_the_cluster_equals_local(spark_cluster: Any, cluster_driver: dict[str, Any]) -> None:
    import losslab

    local = losslab.evaluate(str(cluster_driver["paths"]["preds"]), label="y", prediction="p", losses=LOSSES)
    got = _step(cluster_driver, "evaluate")
    assert got["master"] == spark_cluster.url
    assert got["executors"] == 2  # one executor on each worker
    assert got["n"] == 20000
    for key in LOSSES:
        assert got["values"][key] == pytest.approx(local.values[key], rel=1e-9), key
    assert "arrow" in got["methods"].values() or "sql" in got["methods"].values()


def test_compare_on_the_cluster_equals_local(cluster_driver: dict[str, Any], local_run: tuple[Path, Path]) -> None:
    _, local = local_run
    shared = cluster_driver["paths"]["shared"]  # the run directory every executor writes to
    assert _step(cluster_driver, "compare") == 0, cluster_driver["stderr"][-4000:]
    trials = _trials(shared)
    assert len(trials) == 3  # one record per trial: no duplicate from a retried task
    local_board, remote_board = _leaderboard(local), _leaderboard(shared)
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


def test_predict_on_the_cluster_equals_local_predict(
    cluster_driver: dict[str, Any], local_run: tuple[Path, Path], tmp_path: Path
) -> None:
    """``losslab predict --engine spark`` scores a Parquet folder on the cluster's executors
    (``predict_batch_udf``) with the exported raw-column model: the same predictions, row by
    row (joined on an id column), as the local pandas path (``losslab predict`` on one file, in this process)."""
    import pandas as pd

    _, run = local_run
    paths, n = cluster_driver["paths"], cluster_driver["n_rows"]
    from losslab.cli import main  # the local path needs no driver process of its own

    assert main(["predict", str(run), str(cluster_driver["all"]), "--id", "row_id", "-o", str(tmp_path / "local.parquet")]) == 0
    assert _step(cluster_driver, "predict") == 0, cluster_driver["stderr"][-4000:]
    assert f"({n} rows, spark)" in cluster_driver["predict"]["stdout"]
    mine = pd.read_parquet(tmp_path / "local.parquet").set_index("row_id")["prediction"]
    theirs = pd.read_parquet(paths["remote"]).set_index("row_id")["prediction"]
    assert len(theirs) == n and theirs.index.is_unique
    np.testing.assert_allclose(theirs.loc[mine.index].to_numpy(), mine.to_numpy(), rtol=1e-5, atol=1e-6)
