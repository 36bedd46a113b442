"""Task inference from a target profile, with the reasons ("because ...")."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from losslab._vocab import TaskKind
from losslab.data._ordinal import ordinal_order
from losslab.data._types import DataProfile, TargetProfile
from losslab.errors import DataError

__all__ = ["TASK_KINDS", "TaskInfo", "TaskKind", "infer_task", "parse_task"]

#: Every task kind the advisor knows, in a fixed order (the values of :class:`TaskKind`).
TASK_KINDS: tuple[str, ...] = tuple(kind.value for kind in TaskKind)

#: Integer targets with more distinct values than this are counts or regression, not classes.
MAX_INTEGER_CLASSES = 10
#: Skewness above which a positive continuous target is called "positive skewed".
POSITIVE_SKEW = 1.0


@dataclass
class TaskInfo:
    """What kind of prediction task the target defines.

    Attributes:
        kind: a :class:`~losslab._vocab.TaskKind` (a ``StrEnum``: it equals its string, and
            a string given here is parsed into the member).
        reasons: why, in plain words ("because ...").
        classes: the class labels (binary, multiclass, ordinal in their order; the label
            columns for multilabel), else ``None``.
        overridden: True when the user forced ``kind`` (``--task``).
    """

    kind: TaskKind
    reasons: list[str] = field(default_factory=list)
    classes: list[Any] | None = None
    overridden: bool = False

    def __post_init__(self) -> None:
        self.kind = TaskKind.parse(self.kind)

    @property
    def n_classes(self) -> int | None:
        return len(self.classes) if self.classes is not None else None

    def to_dict(self) -> dict[str, Any]:
        return {
            "kind": self.kind.value,
            "reasons": list(self.reasons),
            "classes": list(self.classes) if self.classes is not None else None,
            "overridden": self.overridden,
        }


def _fmt(x: float | None) -> str:
    if x is None:
        return "n/a"
    return f"{x:.3g}"


def parse_task(text: str | TaskKind) -> TaskKind:
    """The :class:`TaskKind` named by ``text`` (``--task``); the same as :meth:`TaskKind.parse`.

    Example:
        >>> parse_task(" Count ") == "count"
        True
    """
    return TaskKind.parse(text)


def _single_class(t: TargetProfile) -> None:
    if t.n_distinct == 1 and t.value_counts:
        (label,) = t.value_counts
        raise DataError(
            f"Target {t.name!r} has a single value ({label!r}) in all {t.count} labelled rows: "
            "there is nothing to learn. Check the target column or the filter that produced the file."
        )


def _is_count_shaped(t: TargetProfile) -> tuple[bool, str]:
    """Zero-based integers with one peak and a right tail: counts, not class codes.

    Needs at least 4 values (0..3; three codes are read as classes), positive skewness and a
    unimodal frequency profile (rising to the mode, falling after it, with a tolerance for
    sampling noise). Uniform codes (digits, iris) have no skew; Likert-like codes rarely
    have a single peak at the bottom and a right tail.
    """
    assert t.value_counts is not None
    counts = {int(k): int(v) for k, v in t.value_counts.items()}
    top = max(counts)
    if t.min != 0 or len(counts) < 4:
        return False, ""
    skew = t.skewness or 0.0
    if skew <= 0.25:
        return False, ""
    freq = [counts.get(i, 0) for i in range(top + 1)]
    mode = max(range(len(freq)), key=lambda i: freq[i])

    def close(lo: int, hi: int) -> bool:  # hi is not clearly larger than lo
        return hi <= lo * 1.15 + 3

    rising = all(close(freq[i + 1], freq[i]) for i in range(mode))
    falling = all(close(freq[i], freq[i + 1]) for i in range(mode, len(freq) - 1))
    if not (rising and falling):
        return False, ""
    return True, (
        f"their frequencies rise to one peak at {mode} and fall off in a right tail "
        f"(skewness {skew:.2f}), the shape of event counts"
    )


def infer_task(prof: DataProfile, task: str | None = None) -> TaskInfo:
    """Infer the task from the target profile, or check and explain a forced ``task``.

    Args:
        prof: the data profile.
        task: force this kind (one of :data:`TASK_KINDS`); reasons then say so.

    Returns:
        A :class:`TaskInfo`.

    Raises:
        DataError: a single-class target, or an unknown ``task``.

    Example:
        >>> import pandas as pd
        >>> from losslab.data import profile_table
        >>> p = profile_table(pd.DataFrame({"y": [0, 1, 0, 1, 1]}), "y")
        >>> str(infer_task(p).kind)
        'binary'
    """
    forced = TaskKind.parse(task) if task is not None else None
    info = _infer(prof)
    if forced is None:
        return info
    if forced == info.kind:
        info.overridden = True
        info.reasons.insert(0, f"forced with --task {forced} (the data agrees)")
        return info
    t = prof.target
    classes: list[Any] | None = None
    if forced.has_class_labels:
        classes = t.labels or None
        if classes is None:
            raise DataError(
                f"--task {forced} needs class labels, but target {t.name!r} has more than "
                f"{len(t.value_counts or {}) or 'a thousand'} distinct values. Received: --task "
                f"{forced}. Use --task regression, or bin the target first."
            )
        rule = None
        if forced is TaskKind.ORDINAL and t.ordered_levels is None:
            classes, rule = ordinal_order(classes, t.name)
        if forced is TaskKind.BINARY and len(classes) != 2:
            raise DataError(
                f"--task binary needs exactly 2 classes; target {t.name!r} has {len(classes)}. "
                "Use --task multiclass or ordinal."
            )
    if forced is TaskKind.MULTILABEL:
        if len(prof.targets) < 2:
            raise DataError(
                "--task multilabel needs several 0/1 target columns. Received one target "
                f"{t.name!r}. Pass --target a,b,c."
            )
        classes = prof.target_names
    if forced.is_regression and t.kind != "numeric":
        raise DataError(
            f"--task {forced} needs a numeric target; {t.name!r} is {t.kind} ({t.dtype}). "
            "Use --task binary / multiclass / ordinal."
        )
    if forced is TaskKind.COUNT and (t.negative_share or not t.integer_valued):
        raise DataError(
            f"--task count needs non-negative integers; {t.name!r} has min {_fmt(t.min)} and "
            f"{'non-integer' if not t.integer_valued else 'negative'} values. Use --task regression."
        )
    if forced is TaskKind.POSITIVE and (t.min is None or t.min < 0):
        raise DataError(
            f"--task positive needs y >= 0; {t.name!r} has min {_fmt(t.min)}. Use --task regression."
        )
    if forced is TaskKind.PROPORTION and not t.unit_interval:
        raise DataError(
            f"--task proportion needs values in [0, 1]; {t.name!r} spans "
            f"[{_fmt(t.min)}, {_fmt(t.max)}]. Rescale the target or use --task regression."
        )
    reasons = [
        f"forced with --task {forced} (inferred: {info.kind}, because {'; '.join(info.reasons)})"
    ]
    if forced is TaskKind.ORDINAL and classes is not None and t.ordered_levels is None:
        reasons.append(f"classes ordered by their {rule}: {', '.join(map(str, classes[:10]))}")
    return TaskInfo(kind=forced, reasons=reasons, classes=classes, overridden=True)


def _infer(prof: DataProfile) -> TaskInfo:
    if len(prof.targets) > 1:
        return _infer_multilabel(prof)
    t = prof.target
    _single_class(t)
    if t.kind != "numeric":
        return _infer_categorical(t)
    if t.n_distinct == 2:
        return TaskInfo(
            TaskKind.BINARY,
            [f"the target has exactly 2 distinct values: {t.labels}"],
            classes=t.labels,
        )
    if t.integer_valued and (t.negative_share or 0) == 0:
        if t.n_distinct is not None and t.n_distinct <= MAX_INTEGER_CLASSES:
            return _infer_integer_codes(t)
        return _infer_whole_numbers(t)
    return _infer_continuous(t)


def _infer_multilabel(prof: DataProfile) -> TaskInfo:
    """Several target columns: 0/1 labels each, or an error."""
    bad = [
        t.name
        for t in prof.targets
        if not (t.n_distinct is not None and t.n_distinct <= 2 and set(t.labels) <= {0, 1})
    ]
    if bad:
        raise DataError(
            f"Several target columns are read as a multilabel target and must hold 0/1 values; "
            f"{', '.join(map(repr, bad))} do not. Pass one --target for other tasks."
        )
    return TaskInfo(
        TaskKind.MULTILABEL,
        [f"{len(prof.targets)} target columns, each holding 0/1 labels"],
        classes=prof.target_names,
    )


def _infer_categorical(t: TargetProfile) -> TaskInfo:
    """A non-numeric target: ordered levels, two values or unordered categories."""
    k = t.n_distinct
    labels = t.labels
    if t.ordered_levels is not None and len(t.ordered_levels) > 2:
        return TaskInfo(
            TaskKind.ORDINAL,
            [f"the target is an ordered categorical with levels {t.ordered_levels}"],
            classes=list(t.ordered_levels),
        )
    if k == 2:
        return TaskInfo(
            TaskKind.BINARY,
            [f"the {t.kind} target has exactly 2 values: {labels}"],
            classes=labels,
        )
    if k is None:
        raise DataError(
            f"Target {t.name!r} is {t.kind} with more than {len(labels) or 1000} distinct values; "
            "it looks like an identifier or free text, not a label. Choose another --target."
        )
    return TaskInfo(
        TaskKind.MULTICLASS,
        [f"the {t.kind} target has {k} unordered categories"],
        classes=labels,
    )


def _infer_integer_codes(t: TargetProfile) -> TaskInfo:
    """At most 10 non-negative whole numbers: counts, a rating scale or class codes."""
    k = t.n_distinct
    labels = t.labels
    count_like, why = _is_count_shaped(t)
    if count_like:
        return TaskInfo(
            TaskKind.COUNT,
            [
                f"non-negative integers ({k} distinct values) and {why}; use --task "
                "multiclass if they are class codes"
            ],
        )
    contiguous = labels == list(range(int(labels[0]), int(labels[0]) + len(labels)))
    if contiguous and labels[0] == 1:
        return TaskInfo(
            TaskKind.ORDINAL,
            [
                f"a short integer scale {labels[0]}..{labels[-1]} ({k} consecutive levels), "
                "like a rating; use --task multiclass if the codes are unordered"
            ],
            classes=labels,
        )
    return TaskInfo(
        TaskKind.MULTICLASS,
        [
            f"few integer codes ({k} values: {labels}) that look like class labels; "
            "use --task ordinal if they are ordered"
        ],
        classes=labels,
    )


def _infer_whole_numbers(t: TargetProfile) -> TaskInfo:
    """Many non-negative whole numbers: counts when they reach down to zero, else a measurement."""
    k = t.n_distinct
    near_zero = (t.min or 0) <= 1 or (
        t.q01 is not None and t.median is not None and t.q01 <= 0.1 * t.median
    )
    if not near_zero:
        return TaskInfo(
            TaskKind.REGRESSION,
            [
                f"whole numbers far from zero (min {_fmt(t.min)}, median {_fmt(t.median)}, "
                f"{k if k is not None else 'more than 1000'} distinct values) behave as a "
                "continuous measurement; use --task count if they count events"
            ],
        )
    vmr = t.variance_to_mean
    dispersion = (
        f"; variance/mean = {vmr:.2f} ({'over-dispersed' if vmr > 1.5 else 'Poisson-like'})"
        if vmr is not None
        else ""
    )
    return TaskInfo(
        TaskKind.COUNT,
        [
            f"non-negative integers with {k if k is not None else 'more than 1000'} distinct "
            f"values (min {_fmt(t.min)}, max {_fmt(t.max)}){dispersion}"
        ],
    )


def _infer_continuous(t: TargetProfile) -> TaskInfo:
    """Real values: a proportion, a positive skewed quantity or plain regression."""
    if t.unit_interval:
        return TaskInfo(
            TaskKind.PROPORTION,
            [f"real values bounded in [0, 1] (min {_fmt(t.min)}, max {_fmt(t.max)})"],
        )
    if (t.min or 0) >= 0 and (t.skewness or 0) > POSITIVE_SKEW:
        zeros = f", {t.zero_share:.0%} zeros" if t.zero_share else ""
        return TaskInfo(
            TaskKind.POSITIVE,
            [
                f"non-negative continuous values (min {_fmt(t.min)}{zeros}) with a long right "
                f"tail (skewness {t.skewness:.2f})"
            ],
        )
    why = (
        "real values with negative numbers"
        if (t.negative_share or 0) > 0
        else f"continuous values without strong skew (skewness {_fmt(t.skewness)})"
    )
    return TaskInfo(TaskKind.REGRESSION, [why])
