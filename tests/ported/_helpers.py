"""Helpers shared by the ported conformance tests: evaluate a losslab loss through the
public API, and compare with a source's expected value at the source's tolerance."""

from __future__ import annotations

from typing import Any

import numpy as np

import losslab

# Keras's ``TestCase.assertAlmostEqual`` default (keras/src/testing/test_case.py):
# numpy.testing.assert_almost_equal(decimal=3), i.e. |actual - desired| < 1.5 * 10**-3.
KERAS_DECIMAL = 3


def to_numpy(x: Any) -> np.ndarray:
    import keras

    return np.asarray(keras.ops.convert_to_numpy(x), dtype=np.float64)


def loss_value(
    name: str,
    y_true: Any,
    y_pred: Any,
    *,
    sample_weight: Any = None,
    reduction: str | None = "sum_over_batch_size",
    **params: Any,
) -> np.ndarray:
    """``losslab.get(name, reduction=..., **params)(y_true, y_pred, sample_weight)`` as NumPy."""
    loss = losslab.get(name, reduction=reduction, **params)
    y_pred = np.asarray(y_pred, dtype=np.float32)
    if sample_weight is not None and not np.isscalar(sample_weight):
        sample_weight = np.asarray(sample_weight, dtype=np.float32)
    return to_numpy(loss(y_true, y_pred, sample_weight=sample_weight))


def reference_values(name: str, y_true: Any, y_pred: Any, **params: Any) -> np.ndarray:
    """Per-sample values of the catalog entry's NumPy reference (``spec.reference_values``)."""
    return np.asarray(losslab.get_spec(name).reference_values(y_true, y_pred, **params))


def assert_almost_equal(
    actual: Any, desired: Any, decimal: int = KERAS_DECIMAL, msg: str = ""
) -> None:
    """numpy's assert_almost_equal (what Keras's and TFA's assertAlmostEqual call)."""
    np.testing.assert_almost_equal(
        np.asarray(actual), np.asarray(desired), decimal=decimal, err_msg=msg
    )


def assert_allclose(
    actual: Any, desired: Any, atol: float = 1e-6, rtol: float = 1e-6, msg: str = ""
) -> None:
    np.testing.assert_allclose(
        np.asarray(actual, np.float64),
        np.asarray(desired, np.float64),
        atol=atol,
        rtol=rtol,
        err_msg=msg,
    )


def gradient(name: str, y_true: Any, y_pred: np.ndarray, **params: Any) -> tuple[float, np.ndarray]:
    """Value and gradient of ``losslab.get(name, reduction='sum', **params)`` w.r.t. y_pred."""
    from tests.catalog._helpers import loss_gradient

    return loss_gradient(
        losslab.get(name, reduction="sum", **params), y_true, np.asarray(y_pred, np.float32)
    )
