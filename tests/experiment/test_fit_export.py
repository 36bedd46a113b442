"""``losslab fit`` ends with the exported raw-column model (``OUT/model/``), so ``losslab
predict OUT TABLE`` works on a fit as on a run. The oracle is the fit's own network on the
fit's own preprocessing (``encode_batch`` of the streamed statistics), mapped back to target
units by hand (``output * target_scale + target_shift``; softmax probabilities as they are)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa

from losslab.experiment.streaming import encode_batch
from losslab.experiment.streaming_fit import fit_streaming

SRC = Path(__file__).resolve().parents[2] / "src"


def _network_prediction(fit, df: pd.DataFrame) -> np.ndarray:
    with_target = df.assign(**{fit.stats.target: 0.0})  # encode_batch reads a target column
    x, _ = encode_batch(pa.RecordBatch.from_pandas(with_target, preserve_index=False), fit.stats)
    out = np.asarray(fit.model.predict(x, verbose=0), dtype=np.float64)
    if fit.stats.classes is None and fit.stats.target_scale is not None:
        out = out * fit.stats.target_scale + (fit.stats.target_shift or 0.0)
    return out


def test_a_count_fit_predicts_raw_columns_like_its_network(tmp_path: Path) -> None:
    from losslab.experiment.predict import load_bundle, predict_frame

    rng = np.random.default_rng(2)
    df = pd.DataFrame({"x1": rng.normal(size=1500), "x2": rng.normal(size=1500)})
    df["y"] = rng.poisson(np.exp(2.5 + 0.5 * df["x1"] - 0.3 * df["x2"])).astype(float)
    df.to_parquet(tmp_path / "t.parquet", index=False)
    fit = fit_streaming(tmp_path / "t.parquet", "y", "poisson", out=tmp_path / "out", epochs=3, batch_size=64,
                        hidden=(8,), verbose=0)  # fmt: skip
    card = json.loads((tmp_path / "out" / "model" / "card.json").read_text())
    assert card["task"]["kind"] == "regression" and card["candidate"]["loss"] == "poisson"
    assert card["fit"]["rows"] == fit.stats.n_train and card["outputs"]["columns"] == ["prediction"]
    new = df.drop(columns="y").iloc[:50].copy()
    new.loc[new.index[0], "x1"] = np.nan  # a missing number: the mean, as the fit did
    frame, _, _ = predict_frame(load_bundle(tmp_path / "out"), new)
    expected = _network_prediction(fit, new)[:, 0]
    np.testing.assert_allclose(frame["prediction"].to_numpy(), expected, rtol=1e-4, atol=1e-5)
    assert (frame["prediction"] > 0).all()


PREDICT = "import sys; from losslab.cli import main; sys.exit(main(sys.argv[1:]))"


def test_a_multiclass_fit_with_a_category_first_predicts_through_the_cli(tmp_path: Path) -> None:
    """A categorical column listed before the numeric ones (the fit's own column order,
    which the exported model must reproduce), class probabilities and labels, an unseen
    category (all zeros, as in the fit); ``losslab predict`` in a TensorFlow process."""
    rng = np.random.default_rng(4)
    n = 2400
    c = rng.choice(["red", "green", "blue"], n)
    x = rng.normal(size=n)
    y = np.where(c == "red", 0, np.where(x > 0, 1, 2))
    df = pd.DataFrame({"c": c, "x": x, "y": y})
    df.to_parquet(tmp_path / "t.parquet", index=False)
    fit = fit_streaming(tmp_path / "t.parquet", "y", "sparse_categorical_crossentropy", out=tmp_path / "out",
                        epochs=4, batch_size=64, hidden=(16,), verbose=0)  # fmt: skip
    assert [f.kind for f in fit.stats.features] == ["numeric", "categorical"]  # numeric first, whatever the table order
    new = df.drop(columns="y").iloc[:40].copy()
    new.loc[new.index[0], "c"] = "purple"
    new.to_csv(tmp_path / "new.csv", index=False)
    env = dict(os.environ, KERAS_BACKEND="tensorflow", PYTHONPATH=str(SRC))
    done = subprocess.run([sys.executable, "-c", PREDICT, "predict", str(tmp_path / "out"), str(tmp_path / "new.csv"),
                           "-o", str(tmp_path / "p.csv")], env=env, capture_output=True, text=True, timeout=600)  # fmt: skip
    assert done.returncode == 0, done.stderr[-3000:]
    got = pd.read_csv(tmp_path / "p.csv")
    expected = _network_prediction(fit, new)
    np.testing.assert_allclose(got[["p_0", "p_1", "p_2"]].to_numpy(), expected, rtol=1e-4, atol=1e-5)
    assert (got["label"].to_numpy() == expected.argmax(axis=1)).all()
    # the fit learned the planted rule: red -> class 0, else the sign of x
    known = new.iloc[1:]
    truth = np.where(known["c"] == "red", 0, np.where(known["x"] > 0, 1, 2))
    assert np.mean(got["label"].to_numpy()[1:] == truth) > 0.9
