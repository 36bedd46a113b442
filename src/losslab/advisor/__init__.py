"""The loss advisor: profile the data, infer the task, recommend catalog losses with reasons.

Public API::

    losslab.profile(data, target="y")                  # DataProfile (with .task)
    losslab.recommend(data, target="y", goal="median") # Recommendation
    losslab.advisor.JUDGE_METRICS                      # goal -> judge metric names

No Keras import: the advisor reads the catalog's metadata only.
"""

from losslab.advisor._goal import (
    DEFAULT_GOALS,
    GOAL_KINDS,
    GOALS_FOR_TASK,
    JUDGE_METRICS,
    Goal,
    GoalKind,
    resolve_goal,
)
from losslab.advisor._recommend import (
    GOAL_STATISTICS,
    SCHEMA_VERSION,
    TASK_FAMILIES,
    Candidate,
    Recommendation,
    profile,
    recommend,
    tweedie_power,
)
from losslab.data import TASK_KINDS, DataProfile, TaskInfo

__all__ = [
    "DEFAULT_GOALS",
    "GOALS_FOR_TASK",
    "GOAL_KINDS",
    "GOAL_STATISTICS",
    "JUDGE_METRICS",
    "SCHEMA_VERSION",
    "TASK_FAMILIES",
    "TASK_KINDS",
    "Candidate",
    "DataProfile",
    "Goal",
    "GoalKind",
    "Recommendation",
    "TaskInfo",
    "profile",
    "recommend",
    "resolve_goal",
    "tweedie_power",
]
