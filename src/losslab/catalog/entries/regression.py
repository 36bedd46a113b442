"""Catalog entries: robust and quantile regression losses Keras lacks (pinball, Cauchy,
pseudo-Huber, smooth L1, Barron's general robust loss)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

from losslab.catalog._registry import register
from losslab.catalog._spec import Family, Head, LossSpec, Robustness
from losslab.catalog.inputs import register_inputs
from losslab.reference.regression import (
    CAUCHY_PARAMS,
    GENERAL_ROBUST_PARAMS,
    PINBALL_PARAMS,
    PSEUDO_HUBER_PARAMS,
    SMOOTH_L1_PARAMS,
    taus_of,
)

_REF = "losslab.reference.regression"
_KERAS = "losslab.losses.regression"
_REG_Y_TRUE = "real values, shape (N,) or (N, D)"
_REG_Y_PRED = "real values, same shape as y_true (linear output)"


@register_inputs("quantiles")
def _quantiles(
    rng: np.random.Generator, n: int, params: Mapping[str, Any]
) -> tuple[np.ndarray, np.ndarray]:
    """One level: (N, 3) against (N, 3). Q levels: targets (N,) against sorted outputs (N, Q)."""
    taus = taus_of(params.get("tau", 0.5))
    if len(taus) == 1:
        return rng.normal(size=(n, 3)).astype(np.float32), rng.normal(size=(n, 3)).astype(
            np.float32
        )
    y = rng.normal(size=(n,)).astype(np.float32)
    q = np.sort(rng.normal(size=(n, len(taus))), axis=-1).astype(np.float32)
    return y, q


register(
    LossSpec(
        name="pinball",
        title="Pinball (quantile) loss",
        aliases=("quantile", "quantile_loss", "pinball_loss", "PinballLoss"),
        family=Family.REGRESSION,
        statistic="quantile",
        y_true="real values, shape (N,) or (N, D)",
        y_pred="one level: same shape as y_true; Q levels (tau a list): (N, Q) linear outputs, "
        "one per level in the order of tau",
        head=Head.QUANTILES,
        keras=f"{_KERAS}:PinballLoss",
        reference=f"{_REF}:pinball",
        params=PINBALL_PARAMS,
        robustness=Robustness.HIGH,
        formula="mean_q max(tau_q e, (tau_q - 1) e),  e = y_true - y_pred_q;  "
        "+ crossing_penalty * mean_j relu(y_pred_j - y_pred_{j+1})",
        when_to_use="You want a quantile of the conditional distribution (tau = 0.5: the median; "
        "0.1 and 0.9: an 80% prediction interval), e.g. demand forecasting where under- and "
        "over-prediction cost differently. Give a list of levels to fit several quantiles at "
        "once with one output each. Judge with the mean pinball loss at the same level.",
        pitfalls="Quantiles fitted independently can cross (q_0.9 < q_0.1 for some inputs): use "
        "crossing_penalty > 0 or sort the outputs. The gradient is piecewise constant, so "
        "learning rates tuned for MSE may be too small. Extreme levels (tau < 0.02 or > 0.98) "
        "need a lot of data. TensorFlow Addons' PinballLoss used the same tau argument.",
        references=(
            "Koenker, R. and Bassett, G. (1978). Regression Quantiles. Econometrica.",
            "Cannon, A. J. (2018). Non-crossing nonlinear regression quantiles by monotone "
            "composite quantile regression neural network. Stochastic Environmental Research "
            "and Risk Assessment.",
        ),
        inputs="quantiles",
        minimum_at_truth=True,
        tags=("tfa", "quantile", "robust"),
        extra={"example_params": {"tau": [0.1, 0.5, 0.9], "crossing_penalty": 1.0}},
    )
)

register(
    LossSpec(
        name="cauchy",
        title="Cauchy (Lorentzian) loss",
        aliases=("lorentzian", "cauchy_loss", "CauchyLoss"),
        family=Family.REGRESSION,
        statistic="mean",
        y_true=_REG_Y_TRUE,
        y_pred=_REG_Y_PRED,
        head=Head.IDENTITY,
        keras=f"{_KERAS}:CauchyLoss",
        reference=f"{_REF}:cauchy",
        params=CAUCHY_PARAMS,
        robustness=Robustness.HIGH,
        formula="mean_d c^2 / 2 * log(1 + ((y_pred - y_true) / c)^2)",
        when_to_use="Regression with many gross outliers (sensor glitches, mislabelled rows): "
        "the loss grows only logarithmically, so outliers barely pull the fit. It is the NLL "
        "of a Cauchy error distribution. Estimates a location (the mode for symmetric noise).",
        pitfalls="Non-convex: a bad initialisation can lock onto a wrong basin, and large errors "
        "get almost no gradient. Pick the scale c near the typical inlier error (target units); "
        "warm-starting from an MSE or Huber fit helps.",
        references=(
            "Black, M. J. and Anandan, P. (1996). The robust estimation of multiple motions. "
            "Computer Vision and Image Understanding.",
        ),
        inputs="regression",
        minimum_at_truth=True,
        tags=("robust",),
    )
)

register(
    LossSpec(
        name="pseudo_huber",
        title="Pseudo-Huber loss",
        aliases=("PseudoHuber", "pseudo_huber_loss", "charbonnier"),
        family=Family.REGRESSION,
        statistic="mean",
        y_true=_REG_Y_TRUE,
        y_pred=_REG_Y_PRED,
        head=Head.IDENTITY,
        keras=f"{_KERAS}:PseudoHuber",
        reference=f"{_REF}:pseudo_huber",
        params=PSEUDO_HUBER_PARAMS,
        robustness=Robustness.MODERATE,
        formula="mean_d delta^2 (sqrt(1 + (e / delta)^2) - 1),  e = y_pred - y_true",
        when_to_use="Like Huber (quadratic near zero, linear in the tails) but smooth everywhere "
        "(all derivatives continuous), which second-order optimisers and small-batch training "
        "like. A good default robust loss for regression with some outliers.",
        pitfalls="delta is in the target's units: rescale it with the target. For |e| << delta it "
        "behaves like 0.5 e^2, for |e| >> delta like delta |e| (not like MAE unless you divide by "
        "delta).",
        references=(
            "Charbonnier, P., Blanc-Feraud, L., Aubert, G. and Barlaud, M. (1994). Two "
            "deterministic half-quadratic regularization algorithms for computed imaging. ICIP.",
            "Hartley, R. and Zisserman, A. (2003). Multiple View Geometry in Computer Vision. "
            "Cambridge University Press.",
        ),
        inputs="regression",
        minimum_at_truth=True,
        tags=("robust",),
    )
)

register(
    LossSpec(
        name="smooth_l1",
        title="Smooth L1 loss",
        aliases=("SmoothL1", "SmoothL1Loss", "smooth_l1_loss"),
        family=Family.REGRESSION,
        statistic="mean",
        y_true=_REG_Y_TRUE,
        y_pred=_REG_Y_PRED,
        head=Head.IDENTITY,
        keras=f"{_KERAS}:SmoothL1",
        reference=f"{_REF}:smooth_l1",
        params=SMOOTH_L1_PARAMS,
        robustness=Robustness.MODERATE,
        formula="mean_d [ 0.5 e^2 / beta if |e| < beta else |e| - 0.5 beta ]  (torch.nn.SmoothL1Loss)",
        when_to_use="Bounding-box and keypoint regression (Fast R-CNN's loss), and any regression "
        "with outliers where you want MAE's slope 1 in the tails. beta = 0 gives MAE.",
        pitfalls="Equals Huber(delta=beta) / beta: the tails have slope 1 whatever beta, the "
        "quadratic zone gets steeper as beta shrinks. beta is in target units.",
        references=("Girshick, R. (2015). Fast R-CNN. ICCV.",),
        inputs="regression",
        minimum_at_truth=True,
        tags=("robust", "torch"),
    )
)

register(
    LossSpec(
        name="general_robust",
        title="Barron's general robust loss",
        aliases=("barron", "adaptive_robust", "GeneralRobustLoss", "general_adaptive_robust"),
        family=Family.REGRESSION,
        statistic="mean",
        y_true=_REG_Y_TRUE,
        y_pred=_REG_Y_PRED,
        head=Head.IDENTITY,
        keras=f"{_KERAS}:GeneralRobustLoss",
        reference=f"{_REF}:general_robust",
        params=GENERAL_ROBUST_PARAMS,
        robustness=Robustness.HIGH,
        formula="|alpha - 2| / alpha * (((e / c)^2 / |alpha - 2| + 1)^(alpha / 2) - 1); limits: "
        "alpha = 2: 0.5 (e/c)^2; alpha = 0: log(0.5 (e/c)^2 + 1); alpha = -inf: 1 - exp(-0.5 (e/c)^2)",
        when_to_use="One loss that spans L2 (alpha = 2), pseudo-Huber (1), Cauchy (0), "
        "Geman-McClure (-2) and Welsch (-inf): tune alpha to the amount of contamination in "
        "the targets instead of choosing a family by hand.",
        pitfalls="alpha < 1 makes the loss non-convex (bounded for alpha < 0): initialise from a "
        "convex fit. Here alpha and scale are fixed hyperparameters (Barron's adaptive version "
        "learns them with a normalised likelihood, not done here). Values of alpha within "
        "1e-6 of 2 lose float32 precision; use exactly 2.",
        references=("Barron, J. T. (2019). A General and Adaptive Robust Loss Function. CVPR.",),
        inputs="regression",
        minimum_at_truth=True,
        tags=("robust",),
    )
)
