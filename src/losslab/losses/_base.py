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

import inspect
import re
from collections.abc import Callable, Sequence
from typing import Any, ClassVar

import keras
from keras import ops

from losslab._params import OneOf, Param, validate_all

__all__ = ["LosslabLoss", "align_ranks", "compute_dtype", "constructor_signature", "register_loss_class"]


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


_COMMON = (
    inspect.Parameter("reduction", inspect.Parameter.KEYWORD_ONLY, default="sum_over_batch_size", annotation="str | None"),
    inspect.Parameter("name", inspect.Parameter.KEYWORD_ONLY, default=None, annotation="str | None"),
    inspect.Parameter("dtype", inspect.Parameter.KEYWORD_ONLY, default=None, annotation="Any"),
)


def _annotation(p: Param) -> Any:
    """The annotation a closed choice implies (``bool`` or a ``Literal``); none otherwise, since
    a numeric declaration may also take a list (several quantiles, one weight per class)."""
    c = p.constraint
    if isinstance(c, OneOf):
        if all(isinstance(x, bool) for x in c.choices):
            return "bool"
        return f"Literal[{', '.join(repr(x) for x in c.choices)}]"
    return inspect.Parameter.empty


def constructor_signature(params: Sequence[Param], positional: Sequence[str] = ()) -> inspect.Signature:
    """``(self, <positional>, *, <other hyperparameters>=<default>, reduction=..., name=None, dtype=None)``.

    Example:
        >>> from losslab._params import Param
        >>> str(constructor_signature((Param("delta", 1.0),)))
        "(self, /, *, delta=1.0, reduction: 'str | None' = 'sum_over_batch_size', name: 'str | None' = None, dtype: 'Any' = None) -> None"
    """
    kind = {n: inspect.Parameter.POSITIONAL_OR_KEYWORD for n in positional}
    ordered = sorted(params, key=lambda p: p.name not in kind)  # stable: positional first
    hyper = [
        inspect.Parameter(
            p.name,
            kind.get(p.name, inspect.Parameter.KEYWORD_ONLY),
            default=p.default,
            annotation=_annotation(p),
        )
        for p in ordered
    ]
    self_ = inspect.Parameter("self", inspect.Parameter.POSITIONAL_ONLY)
    return inspect.Signature([self_, *hyper, *_COMMON], return_annotation=None)


def _derived_init(cls: type[LosslabLoss]) -> Callable[..., None]:
    """The constructor of ``cls``, derived from its ``PARAMS`` (and ``POSITIONAL``).

    It forwards everything by keyword to the parent's constructor, so validation stays in
    one place (:func:`losslab._params.validate_all`, which also rejects unknown keywords
    with the list of valid ones).
    """
    positional = cls.POSITIONAL

    def __init__(
        self: Any,
        *args: Any,
        reduction: str | None = "sum_over_batch_size",
        name: str | None = None,
        dtype: Any = None,
        **params: Any,
    ) -> None:
        if len(args) > len(positional):
            raise TypeError(
                f"{cls.__name__}() takes {len(positional)} positional argument(s) "
                f"({', '.join(positional) or 'none'}) but {len(args)} were given. "
                "Pass the hyperparameters by keyword."
            )
        for key, value in zip(positional, args, strict=False):
            if key in params:
                raise TypeError(f"{cls.__name__}() got multiple values for argument {key!r}.")
            params[key] = value
        super(cls, self).__init__(reduction=reduction, name=name, dtype=dtype, **params)

    __init__.__qualname__ = f"{cls.__qualname__}.__init__"
    __init__.__module__ = cls.__module__
    __init__.__doc__ = f"Build a {cls.__name__}; see the class docstring for the hyperparameters."
    __init__.__signature__ = constructor_signature(cls.PARAMS, positional)  # type: ignore[attr-defined]
    return __init__


class LosslabLoss(keras.losses.Loss):
    """Base class: ``call`` runs ``fn(y_true, y_pred, **params)``.

    Subclasses set ``fn`` (the pure per-sample function) and ``PARAMS`` (the
    hyperparameter declarations). Their keyword-only constructor is derived from ``PARAMS``
    when the class is created: ``inspect.signature(cls)`` and ``help(cls)`` show every
    hyperparameter with its declared default, then ``reduction``, ``name`` and ``dtype``.
    A subclass writes its own ``__init__`` only when it does more than forward (it then
    calls ``super().__init__(**hyperparameters, reduction=..., name=..., dtype=...)``).

    Set ``align = False`` for losses whose y_true and y_pred have different ranks by design
    (integer labels against class scores, labels against embeddings).
    """

    fn: ClassVar[Callable[..., Any]]
    PARAMS: ClassVar[tuple[Param, ...]] = ()
    POSITIONAL: ClassVar[tuple[str, ...]] = ()  # hyperparameters also accepted by position
    align: ClassVar[bool] = True

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if "__init__" not in cls.__dict__:
            cls.__init__ = _derived_init(cls)  # type: ignore[method-assign]

    def __init__(
        self,
        *,
        reduction: str | None = "sum_over_batch_size",
        name: str | None = None,
        dtype: Any = None,
        **params: Any,
    ) -> None:
        full = validate_all(type(self).__name__, self.PARAMS, params)
        self.check_params(full)
        super().__init__(name=name or _snake(type(self).__name__), reduction=reduction, dtype=dtype)
        self._params = full

    @classmethod
    def check_params(cls, params: dict[str, Any]) -> None:
        """Checks across hyperparameters, after each was validated alone (none by default)."""

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
