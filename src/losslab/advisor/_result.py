"""The advisor's answer: :class:`Recommendation` and its :class:`Candidate` losses, with
their stable JSON form (``schema_version`` 1, docs/advisor.md) and Markdown view."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from losslab.advisor._goal import Goal
from losslab.advisor._render import to_markdown
from losslab.data import DataProfile, TaskInfo

__all__ = ["SCHEMA_VERSION", "Candidate", "Recommendation"]

#: Version of the JSON document; keys are only added within a version.
SCHEMA_VERSION = 1


@dataclass
class Candidate:
    """One recommended loss.

    Example:
        >>> Candidate("huber", {"delta": 0.8}, "Robust.", 1.35).loss_string
        'huber:delta=0.8'

    Attributes:
        loss: catalog name (``losslab.get(loss, **params)`` builds it).
        params: configured hyperparameters (only those that differ from the defaults or
            were set from the data).
        reason: why this loss, and why these hyperparameters.
        score: ranking score (higher is better; comparable within one recommendation).
        family, statistic, head: the spec's metadata, for display.
    """

    loss: str
    params: dict[str, Any]
    reason: str
    score: float
    family: str = ""
    statistic: str = ""
    head: str = ""

    @property
    def loss_string(self) -> str:
        """``name:param=value;...`` as accepted by ``parse_loss_string`` (``;`` between
        parameters, so a comma-separated ``--losses`` list stays unambiguous)."""
        if not self.params:
            return self.loss
        return self.loss + ":" + ";".join(f"{k}={_short(v)}" for k, v in self.params.items())

    def to_dict(self) -> dict[str, Any]:
        return {
            "loss": self.loss,
            "params": dict(self.params),
            "loss_string": self.loss_string,
            "reason": self.reason,
            "score": round(self.score, 4),
            "family": self.family,
            "statistic": self.statistic,
            "head": self.head,
        }


def _short(v: Any) -> str:
    if isinstance(v, float):
        return f"{v:.6g}"
    if isinstance(v, list | tuple):
        return "[" + ",".join(_short(x) for x in v) + "]"
    return repr(v) if isinstance(v, str) else str(v)


@dataclass
class Recommendation:
    """The advisor's answer (JSON schema: docs/advisor.md).

    Attributes:
        task: the inferred (or forced) :class:`~losslab.data.TaskInfo`.
        profile: the :class:`~losslab.data.DataProfile` it was read from.
        goal: the :class:`Goal`.
        judge_metric: the primary judge metric (``JUDGE_METRICS[goal.kind][0]``).
        judge_metrics: every judge metric of the goal.
        candidates: ranked :class:`Candidate` list (best first).
        class_weight: label -> weight for ``model.fit(class_weight=...)`` when classes are
            imbalanced (inverse frequency, mean weight 1), else ``None``.
        notes: diagnostics and advice that are not tied to one loss.
    """

    task: TaskInfo
    profile: DataProfile
    goal: Goal
    judge_metric: str
    judge_metrics: tuple[str, ...]
    candidates: list[Candidate]
    class_weight: dict[Any, float] | None = None
    notes: list[str] = field(default_factory=list)

    @property
    def losses(self) -> list[str]:
        """The shortlist as ``name:param=value`` strings (what ``losslab run`` compares)."""
        return [c.loss_string for c in self.candidates]

    def to_dict(self) -> dict[str, Any]:
        """The stable JSON document (``schema_version`` 1, see docs/advisor.md)."""
        return {
            "schema_version": SCHEMA_VERSION,
            "target": self.profile.target_names[0]
            if len(self.profile.targets) == 1
            else self.profile.target_names,
            "task": self.task.to_dict(),
            "goal": self.goal.to_dict(),
            "judge_metric": self.judge_metric,
            "judge_metrics": list(self.judge_metrics),
            "candidates": [c.to_dict() for c in self.candidates],
            "class_weight": {str(k): v for k, v in self.class_weight.items()}
            if self.class_weight
            else None,
            "notes": list(self.notes),
            "profile": self.profile.to_dict(),
        }

    def to_markdown(self) -> str:
        """A Markdown summary: task, goal, judge metric, shortlist table, notes."""
        return to_markdown(self)

    def _repr_html_(self) -> str:  # the shortlist in a notebook
        from losslab.advisor.display import recommendation_html

        return recommendation_html(self)
