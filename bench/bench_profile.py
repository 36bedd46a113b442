"""Benchmark: losslab's streaming profile vs pandas on a 10M-row x 20-column Parquet file.

The file is generated in a temporary directory (nothing downloaded). Each side runs in its
own subprocess so its peak resident memory (ru_maxrss) is its own:

- losslab: ``losslab.profile(path, target="y")`` (one streaming pass with pyarrow, order
  statistics on a 100,000-row sample, task inference);
- pandas: ``pd.read_parquet(path)`` + ``df.describe()`` + ``value_counts()`` of every column.

Prints the time ratio and the peak-memory ratio (losslab / pandas; below 1 is better) and
writes JSON to bench/results/bench_profile.json. Usage::

    .venv/bin/python bench/bench_profile.py [--rows 10000000] [--repeat 1]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path

N_COLS = 20


def generate(path: Path, rows: int, seed: int = 0) -> None:
    """Write ``rows`` x 20 columns in 1M-row row groups (bounded memory while writing)."""
    import numpy as np
    import pyarrow as pa
    import pyarrow.parquet as pq

    rng = np.random.default_rng(seed)
    chunk = 1_000_000
    writer = None
    try:
        for start in range(0, rows, chunk):
            n = min(chunk, rows - start)
            cols = {}
            for j in range(14):
                cols[f"num{j}"] = rng.normal(size=n)
            for j in range(3):
                cols[f"code{j}"] = rng.integers(0, 10, size=n)
            cols["amount"] = rng.lognormal(3.0, 1.0, size=n)
            cols["region"] = pa.array(rng.choice(["north", "south", "east", "west"], size=n))
            cols["y"] = rng.poisson(np.exp(0.5 + 0.3 * cols["num0"])).astype(np.float64)
            table = pa.table(cols)
            if writer is None:
                writer = pq.ParquetWriter(path, table.schema)
            writer.write_table(table)
    finally:
        if writer is not None:
            writer.close()


def _worker(kind: str, path: str) -> None:
    import resource

    t0 = time.perf_counter()
    if kind == "losslab":
        import losslab

        prof = losslab.profile(path, target="y")
        summary = {"task": prof.task.kind, "rows": prof.n_rows}
    else:
        import pandas as pd

        df = pd.read_parquet(path)
        desc = df.describe()
        vcs = {c: df[c].value_counts() for c in df.columns}
        summary = {"rows": len(df), "describe_shape": list(desc.shape), "vc": len(vcs)}
    elapsed = time.perf_counter() - t0
    rss_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print(json.dumps({"seconds": elapsed, "peak_rss_mb": rss_kb / 1024, **summary}))


def _run(kind: str, path: Path) -> dict:
    t0 = time.perf_counter()
    out = subprocess.run(
        [sys.executable, __file__, "--worker", kind, str(path)],
        capture_output=True,
        text=True,
        check=True,
    )
    wall = time.perf_counter() - t0
    res = json.loads(out.stdout.strip().splitlines()[-1])
    res["wall_seconds_with_imports"] = wall
    return res


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rows", type=int, default=10_000_000)
    ap.add_argument("--repeat", type=int, default=1)
    ap.add_argument("--worker", nargs=2, metavar=("KIND", "PATH"), help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.worker:
        _worker(*args.worker)
        return
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "bench.parquet"
        t0 = time.perf_counter()
        generate(path, args.rows)
        gen = time.perf_counter() - t0
        size_mb = path.stat().st_size / 2**20
        print(f"generated {args.rows:,} rows x {N_COLS} columns ({size_mb:.0f} MB) in {gen:.1f} s")
        # a baseline process (imports only) to show the interpreter's own footprint
        runs: dict[str, list[dict]] = {"losslab": [], "pandas": []}
        for _ in range(args.repeat):
            for kind in ("losslab", "pandas"):
                r = _run(kind, path)
                runs[kind].append(r)
                print(
                    f"{kind:8s} {r['seconds']:7.2f} s (profile)  "
                    f"peak RSS {r['peak_rss_mb']:8.0f} MB"
                )
    best = {k: min(v, key=lambda r: r["seconds"]) for k, v in runs.items()}
    time_ratio = best["losslab"]["seconds"] / best["pandas"]["seconds"]
    mem_ratio = max(r["peak_rss_mb"] for r in runs["losslab"]) / max(
        r["peak_rss_mb"] for r in runs["pandas"]
    )
    print(f"time ratio   losslab / pandas = {time_ratio:.3f}  (goal < 1)")
    print(f"memory ratio losslab / pandas = {mem_ratio:.3f}  (goal <= 0.5)")
    out_dir = Path(__file__).resolve().parent / "results"
    out_dir.mkdir(parents=True, exist_ok=True)
    result = {
        "benchmark": "bench_profile",
        "rows": args.rows,
        "columns": N_COLS,
        "file_mb": size_mb,
        "runs": runs,
        "time_ratio": time_ratio,
        "memory_ratio": mem_ratio,
        "machine": {"python": platform.python_version(), "cpus": os.cpu_count()},
    }
    (out_dir / "bench_profile.json").write_text(json.dumps(result, indent=2))
    print(f"wrote {out_dir / 'bench_profile.json'}")


if __name__ == "__main__":
    main()
