"""Data-parallel ``losslab fit --engine spark`` on the real standalone cluster (a master and two
1-core workers as separate processes): TorchDistributor, Keras on torch, DDP with gloo.

The reference is one process running the same training loop (``engine="local"``) with
``shards=2``: it joins, step by step, the two workers' batches into the same global batch,
from the same initial weights (same seed). DDP averages the two half-batch gradients, which
is the gradient of the mean loss over the whole batch, so both runs follow the same
trajectory up to float round-off in the all-reduce. Stated tolerance after 3 epochs:
relative 1e-4 on every epoch's training loss and on the validation loss, absolute 1e-4 on
the predictions (targets standardised to unit variance).
"""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from tests.spark.cluster import cluster_env

pytestmark = [pytest.mark.spark, pytest.mark.slow, pytest.mark.xdist_group("spark")]

pytest.importorskip("torch", reason="data-parallel training needs torch (pip install torch)")

CLI = "import sys; from losslab.cli import main; sys.exit(main(sys.argv[1:]))"
FIT = ["--target", "y", "--loss", "huber:delta=1.3", "--batch-size", "256", "--hidden", "16,16", "--seed", "5"]

REFERENCE = textwrap.dedent(
    """
    import sys
    from losslab.spark.distributed import fit_data_parallel
    fit_data_parallel(sys.argv[1], "y", "huber:delta=1.3", engine="local", shards=2, epochs=3,
                      batch_size=256, hidden=(16, 16), seed=5, out=sys.argv[2], verbose=0)
    """
)


def _shards(folder: Path, files: int = 4, rows: int = 3000) -> Path:
    import pyarrow as pa
    import pyarrow.parquet as pq

    folder.mkdir(parents=True)
    rng = np.random.default_rng(0)
    for i in range(files):
        x = rng.normal(size=(rows, 3))
        y = x @ np.array([1.0, -2.0, 0.5]) + 0.3 * rng.standard_t(3, size=rows)
        pq.write_table(pa.table({"x1": x[:, 0], "x2": x[:, 1], "x3": x[:, 2], "y": y}), folder / f"part-{i}.parquet")
    return folder


def _run(args: list[str], env: dict[str, str] | None = None, timeout: float = 600) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, *args], env=env or cluster_env(), capture_output=True, text=True, timeout=timeout)


def _predict(model_dir: Path, x: np.ndarray) -> np.ndarray:
    import keras

    model = keras.saving.load_model(model_dir / "model.keras", compile=False)
    return np.asarray(model.predict(x, verbose=0), dtype=np.float64)


def test_two_workers_match_one_process_with_the_same_global_batches(spark_cluster: Any, tmp_path: Path) -> None:
    data = _shards(tmp_path / "data")
    local_env = dict(cluster_env(), KERAS_BACKEND="torch")
    ref = _run(["-c", REFERENCE, str(data), str(tmp_path / "ref")], env=local_env)
    assert ref.returncode == 0, ref.stderr[-4000:]
    out = tmp_path / "model"
    cl = _run(["-c", CLI, "fit", str(data), *FIT, "--epochs", "3", "--engine", "spark", "--workers", "2",
               "--master", spark_cluster.url, "--out", str(out)])  # fmt: skip
    assert cl.returncode == 0, cl.stderr[-4000:]
    assert cl.stdout.startswith("trained on ") and cl.stdout.strip().endswith(str(out))
    assert "epoch 3/3" in cl.stderr  # rank 0's progress, streamed back by TorchDistributor

    ref_hist = json.loads((tmp_path / "ref" / "history.json").read_text())
    got_hist = json.loads((out / "history.json").read_text())
    assert got_hist["n_train"] + got_hist["n_val"] == 12000
    assert len(got_hist["history"]["loss"]) == 3
    np.testing.assert_allclose(got_hist["history"]["loss"], ref_hist["history"]["loss"], rtol=1e-4)
    assert got_hist["history"]["loss"][-1] < got_hist["history"]["loss"][0]  # it did learn
    assert got_hist["val_loss"] == pytest.approx(ref_hist["val_loss"], rel=1e-4)
    assert (out / "preprocessing.json").read_text() == (tmp_path / "ref" / "preprocessing.json").read_text()

    x = np.random.default_rng(1).normal(size=(500, 3)).astype("float32")
    got, want = _predict(out, x), _predict(tmp_path / "ref", x)
    np.testing.assert_allclose(got, want, atol=1e-4)
    assert float(np.std(got)) > 0.5  # not a constant model


def _children(pid: int) -> dict[int, int]:
    """Every live process -> its parent (Linux /proc)."""
    parents = {}
    for p in Path("/proc").glob("[0-9]*"):
        try:
            fields = (p / "stat").read_text().rsplit(")", 1)[1].split()
        except (OSError, IndexError):
            continue
        parents[int(p.name)] = int(fields[1])
    return parents


def _training_process(roots: list[int], rank: int) -> int | None:
    """The pid of the training process (torchrun's child running train.py) of ``rank``,
    among the descendants of ``roots`` (the cluster's worker daemons)."""
    parents = _children(0)
    for pid in parents:
        up, seen = pid, 0
        while up not in roots and up > 1 and seen < 64:
            up, seen = parents.get(up, 0), seen + 1
        if up not in roots:
            continue
        try:
            argv = Path(f"/proc/{pid}/cmdline").read_bytes().decode().split("\0")
            env = Path(f"/proc/{pid}/environ").read_bytes().decode().split("\0")
        except OSError:
            continue
        launcher = any("torch.distributed.run" in a or "torch_run_process_wrapper" in a for a in argv)
        if not launcher and any(a.endswith("train.py") for a in argv) and f"RANK={rank}" in env:
            return pid
    return None


def test_a_training_process_killed_mid_fit_leaves_no_half_written_model(spark_cluster: Any, tmp_path: Path) -> None:
    """kill -9 rank 1's training process after a few epochs: the job either recovers (Spark
    reruns the barrier stage) or fails with one clear line; the output folder is complete or
    absent, never partial."""
    data = _shards(tmp_path / "data")
    out = tmp_path / "model"
    args = [CLI, "fit", str(data), *FIT, "--epochs", "60", "--engine", "spark", "--workers", "2",
            "--master", spark_cluster.url, "--out", str(out)]  # fmt: skip
    proc = subprocess.Popen([sys.executable, "-c", *args], env=cluster_env(), stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)  # fmt: skip
    killed = None
    try:
        assert proc.stderr is not None
        lines = []
        for line in proc.stderr:
            lines.append(line)
            if "epoch 3/60" in line:
                break
        else:
            pytest.fail("training never reached epoch 3:\n" + "".join(lines[-40:]))
        killed = _training_process([w.pid for w in spark_cluster.workers], rank=1)
        assert killed is not None, "no training process of rank 1 found"
        import os

        os.kill(killed, signal.SIGKILL)
        rest_out, rest_err = proc.communicate(timeout=500)
    finally:
        if proc.poll() is None:
            proc.kill()
    err = "".join(lines) + rest_err
    leftovers = [p.name for p in tmp_path.iterdir() if ".partial-" in p.name]
    assert leftovers == []
    print(f"killed rank 1 (pid {killed}): exit code {proc.returncode}; last line: {err.strip().splitlines()[-1]}")
    if proc.returncode == 0:  # recovered: Spark re-ran the barrier stage from the start
        assert sorted(p.name for p in out.iterdir()) == ["history.json", "model.keras", "preprocessing.json"]
        assert len(json.loads((out / "history.json").read_text())["history"]["loss"]) == 60
        assert _predict(out, np.zeros((2, 3), "float32")).shape == (2, 1)
    else:
        assert proc.returncode == 2, err[-3000:]
        last = err.strip().splitlines()[-1]
        assert "Data-parallel training failed on Spark: the training process of rank 1" in last, err[-3000:]
        assert f"(pid {killed}) was stopped by SIGKILL" in last
        assert not out.exists() or list(out.iterdir()) == []
    time.sleep(1)
    assert _training_process([w.pid for w in spark_cluster.workers], rank=0) is None  # nothing left running
