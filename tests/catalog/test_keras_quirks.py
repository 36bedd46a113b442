"""Keras 3.15.1 defects, documented and repaired.

For each defect: the raw Keras class shows it (so this file fails loudly the day Keras fixes
it and losslab's repair can go), and what ``losslab.get`` returns keeps its hyperparameters
through a real ``.keras`` save/load and means what its documentation says. Expected values
come from the NumPy oracles (written from the formulas) and from hand computations in the
comments.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest

import losslab
from losslab.catalog import get_spec
from tests.catalog._helpers import to_numpy


def _save_and_reload(loss: Any, input_shape: tuple[int, ...], tmp_path: Path) -> Any:
    """Compile a weightless identity model with ``loss``, save it as .keras, load it back and
    return the reloaded model's loss object."""
    import keras

    model = keras.Sequential([keras.Input(shape=input_shape), keras.layers.Identity()])
    model.compile(optimizer="sgd", loss=loss)
    path = tmp_path / "model.keras"
    model.save(path)
    return keras.saving.load_model(path).loss


# ----------------------------------------------------------------------------- Huber.delta
def test_raw_keras_huber_forgets_delta(tmp_path):
    import keras

    raw = keras.losses.Huber(delta=2.0)
    assert "delta" not in raw.get_config()
    reloaded = _save_and_reload(raw, (3,), tmp_path)
    y_true = np.zeros((1, 3), dtype="float32")
    y_pred = np.full((1, 3), 3.0, dtype="float32")
    # error 3: delta=2 gives 2*3 - 0.5*4 = 4.0; delta=1 (what reloads) gives 3 - 0.5 = 2.5
    assert float(to_numpy(raw(y_true, y_pred))) == pytest.approx(4.0)
    assert float(to_numpy(reloaded(y_true, y_pred))) == pytest.approx(2.5)


def test_losslab_huber_keeps_delta_through_save_load(tmp_path):
    loss = losslab.get("huber", delta=2.0)
    reloaded = _save_and_reload(loss, (3,), tmp_path)
    assert reloaded.get_config()["delta"] == 2.0
    y_true = np.zeros((1, 3), dtype="float32")
    y_pred = np.full((1, 3), 3.0, dtype="float32")
    assert float(to_numpy(reloaded(y_true, y_pred))) == pytest.approx(4.0)


# ----------------------------------------------------------------------------- axis
def _cosine_inputs() -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(0)
    return rng.normal(size=(4, 3, 5)).astype("float32"), rng.normal(size=(4, 3, 5)).astype(
        "float32"
    )


def test_raw_keras_cosine_similarity_forgets_axis(tmp_path):
    import keras

    raw = keras.losses.CosineSimilarity(axis=1, reduction=None)
    assert "axis" not in raw.get_config()
    y_true, y_pred = _cosine_inputs()
    reloaded = _save_and_reload(raw, (3, 5), tmp_path)
    oracle = get_spec("cosine_similarity").oracle()
    np.testing.assert_allclose(
        to_numpy(raw(y_true, y_pred)), oracle(y_true, y_pred, axis=1), rtol=1e-5, atol=1e-6
    )
    # reloaded with axis=-1: a different shape of result altogether
    assert to_numpy(reloaded(y_true, y_pred)).shape == (4, 3)


def test_losslab_cosine_similarity_keeps_axis_through_save_load(tmp_path):
    y_true, y_pred = _cosine_inputs()
    reloaded = _save_and_reload(
        losslab.get("cosine_similarity", axis=1, reduction=None), (3, 5), tmp_path
    )
    assert reloaded.get_config()["axis"] == 1
    expected = get_spec("cosine_similarity").oracle()(y_true, y_pred, axis=1)
    np.testing.assert_allclose(to_numpy(reloaded(y_true, y_pred)), expected, rtol=1e-5, atol=1e-6)


def _channels_first_inputs() -> tuple[np.ndarray, np.ndarray]:
    """Labels (N, T) and class scores (N, K, T): the class axis is 1."""
    rng = np.random.default_rng(1)
    labels = rng.integers(0, 4, size=(3, 5)).astype("int32")
    z = rng.normal(size=(3, 4, 5))
    p = np.exp(z) / np.exp(z).sum(axis=1, keepdims=True)
    return labels, p.astype("float32")


def test_raw_keras_sparse_categorical_crossentropy_forgets_axis(tmp_path):
    import keras

    raw = keras.losses.SparseCategoricalCrossentropy(axis=1)
    assert "axis" not in raw.get_config()
    reloaded = _save_and_reload(raw, (4, 5), tmp_path)
    assert reloaded._fn_kwargs["axis"] == -1  # the class axis fell back to the last one


def test_losslab_sparse_categorical_crossentropy_keeps_axis_through_save_load(tmp_path):
    labels, probs = _channels_first_inputs()
    reloaded = _save_and_reload(losslab.get("scce", axis=1, reduction=None), (4, 5), tmp_path)
    assert reloaded.get_config()["axis"] == 1
    # independent formula: -log p[label] along axis 1
    expected = -np.log(
        np.take_along_axis(probs.astype(np.float64), labels[:, None, :], axis=1)[:, 0, :]
    )
    np.testing.assert_allclose(to_numpy(reloaded(labels, probs)), expected, rtol=1e-5, atol=1e-6)


# ----------------------------------------------------------------------------- Tversky
# One pixel TP (t=1, p=1) and one FP (t=0, p=1), no FN. Documented Tversky:
# 1 - TP / (TP + alpha FP + beta FN) = 1 - 1 / (1 + alpha).
_T = np.array([[1.0, 0.0]], dtype="float32")
_P = np.array([[1.0, 1.0]], dtype="float32")


def test_raw_keras_tversky_swaps_alpha_and_beta():
    import keras

    from losslab.losses.keras_builtins import keras_tversky_swaps_alpha_beta

    # alpha=1 should charge the false positive fully: 1 - 1/2 = 0.5. Keras 3.15.1 gives 0.
    assert float(to_numpy(keras.losses.Tversky(alpha=1.0, beta=0.0)(_T, _P))) == pytest.approx(
        0.0, abs=1e-6
    )
    assert float(to_numpy(keras.losses.Tversky(alpha=0.0, beta=1.0)(_T, _P))) == pytest.approx(
        0.5, abs=1e-6
    )
    assert keras_tversky_swaps_alpha_beta()


def test_losslab_tversky_means_what_its_documentation_says(tmp_path):
    loss = losslab.get("tversky", alpha=1.0, beta=0.0)
    assert float(to_numpy(loss(_T, _P))) == pytest.approx(0.5, abs=1e-6)
    assert float(to_numpy(losslab.get("tversky", alpha=0.0, beta=1.0)(_T, _P))) == pytest.approx(
        0.0, abs=1e-6
    )
    reloaded = _save_and_reload(losslab.get("tversky", alpha=0.3, beta=0.7), (2,), tmp_path)
    assert (reloaded.get_config()["alpha"], reloaded.get_config()["beta"]) == (0.3, 0.7)
    # 1 - 1 / (1 + 0.3) = 0.230769...
    assert float(to_numpy(reloaded(_T, _P))) == pytest.approx(1 - 1 / 1.3, abs=1e-6)


# ----------------------------------------------------------------------------- GCE by name
def test_raw_keras_cannot_find_generalized_cross_entropy_by_name():
    import keras

    with pytest.raises(ValueError, match="Could not interpret loss identifier"):
        keras.losses.get("CategoricalGeneralizedCrossEntropy")


def test_losslab_finds_generalized_cross_entropy_and_it_reloads(tmp_path):
    from losslab.losses.keras_builtins import CategoricalGeneralizedCrossEntropy

    loss = losslab.get("CategoricalGeneralizedCrossEntropy", q=0.3)
    assert isinstance(loss, CategoricalGeneralizedCrossEntropy)
    assert losslab.get("gce").get_config()["q"] == 0.5
    reloaded = _save_and_reload(loss, (2,), tmp_path)
    assert type(reloaded) is CategoricalGeneralizedCrossEntropy
    assert reloaded.get_config()["q"] == 0.3
    y = np.array([0, 1], dtype="int32")
    p = np.array([[0.7, 0.3], [0.2, 0.8]], dtype="float32")
    # mean((1 - 0.7^0.3) / 0.3, (1 - 0.8^0.3) / 0.3)
    expected = np.mean([(1 - 0.7**0.3) / 0.3, (1 - 0.8**0.3) / 0.3])
    assert float(to_numpy(reloaded(y, p))) == pytest.approx(expected, rel=1e-5)


# ----------------------------------------------------------------------------- label smoothing
# keras-team/keras@3422977a5e keras/src/losses/losses_test.py, CategoricalCrossentropyTest and
# CategoricalFocalCrossentropyTest.test_label_smoothing_with_axis: classes on axis 1 of
# (batch, classes, spatial); the smoothing mass is label_smoothing / 3 (three classes), and the
# expected values are those tests' NumPy formulas: 0.361773 and 0.03316757.
_LS_TRUE = np.array([[[1, 0], [0, 1], [0, 0]], [[0, 1], [1, 0], [0, 0]]], dtype="float32")
_LS_PRED = np.array(
    [[[0.8, 0.1], [0.1, 0.8], [0.1, 0.1]], [[0.1, 0.8], [0.8, 0.1], [0.1, 0.1]]], dtype="float32"
)


def _ls_expected(focal: bool) -> float:
    t = _LS_TRUE * 0.9 + 0.1 / 3
    ce = -t * np.log(_LS_PRED.astype(np.float64))
    if focal:  # alpha=0.25, gamma=2 (the defaults)
        ce = 0.25 * (1 - _LS_PRED.astype(np.float64)) ** 2 * ce
    return float(np.mean(np.sum(ce, axis=1)))


@pytest.mark.parametrize(
    ("name", "keras_name", "expected"),
    [
        ("categorical_crossentropy", "CategoricalCrossentropy", 0.361773),
        ("categorical_focal_crossentropy", "CategoricalFocalCrossentropy", 0.03316757),
    ],
)
def test_label_smoothing_spreads_over_the_class_axis(name, keras_name, expected, tmp_path):
    import keras

    assert _ls_expected(focal="focal" in name) == pytest.approx(expected, rel=1e-5)
    # Keras 3.15.1 divides by y_true.shape[-1] = 2 instead of the 3 classes: 0.4422 / 0.0487
    raw = float(
        to_numpy(getattr(keras.losses, keras_name)(label_smoothing=0.1, axis=1)(_LS_TRUE, _LS_PRED))
    )
    assert raw != pytest.approx(expected, rel=1e-3)
    loss = losslab.get(name, label_smoothing=0.1, axis=1)
    assert float(to_numpy(loss(_LS_TRUE, _LS_PRED))) == pytest.approx(expected, rel=1e-5)
    oracle = get_spec(name).reference_values(_LS_TRUE, _LS_PRED, label_smoothing=0.1, axis=1)
    assert float(np.mean(oracle)) == pytest.approx(expected, rel=1e-6)
    reloaded = _save_and_reload(loss, (3, 2), tmp_path)
    assert float(to_numpy(reloaded(_LS_TRUE, _LS_PRED))) == pytest.approx(expected, rel=1e-5)


# ----------------------------------------------------------------------------- binary focal, logits
def test_raw_keras_binary_focal_saturates_on_logits():
    import keras

    if keras.backend.backend() == "tensorflow":
        pytest.skip("Keras's TensorFlow backend recovers the logits behind a sigmoid output")

    # sigmoid(20) rounds to 1 in float32 and is clipped to 1 - 1.19e-7: -log(1.19e-7) = 15.94,
    # where the loss of logit 20 for label 0 with gamma = 0 is softplus(20) = 20.000000002
    raw = keras.losses.BinaryFocalCrossentropy(from_logits=True, gamma=0.0)
    assert float(
        to_numpy(raw(np.array([[0.0]]), np.array([[20.0]], dtype="float32")))
    ) == pytest.approx(15.942385, rel=1e-5)


def test_binary_focal_on_logits_is_computed_in_log_space():
    from tests.catalog._helpers import loss_gradient

    loss = losslab.get("binary_focal_crossentropy", from_logits=True, gamma=0.0, reduction="sum")
    value, grad = loss_gradient(loss, np.array([[0.0]], "float32"), np.array([[20.0]], "float32"))
    assert value == pytest.approx(20.0, rel=1e-6)  # softplus(20)
    assert grad[0, 0] == pytest.approx(1.0, rel=1e-6)  # sigmoid(20): not 0 past the clip
    # hard labels, |logit| 50, gamma < 1: finite gradients (Keras 3.15: NaN where p_t rounds to 1)
    t = np.array([[1.0], [0.0], [1.0], [0.0]], "float32")
    z = np.array([[50.0], [-50.0], [-50.0], [50.0]], "float32")
    for gamma in (0.0, 0.25, 0.5, 2.0):
        loss = losslab.get(
            "binary_focal_crossentropy", from_logits=True, gamma=gamma, reduction="sum"
        )
        value, grad = loss_gradient(loss, t, z)
        assert np.isfinite(value) and np.all(np.isfinite(grad)), gamma
        assert value == pytest.approx(100.0, rel=1e-5)  # the two wrong ones: 50 each
        np.testing.assert_allclose(grad[2:, 0], [-1.0, 1.0], rtol=1e-5)


def test_binary_focal_matches_optax_sigmoid_focal_loss_expectations():
    # google-deepmind/optax@2edbcbe239 optax/losses/_classification_test.py, SigmoidFocalLossTest:
    # gamma = 0 gives the sigmoid cross-entropy (test_focal_equals_ce); the focal factor is
    # (1 - p_t)^gamma (test_scale); logits +-100 / 75 / 50 with soft and hard labels and
    # gamma = 0.5 give finite values, gradients and Hessians (test_extreme_logits_finite_gradients).
    import keras

    ys = np.array([[2.0, 0.1, -2.0], [0.3, -0.1, 1.2]], "float32")
    ts = np.array([[0.0, 0.0, 1.0], [1.0, 0.0, 0.0]], "float32")
    ce = np.logaddexp(0.0, ys.astype(np.float64)) - ts * ys  # softplus(z) - t z
    loss = losslab.get("binary_focal_crossentropy", from_logits=True, reduction=None)
    loss0 = losslab.get("binary_focal_crossentropy", from_logits=True, gamma=0.0, reduction=None)
    np.testing.assert_allclose(to_numpy(loss0(ts, ys)), ce.mean(axis=-1), rtol=2e-5)
    p = 1 / (1 + np.exp(-ys.astype(np.float64)))
    p_t = p * ts + (1 - p) * (1 - ts)
    np.testing.assert_allclose(
        to_numpy(loss(ts, ys)), ((1 - p_t) ** 2 * ce).mean(axis=-1), rtol=2e-5
    )

    logits = np.array([[100.0], [-100.0], [75.0], [-75.0], [50.0], [-50.0]], "float32")
    labels = np.array([[0.9], [0.1], [0.8], [0.2], [1.0], [0.0]], "float32")
    summed = losslab.get("binary_focal_crossentropy", from_logits=True, gamma=0.5, reduction="sum")
    from tests.catalog._helpers import loss_gradient

    value, grad = loss_gradient(summed, labels, logits)
    assert np.isfinite(value) and np.all(np.isfinite(grad))
    expected = get_spec("binary_focal_crossentropy").reference_values(
        labels, logits, from_logits=True, gamma=0.5
    )
    assert value == pytest.approx(float(np.sum(expected)), rel=1e-5)
    if keras.backend.backend() == "jax":
        import jax

        hessian = jax.hessian(lambda z: summed(labels, z))(logits)
        assert np.all(np.isfinite(np.asarray(hessian)))


# ----------------------------------------------------------------------------- Circle references
# keras-team/keras@3422977a5e keras/src/losses/losses_test.py, CircleTest.test_correctness:
# keras.losses.circle(..., ref_labels, ref_embeddings, gamma=80, margin=0.4, remove_diagonal=False)
_C_TRUE = np.array([1, 1, 2, 2, 3])
_C_PRED = np.array(
    [
        [0.70014004, -0.42008403, 0.14002801, 0.56011203],
        [0.17609018, 0.70436073, -0.52827054, 0.44022545],
        [-0.34050261, 0.25537696, -0.68100522, 0.59587957],
        [0.32163376, -0.75047877, 0.53605627, -0.21442251],
        [0.51261459, -0.34174306, 0.17087153, 0.76892189],
    ],
    dtype="float32",
)
_C_REF_LABELS = [1, 1, 2, 2, 3, 4]
_C_REF = [
    [0.40824829, -0.54433105, 0.27216553, 0.68041382],
    [0.76376261, 0.10910895, -0.54554473, 0.32732684],
    [-0.74420841, 0.24806947, 0.49613894, -0.3721042],
    [0.52981294, -0.13245324, 0.79471941, -0.26490647],
    [0.54554473, -0.32732684, 0.10910895, 0.76376261],
    [-0.27216553, 0.68041382, 0.40824829, -0.54433105],
]
_C_EXPECTED = [61.5844, 94.3465, 276.9344, 90.9873, 48.8963]


def test_raw_keras_circle_class_rejects_reference_embeddings():
    import keras

    with pytest.raises(TypeError, match="ref_labels"):
        keras.losses.Circle(ref_labels=_C_REF_LABELS, ref_embeddings=_C_REF)


def test_losslab_circle_accepts_keras_reference_arguments(tmp_path):
    params = {"ref_labels": _C_REF_LABELS, "ref_embeddings": _C_REF, "remove_diagonal": False}
    loss = losslab.get("circle", reduction=None, **params)
    np.testing.assert_allclose(to_numpy(loss(_C_TRUE, _C_PRED)), _C_EXPECTED, atol=1e-3, rtol=1e-4)
    values = get_spec("circle").reference_values(_C_TRUE, _C_PRED, **params)
    np.testing.assert_allclose(values, _C_EXPECTED, atol=1e-3, rtol=1e-4)
    reloaded = _save_and_reload(losslab.get("circle", **params), (4,), tmp_path)
    assert reloaded.get_config()["ref_labels"] == _C_REF_LABELS
    assert float(to_numpy(reloaded(_C_TRUE, _C_PRED))) == pytest.approx(
        np.mean(_C_EXPECTED), rel=1e-4
    )


# ----------------------------------------------------------------------------- GCE near p = 0
def test_generalized_cross_entropy_keeps_its_value_and_a_finite_gradient_at_zero():
    from tests.catalog._helpers import loss_gradient

    # Zhang & Sabuncu (2018): L_q = (1 - p^q) / q, so p = 0 gives 1 / q = 10 for q = 0.1
    # (clipping p at 1e-7 gave (1 - 1e-7^0.1) / 0.1 = 8.005)
    loss = losslab.get("gce", q=0.1, reduction="sum")
    y = np.array([0, 0], "int32")
    p = np.array([[0.0, 1.0], [1e-9, 1.0 - 1e-9]], "float32")
    value, grad = loss_gradient(loss, y, p)
    assert value == pytest.approx(10.0 + (1 - 1e-9**0.1) / 0.1, rel=1e-5)
    assert np.all(np.isfinite(grad))
    # below the clip the slope is -max(p, 1e-7)^(q - 1): finite and not zero
    np.testing.assert_allclose(grad[:, 0], [-(1e-7**-0.9)] * 2, rtol=1e-3)
    np.testing.assert_allclose(
        get_spec("gce").reference_values(y, p.astype(np.float64), q=0.1),
        [10.0, (1 - 1e-9**0.1) / 0.1],
    )


# ----------------------------------------------------------------------------- the name l2
def test_l2_is_not_plain_mean_squared_error():
    # google-deepmind/optax@2edbcbe239 optax/losses/_regression.py: l2_loss = 0.5 * squared_error,
    # so "l2" meaning plain MSE (twice Optax's value) is left out of the catalog's names
    from losslab.errors import UnknownLossError

    with pytest.raises(UnknownLossError, match="Unknown loss 'l2'"):
        losslab.get("l2")
    spec = get_spec("mse")
    assert "l2" not in spec.aliases
    assert "Optax's l2_loss is 0.5 * squared error" in spec.pitfalls
