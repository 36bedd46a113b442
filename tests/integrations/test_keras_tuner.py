"""KerasTuner: the loss and its hyperparameters searched over the catalog's spaces, the head
built from the catalog's head metadata; a real RandomSearch on a small table."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

kt = pytest.importorskip("keras_tuner")

import losslab  # noqa: E402
from losslab.errors import InvalidParameterError, TaskMismatchError, UnknownLossError  # noqa: E402
from losslab.integrations import keras_tuner as lt  # noqa: E402

CHOICES = ["mse", "huber", "pinball:tau=0.9"]


def test_choices_declare_the_catalog_search_spaces() -> None:
    hp = kt.HyperParameters()
    lt.loss(hp, CHOICES)
    space = {h.name: h for h in hp.space}
    assert space["loss"].values == CHOICES
    delta = losslab.get_spec("huber").param("delta").search  # ("float", low, high, log)
    assert (space["huber.delta"].min_value, space["huber.delta"].max_value) == (delta[1], delta[2])
    assert space["huber.delta"].sampling == ("log" if delta[3] else "linear")
    # tau is set in the choice: fixed, not searched; pinball's other tunable parameter is
    assert "pinball.tau" not in space and "pinball.crossing_penalty" in space
    assert space["huber.delta"].conditions[0].values == ["huber"]


@pytest.mark.parametrize(
    ("chosen", "extra", "cls", "params"),
    [
        ("huber", {"huber.delta": 2.5}, "Huber", {"delta": 2.5}),
        (
            "pinball:tau=0.9",
            {"pinball.crossing_penalty": 1.5},
            "PinballLoss",
            {"tau": 0.9, "crossing_penalty": 1.5},
        ),
        ("mse", {}, "MeanSquaredError", {}),
    ],
)
def test_the_chosen_loss_with_its_values(chosen: str, extra: dict, cls: str, params: dict) -> None:
    hp = kt.HyperParameters()
    lt.loss(hp, CHOICES)  # declare the space, then fix the values as a tuner would
    hp.values["loss"] = chosen
    hp.values.update(extra)
    loss = lt.loss(hp, CHOICES)
    assert type(loss).__name__ == cls
    config = loss.get_config()
    for k, v in params.items():
        assert config[k] == pytest.approx(v)


def test_head_from_the_catalog() -> None:
    assert (
        lt.head("pinball:tau=[0.1,0.5,0.9]").units,
        lt.head("pinball:tau=[0.1,0.5,0.9]").activation.__name__,
    ) == (3, "linear")
    soft = lt.head("categorical_crossentropy", task="multiclass", n_classes=4)
    assert (soft.units, soft.activation.__name__) == (4, "softmax")
    logits = lt.head("categorical_crossentropy:from_logits=True", task="multiclass", n_classes=4)
    assert (logits.units, logits.activation.__name__) == (4, "linear")
    assert lt.head("poisson", task="count").activation.__name__ == "softplus"
    assert (
        lt.head(losslab.get_spec("coral"), task="ordinal", n_classes=5).units == 4
    )  # K - 1 ordinal logits
    assert lt.head("triplet_semihard").units == 16  # an embedding head: head_spec's default width
    with pytest.raises(
        TaskMismatchError, match="needs a boxes output, which a tabular experiment cannot build"
    ):
        lt.head("giou", task="regression")


def test_head_of_the_tuned_loss_and_errors() -> None:
    hp = kt.HyperParameters()
    with pytest.raises(
        InvalidParameterError,
        match=r"head\(hp\) needs the loss choice 'loss': call loss\(hp, choices\) first",
    ):
        lt.head(hp)
    layer = lt.head(hp, ["pinball:tau=[0.2,0.8]", "mse"])  # before loss(): choices given here
    assert layer.units == 2
    assert type(lt.loss(hp, ["pinball:tau=[0.2,0.8]", "mse"])).__name__ == "PinballLoss"
    assert lt.head(hp).units == 2  # after loss(): read from hp
    with pytest.raises(UnknownLossError):
        lt.loss(kt.HyperParameters(), ["mse", "no_such_loss"])
    with pytest.raises(InvalidParameterError, match="choices must be distinct catalog losses"):
        lt.loss(kt.HyperParameters(), ["mse", "mse"])
    with pytest.raises(InvalidParameterError, match="head\\(\\) takes KerasTuner HyperParameters"):
        lt.head(3.0)


@pytest.mark.slow
def test_random_search_on_a_small_table(tmp_path: Path) -> None:
    import keras

    rng = np.random.default_rng(0)
    x = rng.normal(size=(120, 3)).astype("float32")
    y = (x @ np.array([1.0, -2.0, 0.5]) + 0.3 * rng.standard_t(3, size=120)).astype("float32")[
        :, None
    ]

    def build(hp: kt.HyperParameters) -> keras.Model:
        inputs = keras.Input((3,))
        h = keras.layers.Dense(hp.Int("units", 4, 8, step=4), activation="relu")(inputs)
        outputs = lt.head(hp, CHOICES, task="regression")(h)
        model = keras.Model(inputs, outputs)
        model.compile(keras.optimizers.Adam(1e-2), loss=lt.loss(hp, CHOICES), metrics=["mae"])
        return model

    tuner = kt.RandomSearch(
        build,
        objective="val_mae",
        max_trials=4,
        seed=1,
        directory=str(tmp_path),
        project_name="losses",
    )
    tuner.search(
        x[:90], y[:90], validation_data=(x[90:], y[90:]), epochs=2, batch_size=32, verbose=0
    )
    trials = list(tuner.oracle.trials.values())
    assert len(trials) == 4 and all(t.status == "COMPLETED" for t in trials)
    seen = set()
    for t in trials:
        v = t.hyperparameters.values
        seen.add(v["loss"])
        assert v["loss"] in CHOICES
        if v["loss"] == "huber":
            low, high = losslab.get_spec("huber").param("delta").search[1:3]
            assert low <= v["huber.delta"] <= high
        assert "pinball.tau" not in v  # fixed by the choice
    assert len(seen) >= 2
    best = tuner.get_best_models(1)[0]
    assert best.layers[-1].units == 1 and best.predict(x[:5], verbose=0).shape == (5, 1)
