"""Closed vocabularies every layer shares: task kinds and target requirements.

One definition each, with the questions the code keeps asking as methods, so no module
spells out ``("binary", "multiclass", "ordinal")`` again. Both are :class:`~enum.StrEnum`:
a member equals its string value, so stored run directories and JSON stay plain strings.
Keras-free and pandas-free (this module sits at the bottom of the layer table).
"""

from __future__ import annotations

from enum import StrEnum

import numpy as np

from losslab.errors import DataError, InvalidParameterError

__all__ = ["Requirement", "TaskKind"]


class TaskKind(StrEnum):
    """What kind of prediction task a target defines."""

    BINARY = "binary"
    MULTICLASS = "multiclass"
    MULTILABEL = "multilabel"
    REGRESSION = "regression"
    COUNT = "count"
    POSITIVE = "positive"
    PROPORTION = "proportion"
    ORDINAL = "ordinal"

    @classmethod
    def parse(cls, text: str | TaskKind) -> TaskKind:
        """The member named by ``text`` (case-insensitive) or a :class:`DataError` naming the choices."""
        key = str(text).strip().lower()
        try:
            return cls(key)
        except ValueError:
            raise DataError(
                f"Unknown task {text!r}. Expected one of: {', '.join(m.value for m in cls)}. "
                "Omit --task to let losslab infer it."
            ) from None

    @property
    def is_classification(self) -> bool:
        """Binary, multiclass, multilabel or ordinal: the target is labels, not a quantity."""
        return self in _CLASSIFICATION

    @property
    def has_class_labels(self) -> bool:
        """One label per row out of K classes (binary, multiclass, ordinal): stratify, encode 0..K-1."""
        return self in _LABELLED

    @property
    def is_regression(self) -> bool:
        """A numeric quantity (regression, count, positive, proportion): point predictions, RMSE/MAE judges."""
        return self in _REGRESSION

    @property
    def is_positive(self) -> bool:
        """Targets are >= 0 by nature (count, positive): log-link heads fit."""
        return self in (TaskKind.COUNT, TaskKind.POSITIVE)


_CLASSIFICATION = frozenset({TaskKind.BINARY, TaskKind.MULTICLASS, TaskKind.MULTILABEL, TaskKind.ORDINAL})
_LABELLED = frozenset({TaskKind.BINARY, TaskKind.MULTICLASS, TaskKind.ORDINAL})
_REGRESSION = frozenset({TaskKind.REGRESSION, TaskKind.COUNT, TaskKind.POSITIVE, TaskKind.PROPORTION})


class Requirement(StrEnum):
    """An assumption a loss makes about ``y_true`` (``LossSpec.requires``).

    The value is the text shown to users. :meth:`violations` checks a target array against
    it; requirements about the layout of labels (one-hot, multi-hot, integer labels) are
    checked by the encoders, not on raw targets, and never report a violation here.
    """

    NONNEGATIVE = "y>=0"
    POSITIVE = "y>0"
    NONZERO = "y!=0"
    UNIT_INTERVAL = "y in [0,1]"
    BINARY = "y in {0,1}"
    SIGNED_BINARY = "y in {-1,1}"
    INTEGER_LABELS = "integer labels"
    ONE_HOT = "one-hot"
    MULTI_HOT = "multi-hot"

    @classmethod
    def parse(cls, text: str | Requirement) -> Requirement:
        """The member for ``text``; spaces and the Unicode forms (``≥``, ``≠``) are accepted."""
        if isinstance(text, Requirement):
            return text
        key = str(text).replace(" ", "").lower().replace("≥", ">=").replace("≠", "!=")
        for member in cls:
            if member.value.replace(" ", "") == key:
                return member
        raise InvalidParameterError(
            f"Unknown target requirement {text!r}. Expected one of: {', '.join(m.value for m in cls)}."
        )

    @property
    def is_value_constraint(self) -> bool:
        """True for constraints on the values of a numeric target (checked by :meth:`violations`)."""
        return self in _VALUE_CHECKS

    @property
    def allows_soft_targets(self) -> bool:
        """``y in {0,1}`` is met in the likelihood sense by any y in [0, 1] (cross-entropy of a proportion)."""
        return self is Requirement.BINARY

    def violations(self, y: np.ndarray) -> tuple[int, str] | None:
        """``(count, description)`` of the values in ``y`` that break this requirement, or None."""
        check = _VALUE_CHECKS.get(self)
        if check is None:
            return None
        yf = np.asarray(y, dtype=np.float64).reshape(-1)
        yf = yf[~np.isnan(yf)]
        bad_mask, description = check(yf)
        bad = int(bad_mask.sum())
        return (bad, description) if bad else None


_VALUE_CHECKS = {
    Requirement.NONNEGATIVE: lambda y: (y < 0, "negative values"),
    Requirement.POSITIVE: lambda y: (y <= 0, "values <= 0"),
    Requirement.NONZERO: lambda y: (y == 0, "zero values"),
    Requirement.UNIT_INTERVAL: lambda y: ((y < 0) | (y > 1), "values outside [0, 1]"),
    Requirement.BINARY: lambda y: (~np.isin(y, (0.0, 1.0)), "values other than 0 and 1"),
    Requirement.SIGNED_BINARY: lambda y: (~np.isin(y, (-1.0, 1.0)), "values other than -1 and 1"),
}
