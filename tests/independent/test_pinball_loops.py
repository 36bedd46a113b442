"""Pinball (quantile) loss against an element-by-element loop, and its crossing penalty.

``rho_tau(e) = max(tau e, (tau - 1) e)``, ``e = y - q`` (Koenker and Bassett 1978), averaged
over the outputs of a sample; with several levels, one output per level and the penalty
``lambda * mean_j max(q_j - q_{j+1}, 0)`` on adjacent levels (docs/losses.md).
"""

from __future__ import annotations

import numpy as np
import pytest

from tests.independent._common import per_sample


def pinball_one_level(y_true, y_pred, tau: float = 0.5) -> np.ndarray:
    out = []
    for row_t, row_p in zip(np.atleast_2d(y_true), np.atleast_2d(y_pred), strict=True):
        terms = [
            max(tau * (t - p), (tau - 1.0) * (t - p)) for t, p in zip(row_t, row_p, strict=True)
        ]
        out.append(sum(terms) / len(terms))
    return np.array(out)


def pinball_levels(y_true, y_pred, taus, penalty: float = 0.0) -> np.ndarray:
    out = []
    for y, q in zip(y_true, y_pred, strict=True):
        loss = sum(
            max(tau * (y - qj), (tau - 1.0) * (y - qj)) for tau, qj in zip(taus, q, strict=True)
        ) / len(taus)
        crossings = [max(q[j] - q[j + 1], 0.0) for j in range(len(q) - 1)]
        out.append(loss + penalty * sum(crossings) / len(crossings))
    return np.array(out)


@pytest.mark.parametrize("tau", [None, 0.1, 0.9, 0.0, 1.0])
def test_one_level_matches_loop(tau):
    rng = np.random.default_rng(0)
    y, q = rng.normal(size=(16, 3)), rng.normal(size=(16, 3))
    params = {} if tau is None else {"tau": tau}
    expected = pinball_one_level(y, q, 0.5 if tau is None else tau)  # default tau = 0.5
    np.testing.assert_allclose(
        per_sample("pinball", y, q, **params), expected, rtol=1e-5, atol=1e-7
    )


@pytest.mark.parametrize("penalty", [0.0, 1.0, 3.5])
def test_several_levels_and_crossing_penalty_match_loop(penalty):
    rng = np.random.default_rng(1)
    taus = [0.1, 0.5, 0.9]
    y = rng.normal(size=16)
    q = rng.normal(size=(16, 3))  # unsorted rows: many crossings
    expected = pinball_levels(y, q, taus, penalty)
    got = per_sample("pinball", y, q, tau=taus, crossing_penalty=penalty)
    np.testing.assert_allclose(got, expected, rtol=1e-5, atol=1e-7)


def test_penalty_is_zero_for_ordered_quantiles():
    rng = np.random.default_rng(2)
    y = rng.normal(size=8)
    q = np.sort(rng.normal(size=(8, 4)), axis=1)
    taus = [0.1, 0.4, 0.6, 0.9]
    np.testing.assert_allclose(
        per_sample("pinball", y, q, tau=taus, crossing_penalty=10.0),
        pinball_levels(y, q, taus),
        rtol=1e-5,
    )
