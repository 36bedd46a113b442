"""Catalog entries: deviances and likelihoods Keras lacks (Tweedie, Gamma, Poisson NLL on a
log-rate, Gaussian NLL with beta-NLL, Student-t NLL)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

from losslab.catalog._registry import register
from losslab.catalog._spec import Family, Head, LossSpec, Robustness
from losslab.catalog.inputs import register_inputs
from losslab.reference.probabilistic import (
    GAMMA_PARAMS,
    GAUSSIAN_NLL_PARAMS,
    POISSON_NLL_PARAMS,
    STUDENT_T_PARAMS,
    TWEEDIE_PARAMS,
)

_REF = "losslab.reference.probabilistic"
_KERAS = "losslab.losses.probabilistic"
_D = 2  # targets per sample in generated inputs


def _mean_output(rng: np.random.Generator, n: int, params: Mapping[str, Any]) -> np.ndarray:
    mu = rng.gamma(2.0, 1.0, size=(n, _D)) + 0.05
    return (np.log(mu) if params.get("log_input", True) else mu).astype(np.float32)


@register_inputs("count_lograte")
def _count_lograte(
    rng: np.random.Generator, n: int, params: Mapping[str, Any]
) -> tuple[np.ndarray, np.ndarray]:
    """Counts >= 0 (with zeros) and the log of a positive mean (or the mean when log_input=False)."""
    return rng.poisson(2.0, size=(n, _D)).astype(np.float32), _mean_output(rng, n, params)


@register_inputs("positive_lograte")
def _positive_lograte(
    rng: np.random.Generator, n: int, params: Mapping[str, Any]
) -> tuple[np.ndarray, np.ndarray]:
    """Targets > 0 and the log of a positive mean (or the mean when log_input=False)."""
    return (rng.gamma(2.0, 1.0, size=(n, _D)) + 0.05).astype(np.float32), _mean_output(
        rng, n, params
    )


@register_inputs("mean_scale")
def _mean_scale(
    rng: np.random.Generator, n: int, params: Mapping[str, Any]
) -> tuple[np.ndarray, np.ndarray]:
    """Targets (N, D) and raw outputs (N, 2D): D means then D raw scales."""
    y = rng.normal(size=(n, _D))
    raw = np.concatenate(
        [y + rng.normal(scale=0.5, size=(n, _D)), rng.normal(size=(n, _D))], axis=-1
    )
    return y.astype(np.float32), raw.astype(np.float32)


_LOG_INPUT_TEXT = (
    "log of the mean (log_input=True, default: linear output) or the mean > 0 (log_input=False)"
)

register(
    LossSpec(
        name="tweedie_deviance",
        title="Tweedie deviance",
        aliases=("tweedie", "TweedieDeviance", "tweedie_loss"),
        family=Family.COUNT,
        statistic="mean",
        y_true="values >= 0 (zeros allowed for power < 2; > 0 for power >= 2), shape (N,) or (N, D)",
        y_pred=_LOG_INPUT_TEXT + ", same shape as y_true",
        head=Head.POSITIVE,
        keras=f"{_KERAS}:TweedieDeviance",
        reference=f"{_REF}:tweedie_deviance",
        params=TWEEDIE_PARAMS,
        robustness=Robustness.MODERATE,
        formula="2 (y^(2-p) / ((1-p)(2-p)) - y mu^(1-p) / (1-p) + mu^(2-p) / (2-p)); p = 1: "
        "2 (y log(y/mu) - y + mu); p = 2: 2 (log(mu/y) + y/mu - 1); mu = exp(y_pred)",
        when_to_use="Non-negative targets with many exact zeros and a skewed positive part "
        "(insurance claims, rainfall, sales per item): the compound Poisson-Gamma model "
        "(1 < p < 2). p = 1.5 is a common start; tune p. Judge with mean_tweedie_deviance.",
        pitfalls="Compare runs only at the same power (deviances of different p are not "
        "comparable). With log_input=False the model must output a positive mean; the log-mean "
        "(default) is more stable. Zeros in y_true are invalid for p >= 2.",
        references=(
            "Jorgensen, B. (1987). Exponential Dispersion Models. JRSS B.",
            "Yang, Y., Qian, W. and Zou, H. (2018). Insurance Premium Prediction via Gradient "
            "Tree-Boosted Tweedie Compound Poisson Models. JBES.",
        ),
        inputs="count_lograte",
        requires=("y>=0",),
        minimum_at_truth=False,
        predict=f"{_REF}:predict_mean",
        tags=("glm", "sklearn"),
    )
)

register(
    LossSpec(
        name="gamma_deviance",
        title="Gamma deviance",
        aliases=("GammaDeviance", "gamma_loss"),
        family=Family.REGRESSION,
        statistic="mean",
        y_true="values > 0, shape (N,) or (N, D)",
        y_pred=_LOG_INPUT_TEXT + ", same shape as y_true",
        head=Head.POSITIVE,
        keras=f"{_KERAS}:GammaDeviance",
        reference=f"{_REF}:gamma_deviance",
        params=GAMMA_PARAMS,
        robustness=Robustness.MODERATE,
        formula="2 (log(mu / y) + y / mu - 1),  mu = exp(y_pred)",
        when_to_use="Strictly positive, right-skewed targets whose spread grows with the mean "
        "(claim severity, durations, prices): errors count relative to the mean (scale "
        "invariant). Judge with mean_gamma_deviance.",
        pitfalls="y_true must be > 0 (a single 0 gives infinity). Under-prediction is punished "
        "harder than over-prediction of the same size.",
        references=(
            "McCullagh, P. and Nelder, J. A. (1989). Generalized Linear Models. Chapman and Hall.",
        ),
        inputs="positive_lograte",
        requires=("y>0",),
        minimum_at_truth=False,
        predict=f"{_REF}:predict_mean",
        tags=("glm", "sklearn"),
    )
)

register(
    LossSpec(
        name="poisson_nll",
        title="Poisson negative log-likelihood (log-rate)",
        aliases=("PoissonNLL", "PoissonNLLLoss", "poisson_nll_loss", "log_poisson"),
        family=Family.COUNT,
        statistic="mean",
        y_true="counts >= 0, shape (N,) or (N, D)",
        y_pred="log-rate (log_input=True, default: linear output) or the rate > 0, same shape",
        head=Head.POSITIVE,
        keras=f"{_KERAS}:PoissonNLL",
        reference=f"{_REF}:poisson_nll",
        params=POISSON_NLL_PARAMS,
        robustness=Robustness.MODERATE,
        formula="exp(z) - y z  (z = y_pred, the log-rate);  log_input=False: mu - y log(mu + eps); "
        "full: + y log y - y + 0.5 log(2 pi y) for y > 1",
        when_to_use="Count targets (events, visits, defects). Taking the log-rate from a linear "
        "head is the stable way to fit a Poisson model (Keras's Poisson needs a positive "
        "output and takes log(y_pred + eps)). Judge with mean_poisson_deviance.",
        pitfalls="Without full=True the value is the NLL up to log(y!), so it is not 0 at a "
        "perfect fit. Overdispersed counts (variance >> mean) fit poorly: consider Tweedie.",
        references=(
            "McCullagh, P. and Nelder, J. A. (1989). Generalized Linear Models. Chapman and Hall.",
        ),
        inputs="count_lograte",
        requires=("y>=0",),
        minimum_at_truth=False,
        predict=f"{_REF}:predict_mean",
        tags=("glm", "torch"),
    )
)

register(
    LossSpec(
        name="gaussian_nll",
        title="Gaussian negative log-likelihood (mean and variance)",
        aliases=("GaussianNLL", "GaussianNLLLoss", "heteroscedastic_gaussian", "beta_nll"),
        family=Family.PROBABILISTIC_REGRESSION,
        statistic="distribution",
        y_true="real values, shape (N,) or (N, D)",
        y_pred="(N, 2D) linear outputs: D means, then D raw scales (variance = softplus or exp "
        "of the raw scale, applied by the loss)",
        head=Head.MEAN_SCALE,
        keras=f"{_KERAS}:GaussianNLL",
        reference=f"{_REF}:gaussian_nll",
        params=GAUSSIAN_NLL_PARAMS,
        robustness=Robustness.NONE,
        formula="0.5 (log var + (y - mu)^2 / var) [+ 0.5 log 2 pi], times stop_gradient(var)^beta",
        when_to_use="Regression where you also want a per-input uncertainty (heteroscedastic "
        "noise): the model predicts a mean and a variance. beta = 0.5 (beta-NLL) avoids the "
        "known failure where the model inflates variances and stops fitting the mean.",
        pitfalls="Plain NLL (beta = 0) can converge slowly on the mean and under-fit hard "
        "regions; use beta = 0.5. Sensitive to outliers (use the Student-t NLL then). The "
        "variance floor eps matters when targets are nearly noise-free.",
        references=(
            "Nix, D. A. and Weigend, A. S. (1994). Estimating the mean and variance of the "
            "target probability distribution. ICNN.",
            "Seitzer, M., Tavakoli, A., Antic, D. and Martius, G. (2022). On the Pitfalls of "
            "Heteroscedastic Uncertainty Estimation with Probabilistic Neural Networks. ICLR.",
        ),
        inputs="mean_scale",
        minimum_at_truth=False,
        predict=f"{_REF}:predict_mean_scale",
        tags=("uncertainty", "torch"),
    )
)

register(
    LossSpec(
        name="student_t_nll",
        title="Student-t negative log-likelihood (location and scale)",
        aliases=("StudentTNLL", "student_t", "t_nll"),
        family=Family.PROBABILISTIC_REGRESSION,
        statistic="distribution",
        y_true="real values, shape (N,) or (N, D)",
        y_pred="(N, 2D) linear outputs: D locations, then D raw scales (scale = softplus or exp "
        "of the raw scale, applied by the loss)",
        head=Head.MEAN_SCALE,
        keras=f"{_KERAS}:StudentTNLL",
        reference=f"{_REF}:student_t_nll",
        params=STUDENT_T_PARAMS,
        robustness=Robustness.HIGH,
        formula="-lgamma((nu+1)/2) + lgamma(nu/2) + 0.5 log(nu pi) + log sigma "
        "+ (nu+1)/2 log(1 + ((y - mu)/sigma)^2 / nu)",
        when_to_use="Uncertainty-aware regression with heavy-tailed noise or outliers: the "
        "Student-t likelihood down-weights large residuals (df = 3 to 5 is robust, large df "
        "approaches the Gaussian NLL).",
        pitfalls="Non-convex in the location for small df; the scale is not the standard "
        "deviation (variance = sigma^2 nu / (nu - 2) for nu > 2). df is fixed, not learned.",
        references=(
            "Lange, K. L., Little, R. J. A. and Taylor, J. M. G. (1989). Robust Statistical "
            "Modeling Using the t Distribution. JASA.",
        ),
        inputs="mean_scale",
        minimum_at_truth=False,
        predict=f"{_REF}:predict_mean_scale",
        tags=("uncertainty", "robust"),
    )
)
