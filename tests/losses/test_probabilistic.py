"""Deviance and likelihood losses against independent oracles: scikit-learn's deviances
(docstring cases and random inputs), ``torch.nn.PoissonNLLLoss``, ``torch.nn.GaussianNLLLoss``
and ``scipy.stats.t``; beta-NLL's gradient; extreme inputs; ``model.fit`` on each backend.

Oracle-vs-Keras on every backend, reductions, sample weights, round trips and finite gradients
on generated inputs are covered for every entry by tests/catalog/test_conformance.py.
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

import losslab
from tests.losses._helpers import fit_together, loss_value_f32

PROBABILISTIC = [
    "tweedie_deviance",
    "gamma_deviance",
    "poisson_nll",
    "gaussian_nll",
    "student_t_nll",
]


def _inv_softplus(v: np.ndarray) -> np.ndarray:
    return np.log(np.expm1(v))


# ----------------------------------------------------------------------------- scikit-learn
def test_deviances_match_sklearn_docstrings():
    # scikit-learn 1.9.1 docstrings (tests/data/reference-cases/other_loss_cases.json):
    # mean_tweedie_deviance(power=1) = mean_poisson_deviance = 1.4260..., mean_gamma_deviance = 1.0568...
    y, mu = [[2.0, 0.0, 1.0, 4.0]], [[0.5, 0.5, 2.0, 2.0]]
    got = loss_value_f32(losslab.get("tweedie_deviance", power=1.0, log_input=False), y, mu)
    np.testing.assert_allclose(got, 1.4260, atol=1e-4)
    got = loss_value_f32(losslab.get("tweedie_deviance", power=1.0), y, np.log(mu))
    np.testing.assert_allclose(got, 1.4260, atol=1e-4)
    got = loss_value_f32(losslab.get("gamma_deviance", log_input=False), [[2.0, 0.5, 1.0, 4.0]], mu)
    np.testing.assert_allclose(got, 1.0568, atol=1e-4)


@pytest.mark.parametrize("power", [1.0, 1.2, 1.5, 1.8, 2.0, 2.5, 3.0])
def test_tweedie_matches_sklearn(power):
    from sklearn.metrics import mean_tweedie_deviance

    rng = np.random.default_rng(int(power * 10))
    y = rng.gamma(2.0, 1.0, size=(64, 1)) + (0.05 if power >= 2 else 0.0)
    if power < 2:
        y[::4] = 0.0  # exact zeros are valid for p < 2
    mu = rng.gamma(2.0, 1.0, size=(64, 1)) + 0.1
    expected = mean_tweedie_deviance(y[:, 0], mu[:, 0], power=power)
    np.testing.assert_allclose(
        loss_value_f32(losslab.get("tweedie_deviance", power=power), y, np.log(mu)),
        expected,
        rtol=2e-5,
    )
    np.testing.assert_allclose(
        loss_value_f32(losslab.get("tweedie_deviance", power=power, log_input=False), y, mu),
        expected,
        rtol=2e-5,
    )


def test_gamma_and_poisson_deviances_match_sklearn():
    from sklearn.metrics import mean_gamma_deviance, mean_poisson_deviance

    rng = np.random.default_rng(5)
    y = rng.gamma(2.0, 1.0, size=(50, 1)) + 0.05
    mu = rng.gamma(2.0, 1.0, size=(50, 1)) + 0.05
    np.testing.assert_allclose(
        loss_value_f32(losslab.get("gamma_deviance"), y, np.log(mu)),
        mean_gamma_deviance(y[:, 0], mu[:, 0]),
        rtol=2e-5,
    )
    counts = rng.poisson(2.0, size=(50, 1)).astype(float)
    # the Poisson NLL differs from half the Poisson deviance by a term free of mu:
    # 2 (nll(y, mu) - nll(y, y)) = deviance, with nll(y, y) = y - y log y
    nll = loss_value_f32(losslab.get("poisson_nll", reduction=None), counts, np.log(mu))
    ylogy = np.where(counts > 0, counts * np.log(np.where(counts > 0, counts, 1)), 0)[:, 0]
    deviance = 2 * (nll - (counts[:, 0] - ylogy))
    np.testing.assert_allclose(
        deviance.mean(), mean_poisson_deviance(counts[:, 0], mu[:, 0]), rtol=2e-5
    )


# ----------------------------------------------------------------------------- torch.nn
@pytest.mark.parametrize("log_input", [True, False])
@pytest.mark.parametrize("full", [False, True])
def test_poisson_nll_matches_torch(log_input, full):
    import torch

    rng = np.random.default_rng(6)
    y = rng.poisson(3.0, size=(40, 2)).astype(np.float64)
    raw = rng.normal(size=(40, 2)) if log_input else rng.gamma(2.0, 1.0, size=(40, 2)) + 0.05
    expected = torch.nn.PoissonNLLLoss(log_input=log_input, full=full)(
        torch.tensor(raw), torch.tensor(y)
    ).item()
    got = loss_value_f32(losslab.get("poisson_nll", log_input=log_input, full=full), y, raw)
    np.testing.assert_allclose(got, expected, rtol=2e-5)


@pytest.mark.parametrize("full", [False, True])
@pytest.mark.parametrize("link", ["softplus", "exp"])
def test_gaussian_nll_matches_torch(full, link):
    import torch

    rng = np.random.default_rng(7)
    y = rng.normal(size=(30, 2))
    mu = y + rng.normal(scale=0.7, size=(30, 2))
    var = rng.gamma(2.0, 0.5, size=(30, 2)) + 0.01
    raw_scale = _inv_softplus(var) if link == "softplus" else np.log(var)
    # torch.nn.GaussianNLLLoss: 0.5 (log max(var, eps) + (y - mu)^2 / max(var, eps)) [+ 0.5 log 2 pi]
    expected = torch.nn.GaussianNLLLoss(full=full, eps=1e-6)(
        torch.tensor(mu), torch.tensor(y), torch.tensor(var)
    )
    got = loss_value_f32(
        losslab.get("gaussian_nll", full=full, variance_link=link),
        y,
        np.concatenate([mu, raw_scale], -1),
    )
    np.testing.assert_allclose(got, expected.item(), rtol=2e-5)


@pytest.mark.backends
def test_beta_nll_scales_the_mean_gradient_by_stopped_variance():
    # Seitzer et al. (2022), eq. 4: d/dmu [var^beta (sg)] * NLL = var^beta (mu - y) / var
    from tests.catalog._helpers import loss_gradient

    y = np.array([[1.0], [-2.0]], dtype="float32")
    var = np.array([4.0, 0.25])
    raw = np.array([[0.5, _inv_softplus(4.0)], [-1.0, _inv_softplus(0.25)]], dtype="float32")
    for beta in (0.0, 0.5, 1.0):
        value, grad = loss_gradient(losslab.get("gaussian_nll", beta=beta, reduction="sum"), y, raw)
        expected_mean_grad = var**beta * (raw[:, 0] - y[:, 0]) / var
        np.testing.assert_allclose(grad[:, 0], expected_mean_grad, rtol=1e-4)
        nll = 0.5 * (np.log(var) + (y[:, 0] - raw[:, 0]) ** 2 / var)
        np.testing.assert_allclose(value, np.sum(nll * var**beta), rtol=1e-5)


def test_student_t_matches_scipy():
    from scipy import stats

    rng = np.random.default_rng(8)
    y = rng.standard_t(3, size=(40, 2))
    mu = rng.normal(size=(40, 2))
    sigma = rng.gamma(2.0, 0.5, size=(40, 2)) + 0.05
    for df in (1.0, 3.0, 30.0):
        expected = -stats.t.logpdf(y, df, loc=mu, scale=sigma).mean()
        got = loss_value_f32(
            losslab.get("student_t_nll", df=df), y, np.concatenate([mu, _inv_softplus(sigma)], -1)
        )
        np.testing.assert_allclose(got, expected, rtol=2e-5)
        got = loss_value_f32(
            losslab.get("student_t_nll", df=df, scale_link="exp"),
            y,
            np.concatenate([mu, np.log(sigma)], -1),
        )
        np.testing.assert_allclose(got, expected, rtol=2e-5)


def test_mean_scale_target_shapes():
    # (N,) targets against (N, 2) outputs equal (N, 1) targets; predict gives the mean half
    rng = np.random.default_rng(9)
    y, raw = rng.normal(size=(10,)), rng.normal(size=(10, 2))
    loss = losslab.get("gaussian_nll", reduction=None)
    np.testing.assert_allclose(
        loss_value_f32(loss, y, raw), loss_value_f32(loss, y[:, None], raw), rtol=1e-6
    )
    np.testing.assert_allclose(losslab.get_spec("gaussian_nll").to_prediction(raw), raw[:, :1])
    np.testing.assert_allclose(losslab.get_spec("poisson_nll").to_prediction(raw), np.exp(raw))


# ----------------------------------------------------------------------------- properties
@settings(max_examples=12, deadline=None)
@given(
    y=arrays(np.float64, (4, 2), elements=st.floats(0.01, 100.0)),
    d=arrays(np.float64, (4, 2), elements=st.floats(-3, 3)),
    power=st.sampled_from([1.0, 1.3, 1.5, 1.9, 2.0, 3.0]),
)
def test_deviance_is_zero_at_truth_and_positive_elsewhere(y, d, power):
    loss = losslab.get("tweedie_deviance", power=power, reduction=None)
    at_truth = loss_value_f32(loss, y, np.log(y))
    np.testing.assert_allclose(at_truth, 0.0, atol=1e-4 * max(1.0, float(y.max())))
    off = loss_value_f32(loss, y, np.log(y) + d)
    assert np.all(off >= -1e-4 * max(1.0, float(y.max())))
    # the NLL is minimal at the truth too (it is not zero there)
    nll = losslab.get("poisson_nll", reduction=None)
    assert np.all(
        loss_value_f32(nll, y, np.log(y) + d)
        >= loss_value_f32(nll, y, np.log(y)) - 1e-4 * max(1.0, float(y.max()))
    )


@pytest.mark.backends
def test_finite_values_and_gradients_at_extreme_inputs():
    from tests.catalog._helpers import loss_gradient

    # log-rates of +/-30 (exp(30) ~ 1e13 is still finite in float32) and raw scales of +/-1e4
    y = np.array([[0.0, 5.0], [3.0, 0.0]], dtype="float32")
    z = np.array([[30.0, -30.0], [-30.0, 30.0]], dtype="float32")
    for name, params in [
        ("tweedie_deviance", {"power": 1.5}),
        ("tweedie_deviance", {"power": 1.0}),
        ("poisson_nll", {}),
    ]:
        value, grad = loss_gradient(losslab.get(name, **params), y, z)
        assert np.isfinite(value) and np.all(np.isfinite(grad)), (name, params)
    value, grad = loss_gradient(losslab.get("gamma_deviance"), y + 0.5, z)
    assert np.isfinite(value) and np.all(np.isfinite(grad))
    raw = np.array([[0.0, 1e4], [1e4, -1e4]], dtype="float32")
    yy = np.array([[0.5], [-1e3]], dtype="float32")
    for name in ("gaussian_nll", "student_t_nll"):
        for link in ("softplus", "exp") if name == "gaussian_nll" else ("softplus",):
            key = "variance_link" if name == "gaussian_nll" else "scale_link"
            value, grad = loss_gradient(
                losslab.get(name, **{key: link}),
                yy,
                np.minimum(raw, 80.0) if link == "exp" else raw,
            )
            assert np.isfinite(value) and np.all(np.isfinite(grad)), (name, link)


# ----------------------------------------------------------------------------- model.fit
@pytest.mark.backends
def test_every_probabilistic_loss_trains_a_model():
    rng = np.random.default_rng(10)
    x = rng.normal(size=(32, 4)).astype("float32")
    rate = np.exp(0.3 * x[:, :1])
    counts = rng.poisson(rate).astype("float32")
    positive = (rng.gamma(2.0, 1.0, size=(32, 1)) * rate).astype("float32")
    real = (x[:, :1] + 0.3 * rng.normal(size=(32, 1))).astype("float32")
    cases = [
        ("tweedie_deviance", {}, counts, 1, None),
        ("poisson_nll", {}, counts, 1, None),
        ("gamma_deviance", {}, positive, 1, None),
        ("gaussian_nll", {"beta": 0.5}, real, 2, None),
        ("student_t_nll", {}, real, 2, None),
    ]
    assert sorted(c[0] for c in cases) == sorted(PROBABILISTIC)
    fit_together(x, cases)
