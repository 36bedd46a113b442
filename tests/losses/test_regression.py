"""Robust and quantile regression losses against independent oracles: TensorFlow Addons'
pinball test cases, scikit-learn's ``mean_pinball_loss``, ``torch.nn.SmoothL1Loss`` and the
closed-form special cases of Barron's loss; properties with hypothesis; ``model.fit`` on
each backend.

The catalog-wide conformance suite (tests/catalog/test_conformance.py) already checks every
entry's oracle against Keras on all backends, reductions, unit/zero sample weights, config
and ``.keras`` round trips and finite gradients; this file adds what it cannot know.
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
from tests.losses._helpers import fit_together, loss_value_f32

REGRESSION = ["pinball", "cauchy", "pseudo_huber", "smooth_l1", "general_robust"]


# ----------------------------------------------------------------------------- pinball
_TFA_PINBALL = [c for c in load_reference_cases("tfa_loss_cases.json") if c["loss"] == "pinball"]


@pytest.mark.parametrize(
    "case", _TFA_PINBALL, ids=[c["notes"].split(";")[0][:40] for c in _TFA_PINBALL]
)
def test_pinball_matches_tensorflow_addons_cases(case):
    # Source: tensorflow_addons/losses/tests/quantiles_test.py and the docstring of
    # tensorflow_addons/losses/quantiles.py (TFA asserts 3 decimals; its file truncates).
    kwargs = dict(case["kwargs"])
    reduction = kwargs.pop("reduction", "sum_over_batch_size")
    loss = losslab.get("pinball", reduction=reduction, **kwargs)
    sw = case.get("sample_weight")
    got = loss_value_f32(
        loss, case["y_true"], case["y_pred"], None if sw is None else np.asarray(sw, "float32")
    )
    expected = case.get("expected_value", case["expected"])
    np.testing.assert_allclose(got, expected, atol=1e-3)


def test_pinball_matches_sklearn_docstring_and_random():
    from sklearn.metrics import mean_pinball_loss

    # scikit-learn 1.9.1 docstring of mean_pinball_loss: 0.03..., 0.3..., 0.3..., 0.03..., 0.0
    for alpha, pred, expected in [
        (0.1, [0, 2, 3], 0.0333),
        (0.1, [1, 2, 4], 0.3),
        (0.9, [0, 2, 3], 0.3),
        (0.9, [1, 2, 4], 0.0333),
        (0.1, [1, 2, 3], 0.0),
    ]:
        got = loss_value_f32(losslab.get("pinball", tau=alpha), [[1, 2, 3]], [pred])
        np.testing.assert_allclose(got, expected, atol=1e-3)
    rng = np.random.default_rng(0)
    y, p = rng.normal(size=(50, 1)), rng.normal(size=(50, 1))
    for tau in (0.05, 0.5, 0.95):
        np.testing.assert_allclose(
            loss_value_f32(losslab.get("pinball", tau=tau), y, p),
            mean_pinball_loss(y, p, alpha=tau),
            rtol=1e-5,
        )


def test_pinball_several_levels_is_the_mean_of_single_levels_plus_crossing_penalty():
    from sklearn.metrics import mean_pinball_loss

    rng = np.random.default_rng(1)
    taus = [0.1, 0.5, 0.9]
    y = rng.normal(size=(40,))
    q = rng.normal(size=(40, 3))  # unsorted: some rows cross
    expected = np.mean([mean_pinball_loss(y, q[:, j], alpha=t) for j, t in enumerate(taus)])
    np.testing.assert_allclose(
        loss_value_f32(losslab.get("pinball", tau=taus), y, q), expected, rtol=1e-5
    )
    crossing = np.mean(np.maximum(q[:, :-1] - q[:, 1:], 0.0).mean(axis=-1))
    got = loss_value_f32(losslab.get("pinball", tau=taus, crossing_penalty=2.0), y, q)
    np.testing.assert_allclose(got, expected + 2.0 * crossing, rtol=1e-5)
    # (N, 1) targets work the same as (N,)
    np.testing.assert_allclose(
        loss_value_f32(losslab.get("pinball", tau=taus), y[:, None], q), expected, rtol=1e-5
    )


def test_pinball_rejects_bad_levels():
    with pytest.raises(
        InvalidParameterError, match=r"increasing order.*Received: tau=\[0.9, 0.1\]"
    ):
        losslab.get("pinball", tau=[0.9, 0.1])
    with pytest.raises(InvalidParameterError, match=r"tau must be in \[0, 1\].*Received: tau=1.5"):
        losslab.get("pinball", tau=1.5)
    with pytest.raises(InvalidParameterError, match="unknown keyword.*quantile"):
        losslab.get("pinball", quantile=0.5)
    assert losslab.get_spec("quantile").name == "pinball"


# ----------------------------------------------------------------------------- others
def test_smooth_l1_matches_torch():
    import torch

    rng = np.random.default_rng(2)
    y, p = rng.normal(scale=2, size=(30, 3)), rng.normal(scale=2, size=(30, 3))
    for beta in (0.0, 0.5, 1.0, 3.0):
        expected = torch.nn.SmoothL1Loss(beta=beta)(torch.tensor(p), torch.tensor(y)).item()
        np.testing.assert_allclose(
            loss_value_f32(losslab.get("smooth_l1", beta=beta), y, p), expected, rtol=1e-5
        )


def test_cauchy_and_pseudo_huber_formulas():
    # hand-computed from the formulas: e = 3, c = delta = 2
    # Cauchy: c^2/2 log(1 + (e/c)^2) = 2 log(3.25); pseudo-Huber: 4 (sqrt(3.25) - 1)
    np.testing.assert_allclose(
        loss_value_f32(losslab.get("cauchy", scale=2.0), [[0.0]], [[3.0]]),
        2 * np.log(3.25),
        rtol=1e-6,
    )
    np.testing.assert_allclose(
        loss_value_f32(losslab.get("pseudo_huber", delta=2.0), [[0.0]], [[3.0]]),
        4 * (np.sqrt(3.25) - 1),
        rtol=1e-6,
    )


@pytest.mark.parametrize(
    ("alpha", "closed_form"),
    [
        (2.0, lambda z: 0.5 * z),  # L2
        (1.0, lambda z: np.sqrt(z + 1) - 1),  # pseudo-Huber / Charbonnier
        (0.0, lambda z: np.log(0.5 * z + 1)),  # Cauchy
        (-2.0, lambda z: 2 * z / (z + 4)),  # Geman-McClure
        (-np.inf, lambda z: 1 - np.exp(-0.5 * z)),  # Welsch
    ],
)
def test_general_robust_special_cases(alpha, closed_form):
    # Barron (2019), eq. 3-8: the special cases of rho for z = (x / c)^2
    x = np.linspace(-6, 6, 25).reshape(-1, 1)
    got = loss_value_f32(
        losslab.get("general_robust", alpha=alpha, scale=1.5, reduction=None), np.zeros_like(x), x
    )
    np.testing.assert_allclose(got, closed_form((x[:, 0] / 1.5) ** 2), rtol=1e-5, atol=1e-7)


def test_general_robust_is_continuous_at_its_limits():
    x = np.linspace(-5, 5, 11).reshape(-1, 1)
    for limit, near in [(0.0, 1e-5), (0.0, -1e-5), (2.0, 2.0 - 1e-5), (-np.inf, -1e6)]:
        a = loss_value_f32(
            losslab.get("general_robust", alpha=limit, reduction=None), np.zeros_like(x), x
        )
        b = loss_value_f32(
            losslab.get("general_robust", alpha=near, reduction=None), np.zeros_like(x), x
        )
        np.testing.assert_allclose(a, b, rtol=2e-3, atol=1e-5)


# ----------------------------------------------------------------------------- properties
_finite = st.floats(-50, 50, allow_nan=False, width=32)


@settings(max_examples=12, deadline=None)
@given(
    y=arrays(np.float32, (4, 3), elements=_finite),
    d=arrays(np.float32, (4, 3), elements=st.floats(-5, 5, width=32)),
    name=st.sampled_from(REGRESSION),
)
def test_minimum_at_perfect_prediction(y, d, name):
    spec = losslab.get_spec(name)
    assert spec.minimum_at_truth
    loss = losslab.get(name, reduction=None)
    at_truth = loss_value_f32(loss, y, y)
    off = loss_value_f32(loss, y, y + d)
    np.testing.assert_allclose(at_truth, 0.0, atol=1e-6)
    assert np.all(off >= 0.0)
    assert np.all(off[np.any(np.abs(d) > 1e-2, axis=-1)] > 0)


@pytest.mark.parametrize("name", REGRESSION)
def test_half_precision_is_computed_in_float32(name):
    rng = np.random.default_rng(3)
    y, p = rng.normal(size=(8, 3)), rng.normal(size=(8, 3))
    loss = losslab.get(name, reduction=None)
    got = loss(y.astype("float16"), p.astype("float16"))
    assert str(got.dtype).endswith("float32")
    expected = losslab.get_spec(name).reference_values(y.astype("float16"), p.astype("float16"))
    np.testing.assert_allclose(
        loss_value_f32(loss, y.astype("float16"), p.astype("float16")), expected, rtol=1e-5
    )


# ----------------------------------------------------------------------------- model.fit
@pytest.mark.backends
def test_every_regression_loss_trains_a_model():
    # (the .keras round trip with a list of levels is in tests/catalog/test_conformance.py,
    # which saves every entry with its spec.extra["example_params"])
    rng = np.random.default_rng(4)
    x = rng.normal(size=(32, 4)).astype("float32")
    y = (x @ rng.normal(size=(4,)) + 0.1 * rng.normal(size=32)).astype("float32")
    taus = {"tau": [0.1, 0.5, 0.9], "crossing_penalty": 1.0}
    cases = [(n, {}, y, 1, None) for n in REGRESSION if n != "pinball"]
    fit_together(x, [*cases, ("pinball", taus, y, 3, None)])


def test_classes_are_reachable_from_the_package():
    import losslab.losses
    from losslab.losses.ordinal import WeightedKappaLoss
    from losslab.losses.regression import PinballLoss

    assert losslab.losses.PinballLoss is PinballLoss is losslab.losses.QuantileLoss
    assert losslab.losses.WeightedKappaLoss is WeightedKappaLoss
    with pytest.raises(AttributeError, match="no attribute 'NoSuchLoss'"):
        _ = losslab.losses.NoSuchLoss
