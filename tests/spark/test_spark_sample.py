"""``compare --sample`` with ``--engine spark``: the sample drawn by Spark is exactly N rows,
per-class quotas in proportion to the class counts, the same for a seed whatever the
partitioning, and a comparison on it records that Spark drew it."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

pytestmark = [pytest.mark.spark, pytest.mark.slow, pytest.mark.xdist_group("spark")]


def _table(folder: Path, n: int = 4000, files: int = 5) -> pd.DataFrame:
    rng = np.random.default_rng(0)
    x = rng.normal(size=(n, 2))
    y = rng.choice([0, 1, 2], size=n, p=[0.6, 0.3, 0.1])
    df = pd.DataFrame({"x1": x[:, 0] + y, "x2": x[:, 1], "y": y})
    folder.mkdir()
    for i, idx in enumerate(np.array_split(np.arange(n), files)):
        pq.write_table(pa.Table.from_pandas(df.iloc[idx], preserve_index=False), folder / f"p{i}.parquet")
    return df


def test_spark_sample_is_exact_stratified_and_seeded(spark: Any, tmp_path: Path) -> None:
    from losslab.spark.sampling import spark_sample

    df = _table(tmp_path / "t")
    counts = df["y"].value_counts().to_dict()
    a, strata = spark_sample(spark, str(tmp_path / "t"), "y", 500, seed=4, counts=counts)
    assert len(a) == 500
    for k, c in counts.items():  # the oracle: pandas' counts of the whole table
        assert abs(strata[str(k)] - 500 * c / len(df)) <= 1.0
    b, _ = spark_sample(spark.newSession(), str(tmp_path / "t" / "*.parquet"), "y", 500, seed=4, counts=counts)
    pd.testing.assert_frame_equal(a, b)
    c, _ = spark_sample(spark, str(tmp_path / "t"), "y", 500, seed=5, counts=counts)
    assert len(set(map(tuple, a.to_numpy())) & set(map(tuple, c.to_numpy()))) < 150
    plain, none = spark_sample(spark, str(tmp_path / "t"), "y", 321, seed=4)
    assert len(plain) == 321 and none is None


def test_compare_engine_spark_samples_on_spark(spark: Any, tmp_path: Path) -> None:
    import json

    from losslab.experiment.api import compare
    from losslab.spark.engine import SparkEngine

    _table(tmp_path / "t")
    res = compare(
        None, str(tmp_path / "t"), target="y", losses=["sparse_categorical_crossentropy"], seeds=1, max_epochs=1,
        sample=300, engine=SparkEngine(spark=spark), out=tmp_path / "run", quiet=True, report=False,
    )
    sample = json.loads((Path(res.run_dir) / "manifest.json").read_text())["data"]["sample"]
    assert sample["rows"] == 300 and sample["method"].startswith("spark")
    assert sum(sample["strata"].values()) == 300
