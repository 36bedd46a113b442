"""The repaired Keras built-in classes, registered as ``losslab>ClassName`` so saved models
reload: each is Keras's class with its defect fixed (see the package docstring)."""

from __future__ import annotations

import functools
from typing import Any

import keras
import numpy as np

from losslab.losses._base import register_loss_class
from losslab.losses.keras_builtins._functions import (
    binary_focal_crossentropy,
    categorical_crossentropy,
    categorical_focal_crossentropy,
    categorical_generalized_cross_entropy,
    circle,
    cosine_similarity,
)

__all__ = [
    "BinaryFocalCrossentropy",
    "CategoricalCrossentropy",
    "CategoricalFocalCrossentropy",
    "CategoricalGeneralizedCrossEntropy",
    "Circle",
    "CosineSimilarity",
    "Huber",
    "SparseCategoricalCrossentropy",
    "Tversky",
    "keras_tversky_swaps_alpha_beta",
]


def computes_with(fn: Any) -> Any:
    """Class decorator: Keras's own constructor (its signature, defaults and config kept, so
    nothing is restated here), then ``fn`` as the per-sample function Keras's wrapper calls."""

    def decorate(cls: type) -> type:
        parent_init = cls.__mro__[1].__init__

        @functools.wraps(parent_init)
        def __init__(self: Any, *args: Any, **kwargs: Any) -> None:
            parent_init(self, *args, **kwargs)
            self.fn = fn

        cls.__init__ = __init__  # type: ignore[misc]
        return cls

    return decorate


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
@computes_with(categorical_generalized_cross_entropy)
class CategoricalGeneralizedCrossEntropy(keras.losses.CategoricalGeneralizedCrossEntropy):
    """``keras.losses.CategoricalGeneralizedCrossEntropy``, registered as
    ``losslab>CategoricalGeneralizedCrossEntropy`` so models using it reload by that name,
    with a value exact at small q and p = 0 and a finite gradient at p = 0."""


@register_loss_class
@computes_with(categorical_crossentropy)
class CategoricalCrossentropy(keras.losses.CategoricalCrossentropy):
    """``keras.losses.CategoricalCrossentropy`` smoothing labels over the class ``axis``."""


@register_loss_class
@computes_with(categorical_focal_crossentropy)
class CategoricalFocalCrossentropy(keras.losses.CategoricalFocalCrossentropy):
    """``keras.losses.CategoricalFocalCrossentropy`` smoothing labels over the class ``axis``."""


@register_loss_class
@computes_with(binary_focal_crossentropy)
class BinaryFocalCrossentropy(keras.losses.BinaryFocalCrossentropy):
    """``keras.losses.BinaryFocalCrossentropy`` computed in log space from logits."""


def _as_list(x: Any) -> Any:
    return None if x is None else np.asarray(x).tolist()


@register_loss_class
class Circle(keras.losses.Circle):
    """``keras.losses.Circle`` that also takes Keras's function arguments ``ref_labels`` and
    ``ref_embeddings``: each anchor is compared with that fixed reference set instead of the
    batch (``None``, the default, uses the batch as Keras's class does)."""

    def __init__(
        self,
        gamma: float = 80.0,
        margin: float = 0.4,
        remove_diagonal: bool = True,
        ref_labels: Any = None,
        ref_embeddings: Any = None,
        reduction: str | None = "sum_over_batch_size",
        name: str = "circle",
        dtype: Any = None,
    ) -> None:
        super().__init__(
            gamma=gamma,
            margin=margin,
            remove_diagonal=remove_diagonal,
            reduction=reduction,
            name=name,
            dtype=dtype,
        )
        self.fn = circle
        self.ref_labels = _as_list(ref_labels)
        self.ref_embeddings = _as_list(ref_embeddings)
        self._fn_kwargs.update(ref_labels=self.ref_labels, ref_embeddings=self.ref_embeddings)

    def get_config(self) -> dict[str, Any]:
        return {
            **super().get_config(),
            "ref_labels": self.ref_labels,
            "ref_embeddings": self.ref_embeddings,
        }
