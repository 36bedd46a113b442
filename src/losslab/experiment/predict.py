"""Predict with an exported model: check a new table against the column schema, run the
raw-column Keras model, name the output columns, judge them when the target is present, and
write the result atomically.

``losslab predict RUN_DIR new.csv -o preds.parquet`` and ``losslab.load(RUN_DIR).predict(df)``
both go through :func:`predict_frame`.
"""

from __future__ import annotations

import contextlib
import json
import os
import sys
import tempfile
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from losslab._vocab import TaskKind
from losslab.errors import DataError, InvalidParameterError
from losslab.experiment.columns import ColumnSchema
from losslab.experiment.store import RunDirectoryError

__all__ = [
    "ModelBundle",
    "import_tensorflow_quietly",
    "load_bundle",
    "native_stderr_silenced",
    "predict_frame",
    "prediction_columns",
    "raw_predict",
    "target_metrics",
    "write_table",
]


@dataclass(frozen=True)
class ModelBundle:
    """An exported model with its card (``model.keras`` + ``card.json``)."""

    model: Any
    card: dict[str, Any]
    path: Path

    @property
    def schema(self) -> ColumnSchema:
        return ColumnSchema.from_dict(self.card["columns"])


@contextlib.contextmanager
def native_stderr_silenced() -> Iterator[None]:
    """Send what native code writes to file descriptor 2 to /dev/null for the block.

    TensorFlow's C++ start-up lines ("All log messages before absl::InitializeLog() ...",
    "oneDNN custom operations are on ...") are written by Abseil before its logging is
    initialised, straight to fd 2, whatever ``TF_CPP_MIN_LOG_LEVEL`` says (TensorFlow 2.16+),
    so only the descriptor can keep them off a user's terminal. Python exceptions still
    propagate; Python's own stderr is flushed before and after.
    """
    sys.stderr.flush()
    saved = os.dup(2)
    devnull = os.open(os.devnull, os.O_WRONLY)
    try:
        os.dup2(devnull, 2)
        yield
    finally:
        sys.stderr.flush()
        os.dup2(saved, 2)
        os.close(saved)
        os.close(devnull)


def import_tensorflow_quietly() -> None:
    """Import TensorFlow (when installed and not imported yet) without its start-up log lines
    on the terminal; ``TF_CPP_MIN_LOG_LEVEL=3`` stays the default for its later logging."""
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    if "tensorflow" in sys.modules:
        return
    with native_stderr_silenced(), contextlib.suppress(ImportError):  # Keras's import reports it
        import tensorflow  # noqa: F401


def _select_backend(card: Mapping[str, Any]) -> None:
    """String inputs need TensorFlow: choose it when Keras is not imported yet (and import
    TensorFlow quietly whenever Keras is about to run on it)."""
    if "keras" not in sys.modules:
        if card["columns"].get("categorical"):
            os.environ["KERAS_BACKEND"] = "tensorflow"
        if os.environ.get("KERAS_BACKEND") == "tensorflow":
            import_tensorflow_quietly()
        return
    if not card["columns"].get("categorical"):
        return
    import keras

    if keras.backend.backend() != "tensorflow":
        raise InvalidParameterError(
            "This model reads string (categorical) columns, which need the TensorFlow backend. "
            f"Received: KERAS_BACKEND={keras.backend.backend()!r}. Run with KERAS_BACKEND=tensorflow."
        )


def load_bundle(path: str | os.PathLike[str]) -> ModelBundle:
    """The exported model of a run directory (``RUN_DIR/model/``) or of a model directory.

    Raises:
        RunDirectoryError: no ``model.keras`` + ``card.json`` there.
    """
    p = Path(path)
    d = p / "model" if (p / "model" / "card.json").exists() else p
    if not (d / "card.json").exists() or not (d / "model.keras").exists():
        raise RunDirectoryError(
            f"No exported model in {str(p)!r} (expected model/model.keras and model/card.json). "
            f"Run `losslab refit {p}` first (or `losslab run ... --refit`)."
        )
    card = json.loads((d / "card.json").read_text(encoding="utf-8"))
    _select_backend(card)
    import keras

    return ModelBundle(keras.saving.load_model(d / "model.keras", compile=False), card, d)


def raw_predict(
    model: Any, inputs: Mapping[str, np.ndarray], *, batch_size: int = 65536
) -> np.ndarray:
    """The model's output for named input arrays, as float64 ``(N, width)``."""
    import keras

    feed: dict[str, Any] = dict(inputs)
    strings = any(v.dtype.kind in "UO" for v in feed.values())
    if strings and keras.backend.backend() != "tensorflow":
        raise InvalidParameterError(
            "This model reads string (categorical) columns, which need the TensorFlow backend. "
            f"Received: KERAS_BACKEND={keras.backend.backend()!r}. Run with KERAS_BACKEND=tensorflow."
        )
    if strings:
        import tensorflow as tf

        feed = {k: tf.constant(v) if v.dtype.kind in "UO" else v for k, v in feed.items()}
    n = len(next(iter(inputs.values())))
    out = model.predict(feed, batch_size=min(batch_size, max(n, 1)), verbose=0)
    out = np.asarray(out, dtype=np.float64)
    return out.reshape(n, -1)


def _labels(card: Mapping[str, Any], pred: np.ndarray) -> np.ndarray:
    classes = card["task"]["classes"]
    kind = TaskKind.parse(card["task"]["kind"])
    if kind is TaskKind.BINARY and pred.shape[1] == 1:
        codes = (pred[:, 0] >= 0.5).astype(int)
    elif kind is TaskKind.ORDINAL:  # the median class (CORAL / CORN's rule)
        codes = (np.cumsum(pred, axis=1)[:, :-1] < 0.5).sum(axis=1)
    else:
        codes = pred.argmax(axis=1)
    return np.asarray(classes, dtype=object)[codes]


def prediction_columns(card: Mapping[str, Any], raw: np.ndarray) -> dict[str, np.ndarray]:
    """The named output columns of a model output matrix (as in the card's ``outputs``):
    ``prediction`` / ``q<level>`` / ``p_<class>`` (both classes of a binary task) and
    ``label`` for classification.

    Example:
        >>> card = {"task": {"kind": "binary", "classes": ["no", "yes"]},
        ...         "outputs": {"columns": ["p_no", "p_yes"], "label": True}}
        >>> cols = prediction_columns(card, np.array([[0.25], [0.75]]))
        >>> cols["p_no"].tolist(), cols["label"].tolist()
        ([0.75, 0.25], ['no', 'yes'])
    """
    out = card["outputs"]
    kind = TaskKind.parse(card["task"]["kind"])
    values = (
        np.column_stack([1.0 - raw[:, 0], raw[:, 0]])
        if kind is TaskKind.BINARY and raw.shape[1] == 1
        else raw
    )
    cols: dict[str, np.ndarray] = {name: values[:, i] for i, name in enumerate(out["columns"])}
    if out.get("label"):
        cols["label"] = _labels(card, raw)
    return cols


def predict_frame(
    bundle: ModelBundle, df: Any, *, id_col: str | None = None, keep_inputs: bool = True
) -> tuple[Any, list[str], np.ndarray]:
    """Predictions for a table.

    Args:
        bundle: the loaded :class:`ModelBundle`.
        df: a pandas DataFrame with the model's input columns (extra columns are ignored).
        id_col: keep only this column next to the predictions (default: every input column).
        keep_inputs: keep the input columns (ignored when ``id_col`` is given).

    Returns:
        ``(frame, notes, raw)``: the predictions (columns named by the card's ``outputs``,
        plus ``label`` for classification), one-line notes, and the model's output matrix.

    Raises:
        DataError: a missing column, a text value in a numeric column, an unknown ``id_col``.
    """
    import pandas as pd

    if id_col is not None and id_col not in df.columns:
        raise DataError(
            f"The id column {id_col!r} is not in the table. Received columns: {', '.join(map(str, list(df.columns)[:12]))}. Pass an existing column to --id."
        )
    target = bundle.card["task"]["target"]
    known = [*(target if isinstance(target, list) else [target]), *([id_col] if id_col else [])]
    inputs, notes = bundle.schema.model_inputs(df, known=[str(k) for k in known if k is not None])
    raw = raw_predict(bundle.model, inputs)
    preds = pd.DataFrame(prediction_columns(bundle.card, raw), index=df.index)
    if id_col is not None:
        base = df[[id_col]]
    elif keep_inputs:
        base = df.drop(columns=[c for c in preds.columns if c in df.columns])
    else:
        base = df.iloc[:, :0]
    return pd.concat([base, preds], axis=1), notes, raw


def target_metrics(bundle: ModelBundle, df: Any, raw: np.ndarray) -> dict[str, float | None] | None:
    """Judge metrics of the predictions when the table holds the target column(s), else None."""
    from losslab.experiment import judge
    from losslab.experiment.protocol import encode_target

    t = bundle.card["task"]
    target = t["target"]
    cols = target if isinstance(target, list) else [target]
    if target is None or any(c not in df.columns for c in cols):
        return None
    y = df[cols[0]].to_numpy() if len(cols) == 1 else df[cols].to_numpy()
    y_enc, _ = encode_target(y, t["kind"], t["classes"])
    q = (bundle.card.get("goal") or {}).get("quantile")
    n_classes = None if t["classes"] is None else len(t["classes"])
    return judge.judge(
        t["kind"], y_enc, raw, n_classes=n_classes, quantile=q, quantiles=t.get("quantile_levels")
    )


def write_table(frame: Any, path: str | os.PathLike[str]) -> Path:
    """Write ``frame`` as Parquet (``.parquet``) or CSV (other suffixes): a temp file in the
    same directory, then ``os.replace``, so a failure leaves nothing half-written."""
    p = Path(path)
    p.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=p.parent, prefix=f".{p.name}.", suffix=".tmp")
    os.close(fd)
    try:
        if p.suffix.lower() in (".parquet", ".pq"):
            frame.to_parquet(tmp, index=False)
        else:
            frame.to_csv(tmp, index=False)
        os.replace(tmp, p)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise
    return p
