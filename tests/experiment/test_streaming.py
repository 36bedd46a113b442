"""Out-of-core training: streamed statistics and batches, the hashed validation slice,
streaming fit vs in-memory fit, bounded memory, and ``losslab fit``."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from losslab.errors import DataError
from losslab.experiment.streaming import (
    Prefetch,
    compute_stats,
    open_dataset,
    stream_batches,
    validation_mask,
)

SRC = Path(__file__).resolve().parents[2] / "src"


def _shards(folder: Path, n_files: int = 3, rows: int = 2000, seed: int = 0) -> Path:
    rng = np.random.default_rng(seed)
    folder.mkdir(parents=True, exist_ok=True)
    for i in range(n_files):
        x = rng.normal(size=(rows, 3))
        c = rng.choice(["a", "b", "c"], rows)
        y = x @ np.array([1.0, -2.0, 0.5]) + 1.5 * (c == "a") + 0.3 * rng.standard_t(3, rows)
        table = pa.table({"id": np.arange(i * rows, (i + 1) * rows), "x1": x[:, 0], "x2": x[:, 1],
                          "x3": x[:, 2], "c": c, "y": y})  # fmt: skip
        pq.write_table(table, folder / f"part-{i}.parquet", row_group_size=500)
    return folder


def test_stats_match_numpy_on_the_training_rows(tmp_path: Path) -> None:
    folder = _shards(tmp_path / "d")
    full = pq.read_table(folder).to_pandas()
    stats = compute_stats(open_dataset(folder), "y", val_fraction=0.2, key="id")
    val = validation_mask(pa.Table.from_pandas(full), val_fraction=0.2, key="id", columns=[])
    train = full[~val]
    assert (stats.n_train, stats.n_val) == (len(train), int(val.sum()))
    assert 0.15 < stats.n_val / len(full) < 0.25
    by_name = {f.name: f for f in stats.features}
    assert set(by_name) == {"x1", "x2", "x3", "c"}  # the key is not an input
    for col in ("x1", "x2", "x3"):
        assert by_name[col].mean == pytest.approx(train[col].mean(), rel=1e-9)
        assert by_name[col].std == pytest.approx(train[col].std(ddof=0), rel=1e-9)
    assert by_name["c"].categories == ["a", "b", "c"]
    assert stats.target_mean == pytest.approx(train["y"].mean(), rel=1e-9)
    assert stats.target_std == pytest.approx(train["y"].std(ddof=0), rel=1e-9)
    assert stats.n_inputs == 6


def test_validation_slice_is_stable_and_independent_of_batching(tmp_path: Path) -> None:
    folder = _shards(tmp_path / "d")
    ds = open_dataset(folder)
    stats = compute_stats(ds, "y", val_fraction=0.25)  # content hash (no key)

    def val_rows(batch_size: int, seed: int) -> np.ndarray:
        ys = [y for _, y in stream_batches(ds, stats, split="val", batch_size=batch_size, seed=seed)]
        return np.sort(np.concatenate(ys).ravel())

    first = val_rows(64, 0)
    assert len(first) == stats.n_val
    np.testing.assert_array_equal(first, val_rows(1000, 7))  # the same rows, any order/batching
    again = compute_stats(open_dataset(folder), "y", val_fraction=0.25)
    assert (again.n_train, again.n_val) == (stats.n_train, stats.n_val)


def test_train_stream_gives_every_row_once_shuffled(tmp_path: Path) -> None:
    folder = _shards(tmp_path / "d")
    ds = open_dataset(folder)
    stats = compute_stats(ds, "y", val_fraction=0.1, key="id")
    epoch0 = list(stream_batches(ds, stats, batch_size=100, buffer_rows=700, seed=1, epoch=0))
    epoch1 = list(stream_batches(ds, stats, batch_size=100, buffer_rows=700, seed=1, epoch=1))
    sizes = [len(y) for _, y in epoch0]
    assert sum(sizes) == stats.n_train and all(s == 100 for s in sizes[:-1])
    assert len(epoch0) == -(-stats.n_train // 100)
    y0 = np.concatenate([y for _, y in epoch0]).ravel()
    y1 = np.concatenate([y for _, y in epoch1]).ravel()
    np.testing.assert_array_equal(np.sort(y0), np.sort(y1))
    assert not np.array_equal(y0, y1)  # another order each epoch
    plain = np.concatenate([y for _, y in stream_batches(ds, stats, batch_size=100, shuffle=False)]).ravel()
    assert not np.array_equal(np.sort(y0), plain)  # shuffled (sorted != file order)


def test_open_dataset_errors_and_glob(tmp_path: Path) -> None:
    folder = _shards(tmp_path / "d")
    assert open_dataset(str(folder / "part-[01].parquet")).count_rows() == 4000
    with pytest.raises(DataError, match="No file matches the pattern"):
        open_dataset(str(tmp_path / "nothing-*.parquet"))
    with pytest.raises(DataError, match="No target column 'nope'"):
        compute_stats(open_dataset(folder), "nope")


def test_prefetch_propagates_errors() -> None:
    def broken(epoch: int):  # noqa: ANN202
        yield 1
        raise RuntimeError("boom")

    p = Prefetch(broken, depth=2)
    assert next(p) == 1
    with pytest.raises(RuntimeError, match="boom"):
        next(p)
    p.close()


@pytest.mark.slow
def test_streaming_fit_matches_in_memory_fit(tmp_path: Path) -> None:
    """Same table, seed, model and slices: the final validation losses agree within 10%
    (they differ only by the shuffling order; both are far below the untrained loss)."""
    from losslab.experiment.streaming_fit import (
        build_model_for,
        fit_in_memory,
        fit_streaming,
        validation_loss,
    )

    folder = _shards(tmp_path / "d")
    kw = dict(epochs=6, batch_size=64, seed=3, val_fraction=0.2, key="id", hidden=(16,))
    stream = fit_streaming(folder, "y", "huber:delta=1.3", buffer_rows=1000, verbose=0, out=tmp_path / "m", **kw)
    memory = fit_in_memory(folder, "y", "huber:delta=1.3", **kw)
    untrained = validation_loss(build_model_for(stream.stats, "huber:delta=1.3", hidden=(16,), seed=3),
                                open_dataset(folder), stream.stats)  # fmt: skip
    assert stream.val_loss is not None and memory.val_loss is not None and untrained is not None
    assert stream.val_loss == pytest.approx(memory.val_loss, rel=0.10)
    assert stream.val_loss < 0.2 * untrained
    import keras

    loaded = keras.models.load_model(tmp_path / "m" / "model.keras", compile=False)
    assert loaded.input_shape[-1] == stream.stats.n_inputs
    saved = json.loads((tmp_path / "m" / "preprocessing.json").read_text())
    assert saved["n_val"] == stream.stats.n_val


PEAK = textwrap.dedent(
    """
    import resource, sys
    from losslab.experiment.streaming import compute_stats, open_dataset, stream_batches
    ds = open_dataset(sys.argv[1])
    base = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    stats = compute_stats(ds, "y", val_fraction=0.1)
    rows = sum(len(y) for _, y in stream_batches(ds, stats, batch_size=4096, buffer_rows=65536))
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print(rows, stats.n_train, base, peak)
    """
)


@pytest.mark.slow
def test_streaming_memory_is_bounded_by_batches_not_the_table(tmp_path: Path) -> None:
    """A 4M x 8 float64 table (256 MB in memory, x2 as float32 inputs + targets): one stats pass
    and one epoch stream add less than 160 MB to the process's peak RSS."""
    path = tmp_path / "big.parquet"
    rng = np.random.default_rng(0)
    names = [f"x{i}" for i in range(7)] + ["y"]
    with pq.ParquetWriter(path, pa.schema([(n, pa.float64()) for n in names])) as w:
        for _ in range(16):
            block = rng.normal(size=(250_000, 8))
            w.write_table(pa.table(dict(zip(names, block.T, strict=True))), row_group_size=125_000)
    out = subprocess.run(
        [sys.executable, "-c", PEAK, str(path)], capture_output=True, text=True, timeout=500,
        env={"PYTHONPATH": str(SRC), "PATH": "/usr/bin:/bin"},
    )  # fmt: skip
    assert out.returncode == 0, out.stderr[-3000:]
    rows, n_train, base, peak = map(int, out.stdout.split())
    assert rows == n_train > 3_500_000
    assert (peak - base) / 1024 < 160, (base, peak)  # ru_maxrss is in KiB on Linux


@pytest.mark.slow
def test_cli_fit_writes_model_and_stats(tmp_path: Path) -> None:
    from losslab.cli import main

    folder = _shards(tmp_path / "d", n_files=2, rows=600)
    code = main(["fit", str(folder / "*.parquet"), "--target", "y", "--loss", "huber:delta=1.3",
                 "--epochs", "2", "--batch-size", "64", "--out", str(tmp_path / "m"), "--quiet"])  # fmt: skip
    assert code == 0
    assert sorted(p.name for p in (tmp_path / "m").iterdir()) == ["history.json", "model", "model.keras", "preprocessing.json"]
    # model/: the raw-column model for losslab predict (tests/experiment/test_fit_export.py)
    assert sorted(p.name for p in (tmp_path / "m" / "model").iterdir()) == ["card.json", "card.md", "model.keras"]
    assert main(["fit", str(folder), "--target", "y", "--epochs", "0"]) == 2


def _class_shards(folder: Path, *, n_files: int = 3, rows: int = 2000, seed: int = 0, weights=(1.0, 0.0, 0.0)) -> Path:
    """Three classes from a softmax of linear scores (imbalanced by ``weights`` on the bias)."""
    rng = np.random.default_rng(seed)
    folder.mkdir(parents=True, exist_ok=True)
    w = np.array([[2.0, -1.0, 0.0], [0.0, 1.5, -1.5], [-1.0, 0.0, 2.0]])
    for i in range(n_files):
        x = rng.normal(size=(rows, 3))
        scores = x @ w.T + np.asarray(weights)
        p = np.exp(scores - scores.max(1, keepdims=True))
        p /= p.sum(1, keepdims=True)
        y = np.array([rng.choice(3, p=row) for row in p])
        table = pa.table({"id": np.arange(i * rows, (i + 1) * rows), "x1": x[:, 0], "x2": x[:, 1], "x3": x[:, 2], "y": y})
        pq.write_table(table, folder / f"part-{i}.parquet", row_group_size=500)
    return folder


@pytest.mark.parametrize(
    ("loss", "labels", "class_weight"),
    [
        ("sparse_categorical_crossentropy", 3, None),
        ("categorical_crossentropy", 3, None),  # one-hot targets
        ("binary_crossentropy", 2, "balanced"),  # binary with class weights
    ],
)
def test_streaming_classification_fit_matches_in_memory_fit(tmp_path: Path, loss, labels, class_weight) -> None:
    """Multiclass (integer and one-hot targets) and weighted binary: the streaming and the
    in-memory fit (same table, seed, model, slices, weights) reach final validation losses
    within 10% of each other, both far below the untrained model's."""
    from losslab.experiment.streaming_fit import (
        build_model_for,
        fit_in_memory,
        fit_streaming,
        validation_loss,
    )

    folder = _class_shards(tmp_path / "d", weights=(1.5, 0.0, -1.5))
    if labels == 2:  # class 0 against the rest: about 70/30
        for f in sorted(folder.glob("*.parquet")):
            t = pq.read_table(f).to_pandas()
            t["y"] = (t["y"] == 0).astype(np.int64)
            pq.write_table(pa.Table.from_pandas(t, preserve_index=False), f, row_group_size=500)
    kw = dict(epochs=5, batch_size=64, seed=3, val_fraction=0.2, key="id", hidden=(16,), class_weight=class_weight)
    stream = fit_streaming(folder, "y", loss, buffer_rows=1000, verbose=0, out=tmp_path / "m", **kw)
    memory = fit_in_memory(folder, "y", loss, **kw)
    assert stream.stats.classes == list(range(labels))
    untrained = validation_loss(build_model_for(stream.stats, loss, hidden=(16,), seed=3), open_dataset(folder),
                                stream.stats, loss=loss)  # fmt: skip
    assert stream.val_loss == pytest.approx(memory.val_loss, rel=0.10)
    assert stream.val_loss < 0.8 * untrained
    import keras

    model = keras.models.load_model(tmp_path / "m" / "model.keras", compile=False)
    probs = np.asarray(model(np.zeros((2, 3), np.float32)))
    assert probs.shape == (2, 1 if labels == 2 else 3)
    saved = json.loads((tmp_path / "m" / "preprocessing.json").read_text())
    assert saved["task"] == ("binary" if labels == 2 else "multiclass") and saved["classes"] == list(range(labels))


def test_class_weights_change_the_streaming_fit(tmp_path: Path) -> None:
    """Balanced weights raise the predicted share of the rare class (an effect, not a no-op)."""
    from losslab.experiment.streaming_fit import fit_streaming

    folder = _class_shards(tmp_path / "d", rows=1500, weights=(2.5, 0.0, -2.5))
    for f in sorted(folder.glob("*.parquet")):
        t = pq.read_table(f).to_pandas()
        t["y"] = (t["y"] == 2).astype(np.int64)  # the rare class
        pq.write_table(pa.Table.from_pandas(t, preserve_index=False), f)
    x = np.random.default_rng(9).normal(size=(2000, 3)).astype(np.float32)
    means = []
    for cw in (None, "balanced"):
        r = fit_streaming(folder, "y", "binary_crossentropy", epochs=3, batch_size=64, seed=1, hidden=(8,), key="id", verbose=0,
                          class_weight=cw)  # fmt: skip
        means.append(float(np.mean(np.asarray(r.model(x)))))
    assert means[1] > means[0] + 0.1


def test_streaming_poisson_fit_trains_on_the_nonnegative_scaled_count(tmp_path: Path) -> None:
    """A log-link loss on counts of mean ~40 follows the trials' target rule (y / mean(y),
    no shift): every training target stays >= 0 (a standardised count would be negative for
    half the rows, which the Poisson deviance cannot read), and ``output * target_scale``
    predicts the counts: its mean within 10% of the validation mean and a Poisson deviance
    well below the constant model's (computed here with NumPy)."""
    from losslab.experiment.streaming_fit import fit_streaming, load_split

    rng = np.random.default_rng(5)
    x = rng.normal(size=(4000, 2))
    y = rng.poisson(np.exp(3.5 + 0.6 * x[:, 0] - 0.4 * x[:, 1])).astype(np.float64)
    folder = tmp_path / "counts"
    folder.mkdir()
    pq.write_table(pa.table({"x1": x[:, 0], "x2": x[:, 1], "y": y}), folder / "part-0.parquet")
    fit = fit_streaming(folder, "y", "poisson", epochs=15, batch_size=64, seed=0, val_fraction=0.25,
                        hidden=(16,), verbose=0)  # fmt: skip
    stats = fit.stats
    assert stats.target_shift == 0.0 and stats.target_scale == pytest.approx(y.mean(), rel=0.05)
    ds = open_dataset(folder)
    _, y_train = load_split(ds, stats, "train")
    assert float(y_train.min()) >= 0.0 and float(y_train.mean()) == pytest.approx(1.0, rel=1e-4)
    x_val, y_val = load_split(ds, stats, "val")
    counts = y_val[:, 0].astype(np.float64) * stats.target_scale
    pred = np.asarray(fit.model.predict(x_val, verbose=0))[:, 0].astype(np.float64) * stats.target_scale

    def deviance(mu: np.ndarray) -> float:
        ratio = np.where(counts > 0, counts / mu, 1.0)
        return float(np.mean(2 * (counts * np.log(ratio) - (counts - mu))))

    assert pred.mean() == pytest.approx(counts.mean(), rel=0.10)
    assert deviance(pred) < 0.5 * deviance(np.full_like(counts, y_train.mean() * stats.target_scale))
