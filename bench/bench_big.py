"""Benchmark: out-of-core training (``losslab fit``) against the in-memory fit.

Generates a Parquet dataset of about ``--gb`` GB on disk (shards of ``--shard-rows`` rows,
``--cols`` float64 features and a target ``y = x @ w + t(3) noise``), then, each in its own
subprocess so that ``ru_maxrss`` is the peak of that run alone:

- the streaming fit over the whole dataset (``fit_streaming``: one statistics pass, then
  ``--epochs`` streamed epochs): peak RSS, seconds of the statistics pass, time to the first
  training batch after it, training throughput (training rows x epochs / seconds of fit);
- the in-memory fit (``fit_in_memory``) on a slice that fits (``--slice-rows`` rows, one
  shard's worth by default), same model, batch size and loss: its throughput and peak RSS.

- the data-parallel fit on Spark (``fit_data_parallel``: TorchDistributor, Keras on torch,
  DDP with gloo) on a standalone cluster started for the run (``tests/spark/cluster.py``: a
  master and two 1-core workers, separate processes), with 2 workers against 1 worker, same
  global batch: training rows/s of the workers' loop, and the job's wall time (statistics
  pass, Spark and torchrun start-up, imports, validation pass included). ``--no-spark``
  skips it.

Goals (issue): streaming throughput >= 0.8x in-memory; streaming peak RSS <= 2 GB.
Prints a table and writes bench/results/big.json. No assertion.

The default size (``--gb 0.1``: one shard of 1M rows, 0.17 GB) runs in a few minutes on a
2-core machine; ``--full`` is the issue's 5 GB dataset.

Usage: python bench/bench_big.py [--gb 0.1 | --full] [--epochs 1] [--batch-size 4096] [--dir DIR]
       [--keep] [--no-spark]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("KERAS_BACKEND", "jax")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
SRC = Path(__file__).resolve().parents[1] / "src"

CHILD = """
import json, resource, sys, time
t0 = time.perf_counter()
mode, data, target, loss, epochs, batch, buffer = sys.argv[1:8]
from losslab.experiment.streaming import compute_stats, open_dataset
from losslab.experiment.streaming_fit import fit_in_memory, fit_streaming
ds = open_dataset(data)
s0 = time.perf_counter()
stats = compute_stats(ds, target, val_fraction=0.05)
stats_s = time.perf_counter() - s0
kw = dict(epochs=int(epochs), batch_size=int(batch), seed=0, hidden=(64, 64), stats=stats)
if mode == "stream":
    r = fit_streaming(data, target, loss, buffer_rows=int(buffer), verbose=0, **kw)
else:
    r = fit_in_memory(data, target, loss, **kw)
out = dict(r.summary(), stats_seconds=stats_s, total_seconds=time.perf_counter() - t0,
           peak_rss_mb=resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)
print("RESULT " + json.dumps(out))
"""


DP_CHILD = """
import json, sys, time
t0 = time.perf_counter()
master, conf, data, loss, epochs, batch, buffer, workers = sys.argv[1:9]
from losslab.spark.distributed import fit_data_parallel
r = fit_data_parallel(data, "y", loss, workers=int(workers), master=master, conf=json.loads(conf),
                      epochs=int(epochs), batch_size=int(batch), buffer_rows=int(buffer),
                      hidden=(64, 64), val_fraction=0.05, verbose=0)
print("RESULT " + json.dumps(dict(r.summary(), wall_seconds=time.perf_counter() - t0)))
"""


def generate(folder: Path, gb: float, cols: int, shard_rows: int, seed: int = 0) -> tuple[int, float]:
    import numpy as np
    import pyarrow as pa
    import pyarrow.parquet as pq

    folder.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(seed)
    w = rng.normal(size=cols)
    names = [f"x{i}" for i in range(cols)]
    rows, size, i = 0, 0, 0
    while size < gb * 1e9:
        x = rng.normal(size=(shard_rows, cols))
        y = x @ w + rng.standard_t(3, size=shard_rows)
        table = pa.table({**dict(zip(names, x.T, strict=True)), "y": y})
        path = folder / f"part-{i:05d}.parquet"
        pq.write_table(table, path, row_group_size=131_072, compression="snappy")
        size += path.stat().st_size
        rows += shard_rows
        i += 1
    return rows, size / 1e9


def child(mode: str, data: Path, args: argparse.Namespace) -> dict:
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(SRC), os.environ.get("PYTHONPATH", "")]))
    cmd = [sys.executable, "-c", CHILD, mode, str(data), "y", args.loss, str(args.epochs),
           str(args.batch_size), str(args.buffer_rows)]  # fmt: skip
    out = subprocess.run(cmd, capture_output=True, text=True, env=env)
    line = [x for x in out.stdout.splitlines() if x.startswith("RESULT ")]
    if out.returncode != 0 or not line:
        raise SystemExit(f"{mode} run failed:\n{out.stderr[-3000:]}")
    return json.loads(line[-1][7:])


def data_parallel(data: Path, args: argparse.Namespace, workdir: Path) -> dict:
    """1 and 2 workers on a fresh standalone cluster (2 x 1 core); each run's own driver."""
    repo = SRC.parent
    sys.path.insert(0, str(repo))
    from tests.spark.cluster import StandaloneCluster, cluster_env

    cluster = StandaloneCluster(workdir / "cluster")
    out = {}
    try:
        cluster.start(workers=2)
        for workers in (1, 2):
            cmd = [sys.executable, "-c", DP_CHILD, cluster.url, json.dumps(cluster.driver_conf()), str(data),
                   args.loss, str(args.epochs), str(args.batch_size), str(args.buffer_rows), str(workers)]  # fmt: skip
            run = subprocess.run(cmd, capture_output=True, text=True, env=cluster_env())
            line = [x for x in run.stdout.splitlines() if x.startswith("RESULT ")]
            if run.returncode != 0 or not line:
                raise SystemExit(f"data-parallel run with {workers} worker(s) failed:\n{run.stderr[-3000:]}")
            out[f"workers_{workers}"] = json.loads(line[-1][7:])
            print(f"data-parallel, {workers} worker(s)", out[f"workers_{workers}"], flush=True)
    finally:
        cluster.stop()
    out["speedup_2_over_1"] = out["workers_2"]["rows_per_second"] / out["workers_1"]["rows_per_second"]
    return out


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--gb", type=float, default=0.1, help="dataset size on disk, GB")
    p.add_argument("--full", action="store_true", help="the issue's size: 5 GB on disk")
    p.add_argument("--no-spark", action="store_true", help="skip the data-parallel fit on Spark")
    p.add_argument("--cols", type=int, default=16)
    p.add_argument("--shard-rows", type=int, default=1_000_000)
    p.add_argument("--slice-rows", type=int, default=None, help="rows of the in-memory slice")
    p.add_argument("--epochs", type=int, default=1)
    p.add_argument("--batch-size", type=int, default=4096)
    p.add_argument("--buffer-rows", type=int, default=262_144)
    p.add_argument("--loss", default="huber:delta=1.3")
    p.add_argument("--dir", type=Path, default=None)
    p.add_argument("--keep", action="store_true")
    args = p.parse_args()
    if args.full:
        args.gb = 5.0
    root = args.dir or Path(tempfile.mkdtemp(prefix="losslab-big-"))
    try:
        t0 = time.perf_counter()
        rows, gb = generate(root / "data", args.gb, args.cols, args.shard_rows)
        gen_s = time.perf_counter() - t0
        print(f"generated {rows:,} rows, {gb:.2f} GB in {gen_s:.0f} s under {root}", flush=True)
        stream = child("stream", root / "data", args)
        print("stream", stream, flush=True)
        slice_dir = root / "slice"
        slice_dir.mkdir(exist_ok=True)
        n_slice = args.slice_rows or args.shard_rows
        import pyarrow.parquet as pq

        pq.write_table(pq.read_table(root / "data" / "part-00000.parquet").slice(0, n_slice), slice_dir / "s.parquet")
        memory = child("memory", slice_dir, args)
        print("memory", memory, flush=True)
        spark = None if args.no_spark else data_parallel(root / "data", args, root)
    finally:
        if not args.keep:
            shutil.rmtree(root, ignore_errors=True)
    ratio = stream["rows_per_second"] / memory["rows_per_second"]
    result = {
        "conditions": {"gb_on_disk": round(gb, 3), "rows": rows, "features": args.cols, "epochs": args.epochs,
                       "batch_size": args.batch_size, "buffer_rows": args.buffer_rows, "loss": args.loss,
                       "slice_rows": n_slice, "backend": os.environ["KERAS_BACKEND"], "cpus": os.cpu_count(),
                       "load_average": os.getloadavg()},  # fmt: skip
        "stream": stream,
        "memory": memory,
        "throughput_ratio": ratio,
        "data_parallel": spark,
    }
    print(f"\nstreaming: {stream['rows_per_second']:,.0f} rows/s, peak RSS {stream['peak_rss_mb']:.0f} MB, "
          f"stats pass {stream['stats_seconds']:.1f} s, first batch {stream['first_batch_seconds']:.2f} s")  # fmt: skip
    print(f"in memory ({n_slice:,} rows): {memory['rows_per_second']:,.0f} rows/s, peak RSS {memory['peak_rss_mb']:.0f} MB")
    print(f"throughput ratio streaming / in-memory: {ratio:.2f}x (goal >= 0.8x)")
    if spark is not None:
        one, two = spark["workers_1"], spark["workers_2"]
        print(f"data-parallel on Spark (torch backend): 1 worker {one['rows_per_second']:,.0f} rows/s "
              f"(job {one['wall_seconds']:.0f} s), 2 workers {two['rows_per_second']:,.0f} rows/s "
              f"(job {two['wall_seconds']:.0f} s): {spark['speedup_2_over_1']:.2f}x")  # fmt: skip
    out = Path(__file__).resolve().parent / "results" / "big.json"
    out.parent.mkdir(exist_ok=True)
    out.write_text(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
