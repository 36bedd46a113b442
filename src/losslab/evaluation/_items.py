"""The losses to evaluate: :class:`LossItem`, loss-list parsing and the label rules.

A label rule says how a loss reads the label column; both are read from the catalog
metadata of the loss (its ``requires`` and its input generator), never from its name.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from losslab._vocab import Requirement
from losslab.catalog import LossSpec, parse_loss_string, split_loss_list
from losslab.errors import InvalidParameterError

__all__ = ["LossItem", "label_is_index", "parse_losses", "requirements", "uses_binary_label_rule"]


def requirements(spec: LossSpec) -> frozenset[Requirement]:
    """The target requirements of ``spec`` that belong to the shared vocabulary.

    Free-text requirements of a custom loss that :class:`~losslab._vocab.Requirement` does
    not know are left out.

    Example:
        >>> from losslab.catalog import get_spec
        >>> sorted(requirements(get_spec("hinge")))
        [<Requirement.SIGNED_BINARY: 'y in {-1,1}'>]
    """
    out = set()
    for text in spec.requires:
        try:
            out.add(Requirement.parse(text))
        except InvalidParameterError:
            continue
    return frozenset(out)


def uses_binary_label_rule(spec: LossSpec) -> bool:
    """True for losses that convert {0, 1} labels to {-1, 1} when the whole batch is binary.

    These are the losses that require labels in {-1, 1} (Keras's hinge and squared hinge
    apply ``convert_binary_labels_to_hinge``): over a table, the table is the batch.

    Example:
        >>> from losslab.catalog import get_spec
        >>> uses_binary_label_rule(get_spec("squared_hinge")), uses_binary_label_rule(get_spec("mse"))
        (True, False)
    """
    return Requirement.SIGNED_BINARY in requirements(spec)


def label_is_index(spec: LossSpec) -> bool:
    """True when the loss reads ``y_true`` as integer class indices (sparse cross-entropy,
    ordinal losses): it requires integer labels, or its input generator gives labels of lower
    rank than the predictions.

    Example:
        >>> from losslab.catalog import get_spec
        >>> label_is_index(get_spec("scce")), label_is_index(get_spec("cce"))
        (True, False)
    """
    if spec.inputs == "sparse" or Requirement.INTEGER_LABELS in requirements(spec):
        return True
    from losslab.catalog.inputs import generate

    try:
        t, p = generate(spec.inputs, 2, spec.defaults, 0)
    except Exception:  # a generator that needs parameters we cannot guess
        return False
    return bool(
        np.asarray(t).ndim < np.asarray(p).ndim and np.issubdtype(np.asarray(t).dtype, np.integer)
    )


@dataclass(frozen=True)
class LossItem:
    """One loss to evaluate: the text the user gave, its catalog entry and full parameters."""

    key: str
    spec: LossSpec
    params: dict[str, Any]


def _item(entry: str | LossSpec | LossItem) -> LossItem:
    if isinstance(entry, LossItem):
        return entry
    if isinstance(entry, LossSpec):
        return LossItem(key=entry.name, spec=entry, params=entry.validate_params({}))
    key = str(entry).strip()
    spec, params = parse_loss_string(key)
    return LossItem(key=key, spec=spec, params=params)


def parse_losses(losses: str | Sequence[str | LossSpec | LossItem]) -> list[LossItem]:
    """Parse ``"mse,huber:delta=2"`` or a list of such strings into :class:`LossItem` s.

    Catalog entries (:class:`~losslab.catalog.LossSpec`) take their default parameters;
    items already parsed are kept as they are.

    Raises:
        UnknownLossError: a name not in the catalog.
        InvalidParameterError: a bad hyperparameter, no loss given, or a per-batch loss.

    Example:
        >>> [(it.key, it.spec.name, it.params) for it in parse_losses("mse, huber:delta=2")]
        [('mse', 'mean_squared_error', {}), ('huber:delta=2', 'huber', {'delta': 2})]
    """
    if isinstance(losses, str):
        losses = split_loss_list(losses)
    items: list[LossItem] = []
    for entry in losses:
        it = _item(entry)
        if it.spec.per_batch:
            raise InvalidParameterError(
                f"Loss '{it.spec.name}' is defined on whole batches, so its value over a table "
                f"depends on how the table is cut into batches. Received: losses containing {it.key!r}. "
                "Evaluate per-sample losses only (see `losslab losses`)."
            )
        items.append(it)
    if not items:
        raise InvalidParameterError(
            "No loss to evaluate. Received: losses=[]. Pass at least one name, e.g. losses=['mse']."
        )
    return items
