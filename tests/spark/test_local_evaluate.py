"""losslab.evaluate (local engine): chunked NumPy evaluation over files and frames.

Oracles: scikit-learn's metrics (mean_squared_error, mean_absolute_error, log_loss with
Keras's clipping reproduced by clipping the inputs), formulas, and the catalog references
applied to the whole table at once.
"""

from __future__ import annotations

import json
import math

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from sklearn.metrics import log_loss, mean_absolute_error, mean_squared_error

import losslab
from losslab.catalog import get_spec
from losslab.cli import main
from losslab.errors import DataError, InvalidParameterError, UnknownLossError
from losslab.reference._reduce import reduce


@pytest.fixture
def table() -> pd.DataFrame:
    rng = np.random.default_rng(0)
    n = 503
    return pd.DataFrame(
        {
            "y": rng.normal(size=n),
            "p": rng.normal(size=n),
            "w": rng.uniform(0.0, 2.0, size=n),
            "b": rng.integers(0, 2, size=n).astype(float),
            "q": rng.uniform(0.01, 0.99, size=n),
        }
    )


def test_matches_sklearn_over_chunks(table: pd.DataFrame) -> None:
    r = losslab.evaluate(
        table, label="y", prediction="p", losses="mse,mae", weight="w", chunk_size=64
    )
    # Keras's sum_over_batch_size with weights is sum(w * e) / N: sklearn's weighted average
    # times mean(w)
    mw = table["w"].mean()
    assert r.values["mse"] == pytest.approx(
        mean_squared_error(table["y"], table["p"], sample_weight=table["w"]) * mw, rel=1e-12
    )
    assert r.values["mae"] == pytest.approx(
        mean_absolute_error(table["y"], table["p"], sample_weight=table["w"]) * mw, rel=1e-12
    )
    rb = losslab.evaluate(table, label="b", prediction="q", losses=["bce"], chunk_size=100)
    # sklearn's log_loss of probabilities in [0.01, 0.99]: Keras's 1e-7 clip never applies
    assert rb.values["bce"] == pytest.approx(log_loss(table["b"], table["q"]), rel=1e-12)
    assert (rb.n_rows, rb.n_used, rb.n_dropped, rb.engine) == (503, 503, 0, "local")


def test_clipping_follows_keras_not_mllib() -> None:
    """A confident wrong prediction costs -log(1e-7) (Keras), not -log(1e-15) (MLlib)."""
    df = pd.DataFrame({"y": [1.0], "p": [0.0]})
    r = losslab.evaluate(df, label="y", prediction="p", losses=["bce"])
    assert r.values["bce"] == pytest.approx(-math.log(1e-7), rel=1e-9)  # formula


def test_files_csv_parquet_and_lists(tmp_path: pytest.TempPathFactory, table: pd.DataFrame) -> None:
    csv = tmp_path / "t.csv"
    table.to_csv(csv, index=False)
    par = tmp_path / "t.parquet"
    table.to_parquet(par)
    expected = float(
        reduce(
            get_spec("huber").reference_values(
                table[["y"]].to_numpy(), table[["p"]].to_numpy(), delta=0.5
            ),
            table["w"].to_numpy(),
        )
    )
    for path in (csv, par):
        r = losslab.evaluate(
            str(path),
            label="y",
            prediction="p",
            losses=["huber:delta=0.5"],
            weight="w",
            chunk_size=50,
        )
        assert r.values["huber:delta=0.5"] == pytest.approx(expected, rel=1e-9)
    # list columns: one-hot labels and class probabilities
    rng = np.random.default_rng(1)
    z = rng.normal(size=(40, 3))
    probs = np.exp(z) / np.exp(z).sum(1, keepdims=True)
    labels = rng.integers(0, 3, size=40)
    onehot = np.eye(3)[labels]
    tab = pa.table({"y": list(onehot), "k": labels, "p": list(probs)})
    pq.write_table(tab, tmp_path / "c.parquet")
    r = losslab.evaluate(
        str(tmp_path / "c.parquet"), label="y", prediction="p", losses=["cce"], chunk_size=7
    )
    assert r.values["cce"] == pytest.approx(log_loss(labels, probs), rel=1e-9)  # sklearn
    r = losslab.evaluate(tab, label="k", prediction="p", losses=["scce"], chunk_size=7)
    assert r.values["scce"] == pytest.approx(log_loss(labels, probs), rel=1e-9)


def test_nan_rows_dropped_and_counted(table: pd.DataFrame) -> None:
    t = table.copy()
    t.loc[[2, 7], "p"] = np.nan
    t.loc[11, "w"] = np.nan
    r = losslab.evaluate(t, label="y", prediction="p", losses=["mse"], weight="w", chunk_size=5)
    keep = t.dropna()
    assert (r.n_used, r.n_dropped) == (500, 3)
    assert r.values["mse"] == pytest.approx(
        float(np.sum(keep["w"] * (keep["y"] - keep["p"]) ** 2) / 500), rel=1e-12
    )
    with pytest.raises(DataError, match=r"3 of 503 rows have a null or NaN .*nan='drop'"):
        losslab.evaluate(t, label="y", prediction="p", losses=["mse"], weight="w", nan="error")


def test_hinge_rule_is_over_the_whole_table_not_the_chunk() -> None:
    """Chunk 1 holds only 0/1 labels, chunk 2 a label 2: no conversion for any row."""
    y = np.array([0.0, 1.0, 1.0, 0.0, 2.0, 1.0])
    p = np.array([0.3, -0.2, 0.8, 1.5, 0.1, 0.4])
    df = pd.DataFrame({"y": y, "p": p})
    r = losslab.evaluate(
        df, label="y", prediction="p", losses=["hinge", "squared_hinge"], chunk_size=4
    )
    m = np.maximum(1.0 - y * p, 0.0)  # formula, unconverted labels
    assert r.values["hinge"] == pytest.approx(m.mean(), rel=1e-12)
    assert r.values["squared_hinge"] == pytest.approx((m**2).mean(), rel=1e-12)
    df2 = pd.DataFrame({"y": y[:4], "p": p[:4]})
    r2 = losslab.evaluate(df2, label="y", prediction="p", losses=["hinge"], chunk_size=3)
    assert r2.values["hinge"] == pytest.approx(
        np.maximum(1.0 - (2 * y[:4] - 1) * p[:4], 0.0).mean(), rel=1e-12
    )


def test_errors(table: pd.DataFrame, tmp_path: pytest.TempPathFactory) -> None:
    with pytest.raises(DataError, match="Column\\(s\\) 'nope' not found. Received columns: y, p"):
        losslab.evaluate(table, label="nope", prediction="p", losses=["mse"])
    with pytest.raises(UnknownLossError, match="Unknown loss 'msee'"):
        losslab.evaluate(table, label="y", prediction="p", losses=["msee"])
    with pytest.raises(InvalidParameterError, match="defined on whole batches"):
        losslab.evaluate(table, label="y", prediction="p", losses=["dice"])
    with pytest.raises(InvalidParameterError, match="delta must be > 0. Received: delta=-1"):
        losslab.evaluate(table, label="y", prediction="p", losses=["huber:delta=-1"])
    with pytest.raises(InvalidParameterError, match="Expected one of"):
        losslab.evaluate(table, label="y", prediction="p", losses=["mse"], reduction="avg")  # type: ignore[arg-type]
    with pytest.raises(DataError, match="Data file not found"):
        losslab.evaluate(str(tmp_path / "missing.csv"), label="y", prediction="p", losses=["mse"])
    (tmp_path / "x.json").write_text("{}")
    with pytest.raises(DataError, match="Unsupported file type '.json'"):
        losslab.evaluate(str(tmp_path / "x.json"), label="y", prediction="p", losses=["mse"])
    with pytest.raises(DataError, match="integer class indices"):
        losslab.evaluate(
            pd.DataFrame({"k": [0, 5], "p": [[0.5, 0.5], [0.1, 0.9]]}),
            label="k",
            prediction="p",
            losses=["scce"],
        )


def test_cli(
    tmp_path: pytest.TempPathFactory, table: pd.DataFrame, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "t.csv"
    table.to_csv(path, index=False)
    code = main(
        [
            "evaluate",
            str(path),
            "--label",
            "y",
            "--prediction",
            "p",
            "--losses",
            "mse,huber:delta=2",
            "--json",
        ]
    )
    out = capsys.readouterr().out
    assert code == 0
    data = json.loads(out)
    assert data["values"]["mse"] == pytest.approx(
        mean_squared_error(table["y"], table["p"]), rel=1e-12
    )
    assert data["n_used"] == 503 and data["engine"] == "local"
    code = main(["evaluate", str(path), "-y", "y", "-p", "p", "-l", "mae"])
    assert code == 0
    assert "mae" in capsys.readouterr().out
    code = main(["evaluate", str(path), "-y", "y", "-p", "p", "-l", "nosuch"])
    err = capsys.readouterr().err
    assert code == 2 and err.startswith("Error: Unknown loss 'nosuch'") and "Traceback" not in err
    code = main(["evaluate", str(path), "-y", "y", "-p", "p", "-l", "mse", "--master", "local[2]"])
    assert code == 2 and "--master applies to --engine spark only" in capsys.readouterr().err
    code = main(["evaluate", str(path), "-y", "zz", "-p", "p", "-l", "mse"])
    assert code == 2 and "'zz' not found" in capsys.readouterr().err


def test_no_pyspark_or_keras_on_import() -> None:
    """`import losslab`, losslab.spark and the evaluate command never import pyspark/Keras."""
    import subprocess
    import sys

    code = (
        "import sys, losslab, losslab.spark, losslab.evaluation, losslab.cli.commands.evaluate;"
        "import losslab.spark.evaluation, losslab.spark.scoring, losslab.spark.engine;"
        # importing the implementation modules must not shadow the public functions
        "assert callable(losslab.spark.evaluate) and callable(losslab.spark.score);"
        "bad = [m for m in ('pyspark', 'keras', 'jax', 'torch', 'tensorflow') if m in sys.modules];"
        "print(bad); sys.exit(1 if bad else 0)"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stdout + proc.stderr
