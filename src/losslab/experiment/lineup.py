"""The line-up of an experiment: the loss configurations that compete (:class:`Contender`).

Not to be confused with the advisor's recommendations: a contender is one catalog loss
with its full, validated parameters and optional class weighting, with a file-safe id.
:func:`advisor_lineup` turns an advisor shortlist into contenders for ``run``.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from losslab._vocab import TaskKind
from losslab.catalog import LossSpec, get_spec, parse_loss_string, split_loss_list
from losslab.errors import DataError, InvalidParameterError, LosslabError

__all__ = [
    "PLAIN_CROSS_ENTROPY",
    "Candidate",
    "Contender",
    "advisor_class_weight",
    "advisor_lineup",
    "build_lineup",
    "make_contender",
    "parse_candidate",
    "parse_contender",
]

#: Losses the advisor's class weights go with (its note says: plain cross-entropy).
PLAIN_CROSS_ENTROPY = frozenset(
    {"binary_crossentropy", "categorical_crossentropy", "sparse_categorical_crossentropy"}
)


@dataclass(frozen=True)
class Contender:
    """One loss configuration to compare.

    Attributes:
        id: file-safe unique id (``huber-delta=2``).
        label: display label (``huber:delta=2``).
        spec: the catalog entry.
        params: full validated parameters.
        class_weight: ``"balanced"``, a ``{class: weight}`` mapping or None.
    """

    id: str
    label: str
    spec: LossSpec
    params: dict[str, Any]
    class_weight: Any = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "label": self.label,
            "loss": self.spec.name,
            "params": {k: (list(v) if isinstance(v, tuple) else v) for k, v in self.params.items()},
            "class_weight": self.class_weight,
        }


#: The name the public API has always used.
Candidate = Contender


def _fmt_value(v: Any) -> str:
    if isinstance(v, list | tuple):
        return "[" + ",".join(_fmt_value(x) for x in v) + "]"
    if isinstance(v, float) and v.is_integer():
        return str(int(v))
    return str(v)


def make_contender(
    spec: LossSpec, params: Mapping[str, Any], class_weight: Any = None, label: str | None = None
) -> Contender:
    """A :class:`Contender` with validated parameters, a label naming the non-default ones
    and a file-safe id.

    Example:
        >>> make_contender(get_spec("huber"), {"delta": 2.0}).id
        'huber-delta=2'
    """
    full = spec.validate_params(dict(params))
    changed = {k: v for k, v in full.items() if spec.defaults.get(k) != v}
    auto = spec.name + (
        ":" + ",".join(f"{k}={_fmt_value(v)}" for k, v in changed.items()) if changed else ""
    )
    if class_weight is not None:
        auto += "@" + (class_weight if isinstance(class_weight, str) else "weighted")
    cid = re.sub(
        r"[^A-Za-z0-9._=+-]+", "-", auto.replace(":", "-").replace(",", "-").replace("@", "-cw-")
    ).strip("-")
    if len(cid) > 80:
        cid = cid[:60] + "-" + hashlib.sha256(cid.encode()).hexdigest()[:10]
    return Contender(cid, label or auto, spec, full, class_weight)


def parse_contender(
    item: str | Mapping[str, Any] | LossSpec | Contender, class_weight: Any = None
) -> Contender:
    """A :class:`Contender` from ``"huber:delta=2"``, ``"bce@balanced"`` (class weighting),
    ``{"loss": ..., "params": {...}, "class_weight": ...}`` or a :class:`LossSpec`.

    Raises:
        UnknownLossError, InvalidParameterError: from the catalog.

    Example:
        >>> parse_contender("bce@balanced").label
        'binary_crossentropy@balanced'
    """
    if isinstance(item, Contender):
        return item
    if isinstance(item, LossSpec):
        return make_contender(item, {}, class_weight)
    if isinstance(item, Mapping):
        unknown = sorted(set(item) - {"loss", "params", "class_weight", "label"})
        if unknown or "loss" not in item:
            raise InvalidParameterError(
                f"A candidate mapping needs 'loss' and may have 'params', 'class_weight', 'label'. "
                f"Received keys: {sorted(item)}."
            )
        spec = get_spec(item["loss"])
        return make_contender(
            spec, item.get("params", {}), item.get("class_weight", class_weight), item.get("label")
        )
    if not isinstance(item, str):
        raise InvalidParameterError(
            f"A loss must be a name like 'huber:delta=2', a mapping or a LossSpec. Received: {item!r}."
        )
    text, _, cw = item.partition("@")
    cw_value: Any = class_weight
    if cw:
        if cw.strip() != "balanced":
            raise InvalidParameterError(
                f"Unknown class weighting {cw.strip()!r} in {item!r}. Write '{text}@balanced' or leave it out."
            )
        cw_value = "balanced"
    spec, params = parse_loss_string(text)
    return make_contender(spec, params, cw_value)


#: The name the public API has always used.
parse_candidate = parse_contender


def build_lineup(losses: Sequence[Any] | str, class_weight: Any = None) -> tuple[Contender, ...]:
    """Contenders from the ``losses=`` argument (a list, or a comma-separated string).

    Raises:
        InvalidParameterError: an empty list or a loss listed twice.

    Example:
        >>> [c.id for c in build_lineup("mse,huber:delta=2")]
        ['mean_squared_error', 'huber-delta=2']
    """
    if isinstance(losses, str):
        losses = [s for s in split_loss_list(losses) if s.strip()]
    if not losses:
        raise InvalidParameterError(
            "No losses to compare. Received an empty list. Pass e.g. losses=['mse', 'mae']."
        )
    lineup = [parse_contender(x, class_weight) for x in losses]
    seen: dict[str, str] = {}
    for c in lineup:
        if c.id in seen:
            raise InvalidParameterError(
                f"Loss {c.label!r} is listed twice (as {seen[c.id]!r}). Remove the duplicate."
            )
        seen[c.id] = c.label
    return tuple(lineup)


def advisor_class_weight(
    weights: Mapping[Any, float] | None, y: np.ndarray, kind: TaskKind
) -> dict[int, float] | None:
    """The advisor's ``{class label: weight}`` as ``{class code: weight}`` in the class order
    of the experiment (the protocol's sorted labels), or None when it gives none or a label
    cannot be matched."""
    if not weights or not kind.has_class_labels:
        return None
    from losslab.experiment.protocol import encode_target

    try:
        _, classes = encode_target(np.asarray(y), kind, None)
    except LosslabError:
        return None
    out: dict[int, float] = {}
    for i, c in enumerate(classes or []):
        match = [w for k, w in weights.items() if k == c or str(k) == str(c)]
        if not match:
            return None
        out[i] = float(match[0])
    return out


def advisor_lineup(
    recommendation: Any, y: np.ndarray, *, extra: Sequence[Any] = (), class_weight: Any = None
) -> tuple[Contender, ...]:
    """The contenders of ``run``: the advisor's shortlist plus ``extra``, keeping those that
    fit a tabular experiment on these targets.

    When the advisor gives class weights (imbalanced classes), each plain cross-entropy
    contender also runs with them (a twin labelled ``<loss>@weighted``; the unweighted one
    stays, it keeps probabilities calibrated), unless ``class_weight`` (the user's) is given.

    Raises:
        DataError: none of the recommended losses fits.
    """
    from losslab.experiment import heads

    kind = TaskKind.parse(recommendation.task.kind)
    items: list[Any] = [
        {"loss": c.loss, "params": dict(c.params or {})} for c in recommendation.candidates
    ]
    items += list(extra)
    weights = advisor_class_weight(recommendation.class_weight, y, kind)
    y_check = np.zeros(1) if kind.has_class_labels else np.asarray(y)
    fitting: dict[str, Contender] = {}
    for it in items:
        c = parse_contender(it, class_weight)
        try:
            heads.check_fits(c.spec, c.params, task=kind, y=y_check)
        except LosslabError:
            continue
        fitting.setdefault(c.id, c)
        if weights is not None and c.class_weight is None and c.spec.name in PLAIN_CROSS_ENTROPY:
            twin = make_contender(c.spec, c.params, weights)
            fitting.setdefault(twin.id, twin)
    if not fitting:
        raise DataError(
            f"None of the recommended losses ({', '.join(c.loss for c in recommendation.candidates)}) fits a "
            f"tabular {kind} experiment on this target. Use `losslab compare --losses ...` with losses of your choice."
        )
    return tuple(fitting.values())
