"""Keras 3.15.1 defects, documented and repaired.

For each defect: the raw Keras class shows it (so this file fails loudly the day Keras fixes
it and losslab's repair can go), and what ``losslab.get`` returns keeps its hyperparameters
through a real ``.keras`` save/load and means what its documentation says. Expected values
come from the NumPy oracles (written from the formulas) and from hand computations in the
comments.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest

import losslab
from losslab.catalog import get_spec
from tests.catalog._helpers import to_numpy


def _save_and_reload(loss: Any, input_shape: tuple[int, ...], tmp_path: Path) -> Any:
    """Compile a weightless identity model with ``loss``, save it as .keras, load it back and
    return the reloaded model's loss object."""
    import keras

    model = keras.Sequential([keras.Input(shape=input_shape), keras.layers.Identity()])
    model.compile(optimizer="sgd", loss=loss)
    path = tmp_path / "model.keras"
    model.save(path)
    return keras.saving.load_model(path).loss


# ----------------------------------------------------------------------------- Huber.delta
def test_raw_keras_huber_forgets_delta(tmp_path):
    import keras

    raw = keras.losses.Huber(delta=2.0)
    assert "delta" not in raw.get_config()
    reloaded = _save_and_reload(raw, (3,), tmp_path)
    y_true = np.zeros((1, 3), dtype="float32")
    y_pred = np.full((1, 3), 3.0, dtype="float32")
    # error 3: delta=2 gives 2*3 - 0.5*4 = 4.0; delta=1 (what reloads) gives 3 - 0.5 = 2.5
    assert float(to_numpy(raw(y_true, y_pred))) == pytest.approx(4.0)
    assert float(to_numpy(reloaded(y_true, y_pred))) == pytest.approx(2.5)


def test_losslab_huber_keeps_delta_through_save_load(tmp_path):
    loss = losslab.get("huber", delta=2.0)
    reloaded = _save_and_reload(loss, (3,), tmp_path)
    assert reloaded.get_config()["delta"] == 2.0
    y_true = np.zeros((1, 3), dtype="float32")
    y_pred = np.full((1, 3), 3.0, dtype="float32")
    assert float(to_numpy(reloaded(y_true, y_pred))) == pytest.approx(4.0)


# ----------------------------------------------------------------------------- axis
def _cosine_inputs() -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(0)
    return rng.normal(size=(4, 3, 5)).astype("float32"), rng.normal(size=(4, 3, 5)).astype(
        "float32"
    )


def test_raw_keras_cosine_similarity_forgets_axis(tmp_path):
    import keras

    raw = keras.losses.CosineSimilarity(axis=1, reduction=None)
    assert "axis" not in raw.get_config()
    y_true, y_pred = _cosine_inputs()
    reloaded = _save_and_reload(raw, (3, 5), tmp_path)
    oracle = get_spec("cosine_similarity").oracle()
    np.testing.assert_allclose(
        to_numpy(raw(y_true, y_pred)), oracle(y_true, y_pred, axis=1), rtol=1e-5, atol=1e-6
    )
    # reloaded with axis=-1: a different shape of result altogether
    assert to_numpy(reloaded(y_true, y_pred)).shape == (4, 3)


def test_losslab_cosine_similarity_keeps_axis_through_save_load(tmp_path):
    y_true, y_pred = _cosine_inputs()
    reloaded = _save_and_reload(
        losslab.get("cosine_similarity", axis=1, reduction=None), (3, 5), tmp_path
    )
    assert reloaded.get_config()["axis"] == 1
    expected = get_spec("cosine_similarity").oracle()(y_true, y_pred, axis=1)
    np.testing.assert_allclose(to_numpy(reloaded(y_true, y_pred)), expected, rtol=1e-5, atol=1e-6)


def _channels_first_inputs() -> tuple[np.ndarray, np.ndarray]:
    """Labels (N, T) and class scores (N, K, T): the class axis is 1."""
    rng = np.random.default_rng(1)
    labels = rng.integers(0, 4, size=(3, 5)).astype("int32")
    z = rng.normal(size=(3, 4, 5))
    p = np.exp(z) / np.exp(z).sum(axis=1, keepdims=True)
    return labels, p.astype("float32")


def test_raw_keras_sparse_categorical_crossentropy_forgets_axis(tmp_path):
    import keras

    raw = keras.losses.SparseCategoricalCrossentropy(axis=1)
    assert "axis" not in raw.get_config()
    reloaded = _save_and_reload(raw, (4, 5), tmp_path)
    assert reloaded._fn_kwargs["axis"] == -1  # the class axis fell back to the last one


def test_losslab_sparse_categorical_crossentropy_keeps_axis_through_save_load(tmp_path):
    labels, probs = _channels_first_inputs()
    reloaded = _save_and_reload(losslab.get("scce", axis=1, reduction=None), (4, 5), tmp_path)
    assert reloaded.get_config()["axis"] == 1
    # independent formula: -log p[label] along axis 1
    expected = -np.log(
        np.take_along_axis(probs.astype(np.float64), labels[:, None, :], axis=1)[:, 0, :]
    )
    np.testing.assert_allclose(to_numpy(reloaded(labels, probs)), expected, rtol=1e-5, atol=1e-6)


# ----------------------------------------------------------------------------- Tversky
# One pixel TP (t=1, p=1) and one FP (t=0, p=1), no FN. Documented Tversky:
# 1 - TP / (TP + alpha FP + beta FN) = 1 - 1 / (1 + alpha).
_T = np.array([[1.0, 0.0]], dtype="float32")
_P = np.array([[1.0, 1.0]], dtype="float32")


def test_raw_keras_tversky_swaps_alpha_and_beta():
    import keras

    from losslab.losses.keras_builtins import keras_tversky_swaps_alpha_beta

    # alpha=1 should charge the false positive fully: 1 - 1/2 = 0.5. Keras 3.15.1 gives 0.
    assert float(to_numpy(keras.losses.Tversky(alpha=1.0, beta=0.0)(_T, _P))) == pytest.approx(
        0.0, abs=1e-6
    )
    assert float(to_numpy(keras.losses.Tversky(alpha=0.0, beta=1.0)(_T, _P))) == pytest.approx(
        0.5, abs=1e-6
    )
    assert keras_tversky_swaps_alpha_beta()


def test_losslab_tversky_means_what_its_documentation_says(tmp_path):
    loss = losslab.get("tversky", alpha=1.0, beta=0.0)
    assert float(to_numpy(loss(_T, _P))) == pytest.approx(0.5, abs=1e-6)
    assert float(to_numpy(losslab.get("tversky", alpha=0.0, beta=1.0)(_T, _P))) == pytest.approx(
        0.0, abs=1e-6
    )
    reloaded = _save_and_reload(losslab.get("tversky", alpha=0.3, beta=0.7), (2,), tmp_path)
    assert (reloaded.get_config()["alpha"], reloaded.get_config()["beta"]) == (0.3, 0.7)
    # 1 - 1 / (1 + 0.3) = 0.230769...
    assert float(to_numpy(reloaded(_T, _P))) == pytest.approx(1 - 1 / 1.3, abs=1e-6)


# ----------------------------------------------------------------------------- GCE by name
def test_raw_keras_cannot_find_generalized_cross_entropy_by_name():
    import keras

    with pytest.raises(ValueError, match="Could not interpret loss identifier"):
        keras.losses.get("CategoricalGeneralizedCrossEntropy")


def test_losslab_finds_generalized_cross_entropy_and_it_reloads(tmp_path):
    from losslab.losses.keras_builtins import CategoricalGeneralizedCrossEntropy

    loss = losslab.get("CategoricalGeneralizedCrossEntropy", q=0.3)
    assert isinstance(loss, CategoricalGeneralizedCrossEntropy)
    assert losslab.get("gce").get_config()["q"] == 0.5
    reloaded = _save_and_reload(loss, (2,), tmp_path)
    assert type(reloaded) is CategoricalGeneralizedCrossEntropy
    assert reloaded.get_config()["q"] == 0.3
    y = np.array([0, 1], dtype="int32")
    p = np.array([[0.7, 0.3], [0.2, 0.8]], dtype="float32")
    # mean((1 - 0.7^0.3) / 0.3, (1 - 0.8^0.3) / 0.3)
    expected = np.mean([(1 - 0.7**0.3) / 0.3, (1 - 0.8**0.3) / 0.3])
    assert float(to_numpy(reloaded(y, p))) == pytest.approx(expected, rel=1e-5)
