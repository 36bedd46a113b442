"""Reading tables and profiling them for the advisor (no Keras import).

Public API:

- :func:`read_table`: CSV / Parquet path, pandas DataFrame or pyarrow Table -> DataFrame.
- :func:`open_source`: the same inputs as a stream of Arrow record batches.
- :func:`profile_table`: one streaming pass -> :class:`DataProfile` (bounded memory;
  order statistics on a documented random sample).
- :class:`ColumnAccumulator`: the profiler's one-pass column accumulator (mean, variance,
  value counts), reused by streaming training.
- :func:`infer_task`: the task (a :class:`TaskKind`: binary, multiclass, multilabel,
  regression, count, positive, proportion, ordinal) with the reasons.

Modules: ``_read`` (readers), ``_types`` (profile types), ``_accumulate`` (the one-pass
accumulator and sampling), ``_diagnose`` (sample statistics, duplicates, leakage,
warnings), ``_profile`` (:func:`profile_table`), ``_task`` (task inference), ``_ordinal``
(the order of ordinal labels, date columns as numbers).
"""

from losslab.data._accumulate import ColumnAccumulator
from losslab.data._ordinal import date_columns, ordinal_order, parse_dates
from losslab.data._profile import DEFAULT_SAMPLE_SIZE, profile_table
from losslab.data._read import BatchSource, dataset_error, open_source, parquet_error, read_table
from losslab.data._task import TASK_KINDS, TaskInfo, TaskKind, infer_task, parse_task
from losslab.data._types import ColumnProfile, DataProfile, TargetProfile

__all__ = [
    "DEFAULT_SAMPLE_SIZE",
    "TASK_KINDS",
    "BatchSource",
    "ColumnAccumulator",
    "ColumnProfile",
    "DataProfile",
    "TargetProfile",
    "TaskInfo",
    "TaskKind",
    "dataset_error",
    "date_columns",
    "infer_task",
    "open_source",
    "ordinal_order",
    "parquet_error",
    "parse_dates",
    "parse_task",
    "profile_table",
    "read_table",
]
