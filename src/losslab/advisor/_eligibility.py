"""Which catalog losses may serve a task and goal at all, and how well their statistic fits.

A loss is eligible when its family serves the task (:data:`TASK_FAMILIES`), its head is
usable by a tabular model, it is not a per-batch loss, the statistic it estimates serves
the goal (:data:`GOAL_STATISTICS`, which also gives the base score) and its ``requires``
hold on the target (:func:`unmet_requirement`, through :class:`~losslab._vocab.Requirement`).
"""

from __future__ import annotations

from losslab._vocab import TaskKind
from losslab.advisor._context import Context
from losslab.advisor._traits import is_plain_probability, requirements
from losslab.catalog import Family, Head, LossSpec

__all__ = ["GOAL_STATISTICS", "TASK_FAMILIES", "UNUSABLE_HEADS", "base_fit", "unmet_requirement"]

#: Task -> catalog families whose losses can serve it.
TASK_FAMILIES: dict[TaskKind, tuple[Family, ...]] = {
    TaskKind.REGRESSION: (Family.REGRESSION, Family.PROBABILISTIC_REGRESSION),
    TaskKind.POSITIVE: (Family.REGRESSION, Family.PROBABILISTIC_REGRESSION, Family.COUNT),
    TaskKind.COUNT: (Family.COUNT, Family.PROBABILISTIC_REGRESSION, Family.REGRESSION),
    TaskKind.PROPORTION: (Family.REGRESSION, Family.PROBABILISTIC_REGRESSION, Family.BINARY),
    TaskKind.BINARY: (Family.BINARY,),
    TaskKind.MULTICLASS: (Family.MULTICLASS,),
    TaskKind.MULTILABEL: (Family.MULTILABEL, Family.BINARY),
    TaskKind.ORDINAL: (Family.ORDINAL, Family.MULTICLASS),
}

#: Goal -> how well each statistic a loss estimates serves it (absent = not proposed).
GOAL_STATISTICS: dict[str, dict[str, float]] = {
    "mean": {"mean": 1.0, "distribution": 0.85, "median": 0.45},
    "median": {"median": 1.0, "quantile": 0.95, "distribution": 0.4, "mean": 0.35},
    "quantile": {"quantile": 1.0},
    "probability": {"probability": 1.0, "distribution": 0.8, "margin": 0.15},
    "labels": {"probability": 1.0, "margin": 0.8, "rank": 0.5, "distribution": 0.6},
    "ranking": {"probability": 1.0, "margin": 0.85, "rank": 0.9, "distribution": 0.6},
}

#: An ordinal target under a mean or median goal: class losses give a distribution over
#: the levels, from which the mean or median level is read.
_ORDINAL_NUMERIC_GOAL = {"probability": 0.8, "distribution": 0.8, "mean": 1.0, "median": 1.0}

#: Heads a tabular model cannot produce.
UNUSABLE_HEADS = frozenset({Head.EMBEDDING, Head.SEGMENTATION, Head.BOXES, Head.SEQUENCE})

_WHAT = {
    "mean": "estimates the conditional mean",
    "median": "estimates the conditional median",
    "quantile": "estimates conditional quantiles",
    "probability": "gives class probabilities",
    "distribution": "fits a full predictive distribution (mean and spread)",
    "margin": "maximises the margin (labels, no calibrated probabilities)",
    "rank": "optimises the ranking",
}


def base_fit(spec: LossSpec, ctx: Context) -> tuple[float, str] | None:
    """``(base score, what the loss estimates)`` or None when the spec does not serve the task.

    Example:
        >>> import pandas as pd
        >>> import losslab
        >>> from losslab.advisor._goal import Goal
        >>> prof = losslab.profile(pd.DataFrame({"y": [0.5, 1.5, 2.0, -1.0] * 5}), target="y")
        >>> ctx = Context.build(prof, prof.task, Goal("median"))
        >>> base_fit(losslab.get_spec("huber"), ctx)
        (0.35, 'estimates the conditional mean')
        >>> base_fit(losslab.get_spec("binary_crossentropy"), ctx) is None
        True
    """
    if spec.family not in TASK_FAMILIES[ctx.kind]:
        return None
    if spec.head in UNUSABLE_HEADS or spec.per_batch:
        return None
    stat = spec.statistic
    goal = ctx.goal.kind
    table = GOAL_STATISTICS[goal]
    if ctx.kind is TaskKind.PROPORTION and spec.family == Family.BINARY:
        if stat != "probability" or goal != "mean":
            return None
        return 1.0, "cross-entropy with soft [0, 1] targets estimates the mean proportion"
    if ctx.kind is TaskKind.ORDINAL and goal in ("mean", "median"):
        table = _ORDINAL_NUMERIC_GOAL
    if stat not in table:
        return None
    if ctx.kind.is_regression and spec.family == Family.BINARY:
        return None
    return table[stat], _WHAT.get(stat, f"estimates the {stat}")


def unmet_requirement(spec: LossSpec, ctx: Context) -> str | None:
    """Why the spec's ``requires`` fail on the target, or None when they hold.

    Only numeric tasks are checked: class targets are encoded for the loss (integer labels,
    one-hot, 0/1) by the experiment. ``y in {0,1}`` also accepts soft targets in [0, 1]
    for plain probability cross-entropy on a proportion (its quasi-binomial likelihood);
    focal and re-weighted variants are meant for labels.

    Example:
        >>> import pandas as pd
        >>> import losslab
        >>> from losslab.advisor._goal import Goal
        >>> prof = losslab.profile(pd.DataFrame({"y": [0.5, 1.5, 2.0, -1.0] * 5}), target="y")
        >>> ctx = Context.build(prof, prof.task, Goal("mean"))
        >>> unmet_requirement(losslab.get_spec("poisson"), ctx)
        'needs y>=0: the target has negative values'
    """
    if not ctx.kind.is_regression:
        return None
    values = ctx.target_values
    for req in requirements(spec):
        if not req.is_value_constraint:
            return f"needs {req.value} (class labels)"
        found = req.violations(values)
        if found is None:
            continue
        soft = (
            req.allows_soft_targets
            and ctx.kind is TaskKind.PROPORTION
            and is_plain_probability(spec)
        )
        if not soft:
            return f"needs {req.value}: the target has {found[1]}"
    return None
