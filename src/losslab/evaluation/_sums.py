"""Partial sums of loss values, added chunk by chunk, and the reduction at the end.

Both engines share this arithmetic: the local engine adds the sums of each chunk of the
table, the Spark engine those of each partition (its native SQL pass fills the same
:class:`PartialSums`); :func:`finish` turns them into an :class:`EvaluationResult` with
Keras's reductions.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from losslab.errors import DataError, LosslabError
from losslab.evaluation._items import LossItem, label_is_index, uses_binary_label_rule
from losslab.evaluation._result import EvaluationResult

__all__ = ["PartialSums", "accumulate", "finish"]


@dataclass
class PartialSums:
    """Sums over some rows, added chunk by chunk (or partition by partition on Spark).

    ``loss_sums[k]`` is ``sum(w * loss)`` over used rows; for hinge-rule losses
    ``binary_sums[k]`` holds the sum when the labels are converted and ``loss_sums[k]`` the
    one when they are not, and ``non_binary`` says whether some label was not 0 or 1.

    Example:
        >>> a = PartialSums(rows=3, used=2, weight_sum=2.0, loss_sums={"mse": 1.5})
        >>> a.merge(PartialSums(rows=1, used=1, weight_sum=1.0, loss_sums={"mse": 0.5}))
        PartialSums(rows=4, used=3, weight_sum=3.0, loss_sums={'mse': 2.0}, binary_sums={}, non_binary=False)
    """

    rows: int = 0
    used: int = 0
    weight_sum: float = 0.0
    loss_sums: dict[str, float] = field(default_factory=dict)
    binary_sums: dict[str, float] = field(default_factory=dict)
    non_binary: bool = False

    def merge(self, other: PartialSums) -> PartialSums:
        """Add ``other`` into these sums (in place) and return them."""
        self.rows += other.rows
        self.used += other.used
        self.weight_sum += other.weight_sum
        for k, v in other.loss_sums.items():
            self.loss_sums[k] = self.loss_sums.get(k, 0.0) + v
        for k, v in other.binary_sums.items():
            self.binary_sums[k] = self.binary_sums.get(k, 0.0) + v
        self.non_binary = self.non_binary or other.non_binary
        return self


def _row_ok(a: np.ndarray) -> np.ndarray:
    return ~np.isnan(a).any(axis=1) if a.ndim == 2 else ~np.isnan(a)


def _per_row(values: Any, n: int, key: str) -> np.ndarray:
    v = np.asarray(values, dtype=np.float64)
    if v.ndim == 0 or v.shape[0] != n:
        raise LosslabError(
            f"Loss {key!r} did not return one value per row. Received: shape {v.shape} for {n} rows. "
            "Only per-sample losses can be evaluated over a table."
        )
    # Keras's sum_over_batch_size divides by every value: a per-row mean is the same thing.
    return v.reshape(n, -1).mean(axis=1) if v.ndim > 1 else v


def _class_indices(it: LossItem, y: np.ndarray, n_classes: int) -> np.ndarray:
    """The label column as int64 class indices in [0, n_classes), or a DataError."""
    if y.ndim != 1:
        raise DataError(
            f"Loss {it.key!r} reads the label as class indices. Received: an array label "
            "column. Pass a column of integers 0..K-1 (or use categorical cross-entropy "
            "for one-hot labels)."
        )
    bad = (y != np.floor(y)) | (y < 0) | (y >= n_classes)
    if bad.any():
        raise DataError(
            f"Loss {it.key!r} needs integer class indices in [0, {n_classes}). "
            f"Received: label values such as {y[bad][:3].tolist()}. "
            "Encode the classes as 0..K-1."
        )
    return y.astype(np.int64)


def accumulate(
    items: Sequence[LossItem], y: np.ndarray, p: np.ndarray, w: np.ndarray | None
) -> PartialSums:
    """Partial sums of every loss over one chunk (float64 arrays, rows in axis 0).

    Rows with a NaN label, prediction or weight are counted in ``rows`` but not used.

    Example:
        >>> from losslab.evaluation import parse_losses
        >>> items = parse_losses(["mae"])
        >>> s = accumulate(items, np.array([0.0, 1.0, 2.0]), np.array([1.0, np.nan, 4.0]), None)
        >>> s.rows, s.used, s.loss_sums
        (3, 2, {'mae': 3.0})
    """
    n = len(p)
    ok = _row_ok(y) & _row_ok(p)
    if w is not None:
        ok &= ~np.isnan(w)
    y, p = y[ok], p[ok]
    w = w[ok] if w is not None else None
    out = PartialSums(rows=n, used=int(ok.sum()))
    out.weight_sum = float(w.sum()) if w is not None else float(out.used)
    out.loss_sums = {it.key: 0.0 for it in items}
    out.binary_sums = {it.key: 0.0 for it in items if uses_binary_label_rule(it.spec)}
    if out.used == 0:
        return out
    y2 = y[:, None] if y.ndim == 1 else y
    p2 = p[:, None] if p.ndim == 1 else p
    binary = bool(np.isin(y2, (0.0, 1.0)).all())
    out.non_binary = not binary
    for it in items:
        t_in = _class_indices(it, y, p2.shape[1]) if label_is_index(it.spec) else y2
        vals = _per_row(it.spec.reference_values(t_in, p2, **it.params), len(p2), it.key)
        weighted = vals * w if w is not None else vals
        if uses_binary_label_rule(it.spec) and binary:
            # the reference converted this all-binary chunk; add a non-binary dummy row to get
            # the unconverted values too (needed if another chunk turns out non-binary)
            t_x = np.concatenate([t_in, np.full((1, t_in.shape[1]), 2.0)])
            p_x = np.concatenate([p2, np.zeros((1, p2.shape[1]))])
            raw = _per_row(it.spec.reference_values(t_x, p_x, **it.params), len(p_x), it.key)[:-1]
            out.binary_sums[it.key] = float(np.sum(weighted))
            out.loss_sums[it.key] = float(np.sum(raw * w if w is not None else raw))
        else:
            out.loss_sums[it.key] = float(np.sum(weighted))
            if uses_binary_label_rule(it.spec):
                out.binary_sums[it.key] = math.nan  # never used: the table is not binary
    return out


def _reduced(total: float, sums: PartialSums, reduction: str, weighted: bool) -> float:
    if reduction == "sum":
        return float(total) if sums.used else 0.0
    if reduction == "mean_with_sample_weight" and weighted:
        return float(total / sums.weight_sum) if sums.weight_sum else 0.0
    return float(total / sums.used) if sums.used else math.nan


def finish(
    items: Sequence[LossItem],
    sums: PartialSums,
    *,
    reduction: str,
    weighted: bool,
    engine: str,
    nan: str,
    methods: Mapping[str, str],
) -> EvaluationResult:
    """Turn accumulated sums into an :class:`EvaluationResult` (both engines end here).

    Raises:
        DataError: no row to evaluate, or rows were dropped for null/NaN inputs and
            ``nan="error"``.

    Example:
        >>> from losslab.evaluation import parse_losses
        >>> items = parse_losses(["mae"])
        >>> s = PartialSums(rows=3, used=2, weight_sum=2.0, loss_sums={"mae": 3.0})
        >>> r = finish(items, s, reduction="sum_over_batch_size", weighted=False,
        ...            engine="local", nan="drop", methods={"mae": "numpy"})
        >>> r.values, r.n_dropped
        ({'mae': 1.5}, 1)
    """
    dropped = sums.rows - sums.used
    if sums.used == 0:
        why = f", all {sums.rows} with a null or NaN input" if sums.rows else ""
        raise DataError(
            f"No rows to evaluate: the table has {sums.rows} rows{why}. Received: an empty "
            "table or empty columns. Pass a table with at least one complete row."
        )
    if nan == "error" and dropped:
        raise DataError(
            f"{dropped} of {sums.rows} rows have a null or NaN label, prediction or weight. "
            "Received: nan='error'. Clean the table or pass nan='drop' (--nan drop) to skip them."
        )
    values: dict[str, float] = {}
    for it in items:
        total = sums.loss_sums.get(it.key, math.nan)
        if uses_binary_label_rule(it.spec) and not sums.non_binary:
            total = sums.binary_sums.get(it.key, math.nan)
        values[it.key] = _reduced(total, sums, reduction, weighted)
    return EvaluationResult(
        values=values,
        n_rows=sums.rows,
        n_used=sums.used,
        n_dropped=dropped,
        reduction=reduction,
        weighted=weighted,
        engine=engine,
        methods=dict(methods),
    )
