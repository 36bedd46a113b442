"""Ordinal losses against independent oracles: TensorFlow Addons' weighted kappa docstring
case, scikit-learn's ``cohen_kappa_score`` (the loss is log(1 - kappa) on hard predictions),
torch's BCE-with-logits for CORAL (coral-pytorch's formula) and a transcription of
coral-pytorch's ``corn_loss``; the label/output helpers; ``model.fit`` on each backend.

Oracle-vs-Keras on every backend, reductions, sample weights, round trips and finite gradients
on generated inputs are covered by tests/catalog/test_conformance.py.
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

import losslab
from losslab.errors import InvalidParameterError
from losslab.reference import ordinal as ref
from tests.conftest import load_reference_cases
from tests.losses._helpers import fit_together, loss_value, to_numpy


# ----------------------------------------------------------------------------- weighted kappa
def test_weighted_kappa_matches_tensorflow_addons_docstring():
    # Source: tensorflow_addons/losses/kappa_loss.py docstring of WeightedKappaLoss(num_classes=4)
    (case,) = [
        c
        for c in load_reference_cases("tfa_loss_cases.json")
        if c["loss"] == "weighted_kappa" and c["kind"] == "fixed"
    ]
    from losslab.losses.ordinal import WeightedKappaLoss

    loss = WeightedKappaLoss(**case["kwargs"])
    np.testing.assert_allclose(
        loss_value(loss, case["y_true"], case["y_pred"]), case["expected"], rtol=1e-5
    )
    # integer labels give the same value as one-hot labels
    labels = np.argmax(case["y_true"], axis=-1)
    np.testing.assert_allclose(
        loss_value(loss, labels, case["y_pred"]), case["expected"], rtol=1e-5
    )


@pytest.mark.parametrize("weightage", ["linear", "quadratic"])
def test_weighted_kappa_is_log_one_minus_sklearn_kappa_on_hard_predictions(weightage):
    from sklearn.metrics import cohen_kappa_score

    rng = np.random.default_rng(20)
    for k, n in ((4, 50), (3, 100)):
        y = rng.integers(0, k, size=n)
        pred = np.clip(y + rng.integers(-1, 2, size=n), 0, k - 1)
        kappa = cohen_kappa_score(y, pred, weights=weightage)
        loss = losslab.get("weighted_kappa", num_classes=k, weightage=weightage, epsilon=1e-6)
        got = loss_value(loss, np.eye(k)[y], np.eye(k)[pred])
        np.testing.assert_allclose(got, np.log(1 - kappa + 1e-6), rtol=1e-5)


def test_weighted_kappa_rejects_wrong_num_classes():
    with pytest.raises(InvalidParameterError, match="num_classes=3 but y_pred has 4 columns"):
        loss_value(
            losslab.get("weighted_kappa", num_classes=3), np.eye(4)[[0, 1]], np.eye(4)[[0, 1]]
        )
    with pytest.raises(
        InvalidParameterError, match="weightage must be one of 'linear', 'quadratic'"
    ):
        losslab.get("weighted_kappa", weightage="cubic")


# ----------------------------------------------------------------------------- CORAL / CORN
def test_coral_matches_torch_bce_form():
    import torch

    # coral-pytorch's coral_loss: -sum(logsigmoid(z) * levels + (logsigmoid(z) - z) * (1 - levels))
    rng = np.random.default_rng(21)
    labels = rng.integers(0, 5, size=30)
    z = rng.normal(scale=3, size=(30, 4))
    levels = (labels[:, None] > np.arange(4)).astype(np.float64)
    bce = torch.nn.functional.binary_cross_entropy_with_logits(
        torch.tensor(z), torch.tensor(levels), reduction="none"
    )
    np.testing.assert_allclose(
        loss_value(losslab.get("coral", reduction=None), labels, z), bce.sum(-1).numpy(), rtol=1e-5
    )
    w = np.array([1.0, 0.5, 2.0, 0.1])
    got = loss_value(losslab.get("coral", importance=list(w), reduction=None), labels, z)
    np.testing.assert_allclose(got, (bce.numpy() * w).sum(-1), rtol=1e-5)
    with pytest.raises(
        InvalidParameterError, match=r"importance needs one weight per task \(K-1 = 4\)"
    ):
        loss_value(losslab.get("coral", importance=[1.0, 2.0]), labels, z)


def _corn_pytorch(logits, y_train, num_classes):
    """Transcription (in torch) of coral_pytorch.losses.corn_loss (Raschka-research-group)."""
    import torch

    sets = []
    for i in range(num_classes - 1):
        label_mask = y_train > i - 1
        label_tensor = (y_train[label_mask] > i).to(torch.int64)
        sets.append((label_mask, label_tensor))
    num_examples = 0
    losses = 0.0
    for task_index, s in enumerate(sets):
        train_examples = s[0]
        train_labels = s[1]
        if len(train_labels) < 1:
            continue
        num_examples += len(train_labels)
        pred = logits[train_examples, task_index]
        loss = -torch.sum(
            torch.nn.functional.logsigmoid(pred) * train_labels
            + (torch.nn.functional.logsigmoid(pred) - pred) * (1 - train_labels)
        )
        losses += loss
    return losses / num_examples, num_examples


def test_corn_matches_coral_pytorch_up_to_its_batch_normalisation():
    import torch

    rng = np.random.default_rng(22)
    labels = rng.integers(0, 5, size=40)
    z = rng.normal(scale=2, size=(40, 4))
    expected, used = _corn_pytorch(torch.tensor(z), torch.tensor(labels), 5)
    # losslab: per-sample sums averaged over the batch; coral-pytorch divides by the pairs used
    got = loss_value(losslab.get("corn"), labels, z)
    np.testing.assert_allclose(got, expected.item() * used / 40, rtol=1e-5)


def test_helpers_between_labels_levels_outputs_and_predictions():
    from losslab.losses import ordinal as keras_ordinal

    labels = np.array([0, 2, 1, 3])
    expected_levels = [[0, 0, 0], [1, 1, 0], [1, 0, 0], [1, 1, 1]]
    np.testing.assert_array_equal(ref.labels_to_levels(labels, 4), expected_levels)
    np.testing.assert_array_equal(
        to_numpy(keras_ordinal.labels_to_levels(labels, 4), np.float64), expected_levels
    )
    # confident CORAL logits for the labels above decode back to them
    z = np.where(np.asarray(expected_levels) > 0, 8.0, -8.0)
    for probs in (
        ref.coral_probabilities(z),
        to_numpy(keras_ordinal.coral_probabilities(z), np.float64),
    ):
        np.testing.assert_allclose(probs.sum(-1), 1.0, rtol=1e-6)
        np.testing.assert_array_equal(ref.ordinal_labels(probs), labels)
        np.testing.assert_array_equal(
            to_numpy(keras_ordinal.ordinal_labels(probs), np.float64), labels
        )
    # CORN: conditional logits; P(y > k) = prod sigmoid, so decreasing whatever the logits
    rng = np.random.default_rng(23)
    zc = rng.normal(scale=3, size=(50, 3))
    pc = ref.corn_probabilities(zc)
    np.testing.assert_allclose(
        pc, to_numpy(keras_ordinal.corn_probabilities(zc), np.float64), rtol=1e-5, atol=1e-7
    )
    cum_greater = 1 - np.cumsum(pc, -1)[:, :-1]
    np.testing.assert_allclose(
        cum_greater, np.cumprod(1 / (1 + np.exp(-zc)), -1), rtol=1e-6, atol=1e-9
    )
    np.testing.assert_array_equal(
        ref.ordinal_labels(pc), (np.cumprod(1 / (1 + np.exp(-zc)), -1) > 0.5).sum(-1)
    )
    # the catalog's predict functions give (N, K) class probabilities
    assert losslab.get_spec("coral").to_prediction(zc).shape == (50, 4)
    assert losslab.get_spec("corn").to_prediction(zc).shape == (50, 4)


@settings(max_examples=10, deadline=None)
@given(labels=arrays(np.int32, (6,), elements=st.integers(0, 3)), margin=st.floats(0.5, 30))
def test_confident_correct_logits_beat_wrong_ones(labels, margin):
    levels = (labels[:, None] > np.arange(3)).astype(np.float32)
    right = np.where(levels > 0, margin, -margin).astype("float32")
    wrong = -right
    for name in ("coral", "corn"):
        loss = losslab.get(name, reduction=None)
        assert np.all(loss_value(loss, labels, right) < loss_value(loss, labels, wrong))


@pytest.mark.backends
def test_finite_values_and_gradients_at_extreme_logits():
    from tests.catalog._helpers import loss_gradient

    labels = np.array([0, 3, 1], "int32")
    z = np.array([[1e4, -1e4, 1e4], [-1e4, 1e4, -1e4], [1e4, 1e4, -1e4]], "float32")
    for name in ("coral", "corn"):
        value, grad = loss_gradient(losslab.get(name), labels, z)
        assert np.isfinite(value) and np.all(np.isfinite(grad)), name
    probs = np.eye(4, dtype="float32")[[0, 3, 3]]  # exact 0 and 1 probabilities
    value, grad = loss_gradient(
        losslab.get("weighted_kappa"), np.eye(4, dtype="float32")[labels], probs
    )
    assert np.isfinite(value) and np.all(np.isfinite(grad))


# ----------------------------------------------------------------------------- model.fit
@pytest.mark.backends
def test_every_ordinal_loss_trains_a_model():
    rng = np.random.default_rng(24)
    x = rng.normal(size=(32, 4)).astype("float32")
    labels = np.digitize(x[:, 0] + 0.3 * x[:, 1], [-0.7, 0.0, 0.7]).astype("int32")
    cases = [
        ("coral", {}, labels, 3, None),
        ("corn", {}, labels, 3, None),
        ("weighted_kappa", {}, np.eye(4, dtype="float32")[labels], 4, "softmax"),
    ]
    fit_together(x, cases)


def test_half_precision_inputs_are_computed_in_float32():
    import keras

    rng = np.random.default_rng(25)
    labels = rng.integers(0, 4, size=8)
    z = keras.ops.cast(rng.normal(size=(8, 3)), "bfloat16")
    z32 = np.asarray(keras.ops.convert_to_numpy(keras.ops.cast(z, "float32")))
    for name in ("coral", "corn"):
        got = losslab.get(name, reduction=None)(labels, z)
        assert str(got.dtype).endswith("float32")
        np.testing.assert_allclose(
            to_numpy(got, np.float64),
            losslab.get_spec(name).reference_values(labels, z32),
            rtol=1e-5,
        )
