"""The options every engine accepts and the :class:`EvaluationResult` every engine returns."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any, Literal

from losslab.errors import InvalidParameterError

__all__ = [
    "NAN_POLICIES",
    "REDUCTIONS",
    "EvaluationResult",
    "NanPolicy",
    "Reduction",
    "check_options",
]

REDUCTIONS = ("sum_over_batch_size", "sum", "mean_with_sample_weight")
NAN_POLICIES = ("drop", "error")
Reduction = Literal["sum_over_batch_size", "sum", "mean_with_sample_weight"]
NanPolicy = Literal["drop", "error"]


def check_options(reduction: str, nan: str) -> None:
    """Reject a reduction or a NaN policy no engine knows.

    Raises:
        InvalidParameterError: with the accepted values.

    Example:
        >>> check_options("sum", "drop")
        >>> check_options("avg", "drop")
        Traceback (most recent call last):
        ...
        losslab.errors.InvalidParameterError: Invalid value for argument `reduction`. Expected one of ('sum_over_batch_size', 'sum', 'mean_with_sample_weight'). Received: reduction='avg'.
    """
    if reduction not in REDUCTIONS:
        raise InvalidParameterError(
            f"Invalid value for argument `reduction`. Expected one of {REDUCTIONS}. "
            f"Received: reduction={reduction!r}."
        )
    if nan not in NAN_POLICIES:
        raise InvalidParameterError(
            f"Invalid value for argument `nan`. Expected 'drop' or 'error'. Received: nan={nan!r}."
        )


@dataclass(frozen=True)
class EvaluationResult:
    """Loss values over a table.

    Attributes:
        values: loss text as given (``"huber:delta=2"``) -> reduced value.
        n_rows: rows read; n_used: rows evaluated; n_dropped: rows dropped for null/NaN.
        reduction: the Keras reduction applied.
        weighted: whether a weight column was used.
        engine: ``"local"`` or ``"spark"``; ``methods`` says per loss how it was computed
            (``"numpy"``, ``"sql"`` or ``"arrow"``).

    Example:
        >>> r = EvaluationResult({"mse": 0.5, "msle": math.nan}, 4, 3, 1, "sum", False, "local")
        >>> r["mse"], r.to_dict()["values"]
        (0.5, {'mse': 0.5, 'msle': None})
    """

    values: dict[str, float]
    n_rows: int
    n_used: int
    n_dropped: int
    reduction: str
    weighted: bool
    engine: str
    methods: dict[str, str] = field(default_factory=dict)

    def __getitem__(self, key: str) -> float:
        return self.values[key]

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict (NaN values become ``None``)."""
        return {
            "values": {k: (None if math.isnan(v) else v) for k, v in self.values.items()},
            "n_rows": self.n_rows,
            "n_used": self.n_used,
            "n_dropped": self.n_dropped,
            "reduction": self.reduction,
            "weighted": self.weighted,
            "engine": self.engine,
            "methods": dict(self.methods),
        }
