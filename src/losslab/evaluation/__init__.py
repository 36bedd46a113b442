"""Loss values over tables: the core that the local and the Spark engines share.

``evaluate(data, label="y", prediction="p", losses=["mse", "huber:delta=2"])`` reads a
CSV / Parquet file (or a directory of Parquet files), a pandas DataFrame or a pyarrow Table
in chunks and returns one value per loss with Keras's reduction semantics. The public
:func:`losslab.evaluate` adds ``engine="spark"``, which hands the same question to
:func:`losslab.spark.evaluate` (native Spark SQL expressions over the same
:class:`PartialSums` and :func:`finish`).

Semantics (the same in both engines):

- each row is one sample; a numeric column is a ``(N, 1)`` tensor, an array (list) column a
  ``(N, K)`` tensor; losses whose ``y_true`` are class indices (sparse cross-entropy) read
  the label column as ``(N,)`` integers (:func:`label_is_index`);
- ``reduction="sum_over_batch_size"`` (Keras's default) is ``sum(w_i * loss_i) / N``, with
  ``N`` the number of rows used (not the sum of the weights); ``"sum"`` and
  ``"mean_with_sample_weight"`` (divided by the sum of the weights) are also available;
- rows where the label, the prediction or the weight is null or NaN (any element of an
  array) are dropped and counted in ``n_dropped`` (``nan="error"`` raises instead);
- the losses that require labels in {-1, 1} (hinge, squared hinge) turn labels in {0, 1}
  into {-1, 1} when *every* label of the table is 0 or 1 (Keras applies the same rule per
  batch: the table is the batch here; :func:`uses_binary_label_rule`);
- losses defined on whole batches (``per_batch=True``) are not supported: their value
  depends on how the table would be cut into batches.

This package imports no Keras, no Spark and nothing of :mod:`losslab.experiment`.
"""

from losslab.evaluation._arrays import arrow_column_to_numpy
from losslab.evaluation._items import (
    LossItem,
    label_is_index,
    parse_losses,
    requirements,
    uses_binary_label_rule,
)
from losslab.evaluation._local import DEFAULT_CHUNK, evaluate
from losslab.evaluation._result import (
    NAN_POLICIES,
    REDUCTIONS,
    EvaluationResult,
    NanPolicy,
    Reduction,
    check_options,
)
from losslab.evaluation._sums import PartialSums, accumulate, finish

__all__ = [
    "DEFAULT_CHUNK",
    "NAN_POLICIES",
    "REDUCTIONS",
    "EvaluationResult",
    "LossItem",
    "NanPolicy",
    "PartialSums",
    "Reduction",
    "accumulate",
    "arrow_column_to_numpy",
    "check_options",
    "evaluate",
    "finish",
    "label_is_index",
    "parse_losses",
    "requirements",
    "uses_binary_label_rule",
]
