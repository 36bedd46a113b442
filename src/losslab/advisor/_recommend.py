"""From a data profile to a ranked shortlist of catalog losses, each with its reasons.

The facade over the steps: :mod:`._context` (what the data says), :mod:`._eligibility`
(family, head, statistic and ``requires`` of each spec), :mod:`._rules` (scoring rules),
:mod:`._configure` (hyperparameters from the data), :mod:`._rank` (ranking, one loss per
label encoding, variety, class weights, notes) and :mod:`._result` (the answer and its
JSON / Markdown forms). Candidates come from the catalog alone (``losslab.list_losses()``)
and are judged by their metadata, so a loss not in the catalog yet is simply not proposed.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from typing import Any

from losslab.advisor._context import Context
from losslab.advisor._goal import Goal, resolve_goal
from losslab.advisor._rank import class_weight, notes, rank
from losslab.advisor._result import Recommendation
from losslab.catalog import LossSpec, list_losses
from losslab.data import DEFAULT_SAMPLE_SIZE, DataProfile, infer_task, profile_table
from losslab.errors import DataError

__all__ = ["profile", "recommend"]


def profile(
    data: Any,
    target: str | Sequence[str],
    *,
    task: str | None = None,
    sample_size: int = DEFAULT_SAMPLE_SIZE,
) -> DataProfile:
    """Profile ``data`` for ``target`` and infer the task (``profile.task``).

    Args:
        data: a CSV/Parquet path, a pandas DataFrame or a pyarrow Table.
        target: the target column (several 0/1 columns for multilabel).
        task: force the task kind instead of inferring it.
        sample_size: rows sampled for order statistics, duplicates and leakage.

    Returns:
        A :class:`~losslab.data.DataProfile` with ``task`` set.

    Raises:
        DataError: missing target (columns listed), empty data, all-missing target, a
            single class, unknown task.

    Example:
        >>> import pandas as pd
        >>> p = profile(pd.DataFrame({"x": [1, 2, 3, 4], "y": [0, 1, 0, 1]}), target="y")
        >>> p.task.kind == "binary", p.task.classes
        (True, [0, 1])
    """
    prof = profile_table(data, target, sample_size=sample_size)
    prof.task = infer_task(prof, task)
    return prof


def _profile_with_task(data: Any, target: Any, task: str | None, sample_size: int) -> DataProfile:
    """The profile to read, with its task; a given profile is never changed (a copy
    carries a new task)."""
    if isinstance(data, DataProfile):
        if task is None and data.task is not None:
            return data
        return dataclasses.replace(data, task=infer_task(data, task))
    if target is None:
        raise DataError("recommend() needs target='column'. Received: target=None.")
    return profile(data, target, task=task, sample_size=sample_size)


def recommend(
    data: Any,
    target: str | Sequence[str] | None = None,
    task: str | None = None,
    goal: str | Goal | None = None,
    top: int | None = 5,
    *,
    quantile: float | None = None,
    sample_size: int = DEFAULT_SAMPLE_SIZE,
    catalog: Sequence[LossSpec] | None = None,
) -> Recommendation:
    """Recommend catalog losses for predicting ``target`` from ``data``, with reasons.

    Args:
        data: a CSV/Parquet path, a pandas DataFrame, a pyarrow Table, or a
            :class:`~losslab.data.DataProfile` from :func:`profile` (then ``target`` may be
            omitted; the profile is not changed).
        target: the target column (several 0/1 columns for multilabel).
        task: force the task (``binary``, ``multiclass``, ``multilabel``, ``regression``,
            ``count``, ``positive``, ``proportion``, ``ordinal``); inferred when ``None``.
        goal: ``mean``, ``median``, ``quantile:Q`` (or a :class:`Goal`), ``probability``,
            ``labels``, ``ranking``; the task's default when ``None``.
        top: length of the shortlist (``None`` for every fitting loss).
        quantile: the level when ``goal="quantile"`` is given without one (``quantile:Q``
            carries its own level).
        sample_size: rows sampled for order statistics, duplicates and leakage.
        catalog: the specs to choose from (default: ``losslab.list_losses()``).

    Returns:
        A :class:`Recommendation` (``.task``, ``.goal``, ``.judge_metric``, ``.candidates``).

    Raises:
        DataError: bad data or target, unknown task or goal, ``top < 1``.
        TaskMismatchError: a goal that does not fit the task.

    Example:
        >>> import numpy as np, pandas as pd
        >>> rng = np.random.default_rng(0)
        >>> df = pd.DataFrame({"x": rng.normal(size=500)})
        >>> df["y"] = rng.poisson(np.exp(0.3 * df.x + 1.0))
        >>> rec = recommend(df, target="y")
        >>> str(rec.task.kind), rec.judge_metric
        ('count', 'rmse')
        >>> [c.loss for c in rec.candidates[:2]]
        ['poisson', 'poisson_nll']
    """
    if top is not None and top < 1:
        raise DataError(f"top must be >= 1. Received: top={top}.")
    prof = _profile_with_task(data, target, task, sample_size)
    info = prof.task
    if quantile is not None and isinstance(goal, str) and goal.strip().lower() in ("quantile", "q"):
        goal = f"quantile:{quantile}"
    g = resolve_goal(goal, info.kind)
    ctx = Context.build(prof, info, g)
    specs = list(catalog) if catalog is not None else list_losses()
    cands = rank(ctx, specs)
    if top is not None:
        cands = cands[:top]
    weights = class_weight(ctx)
    advice = notes(ctx, weights)
    if not cands:
        advice.append(
            f"No loss in the catalog fits a {info.kind} task with goal {g} yet "
            f"({len(specs)} losses searched). Run `losslab losses` to see them."
        )
    return Recommendation(
        task=info,
        profile=prof,
        goal=g,
        judge_metric=g.judge_metric,
        judge_metrics=g.judge_metrics,
        candidates=cands,
        class_weight=weights,
        notes=advice,
    )
