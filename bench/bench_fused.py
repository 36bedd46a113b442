"""The fused engine against the sequential engine (one ``fit`` per trial), whole runs.

Each measurement is one child process running one whole ``losslab.run`` / ``losslab.compare``
call (set-up, split, initial weights, training, judging, storing, statistics; no report
rendering) on one engine; the child reports its wall time and its peak RSS. The two engines
alternate case by case in the same run, so the ratio sequential / fused is measured under the
same machine load.

Cases:
  (a) demo: scikit-learn's diabetes table, ``losslab.run`` (the advisor's shortlist, as
      ``make demo`` runs it), 3 seeds.
  (b) table: 50,000 x 20 generated regression table, 5 losses x 5 seeds.
  (c) conv1d: a user body (Conv1D on sequences of 32 steps x 2 channels) via build_model,
      3 losses x 3 seeds.
  (d) seeds: the demo's shortlist with 10 seeds fused against (a)'s 3 seeds sequential: time
      and the mean width of the 95% intervals.

Epoch caps: (a), (d) 100 (the default), (b) 10 and (c) 30 so the sequential side of the
50k-row table stays within minutes on a shared machine (early stopping still applies).

Goal: sequential / fused >= 5 on (a) and (b).

Run: KERAS_BACKEND=jax .venv/bin/python bench/bench_fused.py [--cases a,d,c,b] [--max-epochs a=100,b=10,c=30]
(JSON in bench/results/bench_fused.json)
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("KERAS_BACKEND", "jax")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

TABLE_LOSSES = ["mse", "mae", "huber", "log_cosh", "pinball:tau=[0.1,0.5,0.9]"]
CONV_LOSSES = ["mse", "mae", "huber"]


def _diabetes(tmp: Path) -> Path:
    from sklearn.datasets import load_diabetes

    path = tmp / "diabetes.csv"
    if not path.exists():
        load_diabetes(as_frame=True).frame.to_csv(path, index=False)
    return path


def _table(n: int = 50_000, d: int = 20):
    import numpy as np

    rng = np.random.default_rng(0)
    x = rng.normal(size=(n, d)).astype("float32")
    y = x[:, :5] @ rng.normal(size=5) + np.sin(2 * x[:, 5]) + rng.standard_t(3, size=n) * 0.5
    return x, y


def _sequences(n: int = 3000):
    import numpy as np

    rng = np.random.default_rng(1)
    x = rng.normal(size=(n, 32, 2)).astype("float32")
    y = x[:, :8, 0].sum(axis=1) - x[:, -4:, 1].mean(axis=1) + rng.normal(size=n) * 0.3
    return x, y


def build_conv_body(input_shape):
    import keras

    inputs = keras.Input(input_shape)
    h = keras.layers.Conv1D(16, 3, activation="relu")(inputs)
    h = keras.layers.GlobalAveragePooling1D()(h)
    return keras.Model(inputs, h)


def _one(case: str, engine: str, seeds: int, max_epochs: int, tmp: Path) -> dict:
    """One whole run in this process: wall time, peak RSS, leaderboard."""
    import losslab
    from losslab.experiment.fused import FusedEngine

    eng = FusedEngine() if engine == "fused" else engine
    common = {"seeds": seeds, "max_epochs": max_epochs, "quiet": True, "report": False,
              "engine": eng, "out": tmp / f"{case}-{engine}-{seeds}"}
    t0 = time.perf_counter()
    if case in ("a", "d"):
        res = losslab.run(str(_diabetes(tmp)), target="target", **common)
    elif case == "b":
        x, y = _table()
        res = losslab.compare(None, x, y, losses=TABLE_LOSSES, task="regression", **common)
    else:
        x, y = _sequences()
        res = losslab.compare(build_conv_body, x, y, losses=CONV_LOSSES, task="regression", **common)
    wall = time.perf_counter() - t0
    widths = [r["ci_high"] - r["ci_low"] for r in res.rows if r.get("ci_high") is not None and r.get("ci_low") is not None]
    return {
        "case": case, "engine": engine, "seeds": seeds, "wall_s": round(wall, 2),
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
        "trials": len(res.records), "best": res.best,
        "epochs": sum(int(r["epochs_run"]) for r in res.records),
        "mean_ci_width": round(sum(widths) / len(widths), 5) if widths else None,
        "leaderboard": [(r["label"], r["mean"]) for r in res.rows],
        "fallbacks": sorted(set(eng.fallbacks.values())) if engine == "fused" else [],
    }


def _child(case: str, engine: str, seeds: int, max_epochs: int, tmp: Path) -> dict:
    cmd = [sys.executable, __file__, "--child", f"{case},{engine},{seeds},{max_epochs}", "--tmp", str(tmp)]
    out = subprocess.run(cmd, capture_output=True, text=True, check=True, env=os.environ.copy())
    return json.loads(out.stdout.strip().splitlines()[-1])


def _line(c: str, seq: dict, fus: dict) -> str:
    return (f"({c}) {seq['trials']} trials: sequential {seq['wall_s']:.1f} s ({seq['epochs']} epochs, peak RSS "
            f"{seq['peak_rss_mb']:.0f} MB, best {seq['best']}) | fused {fus['wall_s']:.1f} s ({fus['epochs']} epochs, "
            f"peak RSS {fus['peak_rss_mb']:.0f} MB, best {fus['best']}, fallbacks {fus['fallbacks'] or 'none'}) | "
            f"ratio sequential/fused {seq['wall_s'] / fus['wall_s']:.2f}")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--cases", default="a,d,c,b")
    ap.add_argument("--max-epochs", default="a=100,b=10,c=30", help="epoch cap per case (d uses a's)")
    ap.add_argument("--child", default=None)
    ap.add_argument("--tmp", default=None)
    args = ap.parse_args()
    if args.child:
        case, engine, seeds, me = args.child.split(",")
        print(json.dumps(_one(case, engine, int(seeds), int(me), Path(args.tmp))))
        return
    caps = {k: int(v) for k, v in (kv.split("=") for kv in args.max_epochs.split(","))}
    tmp = Path(tempfile.mkdtemp(prefix="bench-fused-"))
    out = Path(__file__).parent / "results" / "bench_fused.json"
    out.parent.mkdir(exist_ok=True)
    results: dict[str, dict] = {}
    seeds = {"a": 3, "b": 5, "c": 3}
    for case in args.cases.split(","):
        if case == "d":  # 10 seeds fused against the 3 seeds sequential of (a)
            seq = results.get("a-sequential") or _child("a", "sequential", 3, caps["a"], tmp)
            fus = _child("d", "fused", 10, caps["a"], tmp)
            results["d-fused-10"] = fus
            print(f"(d) 3 seeds sequential {seq['wall_s']:.1f} s (mean 95% CI width {seq['mean_ci_width']}) | "
                  f"10 seeds fused {fus['wall_s']:.1f} s (mean 95% CI width {fus['mean_ci_width']}) | "
                  f"time ratio {seq['wall_s'] / fus['wall_s']:.2f}", flush=True)
        else:
            seq = _child(case, "sequential", seeds[case], caps[case], tmp)
            fus = _child(case, "fused", seeds[case], caps[case], tmp)
            results[f"{case}-sequential"], results[f"{case}-fused"] = seq, fus
            print(_line(case, seq, fus), flush=True)
        out.write_text(json.dumps({"max_epochs": caps, "results": results}, indent=1))
    print(f"written {out}")


if __name__ == "__main__":
    main()
