"""Preparation steps: take the features and target out of the user's input, infer the task
(the advisor's inference on a target profile, the same for ``compare``, ``run`` and
``tune``) and resolve the goal into the primary judge metric.

No Keras import.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from losslab._vocab import TaskKind
from losslab.data import TaskInfo, infer_task, profile_table, read_table
from losslab.errors import DataError, InvalidParameterError
from losslab.experiment import judge

__all__ = [
    "ExperimentData",
    "GoalChoice",
    "extract_data",
    "infer_target_task",
    "ordinal_classes",
    "resolve_goal",
]


@dataclass(frozen=True)
class ExperimentData:
    """The experiment's inputs, taken apart.

    Attributes:
        x: features (a DataFrame without the target / group / time columns, or an array).
        y: targets (a Series / DataFrame or an array).
        groups: group label per row, or None.
        order: time stamp per row (sortable numbers), or None.
        source: what the data came from (a path, ``pandas.DataFrame``, ``arrays`` ...).
        columns: feature column names of a table (empty for arrays).
        target: the target column name(s), or None for arrays.
        sample: what :mod:`~losslab.experiment.sampling` drew (``SampleInfo.to_dict()``),
            or None when every row is used.
        row_keys: with a sample, the content hash of each row (the out-of-core refit leaves
            the test rows out by these).
    """

    x: Any
    y: Any
    groups: Any
    order: Any
    source: str
    columns: tuple[str, ...]
    target: str | list[str] | None = None
    sample: dict[str, Any] | None = None
    row_keys: np.ndarray | None = None

    def target_values(self) -> np.ndarray:
        """``y`` as a NumPy array."""
        return np.asarray(self.y.to_numpy() if hasattr(self.y, "to_numpy") else self.y)


def _missing_target(cols: list[str], columns: Sequence[Any]) -> DataError:
    shown = ", ".join(map(str, list(columns)[:12])) + (" ..." if len(columns) > 12 else "")
    return DataError(
        f"Target column {cols[0]!r} is not in the table. Received columns: {shown}. Pass --target with one of them."
    )


def _take_column(x: Any, name: str, col: Any) -> tuple[Any, Any]:
    """``(x without the column, its values)`` for the group / time option ``col``."""
    import pandas as pd

    if col is None:
        return x, None
    if not isinstance(col, str):
        return x, np.asarray(col)
    if col not in x.columns:
        raise DataError(f"The {name} column {col!r} is not in the table. Pass an existing column.")
    vals = x[col].to_numpy()
    x = x.drop(columns=[col])
    if name == "time" and not np.issubdtype(vals.dtype, np.number):
        vals = pd.to_datetime(vals).asi8
    return x, vals


def extract_data(
    x: Any,
    y: Any = None,
    *,
    target: str | Sequence[str] | None = None,
    group: Any = None,
    time: Any = None,
) -> ExperimentData:
    """Features, target, groups and time order from arrays, a DataFrame, a pyarrow Table or a
    CSV / Parquet path (read with :func:`losslab.data.read_table`).

    Raises:
        DataError: no target, a missing target / group / time column.

    Example:
        >>> import pandas as pd
        >>> d = extract_data(pd.DataFrame({"a": [1, 2], "g": [0, 1], "y": [3, 4]}), target="y", group="g")
        >>> d.columns, d.groups.tolist(), d.source
        (('a',), [0, 1], 'pandas.DataFrame')
    """
    import pandas as pd

    source = "arrays"
    if isinstance(x, str | Path) or type(x).__module__.startswith("pyarrow"):
        source = str(x) if isinstance(x, str | Path) else "pyarrow.Table"
        x = read_table(x)
    if not isinstance(x, pd.DataFrame):
        if y is None:
            raise DataError(
                "y is missing. Pass y (an array of targets) with an array x, or a table with target=."
            )
        groups = None if group is None else np.asarray(group)
        order = None if time is None else np.asarray(time)
        return ExperimentData(x, y, groups, order, source, ())
    if source == "arrays":
        source = "pandas.DataFrame"
    if y is None:
        if target is None:
            raise DataError(
                "A table needs a target column. Received target=None. Pass target='column name'."
            )
        cols = [target] if isinstance(target, str) else list(target)
        if any(c not in x.columns for c in cols):
            raise _missing_target([c for c in cols if c not in x.columns], x.columns)
        y = x[cols[0]] if len(cols) == 1 else x[cols]
        x = x.drop(columns=cols)
    x, groups = _take_column(x, "group", group)
    x, order = _take_column(x, "time", time)
    stored_target = target if isinstance(target, str | None) else list(target)
    return ExperimentData(
        x, y, groups, order, source, tuple(str(c) for c in x.columns), stored_target
    )


def ordinal_classes(kind: TaskKind, classes: Any) -> tuple[Any, ...] | None:
    """The class order an ordinal task trains with: the task inference's (an ordered
    categorical's levels, or the numeric order the inference stated); ``None`` for other
    tasks (their classes are sorted).

    Example:
        >>> ordinal_classes(TaskKind.ORDINAL, ["1-low", "2-mid", "10-high"])
        ('1-low', '2-mid', '10-high')
    """
    return tuple(classes) if kind is TaskKind.ORDINAL and classes else None


def infer_target_task(y: Any, task: str | None = None) -> TaskInfo:
    """The task of the targets ``y``: the advisor's inference on a target profile
    (:func:`losslab.data.infer_task`), or a given ``task`` checked against the data.

    Several real-valued target columns (multi-output regression, which the advisor does not
    profile) are a regression task.

    Raises:
        DataError: an unknown task, a task the targets cannot be, a single-class target.

    Example:
        >>> infer_target_task(np.array([0, 1, 1, 0, 1])).kind
        <TaskKind.BINARY: 'binary'>
    """
    import pandas as pd

    arr = y.to_numpy() if isinstance(y, pd.Series | pd.DataFrame) else np.asarray(y)
    if arr.ndim == 2 and arr.shape[1] == 1:
        arr = arr[:, 0]
    if arr.ndim == 1:
        name = str(y.name) if isinstance(y, pd.Series) and y.name is not None else "y"
        frame = pd.DataFrame({name: arr})
        return infer_task(profile_table(frame, name), task)
    flat = arr.reshape(len(arr), -1)
    names = [f"y{i}" for i in range(flat.shape[1])]
    if np.isin(flat, (0, 1)).all():
        return infer_task(profile_table(pd.DataFrame(flat, columns=names), names), task)
    kind = TaskKind.parse(task) if task is not None else TaskKind.REGRESSION
    if not kind.is_regression:
        raise DataError(
            f"A target with {flat.shape[1]} real-valued columns is a regression target. Received: task={task!r}. "
            "Pass task='regression' or one target column."
        )
    why = (
        "given by the user"
        if task is not None
        else f"the target has {flat.shape[1]} real-valued columns"
    )
    return TaskInfo(str(kind), [why], overridden=task is not None)


@dataclass(frozen=True)
class GoalChoice:
    """The goal of an experiment and the primary judge metric it picks.

    Attributes:
        kind: mean, median, quantile, probability, labels or ranking (None: the task's default).
        quantile: the quantile level of a quantile goal.
        primary: the primary judge metric.
    """

    kind: str | None
    quantile: float | None
    primary: str


def resolve_goal(
    task: TaskKind, goal: str | None, quantile: float | None, metric: str | None
) -> GoalChoice:
    """The goal and primary judge metric for ``task`` (a quantile alone means a quantile goal).

    Raises:
        InvalidParameterError: a quantile goal without a level, a level outside (0, 1), a
            metric that does not fit the task.

    Example:
        >>> resolve_goal(TaskKind.REGRESSION, None, 0.9, None)
        GoalChoice(kind='quantile', quantile=0.9, primary='pinball')
    """
    if goal == "quantile" and quantile is None:
        raise InvalidParameterError(
            "goal='quantile' needs a quantile level. Received quantile=None. Pass e.g. quantile=0.9."
        )
    if quantile is not None and not 0 < float(quantile) < 1:
        raise InvalidParameterError(f"quantile must be in (0, 1). Received: quantile={quantile!r}.")
    if quantile is not None and goal is None:
        goal = "quantile"
    primary = judge.normalize_metric(metric) if metric else judge.primary_metric(task, goal)
    ordinal_ok = task is TaskKind.ORDINAL and primary in ("rmse", "mae")
    if (primary in judge.CLASSIFICATION_METRICS) != task.is_classification and not ordinal_ok:
        valid = judge.CLASSIFICATION_METRICS if task.is_classification else judge.REGRESSION_METRICS
        raise InvalidParameterError(
            f"Judge metric {primary!r} does not fit a {task} task. Received metric={primary!r}. "
            f"Use one of {', '.join(valid)}."
        )
    return GoalChoice(goal, None if quantile is None else float(quantile), primary)
