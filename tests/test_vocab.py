"""The shared vocabulary: task kinds and target requirements."""

from __future__ import annotations

import json

import numpy as np
import pytest

from losslab._vocab import Requirement, TaskKind
from losslab.errors import DataError, InvalidParameterError


def test_task_kind_is_its_string() -> None:
    # stored run directories and JSON keep plain strings
    assert TaskKind.BINARY == "binary"
    assert json.dumps({"kind": TaskKind.COUNT}) == '{"kind": "count"}'
    assert TaskKind.parse(" Ordinal ") is TaskKind.ORDINAL


def test_task_kind_unknown_names_the_choices() -> None:
    with pytest.raises(DataError, match=r"Unknown task 'banana'\. Expected one of: binary, multiclass"):
        TaskKind.parse("banana")


@pytest.mark.parametrize(
    ("kind", "classification", "labels", "regression", "positive"),
    [
        ("binary", True, True, False, False),
        ("multiclass", True, True, False, False),
        ("ordinal", True, True, False, False),
        ("multilabel", True, False, False, False),
        ("regression", False, False, True, False),
        ("count", False, False, True, True),
        ("positive", False, False, True, True),
        ("proportion", False, False, True, False),
    ],
)
def test_task_kind_predicates(kind: str, classification: bool, labels: bool, regression: bool, positive: bool) -> None:
    k = TaskKind(kind)
    assert (k.is_classification, k.has_class_labels, k.is_regression, k.is_positive) == (
        classification,
        labels,
        regression,
        positive,
    )


def test_every_kind_is_exactly_one_of_classification_or_regression() -> None:
    for k in TaskKind:
        assert k.is_classification != k.is_regression


@pytest.mark.parametrize(
    ("text", "member"),
    [("y>=0", Requirement.NONNEGATIVE), ("y ≥ 0", Requirement.NONNEGATIVE), ("y≠0", Requirement.NONZERO),
     ("y in {0,1}", Requirement.BINARY), ("Y IN [0, 1]", Requirement.UNIT_INTERVAL), ("integer labels", Requirement.INTEGER_LABELS)],
)
def test_requirement_parse(text: str, member: Requirement) -> None:
    assert Requirement.parse(text) is member


def test_requirement_parse_unknown() -> None:
    with pytest.raises(InvalidParameterError, match="Unknown target requirement 'y<5'"):
        Requirement.parse("y<5")


def test_requirement_violations_count_and_describe() -> None:
    y = np.array([-1.0, 0.0, 0.5, 1.0, 2.0, np.nan])
    assert Requirement.NONNEGATIVE.violations(y) == (1, "negative values")
    assert Requirement.POSITIVE.violations(y) == (2, "values <= 0")
    assert Requirement.NONZERO.violations(y) == (1, "zero values")
    assert Requirement.UNIT_INTERVAL.violations(y) == (2, "values outside [0, 1]")
    assert Requirement.BINARY.violations(y) == (3, "values other than 0 and 1")
    assert Requirement.SIGNED_BINARY.violations(np.array([-1, 1, 0])) == (1, "values other than -1 and 1")
    assert Requirement.NONNEGATIVE.violations(np.array([0.0, 3.0])) is None
    # layout requirements are checked by the encoders, never on raw values
    assert Requirement.ONE_HOT.violations(y) is None
    assert not Requirement.ONE_HOT.is_value_constraint


def test_every_catalog_requirement_parses() -> None:
    import losslab

    for spec in losslab.list_losses():
        for req in spec.requires:
            Requirement.parse(req)
