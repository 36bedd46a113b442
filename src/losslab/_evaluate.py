"""``losslab.evaluate``: catalog losses over a table, on the local engine or on Spark.

This facade sits above every layer, like the package ``__init__`` that exports it, because
it is the one place that knows both engines: the local engine
(:func:`losslab.evaluation.evaluate`, NumPy, no Spark) lives in the evaluation layer, the
Spark engine (:func:`losslab.spark.evaluation.evaluate_data`) in the spark layer, which
builds on the evaluation core. Neither engine imports the other or this module, so there
is no import cycle; the Spark modules (an optional engine) are imported only when
``engine="spark"`` is asked for.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, Literal

from losslab.errors import InvalidParameterError
from losslab.evaluation import DEFAULT_CHUNK, EvaluationResult, NanPolicy, Reduction
from losslab.evaluation import evaluate as evaluate_local

if TYPE_CHECKING:  # pragma: no cover
    from losslab.catalog import LossSpec

__all__ = ["ENGINES", "evaluate"]

ENGINES = ("local", "spark")


def evaluate(
    data: Any,
    *,
    label: str,
    prediction: str,
    losses: str | Sequence[str | LossSpec],
    weight: str | None = None,
    reduction: Reduction = "sum_over_batch_size",
    nan: NanPolicy = "drop",
    engine: Literal["local", "spark"] = "local",
    master: str | None = None,
    chunk_size: int = DEFAULT_CHUNK,
) -> EvaluationResult:
    """Evaluate catalog losses over a table with Keras's semantics, one value per loss.

    Args:
        data: a CSV or Parquet path (or a directory of Parquet files), a pandas DataFrame or
            a pyarrow Table; with ``engine="spark"`` also a Spark DataFrame.
        label: the column of true values (numbers, arrays for one-hot / multi-output, or
            class indices for sparse cross-entropy).
        prediction: the column of model outputs (numbers or arrays).
        losses: catalog names with optional parameters: ``["mse", "huber:delta=2"]`` or
            ``"mse,huber:delta=2"``.
        weight: optional column of sample weights.
        reduction: ``"sum_over_batch_size"`` (Keras default: ``sum(w * loss) / rows``),
            ``"sum"`` or ``"mean_with_sample_weight"`` (``sum(w * loss) / sum(w)``).
        nan: ``"drop"`` drops rows with null/NaN inputs and counts them; ``"error"`` raises.
        engine: ``"local"`` (NumPy references, this process, chunk by chunk) or ``"spark"``
            (native Spark SQL, one aggregation pass).
        master: Spark master URL for ``engine="spark"`` (default ``local[2]``).
        chunk_size: rows per chunk for the local engine.

    Returns:
        An :class:`~losslab.evaluation.EvaluationResult`; ``result.values["mse"]`` is the
        value of one loss.

    Raises:
        UnknownLossError, InvalidParameterError, DataError: with what to fix.

    Example:
        >>> import pandas as pd
        >>> import losslab
        >>> df = pd.DataFrame({"y": [0.0, 1.0, 2.0], "p": [0.5, 1.0, 1.0]})
        >>> r = losslab.evaluate(df, label="y", prediction="p", losses=["mse", "mae"])
        >>> round(r.values["mse"], 4), round(r.values["mae"], 4)
        (0.4167, 0.5)
    """
    if engine == "local":
        return evaluate_local(
            data,
            label=label,
            prediction=prediction,
            losses=losses,
            weight=weight,
            reduction=reduction,
            nan=nan,
            chunk_size=chunk_size,
        )
    if engine == "spark":
        from losslab.spark.evaluation import evaluate_data  # the optional engine, on demand

        return evaluate_data(
            data,
            label=label,
            prediction=prediction,
            losses=losses,
            weight=weight,
            reduction=reduction,
            nan=nan,
            master=master,
        )
    raise InvalidParameterError(
        f"Invalid value for argument `engine`. Expected 'local' or 'spark'. Received: engine={engine!r}."
    )
