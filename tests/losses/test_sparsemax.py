"""Sparsemax activation and loss: the paper's propositions (TensorFlow Addons' property
tests), hand-computed projections, the gradient identity, oracles and Keras use."""

from __future__ import annotations

import numpy as np
import pytest

import losslab.losses
from losslab.losses.sparsemax import SparsemaxLoss, sparsemax, sparsemax_loss
from losslab.reference import sparsemax as ref
from tests.losses._helpers import to_numpy


def _logits(seed: int = 0):
    # TFA's property tests: z ~ U(-3, 3) of shape (17, 10), one-hot q
    rng = np.random.default_rng(seed)
    z = rng.uniform(-3, 3, size=(17, 10)).astype("float32")
    q = np.eye(10, dtype="float32")[rng.integers(0, 10, size=17)]
    return z, q


def test_sparsemax_by_hand():
    # [2, 1, -1]: support {2} (1 + 2*1 = 3 is not > 2 + 1), tau = 1 -> [1, 0, 0].
    # [0.5, 0.3, 0.1]: full support, tau = (0.9 - 1) / 3 -> z + 1/30.
    got = to_numpy(sparsemax(np.array([[2.0, 1.0, -1.0], [0.5, 0.3, 0.1]], "float32")))
    np.testing.assert_allclose(
        got, [[1.0, 0.0, 0.0], [0.5 + 1 / 30, 0.3 + 1 / 30, 0.1 + 1 / 30]], atol=1e-6
    )


def test_sparsemax_is_a_projection_onto_the_simplex():
    z, _ = _logits()
    p = to_numpy(sparsemax(z))
    np.testing.assert_allclose(p.sum(axis=1), 1.0, atol=1e-5)
    assert (p >= 0).all() and (p == 0).any()
    np.testing.assert_allclose(p, ref.sparsemax(z), atol=1e-6)
    # axis argument: the same on the transposed array
    np.testing.assert_allclose(to_numpy(sparsemax(z.T, axis=0)), p.T, atol=1e-6)


def test_loss_propositions_from_the_paper():
    # Martins & Astudillo (2016), as tested by tensorflow_addons/losses/tests/sparsemax_loss_test.py:
    # Prop. 3 shift invariance, Prop. 4 non-negativity, Prop. 5 zero when z_k >= 1 + max_{j != k} z_j.
    z, q = _logits(1)
    loss = to_numpy(sparsemax_loss(q, z))
    assert (loss >= -1e-6).all()
    np.testing.assert_allclose(to_numpy(sparsemax_loss(q, z + 7.5)), loss, atol=1e-4)
    k = q.argmax(axis=1)
    z0 = z.copy()
    z0[np.arange(17), k] = np.max(np.where(q > 0, -np.inf, z), axis=1) + 1.0
    np.testing.assert_allclose(to_numpy(sparsemax_loss(q, z0)), 0.0, atol=1e-5)
    np.testing.assert_allclose(loss, ref.sparsemax_loss(q, z), rtol=1e-5, atol=1e-5)


def test_gradient_is_sparsemax_minus_target():
    # Martins & Astudillo (2016), Prop. 2: d L / d z = sparsemax(z) - q.
    import jax

    z, q = _logits(2)
    g = jax.jit(jax.grad(lambda x: sparsemax_loss(q, x).sum()))(z)
    np.testing.assert_allclose(np.asarray(g), ref.sparsemax(z) - q, atol=1e-5)


@pytest.mark.backends
def test_sparsemax_matches_oracle_on_backend():
    z, q = _logits(3)
    np.testing.assert_allclose(
        to_numpy(SparsemaxLoss(reduction=None)(q, z)),
        ref.sparsemax_loss(q, z),
        rtol=1e-5,
        atol=1e-5,
    )
    np.testing.assert_allclose(to_numpy(sparsemax(z)), ref.sparsemax(z), atol=1e-6)


def test_activation_in_a_saved_model(tmp_path):
    import keras

    model = keras.Sequential([keras.Input((5,)), keras.layers.Dense(4, activation=sparsemax)])
    model.compile(loss=SparsemaxLoss())
    x = np.random.default_rng(0).normal(size=(3, 5)).astype("float32")
    before = np.asarray(model(x))
    path = tmp_path / "m.keras"
    model.save(path)
    loaded = keras.saving.load_model(path)
    np.testing.assert_allclose(np.asarray(loaded(x)), before, atol=1e-6)
    assert isinstance(loaded.loss, SparsemaxLoss)
    np.testing.assert_allclose(before.sum(axis=1), 1.0, atol=1e-5)


def test_exported_as_losslab_losses_sparsemax():
    assert losslab.losses.sparsemax is sparsemax


# tensorflow/addons@d208d752e9 tensorflow_addons/losses/tests/sparsemax_loss_test.py
# (test_sparsemax_loss_of_inf, test_sparsemax_loss_of_nan) and
# tensorflow_addons/activations/tests/sparsemax_test.py (test_sparsemax_of_inf): a -inf logit
# is a masked class; rows with nan or +inf, or only -inf, have no answer (nan).
_Q = np.array([[0, 0, 1]] * 4, dtype="float32")
_Z_NEG = np.array(
    [[0, -np.inf, 0], [0, -np.inf, -np.inf], [-np.inf, -np.inf, 0], [-np.inf, -np.inf, -np.inf]],
    dtype="float32",
)
_Z_POS = np.array(
    [[0, np.inf, 0], [0, np.inf, np.inf], [np.inf, np.inf, 0], [np.inf, np.inf, np.inf]],
    dtype="float32",
)
_Z_MIX = np.array(
    [[0, np.inf, 0], [0, np.inf, -np.inf], [-np.inf, np.inf, 0], [-np.inf, np.inf, -np.inf]],
    dtype="float32",
)
_Z_NAN = np.array([[0, np.nan, 0], [0, np.nan, np.nan], [np.nan, np.nan, np.nan]], dtype="float32")


def test_loss_with_masked_classes_matches_tensorflow_addons():
    loss = SparsemaxLoss(reduction=None)
    np.testing.assert_equal(to_numpy(loss(_Q, _Z_NEG)), [0.25, np.inf, 0.0, np.nan])
    np.testing.assert_equal(to_numpy(loss(_Q, _Z_POS)), [np.nan] * 4)
    np.testing.assert_equal(to_numpy(loss(_Q, _Z_MIX)), [np.nan] * 4)
    np.testing.assert_equal(to_numpy(loss(_Q[:3], _Z_NAN)), [np.nan] * 3)
    np.testing.assert_equal(ref.sparsemax_loss(_Q, _Z_NEG), [0.25, np.inf, 0.0, np.nan])
    np.testing.assert_equal(ref.sparsemax_loss(_Q, _Z_MIX), [np.nan] * 4)


def test_activation_with_masked_classes_matches_tensorflow_addons():
    z = np.array([[0, -np.inf, 0], [0, -np.inf, -np.inf], [-np.inf, -np.inf, -np.inf]], "float32")
    expected = [[0.5, 0, 0.5], [1, 0, 0], [np.nan, np.nan, np.nan]]
    np.testing.assert_equal(to_numpy(sparsemax(z)), expected)
    np.testing.assert_equal(ref.sparsemax(z), expected)
    np.testing.assert_equal(to_numpy(sparsemax(_Z_POS[[0, 1, 3]])), np.full((3, 3), np.nan))
    np.testing.assert_equal(to_numpy(sparsemax(_Z_NAN)), np.full((3, 3), np.nan))


def test_masked_class_keeps_the_gradient_of_the_others_finite():
    from tests.catalog._helpers import loss_gradient

    # gradient of the sparsemax loss is sparsemax(z) - q; a masked class gets 0
    z = np.array([[0.0, -np.inf, 0.0], [1.0, 0.2, -np.inf]], "float32")
    q = np.array([[0, 0, 1], [1, 0, 0]], "float32")
    value, grad = loss_gradient(SparsemaxLoss(reduction="sum"), q, z)
    assert value == pytest.approx(0.25 + float(ref.sparsemax_loss(q[1:], z[1:])[0]), rel=1e-6)
    expected = ref.sparsemax(z.astype(np.float64)) - q
    np.testing.assert_allclose(grad, expected, atol=1e-6)
