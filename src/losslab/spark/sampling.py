"""Samples of big tables drawn by Spark for ``compare`` / ``run`` with ``--engine spark``.

The same sample design as :mod:`losslab.experiment.sampling` (exactly ``n`` rows, per-class
quotas in proportion to the class counts, the rows of smallest seeded key in each class),
computed by Spark: the key is ``xxhash64(every column, seed)``; with classes, a window per
class numbers its rows by key and keeps those within the class's quota (an exact-size
equivalent of ``DataFrame.sampleBy``, whose fractions give only an expected size); without,
``orderBy(key).limit(n)``. The result depends on the data and the seed only, not on the
partitioning. The rows come back to the driver as a pandas DataFrame sorted by key.
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import reduce
from typing import TYPE_CHECKING, Any

from losslab.experiment.sampling import quotas

if TYPE_CHECKING:  # pragma: no cover
    from pyspark.sql import DataFrame, SparkSession

__all__ = ["read_any", "spark_sample"]

KEY = "__losslab_key"
RANK = "__losslab_rank"


def read_any(spark: SparkSession, path: str) -> DataFrame:
    """A Parquet or CSV file, folder or glob as a Spark DataFrame."""
    from losslab.spark.evaluation import read_table

    if any(c in path for c in "*?["):
        if path.lower().endswith((".csv", ".csv.gz", ".tsv")):
            return spark.read.csv(path, header=True, inferSchema=True)
        return spark.read.parquet(path)
    return read_table(spark, path)


def spark_sample(
    spark: SparkSession,
    path: str,
    target: str,
    n: int,
    *,
    seed: int = 0,
    counts: Mapping[Any, int] | None = None,
) -> tuple[Any, dict[str, int] | None]:
    """``(pandas.DataFrame of n rows, rows per class or None)``, drawn by Spark.

    Args:
        spark: the session.
        path: a Parquet/CSV file, folder or glob.
        target: the class column to stratify by (with ``counts``).
        n: rows in the sample.
        seed: the seed of the row keys.
        counts: the class counts of the table (stratify), or None (a plain sample).

    Example:
        >>> frame, strata = spark_sample(spark, "big/", "y", 50_000, seed=0, counts={0: 9e6, 1: 1e6})  # doctest: +SKIP
        >>> strata  # doctest: +SKIP
        {'0': 45000, '1': 5000}
    """
    from pyspark.sql import Window
    from pyspark.sql import functions as F

    df = read_any(spark, path)
    cols = list(df.columns)
    keyed = df.withColumn(KEY, F.xxhash64(*[F.col(f"`{c}`") for c in cols], F.lit(int(seed))))
    if counts:
        q = quotas(counts, n)
        y = F.col(f"`{target}`")
        quota = reduce(
            lambda acc, kv: acc.when(y.isNull() if kv[0] is None else y == F.lit(kv[0]), F.lit(kv[1])),
            list(q.items())[1:],
            F.when(y.isNull() if next(iter(q)) is None else y == F.lit(next(iter(q))), F.lit(q[next(iter(q))])),
        ).otherwise(F.lit(0))
        rank = F.row_number().over(Window.partitionBy(y).orderBy(F.col(KEY), *[F.col(f"`{c}`") for c in cols]))
        picked = keyed.withColumn(RANK, rank).where(F.col(RANK) <= quota).drop(RANK)
    else:
        picked = keyed.orderBy(F.col(KEY), *[F.col(f"`{c}`") for c in cols]).limit(int(n))
    frame = picked.toPandas().sort_values(KEY, kind="stable").drop(columns=[KEY]).reset_index(drop=True)
    if not counts:
        return frame, None
    got = frame[target].value_counts(dropna=False)
    return frame, {str(k): int(v) for k, v in sorted(got.items(), key=lambda kv: str(kv[0]))}
