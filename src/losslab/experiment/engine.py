"""Engines decide where trials run, never what they compute.

An engine implements ``map(fn, tasks) -> Iterator[TrialRecord]``, yielding each record as
its trial finishes (in any order); the driver stores each one immediately.
:class:`LocalEngine` runs trials in this process, one after another;
``losslab.spark.engine.SparkEngine`` runs one Spark task per trial with the same protocol.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from typing import Any, Protocol, runtime_checkable

__all__ = ["Engine", "LocalEngine"]


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
