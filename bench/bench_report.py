"""Benchmark: the cost of watching and of reporting, against baselines measured in the same run.

1. Callback overhead: ``model.fit`` of a small MLP (8,192 rows, batch 64, 10 epochs) with
   losslab's three callbacks (``LossLogger(per_batch=True)``, ``OverfittingMonitor``,
   ``DivergenceGuard``) against the same fit with no callback; and against Keras's own
   ``CSVLogger`` + ``TerminateOnNaN`` (the closest built-in pair). Ratios near 1 are good.
2. Report rendering: ``write_report`` of a synthetic regression run directory (4 candidates x
   3 seeds, 20,000 test rows, written with the experiment store API) against the
   unavoidable part of it: one Plotly figure written with its inlined plotly.js
   (``fig.write_html(include_plotlyjs=True)``). Also the size of report.html.

Writes JSON to bench/results/bench_report.json. Usage::

    KERAS_BACKEND=jax .venv/bin/python bench/bench_report.py [--repeat 3]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import tempfile
import time
from pathlib import Path

os.environ.setdefault("KERAS_BACKEND", "jax")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")


def _fit_seconds(callbacks_factory, x, y, repeat: int) -> float:  # type: ignore[no-untyped-def]
    import keras

    times = []
    for r in range(repeat + 1):  # the first fit compiles; it is not counted
        keras.utils.set_random_seed(r)
        model = keras.Sequential(
            [keras.Input((x.shape[1],)), keras.layers.Dense(64, activation="relu"), keras.layers.Dense(1)]
        )
        model.compile(optimizer=keras.optimizers.Adam(1e-3), loss="mse")
        cbs = callbacks_factory()
        t0 = time.perf_counter()
        model.fit(x, y, validation_split=0.2, epochs=10, batch_size=64, verbose=0, callbacks=cbs)
        if r > 0:
            times.append(time.perf_counter() - t0)
    return statistics.median(times)


def bench_callbacks(repeat: int, tmp: Path) -> dict[str, float]:
    import keras
    import numpy as np

    from losslab.callbacks import DivergenceGuard, LossLogger, OverfittingMonitor

    rng = np.random.default_rng(0)
    x = rng.normal(size=(8192, 16)).astype("float32")
    y = (x @ rng.normal(size=16) + 0.1 * rng.normal(size=8192)).astype("float32")
    none = _fit_seconds(lambda: [], x, y, repeat)
    ours = _fit_seconds(
        lambda: [
            LossLogger(tmp / "loss.jsonl", per_batch=True),
            OverfittingMonitor(patience=3),
            DivergenceGuard(),
        ],
        x,
        y,
        repeat,
    )
    keras_pair = _fit_seconds(
        lambda: [keras.callbacks.CSVLogger(str(tmp / "log.csv")), keras.callbacks.TerminateOnNaN()],
        x,
        y,
        repeat,
    )
    return {
        "fit_no_callbacks_s": none,
        "fit_losslab_callbacks_s": ours,
        "fit_keras_csvlogger_terminateonnan_s": keras_pair,
        "ratio_losslab_vs_none": ours / none,
        "ratio_losslab_vs_keras_pair": ours / keras_pair,
    }


def _synthetic_run(path: Path, n_test: int = 20_000) -> Path:
    import numpy as np

    from losslab.experiment import judge
    from losslab.experiment import statistics as stats
    from losslab.experiment.api import write_leaderboard
    from losslab.experiment.store import RunStore, atomic_write_npz, config_hash

    rng = np.random.default_rng(0)
    cands = [
        {"id": n, "label": n, "loss": n, "params": {}, "class_weight": None}
        for n in ("mean_squared_error", "mean_absolute_error", "huber", "log_cosh")
    ]
    config = {"candidates": cands, "seeds": [0, 1, 2], "task": "regression", "primary_metric": "rmse"}
    manifest = {
        "format": "losslab-run", "format_version": 1, "kind": "compare", "created": "2026-11-29T05:00:00Z",
        "config_hash": config_hash(config), "config": config,
        "data": {"fingerprint": "sha256:bench", "source": "synthetic", "target": "y", "n_rows": 5 * n_test,
                 "n_features": 8, "columns": [f"x{i}" for i in range(8)] + ["y"]},
        "task": {"kind": "regression", "classes": None, "reasons": ["synthetic"]},
        "goal": {"kind": "mean", "quantile": None}, "primary_metric": "rmse",
        "metric_directions": dict(judge.DIRECTIONS), "recommendation": None,
    }  # fmt: skip
    store = RunStore(path)
    store.open(manifest)
    y_test = rng.normal(size=n_test).astype("float32")
    atomic_write_npz(store.data_dir / "split.npz", {"y_train": rng.normal(size=3 * n_test), "y_test": y_test})
    for j, c in enumerate(cands):
        for seed in (0, 1, 2):
            pred = (y_test + (0.5 + 0.05 * j) * rng.normal(size=n_test)).astype("float32")
            rmse = float(np.sqrt(np.mean((pred - y_test) ** 2)))
            ep = np.arange(1, 41)
            store.append(
                {"trial_id": f"{c['id']}--seed{seed}", "candidate_id": c["id"], "label": c["label"],
                 "loss": c["loss"], "params": {}, "seed": seed, "status": "ok", "metrics": {"rmse": rmse},
                 "primary": rmse, "primary_metric": "rmse", "epochs_run": 40, "best_epoch": 37,
                 "stopped_early": True, "history": {"loss": (1 / ep).tolist(), "val_loss": (1.1 / ep).tolist()}},
                {"raw": pred[:, None], "prediction": pred[:, None]},
            )  # fmt: skip
    write_leaderboard(store, manifest, stats.leaderboard_rows(store.records(), cands, "rmse"))
    return path


def bench_report(repeat: int, tmp: Path) -> dict[str, float]:
    import plotly.graph_objects as go

    from losslab.report import write_report

    run_dir = _synthetic_run(tmp / "run")
    write_report(run_dir)  # warm imports
    ours = []
    base = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        paths = write_report(run_dir)
        ours.append(time.perf_counter() - t0)
        t0 = time.perf_counter()
        go.Figure(go.Scatter(x=[1, 2], y=[3, 4])).write_html(str(tmp / "one.html"), include_plotlyjs=True)
        base.append(time.perf_counter() - t0)
    return {
        "write_report_s": statistics.median(ours),
        "one_plotly_figure_inlined_s": statistics.median(base),
        "ratio_report_vs_one_figure": statistics.median(ours) / statistics.median(base),
        "report_html_mb": paths["html"].stat().st_size / 1e6,
        "one_figure_html_mb": (tmp / "one.html").stat().st_size / 1e6,
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as d:
        tmp = Path(d)
        cb = bench_callbacks(args.repeat, tmp)
        rep = bench_report(args.repeat, tmp)
    import keras

    result = {
        "callbacks": cb,
        "report": rep,
        "repeat": args.repeat,
        "backend": keras.backend.backend(),
        "python": platform.python_version(),
        "cpu_count": os.cpu_count(),
    }
    print(
        f"callbacks: fit with losslab's 3 callbacks / no callback = {cb['ratio_losslab_vs_none']:.3f}  "
        f"(/ Keras CSVLogger+TerminateOnNaN = {cb['ratio_losslab_vs_keras_pair']:.3f}; "
        f"{cb['fit_losslab_callbacks_s']:.2f} s vs {cb['fit_no_callbacks_s']:.2f} s)"
    )
    print(
        f"report: write_report (12 trials, 20k test rows) / one inlined Plotly figure = "
        f"{rep['ratio_report_vs_one_figure']:.2f}  ({rep['write_report_s']:.2f} s vs "
        f"{rep['one_plotly_figure_inlined_s']:.2f} s; report.html {rep['report_html_mb']:.2f} MB vs "
        f"{rep['one_figure_html_mb']:.2f} MB)"
    )
    out = Path(__file__).resolve().parent / "results" / "bench_report.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(result, indent=2) + "\n")
    print(f"wrote {out}")


if __name__ == "__main__":
    main()
