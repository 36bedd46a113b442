"""The options of one ``losslab fit`` (streamed, in memory or data-parallel on Spark),
declared and validated once.

:class:`FitOptions` holds what every fit of one model shares (epochs, batch, shuffle buffer,
validation slice, seed, network, learning rate, task, class weights);
:func:`losslab.experiment.streaming_fit.fit_streaming`,
:func:`~losslab.experiment.streaming_fit.fit_in_memory` and
:func:`losslab.spark.distributed.fit_data_parallel` take one (``options=``) or its fields as
keyword arguments. :data:`RULES` is the one statement of each option's valid values; the
CLI checks its flags against the same rules (:func:`check_option` with ``flag=``).

No Keras import.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from losslab.errors import InvalidParameterError

__all__ = ["RULES", "FitOptions", "check_option"]


def _widths(v: Sequence[int]) -> bool:
    return len(v) > 0 and min(v) >= 1


#: option -> (test of a valid value, what a valid value is)
RULES: dict[str, tuple[Callable[[Any], bool], str]] = {
    "epochs": (lambda v: v >= 1, "at least 1"),
    "batch_size": (lambda v: v >= 1, "at least 1"),
    "buffer_rows": (lambda v: v >= 1, "at least 1"),
    "val_fraction": (lambda v: 0.0 <= v < 1.0, "in [0, 1)"),
    "learning_rate": (lambda v: v > 0, "> 0"),
    "hidden": (_widths, "one or more positive layer widths"),
    "prefetch": (lambda v: v >= 1, "at least 1"),
    "workers": (lambda v: v >= 1, "at least 1"),
    "shards": (lambda v: v >= 1, "at least 1"),
}


def check_option(name: str, value: Any, *, flag: str | None = None) -> None:
    """Raise the one-line error for a value outside :data:`RULES` (``flag``: the CLI's
    spelling, named in the message instead of the keyword).

    Example:
        >>> check_option("epochs", 3)
        >>> check_option("workers", 0, flag="--workers")
        Traceback (most recent call last):
        ...
        losslab.errors.InvalidParameterError: --workers must be at least 1. Received: --workers 0.
    """
    valid, need = RULES[name]
    if not valid(value):
        what, shown = (flag, f"{flag} {value}") if flag else (name, f"{name}={value!r}")
        raise InvalidParameterError(f"{what} must be {need}. Received: {shown}.")


@dataclass(frozen=True)
class FitOptions:
    """The options every fit of one model shares, validated on construction.

    Example:
        >>> FitOptions(epochs=3, hidden=[16]).hidden
        (16,)
        >>> FitOptions(batch_size=0)
        Traceback (most recent call last):
        ...
        losslab.errors.InvalidParameterError: batch_size must be at least 1. Received: batch_size=0.
    """

    epochs: int = 5
    batch_size: int = 1024
    buffer_rows: int = 65_536  # the shuffle buffer (of each shard, on Spark), in rows
    val_fraction: float = 0.1  # share of rows in the hashed validation slice
    key: str | None = None  # the row-key column of the validation hash (else the row's content)
    seed: int = 0
    hidden: tuple[int, ...] = (32, 32)
    learning_rate: float = 3e-3
    verbose: int = 1
    task: str | None = None  # regression, binary or multiclass (default: from the loss and target)
    class_weight: str | None = None  # "balanced" (classification fits)

    def __post_init__(self) -> None:
        object.__setattr__(self, "hidden", tuple(self.hidden))
        for f in dataclasses.fields(self):
            if f.name in RULES:
                check_option(f.name, getattr(self, f.name))

    @classmethod
    def of(cls, options: FitOptions | None = None, **overrides: Any) -> FitOptions:
        """``options`` (default: the defaults) with ``overrides``, each a field's name.

        Example:
            >>> FitOptions.of(FitOptions(epochs=2), seed=7).epochs, FitOptions.of(seed=7).seed
            (2, 7)
            >>> FitOptions.of(epoch=2)
            Traceback (most recent call last):
            ...
            losslab.errors.InvalidParameterError: Unknown fit option 'epoch'. Received: epoch=2. Valid options: epochs, batch_size, buffer_rows, val_fraction, key, seed, hidden, learning_rate, verbose, task, class_weight.
        """
        names = [f.name for f in dataclasses.fields(cls)]
        unknown = [k for k in overrides if k not in names]
        if unknown:
            raise InvalidParameterError(
                f"Unknown fit option {unknown[0]!r}. Received: {unknown[0]}={overrides[unknown[0]]!r}. "
                f"Valid options: {', '.join(names)}."
            )
        return dataclasses.replace(options or cls(), **overrides)
