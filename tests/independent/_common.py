"""Helpers shared by the independent-reference tests: call a catalog loss the way a user
does (``losslab.get(name, reduction=None, **params)``) and read the result as float64."""

from __future__ import annotations

from typing import Any

import numpy as np

import losslab


def per_sample(name: str, y_true: Any, y_pred: Any, **params: Any) -> np.ndarray:
    """The loss's unreduced values as a flat float64 array (one value per sample, or the
    single per-batch value)."""
    import keras

    loss = losslab.get(name, reduction=None, **params)
    out = loss(y_true, y_pred)
    return np.ravel(np.asarray(keras.ops.convert_to_numpy(out), dtype=np.float64))
