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

from losslab.losses._base import register_loss_class

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
    """``keras.losses.CosineSimilarity`` whose ``get_config`` keeps ``axis``."""

    def __init__(
        self,
        axis: int = -1,
        reduction: str | None = "sum_over_batch_size",
        name: str = "cosine_similarity",
        dtype: Any = None,
    ) -> None:
        super().__init__(axis=axis, reduction=reduction, name=name, dtype=dtype)
        self.axis = axis

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "axis": self.axis}


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
    ``losslab>CategoricalGeneralizedCrossEntropy`` so models using it reload by that name."""
