"""The local engine's reading paths and the label rules read from catalog metadata.

Oracles: scikit-learn's metrics and the catalog's NumPy references applied to the whole
table at once; for the label rule, Keras's documented behaviour (hinge losses map {0, 1}
labels to {-1, 1}).
"""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pandas as pd
import pytest
from sklearn.metrics import mean_absolute_error, mean_squared_error

import losslab
from losslab.catalog import get_spec, list_losses
from losslab.errors import DataError, InvalidParameterError
from losslab.evaluation import (
    LossItem,
    evaluate,
    label_is_index,
    parse_losses,
    uses_binary_label_rule,
)


@pytest.fixture
def table() -> pd.DataFrame:
    rng = np.random.default_rng(3)
    n = 211
    return pd.DataFrame({"y": rng.normal(size=n), "p": rng.normal(size=n), "z": ["a"] * n})


def test_directory_of_parquet_files(tmp_path: pytest.TempPathFactory, table: pd.DataFrame) -> None:
    """Spark-style output: part files plus _SUCCESS and hidden checksum files."""
    out = tmp_path / "preds"
    out.mkdir()
    table.iloc[:100].to_parquet(out / "part-00000.snappy.parquet")
    table.iloc[100:].to_parquet(out / "part-00001.snappy.parquet")
    (out / "_SUCCESS").write_text("")
    (out / ".part-00000.snappy.parquet.crc").write_bytes(b"\x00\x01")
    r = evaluate(str(out), label="y", prediction="p", losses="mse,mae", chunk_size=37)
    assert r.n_rows == len(table)
    assert r.values["mse"] == pytest.approx(mean_squared_error(table["y"], table["p"]), rel=1e-12)
    assert r.values["mae"] == pytest.approx(mean_absolute_error(table["y"], table["p"]), rel=1e-12)
    empty = tmp_path / "empty"
    empty.mkdir()
    with pytest.raises(DataError, match="No Parquet file in the directory"):
        evaluate(str(empty), label="y", prediction="p", losses="mse")


def test_only_the_evaluated_columns_are_read(table: pd.DataFrame) -> None:
    """An unrelated text column does not get in the way (it is never converted)."""
    r = evaluate(table, label="y", prediction="p", losses=["mse"])
    assert r.values["mse"] == pytest.approx(mean_squared_error(table["y"], table["p"]), rel=1e-12)
    with pytest.raises(DataError, match="Column 'z' must be numeric"):
        evaluate(table, label="z", prediction="p", losses=["mse"])


def test_facade_engines(table: pd.DataFrame) -> None:
    r = losslab.evaluate(table, label="y", prediction="p", losses=["mse"], engine="local")
    assert (r.engine, r.methods) == ("local", {"mse": "numpy"})
    with pytest.raises(
        InvalidParameterError, match="Expected 'local' or 'spark'. Received: engine='dask'"
    ):
        losslab.evaluate(table, label="y", prediction="p", losses=["mse"], engine="dask")  # type: ignore[arg-type]
    with pytest.raises(InvalidParameterError, match="chunk_size must be an integer >= 1"):
        evaluate(table, label="y", prediction="p", losses=["mse"], chunk_size=0)


def test_local_engine_never_imports_spark() -> None:
    code = (
        "import sys, pandas as pd, losslab\n"
        "df = pd.DataFrame({'y': [0.0, 1.0], 'p': [0.5, 0.5]})\n"
        "r = losslab.evaluate(df, label='y', prediction='p', losses=['mse'])\n"
        "assert abs(r.values['mse'] - 0.25) < 1e-12\n"
        "print(','.join(m for m in ('losslab.spark', 'pyspark') if m in sys.modules))"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == ""


def test_parse_losses_keeps_items_and_refuses_per_batch() -> None:
    items = parse_losses(["huber:delta=2", get_spec("mae")])
    # a catalog entry is keyed by its canonical name
    assert [(it.key, it.spec.name) for it in items] == [
        ("huber:delta=2", "huber"),
        ("mean_absolute_error", "mean_absolute_error"),
    ]
    assert parse_losses(items) == items and isinstance(items[0], LossItem)
    with pytest.raises(InvalidParameterError, match="defined on whole batches"):
        parse_losses("mse,dice")
    with pytest.raises(InvalidParameterError, match="No loss to evaluate"):
        parse_losses([])


def test_binary_label_rule_metadata_is_true() -> None:
    """Keras maps {0, 1} labels to {-1, 1} in Hinge and SquaredHinge; every loss the rule
    applies to must give the same values for {0, 1} labels and their {-1, 1} form."""
    flagged = [s for s in list_losses() if not s.per_batch and uses_binary_label_rule(s)]
    assert {"hinge", "squared_hinge"} <= {s.name for s in flagged}
    assert not uses_binary_label_rule(get_spec("categorical_hinge"))
    rng = np.random.default_rng(0)
    t01 = rng.integers(0, 2, size=(50, 1)).astype(float)
    p = rng.normal(size=(50, 1))
    for spec in flagged:
        np.testing.assert_allclose(
            spec.reference_values(t01, p), spec.reference_values(2 * t01 - 1, p), rtol=1e-12
        )


def test_label_is_index_metadata_is_true() -> None:
    """A loss that reads class indices accepts (N,) integer labels against (N, K) scores."""
    rng = np.random.default_rng(1)
    for spec in list_losses():
        if spec.per_batch or not label_is_index(spec):
            continue
        from losslab.catalog.inputs import generate

        try:
            t, p = generate(spec.inputs, 8, spec.defaults, rng)
        except Exception:  # a generator needing parameters the test cannot invent
            continue
        assert np.asarray(t).ndim < np.asarray(p).ndim, spec.name
        assert np.all(np.asarray(t) == np.floor(np.asarray(t))), spec.name
    assert label_is_index(get_spec("sparse_categorical_crossentropy"))
    assert not label_is_index(get_spec("categorical_crossentropy"))
