"""Engines decide where trials run, never what they compute.

An engine implements ``map(fn, tasks) -> Iterator[TrialRecord]``, yielding each record as
its trial finishes (in any order); the driver stores each one immediately.
:class:`LocalEngine` runs trials in this process, one after another;
``losslab.spark.engine.SparkEngine`` runs one Spark task per trial with the same protocol;
``losslab.experiment.fused.FusedEngine`` trains every trial of a comparison as one JAX
program. :func:`resolve_engine` is the one place that turns a name (or ``None``: the
default, fused under the JAX backend) into an engine.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from typing import Any, Protocol, runtime_checkable

__all__ = ["Engine", "LocalEngine", "default_engine", "default_engine_name", "resolve_engine"]


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
        ``resolve_engine(None)``: the fused engine under the JAX backend, else
        :class:`LocalEngine` (in-process, one ``fit`` per trial).
    """
    return resolve_engine(None)


def default_engine_name() -> str:
    """``"fused"`` under the JAX backend, else ``"sequential"`` (what ``engine=None`` means
    for ``compare``, ``run`` and ``tune``)."""
    import keras

    return "fused" if keras.backend.backend() == "jax" else "sequential"


def resolve_engine(engine: Engine | str | None) -> Engine:
    """The engine to use: ``None`` -> the fused engine under the JAX backend, else
    :class:`LocalEngine`; ``"sequential"`` (or ``"local"``) -> :class:`LocalEngine` (one
    ``fit`` per trial); ``"fused"`` -> the fused engine; an engine object as given.

    Example:
        >>> resolve_engine("sequential")
        LocalEngine()
    """
    if engine is None:
        engine = default_engine_name()
    if engine in ("sequential", "local"):
        return LocalEngine()
    if engine == "fused":
        from losslab.experiment.fused import FusedEngine

        return FusedEngine()
    if isinstance(engine, str) or not isinstance(engine, Engine):
        from losslab.errors import InvalidParameterError

        raise InvalidParameterError(
            f"engine must be 'sequential', 'fused' or an object with map(fn, tasks). Received: engine={engine!r}."
        )
    return engine
