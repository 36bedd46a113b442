"""The context of one recommendation: what the data says, computed once from the profile.

:class:`Context` holds the profile, the task and the goal, and the facts the rules read
(heavy tails, skewness, zeros, dispersion, class counts, imbalance, label noise, the values
that stand for the target in requirement checks). It never changes the profile it reads.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from losslab._vocab import TaskKind
from losslab.advisor._goal import Goal
from losslab.data import DataProfile, TargetProfile, TaskInfo

__all__ = ["HEAVY_KURTOSIS", "HEAVY_OUTLIER_SHARE", "HEAVY_TAIL_RATIO", "NOISY_SHARE", "Context"]

#: Heavy tails: more than this share of MAD outliers, ...
HEAVY_OUTLIER_SHARE = 0.01
#: ... or excess kurtosis above this, ...
HEAVY_KURTOSIS = 3.0
#: ... or a tail ratio above this (1 for Gaussian tails).
HEAVY_TAIL_RATIO = 1.6
#: |skewness| above which a target is called skewed.
SKEWED = 1.0
#: Share of conflicting duplicate rows above which labels are called noisy.
NOISY_SHARE = 0.05


@dataclass(frozen=True)
class Context:
    """The data facts one recommendation reads (built by :meth:`build`; the profile is not changed).

    Attributes:
        profile: the data profile (read only).
        task: the task.
        goal: the goal.
        kind: ``task.kind`` as a :class:`~losslab._vocab.TaskKind`.
        heavy: outliers or heavy tails in the target (MAD outlier share > 1%, excess
            kurtosis > 3 or tail ratio > 1.6).
        skewed: |skewness| > 1.
        zero_share: share of exact zeros (0 when unknown).
        vmr: variance / mean, or None.
        counts: (label, count) per class in class order; (column, positives) per label
            column for multilabel.
        imbalance: largest / smallest class count (for multilabel: from the rarest label's
            prevalence, (1 - p) / p); 1 for regression tasks.
        noisy: more than 5% of the rows conflict with an identical feature row.

    Example:
        >>> import pandas as pd
        >>> import losslab
        >>> prof = losslab.profile(pd.DataFrame({"y": [0, 0, 0, 1] * 25}), target="y")
        >>> ctx = Context.build(prof, prof.task, Goal("probability"))
        >>> ctx.counts, ctx.imbalance
        ([(0, 75), (1, 25)], 3.0)
    """

    profile: DataProfile
    task: TaskInfo
    goal: Goal
    kind: TaskKind
    heavy: bool = False
    skewed: bool = False
    zero_share: float = 0.0
    vmr: float | None = None
    counts: list[tuple[Any, int]] = field(default_factory=list)
    imbalance: float = 1.0
    noisy: bool = False

    @classmethod
    def build(cls, profile: DataProfile, task: TaskInfo, goal: Goal) -> Context:
        """Compute the facts of ``profile`` for ``task`` and ``goal``."""
        t = profile.target
        kind = TaskKind.parse(task.kind)
        counts = _class_counts(profile, task, kind) if kind.is_classification else []
        return cls(
            profile=profile,
            task=task,
            goal=goal,
            kind=kind,
            heavy=bool(
                (t.outlier_share_mad or 0) > HEAVY_OUTLIER_SHARE
                or (t.excess_kurtosis or 0) > HEAVY_KURTOSIS
                or (t.tail_ratio or 0) > HEAVY_TAIL_RATIO
            ),
            skewed=abs(t.skewness or 0.0) > SKEWED,
            zero_share=float(t.zero_share or 0.0),
            vmr=t.variance_to_mean,
            counts=counts,
            imbalance=_imbalance(profile, kind, counts) if kind.is_classification else 1.0,
            noisy=(profile.duplicate_conflict_share or 0.0) > NOISY_SHARE,
        )

    @property
    def target(self) -> TargetProfile:
        """The (first) target column's profile."""
        return self.profile.target

    @property
    def target_values(self) -> np.ndarray:
        """Values that stand for the target in requirement checks.

        The distinct values when the profile counted them (at most 1,000); else the
        minimum, the maximum, a zero when there are zeros and the mean (a value strictly
        between the extremes of a target with more than 1,000 distinct values), so
        ``Requirement.violations`` answers as on the full column.
        """
        t = self.target
        if t.value_counts is not None and t.kind == "numeric":
            return np.array([float(v) for v in t.value_counts], dtype=np.float64)
        values = [v for v in (t.min, t.max) if v is not None]
        if t.zero_share:
            values.append(0.0)
        if t.mean is not None and (t.mean != 0.0 or t.zero_share):
            values.append(t.mean)
        return np.array(values, dtype=np.float64)

    def outlier_text(self) -> str:
        """The outlier evidence in words, for reasons."""
        t = self.target
        parts = []
        if t.outlier_share_mad is not None:
            parts.append(f"{t.outlier_share_mad:.1%} of the target are outliers (robust z > 3.5)")
        if t.excess_kurtosis is not None:
            parts.append(f"excess kurtosis {t.excess_kurtosis:.1f}")
        return ", ".join(parts) or "heavy tails"


def _class_counts(profile: DataProfile, task: TaskInfo, kind: TaskKind) -> list[tuple[Any, int]]:
    if kind is TaskKind.MULTILABEL:
        out = []
        for tp in profile.targets:
            vc = tp.value_counts or {}
            out.append((tp.name, sum(c for k, c in vc.items() if k in (1, True))))
        return out
    vc = profile.target.value_counts or {}
    labels = task.classes or list(vc)
    return [(k, int(vc.get(k, 0))) for k in labels]


def _imbalance(profile: DataProfile, kind: TaskKind, counts: list[tuple[Any, int]]) -> float:
    if kind is TaskKind.MULTILABEL:
        n = profile.target.count or 1
        prev = [c / n for _, c in counts]
        low = min(min(p, 1 - p) for p in prev) if prev else 0.5
        return (1 - low) / low if low > 0 else math.inf
    c = [n for _, n in counts if n > 0]
    return max(c) / min(c) if len(c) >= 2 else 1.0
