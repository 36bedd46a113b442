"""Model/data pairs for `losslab doctor`: broken ones (each with the finding it must raise)
and correct ones (no error or warning allowed).

Every factory returns (model, x, y); models are tiny and untrained (doctor needs only a
forward pass).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import keras
import numpy as np

N, D, K = 256, 5, 4


def _x(seed: int = 0) -> np.ndarray:
    return np.random.default_rng(seed).normal(size=(N, D)).astype("float32")


def _model(units: int, activation: str | None, loss: Any) -> keras.Model:
    keras.utils.set_random_seed(0)
    m = keras.Sequential([keras.Input((D,)), keras.layers.Dense(8, activation="relu"), keras.layers.Dense(units, activation=activation)])
    m.compile(optimizer="adam", loss=loss)
    return m


def _binary_y(seed: int = 1, p: float = 0.4) -> np.ndarray:
    return (np.random.default_rng(seed).uniform(size=N) < p).astype("float32")


def _labels(seed: int = 2) -> np.ndarray:
    return np.random.default_rng(seed).integers(0, K, size=N)


# ---------------------------------------------------------------- broken


def probs_to_logits_loss() -> tuple[Any, np.ndarray, np.ndarray]:
    return _model(1, "sigmoid", keras.losses.BinaryCrossentropy(from_logits=True)), _x(), _binary_y()


def logits_to_prob_loss() -> tuple[Any, np.ndarray, np.ndarray]:
    x = _x() * 20.0  # wide logits
    return _model(K, None, keras.losses.CategoricalCrossentropy()), x, np.eye(K, dtype="float32")[_labels()]


def sigmoid_under_cce() -> tuple[Any, np.ndarray, np.ndarray]:
    return _model(K, "sigmoid", keras.losses.CategoricalCrossentropy()), _x(), np.eye(K, dtype="float32")[_labels()]


def softmax_one_unit() -> tuple[Any, np.ndarray, np.ndarray]:
    return _model(1, "softmax", keras.losses.BinaryCrossentropy()), _x(), _binary_y()


def int_labels_cce() -> tuple[Any, np.ndarray, np.ndarray]:
    return _model(K, "softmax", keras.losses.CategoricalCrossentropy()), _x(), _labels()


def onehot_sparse() -> tuple[Any, np.ndarray, np.ndarray]:
    return _model(K, "softmax", keras.losses.SparseCategoricalCrossentropy()), _x(), np.eye(K, dtype="float32")[_labels()]


def labels_one_based() -> tuple[Any, np.ndarray, np.ndarray]:
    return _model(K, "softmax", "sparse_categorical_crossentropy"), _x(), _labels() + 1


def labels_out_of_range() -> tuple[Any, np.ndarray, np.ndarray]:
    y = _labels()
    y[:5] = 7
    return _model(K, "softmax", keras.losses.SparseCategoricalCrossentropy()), _x(), y


def bce_minus_one() -> tuple[Any, np.ndarray, np.ndarray]:
    return _model(1, "sigmoid", keras.losses.BinaryCrossentropy()), _x(), _binary_y() * 2 - 1


def house_prices() -> tuple[Any, np.ndarray, np.ndarray]:
    y = np.random.default_rng(3).lognormal(12, 0.4, size=N).astype("float32")  # ~ 160 000
    return _model(1, None, "mse"), _x(), y


def imbalanced() -> tuple[Any, np.ndarray, np.ndarray]:
    return _model(1, "sigmoid", keras.losses.BinaryCrossentropy()), _x(), _binary_y(p=0.03)


def nan_features() -> tuple[Any, np.ndarray, np.ndarray]:
    x = _x()
    x[3, 2] = np.nan
    x[10, 0] = np.inf
    return _model(1, None, "mse"), x, np.random.default_rng(4).normal(size=N).astype("float32")


def nan_target() -> tuple[Any, np.ndarray, np.ndarray]:
    y = np.random.default_rng(4).normal(size=N).astype("float32")
    y[7] = np.nan
    return _model(1, None, "mse"), _x(), y


def shape_mismatch() -> tuple[Any, np.ndarray, np.ndarray]:
    y = np.random.default_rng(4).normal(size=(N, 3)).astype("float32")
    return _model(1, None, "mse"), _x(), y


BROKEN: dict[str, tuple[Callable[[], tuple[Any, np.ndarray, np.ndarray]], str, str]] = {
    # name: (factory, finding code, severity)
    "probs_to_logits_loss": (probs_to_logits_loss, "probabilities_to_logits_loss", "error"),
    "logits_to_prob_loss": (logits_to_prob_loss, "logits_to_probability_loss", "error"),
    "sigmoid_under_cce": (sigmoid_under_cce, "sigmoid_under_categorical", "error"),
    "softmax_one_unit": (softmax_one_unit, "softmax_single_unit", "error"),
    "int_labels_cce": (int_labels_cce, "integer_labels_categorical", "error"),
    "onehot_sparse": (onehot_sparse, "onehot_labels_sparse", "error"),
    "labels_one_based": (labels_one_based, "labels_one_based", "error"),
    "labels_out_of_range": (labels_out_of_range, "labels_out_of_range", "error"),
    "bce_minus_one": (bce_minus_one, "bce_targets_out_of_range", "error"),
    "house_prices": (house_prices, "target_scale", "warning"),
    "imbalanced": (imbalanced, "class_imbalance", "warning"),
    "nan_features": (nan_features, "non_finite_features", "error"),
    "nan_target": (nan_target, "non_finite_target", "error"),
    "shape_mismatch": (shape_mismatch, "shape_mismatch", "error"),
}

# ---------------------------------------------------------------- correct


def good_binary_probs() -> tuple[Any, np.ndarray, np.ndarray]:
    return _model(1, "sigmoid", keras.losses.BinaryCrossentropy()), _x(), _binary_y()


def good_binary_logits() -> tuple[Any, np.ndarray, np.ndarray]:
    return _model(1, None, keras.losses.BinaryCrossentropy(from_logits=True)), _x() * 5, _binary_y()


def good_sparse_logits() -> tuple[Any, np.ndarray, np.ndarray]:
    return _model(K, None, keras.losses.SparseCategoricalCrossentropy(from_logits=True)), _x(), _labels()


def good_onehot_softmax() -> tuple[Any, np.ndarray, np.ndarray]:
    return _model(K, "softmax", "categorical_crossentropy"), _x(), np.eye(K, dtype="float32")[_labels()]


def good_regression() -> tuple[Any, np.ndarray, np.ndarray]:
    y = np.random.default_rng(5).normal(3.0, 2.0, size=N).astype("float32")
    return _model(1, None, "mse"), _x(), y


def good_multilabel() -> tuple[Any, np.ndarray, np.ndarray]:
    y = (np.random.default_rng(6).uniform(size=(N, K)) < 0.5).astype("float32")
    return _model(K, "sigmoid", keras.losses.BinaryCrossentropy()), _x(), y


def good_catalog_huber() -> tuple[Any, np.ndarray, np.ndarray]:
    import losslab

    y = np.random.default_rng(5).normal(size=N).astype("float32")
    return _model(1, None, losslab.get("huber", delta=2.0)), _x(), y


GOOD: dict[str, Callable[[], tuple[Any, np.ndarray, np.ndarray]]] = {
    "good_binary_probs": good_binary_probs,
    "good_binary_logits": good_binary_logits,
    "good_sparse_logits": good_sparse_logits,
    "good_onehot_softmax": good_onehot_softmax,
    "good_regression": good_regression,
    "good_multilabel": good_multilabel,
    "good_catalog_huber": good_catalog_huber,
}


def factory_probs_to_logits() -> keras.Model:
    """A `module:factory` for the CLI tests."""
    return probs_to_logits_loss()[0]


def factory_good_binary() -> keras.Model:
    return good_binary_probs()[0]


def not_a_model() -> str:
    return "not a model"
