"""Score a saved Keras model over a Spark DataFrame, then evaluate losses in the same job.

``score`` adds a prediction column with ``pyspark.ml.functions.predict_batch_udf``: each
Python worker loads the model once (the UDF caches it) and predicts Arrow batches; the
driver's ``KERAS_BACKEND`` is set on the workers before Keras is imported. The result is a
lazy DataFrame, so ``evaluate(score(df, ...), ...)`` runs scoring and the loss aggregation
in one Spark job (:func:`evaluate_model` does exactly that).
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from losslab.errors import DataError, InvalidParameterError
from losslab.evaluation import EvaluationResult
from losslab.spark.evaluation import evaluate

if TYPE_CHECKING:  # pragma: no cover
    from pyspark.sql import DataFrame

    from losslab.catalog import LossSpec

__all__ = ["evaluate_model", "score"]


def _output_width(model_path: str) -> int:
    import keras

    model = keras.saving.load_model(model_path, compile=False)
    shape = model.output_shape
    if isinstance(shape, list):
        raise InvalidParameterError(
            f"The model at {model_path!r} has several outputs. Received: output shapes {shape}. "
            "Score a model with one output tensor."
        )
    width = 1
    for d in shape[1:]:
        width *= int(d)
    return width


def _checked_features(
    df: DataFrame, path: str, features: Sequence[str], batch_size: int
) -> list[str]:
    """The feature columns as a list, after checking the model path, columns and batch size."""
    from pyspark.sql import types as T

    if "://" not in path and not Path(path).exists():
        raise DataError(
            f"Model file not found. Received: {path!r}. Pass the path of a saved .keras model."
        )
    names = [features] if isinstance(features, str) else list(features)
    if not names:
        raise InvalidParameterError(
            "No feature column. Received: features=[]. Pass the model's input columns."
        )
    missing = [c for c in names if c not in df.columns]
    if missing:
        raise DataError(
            f"Feature column(s) {', '.join(map(repr, missing))} not found. Received columns: "
            f"{', '.join(df.columns[:20])}. Pass the model's input columns."
        )
    for c in names:
        if not isinstance(df.schema[c].dataType, T.NumericType | T.BooleanType):
            raise DataError(
                f"Feature column {c!r} must be numeric. Received: type {df.schema[c].dataType.simpleString()}. "
                "Encode it before scoring."
            )
    if not isinstance(batch_size, int) or batch_size < 1:
        raise InvalidParameterError(
            f"batch_size must be an integer >= 1. Received: batch_size={batch_size!r}."
        )
    return names


def score(
    df: DataFrame,
    model_path: str | Path,
    *,
    features: Sequence[str],
    output_col: str = "prediction",
    batch_size: int = 1024,
    output_dim: int | None = None,
    backend: str | None = None,
) -> DataFrame:
    """Add a column of model predictions to ``df`` (lazily; nothing runs until an action).

    Args:
        df: the table.
        model_path: a ``.keras`` file readable by every executor (local path on ``local[N]``,
            a shared file system on a cluster).
        features: numeric feature columns, in the order the model expects.
        output_col: name of the new column: a double for a one-unit output, an array of
            doubles otherwise (class probabilities, several targets, quantiles).
        batch_size: rows per ``predict`` call on the workers.
        output_dim: the number of model outputs; read from the model on the driver when
            ``None``.
        backend: the Keras backend on the workers (default: the driver's ``KERAS_BACKEND``,
            else ``jax``).

    Returns:
        ``df`` with ``output_col`` added.

    Raises:
        DataError: missing model file or feature column, non-numeric feature.

    Example:
        >>> scored = score(df, "model.keras", features=["x1", "x2"], output_col="p")  # doctest: +SKIP
        >>> evaluate(scored, label="y", prediction="p", losses=["mse"])  # doctest: +SKIP
    """
    from pyspark.ml.functions import predict_batch_udf
    from pyspark.sql import functions as F
    from pyspark.sql import types as T

    path = str(model_path)
    features = _checked_features(df, path, features, batch_size)
    keras_backend = backend or os.environ.get("KERAS_BACKEND", "jax")
    width = output_dim if output_dim is not None else _output_width(path)
    n_features = len(features)

    def make_predict_fn() -> Any:
        os.environ["KERAS_BACKEND"] = keras_backend
        os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
        import keras
        import numpy as np

        model = keras.saving.load_model(path, compile=False)

        def predict(x: Any) -> Any:
            out = np.asarray(
                model.predict_on_batch(np.asarray(x, dtype="float32")), dtype=np.float64
            )
            out = out.reshape(len(x), -1)
            return out[:, 0] if width == 1 else out

        return predict

    udf = predict_batch_udf(
        make_predict_fn,
        return_type=T.DoubleType() if width == 1 else T.ArrayType(T.DoubleType()),
        batch_size=batch_size,
        input_tensor_shapes=[[n_features]],
    )
    inputs = F.array(*[F.col(f"`{c}`").cast("double") for c in features])
    return df.withColumn(output_col, udf(inputs))


def evaluate_model(
    df: DataFrame,
    model_path: str | Path,
    *,
    features: Sequence[str],
    label: str,
    losses: str | Sequence[str | LossSpec],
    weight: str | None = None,
    batch_size: int = 1024,
    output_dim: int | None = None,
) -> EvaluationResult:
    """Score the model and evaluate ``losses`` on its predictions in one Spark job.

    The prediction is the model's raw output (apply the loss's own parameters accordingly,
    e.g. ``bce:from_logits=True`` for a model ending in a linear unit).

    Example:
        >>> evaluate_model(df, "model.keras", features=["x1", "x2"], label="y",
        ...                losses=["mse", "mae"]).values  # doctest: +SKIP
    """
    col = "__losslab_prediction"
    scored = score(
        df,
        model_path,
        features=features,
        output_col=col,
        batch_size=batch_size,
        output_dim=output_dim,
    )
    return evaluate(scored, label=label, prediction=col, losses=losses, weight=weight)
