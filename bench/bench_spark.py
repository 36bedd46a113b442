"""Benchmark: losslab.spark.evaluate vs Spark MLlib's evaluators vs hand-written SQL.

Over 10M rows (and 1M for a scaling row) generated inside Spark (spark.range + rand) and
cached, on the default local[2] session:

- losslab: MSE + MAE + Huber + log loss in ONE aggregation pass (and each loss alone);
- MLlib: RegressionEvaluator (mse, mae) and MulticlassClassificationEvaluator(logLoss),
  one job each, computing the same values;
- hand-written native expressions, one per loss, e.g. ``avg(pow(y - p, 2))``.

Each timing is the best of ``--repeats`` runs after a warm-up. losslab's query for one loss
and the hand-written one are timed in alternation (A B B A ...), so both see the same
machine load: on a shared machine, timing all of one and then all of the other turned load
swings into per-loss "gaps" of up to 1.4x between identical physical plans. Prints rows/s
and ratios and writes bench/results/spark.json. No assertion: the numbers are for the issue
note.

Usage: python bench/bench_spark.py [--rows 10000000 1000000] [--repeats 3]
"""

from __future__ import annotations

import argparse
import json
import math
import os
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

os.environ.setdefault("KERAS_BACKEND", "jax")

EPS = 1e-7
LOSSES = ["mse", "mae", "huber", "bce"]


def best_of(fn: Callable[[], Any], repeats: int) -> tuple[float, Any]:
    fn()  # warm-up: code generation, JIT
    times, out = [], None
    for _ in range(repeats):
        t0 = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - t0)
    return min(times), out


def best_of_pair(
    fa: Callable[[], Any], fb: Callable[[], Any], repeats: int
) -> tuple[tuple[float, Any], tuple[float, Any]]:
    """Best times of two queries run in alternation (A B, then B A, ...) after a warm-up."""
    fa(), fb()
    best = [math.inf, math.inf]
    outs: list[Any] = [None, None]
    for r in range(repeats):
        for i in ((0, 1) if r % 2 == 0 else (1, 0)):
            t0 = time.perf_counter()
            outs[i] = (fa, fb)[i]()
            best[i] = min(best[i], time.perf_counter() - t0)
    return (best[0], outs[0]), (best[1], outs[1])


def make_table(spark: Any, n: int) -> Any:
    """Binary labels ``b`` and probabilities ``q`` in (0.02, 0.98) leaning towards them, plus
    MLlib's inputs: ``prob`` = [1 - q, q] as an ML vector and the hard prediction."""
    from pyspark.ml.functions import array_to_vector
    from pyspark.sql import functions as F

    u, v = F.rand(3), F.rand(4)
    df = spark.range(n).select(u.alias("u"), v.alias("v"))
    df = df.select(
        (F.col("u") < 0.5).cast("double").alias("b"),
        (
            0.02 + 0.96 * F.when(F.col("u") < 0.5, 1 - 0.6 * F.col("v")).otherwise(0.6 * F.col("v"))
        ).alias("q"),
    )
    df = df.withColumn("prob", array_to_vector(F.array(1.0 - F.col("q"), F.col("q")))).withColumn(
        "hard", (F.col("q") > 0.5).cast("double")
    )
    df = df.cache()
    df.count()
    return df


def hand_written(df: Any, loss: str) -> float:
    """The hand-written native expression of one loss (Keras's formula), one job."""
    from pyspark.sql import functions as F

    y, p = F.col("b"), F.col("q")
    if loss == "mse":
        e = F.avg(F.pow(y - p, 2))
    elif loss == "mae":
        e = F.avg(F.abs(y - p))
    elif loss == "huber":
        a = F.abs(p - y)
        e = F.avg(F.when(a <= 1.0, 0.5 * F.pow(a, 2)).otherwise(a - 0.5))
    else:
        q = F.least(F.greatest(p, F.lit(EPS)), F.lit(1 - EPS))
        e = F.avg(-(y * F.log(q) + (1 - y) * F.log(1 - q)))
    return float(df.agg(e).collect()[0][0])


def run(n: int, repeats: int, spark: Any) -> dict[str, Any]:
    """All four losses are evaluated on the same columns (binary label b, probability q):
    MSE and MAE of a probability are the Brier score and the mean absolute error that
    MLlib's RegressionEvaluator computes on the same columns."""
    from pyspark.ml.evaluation import MulticlassClassificationEvaluator, RegressionEvaluator

    from losslab.spark import evaluate

    t0 = time.perf_counter()
    df = make_table(spark, n)
    gen = time.perf_counter() - t0
    res: dict[str, Any] = {"rows": n, "generate_and_cache_s": gen, "timings_s": {}, "values": {}}
    tm = res["timings_s"]

    def ll(losses: list[str]) -> dict[str, float]:
        return evaluate(df, label="b", prediction="q", losses=losses).values

    tm["losslab_all4_one_pass"], res["values"]["losslab"] = best_of(lambda: ll(LOSSES), repeats)
    tm["losslab_mse_mae_bce_one_pass"], _ = best_of(lambda: ll(["mse", "mae", "bce"]), repeats)
    for loss in LOSSES:
        (tm[f"losslab_{loss}"], _), (tm[f"hand_{loss}"], res["values"][f"hand_{loss}"]) = best_of_pair(
            lambda loss=loss: ll([loss]), lambda loss=loss: hand_written(df, loss), repeats
        )
    reg_mse = RegressionEvaluator(labelCol="b", predictionCol="q", metricName="mse")
    reg_mae = RegressionEvaluator(labelCol="b", predictionCol="q", metricName="mae")
    mc = MulticlassClassificationEvaluator(
        labelCol="b", predictionCol="hard", probabilityCol="prob", metricName="logLoss"
    )
    tm["mllib_mse"], res["values"]["mllib_mse"] = best_of(lambda: reg_mse.evaluate(df), repeats)
    tm["mllib_mae"], res["values"]["mllib_mae"] = best_of(lambda: reg_mae.evaluate(df), repeats)
    tm["mllib_logloss"], res["values"]["mllib_logloss"] = best_of(lambda: mc.evaluate(df), repeats)
    df.unpersist()
    mllib_total = tm["mllib_mse"] + tm["mllib_mae"] + tm["mllib_logloss"]
    res["ratios"] = {
        "mllib_3_evaluators_over_losslab_same_3": mllib_total / tm["losslab_mse_mae_bce_one_pass"],
        "mllib_3_evaluators_over_losslab_all4": mllib_total / tm["losslab_all4_one_pass"],
        "mllib_mse_over_losslab_mse": tm["mllib_mse"] / tm["losslab_mse"],
        "mllib_logloss_over_losslab_bce": tm["mllib_logloss"] / tm["losslab_bce"],
        **{
            f"losslab_over_hand_{loss}": tm[f"losslab_{loss}"] / tm[f"hand_{loss}"]
            for loss in LOSSES
        },
        "losslab_all4_over_sum_of_4_hand": tm["losslab_all4_one_pass"]
        / sum(tm[f"hand_{loss}"] for loss in LOSSES),
    }
    res["rows_per_s"] = {k: n / v for k, v in tm.items()}
    v = res["values"]
    res["max_rel_diff_vs_mllib"] = max(
        abs(v["losslab"]["mse"] - v["mllib_mse"]) / abs(v["mllib_mse"]),
        abs(v["losslab"]["mae"] - v["mllib_mae"]) / abs(v["mllib_mae"]),
        abs(v["losslab"]["bce"] - v["mllib_logloss"]) / abs(v["mllib_logloss"]),
    )
    return res


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rows", type=int, nargs="+", default=[10_000_000, 1_000_000])
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--master", default=None)
    args = ap.parse_args()
    from losslab.spark.session import get_session

    spark = get_session(args.master, app_name="losslab-bench", conf={"spark.driver.memory": "4g"})
    load_before = os.getloadavg()
    results = [run(n, args.repeats, spark) for n in args.rows]
    for r in results:
        r["conditions"] = {"master": spark.sparkContext.master, "repeats": args.repeats, "cpus": os.cpu_count(),
                           "load_average_before": load_before, "load_average_after": os.getloadavg()}  # fmt: skip
    for r in results:
        n, tm, ra = r["rows"], r["timings_s"], r["ratios"]
        print(f"\n== {n:,} rows (generated and cached in {r['generate_and_cache_s']:.1f} s) ==")
        print(f"{'what':34s} {'seconds':>9s} {'rows/s':>14s}")
        for k, t in tm.items():
            print(f"{k:34s} {t:9.3f} {n / t:14,.0f}")
        print("ratios:")
        for k, x in ra.items():
            print(f"  {k:40s} {x:6.2f}x")
        print(f"  max relative difference vs MLlib values: {r['max_rel_diff_vs_mllib']:.2e}")
    out = Path(__file__).resolve().parent / "results"
    out.mkdir(parents=True, exist_ok=True)
    clean = json.loads(json.dumps(results, default=float), parse_constant=lambda c: math.nan)
    (out / "spark.json").write_text(json.dumps(clean, indent=2))
    print(f"\nwrote {out / 'spark.json'}")
    spark.stop()


if __name__ == "__main__":
    main()
