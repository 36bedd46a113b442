"""The exported raw-column model: it loads in a fresh process that has Keras but not losslab
and reproduces each trial's stored test predictions, for every head kind the default MLP
serves (identity, quantiles, mean+scale, log-rate, positive, binary, multiclass, ordinal).

Oracle: the predictions each trial stored in ``trials/<id>.npz`` (computed by the trial
from the scikit-learn-preprocessed features and the catalog's NumPy predict functions).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import losslab
from losslab.experiment.export import export_candidate, inference_model, load_schema
from losslab.experiment.store import RunStore

pytestmark = pytest.mark.slow

N = 240


def _features(seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    df = pd.DataFrame(
        {
            "a": rng.normal(size=N),
            "b": rng.normal(3.0, 2.0, size=N),
            "c": rng.choice(["red", "green", "blue"], size=N),
        }
    )
    df.loc[[3, 50, 101], "a"] = np.nan
    df.loc[[7, 90], "c"] = None
    return df


def _signal(df: pd.DataFrame) -> np.ndarray:
    return df["a"].fillna(0).to_numpy() + 0.5 * df["b"].to_numpy() + (df["c"] == "red").to_numpy()


RUNS = {
    "regression": (
        ["huber", "gaussian_nll", {"loss": "pinball", "params": {"tau": [0.1, 0.5, 0.9]}}],
        None,
    ),
    "count": (["poisson_nll", "poisson"], None),
    "positive": (["gamma_deviance"], "positive"),
    "binary": (["binary_crossentropy", "hinge"], None),
    "multiclass": (["sparse_categorical_crossentropy"], None),
    "ordinal": (["coral", "corn"], "ordinal"),
}


def _target(kind: str, df: pd.DataFrame) -> np.ndarray:
    rng = np.random.default_rng(1)
    s = _signal(df)
    if kind == "regression":
        return s + rng.normal(0, 0.3, N)
    if kind == "count":
        return rng.poisson(np.exp(0.3 * s - 0.5)).astype(float)
    if kind == "positive":
        return np.exp(0.3 * s) * rng.gamma(4.0, 0.25, N)
    if kind == "binary":
        return np.where(s + rng.normal(0, 0.5, N) > np.median(s), "yes", "no")
    cuts = np.quantile(s, [1 / 3, 2 / 3])
    return np.digitize(s + rng.normal(0, 0.3, N), cuts)


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    base = tmp_path_factory.mktemp("export-runs")
    out = {}
    for kind, (losses, task) in RUNS.items():
        df = _features()
        df["y"] = _target(kind, df)
        losslab.compare(
            None,
            df,
            target="y",
            task=task or kind,
            losses=losses,
            seeds=1,
            max_epochs=3,
            quiet=True,
            report=False,
            out=base / kind,
        )
        out[kind] = base / kind
        df.to_pickle(base / f"{kind}.pkl")
    return out


FRESH = """
import sys
sys.modules["losslab"] = None  # any import of losslab fails
import json, numpy as np, keras, tensorflow as tf
jobs = json.loads(open(sys.argv[1]).read())
for job in jobs:
    model = keras.saving.load_model(job["model"])
    z = np.load(job["inputs"])
    feed = {k: tf.constant(z[k]) if z[k].dtype.kind == "U" else z[k] for k in z.files}
    np.save(job["out"], np.asarray(model.predict(feed, verbose=0)))
print("ok", keras.backend.backend())
"""


def test_every_head_loads_without_losslab_and_matches_stored_predictions(
    runs: dict[str, Path], tmp_path: Path
) -> None:
    jobs, expected = [], {}
    for kind, run_dir in runs.items():
        store = RunStore(run_dir)
        df = pd.read_pickle(run_dir.parent / f"{kind}.pkl")
        data = store.load_prepared()
        inputs, _ = load_schema(run_dir).model_inputs(df.drop(columns="y").iloc[data.idx_test])
        np.savez(tmp_path / f"{kind}-inputs.npz", **inputs)
        for rec in store.records():
            assert rec["status"] == "ok", rec
            tid = rec["trial_id"]
            path = tmp_path / f"{tid}.keras"
            inference_model(run_dir, tid).save(path)
            jobs.append(
                {
                    "model": str(path),
                    "inputs": str(tmp_path / f"{kind}-inputs.npz"),
                    "out": str(tmp_path / f"{tid}.npy"),
                }
            )
            expected[tid] = (rec["head"], store.read_predictions(tid)["prediction"])
    (tmp_path / "jobs.json").write_text(json.dumps(jobs))
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH",)}
    env["KERAS_BACKEND"] = "tensorflow"  # string inputs need the TensorFlow backend
    res = subprocess.run(
        [sys.executable, "-c", FRESH, str(tmp_path / "jobs.json")],
        env=env,
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert res.returncode == 0, res.stderr[-2000:]
    assert "ok tensorflow" in res.stdout
    heads = set()
    for tid, (head, want) in expected.items():
        got = np.load(tmp_path / f"{tid}.npy")
        np.testing.assert_allclose(got.reshape(want.shape), want, rtol=1e-5, atol=1e-5, err_msg=tid)
        heads.add(head)
    assert {
        "identity",
        "quantiles",
        "mean_scale",
        "positive",
        "sigmoid",
        "binary_logits",
        "softmax",
        "ordinal_logits",
    } <= heads


def test_trial_models_are_stored_and_exported_per_candidate(runs: dict[str, Path]) -> None:
    run_dir = runs["regression"]
    assert sorted(p.name for p in (run_dir / "trials").glob("*.keras")) == sorted(
        f"{r['trial_id']}.keras" for r in RunStore(run_dir).records()
    )
    assert not list((run_dir / "trials").glob(".*.tmp")) and not list(
        (run_dir / "trials").glob(".*.keras")
    )
    path = export_candidate(run_dir, "huber")
    assert path == run_dir / "export" / "huber.keras" and path.exists()


def test_categorical_schema_mirrors_the_protocol(runs: dict[str, Path]) -> None:
    schema = load_schema(runs["regression"])
    store = RunStore(runs["regression"])
    # the protocol's feature names (scikit-learn's get_feature_names_out) are the oracle
    assert schema.feature_names() == store.load_prepared().features
    df = pd.DataFrame({"a": [0.1], "b": [1.0], "c": ["purple"], "extra": [1]})
    inputs, notes = schema.model_inputs(df)
    assert inputs["c"].tolist() == [["purple"]]
    assert any("not seen in training" in n for n in notes) and any("extra" in n for n in notes)


def test_exported_cap_equals_the_trials_positive_guard():
    """The exported model's cap (built-in layers only) equals heads.clip_positive, the cap
    the trial applies to a positive head's predictions."""
    import keras

    from losslab.experiment.heads import clip_positive
    from losslab.experiment.inference import clip_layers
    from losslab.experiment.positive_guard import positive_bounds

    bounds = positive_bounds(np.array([0.0, 2.0, 5.0, 40.0]))
    x = keras.Input(shape=(1,))
    model = keras.Model(x, clip_layers(keras.layers.Activation("exponential")(x), bounds))
    raw = np.array([[-30.0], [0.0], [1.5], [3.0], [60.0]], dtype="float32")
    got = np.asarray(model.predict(raw, verbose=0), dtype=np.float64)
    expected = clip_positive(np.exp(raw.astype(np.float64)), bounds)
    np.testing.assert_allclose(got, expected, rtol=1e-5)
    assert got.min() >= bounds[0] * (1 - 1e-6) and got.max() <= bounds[1] * (1 + 1e-6)


def test_a_candidate_is_found_by_its_catalog_alias(runs: dict[str, Path]) -> None:
    """``--candidate`` accepts what the user typed at compare time: an alias of the loss
    (the catalog's ``aliases``) names the same candidate as its full label."""
    from losslab.catalog import get_spec
    from losslab.errors import InvalidParameterError
    from losslab.experiment.export import candidate_trials

    run_dir = runs["regression"]
    alias = next(a for a in get_spec("huber").aliases if a != "huber")
    by_alias = candidate_trials(run_dir, alias)
    assert [r["trial_id"] for r in by_alias] == [r["trial_id"] for r in candidate_trials(run_dir, "huber")]
    assert {r["candidate_id"] for r in by_alias} == {"huber"}
    with pytest.raises(InvalidParameterError, match="Unknown candidate 'mae'"):
        candidate_trials(run_dir, "mae")
