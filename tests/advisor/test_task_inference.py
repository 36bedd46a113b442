"""Task inference on data bundled in installed packages and on generated data."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import losslab
from losslab.errors import DataError
from tests.advisor.conftest import compound_poisson_gamma, features


def _sm(name: str) -> pd.DataFrame:
    import importlib

    return importlib.import_module(f"statsmodels.datasets.{name}").load_pandas().data


@pytest.mark.parametrize(
    ("dataset", "target", "kind"),
    [
        # doctor visits (RAND health insurance experiment): a count, not 60 classes
        ("randhie", "mdvis", "count"),
        # number of students above the national median per school: counts
        ("star98", "NABOVE", "count"),
        # time spent in affairs: 68% zeros plus a long continuous tail
        ("fair", "affairs", "positive"),
        # marriage rating 1 (very poor) .. 5 (very good)
        ("fair", "rate_marriage", "ordinal"),
        # grade improved (0/1)
        ("spector", "GRADE", "binary"),
        ("modechoice", "choice", "binary"),
        # Engel's food expenditure: positive and right-skewed
        ("engel", "foodexp", "positive"),
        # % yes in the Scottish devolution referendum: continuous
        ("scotland", "YES", "regression"),
        # total employment (~65,000): whole numbers but a continuous measurement
        ("longley", "TOTEMP", "regression"),
    ],
)
def test_statsmodels_datasets(dataset, target, kind):
    info = losslab.profile(_sm(dataset), target=target).task
    assert info.kind == kind, info.reasons
    assert info.reasons and all(isinstance(r, str) and r for r in info.reasons)


@pytest.mark.parametrize(
    ("loader", "kind", "n_classes"),
    [
        ("load_iris", "multiclass", 3),
        ("load_breast_cancer", "binary", 2),
        ("load_digits", "multiclass", 10),
        ("load_diabetes", "regression", None),
    ],
)
def test_sklearn_bundled(loader, kind, n_classes):
    import sklearn.datasets as skd

    frame = getattr(skd, loader)(as_frame=True).frame
    info = losslab.profile(frame, target="target").task
    assert info.kind == kind, info.reasons
    assert info.n_classes == n_classes


def test_poisson_counts_are_count_not_multiclass(rng):
    x = features(rng, 4000)
    x["y"] = rng.poisson(np.exp(0.2 + 0.3 * x.x0))
    info = losslab.profile(x, target="y").task
    assert info.kind == "count"
    assert "Poisson-like" in info.reasons[0] or "shape of event counts" in info.reasons[0]


@pytest.mark.parametrize("mu", [0.3, 0.7, 2.7])
@pytest.mark.parametrize("n", [300, 3000])
def test_low_mean_counts_with_few_values_are_count(mu, n):
    # Poisson(mu) with mu < 3: at most ~10 distinct values 0..K, still counts, not classes
    rng = np.random.default_rng(int(mu * 10) + n)
    df = pd.DataFrame({"x": rng.normal(size=n), "y": rng.poisson(mu, size=n)})
    info = losslab.profile(df, target="y").task
    assert info.kind == "count", info.reasons


def test_balanced_integer_codes_are_classes(rng):
    df = pd.DataFrame({"x": rng.normal(size=1000), "y": rng.integers(0, 5, size=1000)})
    info = losslab.profile(df, target="y").task
    assert info.kind == "multiclass" and info.classes == [0, 1, 2, 3, 4]


def test_zero_inflated_tweedie_is_positive(rng):
    df = features(rng, 3000)
    df["y"] = compound_poisson_gamma(rng, 3000, power=1.5, lam=0.8, theta=2.0)
    info = losslab.profile(df, target="y").task
    assert info.kind == "positive"
    assert "zeros" in info.reasons[0]


def test_proportion_and_strings_and_ordered_categories(rng):
    df = features(rng, 500)
    df["share"] = rng.beta(2, 5, size=500)
    df["colour"] = rng.choice(["red", "green", "blue"], size=500)
    df["size"] = pd.Categorical(
        rng.choice(["S", "M", "L"], size=500), categories=["S", "M", "L"], ordered=True
    )
    df["flag"] = rng.choice(["yes", "no"], size=500)
    assert losslab.profile(df, target="share").task.kind == "proportion"
    colour = losslab.profile(df, target="colour").task
    assert colour.kind == "multiclass" and colour.classes == ["blue", "green", "red"]
    size = losslab.profile(df, target="size").task
    assert size.kind == "ordinal" and size.classes == ["S", "M", "L"]
    assert losslab.profile(df, target="flag").task.kind == "binary"


def test_multilabel_from_several_columns(rng):
    df = features(rng, 300)
    for k in "abc":
        df[k] = (rng.random(300) < 0.3).astype(int)
    info = losslab.profile(df, target=["a", "b", "c"]).task
    assert info.kind == "multilabel" and info.classes == ["a", "b", "c"]


def test_task_override_and_its_checks(rng):
    df = pd.DataFrame({"x": rng.normal(size=400), "y": rng.integers(0, 3, size=400)})
    info = losslab.profile(df, target="y", task="ordinal").task
    assert info.kind == "ordinal" and info.overridden and info.classes == [0, 1, 2]
    assert "forced with --task ordinal" in info.reasons[0]
    with pytest.raises(DataError, match="Unknown task 'ordinall'"):
        losslab.profile(df, target="y", task="ordinall")
    with pytest.raises(DataError, match="--task binary needs exactly 2 classes"):
        losslab.profile(df, target="y", task="binary")
    df["s"] = "a"
    df.loc[::2, "s"] = "b"
    with pytest.raises(DataError, match="--task regression needs a numeric target"):
        losslab.profile(df, target="s", task="regression")


def test_single_class_is_an_error():
    df = pd.DataFrame({"x": [1.0, 2.0, 3.0, 4.0], "y": ["a", "a", "a", "a"]})
    with pytest.raises(DataError, match=r"single value \('a'\) in all 4 labelled rows"):
        losslab.profile(df, target="y")


def test_task_kinds_come_from_the_one_vocabulary(rng):
    from losslab._vocab import TaskKind
    from losslab.data import TASK_KINDS, parse_task

    documented = "binary multiclass multilabel regression count positive proportion ordinal"
    assert documented.split() == list(TASK_KINDS) == [k.value for k in TaskKind]
    assert parse_task(" Count ") is TaskKind.COUNT
    df = pd.DataFrame({"x": rng.normal(size=300), "y": rng.integers(0, 2, size=300)})
    info = losslab.profile(df, target="y").task
    assert info.kind is TaskKind.BINARY
    kind = info.to_dict()["kind"]
    assert kind == "binary" and type(kind) is str  # plain JSON
