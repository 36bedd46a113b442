"""losslab.doctor: each planted mistake is found with the right finding; correct set-ups
raise nothing; unusable input is a DataError."""

from __future__ import annotations

import json

import keras
import numpy as np
import pandas as pd
import pytest

import losslab
from losslab.errors import DataError
from tests.verify.corpus import setups

pytestmark = pytest.mark.backends


@pytest.mark.parametrize("name", sorted(setups.BROKEN))
def test_planted_mistake_is_found(name: str) -> None:
    factory, code, severity = setups.BROKEN[name]
    model, x, y = factory()
    report = losslab.doctor(model, x, y)
    assert code in report.codes, str(report)
    finding = next(f for f in report.findings if f.code == code)
    assert finding.severity == severity
    assert finding.evidence and finding.fix
    # one mistake, one finding: no false alarm next to it
    assert report.codes == [code], str(report)
    assert report.exit_code == (1 if severity == "error" else 0)


@pytest.mark.parametrize("name", sorted(setups.GOOD))
def test_correct_setup_has_no_finding(name: str) -> None:
    model, x, y = setups.GOOD[name]()
    report = losslab.doctor(model, x, y)
    assert report.findings == [], str(report)
    assert report.ok and report.exit_code == 0


def test_logits_evidence_quotes_both_loss_values() -> None:
    model, x, y = setups.probs_to_logits_loss()
    out = keras.ops.convert_to_numpy(model(x))[:, 0].astype(np.float64)
    finding = losslab.doctor(model, x, y).findings[0]
    # independent formulas: BCE on probabilities, and BCE-with-logits applied to them
    bce_probs = np.mean(-(y * np.log(out) + (1 - y) * np.log(1 - out)))
    bce_logits = np.mean(np.maximum(out, 0) - out * y + np.log1p(np.exp(-np.abs(out))))
    assert f"loss as compiled {bce_logits:.4g}" in finding.evidence
    assert f"reading the outputs as probabilities {bce_probs:.4g}" in finding.evidence


def test_weights_silence_the_imbalance_warning_and_loss_override() -> None:
    model, x, y = setups.imbalanced()
    assert losslab.doctor(model, x, y, class_weight={0: 1.0, 1: 30.0}).findings == []
    # a loss passed explicitly replaces the compiled one
    m, x2, y2 = setups.good_binary_logits()
    report = losslab.doctor(m, x2, y2, loss=keras.losses.BinaryCrossentropy())
    assert report.codes == ["logits_to_probability_loss"]


def test_reads_csv_parquet_npz_and_saved_models(tmp_path) -> None:
    model, x, y = setups.labels_one_based()
    path = tmp_path / "m.keras"
    model.save(path)
    frame = pd.DataFrame(x, columns=[f"f{i}" for i in range(x.shape[1])]).assign(label=y)
    frame.to_csv(tmp_path / "d.csv", index=False)
    frame.to_parquet(tmp_path / "d.parquet")
    np.savez(tmp_path / "d.npz", x=x, y=y)
    for data, target in ((tmp_path / "d.csv", "label"), (tmp_path / "d.parquet", "label"), (tmp_path / "d.npz", None)):
        report = losslab.doctor(str(path), data=str(data), target=target)
        assert report.codes == ["labels_one_based"], (data, str(report))
        assert json.loads(json.dumps(report.to_dict()))["ok"] is False


@pytest.mark.parametrize(
    ("model", "kwargs", "match"),
    [
        ("/nonexistent/model.keras", {}, "Model file not found"),
        ("no_such_module_xyz:build", {}, "Could not import module"),
        ("tests.verify.corpus.setups:not_a_model", {}, "did not give a keras.Model"),
    ],
)
def test_bad_model_is_a_data_error(model: str, kwargs: dict, match: str) -> None:
    x, y = setups._x(), setups._binary_y()
    with pytest.raises(DataError, match=match):
        losslab.doctor(model, x, y, **kwargs)


def test_corrupt_model_file_and_mismatched_data(tmp_path) -> None:
    bad = tmp_path / "broken.keras"
    bad.write_bytes(b"this is not a zip file")
    with pytest.raises(DataError, match="Could not load the model file"):
        losslab.doctor(str(bad), setups._x(), setups._binary_y())
    model, x, y = setups.good_binary_probs()
    with pytest.raises(DataError, match=r"expects samples of shape \(5,\), the data has \(3,\)"):
        losslab.doctor(model, x[:, :3], y)
    uncompiled = keras.Sequential([keras.Input((5,)), keras.layers.Dense(1)])
    with pytest.raises(DataError, match="not compiled"):
        losslab.doctor(uncompiled, x, y)
    with pytest.raises(DataError, match="Target column 'nope' not found"):
        losslab.doctor(model, data=pd.DataFrame(x).rename(columns=str).assign(y=y), target="nope")


def test_every_rule_is_documented_and_unique() -> None:
    from pathlib import Path

    from losslab.verify._doctor_rules import RULES

    codes = [r.code for r in RULES]
    assert len(codes) == len(set(codes))
    doc = (Path(__file__).parents[2] / "docs" / "custom-losses.md").read_text()
    missing = [c for c in codes if f"`{c}`" not in doc]
    assert not missing, f"rules missing from docs/custom-losses.md: {missing}"


def test_loss_kind_comes_from_the_catalog_entry_before_the_name() -> None:
    from losslab.verify._doctor_loss import identify_loss

    # its name says "categorical", its catalog entry says integer labels (sparse)
    assert identify_loss("categorical_generalized_cross_entropy").kind == "sparse"
    # a user's loss without a catalog entry: the name is the only clue
    class MyBinaryLoss(keras.losses.Loss):
        def call(self, y_true, y_pred):
            return keras.ops.mean(y_true * y_pred, axis=-1)

    assert identify_loss(MyBinaryLoss()).kind == "bce"
    assert identify_loss(keras.losses.CategoricalHinge()).kind == "cce"
    assert identify_loss("poisson").kind == "count" and identify_loss("mse").squared
