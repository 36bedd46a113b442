"""Generated data with a known answer for the experiment tests (small: a trial takes seconds)."""

from __future__ import annotations

import numpy as np
import pandas as pd

FAST = {"hidden": (16,), "quiet": True, "report": False}


def regression_data(n: int = 400, outliers: float = 0.0, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """y = x @ w + N(0, 0.5^2); a share ``outliers`` of rows gets a gross one-sided error
    U(15, 25), which pulls the conditional mean but not the median."""
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, 4))
    y = x @ np.array([1.5, -2.0, 1.0, 0.5]) + rng.normal(size=n) * 0.5
    if outliers:
        m = rng.random(n) < outliers
        y[m] += rng.uniform(15, 25, size=int(m.sum()))
    return x, y


def gaussian_linear(n: int = 1500, d: int = 60, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """y = x @ w + N(0, 1) with ``d`` standard normal features, w evenly spread in [-1, 1]:
    clean Gaussian noise, nothing for a robust loss to gain."""
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, d))
    return x, x @ np.linspace(-1.0, 1.0, d) + rng.normal(size=n)


def linear_body(input_shape: tuple[int, ...]):
    """A body that passes the features through: with the head, a linear model (the model
    the Gauss-Markov efficiency argument is about)."""
    import keras

    inputs = keras.Input(input_shape)
    return keras.Model(inputs, keras.layers.Identity()(inputs))


def imbalanced_binary(n: int = 1200, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """About 5% positives from a logistic model with intercept -5."""
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, 6))
    logit = x @ np.array([2.0, -1.0, 1.0, 0.0, 0.0, 0.5]) - 5.0
    y = (rng.random(n) < 1 / (1 + np.exp(-logit))).astype(int)
    return x, y


def multiclass_data(n: int = 300, k: int = 3, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Gaussian blobs around k well separated centres."""
    rng = np.random.default_rng(seed)
    centres = rng.normal(scale=3.0, size=(k, 4))
    y = rng.integers(0, k, size=n)
    x = centres[y] + rng.normal(size=(n, 4))
    return x, y


def table(x: np.ndarray, y: np.ndarray, target: str = "y") -> pd.DataFrame:
    df = pd.DataFrame(x, columns=[f"f{i}" for i in range(x.shape[1])])
    df[target] = y
    return df
