"""Hyperparameter declarations and their validation: the one shared place.

Both the catalog (keras-free metadata) and the Keras loss classes validate through
:func:`validate`, so ``losslab.get("huber", delta=-1)`` and ``losslab.losses.Huber(delta=-1)``
fail with the same message: ``delta must be > 0. Received: delta=-1.``
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal, TypeVar

from losslab.errors import InvalidParameterError

__all__ = ["Interval", "OneOf", "Param", "validate", "validate_all", "with_defaults"]

_F = TypeVar("_F", bound=Callable[..., Any])


@dataclass(frozen=True)
class Interval:
    """A numeric range. ``None`` bounds are open to infinity.

    Example:
        >>> positive = Interval(0, None, closed="neither")
        >>> positive.contains(0), positive.contains(2.5), positive.describe()
        (False, True, '> 0')
        >>> Interval(1, None, integer=True).describe(), Interval(0, 1).describe()
        ('an integer >= 1', 'in [0, 1]')
    """

    low: float | None = None
    high: float | None = None
    closed: Literal["both", "left", "right", "neither"] = "both"
    integer: bool = False
    allow_none: bool = False

    def contains(self, value: Any) -> bool:
        if value is None:
            return self.allow_none
        if isinstance(value, bool) or not isinstance(value, int | float):
            try:  # numpy scalars
                value = float(value)
            except (TypeError, ValueError):
                return False
        if isinstance(value, float) and math.isnan(value):
            return False
        if self.integer and float(value) != int(value):
            return False
        if self.low is not None:
            if self.closed in ("both", "left"):
                if value < self.low:
                    return False
            elif value <= self.low:
                return False
        if self.high is not None:
            if self.closed in ("both", "right"):
                if value > self.high:
                    return False
            elif value >= self.high:
                return False
        return True

    def describe(self) -> str:
        kind = "an integer" if self.integer else "a number"
        lo_in = self.closed in ("both", "left")
        hi_in = self.closed in ("both", "right")
        if self.low is not None and self.high is None:
            text = f"{'>=' if lo_in else '>'} {_fmt(self.low)}"
        elif self.low is None and self.high is not None:
            text = f"{'<=' if hi_in else '<'} {_fmt(self.high)}"
        elif self.low is not None and self.high is not None:
            text = (
                f"in {'[' if lo_in else '('}{_fmt(self.low)}, {_fmt(self.high)}{']' if hi_in else ')'}"
            )
        else:
            text = kind
            return text + (" or None" if self.allow_none else "")
        if self.integer:
            text = f"an integer {text}"
        return text + (" or None" if self.allow_none else "")


@dataclass(frozen=True)
class OneOf:
    """A closed set of choices (strings, booleans, ...), compared with their type.

    Example:
        >>> OneOf((True, False)).contains(1), OneOf(("sum", "mean")).describe()
        (False, "one of 'sum', 'mean'")
    """

    choices: tuple[Any, ...]

    def contains(self, value: Any) -> bool:
        return any(value is c or (type(value) is type(c) and value == c) for c in self.choices)

    def describe(self) -> str:
        return "one of " + ", ".join(repr(c) for c in self.choices)


@dataclass(frozen=True)
class Anything:
    """No constraint beyond a description (e.g. a list of class weights)."""

    text: str = "any value"

    def contains(self, value: Any) -> bool:
        return True

    def describe(self) -> str:
        return self.text


def _fmt(x: float) -> str:
    return str(int(x)) if float(x).is_integer() else repr(x)


Constraint = Interval | OneOf | Anything

BOOL = OneOf((True, False))


@dataclass(frozen=True)
class Param:
    """One hyperparameter of a loss.

    Attributes:
        name: keyword argument name (TensorFlow Addons' name where losslab replaces one).
        default: the default value.
        constraint: what values are valid.
        doc: one line of meaning.
        search: the tuning search space, or ``None`` when the parameter is not tuned:
            ``("float", low, high, log)``, ``("int", low, high, log)`` or
            ``("categorical", (choices...))``.
    """

    name: str
    default: Any
    constraint: Constraint = field(default_factory=Anything)
    doc: str = ""
    search: tuple[Any, ...] | None = None

    @property
    def tunable(self) -> bool:
        return self.search is not None


def validate(name: str, value: Any, constraint: Constraint) -> None:
    """Raise :class:`InvalidParameterError` unless ``value`` satisfies ``constraint``.

    A list checked against an :class:`Interval` is checked element by element.

    Example:
        >>> validate("delta", 2.0, Interval(0, None, closed="neither"))
        >>> validate("quantile", [0.1, 1.5], Interval(0, 1, closed="neither"))
        Traceback (most recent call last):
        ...
        losslab.errors.InvalidParameterError: quantile must be in (0, 1) (every element). Received: quantile=[0.1, 1.5].
    """
    if isinstance(value, Sequence) and not isinstance(value, str) and isinstance(constraint, Interval):
        # a list of values each constrained the same way (e.g. several quantiles)
        if len(value) == 0 or not all(constraint.contains(v) for v in value):
            raise InvalidParameterError(
                f"{name} must be {constraint.describe()} (every element). Received: {name}={value!r}."
            )
        return
    if not constraint.contains(value):
        text = constraint.describe()
        if isinstance(constraint, Interval) and isinstance(value, str) and not text.startswith("a"):
            text = f"a number {text}, not text"  # delta=abc: say what kind of value is wanted
        raise InvalidParameterError(f"{name} must be {text}. Received: {name}={value!r}.")


def validate_all(
    owner: str, params: Sequence[Param], given: Mapping[str, Any], *, extra_ok: Sequence[str] = ()
) -> dict[str, Any]:
    """Validate keyword arguments ``given`` against ``params``; return the full set with defaults.

    Unknown keywords are rejected with the list of valid ones (never silently accepted).

    Example:
        >>> params = (Param("delta", 1.0, Interval(0, None, closed="neither")),)
        >>> validate_all("Huber", params, {})
        {'delta': 1.0}
        >>> validate_all("Huber", params, {"dleta": 2.0})
        Traceback (most recent call last):
        ...
        losslab.errors.InvalidParameterError: Huber got unknown keyword argument(s) 'dleta'. Valid arguments: delta.
    """
    known = {p.name: p for p in params}
    unknown = [k for k in given if k not in known and k not in extra_ok]
    if unknown:
        valid = ", ".join(sorted([*known, *extra_ok])) or "none"
        raise InvalidParameterError(
            f"{owner} got unknown keyword argument(s) {', '.join(map(repr, unknown))}. "
            f"Valid arguments: {valid}."
        )
    out: dict[str, Any] = {}
    for p in params:
        value = given.get(p.name, p.default)
        validate(p.name, value, p.constraint)
        out[p.name] = value
    for k in extra_ok:
        if k in given:
            out[k] = given[k]
    return out


def with_defaults(params: Sequence[Param]) -> Callable[[_F], _F]:
    """Give a function's keyword-only hyperparameters their defaults from ``params``.

    The declaration is the one source of each default: the ``keras.ops`` function and the
    NumPy reference declare their hyperparameters keyword-only *without* a default, and
    this decorator fills ``__kwdefaults__`` from the :class:`Param` tuple, so a call may
    omit them and ``inspect.signature`` shows the declared value. A keyword-only argument
    that the tuple does not declare is left as written; a declared parameter the function
    does not accept is an error at import time (the two would drift apart).

    Example:
        >>> import inspect
        >>> P = (Param("delta", 1.0),)
        >>> @with_defaults(P)
        ... def f(x, *, delta):
        ...     return x * delta
        >>> f(2.0), str(inspect.signature(f))
        (2.0, '(x, *, delta=1.0)')
    """

    def decorate(fn: _F) -> _F:
        code = fn.__code__
        kwonly = code.co_varnames[code.co_argcount : code.co_argcount + code.co_kwonlyargcount]
        missing = [p.name for p in params if p.name not in kwonly]
        if missing:
            raise TypeError(
                f"{fn.__qualname__} does not take the declared hyperparameter(s) "
                f"{', '.join(missing)} as keyword-only arguments."
            )
        fn.__kwdefaults__ = {**(fn.__kwdefaults__ or {}), **{p.name: p.default for p in params}}
        return fn

    return decorate
