"""Keras 3 built-in losses with their known defects repaired.

losslab returns Keras's own classes where they behave; where Keras 3.15 misbehaves, a
subclass registered as ``losslab>Name`` fixes it, so what :func:`losslab.get` returns both
means what its documentation says and survives a ``.keras`` save/load round trip:

- ``Huber`` forgets ``delta`` in ``get_config`` (reloads with delta=1.0).
- ``CosineSimilarity`` and ``SparseCategoricalCrossentropy`` forget ``axis``; the JAX and
  PyTorch backends of ``SparseCategoricalCrossentropy`` also reject a class axis other than
  the last one, so losslab's moves it last first.
- ``Tversky`` weights false negatives by ``alpha`` and false positives by ``beta`` in
  Keras 3.15.1, the opposite of its documentation and of Salehi et al. (2017). The fix is
  detected by behaviour once, so a Keras release that repairs it is not "fixed" twice.
- ``CategoricalGeneralizedCrossEntropy`` is missing from Keras's name table, so
  ``keras.losses.get("CategoricalGeneralizedCrossEntropy")`` and
  ``model.compile(loss="CategoricalGeneralizedCrossEntropy")`` fail. ``losslab.get`` finds it
  by that name (and by ``gce``), and the registered subclass reloads from a ``.keras`` file.
"""

from __future__ import annotations

import functools
from typing import Any

import keras
import numpy as np
from keras import ops

from losslab.losses._base import align_ranks, register_loss_class

__all__ = [
    "CategoricalGeneralizedCrossEntropy",
    "CosineSimilarity",
    "Huber",
    "SparseCategoricalCrossentropy",
    "Tversky",
    "keras_tversky_swaps_alpha_beta",
]


@register_loss_class
class Huber(keras.losses.Huber):
    """``keras.losses.Huber`` whose ``get_config`` keeps ``delta``."""

    def __init__(
        self,
        delta: float = 1.0,
        reduction: str | None = "sum_over_batch_size",
        name: str = "huber_loss",
        dtype: Any = None,
    ) -> None:
        super().__init__(delta=delta, reduction=reduction, name=name, dtype=dtype)
        self.delta = delta

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "delta": self.delta}


@register_loss_class
class CosineSimilarity(keras.losses.CosineSimilarity):
    """``keras.losses.CosineSimilarity`` whose ``get_config`` keeps ``axis`` and whose gradient
    stays finite at an all-zero prediction (Keras 3.15 gives NaN there)."""

    def __init__(
        self,
        axis: int = -1,
        reduction: str | None = "sum_over_batch_size",
        name: str = "cosine_similarity",
        dtype: Any = None,
    ) -> None:
        super().__init__(axis=axis, reduction=reduction, name=name, dtype=dtype)
        self.fn = cosine_similarity
        self.axis = axis

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "axis": self.axis}


def _l2_normalize(x: Any, axis: int) -> Any:
    # Same values as keras.ops.normalize (``x * min(rsqrt(sum x^2), 1/eps)``), but the
    # clamp sits inside the rsqrt, so an all-zero vector gets a finite gradient instead of
    # Keras 3.15's NaN (rsqrt'(0) = inf times 0).
    eps = keras.backend.epsilon()
    square_sum = ops.sum(ops.square(x), axis=axis, keepdims=True)
    return x * ops.rsqrt(ops.maximum(square_sum, eps * eps))


def cosine_similarity(y_true: Any, y_pred: Any, axis: int = -1) -> Any:
    """``-sum(l2_normalize(y_true) * l2_normalize(y_pred), axis)``, Keras's values with a
    finite gradient at an all-zero prediction."""
    y_pred = ops.convert_to_tensor(y_pred)
    y_true = ops.convert_to_tensor(y_true, dtype=y_pred.dtype)
    y_true, y_pred = align_ranks(y_true, y_pred)
    return -ops.sum(_l2_normalize(y_true, axis) * _l2_normalize(y_pred, axis), axis=axis)


def categorical_generalized_cross_entropy(y_true: Any, y_pred: Any, q: float) -> Any:
    """``(1 - max(p, eps)^q) / q`` with ``p`` the probability of the true class: Keras's
    formula with ``p`` clipped at ``eps = 1e-7``, so the gradient ``p^(q-1)`` stays finite at
    ``p = 0`` (Keras 3.15 returns inf there)."""
    y_pred = ops.convert_to_tensor(y_pred)
    labels = ops.cast(y_true, "int32")
    if len(labels.shape) == len(y_pred.shape) and labels.shape[-1] == 1:
        labels = ops.squeeze(labels, -1)
    one_hot = ops.one_hot(labels, ops.shape(y_pred)[-1], dtype=y_pred.dtype)
    p = ops.maximum(ops.sum(y_pred * one_hot, axis=-1), keras.backend.epsilon())
    return (1.0 - ops.power(p, q)) / q


@register_loss_class
class SparseCategoricalCrossentropy(keras.losses.SparseCategoricalCrossentropy):
    """``keras.losses.SparseCategoricalCrossentropy`` whose ``get_config`` keeps ``axis``, and
    whose ``axis`` works on every backend: Keras 3.15's JAX and PyTorch backends require the
    class axis to be the last one, so a different class axis is moved there first."""

    def __init__(
        self,
        from_logits: bool = False,
        ignore_class: int | None = None,
        axis: int = -1,
        reduction: str | None = "sum_over_batch_size",
        name: str = "sparse_categorical_crossentropy",
        dtype: Any = None,
    ) -> None:
        super().__init__(
            from_logits=from_logits,
            ignore_class=ignore_class,
            axis=axis,
            reduction=reduction,
            name=name,
            dtype=dtype,
        )
        self.axis = axis

    def call(self, y_true: Any, y_pred: Any) -> Any:
        rank = len(y_pred.shape)
        if self.axis % rank == rank - 1:
            return super().call(y_true, y_pred)
        if len(y_true.shape) == rank and y_true.shape[self.axis] == 1:
            y_true = keras.ops.squeeze(y_true, axis=self.axis)
        return keras.losses.sparse_categorical_crossentropy(
            y_true,
            keras.ops.moveaxis(y_pred, self.axis, -1),
            from_logits=self._fn_kwargs["from_logits"],
            ignore_class=self._fn_kwargs["ignore_class"],
            axis=-1,
        )

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "axis": self.axis}


@functools.cache
def keras_tversky_swaps_alpha_beta() -> bool:
    """True when the installed Keras weights false negatives by ``alpha`` (3.15.1 does).

    Measured once on a case with one false positive and no false negative: with the
    documented definition, alpha=1, beta=0 gives a loss of 0.5; swapped, 0.
    """
    y_true = np.array([[1.0, 0.0]], dtype="float32")
    y_pred = np.array([[1.0, 1.0]], dtype="float32")  # TP=1, FP=1, FN=0
    value = float(
        keras.ops.convert_to_numpy(keras.losses.tversky(y_true, y_pred, alpha=1.0, beta=0.0))
    )
    return value < 0.25


@register_loss_class
class Tversky(keras.losses.Tversky):
    """Tversky loss with the documented meaning: ``alpha`` weights false positives and
    ``beta`` false negatives, ``1 - TP / (TP + alpha*FP + beta*FN + eps)``."""

    def __init__(
        self,
        alpha: float = 0.5,
        beta: float = 0.5,
        reduction: str | None = "sum_over_batch_size",
        name: str = "tversky",
        axis: int | list[int] | None = None,
        dtype: Any = None,
    ) -> None:
        a, b = (beta, alpha) if keras_tversky_swaps_alpha_beta() else (alpha, beta)
        super().__init__(alpha=a, beta=b, reduction=reduction, name=name, axis=axis, dtype=dtype)
        self.alpha = alpha
        self.beta = beta

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "alpha": self.alpha, "beta": self.beta}


@register_loss_class
class CategoricalGeneralizedCrossEntropy(keras.losses.CategoricalGeneralizedCrossEntropy):
    """``keras.losses.CategoricalGeneralizedCrossEntropy``, registered as
    ``losslab>CategoricalGeneralizedCrossEntropy`` so models using it reload by that name,
    with the true-class probability clipped at ``eps`` so its gradient stays finite at 0."""

    def __init__(
        self,
        q: float = 0.5,
        reduction: str | None = "sum_over_batch_size",
        name: str = "categorical_generalized_cross_entropy",
        dtype: Any = None,
    ) -> None:
        super().__init__(q=q, reduction=reduction, name=name, dtype=dtype)
        self.fn = categorical_generalized_cross_entropy

