"""Classification losses against independent oracles: Optax's PolyLoss cases, torch's
``BCEWithLogitsLoss(pos_weight)``, scikit-learn's ``log_loss``, Keras's own categorical
focal and label-smoothed cross-entropy, a transcription of the ASL authors' algorithm in
torch, and Cui et al.'s weights; hypothesis properties; ``model.fit`` on each backend.

Oracle-vs-Keras on every backend, reductions, unit/zero sample weights, round trips and
finite gradients on generated inputs are covered by tests/catalog/test_conformance.py.
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

import losslab
from losslab.errors import InvalidParameterError
from tests.conftest import load_reference_cases
from tests.losses._helpers import fit_together, loss_value

SPARSE = [
    "sparse_categorical_focal",
    "class_balanced_crossentropy",
    "class_balanced_focal",
    "sparse_categorical_crossentropy_smoothed",
]
ONEHOT = ["poly1_crossentropy", "symmetric_crossentropy"]
MULTILABEL = ["weighted_binary_crossentropy", "asymmetric_loss"]
ALL = SPARSE + ONEHOT + MULTILABEL


def _softmax(z):
    e = np.exp(z - z.max(-1, keepdims=True))
    return e / e.sum(-1, keepdims=True)


# ----------------------------------------------------------------------------- PolyLoss (Optax)
_POLY = [
    c
    for c in load_reference_cases("other_loss_cases.json")
    if c["loss"] == "poly_loss_cross_entropy"
]


@pytest.mark.parametrize(
    "case", _POLY, ids=[f"eps={c['kwargs']['epsilon']}-{np.ndim(c['y_true'])}d" for c in _POLY]
)
def test_poly1_matches_optax_cases(case):
    # Source: google-deepmind/optax@2edbcbe2 optax/losses/_classification_test.py (atol 1e-4)
    loss = losslab.get("poly1_crossentropy", from_logits=True, reduction=None, **case["kwargs"])
    y_true = np.atleast_2d(np.asarray(case["y_true"], "float32"))
    got = loss_value(loss, y_true, np.atleast_2d(case["y_pred"]))
    np.testing.assert_allclose(got, np.ravel(case["expected"]), atol=1e-3)


# ----------------------------------------------------------------------------- BCE pos_weight (torch)
def test_weighted_bce_matches_torch_docstring_and_random():
    import torch

    # torch/nn/modules/loss.py docstring: pos_weight = ones(64), logits 1.5, targets 1 -> -log(sigmoid(1.5)) = 0.20...
    got = loss_value(
        losslab.get("weighted_binary_crossentropy", pos_weight=[1.0] * 64, from_logits=True),
        np.ones((10, 64), "float32"),
        np.full((10, 64), 1.5),
    )
    np.testing.assert_allclose(got, -np.log(1 / (1 + np.exp(-1.5))), rtol=1e-6)
    assert str(got)[:4] == "0.20"
    rng = np.random.default_rng(11)
    y = rng.integers(0, 2, size=(40, 3)).astype(np.float64)
    z = rng.normal(scale=3, size=(40, 3))
    for pw in ([3.0, 0.5, 1.0], 2.5):
        crit = torch.nn.BCEWithLogitsLoss(pos_weight=torch.tensor(np.broadcast_to(pw, (3,)).copy()))
        expected = crit(torch.tensor(z), torch.tensor(y)).item()
        got = loss_value(
            losslab.get("weighted_binary_crossentropy", pos_weight=pw, from_logits=True), y, z
        )
        np.testing.assert_allclose(got, expected, rtol=1e-5)
        p = 1 / (1 + np.exp(-z))
        got = loss_value(losslab.get("weighted_binary_crossentropy", pos_weight=pw), y, p)
        np.testing.assert_allclose(got, expected, rtol=1e-4)


# ----------------------------------------------------------------------------- sklearn log_loss
def test_reductions_to_cross_entropy_match_sklearn_log_loss():
    from sklearn.metrics import log_loss

    rng = np.random.default_rng(12)
    labels = rng.integers(0, 4, size=60)
    z = rng.normal(scale=2, size=(60, 4))
    expected = log_loss(labels, _softmax(z), labels=[0, 1, 2, 3])
    onehot = np.eye(4)[labels]
    cases = [
        ("sparse_categorical_focal", {"gamma": 0.0, "alpha": None}, labels),
        (
            "class_balanced_crossentropy",
            {"samples_per_class": [10, 20, 30, 40], "beta": 0.0},
            labels,
        ),
        ("class_balanced_focal", {"gamma": 0.0}, labels),
        ("sparse_categorical_crossentropy_smoothed", {"label_smoothing": 0.0}, labels),
        ("poly1_crossentropy", {"epsilon": 0.0}, onehot),
        ("symmetric_crossentropy", {"alpha": 1.0, "beta": 0.0}, onehot),
    ]
    for name, params, y in cases:
        for from_logits, pred in ((True, z), (False, _softmax(z))):
            got = loss_value(losslab.get(name, from_logits=from_logits, **params), y, pred)
            np.testing.assert_allclose(
                got, expected, rtol=1e-5, err_msg=f"{name} from_logits={from_logits}"
            )
    # binary: pos_weight 1 is plain BCE (mean over labels)
    y = rng.integers(0, 2, size=(60, 1))
    np.testing.assert_allclose(
        loss_value(losslab.get("weighted_binary_crossentropy", from_logits=True), y, z[:, :1]),
        log_loss(y[:, 0], 1 / (1 + np.exp(-z[:, 0]))),
        rtol=1e-5,
    )


# ----------------------------------------------------------------------------- Keras's own losses
def test_sparse_focal_and_smoothing_match_keras_categorical_versions():
    import keras

    rng = np.random.default_rng(13)
    labels = rng.integers(0, 5, size=30)
    z = rng.normal(scale=2, size=(30, 5)).astype("float32")
    onehot = np.eye(5, dtype="float32")[labels]
    for alpha, gamma in ((0.25, 2.0), (1.0, 0.5)):
        expected = keras.losses.CategoricalFocalCrossentropy(
            alpha=alpha, gamma=gamma, from_logits=True
        )(onehot, z)
        got = loss_value(
            losslab.get("sparse_categorical_focal", alpha=alpha, gamma=gamma, from_logits=True),
            labels,
            z,
        )
        np.testing.assert_allclose(got, float(expected), rtol=1e-5)
    for ls in (0.1, 0.3):
        expected = keras.losses.CategoricalCrossentropy(label_smoothing=ls, from_logits=True)(
            onehot, z
        )
        got = loss_value(
            losslab.get(
                "sparse_categorical_crossentropy_smoothed", label_smoothing=ls, from_logits=True
            ),
            labels,
            z,
        )
        np.testing.assert_allclose(got, float(expected), rtol=1e-5)
    # (N, 1) labels work like (N,)
    loss = losslab.get("sparse_categorical_crossentropy_smoothed", from_logits=True)
    np.testing.assert_allclose(
        loss_value(loss, labels[:, None], z), loss_value(loss, labels, z), rtol=1e-6
    )


def test_per_class_alpha_and_class_balanced_weights():
    rng = np.random.default_rng(14)
    labels = rng.integers(0, 3, size=20)
    z = rng.normal(size=(20, 3))
    logp = np.log(_softmax(z))[np.arange(20), labels]
    alpha = np.array([0.2, 1.0, 3.0])
    focal = -((1 - np.exp(logp)) ** 2) * logp
    got = loss_value(
        losslab.get(
            "sparse_categorical_focal", alpha=list(alpha), from_logits=True, reduction=None
        ),
        labels,
        z,
    )
    np.testing.assert_allclose(got, alpha[labels] * focal, rtol=1e-5)
    # Cui et al. (2019), eq. 2-3: E_n = (1 - beta^n) / (1 - beta), weight ~ 1 / E_n, summing to K
    counts, beta = np.array([1000.0, 100.0, 10.0]), 0.999
    w = (1 - beta) / (1 - beta**counts)
    w = w / w.sum() * 3
    got = loss_value(
        losslab.get(
            "class_balanced_focal",
            samples_per_class=list(counts),
            beta=beta,
            from_logits=True,
            reduction=None,
        ),
        labels,
        z,
    )
    np.testing.assert_allclose(got, w[labels] * focal, rtol=1e-5)
    with pytest.raises(
        InvalidParameterError, match="samples_per_class has 2 entries but y_pred has 3 classes"
    ):
        loss_value(losslab.get("class_balanced_crossentropy", samples_per_class=[5, 6]), labels, z)


def test_symmetric_ce_reverse_term():
    # Wang et al. (2019): for one-hot y, RCE = -A (1 - p_y) with A = log(1e-4)
    rng = np.random.default_rng(15)
    labels = rng.integers(0, 4, size=12)
    p = _softmax(rng.normal(size=(12, 4)))
    got = loss_value(
        losslab.get("symmetric_crossentropy", alpha=0.0, beta=1.0, reduction=None),
        np.eye(4)[labels],
        p,
    )
    np.testing.assert_allclose(got, -np.log(1e-4) * (1 - p[np.arange(12), labels]), rtol=1e-5)


def _asl_authors(x, y, gamma_neg, gamma_pos, clip, eps=1e-8):
    """Transcription (in torch) of AsymmetricLoss.forward from Alibaba-MIIL/ASL
    (src/loss_functions/losses.py), returning per-sample sums instead of the batch sum."""
    import torch

    xs_pos = torch.sigmoid(x)
    xs_neg = 1 - xs_pos
    if clip is not None and clip > 0:
        xs_neg = (xs_neg + clip).clamp(max=1)
    los_pos = y * torch.log(xs_pos.clamp(min=eps))
    los_neg = (1 - y) * torch.log(xs_neg.clamp(min=eps))
    loss = los_pos + los_neg
    pt = xs_pos * y + xs_neg * (1 - y)
    one_sided_gamma = gamma_pos * y + gamma_neg * (1 - y)
    loss = loss * torch.pow(1 - pt, one_sided_gamma)
    return (-loss.sum(-1)).numpy()


def test_asymmetric_loss_matches_the_authors_algorithm():
    import torch

    rng = np.random.default_rng(16)
    y = rng.integers(0, 2, size=(25, 6)).astype(np.float64)
    z = rng.normal(scale=2, size=(25, 6))
    for gn, gp, clip in ((4.0, 1.0, 0.05), (2.0, 0.0, 0.0), (0.0, 0.0, 0.2)):
        expected = _asl_authors(torch.tensor(z), torch.tensor(y), gn, gp, clip)
        params = {"gamma_neg": gn, "gamma_pos": gp, "clip": clip, "reduction": None}
        got = loss_value(losslab.get("asymmetric_loss", from_logits=True, **params), y, z)
        np.testing.assert_allclose(got, expected, rtol=1e-4, atol=1e-6)
        got = loss_value(losslab.get("asymmetric_loss", **params), y, 1 / (1 + np.exp(-z)))
        np.testing.assert_allclose(got, expected, rtol=1e-4, atol=1e-5)


# ----------------------------------------------------------------------------- properties
@settings(max_examples=10, deadline=None)
@given(
    z=arrays(np.float32, (5, 4), elements=st.floats(-20, 20, width=32)),
    labels=arrays(np.int32, (5,), elements=st.integers(0, 3)),
    gamma=st.floats(0.0, 5.0),
)
def test_focal_with_gamma_zero_is_ce_and_focal_never_exceeds_ce(z, labels, gamma):
    ce = loss_value(
        losslab.get(
            "sparse_categorical_focal", alpha=None, gamma=0.0, from_logits=True, reduction=None
        ),
        labels,
        z,
    )
    ref = loss_value(
        losslab.get(
            "sparse_categorical_crossentropy_smoothed",
            label_smoothing=0.0,
            from_logits=True,
            reduction=None,
        ),
        labels,
        z,
    )
    np.testing.assert_allclose(ce, ref, rtol=1e-5, atol=1e-6)
    focal = loss_value(
        losslab.get(
            "sparse_categorical_focal", alpha=None, gamma=gamma, from_logits=True, reduction=None
        ),
        labels,
        z,
    )
    assert np.all(focal <= ce + 1e-6)
    poly0 = loss_value(
        losslab.get("poly1_crossentropy", epsilon=0.0, from_logits=True, reduction=None),
        np.eye(4)[labels],
        z,
    )
    np.testing.assert_allclose(poly0, ce, rtol=1e-5, atol=1e-6)


@settings(max_examples=10, deadline=None)
@given(
    labels=arrays(np.int32, (6,), elements=st.integers(0, 3)),
    name=st.sampled_from([n for n in SPARSE + ONEHOT if "smoothed" not in n]),
)
def test_minimum_at_perfect_prediction(labels, name):
    # (label smoothing is minimal at the smoothed distribution, not at the one-hot one)
    spec = losslab.get_spec(name)
    assert spec.minimum_at_truth
    y = labels if name in SPARSE else np.eye(4, dtype="float32")[labels]
    perfect = np.eye(4, dtype="float32")[labels]
    rng = np.random.default_rng(int(labels.sum()))
    other = _softmax(rng.normal(size=(6, 4)))
    loss = losslab.get(name, reduction=None)
    at_truth, off = loss_value(loss, y, perfect), loss_value(loss, y, other)
    assert np.all(at_truth <= off + 1e-6)
    np.testing.assert_allclose(at_truth, 0.0, atol=1e-4)


@pytest.mark.backends
@pytest.mark.parametrize("name", ALL)
def test_finite_values_and_gradients_at_extremes(name):
    from tests.catalog._helpers import loss_gradient

    spec = losslab.get_spec(name)
    if name in MULTILABEL:
        y = np.array([[1, 0, 1, 0], [0, 1, 1, 0]], "float32")
    elif name in ONEHOT:
        y = np.eye(4, dtype="float32")[[0, 3]]
    else:
        y = np.array([0, 3], "int32")
    logits = np.array([[1e4, -1e4, 1e4, -1e4], [-1e4, 1e4, -1e4, 1e4]], "float32")
    probs = np.array([[1.0, 0.0, 1.0, 0.0], [0.0, 1.0, 0.0, 1.0]], "float32")
    if name not in MULTILABEL:
        probs = np.array([[1.0, 0.0, 0.0, 0.0], [0.0, 1.0, 0.0, 0.0]], "float32")
    for from_logits, pred in ((True, logits), (False, probs)):
        value, grad = loss_gradient(losslab.get(name, from_logits=from_logits), y, pred)
        assert np.isfinite(value), (name, from_logits, value)
        assert np.all(np.isfinite(grad)), (name, from_logits, grad)
    assert spec.from_logits_param == "from_logits"


# ----------------------------------------------------------------------------- model.fit
@pytest.mark.backends
def test_every_classification_loss_trains_a_model():
    rng = np.random.default_rng(17)
    x = rng.normal(size=(32, 4)).astype("float32")
    labels = np.argmax(x @ rng.normal(size=(4, 3)), axis=-1).astype("int32")
    multilabel = (x[:, :3] > 0).astype("float32")
    cases = []
    for name in ALL:
        if name in SPARSE:
            y, act = labels, "softmax"
        elif name in ONEHOT:
            y, act = np.eye(3, dtype="float32")[labels], "softmax"
        else:
            y, act = multilabel, "sigmoid"
        params = {"samples_per_class": [10, 12, 10]} if name.startswith("class_balanced") else {}
        cases.append((name, params, y, 3, act))
    fit_together(x, cases)


def test_half_precision_inputs_are_computed_in_float32():
    import keras

    from losslab.catalog.inputs import generate

    for name in ALL:
        spec = losslab.get_spec(name)
        for dtype in ("float16", "bfloat16"):
            y, p = generate(spec.inputs, 8, {**spec.defaults, "from_logits": True}, seed=3)
            p16 = np.asarray(p, dtype="float32").astype(dtype) if dtype == "float16" else p
            loss = losslab.get(name, from_logits=True, reduction=None)
            got = loss(y, keras.ops.cast(p16, dtype))
            assert str(got.dtype).endswith("float32"), (name, dtype, got.dtype)
            rounded = np.asarray(
                keras.ops.convert_to_numpy(keras.ops.cast(keras.ops.cast(p16, dtype), "float32"))
            )
            np.testing.assert_allclose(
                np.asarray(keras.ops.convert_to_numpy(got)),
                spec.reference_values(y, rounded, from_logits=True),
                rtol=1e-5,
            )
