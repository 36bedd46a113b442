"""``tune`` in this process (one Keras fit per trial) against ``tune`` on the fused engine.

Each measurement is one child process running one whole ``losslab.tune`` call (set-up,
Optuna's study, training, judging, storing; no report) on one engine; the child reports its
wall time, the number of XLA programs compiled (JAX's ``backend_compile`` events, every
compile in the process: Keras's own train/predict functions on the in-process side, the
fused programs on the other) and the seconds spent compiling, and the study's outcome (the
best loss and its best validation value). The two engines run one after the other in the
same run, so the ratio in-process / fused is measured under the same machine load.

Case: scikit-learn's diabetes table (or, with ``--rows N``, a generated N x 20 regression
table, to see whether fast compilation costs run time on larger data), losses mse and huber,
``--trials`` trials each (8), ``--max-epochs`` epochs (40), pruning on, seed 0. Sides:
``in-process`` is ``engine="sequential"`` (one Keras fit per trial, the path before the fused
default); ``fused`` is ``FusedEngine()`` and ``fused-fast`` ``FusedEngine(fast_compile=True)``
(XLA's backend optimisation level 0), both asking Optuna's trials in batches of ``--width``
(8); ``default`` is ``tune`` with no engine (``FusedEngine.for_tune()`` under JAX).

Run: KERAS_BACKEND=jax .venv/bin/python bench/bench_tune_fused.py [--trials 8] [--max-epochs 40] [--rows N]
(JSON in bench/results/bench_tune_fused.json)
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("KERAS_BACKEND", "jax")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

LOSSES = ["mse", "huber"]


def _diabetes(tmp: Path) -> Path:
    from sklearn.datasets import load_diabetes

    path = tmp / "diabetes.csv"
    if not path.exists():
        load_diabetes(as_frame=True).frame.to_csv(path, index=False)
    return path


def _table(tmp: Path, rows: int) -> Path:
    """Diabetes (rows 0) or a generated ``rows`` x 20 regression table with a column ``target``."""
    if rows <= 0:
        return _diabetes(tmp)
    path = tmp / f"gen-{rows}.csv"
    if not path.exists():
        import numpy as np
        import pandas as pd

        rng = np.random.default_rng(0)
        x = rng.normal(size=(rows, 20))
        y = x[:, :5] @ np.array([1.0, -2.0, 0.5, 1.5, -1.0]) + np.sin(x[:, 5]) + rng.standard_t(3, size=rows)
        frame = pd.DataFrame(x, columns=[f"x{i}" for i in range(20)])
        frame["target"] = y
        frame.to_csv(path, index=False)
    return path


def _one(engine: str, trials: int, max_epochs: int, width: int, tmp: Path, rows: int = 0) -> dict:
    """One whole tune in this process: wall time, compiles, the study's best."""
    import collections

    import jax

    import losslab
    from losslab.experiment.fused import FusedEngine

    events: collections.Counter[str] = collections.Counter()
    seconds: collections.Counter[str] = collections.Counter()

    def listen(name: str, secs: float, **_: object) -> None:
        events[name] += 1
        seconds[name] += secs

    jax.monitoring.register_event_duration_secs_listener(listen)
    by_fun: collections.Counter[str] = collections.Counter()  # compiles per jitted function name
    fun_s: collections.Counter[str] = collections.Counter()  # and their seconds

    class _Names(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            m = re.match(r"Finished XLA compilation of (\S+) in ([0-9.e-]+) s", record.getMessage())
            if m:
                by_fun[m.group(1)] += 1
                fun_s[m.group(1)] += float(m.group(2))

    jax.config.update("jax_log_compiles", True)
    for name in ("jax._src.dispatch", "jax._src.interpreters.pxla", "jax"):
        logging.getLogger(name).addHandler(_Names())
        logging.getLogger(name).propagate = False
    eng = (FusedEngine(fast_compile=True) if engine == "fused-fast" else FusedEngine()) if engine.startswith("fused") else None
    kw: dict[str, object] = {"engine": eng, "trials_per_batch": width} if eng is not None else {}
    if engine == "in-process":
        kw = {"engine": "sequential"}
    t0 = time.perf_counter()
    res = losslab.tune(
        None, str(_table(tmp, rows)), target="target", losses=LOSSES, n_trials=trials, max_epochs=max_epochs,
        out=Path(tempfile.mkdtemp(prefix=f"tune-{engine}-", dir=tmp)), quiet=True, report=False, **kw,
    )
    wall = time.perf_counter() - t0
    compile_key = "/jax/core/compile/backend_compile_duration"
    per_loss = {lab: round(float(b["value"]), 5) for lab, b in (res.best or {}).items() if b.get("value") is not None}
    maximize = str(res.study.directions[0]).endswith("MAXIMIZE")
    best_loss = (max if maximize else min)(per_loss, key=per_loss.get) if per_loss else None
    return {
        "engine": engine, "wall_s": round(wall, 2), "compiles": events[compile_key],
        "by_function": {k: (n, round(fun_s[k], 1)) for k, n in by_fun.most_common(5)}, "compile_s": round(seconds[compile_key], 2), "trace_s": round(seconds["/jax/core/compile/jaxpr_trace_duration"], 2),
        "best_loss": best_loss, "best_per_loss": per_loss,
        "states": dict(collections.Counter(t.state.name for t in res.study.trials)),
        "fallbacks": sorted(set(eng.fallbacks.values())) if eng is not None else [],
    }


def _child(engine: str, trials: int, max_epochs: int, width: int, tmp: Path, rows: int) -> dict:
    cmd = [sys.executable, __file__, "--child", f"{engine},{trials},{max_epochs},{width},{rows}", "--tmp", str(tmp)]
    out = subprocess.run(cmd, capture_output=True, text=True, check=True, env=os.environ.copy())
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--trials", type=int, default=8)
    ap.add_argument("--max-epochs", type=int, default=40)
    ap.add_argument("--width", type=int, default=8)
    ap.add_argument("--rows", type=int, default=0, help="a generated table of this many rows instead of diabetes")
    ap.add_argument("--engines", default="in-process,fused,fused-fast,default", help="which sides to run (in-process and a fused one for a ratio)")
    ap.add_argument("--out", default="bench_tune_fused.json", help="file name under bench/results")
    ap.add_argument("--child", default=None)
    ap.add_argument("--tmp", default=None)
    args = ap.parse_args()
    if args.child:
        engine, trials, me, width, rows = args.child.split(",")
        print(json.dumps(_one(engine, int(trials), int(me), int(width), Path(args.tmp), int(rows))))
        return
    tmp = Path(tempfile.mkdtemp(prefix="bench-tune-"))
    runs = [_child(e, args.trials, args.max_epochs, args.width, tmp, args.rows) for e in args.engines.split(",")]
    for r in runs:
        print(f"{r['engine']:>10}: {r['wall_s']:.1f} s, {r['compiles']} XLA compiles ({r['compile_s']:.1f} s compiling, "
              f"{r['trace_s']:.1f} s tracing), by function {r['by_function']}, best {r['best_loss']} {r['best_per_loss']}, trials {r['states']}, fallbacks {r['fallbacks'] or 'none'}", flush=True)
    by = {r["engine"]: r for r in runs}
    for side in ("fused", "fused-fast", "default"):
        if "in-process" in by and side in by:
            print(f"ratio in-process/{side} {by['in-process']['wall_s'] / by[side]['wall_s']:.2f}")
    out = Path(__file__).parent / "results" / args.out
    out.parent.mkdir(exist_ok=True)
    out.write_text(json.dumps({"trials": args.trials, "max_epochs": args.max_epochs, "width": args.width, "rows": args.rows,
                               "results": runs}, indent=1))
    print(f"written {out}")


if __name__ == "__main__":
    main()
