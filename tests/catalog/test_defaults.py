"""Every hyperparameter default is declared once and agrees everywhere it is visible.

For every ``LossSpec``: the ``Param`` declaration, the Keras class's constructor signature,
the per-sample function the class calls (losslab's ``keras.ops`` function, or Keras's own
for the built-ins) and the NumPy reference all show the same default. losslab's functions
and references take their defaults from the declaration (``losslab._params.with_defaults``),
so this fails when someone writes a literal default that drifts from it, or edits one
declaration without the others (Keras's own constructors for the built-ins).
"""

from __future__ import annotations

import inspect
import math
from typing import Any

import pytest

import losslab
from losslab._params import Param, with_defaults

SPECS = losslab.list_losses()
IDS = [s.name for s in SPECS]


def _number(x: Any) -> bool:
    return isinstance(x, int | float) and not isinstance(x, bool)


def _same(a: Any, b: Any) -> bool:
    if _number(a) and _number(b):  # Keras writes gamma=80 where the declaration says 80.0
        return math.isclose(a, b) or (math.isnan(a) and math.isnan(b))
    if isinstance(a, list | tuple) and isinstance(b, list | tuple):
        return len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b, strict=True))
    return type(a) is type(b) and a == b or (a is None and b is None)


def _check(what: str, sig: inspect.Signature, p: Param, *, required: bool) -> None:
    param = sig.parameters.get(p.name)
    if param is None or param.default is inspect.Parameter.empty:
        assert not required, f"{what} shows no default for {p.name!r}: {sig}"
        return
    assert _same(param.default, p.default), (
        f"{what}: default {p.name}={param.default!r}, declared {p.name}={p.default!r}"
    )


def _function_of(spec) -> tuple[Any, bool]:
    """The per-sample function the Keras object calls, and whether losslab wrote it."""
    from losslab.losses import LosslabLoss

    cls = spec.keras_class()
    if isinstance(cls, type) and issubclass(cls, LosslabLoss):
        fn = cls.__dict__.get("fn") or cls.fn
        return getattr(fn, "__func__", fn), True
    obj = spec.build(**spec.extra.get("example_params", {}))
    return getattr(obj, "fn", None), False


@pytest.mark.parametrize(
    "spec", [s for s in SPECS if s.params], ids=[s.name for s in SPECS if s.params]
)
def test_defaults_agree_everywhere(spec):
    ref = spec.oracle()
    fn, ours = _function_of(spec)
    cls = spec.keras_class()
    for p in spec.params:
        _check(f"{spec.name}: class {cls.__name__}", inspect.signature(cls), p, required=True)
        _check(
            f"{spec.name}: reference {ref.__qualname__}", inspect.signature(ref), p, required=True
        )
        if fn is not None:
            _check(
                f"{spec.name}: function {fn.__qualname__}", inspect.signature(fn), p, required=ours
            )


def test_the_check_fails_on_a_drifted_default():
    # the checker itself can fail: a literal default that differs from the declaration
    p = Param("delta", 1.0)

    def drifted(y_true, y_pred, *, delta=2.0):
        return None

    with pytest.raises(AssertionError, match=r"default delta=2.0, declared delta=1.0"):
        _check("drifted", inspect.signature(drifted), p, required=True)

    def missing(y_true, y_pred, *, delta):
        return None

    with pytest.raises(AssertionError, match="shows no default"):
        _check("missing", inspect.signature(missing), p, required=True)
    assert str(inspect.signature(with_defaults((p,))(missing))) == "(y_true, y_pred, *, delta=1.0)"


def test_with_defaults_rejects_an_undeclared_argument():
    def f(y_true, y_pred, *, scale):
        return None

    with pytest.raises(TypeError, match=r"does not take the declared hyperparameter\(s\) delta"):
        with_defaults((Param("delta", 1.0),))(f)
