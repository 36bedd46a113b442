"""The loss advisor: profile the data, infer the task, recommend catalog losses with reasons.

Public API::

    losslab.profile(data, target="y")                  # DataProfile (with .task)
    losslab.recommend(data, target="y", goal="median") # Recommendation
    losslab.advisor.JUDGE_METRICS                      # goal -> judge metric names

No Keras import: the advisor reads the catalog's metadata only. The steps, one module each:
``_context`` (data facts), ``_eligibility`` (which specs fit), ``_traits`` (metadata
questions), ``_rules`` (scoring rules), ``_configure`` (hyperparameters), ``_rank``
(ranking), ``_result`` / ``_render`` (the answer), ``_recommend`` (the facade).
"""

from losslab.advisor._configure import tweedie_power
from losslab.advisor._eligibility import GOAL_STATISTICS, TASK_FAMILIES
from losslab.advisor._goal import (
    DEFAULT_GOALS,
    GOAL_KINDS,
    GOALS_FOR_TASK,
    JUDGE_METRICS,
    Goal,
    GoalKind,
    resolve_goal,
)
from losslab.advisor._rank import SIMILARITY_PENALTY
from losslab.advisor._recommend import profile, recommend
from losslab.advisor._result import SCHEMA_VERSION, Candidate, Recommendation
from losslab.advisor._traits import PENDING_CATALOG_METADATA
from losslab.data import TASK_KINDS, DataProfile, TaskInfo, TaskKind

__all__ = [
    "DEFAULT_GOALS",
    "GOALS_FOR_TASK",
    "GOAL_KINDS",
    "GOAL_STATISTICS",
    "JUDGE_METRICS",
    "PENDING_CATALOG_METADATA",
    "SCHEMA_VERSION",
    "SIMILARITY_PENALTY",
    "TASK_FAMILIES",
    "TASK_KINDS",
    "Candidate",
    "DataProfile",
    "Goal",
    "GoalKind",
    "Recommendation",
    "TaskInfo",
    "TaskKind",
    "profile",
    "recommend",
    "resolve_goal",
    "tweedie_power",
]
