"""Keras 3 reduction semantics in NumPy float64."""

from __future__ import annotations

from typing import Any

import numpy as np

__all__ = ["REDUCTIONS", "as_f64", "reduce"]

REDUCTIONS = ("sum_over_batch_size", "sum", "mean", "mean_with_sample_weight", "none", None)

EPSILON = 1e-7  # keras.backend.epsilon()


def as_f64(x: Any) -> np.ndarray:
    return np.asarray(x, dtype=np.float64)


def reduce(
    values: Any,
    sample_weight: Any = None,
    reduction: str | None = "sum_over_batch_size",
    mask: Any = None,
) -> np.ndarray:
    """Weight and reduce per-sample ``values`` exactly as ``keras.losses.Loss.__call__`` does.

    - weights are broadcast after squeezing/expanding a trailing axis of size 1;
    - ``sum``: sum of weighted values; ``sum_over_batch_size`` and ``mean``: that sum divided
      by the *number of values* (not the sum of weights); ``mean_with_sample_weight``:
      divided by the sum of the weights; ``none``/``None``: the weighted values.
    - ``mask`` (booleans, the shape of ``values``): entries a loss masks out (Keras's
      ``set_keras_mask``, e.g. Circle's empty anchors, ``ignore_class``). For ``mean`` and
      ``sum_over_batch_size`` the sum is then divided by the number of unmasked values;
      otherwise masked entries just get weight 0.
    """
    if reduction not in REDUCTIONS:
        raise ValueError(
            f"Invalid value for argument `reduction`. Expected one of {REDUCTIONS}. "
            f"Received: reduction={reduction!r}"
        )
    v = as_f64(values)
    if mask is not None:
        m = np.asarray(mask, dtype=bool)
        if reduction in ("mean", "sum_over_batch_size"):
            valid = float(m.sum())
            float_mask = np.where(m, 0.0 if valid == 0 else m.size / valid, 0.0)
        else:
            float_mask = m.astype(np.float64)
        if sample_weight is None:
            sample_weight = float_mask
        else:
            sw = as_f64(sample_weight)
            if sw.ndim == float_mask.ndim + 1 and sw.shape[-1] == 1:
                sw = sw[..., 0]
            sample_weight = sw * float_mask
    w = None
    if sample_weight is not None:
        w = as_f64(sample_weight)
        if w.ndim == v.ndim + 1 and w.shape[-1] == 1:
            w = w[..., 0]
        elif v.ndim == w.ndim + 1 and v.shape[-1] == 1:
            v = v[..., 0]
        v = v * w
    if reduction in (None, "none") or v.ndim == 0 or v.shape == (0,):
        return v
    total = v.sum()
    if reduction == "sum":
        return np.asarray(total)
    denom = w.sum() if reduction == "mean_with_sample_weight" and w is not None else float(v.size)
    return np.asarray(0.0 if denom == 0 else total / denom)
