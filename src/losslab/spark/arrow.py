"""The fallback for losses with no SQL form: ``mapInArrow`` + NumPy partial sums.

Each Arrow batch of each partition is evaluated with the loss's NumPy reference on the
executor (the same arithmetic as the local engine, :func:`losslab.evaluation.accumulate`);
only a few partial sums per batch travel back to the driver. losslab must be installed on
the executors (it is on ``local[...]`` masters, which run the driver's interpreter).
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Sequence
from typing import TYPE_CHECKING, Any

from losslab.evaluation import LossItem, PartialSums, accumulate, arrow_column_to_numpy

if TYPE_CHECKING:  # pragma: no cover
    from pyspark.sql import DataFrame

__all__ = ["arrow_partial_sums"]

_SCHEMA = "key string, loss_sum double, binary_sum double, rows long, used long, weight_sum double, non_binary boolean"


def arrow_partial_sums(
    df: DataFrame,
    label: str,
    prediction: str,
    weight: str | None,
    items: Sequence[LossItem],
) -> PartialSums:
    """Sums of every loss in ``items`` over ``df`` computed with the NumPy references.

    ``df`` must already hold plain numeric / array columns named ``label``, ``prediction``
    (and ``weight``): ML vectors are converted by the caller.
    """
    shipped = list(items)  # the specs travel with the closure: custom losses work too
    cols = [label, prediction, *([weight] if weight else [])]

    def run(batches: Iterator[Any]) -> Iterator[Any]:
        import pyarrow as pa

        local_items = shipped
        for batch in batches:
            y = arrow_column_to_numpy(batch.column(0), label)
            p = arrow_column_to_numpy(batch.column(1), prediction)
            w = arrow_column_to_numpy(batch.column(2), weight or "") if weight else None
            part = accumulate(local_items, y, p, w)
            keys = [it.key for it in local_items]
            yield pa.RecordBatch.from_pydict(
                {
                    "key": ["", *keys],
                    "loss_sum": [0.0, *(part.loss_sums.get(k, math.nan) for k in keys)],
                    "binary_sum": [0.0, *(part.binary_sums.get(k, math.nan) for k in keys)],
                    "rows": [part.rows, *([0] * len(keys))],
                    "used": [part.used, *([0] * len(keys))],
                    "weight_sum": [part.weight_sum, *([0.0] * len(keys))],
                    "non_binary": [part.non_binary, *([False] * len(keys))],
                },
                schema=pa.schema(
                    [
                        ("key", pa.string()),
                        ("loss_sum", pa.float64()),
                        ("binary_sum", pa.float64()),
                        ("rows", pa.int64()),
                        ("used", pa.int64()),
                        ("weight_sum", pa.float64()),
                        ("non_binary", pa.bool_()),
                    ]
                ),
            )

    rows = df.select(*cols).mapInArrow(run, _SCHEMA).collect()
    total = PartialSums()
    for r in rows:
        if r["key"] == "":
            total.rows += r["rows"]
            total.used += r["used"]
            total.weight_sum += r["weight_sum"]
            total.non_binary = total.non_binary or bool(r["non_binary"])
        else:
            total.loss_sums[r["key"]] = total.loss_sums.get(r["key"], 0.0) + r["loss_sum"]
            total.binary_sums[r["key"]] = total.binary_sums.get(r["key"], 0.0) + r["binary_sum"]
    return total
