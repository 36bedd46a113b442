"""Scoring a run's exported model with Spark (predict_batch_udf, local[2]) equals local
scoring (`losslab predict` without Spark), row for row."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

import losslab
from losslab.cli import main
from losslab.experiment.predict import load_bundle, predict_frame

pytestmark = [pytest.mark.slow, pytest.mark.spark, pytest.mark.xdist_group("spark")]


@pytest.fixture(scope="module")
def exported(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, pd.DataFrame]:
    rng = np.random.default_rng(5)
    df = pd.DataFrame(rng.normal(size=(150, 3)), columns=["u", "v", "w"])
    df["y"] = np.where(df.u - df.v + 0.3 * rng.normal(size=150) > 0, "up", "down")
    out = tmp_path_factory.mktemp("spark-export") / "run"
    losslab.compare(
        None,
        df,
        target="y",
        losses=["binary_crossentropy"],
        seeds=1,
        max_epochs=3,
        quiet=True,
        report=False,
        out=out,
    )
    assert main(["refit", str(out)]) == 0
    new = pd.DataFrame(rng.normal(size=(300, 3)), columns=["u", "v", "w"])
    new.insert(0, "id", np.arange(300))
    new.loc[[4, 9], "v"] = np.nan  # missing values: imputed with the stored median on both paths
    return out, new


def test_spark_scoring_equals_local(spark: Any, exported: tuple[Path, pd.DataFrame]) -> None:
    from losslab.spark.export_scoring import score_exported

    run_dir, new = exported
    bundle = load_bundle(run_dir)
    local, _, _ = predict_frame(bundle, new)
    scored = score_exported(spark.createDataFrame(new), bundle, batch_size=64).toPandas()
    scored = scored.sort_values("id").reset_index(drop=True)
    assert list(scored.columns) == ["id", "u", "v", "w", "p_down", "p_up", "label"]
    np.testing.assert_allclose(
        scored[["p_down", "p_up"]].to_numpy(), local[["p_down", "p_up"]].to_numpy(), rtol=1e-6
    )
    assert scored["label"].tolist() == local["label"].tolist()


def test_predict_cli_engine_spark(
    spark: Any, exported: tuple[Path, pd.DataFrame], tmp_path: Path
) -> None:
    run_dir, new = exported
    src = tmp_path / "new.parquet"
    new.to_parquet(src)
    out = tmp_path / "preds.parquet"
    assert (
        main(
            [
                "predict",
                str(run_dir),
                str(src),
                "-o",
                str(out),
                "--id",
                "id",
                "--engine",
                "spark",
                "--master",
                "local[2]",
            ]
        )
        == 0
    )
    got = pd.read_parquet(out).sort_values("id").reset_index(drop=True)
    local, _, _ = predict_frame(load_bundle(run_dir), new, id_col="id")
    assert list(got.columns) == ["id", "p_down", "p_up", "label"]
    np.testing.assert_allclose(got["p_up"].to_numpy(), local["p_up"].to_numpy(), rtol=1e-6)
