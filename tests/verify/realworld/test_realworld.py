"""``losslab.check`` on real-world custom losses: each verdict must be the one written in
expected.py (before the check was run). The cross-backend subprocesses are skipped."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

import losslab
from losslab.verify import CHECK_NAMES
from tests.verify.realworld import losses_classes as C
from tests.verify.realworld import losses_classification as K
from tests.verify.realworld import losses_regression as R
from tests.verify.realworld import losses_segmentation as S
from tests.verify.realworld.expected import EXPECTED

pytestmark = pytest.mark.slow


def _five_classes(n: int = 8, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """One-hot targets and softmax probabilities over the 5 classes the loss hard-codes."""
    rng = np.random.default_rng(seed)
    y_true = np.eye(5, dtype="float32")[rng.integers(0, 5, size=n)]
    z = rng.normal(size=(n, 5))
    return y_true, (np.exp(z) / np.exp(z).sum(axis=1, keepdims=True)).astype("float32")


REG = {"family": "regression", "minimum_at_truth": True}
BIN = {"family": "binary", "minimum_at_truth": True}
MUL = {"family": "multiclass", "minimum_at_truth": True}
SEG = {"family": "segmentation", "minimum_at_truth": True}
CRITIC = {"inputs": "hinge", "minimum_at_truth": False, "critic": True}  # labels +/-1, scores

SETUPS: dict[str, tuple[Any, dict[str, Any]]] = {
    "rmse_global": (R.rmse_global, REG),
    "rmse_axis": (R.rmse_axis, REG),
    "huber_dqn_mean": (R.huber_dqn_mean, REG),
    "huber_elementwise": (R.huber_elementwise, REG),
    "smooth_l1_sum": (R.smooth_l1_sum, REG),
    "mape_clipped": (R.mape_clipped, REG),
    "mape_global_no_eps": (R.mape_global_no_eps, REG),
    "quantile_loss_global": (R.quantile_loss_global, REG),
    "quantile_score_3q": (R.quantile_score_3q, {**REG, "minimum_at_truth": False}),
    "envelope_asymmetric_sum": (R.envelope_asymmetric_sum, REG),
    "sign_penalty": (R.sign_penalty, REG),
    "loss_bet": (R.loss_bet, REG),
    "negative_pearson": (R.negative_pearson, REG),
    "correlation_mse": (R.correlation_mse, REG),
    "wasserstein_axis": (R.wasserstein_axis, CRITIC),
    "PearsonCorrelation": (C.PearsonCorrelation, REG),
    "WassersteinLoss": (C.WassersteinLoss, CRITIC),
    "MyWeightedBinaryCrossentropy": (C.MyWeightedBinaryCrossentropy, BIN),
    "TverskyLoss": (C.TverskyLoss, SEG),
    "KLDiv": (C.KLDiv, MUL),
    "focal_loss_sum": (K.focal_loss_sum, BIN),
    "focal_loss_fixed_mean": (K.focal_loss_fixed_mean, BIN),
    "focal_loss_swapped_cce": (
        K.focal_loss_swapped_cce,
        {"data": _five_classes(), "minimum_at_truth": True},
    ),
    "weighted_bce_global": (K.weighted_bce_global, BIN),
    "weighted_bce_pos_weight": (K.weighted_bce_pos_weight, BIN),
    "jaccard_distance_contrib": (K.jaccard_distance_contrib, BIN),
    "contrastive_global": (K.contrastive_global, {**BIN, "minimum_at_truth": False}),
    "kl_divergence_mean": (K.kl_divergence_mean, MUL),
    "dice_loss_flatten": (S.dice_loss_flatten, SEG),
    "dice_coef_loss_negative": (S.dice_coef_loss_negative, SEG),
    "dice_coef_as_loss": (S.dice_coef_as_loss, SEG),
    "focal_tversky_batch_axis": (S.focal_tversky_batch_axis, SEG),
    "focal_tversky_flatten": (S.focal_tversky_flatten, SEG),
    "jaccard_distance_double_sum": (S.jaccard_distance_double_sum, SEG),
    "jacard_loss_negative": (S.jacard_loss_negative, SEG),
    "weighted_bce_unclipped": (S.weighted_bce_unclipped, SEG),
}


def run_check(name: str) -> Any:
    """``losslab.check`` on one corpus loss, without the cross-backend subprocesses.

    A critic (a WGAN loss) is checked with the ``direction`` opt-out when ``check`` has one
    (``direction=False``: no "toward the truth" requirement); without it, as is.
    """
    loss, kwargs = SETUPS[name]
    kwargs = dict(kwargs)
    critic = kwargs.pop("critic", False)
    if critic:
        kwargs["direction"] = False
    return losslab.check(loss, backends=None, skip=["backends"], **kwargs)


def test_every_corpus_loss_has_an_expectation_and_a_setup() -> None:
    assert set(SETUPS) == set(EXPECTED)
    assert len(SETUPS) >= 30
    for exp in EXPECTED.values():
        assert exp.verdict in ("pass", "fail") and exp.why
        assert exp.fails <= set(CHECK_NAMES)
        assert (exp.verdict == "fail") == bool(exp.fails)


@pytest.mark.parametrize("name", sorted(SETUPS))
def test_realworld_verdict(name: str) -> None:
    expected = EXPECTED[name]
    report = run_check(name)
    failed = {r.name for r in report.failures}
    actual = "pass" if report.passed else "fail"
    assert actual == expected.verdict, f"expected {expected.verdict} ({expected.why})\n{report}"
    missing = {c for c in expected.fails if c in {r.name for r in report.results}} - failed
    assert not missing, f"expected {sorted(missing)} to fail ({expected.why})\n{report}"
