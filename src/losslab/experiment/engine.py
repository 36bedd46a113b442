"""Engines decide where trials run, never what they compute.

An engine implements ``map(fn, tasks) -> Iterator[TrialRecord]``, yielding each record as
its trial finishes (in any order); the driver stores each one immediately.
:class:`LocalEngine` runs trials in this process, one after another;
``losslab.spark.engine.SparkEngine`` runs one Spark task per trial with the same protocol.
:func:`default_engine` is the one place that picks the engine when the user names none.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from typing import Any, Protocol, runtime_checkable

__all__ = ["Engine", "LocalEngine", "default_engine"]


@runtime_checkable
class Engine(Protocol):
    """Where trials run."""

    def map(self, fn: Callable[[Any], Any], tasks: Iterable[Any]) -> Iterator[Any]:
        """Apply ``fn`` to every task and yield each result as soon as it is ready."""
        ...


class LocalEngine:
    """In-process, sequential: the default engine.

    Example:
        >>> list(LocalEngine().map(lambda t: t * 2, [1, 2]))
        [2, 4]
    """

    name = "local"

    def map(self, fn: Callable[[Any], Any], tasks: Iterable[Any]) -> Iterator[Any]:
        for task in tasks:
            yield fn(task)

    def __repr__(self) -> str:
        return "LocalEngine()"


def default_engine(model: Any = None, *, n_tasks: int | None = None) -> Engine:
    """The engine ``compare`` / ``run`` use when none is given (one line to switch).

    Args:
        model: the model description of the experiment (the default MLP's config dict or a
            user's ``build_model``); an engine that trains members together may depend on it.
        n_tasks: how many trials the experiment has.

    Returns:
        :class:`LocalEngine` (in-process, one trial after another).

    Example:
        >>> default_engine({"kind": "mlp", "hidden": [32]}, n_tasks=6)
        LocalEngine()
    """
    return LocalEngine()
