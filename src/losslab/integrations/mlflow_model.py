"""Log a run's exported model (``RUN_DIR/model/``: ``losslab refit``, ``run --refit``) to
MLflow as an ``mlflow.pyfunc`` model with its signature.

The pyfunc model (:class:`LosslabPyfunc`, logged as MLflow "model from code") carries the
exported directory (``model.keras``, ``card.json``, ``card.md``) as its artifact
``losslab_model`` and predicts through losslab's own path
(:func:`losslab.experiment.predict.predict_frame`, as ``losslab predict`` does): raw table
columns in (the schema's checks, missing numbers imputed with the training median, unseen
categories encoded as unknown), the named prediction columns out (``prediction``,
``q<level>``, ``p_<class>`` + ``label``). Its signature is inferred from an input example
built from the column schema (numeric columns ``double``, categorical ``string``) and the
model's own prediction on it. Where it is loaded it needs ``losslab`` and Keras with its
backend (pinned in the model's ``requirements.txt``).

The model goes to the parent run of the losslab run (``losslab.role=experiment``), once per
exported model: the digest of the exported files is the parent's tag
``losslab.model_sha256`` (and a tag of the MLflow 3 logged model), so exporting again or
resuming the run logs nothing twice, and a new refit (other files) is logged as a new model.
"""

from __future__ import annotations

import hashlib
import inspect
import json
import os
import tempfile
import warnings
from pathlib import Path
from typing import Any

import mlflow
import mlflow.pyfunc
import pandas as pd

from losslab.experiment.predict import load_bundle, predict_frame

__all__ = [
    "ARTIFACT_KEY",
    "DIGEST_TAG",
    "MODEL_NAME",
    "LosslabPyfunc",
    "input_example",
    "log_exported_model",
    "model_digest",
]

ARTIFACT_KEY = "losslab_model"  # the exported directory inside the MLflow model
MODEL_NAME = "model"
DIGEST_TAG = "losslab.model_sha256"
URI_TAG = "losslab.model_uri"
_ENV_URI = "MLFLOW_TRACKING_URI"
#: The "model from code" file MLflow stores with the model (no pickled Python object).
_CODE = (
    "from mlflow.models import set_model\n\n"
    "from losslab.integrations.mlflow_model import LosslabPyfunc\n\n"
    "set_model(LosslabPyfunc())\n"
)


class LosslabPyfunc(mlflow.pyfunc.PythonModel):  # type: ignore[misc]
    """An exported losslab model as an MLflow pyfunc: a pandas DataFrame of raw columns in,
    the prediction columns of ``losslab predict`` out (without the input columns)."""

    def load_context(self, context: Any) -> None:
        self._bundle = load_bundle(context.artifacts[ARTIFACT_KEY])

    def predict(self, context: Any, model_input: pd.DataFrame, params: Any = None) -> pd.DataFrame:
        df = model_input if isinstance(model_input, pd.DataFrame) else pd.DataFrame(model_input)
        frame, notes, _ = predict_frame(self._bundle, df, keep_inputs=False)
        for note in notes:
            warnings.warn(note, stacklevel=2)
        return frame.reset_index(drop=True)


def _without(obj: Any, key: str) -> Any:
    if isinstance(obj, dict):
        return {k: _without(v, key) for k, v in obj.items() if k != key}
    if isinstance(obj, list):
        return [_without(v, key) for v in obj]
    return obj


def _h5_values(data: bytes) -> list[tuple[str, bytes]]:
    """``(name, value bytes)`` of every dataset of an HDF5 file, by name."""
    import io

    import h5py
    import numpy as np

    with h5py.File(io.BytesIO(data), "r") as f:
        names: list[str] = []
        f.visititems(lambda k, o: names.append(k) if isinstance(o, h5py.Dataset) else None)
        return [(k, np.ascontiguousarray(f[k][()]).tobytes()) for k in sorted(names)]


def model_digest(model_dir: str | Path) -> str:
    """sha256 of what an exported model is: its ``card.json``, and in ``model.keras`` the
    Keras config (without the per-save ``shared_object_id``) and the weight values (not the
    bytes of the HDF5 file, which hold write times), so the same model saved twice has the
    same digest."""
    import zipfile

    d = Path(model_dir)
    h = hashlib.sha256((d / "card.json").read_bytes())
    with zipfile.ZipFile(d / "model.keras") as z:
        for name in sorted(n for n in z.namelist() if n != "metadata.json"):  # save date
            h.update(name.encode())
            data = z.read(name)
            if name == "config.json":
                config = _without(json.loads(data), "shared_object_id")
                h.update(json.dumps(config, sort_keys=True).encode())
            elif name.endswith(".h5"):
                for key, value in _h5_values(data):
                    h.update(key.encode())
                    h.update(value)
            else:
                h.update(data)
    return h.hexdigest()


def input_example(card: dict[str, Any], rows: int = 2) -> pd.DataFrame:
    """A small table of the model's raw input columns, from the card's column schema: each
    numeric column at its training median, each categorical column's categories in turn.

    Example:
        >>> card = {"columns": {"numeric": [{"name": "a", "median": 1.5, "mean": 0, "scale": 1}],
        ...                     "categorical": [{"name": "c", "categories": ["x", "y"], "mode": "x"}]}}
        >>> input_example(card).to_dict("list")
        {'a': [1.5, 1.5], 'c': ['x', 'y']}
    """
    cols = card["columns"]
    data: dict[str, list[Any]] = {c["name"]: [float(c["median"])] * rows for c in cols["numeric"]}
    for c in cols.get("categorical", []):
        cats = list(c["categories"]) or [c["mode"]]
        data[c["name"]] = [str(cats[i % len(cats)]) for i in range(rows)]
    return pd.DataFrame(data)


def _requirements() -> list[str]:
    """Pinned requirements of the pyfunc: losslab, Keras and its backend, MLflow, pandas."""
    from importlib import metadata

    import keras

    backend = {"jax": ("jax",), "tensorflow": ("tensorflow", "tensorflow-cpu"), "torch": ("torch",)}
    out = []
    for names in (
        ("losslab",),
        ("keras",),
        backend.get(keras.backend.backend(), ()),
        ("mlflow",),
        ("pandas",),
    ):
        for dist in names:
            try:
                out.append(f"{dist}=={metadata.version(dist)}")
                break
            except metadata.PackageNotFoundError:
                continue
        else:
            out.extend(names[:1])
    return out


def _logged(client: Any, run: Any, digest: str) -> str | None:
    """The URI of this model when the run holds it already (the run's tag, or an MLflow 3
    logged model of the run with the digest, when the tag was not written)."""
    if run.data.tags.get(DIGEST_TAG) == digest:
        return str(run.data.tags.get(URI_TAG, ""))
    search = getattr(client, "search_logged_models", None)
    if search is None:
        return None
    models = search(
        experiment_ids=[run.info.experiment_id],
        filter_string=f"source_run_id = '{run.info.run_id}'",
        max_results=1000,
    )
    for m in models:
        if (m.tags or {}).get(DIGEST_TAG) == digest and str(m.status).endswith("READY"):
            return f"models:/{m.model_id}"
    return None


def _log_in_run(client: Any, run: Any, kwargs: dict[str, Any]) -> Any:
    """``mlflow.pyfunc.log_model`` inside the (resumed) run, so the model belongs to the run's
    experiment; the tracking URI and the run's status and end time are restored after."""
    from mlflow.tracking import is_tracking_uri_set

    env = os.environ.get(_ENV_URI)  # set_tracking_uri also sets (or unsets) this variable
    previous = mlflow.get_tracking_uri() if is_tracking_uri_set() else None
    mlflow.set_tracking_uri(client.tracking_uri)
    try:
        with mlflow.start_run(run_id=run.info.run_id, nested=mlflow.active_run() is not None):
            info = mlflow.pyfunc.log_model(**kwargs)
    finally:
        mlflow.set_tracking_uri(previous)  # type: ignore[arg-type]  # None: not set
        if env is not None:
            os.environ[_ENV_URI] = env
    if run.info.status != "RUNNING":
        client.set_terminated(run.info.run_id, status=run.info.status, end_time=run.info.end_time)
    return info


def log_exported_model(client: Any, run_id: str, model_dir: str | Path) -> tuple[str, bool]:
    """Log ``model_dir`` (a run's ``model/``) to the MLflow run ``run_id`` as a pyfunc model
    with its signature, unless the run holds this model already.

    Returns:
        ``(model URI, logged now)``.
    """
    from mlflow.models import infer_signature

    model_dir = Path(model_dir)
    digest = model_digest(model_dir)
    run = client.get_run(run_id)
    found = _logged(client, run, digest)
    if found is not None:
        return found, False
    card = json.loads((model_dir / "card.json").read_text(encoding="utf-8"))
    example = input_example(card)
    output = predict_frame(load_bundle(model_dir), example, keep_inputs=False)[0]
    with tempfile.TemporaryDirectory() as tmp:
        code = Path(tmp) / "losslab_pyfunc.py"
        code.write_text(_CODE, encoding="utf-8")
        kwargs: dict[str, Any] = {
            "python_model": str(code),
            "artifacts": {ARTIFACT_KEY: str(model_dir)},
            "signature": infer_signature(example, output),
            "input_example": example,
            "pip_requirements": _requirements(),
            "metadata": {"losslab_candidate": card["candidate"]["label"], DIGEST_TAG: digest},
        }
        if "name" in inspect.signature(mlflow.pyfunc.log_model).parameters:  # MLflow 3
            kwargs.update(name=MODEL_NAME, tags={DIGEST_TAG: digest})
        else:
            kwargs["artifact_path"] = MODEL_NAME
        info = _log_in_run(client, run, kwargs)
    uri = str(info.model_uri)
    client.set_tag(run_id, URI_TAG, uri)
    client.set_tag(run_id, "losslab.model_candidate", card["candidate"]["label"])
    client.set_tag(run_id, DIGEST_TAG, digest)
    return uri, True
