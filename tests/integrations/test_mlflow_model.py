"""The exported model (``run --refit``, ``losslab refit``) logged to a real MLflow tracking
server as an ``mlflow.pyfunc`` model: read back with ``MlflowClient``, loaded with
``mlflow.pyfunc.load_model`` and compared on held-out rows with ``losslab predict``."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from losslab.cli import main

pytest.importorskip("mlflow")

pytestmark = pytest.mark.slow


def _tables(root: Path) -> None:
    """A regression table with two float columns and an integer one; 40 rows held out."""
    rng = np.random.default_rng(3)
    n = 200
    df = pd.DataFrame(
        {"a": rng.normal(size=n), "b": rng.normal(size=n), "k": rng.integers(0, 5, size=n)}
    )
    df["y"] = df["a"] - 2 * df["b"] + 0.5 * df["k"] + rng.normal(scale=0.3, size=n)
    df.iloc[:160].to_csv(root / "t.csv", index=False)
    df.iloc[160:].to_csv(root / "held.csv", index=False)


def _experiment_state(client, name: str) -> tuple[list, list]:  # type: ignore[no-untyped-def]
    exp = client.get_experiment_by_name(name)
    runs = client.search_runs([exp.experiment_id], max_results=1000)
    return runs, list(client.search_logged_models(experiment_ids=[exp.experiment_id]))


def test_run_refit_logs_the_exported_model_as_a_pyfunc(
    server: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    import mlflow
    from mlflow.tracking import MlflowClient

    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("MLFLOW_TRACKING_URI", server)  # for models:/ URIs in load_model
    monkeypatch.setenv("LOSSLAB_MLFLOW_EXPERIMENT", "refit-model")
    _tables(tmp_path)
    args = ["run", "t.csv", "-t", "y", "--top", "2", "--seeds", "2", "--max-epochs", "3"]
    args += ["--out", "run", "--quiet", "--no-report", "--refit", "--mlflow", server]
    assert main(args) == 0
    assert (tmp_path / "run" / "model" / "card.json").is_file()

    client = MlflowClient(server)
    runs, models = _experiment_state(client, "refit-model")
    parents = [r for r in runs if r.data.tags.get("losslab.role") == "experiment"]
    assert len(parents) == 1 and len(runs) == 1 + 4  # 2 losses x 2 seeds
    parent = parents[0]
    assert len(models) == 1 and models[0].source_run_id == parent.info.run_id
    uri = parent.data.tags["losslab.model_uri"]
    assert uri == f"models:/{models[0].model_id}" and parent.info.status == "FINISHED"

    # the signature: the raw table columns in, losslab predict's prediction column out
    info = mlflow.models.get_model_info(uri)
    assert [(c.name, c.type.name) for c in info.signature.inputs.inputs] == [
        ("a", "double"),
        ("b", "double"),
        ("k", "double"),
    ]
    assert info.signature.outputs.input_names() == ["prediction"]
    # the exported directory travels with the MLflow model, byte for byte
    local = Path(
        mlflow.artifacts.download_artifacts(artifact_uri=uri, dst_path=str(tmp_path / "dl"))
    )
    for name in ("model.keras", "card.json", "card.md"):
        got = local / "artifacts" / "model" / name
        assert got.read_bytes() == (tmp_path / "run" / "model" / name).read_bytes()

    # held-out rows: the pyfunc model against `losslab predict` (CLI, written to a CSV file)
    capsys.readouterr()
    assert main(["predict", "run", "held.csv", "-o", "preds.csv"]) == 0
    want = pd.read_csv(tmp_path / "preds.csv")["prediction"].to_numpy()
    held = pd.read_csv(tmp_path / "held.csv").drop(columns="y")
    model = mlflow.pyfunc.load_model(uri)
    got = model.predict(held.astype({"k": "float64"}))  # MLflow refuses int64 -> double
    assert list(got.columns) == ["prediction"] and len(got) == 40
    np.testing.assert_allclose(got["prediction"].to_numpy(), want, rtol=1e-5, atol=1e-5)
    assert np.std(want) > 0.5  # a trained model, not a constant

    # the same command again: the run resumes, the refit gives the same model; nothing twice
    assert main(args) == 0
    runs, models = _experiment_state(client, "refit-model")
    assert len(runs) == 5 and len(models) == 1
    # and export-mlflow, after the fact, of the same directory
    capsys.readouterr()
    assert main(["export-mlflow", "run", "--uri", server]) == 0
    out = capsys.readouterr().out
    assert (
        "0 trials logged, 4 already there" in out and f"{uri} (mlflow.pyfunc, already there)" in out
    )
    assert len(_experiment_state(client, "refit-model")[1]) == 1


def test_export_mlflow_logs_the_model_of_a_past_run(
    server: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """A run refit without MLflow, exported later: parent, trials and model in one go."""
    import mlflow
    from mlflow.tracking import MlflowClient

    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("LOSSLAB_MLFLOW_URI", raising=False)
    _tables(tmp_path)
    args = ["compare", "t.csv", "-t", "y", "-l", "mse,huber", "--seeds", "1"]
    assert main([*args, "--max-epochs", "3", "--out", "run", "--quiet", "--no-report"]) == 0
    assert main(["refit", "run", "--candidate", "huber"]) == 0
    capsys.readouterr()
    cmd = ["export-mlflow", "run", "--uri", server, "--experiment", "past-run"]
    assert main(cmd) == 0
    assert "2 trials logged" in capsys.readouterr().out
    client = MlflowClient(server)
    runs, models = _experiment_state(client, "past-run")
    assert len(runs) == 3 and len(models) == 1
    parent = next(r for r in runs if r.data.tags.get("losslab.role") == "experiment")
    assert parent.data.tags["losslab.model_candidate"] == "huber"

    monkeypatch.setenv("MLFLOW_TRACKING_URI", server)
    model = mlflow.pyfunc.load_model(parent.data.tags["losslab.model_uri"])
    held = pd.read_csv(tmp_path / "held.csv")
    assert main(["predict", "run", "held.csv", "-o", "preds.csv"]) == 0
    want = pd.read_csv(tmp_path / "preds.csv")["prediction"].to_numpy()
    got = model.predict(held.drop(columns="y").astype(float))["prediction"].to_numpy()
    np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-5)

    # a new refit of another candidate is a new model; exporting again adds only that one
    monkeypatch.setenv("LOSSLAB_MLFLOW_EXPERIMENT", "past-run-refit")
    assert main(["refit", "run", "--candidate", "mean_squared_error", "--mlflow", server]) == 0
    runs, models = _experiment_state(client, "past-run-refit")
    assert len(runs) == 3 and len(models) == 1
    monkeypatch.delenv("LOSSLAB_MLFLOW_EXPERIMENT")
    assert main(cmd) == 0
    assert len(_experiment_state(client, "past-run")[1]) == 2


_LOAD_AND_PREDICT = """
import json, sys
import mlflow, numpy as np, pandas as pd
from losslab.cli import main

uri, model_uri = sys.argv[1], sys.argv[2]
mlflow.set_tracking_uri(uri)
assert main(["predict", "run", "held.csv", "-o", "preds.csv"]) == 0
want = pd.read_csv("preds.csv")["prediction"].to_numpy()
model = mlflow.pyfunc.load_model(model_uri)
got = model.predict(pd.read_csv("held.csv").drop(columns="y"))["prediction"].to_numpy()
inputs = [(c.name, c.type.name) for c in model.metadata.signature.inputs.inputs]
import keras
print(json.dumps({"inputs": inputs, "max_diff": float(np.abs(got - want).max()),
                  "std": float(np.std(want)), "backend": keras.backend.backend()}))
"""


def test_a_string_column_model_logged_from_a_tensorflow_process(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """Categorical inputs need TensorFlow: under JAX the run warns and keeps going; a fresh
    ``losslab export-mlflow`` (local SQLite URI, no server) logs the model, whose signature
    reads the column as a string and which predicts an unseen and a missing category as
    ``losslab predict`` does."""
    import json
    import os
    import subprocess
    import sys

    import keras
    from mlflow.tracking import MlflowClient

    if keras.backend.backend() == "tensorflow":
        pytest.skip("checks the warning of a non-TensorFlow process")
    monkeypatch.chdir(tmp_path)
    rng = np.random.default_rng(5)
    df = pd.DataFrame({"a": rng.normal(size=160), "c": rng.choice(["red", "green", "blue"], 160)})
    df["y"] = df["a"] + 2.0 * (df["c"] == "red") + rng.normal(scale=0.2, size=160)
    df.iloc[:120].to_csv("t.csv", index=False)
    held = df.iloc[120:].copy()
    held.loc[held.index[0], "c"], held.loc[held.index[1], "c"] = "purple", None
    held.to_csv("held.csv", index=False)
    uri = f"sqlite:///{tmp_path / 'mlflow.db'}"
    args = ["compare", "t.csv", "-t", "y", "-l", "mse,huber", "--seeds", "1", "--max-epochs", "2"]
    args += ["--out", "run", "--quiet", "--no-report", "--refit", "--mlflow", uri]
    assert main(args) == 0
    err = capsys.readouterr().err
    assert (
        "Warning: the MLflow export failed (InvalidParameterError: This model reads string" in err
    )
    assert "retry with `losslab export-mlflow run`" in err

    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(Path(__file__).parents[2] / "src")])}
    env.pop("MLFLOW_TRACKING_URI", None)
    cli = "import sys; from losslab.cli import main; sys.exit(main(sys.argv[1:]))"
    cmd = [sys.executable, "-c", cli, "export-mlflow", "run", "--uri", uri]
    done = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-2000:]
    assert "0 trials logged, 2 already there" in done.stdout
    assert "(mlflow.pyfunc, logged)" in done.stdout
    client = MlflowClient(uri)
    exp = client.get_experiment_by_name("losslab")
    parent = next(
        r
        for r in client.search_runs([exp.experiment_id])
        if r.data.tags.get("losslab.role") == "experiment"
    )
    model_uri = parent.data.tags["losslab.model_uri"]
    env.pop("KERAS_BACKEND", None)  # the loader chooses TensorFlow for string inputs
    cmd = [sys.executable, "-c", _LOAD_AND_PREDICT, uri, model_uri]
    done = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-2000:]
    out = json.loads(done.stdout.strip().splitlines()[-1])
    assert out["inputs"] == [["a", "double"], ["c", "string"]]
    assert out["backend"] == "tensorflow" and out["std"] > 0.3
    assert out["max_diff"] < 1e-5
