"""Samples of big tables for ``compare`` / ``run``: seeded and reproducible, exactly N rows,
class proportions kept, independent of how the table is cut into files and batches; the
sample stated in the terminal, manifest and report; a resume reuses it; the out-of-core
refit of a sampled run trains on every row but the sample's test rows and exports a model
that ``losslab predict`` uses."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.dataset as pads
import pyarrow.parquet as pq
import pytest

from losslab.cli import main
from losslab.errors import DataError, InvalidParameterError
from losslab.experiment import sampling
from losslab.experiment.sampling import check_sample, draw_sample, load_or_sample, quotas

SHARES = {"a": 0.7, "b": 0.2, "c": 0.1}


def _frame(n: int = 20_000, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    labels = rng.choice(list(SHARES), size=n, p=list(SHARES.values()))
    return pd.DataFrame({"row": np.arange(n), "x": rng.normal(size=n), "y": labels})


def _write(df: pd.DataFrame, folder: Path, n_files: int, *, shuffle: int | None = None) -> Path:
    folder.mkdir(parents=True)
    if shuffle is not None:
        df = df.sample(frac=1.0, random_state=shuffle)
    for i, idx in enumerate(np.array_split(np.arange(len(df)), n_files)):
        pq.write_table(pa.Table.from_pandas(df.iloc[idx], preserve_index=False), folder / f"part-{i:02d}.parquet", row_group_size=1500)
    return folder


def test_sample_size_is_honoured_and_classes_keep_their_shares():
    df = _frame()
    counts = df["y"].value_counts()  # the oracle: pandas' count of the whole table
    for n in (30, 1000, 2500):
        sample, strata = draw_sample(pads.dataset(pa.Table.from_pandas(df)), "y", n, seed=1)
        assert len(sample) == n
        got = sample["y"].value_counts()
        assert strata == {k: int(got[k]) for k in sorted(got.index)}
        for k in SHARES:
            # largest-remainder quotas: within one row of the exact share (the 3-row floor
            # of a class only matters when n * share < 3)
            assert abs(got[k] - n * counts[k] / len(df)) <= 1.0 + 1e-9, (n, k, got[k])


def test_sample_is_reproducible_and_the_seed_matters():
    ds = pads.dataset(pa.Table.from_pandas(_frame()))
    a, _ = draw_sample(ds, "y", 500, seed=7)
    b, _ = draw_sample(ds, "y", 500, seed=7)
    c, _ = draw_sample(ds, "y", 500, seed=8)
    pd.testing.assert_frame_equal(a, b)
    overlap = len(set(a["row"]) & set(c["row"]))
    assert overlap < 100  # two independent 2.5% samples share about 12 rows


def test_sample_does_not_depend_on_files_batches_or_row_order(tmp_path):
    df = _frame()
    one = _write(df, tmp_path / "one", 1)
    many = _write(df, tmp_path / "many", 7, shuffle=3)  # other files, other row order
    a, _ = draw_sample(pads.dataset(str(one)), "y", 800, seed=2)
    b, _ = draw_sample(pads.dataset(str(many)), "y", 800, seed=2)
    pd.testing.assert_frame_equal(a.reset_index(drop=True), b.reset_index(drop=True))


def test_sample_is_uniform_within_a_class():
    df = _frame(40_000)
    sample, _ = draw_sample(pads.dataset(pa.Table.from_pandas(df)), "y", 4000, seed=0, stratify=False)
    # a uniform sample without replacement: the mean row index is N/2 within 4 standard errors
    se = df["row"].std() / np.sqrt(len(sample)) * np.sqrt(1 - len(sample) / len(df))
    assert abs(sample["row"].mean() - df["row"].mean()) < 4 * se
    assert sample["row"].is_unique


def test_quotas_sum_to_n_and_keep_a_floor_per_class():
    q = quotas({"big": 99_990, "rare": 10}, 1000)
    assert q == {"big": 997, "rare": 3}
    assert sum(quotas({i: i + 1 for i in range(50)}, 200).values()) == 200


@pytest.mark.parametrize("bad", ["0", "-3", "abc", "1.5", "", True])
def test_bad_sample_sizes_are_refused(bad):
    with pytest.raises(InvalidParameterError, match="--sample must be a whole number of rows >= 1 or 'all'"):
        check_sample(bad)


def test_sample_larger_than_the_table_is_refused(tmp_path):
    path = _write(_frame(100), tmp_path / "t", 2)
    with pytest.raises(DataError, match="--sample 500 asks for more rows than the table has.*100 rows"):
        load_or_sample(str(path), "y", sample=500)


def test_automatic_sample_over_the_threshold(tmp_path, monkeypatch, capsys):
    path = _write(_frame(5000), tmp_path / "t", 3)
    monkeypatch.setattr(sampling, "DEFAULT_ROWS", 400)
    frame, info = load_or_sample(str(path), "y", threshold=1000)
    assert len(frame) == 400 and info.automatic and info.of_rows == 5000
    assert "sampled 400 of 5,000 rows" in capsys.readouterr().err
    whole, none = load_or_sample(str(path), "y", threshold=1000, sample="all")
    assert none is None and len(whole) == 5000
    below, none = load_or_sample(str(path), "y", threshold=10_000)
    assert none is None and len(below) == 5000


def test_regression_target_is_not_stratified(tmp_path):
    df = _frame(3000).assign(y=lambda d: d["x"] * 2.0)
    frame, info = load_or_sample(pa.Table.from_pandas(df), "y", sample=300)
    assert len(frame) == 300 and info.stratified_by is None and info.strata is None


def test_refit_encoding_equals_the_protocol_preprocessing():
    """The refit's NumPy encoding of raw rows (the exported model's preprocessing) against
    the protocol's scikit-learn preprocessing of the same training rows."""
    from losslab.experiment.columns import fit_schema
    from losslab.experiment.protocol import SplitConfig, prepare
    from losslab.experiment.refit_stream import encode_features

    rng = np.random.default_rng(1)
    n = 300
    x = pd.DataFrame({
        "a": np.where(rng.random(n) < 0.1, np.nan, rng.normal(3.0, 2.0, n)),
        "c": rng.choice(["p", "q", "r", None], size=n, p=[0.5, 0.3, 0.15, 0.05]),
        "k": rng.integers(0, 5, n),
    })
    prepared = prepare(x, rng.normal(size=n), task="regression", split=SplitConfig(seed=0))
    schema = fit_schema(x, prepared.idx_train)
    np.testing.assert_allclose(encode_features(schema, x.iloc[prepared.idx_test]), prepared.x_test, atol=1e-5)


# ------------------------------------------------------------------ end to end (CLI)
def _binary_table(folder: Path, n: int = 3000) -> pd.DataFrame:
    rng = np.random.default_rng(0)
    x1, x2 = rng.normal(size=n), rng.normal(size=n)
    y = (1.5 * x1 - x2 + rng.logistic(size=n) > 1.0).astype(int)
    df = pd.DataFrame({"x1": x1, "x2": x2, "y": y})
    _write(df, folder, 4)
    return df


def test_run_on_a_sample_then_refit_on_all_rows_out_of_core(tmp_path, capsys):
    df = _binary_table(tmp_path / "big")
    out = tmp_path / "run"
    args = ["run", str(tmp_path / "big"), "-t", "y", "--top", "1", "--seeds", "1", "--max-epochs", "2",
            "--sample-threshold", "1000", "--sample", "400", "--out", str(out), "-q"]
    assert main([*args, "--refit"]) == 0
    err = capsys.readouterr().err
    assert "sampled 400 of 3,000 rows" in err and "stratified by y" in err

    manifest = json.loads((out / "manifest.json").read_text())
    sample = manifest["data"]["sample"]
    assert (sample["rows"], sample["of_rows"], manifest["data"]["n_rows"]) == (400, 3000, 400)
    assert abs(sample["strata"]["1"] / 400 - df["y"].mean()) <= 1 / 400
    assert "Sample: Compared on a sample: sampled 400 of 3,000 rows" in (out / "report.md").read_text()
    assert "sample of 3,000" in (out / "report.html").read_text()

    # the refit saw every row of the table but the sample's test rows
    split = np.load(out / "data" / "split.npz")
    n_test = len(split["idx_test"])
    card = json.loads((out / "model" / "card.json").read_text())
    assert card["refit"]["out_of_core"] is True
    assert card["refit"]["rows"] == len(df) - n_test == card["refit"]["rows_per_epoch"][-1]
    assert card["refit"]["left_out_test_rows"] == n_test

    # the preprocessing the refit streams through is the run's: equal to the prepared split
    from losslab.experiment.export import load_schema
    from losslab.experiment.refit_stream import encode_features

    again, _ = draw_sample(pads.dataset(str(tmp_path / "big")), "y", 400, seed=0)
    x_train = encode_features(load_schema(out), again.drop(columns=["y"]).iloc[split["idx_train"]])
    np.testing.assert_allclose(x_train, split["x_train"], atol=1e-5)

    new = df.drop(columns=["y"]).head(5)
    new.to_csv(tmp_path / "new.csv", index=False)
    assert main(["predict", str(out), str(tmp_path / "new.csv"), "-o", str(tmp_path / "pred.csv")]) == 0
    pred = pd.read_csv(tmp_path / "pred.csv")
    assert len(pred) == 5 and np.allclose(pred["p_0"] + pred["p_1"], 1.0, atol=1e-5)

    # --on-sample: the in-memory refit on the sample's training + validation rows
    assert main(["refit", str(out), "--on-sample"]) == 0
    card = json.loads((out / "model" / "card.json").read_text())
    assert card["refit"]["rows"] == len(split["idx_train"]) + len(split["idx_val"]) == 400 - n_test
    assert not card["refit"].get("out_of_core")

    # a resume without --sample reuses the stored sample: the same data, nothing retrained
    before = (out / "trials.jsonl").read_text()
    assert main(args[: args.index("--sample")] + ["--out", str(out), "-q"]) == 0
    assert "sampled 400 of 3,000 rows" in capsys.readouterr().err
    assert (out / "trials.jsonl").read_text() == before
    assert json.loads((out / "manifest.json").read_text())["data"]["fingerprint"] == manifest["data"]["fingerprint"]
