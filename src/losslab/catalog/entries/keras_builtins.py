"""Catalog entries for every loss in ``keras.losses`` (Keras 3.15)."""

from __future__ import annotations

from losslab._params import Interval, Param
from losslab.catalog._registry import register
from losslab.catalog._spec import Family, Head, LossSpec, Robustness

_REF = "losslab.reference.keras_builtins"
_FIX = "losslab.losses.keras_builtins"

register(
    LossSpec(
        name="mean_squared_error",
        title="Mean squared error",
        aliases=("mse", "MeanSquaredError", "l2"),
        family=Family.REGRESSION,
        statistic="mean",
        y_true="real values, shape (N,) or (N, D)",
        y_pred="real values, same shape as y_true (linear output)",
        head=Head.IDENTITY,
        keras="keras.losses:MeanSquaredError",
        reference=f"{_REF}:mean_squared_error",
        robustness=Robustness.NONE,
        formula="mean_d (y_true - y_pred)^2",
        when_to_use="The default for regression when you want the conditional mean and errors "
        "are roughly Gaussian. Judge with RMSE.",
        pitfalls="Squares errors, so a few gross outliers dominate the fit; sensitive to the "
        "target's scale (standardise large targets).",
        references=("Gauss, C. F. (1809). Theoria motus corporum coelestium.",),
        inputs="regression",
        minimum_at_truth=True,
        keras_builtin="MeanSquaredError",
        tags=("keras",),
    )
)

register(
    LossSpec(
        name="huber",
        title="Huber",
        aliases=("Huber", "huber_loss"),
        family=Family.REGRESSION,
        statistic="mean",
        y_true="real values, shape (N,) or (N, D)",
        y_pred="real values, same shape as y_true (linear output)",
        head=Head.IDENTITY,
        keras=f"{_FIX}:Huber",
        reference=f"{_REF}:huber",
        params=(
            Param(
                "delta",
                1.0,
                Interval(0, None, closed="neither"),
                "error size where the loss turns from quadratic to linear",
                search=("float", 0.05, 10.0, True),
            ),
        ),
        robustness=Robustness.MODERATE,
        formula="mean_d [ 0.5 e^2 if |e| <= delta else delta (|e| - 0.5 delta) ],  e = y_pred - y_true",
        when_to_use="Regression with some outliers: quadratic near zero (efficient like MSE), "
        "linear in the tails (robust like MAE). A classical choice is delta = 1.345 x the "
        "robust standard deviation of the residuals (95% efficiency under Gaussian noise).",
        pitfalls="delta is in the target's units: rescale it when you rescale the target. "
        "Keras 3.15's own Huber forgets delta when saved; losslab's does not.",
        references=("Huber, P. J. (1964). Robust Estimation of a Location Parameter. Annals of Mathematical Statistics.",),
        inputs="regression",
        minimum_at_truth=True,
        keras_builtin="Huber",
        tags=("keras", "robust"),
    )
)
