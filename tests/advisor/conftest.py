"""Planted-property data sets and a small fixed catalog for the advisor tests."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from losslab._params import Interval, OneOf, Param
from losslab.catalog import Family, Head, LossSpec, Robustness


def _spec(name: str, family: Family, statistic: str, head: Head, **kw) -> LossSpec:
    # keras/reference are never resolved by the advisor (metadata only)
    return LossSpec(
        name=name,
        title=name,
        family=family,
        statistic=statistic,  # type: ignore[arg-type]
        y_true="",
        y_pred="",
        head=head,
        keras="losslab.losses:Nothing",
        reference="losslab.reference:nothing",
        **kw,
    )


POS = Interval(0, None, closed="neither")
UNIT = Interval(0, 1, closed="neither")


def mini_catalog() -> list[LossSpec]:
    """A fixed catalog, so the ranking rules are tested independently of what has landed.

    The advisor decides by metadata, so each entry carries the metadata of the catalog loss
    it stands for (requires, tags, declared parameters, ``extra["one_hot_twin"]``).
    """
    R, C = Family.REGRESSION, Family.COUNT
    return [
        _spec("mse", R, "mean", Head.IDENTITY, robustness=Robustness.NONE),
        _spec("mae", R, "median", Head.IDENTITY, robustness=Robustness.HIGH),
        _spec(
            "huber",
            R,
            "mean",
            Head.IDENTITY,
            robustness=Robustness.MODERATE,
            params=(Param("delta", 1.0, POS),),
            keras_builtin="Huber",
        ),
        _spec(
            "pseudo_huber",
            R,
            "mean",
            Head.IDENTITY,
            robustness=Robustness.MODERATE,
            params=(Param("delta", 1.0, POS),),
        ),
        _spec("pinball", R, "quantile", Head.QUANTILES, params=(Param("tau", 0.5, UNIT),)),
        _spec("poisson", C, "mean", Head.POSITIVE, requires=("y>=0",)),
        _spec(
            "tweedie",
            C,
            "mean",
            Head.POSITIVE,
            requires=("y>=0",),
            params=(Param("power", 1.5, Interval(1, 2)),),
        ),
        _spec("gamma_deviance", R, "mean", Head.POSITIVE, requires=("y>0",)),
        _spec(
            "mape",
            R,
            "median",
            Head.IDENTITY,
            robustness=Robustness.HIGH,
            requires=("y!=0",),
        ),
        _spec("bce", Family.BINARY, "probability", Head.SIGMOID, requires=("y in {0,1}",)),
        _spec(
            "binary_focal",
            Family.BINARY,
            "probability",
            Head.SIGMOID,
            requires=("y in {0,1}",),
            params=(
                Param("gamma", 2.0, Interval(0, None)),
                Param("alpha", 0.25, Interval(0, 1)),
                Param("apply_class_balancing", False, OneOf((True, False))),
            ),
        ),
        _spec(
            "weighted_bce",
            Family.BINARY,
            "probability",
            Head.SIGMOID,
            params=(Param("pos_weight", 1.0, POS),),
        ),
        _spec("hinge", Family.BINARY, "margin", Head.BINARY_LOGITS),
        _spec(
            "sparse_ce",
            Family.MULTICLASS,
            "probability",
            Head.SOFTMAX,
            requires=("integer labels",),
            params=(Param("label_smoothing", 0.0, Interval(0, 1)),),
        ),
        _spec(
            "categorical_crossentropy",
            Family.MULTICLASS,
            "probability",
            Head.SOFTMAX,
            requires=("one-hot",),
        ),
        _spec(
            "sparse_categorical_crossentropy",
            Family.MULTICLASS,
            "probability",
            Head.SOFTMAX,
            requires=("integer labels",),
            extra={"one_hot_twin": "categorical_crossentropy"},
        ),
        _spec(
            "class_balanced_ce",
            Family.MULTICLASS,
            "probability",
            Head.SOFTMAX,
            params=(
                Param("beta", 0.999, Interval(0, 1, closed="left")),
                Param("samples_per_class", None),
            ),
        ),
        _spec(
            "symmetric_ce", Family.MULTICLASS, "probability", Head.SOFTMAX, tags=("noisy-labels",)
        ),
        _spec("coral", Family.ORDINAL, "probability", Head.ORDINAL_LOGITS),
        _spec("corn", Family.ORDINAL, "probability", Head.ORDINAL_LOGITS),
        _spec("asl", Family.MULTILABEL, "probability", Head.SIGMOID),
        _spec("triplet", Family.METRIC_LEARNING, "embedding", Head.EMBEDDING),
    ]


@pytest.fixture
def catalog() -> list[LossSpec]:
    return mini_catalog()


@pytest.fixture
def rng() -> np.random.Generator:
    """A fresh generator per test (the same seed each time): the data a test draws does not
    depend on which tests ran before it, so a failure reproduces when the test runs alone."""
    return np.random.default_rng(20240501)


def features(rng: np.random.Generator, n: int, d: int = 3) -> pd.DataFrame:
    return pd.DataFrame(rng.normal(size=(n, d)), columns=[f"x{i}" for i in range(d)])


def compound_poisson_gamma(
    rng: np.random.Generator, n: int, *, power: float, lam: float, theta: float
) -> np.ndarray:
    """Tweedie(p) draws: N ~ Poisson(lam) jumps of Gamma(a, theta), a = (2 - p) / (p - 1)."""
    a = (2.0 - power) / (power - 1.0)
    counts = rng.poisson(lam, size=n)
    out = np.zeros(n)
    pos = counts > 0
    out[pos] = rng.gamma(a * counts[pos], theta)
    return out
