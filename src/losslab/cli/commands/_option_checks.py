"""Checks of the option values shared by ``losslab compare``, ``run`` and ``tune``: hidden
widths, the engine, class weights, the run directory and the early-stopping monitor.

Heavy imports happen inside functions only (this module is on the ``--help`` path).
"""

from __future__ import annotations

from typing import Any

from losslab.errors import InvalidParameterError

__all__ = ["check_class_weight", "check_monitor", "check_out", "make_engine", "parse_hidden"]


def parse_hidden(text: str) -> tuple[int, ...]:
    """Parse ``--hidden`` into layer widths.

    Args:
        text: Comma-separated positive integers.

    Returns:
        The widths, in order.

    Raises:
        InvalidParameterError: A non-integer or non-positive width, or no width at all.

    Example:
        >>> parse_hidden("32,16")
        (32, 16)
    """
    try:
        widths = tuple(int(t) for t in text.split(",") if t.strip())
    except ValueError:
        raise InvalidParameterError(
            f"--hidden must be comma-separated integers. Received: {text!r}. Write e.g. --hidden 32,32."
        ) from None
    if not widths or min(widths) < 1:
        raise InvalidParameterError(
            f"--hidden needs positive widths. Received: {text!r}. Write e.g. --hidden 32,32."
        )
    return widths


def make_engine(engine: str, master: str | None) -> Any:
    """The trial engine named by ``--engine`` / ``--master``.

    Args:
        engine: ``"local"``, ``"sequential"``, ``"fused"`` or ``"spark"``.
        master: Spark master URL (``--engine spark`` only; ``local[2]`` when omitted).

    Returns:
        ``None`` for the local engine (the experiment API's default: fused under JAX), a
        ``LocalEngine`` for ``sequential`` (one ``fit`` per trial), a ``FusedEngine`` for
        ``fused``, else a ``SparkEngine``.

    Raises:
        InvalidParameterError: An unknown engine, ``--master`` without Spark, or no pyspark.

    Example:
        >>> make_engine("local", None) is None
        True
    """
    if engine in ("local", "sequential", "fused"):
        if master is not None:
            raise InvalidParameterError(
                f"--master applies to --engine spark only. Received --engine {engine}."
            )
        if engine == "local":
            return None
        from losslab.experiment.engine import resolve_engine

        return resolve_engine(engine)
    if engine == "spark":
        try:
            from losslab.spark.engine import SparkEngine  # type: ignore[import-not-found]
        except ImportError as e:
            raise InvalidParameterError(
                f"The Spark engine is not available ({e}). Install pyspark (pip install 'losslab[spark]') "
                "or use --engine local."
            ) from None
        return SparkEngine(master=master or "local[2]")
    raise InvalidParameterError(
        f"Unknown engine {engine!r}. Use --engine local, sequential, fused or spark."
    )


def check_class_weight(class_weight: str | None) -> str | None:
    """Validate ``--class-weight``.

    Args:
        class_weight: The option's value: ``None`` or ``"balanced"``.

    Returns:
        The value unchanged.

    Raises:
        InvalidParameterError: Any other value.

    Example:
        >>> check_class_weight("balanced")
        'balanced'
    """
    if class_weight is not None and class_weight != "balanced":
        raise InvalidParameterError(
            f"--class-weight must be 'balanced'. Received: {class_weight!r}."
        )
    return class_weight


def check_out(out: str | None) -> str | None:
    """Validate ``--out``: a new or existing directory, never an existing file.

    Args:
        out: The option's value (``None``: the default run directory).

    Returns:
        The value unchanged.

    Raises:
        InvalidParameterError: ``out`` names an existing file.

    Example:
        >>> check_out("runs/new-run")
        'runs/new-run'
    """
    from pathlib import Path

    if out is not None and Path(out).exists() and not Path(out).is_dir():
        raise InvalidParameterError(
            f"--out must be a directory. Received: --out {out!r}, which is an existing file. "
            "Pass a new directory (or an existing run directory to resume it)."
        )
    return out


def check_monitor(monitor: str) -> str:
    """Validate ``--monitor`` against what every trial records (``val_loss``, ``loss``).

    Example:
        >>> check_monitor("loss")
        'loss'
    """
    from losslab.experiment.config import MONITORS  # what every trial's history records

    if monitor not in MONITORS:
        raise InvalidParameterError(
            f"--monitor must be one of {', '.join(MONITORS)} (what every trial's history "
            f"records). Received: --monitor {monitor!r}."
        )
    return monitor
