"""Goals (what the user wants to predict) and the judge metric each one is scored with."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Literal, get_args

from losslab._vocab import TaskKind
from losslab.errors import DataError, TaskMismatchError

__all__ = ["DEFAULT_GOALS", "GOAL_KINDS", "GOALS_FOR_TASK", "JUDGE_METRICS", "Goal", "GoalKind"]

GoalKind = Literal["mean", "median", "quantile", "probability", "labels", "ranking"]
GOAL_KINDS: tuple[str, ...] = get_args(GoalKind)

#: Goal -> judge metric names (scikit-learn implementations), primary first. The
#: experiment engine scores every candidate on these; ``pinball`` is evaluated at the
#: goal's quantile level.
JUDGE_METRICS: dict[str, tuple[str, ...]] = {
    "mean": ("rmse",),
    "median": ("mae",),
    "quantile": ("pinball",),
    "probability": ("log_loss", "brier"),
    "labels": ("accuracy", "macro_f1"),
    "ranking": ("roc_auc",),
}

_NUMERIC = ("mean", "median", "quantile")
_CLASSES = ("probability", "labels", "ranking")


def _goals(kind: TaskKind) -> tuple[str, ...]:
    if kind is TaskKind.ORDINAL:  # levels: read as labels, or as numbers (mean / median level)
        return ("labels", "probability", "ranking", "mean", "median")
    return _NUMERIC if kind.is_regression else _CLASSES


def _default_goal(kind: TaskKind) -> str:
    if kind is TaskKind.ORDINAL:
        return "labels"
    return "mean" if kind.is_regression else "probability"


#: Which goals make sense for each task.
GOALS_FOR_TASK: dict[TaskKind, tuple[str, ...]] = {kind: _goals(kind) for kind in TaskKind}

#: Goal used when the user gives none.
DEFAULT_GOALS: dict[TaskKind, str] = {kind: _default_goal(kind) for kind in TaskKind}


@dataclass(frozen=True)
class Goal:
    """What the model should predict.

    Attributes:
        kind: ``mean``, ``median``, ``quantile``, ``probability``, ``labels`` or ``ranking``.
        quantile: the level in (0, 1) for ``kind == "quantile"``, else ``None``.

    Example:
        >>> Goal.parse("quantile:0.9")
        Goal(kind='quantile', quantile=0.9)
        >>> Goal.parse("median").judge_metric
        'mae'
    """

    kind: str
    quantile: float | None = None

    @classmethod
    def parse(cls, text: str | Goal) -> Goal:
        """Parse ``mean | median | quantile:Q | probability | labels | ranking``.

        Raises:
            DataError: unknown goal or a quantile level outside (0, 1).
        """
        if isinstance(text, Goal):
            return text
        raw = str(text).strip().lower()
        name, sep, arg = raw.partition(":")
        name = name.strip()
        if name in ("q", "quantile"):
            if not sep or not arg.strip():
                raise DataError(
                    f"Goal {text!r} needs a level. Received: {text!r}. Write quantile:Q with Q in "
                    "(0, 1), e.g. quantile:0.9."
                )
            try:
                q = float(arg)
            except ValueError:
                q = math.nan
            if not (0.0 < q < 1.0):
                raise DataError(
                    f"The quantile level must be a number in (0, 1). Received: {text!r}. "
                    "Write e.g. quantile:0.9."
                )
            return cls("quantile", q)
        if name not in GOAL_KINDS or sep:
            raise DataError(
                f"Unknown goal {text!r}. Expected one of: mean, median, quantile:Q, probability, "
                "labels, ranking."
            )
        return cls(name)

    @property
    def judge_metric(self) -> str:
        """The primary judge metric name."""
        return JUDGE_METRICS[self.kind][0]

    @property
    def judge_metrics(self) -> tuple[str, ...]:
        return JUDGE_METRICS[self.kind]

    def __str__(self) -> str:
        return f"quantile:{self.quantile:g}" if self.kind == "quantile" else self.kind

    def to_dict(self) -> dict[str, Any]:
        return {"kind": self.kind, "quantile": self.quantile}


def resolve_goal(goal: str | Goal | None, task: str | TaskKind) -> Goal:
    """The goal for ``task``: the given one (checked) or the task's default.

    Example:
        >>> resolve_goal(None, "count"), resolve_goal("median", TaskKind.POSITIVE)
        (Goal(kind='mean', quantile=None), Goal(kind='median', quantile=None))
    """
    kind = TaskKind.parse(task)
    if goal is None:
        return Goal(DEFAULT_GOALS[kind])
    g = Goal.parse(goal)
    allowed = GOALS_FOR_TASK[kind]
    if g.kind not in allowed:
        raise TaskMismatchError(
            f"Goal {str(g)!r} does not fit a {kind} task. Received: goal={str(g)!r}. "
            f"Use one of: {', '.join('quantile:Q' if a == 'quantile' else a for a in allowed)} "
            "(or force another --task)."
        )
    return g
