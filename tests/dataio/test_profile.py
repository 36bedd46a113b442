"""Readers and the streaming profile: statistics against NumPy / pandas computed directly."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from losslab.data import _read as read_mod
from losslab.data import open_source, profile_table, read_table
from losslab.errors import DataError


@pytest.fixture(scope="module")
def frame() -> pd.DataFrame:
    rng = np.random.default_rng(1)
    n = 3000
    df = pd.DataFrame(
        {
            "x1": rng.normal(size=n),
            "x2": rng.integers(0, 5, size=n),
            "city": rng.choice(["a", "b", "c"], size=n),
            "y": rng.gamma(2.0, 3.0, size=n),
        }
    )
    df.loc[::10, "x1"] = np.nan
    return df


@pytest.mark.parametrize("kind", ["pandas", "arrow", "csv", "parquet"])
def test_every_reader_gives_the_same_exact_statistics(frame, kind, tmp_path, monkeypatch):
    # small batches so the one-pass accumulators really combine several batches
    monkeypatch.setattr(read_mod, "BATCH_ROWS", 512)
    if kind == "pandas":
        data = frame
    elif kind == "arrow":
        data = pa.Table.from_pandas(frame, preserve_index=False)
    elif kind == "csv":
        data = tmp_path / "d.csv"
        frame.to_csv(data, index=False)
    else:
        data = tmp_path / "d.parquet"
        frame.to_parquet(data, index=False)
    p = profile_table(data, "y", sample_size=100_000)
    y = frame["y"].to_numpy()
    assert p.n_rows == len(frame) and p.n_columns == 4
    t = p.target
    # oracles: NumPy on the full column
    assert t.mean == pytest.approx(y.mean(), rel=1e-9)
    assert t.std == pytest.approx(y.std(), rel=1e-6)
    assert t.min == pytest.approx(y.min()) and t.max == pytest.approx(y.max())
    assert t.median == pytest.approx(np.median(y), rel=1e-6)
    mad = np.median(np.abs(y - np.median(y)))
    assert t.robust_sigma == pytest.approx(1.4826 * mad, rel=1e-6)
    from scipy import stats

    assert t.skewness == pytest.approx(stats.skew(y), rel=1e-6)
    assert t.excess_kurtosis == pytest.approx(stats.kurtosis(y), rel=1e-6)
    q25, q75 = np.quantile(y, [0.25, 0.75])
    iqr_share = np.mean((y < q25 - 1.5 * (q75 - q25)) | (y > q75 + 1.5 * (q75 - q25)))
    assert t.outlier_share_iqr == pytest.approx(iqr_share)
    feats = {c.name: c for c in p.features}
    assert feats["x1"].missing == frame["x1"].isna().sum() == 300
    assert feats["x1"].mean == pytest.approx(frame["x1"].mean(), rel=1e-9)
    assert feats["x2"].n_distinct == 5
    assert feats["city"].n_distinct == 3 and feats["city"].kind in ("text", "categorical")
    assert not p.sampled


def test_sample_is_bounded_and_uniform(tmp_path, monkeypatch):
    monkeypatch.setattr(read_mod, "BATCH_ROWS", 1000)
    rng = np.random.default_rng(2)
    n = 40_000
    y = rng.normal(10.0, 2.0, size=n)
    path = tmp_path / "big.parquet"
    pq.write_table(pa.table({"x": np.arange(n, dtype=np.float64), "y": y}), path)
    p = profile_table(path, "y", sample_size=2000)
    assert p.sampled and p.sample_size == 2000 and p.n_rows == n
    # exact statistics use every row
    assert p.target.mean == pytest.approx(y.mean(), rel=1e-9)
    # the sample median of N(10, 2) with 2000 draws is within 0.2 of the true one (5+ s.e.)
    assert abs(p.target.median - np.median(y)) < 0.2
    assert p.target.robust_sigma == pytest.approx(2.0, rel=0.1)


def test_csv_type_change_after_the_first_block_is_widened(tmp_path, monkeypatch):
    monkeypatch.setattr(read_mod, "CSV_BLOCK_BYTES", 1 << 14)  # many blocks
    path = tmp_path / "late_float.csv"
    n = 30_000
    ys = ["1"] * n
    ys[-1] = "2.5"
    path.write_text("y,x\n" + "\n".join(f"{v},{i % 3}" for i, v in enumerate(ys)) + "\n")
    p = profile_table(path, "y")
    assert p.target.max == 2.5 and p.target.integer_valued is False
    assert p.n_rows == n
    assert read_table(path)["y"].max() == 2.5


def test_read_table_returns_dataframes(frame, tmp_path):
    path = tmp_path / "d.parquet"
    frame.to_parquet(path, index=False)
    out = read_table(path)
    pd.testing.assert_frame_equal(out, frame)
    assert read_table(frame) is frame
    assert read_table(pa.table({"a": [1, 2]})).shape == (2, 1)


def test_ordered_categorical_levels_are_kept():
    cat = pd.Categorical(
        ["low", "high", "mid", "low"], categories=["low", "mid", "high"], ordered=True
    )
    p = profile_table(pd.DataFrame({"y": cat, "x": [1, 2, 3, 4]}), "y")
    assert p.target.ordered_levels == ["low", "mid", "high"]


def test_duplicates_with_conflicting_labels_are_counted():
    # rows 0-3 share features; 0,1 say 0 and 2,3 say 1 -> 4 of 10 rows conflict, 1 group
    x = [0.0] * 4 + [1.0, 2.0, 3.0, 4.0, 5.0, 6.0]
    y = [0, 0, 1, 1, 0, 1, 0, 1, 0, 1]
    p = profile_table(pd.DataFrame({"x": x, "z": 1.0, "y": y}), "y")
    assert p.duplicate_conflict_share == pytest.approx(0.4)
    assert p.duplicate_conflict_groups == 1
    assert any("different target" in w for w in p.warnings)


def test_leakage_of_a_copied_or_rescaled_target_is_flagged():
    rng = np.random.default_rng(3)
    y = rng.normal(size=500)
    df = pd.DataFrame(
        {
            "honest": rng.normal(size=500),
            "copy": y,
            "rescaled": 3 * y + 1 + 1e-3 * rng.normal(size=500),
            "y": y,
        }
    )
    p = profile_table(df, "y")
    flagged = {leak["column"] for leak in p.leakage}
    assert flagged == {"copy", "rescaled"}


def test_leakage_of_a_label_copy_in_classification():
    rng = np.random.default_rng(4)
    y = rng.choice(["yes", "no"], size=400)
    df = pd.DataFrame({"flag": np.where(y == "yes", "Y", "N"), "x": rng.normal(size=400), "y": y})
    p = profile_table(df, "y")
    assert [leak["column"] for leak in p.leakage] == ["flag"]


# ------------------------------------------------------------------ bad input


def test_missing_target_lists_the_columns(frame):
    with pytest.raises(DataError, match=r"Target column 'yy' not found.*x1, x2, city, y"):
        profile_table(frame, "yy")


def test_empty_file(tmp_path):
    path = tmp_path / "empty.csv"
    path.write_text("")
    with pytest.raises(DataError, match="is empty"):
        profile_table(path, "y")


def test_header_only_file(tmp_path):
    path = tmp_path / "header.csv"
    path.write_text("x,y\n")
    with pytest.raises(DataError, match="no rows"):
        profile_table(path, "y")


def test_all_nan_target():
    df = pd.DataFrame({"x": [1.0, 2.0, 3.0], "y": [np.nan, np.nan, np.nan]})
    with pytest.raises(DataError, match=r"'y' has no values: all 3 rows are missing"):
        profile_table(df, "y")


def test_malformed_csv_row_names_the_line(tmp_path):
    path = tmp_path / "bad.csv"
    path.write_text("a,b,y\n1,2,3\n4,5,6\n7,8,9,10\n1,1,1\n")
    with pytest.raises(DataError, match=r"line 4: expected 3 fields .* got 4"):
        profile_table(path, "y")


def test_missing_file_and_unsupported_types(tmp_path):
    with pytest.raises(DataError, match="not found"):
        open_source(tmp_path / "nope.csv")
    (tmp_path / "d.xlsx").write_text("x")
    with pytest.raises(DataError, match="Unsupported file type"):
        open_source(tmp_path / "d.xlsx")
    with pytest.raises(DataError, match="Unsupported data of type list"):
        open_source([1, 2, 3])


def test_other_column_types_and_a_boolean_target():
    n = 40
    table = pa.table(
        {
            "when": pa.array(pd.date_range("2024-01-01", periods=n, freq="D")),
            "tags": pa.array([[i, i + 1] for i in range(n)]),
            "amount": pa.array([None if i % 4 == 0 else float(i) for i in range(n)]),
            "y": pa.array([i % 3 == 0 for i in range(n)]),
        }
    )
    p = profile_table(table, "y")
    feats = {c.name: c for c in p.features}
    assert feats["tags"].kind == "other" and feats["tags"].n_distinct is None
    assert feats["amount"].missing == 10 and feats["amount"].mean == pytest.approx(
        np.mean([i for i in range(n) if i % 4])
    )
    assert p.target.kind == "boolean" and p.target.value_counts == {False: 26, True: 14}
