"""losslab.spark.score equals the local model.predict; evaluate_model equals NumPy."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from losslab.errors import DataError

pytestmark = [pytest.mark.spark, pytest.mark.xdist_group("spark"), pytest.mark.slow]


def test_score_equals_local_predict_and_evaluates_in_one_job(spark: Any, tmp_path: Any) -> None:
    import keras
    import pandas as pd

    from losslab.spark import evaluate_model, score

    keras.utils.set_random_seed(0)
    model = keras.Sequential(
        [keras.Input((3,)), keras.layers.Dense(4, activation="relu"), keras.layers.Dense(1)]
    )
    path = str(tmp_path / "model.keras")
    model.save(path)
    rng = np.random.default_rng(0)
    x = rng.normal(size=(64, 3))
    y = rng.normal(size=64)
    pdf = pd.DataFrame({"a": x[:, 0], "b": x[:, 1], "c": x[:, 2], "y": y})
    df = spark.createDataFrame(pdf).coalesce(1)  # one Python worker loads the model
    expected = model.predict(x.astype("float32"), verbose=0)[:, 0].astype(np.float64)

    scored = score(df, path, features=["a", "b", "c"], output_col="p", batch_size=16).toPandas()
    np.testing.assert_allclose(scored["p"].to_numpy(), expected, rtol=1e-5, atol=1e-6)

    result = evaluate_model(
        df, path, features=["a", "b", "c"], label="y", losses=["mse", "mae"], batch_size=16
    )
    assert result.values["mse"] == pytest.approx(float(np.mean((y - expected) ** 2)), rel=1e-5)
    assert result.values["mae"] == pytest.approx(float(np.mean(np.abs(y - expected))), rel=1e-5)

    with pytest.raises(DataError, match="Feature column\\(s\\) 'zz' not found"):
        score(df, path, features=["a", "zz"])
    with pytest.raises(DataError, match="Model file not found"):
        score(df, str(tmp_path / "none.keras"), features=["a"])
