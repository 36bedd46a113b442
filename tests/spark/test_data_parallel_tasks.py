"""The data-parallel fit's training loop (``engine="local"``: one torch process, the loop each
Spark worker runs) follows the local fit's task rules: a count target under a log-link loss
trains as y / mean(y) (never a standardised, negative count), and a multiclass target trains
on its class codes with balanced class weights. Run in a subprocess under KERAS_BACKEND=torch
(the suite's process holds Keras on JAX)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("torch", reason="data-parallel training needs torch (pip install torch)")

SRC = Path(__file__).resolve().parents[2] / "src"

SCRIPT = textwrap.dedent(
    """
    import json, sys
    import numpy as np
    from losslab.spark.distributed import fit_data_parallel
    from losslab.experiment.streaming import open_dataset
    from losslab.experiment.streaming_fit import load_split
    data, loss, cw = sys.argv[1], sys.argv[2], (sys.argv[3] if sys.argv[3] != "-" else None)
    r = fit_data_parallel(data, "y", loss, engine="local", shards=2, epochs=12, batch_size=64,
                          hidden=(16,), seed=0, val_fraction=0.25, class_weight=cw, verbose=0)
    x_val, y_val = load_split(open_dataset(data), r.stats, "val")
    pred = np.asarray(r.model.predict(x_val, verbose=0), dtype=np.float64)
    print(json.dumps({"scale": r.stats.target_scale, "shift": r.stats.target_shift, "task": r.stats.task,
                      "val_loss": r.val_loss, "y_val": y_val[:, 0].tolist(), "pred": pred.tolist()}))
    """
)


def _fit(data: Path, loss: str, class_weight: str | None = None) -> dict:
    env = dict(os.environ, KERAS_BACKEND="torch", PYTHONPATH=f"{SRC}{os.pathsep}{os.environ.get('PYTHONPATH', '')}")
    done = subprocess.run([sys.executable, "-c", SCRIPT, str(data), loss, class_weight or "-"], env=env,
                          capture_output=True, text=True, timeout=600)  # fmt: skip
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(done.stdout.strip().splitlines()[-1])


def _write(folder: Path, x: np.ndarray, y: np.ndarray) -> Path:
    import pyarrow as pa
    import pyarrow.parquet as pq

    folder.mkdir()
    half = len(y) // 2
    for i, part in enumerate((slice(0, half), slice(half, None))):
        pq.write_table(pa.table({"x1": x[part, 0], "x2": x[part, 1], "y": y[part]}), folder / f"part-{i}.parquet")
    return folder


def test_poisson_counts_train_on_y_over_its_mean(tmp_path: Path) -> None:
    rng = np.random.default_rng(7)
    x = rng.normal(size=(4000, 2))
    y = rng.poisson(np.exp(3.5 + 0.6 * x[:, 0] - 0.4 * x[:, 1])).astype(np.float64)
    out = _fit(_write(tmp_path / "d", x, y), "poisson")
    assert out["task"] == "regression" and out["shift"] == 0.0
    assert out["scale"] == pytest.approx(y.mean(), rel=0.05)
    counts = np.asarray(out["y_val"]) * out["scale"]
    pred = np.asarray(out["pred"])[:, 0] * out["scale"]
    assert counts.min() >= 0 and pred.min() > 0
    assert pred.mean() == pytest.approx(counts.mean(), rel=0.10)
    # explained: the squared error well below the constant model's
    assert np.mean((pred - counts) ** 2) < 0.5 * np.mean((counts - counts.mean()) ** 2)


def test_multiclass_codes_with_balanced_weights(tmp_path: Path) -> None:
    rng = np.random.default_rng(3)
    x = rng.normal(size=(3000, 2))
    logits = np.stack([2 * x[:, 0], 2 * x[:, 1], np.full(len(x), -1.5)], axis=1)
    y = np.array([rng.choice(3, p=np.exp(v) / np.exp(v).sum()) for v in logits], dtype=np.int64)
    out = _fit(_write(tmp_path / "d", x, y), "sparse_categorical_crossentropy", "balanced")
    assert out["task"] == "multiclass" and out["scale"] is None
    probs = np.asarray(out["pred"])
    assert probs.shape[1] == 3 and np.allclose(probs.sum(axis=1), 1.0, atol=1e-4)
    assert out["val_loss"] < 0.8 * np.log(3)  # far below the uniform guess
    # balanced weights lift the rare class: predicted more often than its share
    rare = int(np.argmin(np.bincount(y, minlength=3)))
    share = np.mean(np.asarray(out["y_val"]) == rare)
    assert np.mean(probs.argmax(axis=1) == rare) > share
