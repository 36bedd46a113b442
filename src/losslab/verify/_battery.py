"""The registry of the check battery: one line per check, in report order.

A check is one function ``fn(ctx: CheckContext) -> Verdict`` (in ``_checks_values``,
``_checks_descent``, ``_checks_runtime``) plus one :class:`Check` line below with its
name, title and what it needs; the driver (:func:`losslab.verify.check.check`) reads the
needs, so a check never repeats the guards. Adding a check is one function and one line.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum

from losslab.verify import _checks_descent as descent
from losslab.verify import _checks_runtime as runtime
from losslab.verify import _checks_values as values
from losslab.verify._context import CheckContext
from losslab.verify._report import Verdict

__all__ = ["CHECKS", "CHECK_NAMES", "Check", "Need"]


class Need(StrEnum):
    """What a check needs; the driver acts on it before calling the check."""

    VALUES = "values"  # the loss's values on the valid inputs: fails at once when they raised
    GRADIENT = "gradient"  # differentiation by the backend (jax, torch, tensorflow), else n/a
    DIRECTION = "direction"  # labels are prediction targets: n/a with direction=False
    JAX = "jax"  # jax here, or a jax subprocess (started when the check is selected)
    BACKENDS = "backends"  # the other installed backends, in subprocesses
    SAVE = "save"  # writes a model with keras.saving to a temporary directory


@dataclass(frozen=True)
class Check:
    """One check of the battery: its id, title, needs and function."""

    name: str
    title: str
    fn: Callable[[CheckContext], Verdict]
    needs: frozenset[Need] = frozenset()


def _needs(*needs: Need) -> frozenset[Need]:
    return frozenset(needs)


V, G, D, J, B, S = Need.VALUES, Need.GRADIENT, Need.DIRECTION, Need.JAX, Need.BACKENDS, Need.SAVE

CHECKS: tuple[Check, ...] = (
    Check("per_sample", "one value per sample", values.per_sample, _needs(V)),
    Check("rank_broadcast", "y_true (N,) vs y_pred (N, 1)", values.rank_broadcast),
    Check("reductions", "reductions and sample weights", values.reductions, _needs(V)),
    Check("edges", "finite at edge inputs", values.edges, _needs(G)),
    Check("gradients", "gradients descend toward the truth", descent.gradients, _needs(V, G)),
    Check("minimum", "minimum at the perfect prediction", descent.minimum),
    Check("argument_order", "y_true first, y_pred second", descent.argument_order, _needs(D)),
    Check("jit", "compiles under jax.jit", runtime.jit, _needs(J)),
    Check("backends", "equal on every backend", runtime.backends, _needs(V, B)),
    Check("save_load", ".keras save/load round trip", runtime.save_load, _needs(S)),
    Check("half_precision", "mixed precision (float16 / bfloat16)", runtime.half_precision, _needs(V)),
)

#: The checks' ids, in report order.
CHECK_NAMES: tuple[str, ...] = tuple(c.name for c in CHECKS)
