"""Arrow columns as float64 NumPy arrays: ``(n,)`` for numbers, ``(n, K)`` for list columns."""

from __future__ import annotations

from typing import Any

import numpy as np

from losslab.errors import DataError

__all__ = ["arrow_column_to_numpy"]


def arrow_column_to_numpy(col: Any, name: str) -> np.ndarray:
    """A pyarrow column as float64: ``(n,)`` for numbers, ``(n, K)`` for list columns.

    Nulls become NaN (a null list becomes a row of NaN).

    Raises:
        DataError: a ragged list column, or a column that is not numeric.

    Example:
        >>> import pyarrow as pa
        >>> arrow_column_to_numpy(pa.array([1, None, 3]), "y")
        array([ 1., nan,  3.])
        >>> arrow_column_to_numpy(pa.array([[0.2, 0.8], None]), "p")
        array([[0.2, 0.8],
               [nan, nan]])
    """
    import pyarrow as pa
    import pyarrow.compute as pc

    if isinstance(col, pa.ChunkedArray):
        col = col.combine_chunks()
    t = col.type
    if pa.types.is_list(t) or pa.types.is_large_list(t) or pa.types.is_fixed_size_list(t):
        n = len(col)
        valid = np.asarray(col.is_valid().to_numpy(zero_copy_only=False), dtype=bool)
        lengths = pc.list_value_length(col).fill_null(0).to_numpy(zero_copy_only=False)
        k = int(lengths[valid].max()) if valid.any() else 0
        if valid.any() and (lengths[valid] != k).any():
            raise DataError(
                f"Column {name!r} holds arrays of different lengths "
                f"({sorted(set(lengths[valid].tolist()))[:5]}). Received: a ragged list column. "
                "Every row must have the same number of elements (one per class or output)."
            )
        flat = pc.list_flatten(col).cast(pa.float64()).to_numpy(zero_copy_only=False)
        out = np.full((n, k), np.nan)
        out[valid] = np.asarray(flat, dtype=np.float64).reshape(-1, k) if k else out[valid]
        return out
    if (
        pa.types.is_integer(t)
        or pa.types.is_floating(t)
        or pa.types.is_boolean(t)
        or pa.types.is_decimal(t)
    ):
        return np.asarray(col.cast(pa.float64()).to_numpy(zero_copy_only=False), dtype=np.float64)
    raise DataError(
        f"Column {name!r} must be numeric or an array of numbers. Received: type {t}. "
        "Convert it (e.g. encode class names as integers) before evaluating."
    )
