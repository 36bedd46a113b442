"""Benchmark: scoring with a run's exported raw-column model.

1. ``losslab predict``'s core (:func:`losslab.experiment.predict.predict_frame`: schema
   checks, median imputation, the raw-column Keras model, column naming) on ``--rows`` rows
   of a pandas DataFrame, against the same trained network's ``model.predict`` on the
   already preprocessed NumPy array (preprocessing not timed). Goal: ratio <= 1.3.
2. Spark scoring (:func:`losslab.spark.export_scoring.score_exported`, predict_batch_udf) of
   ``--spark-rows`` rows generated inside Spark (spark.range + rand) on local[2], written to
   the ``noop`` sink: rows/s.

A small regression run (10 numeric columns, 2 losses, 1 seed) is trained and refit first,
unless ``--run`` names a run directory with ``model/``. Each timing is the best of
``--repeats`` runs after a warm-up. Writes bench/results/predict.json.

Usage: python bench/bench_predict.py [--rows 1000000] [--spark-rows 10000000] [--no-spark]
"""

from __future__ import annotations

import argparse
import json
import os
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

os.environ.setdefault("KERAS_BACKEND", "jax")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

N_COLS = 10


def best_of(fn: Callable[[], Any], repeats: int) -> float:
    fn()
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return min(times)


def make_run(base: Path) -> Path:
    import numpy as np
    import pandas as pd

    import losslab
    from losslab.experiment.refit import refit

    rng = np.random.default_rng(0)
    df = pd.DataFrame(rng.normal(size=(2000, N_COLS)), columns=[f"x{i}" for i in range(N_COLS)])
    df["y"] = df.x0 * 2 - df.x1 + rng.normal(size=2000) * 0.1
    out = base / "run"
    losslab.compare(
        None,
        df,
        target="y",
        losses=["mse", "huber"],
        seeds=1,
        max_epochs=5,
        quiet=True,
        report=False,
        out=out,
    )
    refit(out)
    return out


def local_bench(run_dir: Path, rows: int, repeats: int) -> dict[str, Any]:
    import keras
    import numpy as np
    import pandas as pd

    from losslab.experiment.predict import load_bundle, predict_frame

    bundle = load_bundle(run_dir)
    rng = np.random.default_rng(1)
    df = pd.DataFrame(
        rng.normal(size=(rows, N_COLS)).astype("float64"), columns=[f"x{i}" for i in range(N_COLS)]
    )
    network = bundle.model.get_layer("network")
    net = keras.Model(network.inputs, network.outputs)
    cols = bundle.card["columns"]["numeric"]
    prepared = ((df.to_numpy() - [c["mean"] for c in cols]) / [c["scale"] for c in cols]).astype(
        "float32"
    )
    batch = 65536
    t_losslab = best_of(lambda: predict_frame(bundle, df, keep_inputs=False), repeats)
    t_keras = best_of(lambda: net.predict(prepared, batch_size=batch, verbose=0), repeats)
    return {
        "rows": rows,
        "losslab_predict_s": t_losslab,
        "keras_model_predict_s": t_keras,
        "losslab_rows_per_s": rows / t_losslab,
        "keras_rows_per_s": rows / t_keras,
        "ratio": t_losslab / t_keras,
    }


def spark_bench(run_dir: Path, rows: int, repeats: int) -> dict[str, Any]:
    from pyspark.sql import functions as F

    from losslab.experiment.predict import load_bundle
    from losslab.spark.export_scoring import score_exported
    from losslab.spark.session import get_session

    spark = get_session("local[2]", app_name="losslab-bench-predict")
    df = spark.range(rows).select(*[F.randn(seed=i).alias(f"x{i}") for i in range(N_COLS)]).cache()
    df.count()
    scored = score_exported(df, load_bundle(run_dir))
    t = best_of(lambda: scored.write.format("noop").mode("overwrite").save(), repeats)
    return {"rows": rows, "seconds": t, "rows_per_s": rows / t, "master": "local[2]"}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rows", type=int, default=1_000_000)
    ap.add_argument("--spark-rows", type=int, default=10_000_000)
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--no-spark", action="store_true")
    ap.add_argument(
        "--run", type=Path, default=None, help="a run directory with model/ (default: train one)"
    )
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        run_dir = args.run or make_run(Path(tmp))
        result: dict[str, Any] = {"local": local_bench(run_dir, args.rows, args.repeats)}
        loc = result["local"]
        print(
            f"local {loc['rows']:,} rows: losslab predict {loc['losslab_predict_s']:.2f} s "
            f"({loc['losslab_rows_per_s']:,.0f} rows/s), model.predict on the prepared array "
            f"{loc['keras_model_predict_s']:.2f} s -> ratio {loc['ratio']:.2f} (goal <= 1.3)"
        )
        if not args.no_spark:
            result["spark"] = spark_bench(run_dir, args.spark_rows, args.repeats)
            sp = result["spark"]
            print(
                f"spark local[2] {sp['rows']:,} rows: {sp['seconds']:.1f} s ({sp['rows_per_s']:,.0f} rows/s)"
            )
    out = Path(__file__).parent / "results" / "predict.json"
    out.parent.mkdir(exist_ok=True)
    out.write_text(json.dumps(result, indent=2) + "\n")


if __name__ == "__main__":
    main()
