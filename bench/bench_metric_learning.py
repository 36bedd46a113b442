"""Benchmark: losslab triplet semi-hard / hard vs pytorch-metric-learning on the torch backend.

For batch sizes 128 / 512 / 2048 (P x K batches, K = 4 samples per class, d = 128), each
method computes loss + backward on CPU, one thread:

- losslab ``triplet_semihard_loss`` vs pytorch-metric-learning ``TripletMarginLoss`` with
  ``TripletMarginMiner(type_of_triplets="semihard")``;
- losslab ``triplet_hard_loss`` vs ``TripletMarginLoss`` with ``BatchHardMiner``.

Time: the fastest of several runs after a warm-up, in the same process (the minimum is the
figure least disturbed by other processes on a shared machine).
Peak memory: every (method, batch size) runs in a fresh subprocess; we report the growth of
the peak resident set size (``resource.getrusage(...).ru_maxrss``) from just before the
first loss call to the end (RSS covers torch's C++ allocations, which tracemalloc cannot see).
JAX jit timings of the losslab losses are printed for reference (jax backend, own subprocess).

Writes bench/results/metric_learning.json. Run: ``.venv/bin/python bench/bench_metric_learning.py``.
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

BATCHES = (128, 512, 2048)
DIM = 128
K_PER_CLASS = 4
MARGIN = 1.0
RESULTS = Path(__file__).resolve().parent / "results"
# One intra-op thread for both libraries: on a small shared machine, multi-threaded BLAS
# calls spin against other processes and make timings erratic. Same for JAX (XLA flags).
THREADS = 1


def _data(b: int):
    import numpy as np

    rng = np.random.default_rng(0)
    labels = np.repeat(np.arange(b // K_PER_CLASS), K_PER_CLASS)
    rng.shuffle(labels)
    emb = rng.normal(size=(b, DIM)).astype("float32")
    emb /= np.linalg.norm(emb, axis=1, keepdims=True)
    return labels, emb


def _worker(method: str, b: int, repeats: int) -> dict:
    """Runs in a fresh process: time and peak-RSS growth of one method at one batch size."""
    import resource

    backend = "jax" if method.startswith("jax") else "torch"
    os.environ["KERAS_BACKEND"] = backend
    labels, emb = _data(b)

    if backend == "jax":
        os.environ.setdefault("XLA_FLAGS", "--xla_cpu_multi_thread_eigen=false intra_op_parallelism_threads=1")
        import jax
        import jax.numpy as jnp

        from losslab.losses.metric_learning import triplet_hard_loss, triplet_semihard_loss

        fn = triplet_semihard_loss if method == "jax_losslab_semihard" else triplet_hard_loss
        grad = jax.jit(jax.value_and_grad(lambda e: fn(labels, e, margin=MARGIN)))
        x = jnp.asarray(emb)
        rss0 = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss

        def step() -> float:
            v, g = grad(x)
            g.block_until_ready()
            return float(v)
    else:
        import torch

        torch.set_num_threads(THREADS)
        y = torch.as_tensor(labels)
        if method.startswith("losslab"):
            from losslab.losses.metric_learning import triplet_hard_loss, triplet_semihard_loss

            fn = triplet_semihard_loss if method == "losslab_semihard" else triplet_hard_loss

            def compute(e):
                return fn(y, e, margin=MARGIN)
        else:
            from pytorch_metric_learning import losses, miners

            loss_func = losses.TripletMarginLoss(margin=MARGIN)
            miner = (
                miners.TripletMarginMiner(margin=MARGIN, type_of_triplets="semihard")
                if method == "pml_semihard"
                else miners.BatchHardMiner()
            )

            def compute(e):
                return loss_func(e, y, miner(e, y))

        rss0 = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss

        def step() -> float:
            e = torch.tensor(emb, requires_grad=True)
            v = compute(e)
            v.backward()
            return float(v.detach())

    value = step()  # warm-up (and jit compile)
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        step()
        times.append(time.perf_counter() - t0)
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return {
        "method": method,
        "batch": b,
        "seconds": min(times),
        "median_seconds": statistics.median(times),
        "peak_rss_growth_mb": max(peak - rss0, 0) / 1024.0,
        "loss": value,
    }


def _run(method: str, b: int) -> dict:
    repeats = {128: 20, 512: 8}.get(b, 4)
    out = subprocess.run(
        [sys.executable, __file__, "--worker", method, str(b), str(repeats)],
        capture_output=True,
        text=True,
        env={**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"},
        check=False,
    )
    lines = [ln for ln in out.stdout.splitlines() if ln.startswith("{")]
    if out.returncode != 0 or not lines:
        return {"method": method, "batch": b, "error": (out.stderr.strip().splitlines() or ["?"])[-1]}
    return json.loads(lines[-1])


def main() -> None:
    rows = []
    for b in BATCHES:
        for method in (
            "losslab_semihard",
            "pml_semihard",
            "losslab_hard",
            "pml_hard",
            "jax_losslab_semihard",
            "jax_losslab_hard",
        ):
            r = _run(method, b)
            rows.append(r)
            print(json.dumps(r), flush=True)

    def get(method: str, b: int) -> dict:
        return next(r for r in rows if r["method"] == method and r["batch"] == b)

    print(f"\n{'batch':>6} {'mining':>9} {'time losslab/PML':>17} {'peak RSS losslab/PML':>21} {'jax jit s':>10}")
    summary = []
    for b in BATCHES:
        for kind in ("semihard", "hard"):
            ours, theirs, jx = get(f"losslab_{kind}", b), get(f"pml_{kind}", b), get(f"jax_losslab_{kind}", b)
            if "error" in ours or "error" in theirs:
                print(f"{b:>6} {kind:>9}  error: {ours.get('error') or theirs.get('error')}")
                continue
            t_ratio = ours["seconds"] / theirs["seconds"]
            m_ratio = (ours["peak_rss_growth_mb"] + 1.0) / (theirs["peak_rss_growth_mb"] + 1.0)
            summary.append({"batch": b, "mining": kind, "time_ratio": t_ratio, "peak_rss_ratio": m_ratio,
                            "losslab_s": ours["seconds"], "pml_s": theirs["seconds"],
                            "losslab_mb": ours["peak_rss_growth_mb"], "pml_mb": theirs["peak_rss_growth_mb"],
                            "jax_jit_s": jx.get("seconds")})
            print(f"{b:>6} {kind:>9} {t_ratio:>17.2f} {m_ratio:>21.2f} {jx.get('seconds', float('nan')):>10.4f}"
                  f"   (losslab {ours['seconds']:.4f}s {ours['peak_rss_growth_mb']:.0f}MB;"
                  f" PML {theirs['seconds']:.4f}s {theirs['peak_rss_growth_mb']:.0f}MB)")
    print("ratios < 1: losslab is faster / lighter. Memory ratio = (MB + 1) / (MB + 1).")
    RESULTS.mkdir(parents=True, exist_ok=True)
    path = RESULTS / "metric_learning.json"
    path.write_text(json.dumps({"rows": rows, "summary": summary, "dim": DIM,
                                "samples_per_class": K_PER_CLASS, "threads": THREADS}, indent=2))
    print(f"wrote {path}")


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "--worker":
        print(json.dumps(_worker(sys.argv[2], int(sys.argv[3]), int(sys.argv[4]))))
    else:
        main()
