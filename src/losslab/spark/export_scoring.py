"""Score a table at scale with a run's exported raw-column model (``RUN_DIR/model/``).

``score_exported`` adds the prediction columns of ``losslab predict`` (``prediction``,
``q<level>``, ``p_<class>``, ``label``) to a Spark DataFrame through
``pyspark.ml.functions.predict_batch_udf``: one model input per raw column; each Python
worker loads the model once and runs the same schema checks and column naming as local
scoring (:mod:`losslab.experiment.predict`), so both give the same numbers.
"""

from __future__ import annotations

import inspect
import os
import shutil
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING, Any

from losslab.errors import DataError
from losslab.experiment.predict import ModelBundle

if TYPE_CHECKING:  # pragma: no cover
    from pyspark.sql import DataFrame

__all__ = ["predict_table_spark", "score_exported"]


def _return_type(bundle: ModelBundle) -> Any:
    from pyspark.sql import types as T

    fields = [T.StructField(c, T.DoubleType()) for c in bundle.card["outputs"]["columns"]]
    if bundle.card["outputs"].get("label"):
        fields.append(T.StructField("label", T.StringType()))
    return T.StructType(fields)


def score_exported(
    df: DataFrame, bundle: ModelBundle, *, batch_size: int = 8192, backend: str | None = None
) -> DataFrame:
    """``df`` with the model's prediction columns added (lazily).

    Args:
        df: a Spark DataFrame holding the model's input columns.
        bundle: the exported model (:func:`losslab.experiment.predict.load_bundle`); its
            file must be readable by every executor.
        batch_size: rows per ``predict`` call on the workers.
        backend: the workers' Keras backend (default: TensorFlow when the model reads string
            columns, else the driver's ``KERAS_BACKEND``).

    Raises:
        DataError: a missing input column.

    Example:
        >>> score_exported(spark.read.parquet("big.parquet"), load_bundle("run"))  # doctest: +SKIP
    """
    from pyspark.ml.functions import predict_batch_udf
    from pyspark.sql import functions as F

    schema = bundle.schema
    names = schema.names
    missing = [c for c in names if c not in df.columns]
    if missing:
        raise DataError(
            f"The table lacks the model's input column(s) {', '.join(map(repr, missing))}. "
            f"Received columns: {', '.join(df.columns[:12])}. Add them."
        )
    card = dict(bundle.card)
    model_path = str(bundle.path / card.get("model_file", "model.keras"))
    keras_backend = backend or (
        "tensorflow" if schema.categorical else os.environ.get("KERAS_BACKEND", "jax")
    )

    def make_predict_fn() -> Any:
        os.environ["KERAS_BACKEND"] = keras_backend
        os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
        import keras
        import pandas as pd

        from losslab.experiment.columns import ColumnSchema
        from losslab.experiment.predict import prediction_columns, raw_predict

        model = keras.saving.load_model(model_path, compile=False)
        col_schema = ColumnSchema.from_dict(card["columns"])

        def predict(*cols: Any) -> dict[str, Any]:
            frame = pd.DataFrame(dict(zip(names, cols, strict=True)))
            inputs, _ = col_schema.model_inputs(frame)
            return prediction_columns(card, raw_predict(model, inputs))

        # predict_batch_udf passes one array per column when the signature has that many
        predict.__signature__ = inspect.Signature(  # type: ignore[attr-defined]
            [
                inspect.Parameter(f"c{i}", inspect.Parameter.POSITIONAL_ONLY)
                for i in range(len(names))
            ]
        )
        return predict

    udf = predict_batch_udf(
        make_predict_fn, return_type=_return_type(bundle), batch_size=batch_size
    )
    cast = [F.col(f"`{c.name}`").cast("double") for c in schema.numeric]
    cast += [F.col(f"`{c.name}`").cast("string") for c in schema.categorical]
    out_col = "__losslab_prediction"
    scored = df.withColumn(out_col, udf(*cast))
    fields = [f.name for f in _return_type(bundle).fields]
    keep = [F.col(f"`{c}`") for c in df.columns if c not in fields]
    return scored.select(*keep, *[F.col(out_col)[f].alias(f) for f in fields])


def predict_table_spark(
    bundle: ModelBundle,
    table: Any,
    output: str | os.PathLike[str],
    *,
    id_col: str | None = None,
    master: str | None = None,
) -> int:
    """Score ``table`` (a CSV / Parquet path) with Spark and write the predictions as a
    Parquet directory at ``output`` (written next to it, then renamed). Returns the row count."""
    from losslab.spark.evaluation import read_table
    from losslab.spark.session import get_session

    spark = get_session(master)
    df = read_table(spark, table)
    if id_col is not None and id_col not in df.columns:
        raise DataError(
            f"The id column {id_col!r} is not in the table. Received columns: {', '.join(df.columns[:12])}. Pass an existing column to --id."
        )
    scored = score_exported(df, bundle)
    if id_col is not None:
        fields = [f.name for f in _return_type(bundle).fields]
        scored = scored.select(id_col, *[f"`{f}`" for f in fields])
    out = Path(output)
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(dir=out.parent, prefix=f".{out.name}."))
    try:
        scored.write.mode("overwrite").parquet(str(tmp / "part"))
        if out.exists():
            shutil.rmtree(out) if out.is_dir() else out.unlink()
        os.replace(tmp / "part", out)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return int(spark.read.parquet(str(out)).count())
