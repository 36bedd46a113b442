"""The thin Keras ``Loss`` base class shared by every losslab loss.

A losslab loss is a pure ``keras.ops`` function returning one value per sample plus a thin
class that stores hyperparameters. The class holds no logic beyond:

- validating hyperparameters (through :mod:`losslab._params`, the one shared place),
- aligning the ranks of ``y_true`` and ``y_pred`` the way Keras's own wrappers do, so a
  ``(N,)`` target against an ``(N, 1)`` output never broadcasts into ``(N, N)``,
- computing half-precision inputs in float32,
- returning every hyperparameter from ``get_config`` so a saved model loads back intact.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any, ClassVar

import keras
from keras import ops

from losslab._params import Param, validate_all

__all__ = ["LosslabLoss", "align_ranks", "compute_dtype", "register_loss_class"]


def _snake(name: str) -> str:
    return re.sub(r"(?<!^)(?=[A-Z])", "_", name).lower()


def compute_dtype(x: Any) -> str:
    """float32 for half-precision or integer inputs, else the input's float dtype."""
    dt = keras.backend.standardize_dtype(getattr(x, "dtype", "float32"))
    if dt in ("float16", "bfloat16") or not dt.startswith("float"):
        return "float32"
    return dt


def align_ranks(y_true: Any, y_pred: Any) -> tuple[Any, Any]:
    """Squeeze or expand a trailing axis of size 1 so both tensors have the same rank.

    ``(N,)`` against ``(N, 1)`` becomes ``(N, 1)`` against ``(N, 1)``: the silent
    ``(N, N)`` broadcast that a naive custom loss falls into cannot happen.
    """
    r_t, r_p = len(y_true.shape), len(y_pred.shape)
    if r_t == r_p:
        return y_true, y_pred
    if r_t == r_p + 1 and y_true.shape[-1] == 1:
        return (ops.squeeze(y_true, -1), y_pred) if r_p > 1 else (y_true, ops.expand_dims(y_pred, -1))
    if r_p == r_t + 1 and y_pred.shape[-1] == 1:
        return (y_true, ops.squeeze(y_pred, -1)) if r_t > 1 else (ops.expand_dims(y_true, -1), y_pred)
    return y_true, y_pred


def register_loss_class(cls: type) -> type:
    """Register a class for ``.keras`` loading as ``losslab>ClassName``."""
    return keras.saving.register_keras_serializable(package="losslab", name=cls.__name__)(cls)


class LosslabLoss(keras.losses.Loss):
    """Base class: ``call`` runs ``fn(y_true, y_pred, **params)``.

    Subclasses set ``fn`` (the pure per-sample function) and ``PARAMS`` (the
    hyperparameter declarations), and define an explicit keyword-only ``__init__`` that
    forwards its hyperparameters to ``super().__init__``.

    Set ``align = False`` for losses whose y_true and y_pred have different ranks by design
    (integer labels against class scores, labels against embeddings).
    """

    fn: ClassVar[Callable[..., Any]]
    PARAMS: ClassVar[tuple[Param, ...]] = ()
    align: ClassVar[bool] = True

    def __init__(
        self,
        *,
        reduction: str | None = "sum_over_batch_size",
        name: str | None = None,
        dtype: Any = None,
        **params: Any,
    ) -> None:
        full = validate_all(type(self).__name__, self.PARAMS, params)
        super().__init__(name=name or _snake(type(self).__name__), reduction=reduction, dtype=dtype)
        self._params = full

    @property
    def params(self) -> dict[str, Any]:
        """The hyperparameters (a copy)."""
        return dict(self._params)

    def call(self, y_true: Any, y_pred: Any) -> Any:
        if self.align:
            y_true, y_pred = align_ranks(y_true, y_pred)
        return type(self).fn(y_true, y_pred, **self._params)

    def get_config(self) -> dict[str, Any]:
        config = super().get_config()
        config.update({k: (list(v) if isinstance(v, tuple) else v) for k, v in self._params.items()})
        config["dtype"] = None if self._dtype_policy is None else self._dtype_policy.name
        return config

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> LosslabLoss:
        config = dict(config)
        return cls(**config)

    def __repr__(self) -> str:
        args = ", ".join(f"{k}={v!r}" for k, v in self._params.items())
        return f"{type(self).__name__}({args})"
