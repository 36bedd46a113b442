"""losslab.check: every deliberately broken loss of the corpus fails for the right reason,
correct losses pass, bad targets are clear errors."""

from __future__ import annotations

import json

import keras
import numpy as np
import pytest

import losslab
from losslab.verify import CHECK_NAMES
from losslab.verify._subject import NotALossError
from tests.verify.corpus import broken_losses, good_losses

pytestmark = pytest.mark.backends


@pytest.mark.parametrize("name", sorted(broken_losses.EXPECTED))
def test_broken_loss_fails_for_the_right_reason(name: str) -> None:
    check_name, kwargs, phrase = broken_losses.EXPECTED[name]
    # jit is checked on jax: from another backend through a jax subprocess
    backends = ["jax"] if check_name == "jit" and keras.backend.backend() != "jax" else None
    report = losslab.check(getattr(broken_losses, name), backends=backends, **kwargs)
    failed = {r.name for r in report.failures}
    assert check_name in failed, str(report)
    assert phrase in report[check_name].evidence, str(report)
    assert report[check_name].fix, "a failure must come with a fix"
    assert failed <= {check_name} | broken_losses.ALSO_FAILS.get(name, set()), str(report)
    assert report.exit_code == 1 and not report.passed
    with pytest.raises(AssertionError, match=check_name):
        report.assert_passes()


@pytest.mark.parametrize("name", sorted(broken_losses.WARNED))
def test_warning_only_loss_passes_with_a_warning(name: str) -> None:
    check_name, kwargs, phrase = broken_losses.WARNED[name]
    report = losslab.check(getattr(broken_losses, name), backends=None, **kwargs)
    assert report[check_name].status == "warn", str(report)
    assert phrase in report[check_name].evidence and report[check_name].fix, str(report)
    assert report.passed and report.exit_code == 0 and [r.name for r in report.warnings] == [check_name], str(report)
    strict = losslab.check(getattr(broken_losses, name), backends=None, only=[check_name], strict=True, **kwargs)
    assert strict[check_name].status == "fail" and strict.exit_code == 1


@pytest.mark.parametrize(
    ("loss", "kwargs"),
    [
        (good_losses.scaled_mae, {}),
        ("corpus_scaled_mae", {"params": {"scale": 0.5}}),
        (good_losses.registered_mse, {}),
        (good_losses.GoodFocal, {"family": "binary"}),
        ("tests.verify.corpus.good_losses:GoodFocal", {"family": "binary", "params": {"gamma": 1.5}}),
        (keras.losses.MeanAbsoluteError(), {}),
        (keras.losses.BinaryCrossentropy(from_logits=True), {"family": "binary", "inputs": "binary_logits"}),
    ],
    ids=["authored", "authored-by-name", "function", "class", "module-path", "keras-instance", "keras-logits"],
)
def test_correct_losses_pass(loss, kwargs: dict) -> None:
    report = losslab.check(loss, backends=None, **kwargs)
    assert report.passed, str(report)
    assert [r.name for r in report.results] == list(CHECK_NAMES)
    statuses = {r.name: r.status for r in report.results}
    assert statuses["backends"] == "n/a"
    assert statuses["per_sample"] == statuses["reductions"] == statuses["edges"] == "pass"


def test_report_json_and_sample_data(tmp_path) -> None:
    rng = np.random.default_rng(3)
    path = tmp_path / "sample.npz"
    np.savez(path, y_true=rng.normal(size=(10, 2)), y_pred=rng.normal(size=(10, 2)))
    report = losslab.check(good_losses.scaled_mae, data=str(path), backends=None, only=["per_sample", "reductions"])
    d = json.loads(json.dumps(report.to_dict()))
    assert d["inputs"] == "sample data" and d["passed"] is True
    assert {r["name"]: r["status"] for r in d["results"]}["edges"] == "n/a"


def test_minimum_check_uses_the_catalog_flag() -> None:
    # shifted_minimum is only wrong if it claims its minimum at the truth
    assert losslab.check(broken_losses.shifted_minimum, backends=None, only=["minimum"])["minimum"].status == "n/a"


@pytest.mark.parametrize(
    ("target", "kwargs", "match"),
    [
        ("no_such_module_xyz:loss", {}, "Could not import module 'no_such_module_xyz'"),
        ("tests.verify.corpus.good_losses:nope", {}, "has no attribute 'nope'"),
        ("tests.verify.corpus.setups:N", {}, "is not a loss"),
        ("tests.verify.corpus.setups:_x", {}, "is not a loss"),
        (keras.losses.MeanSquaredError(), {"params": {"a": 1}}, "params cannot be applied to a loss instance"),
        ("huber", {"params": {"delta": -1.0}}, "delta must be > 0"),
        ("huber", {"only": ["nonsense"]}, "Unknown check"),
        (good_losses.scaled_mae, {"data": "/nonexistent.npz"}, "Sample data file not found"),
    ],
)
def test_bad_targets_are_clear_errors(target, kwargs: dict, match: str) -> None:
    with pytest.raises(losslab.LosslabError, match=match):
        losslab.check(target, backends=None, **kwargs)


def test_not_a_loss_error_is_a_losslab_error() -> None:
    assert issubclass(NotALossError, losslab.LosslabError)


def test_instance_hyperparameters_choose_the_inputs() -> None:
    # a from_logits=True instance is checked on logits (its catalog entry's generator reads
    # from_logits), so the minimum is looked for at large logits, not at probabilities
    report = losslab.check(keras.losses.BinaryCrossentropy(from_logits=True), backends=None, skip=("save_load",))
    assert report.passed, str(report)
    assert report["minimum"].status == "pass"
    assert "logits of +/-1e4" in report["edges"].evidence


def test_every_check_is_documented() -> None:
    from pathlib import Path

    doc = (Path(__file__).parents[2] / "docs" / "custom-losses.md").read_text()
    missing = [c for c in CHECK_NAMES if f"| `{c}` |" not in doc]
    assert not missing, f"checks missing from the table of docs/custom-losses.md: {missing}"
