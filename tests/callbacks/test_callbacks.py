"""The callbacks fire on planted situations and stay silent on a healthy run.

Planted situations: noise targets memorised by a wide network (overfitting), SGD with a
learning rate far above 2/L on a quadratic loss (divergence), a model with every layer
frozen (stuck loss). Expected numbers come from Keras's own ``History`` (an independent
record of the same fit) or from the closed form of gradient descent on a quadratic.
"""

from __future__ import annotations

import json
import warnings

import keras
import numpy as np
import pytest

from losslab.callbacks import (
    DivergenceGuard,
    DivergenceWarning,
    LossLogger,
    OverfittingMonitor,
    OverfittingWarning,
    likely_causes,
    read_loss_log,
)
from losslab.errors import DataError, InvalidParameterError


def _mlp(units: int, out_activation: str | None = None, n_in: int = 1) -> keras.Model:
    return keras.Sequential(
        [
            keras.Input((n_in,)),
            keras.layers.Dense(units, activation="relu"),
            keras.layers.Dense(1, activation=out_activation),
        ]
    )


@pytest.fixture(autouse=True)
def _seed() -> None:
    keras.utils.set_random_seed(0)


def _healthy_data() -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(0)
    x = rng.normal(size=(256, 1)).astype("float32")
    y = (2.0 * x[:, 0] + 1.0 + 0.1 * rng.normal(size=256)).astype("float32")
    return x, y


def test_healthy_run_is_silent_and_logged(tmp_path) -> None:
    x, y = _healthy_data()
    model = _mlp(8)
    model.compile(optimizer=keras.optimizers.Adam(1e-2), loss="mse")
    log = tmp_path / "sub" / "loss.jsonl"
    logger = LossLogger(log, per_batch=True, run="mse/seed0")
    monitor = OverfittingMonitor(patience=2, action="stop")
    guard = DivergenceGuard()
    with warnings.catch_warnings():
        warnings.simplefilter("error", OverfittingWarning)
        warnings.simplefilter("error", DivergenceWarning)
        hist = model.fit(
            x,
            y,
            validation_split=0.25,
            epochs=6,
            batch_size=64,
            verbose=0,
            callbacks=[logger, monitor, guard],
        )
    assert monitor.events == [] and guard.events == []
    assert len(hist.history["loss"]) == 6  # nobody stopped training
    epochs = read_loss_log(log)
    batches = read_loss_log(log, event="batch")
    assert [r["epoch"] for r in epochs] == list(range(6))
    # 192 training rows / 64 = 3 batches per epoch
    assert len(batches) == 6 * 3 and {r["batch"] for r in batches} == {0, 1, 2}
    assert all(r["run"] == "mse/seed0" for r in epochs + batches)
    # the logged values are the ones Keras's History recorded
    np.testing.assert_allclose([r["loss"] for r in epochs], hist.history["loss"], rtol=1e-6)
    np.testing.assert_allclose([r["val_loss"] for r in epochs], hist.history["val_loss"], rtol=1e-6)
    # gap history = val_loss - loss per epoch
    np.testing.assert_allclose(
        monitor.gaps,
        np.array(hist.history["val_loss"]) - np.array(hist.history["loss"]),
        rtol=1e-6,
    )
    # every line is strict JSON (no NaN literals)
    for line in log.read_text().splitlines():
        json.loads(line, parse_constant=lambda c: pytest.fail(f"non-JSON constant {c}"))


def test_overfitting_fires_on_memorised_noise_and_stops() -> None:
    rng = np.random.default_rng(1)
    x_tr = rng.normal(size=(24, 8)).astype("float32")
    y_tr = rng.normal(size=24).astype("float32")  # pure noise: nothing to learn
    x_va = rng.normal(size=(64, 8)).astype("float32")
    y_va = rng.normal(size=64).astype("float32")
    model = _mlp(256, n_in=8)
    model.compile(optimizer=keras.optimizers.Adam(1e-2), loss="mse")
    monitor = OverfittingMonitor(patience=3, action="stop")
    with pytest.warns(OverfittingWarning, match=r"Generalisation gap"):
        hist = model.fit(
            x_tr,
            y_tr,
            validation_data=(x_va, y_va),
            epochs=80,
            batch_size=24,
            verbose=0,
            callbacks=[monitor],
        )
    assert len(monitor.events) == 1
    ev = monitor.events[0]
    n = len(hist.history["loss"])
    assert n < 80 and ev.epoch == n - 1  # stopped on the epoch it fired
    train, val = np.array(hist.history["loss"]), np.array(hist.history["val_loss"])
    # the planted pattern is really there: 3 rises of val_loss with 3 falls of loss
    assert np.all(np.diff(val[-4:]) > 0) and np.all(np.diff(train[-4:]) < 0)
    assert ev.details["gap"] == pytest.approx(val[-1] - train[-1], rel=1e-6)
    assert ev.details["best_epoch"] == int(np.argmin(val))
    assert ev.details["best_gap"] == pytest.approx(
        val[np.argmin(val)] - train[np.argmin(val)], rel=1e-6
    )
    assert f"{val[-1] - train[-1]:.4g}" in ev.message and "Training stopped" in ev.message


def test_divergence_nan_from_huge_learning_rate(tmp_path) -> None:
    x, y = _healthy_data()
    model = _mlp(16)
    model.compile(optimizer=keras.optimizers.SGD(learning_rate=50.0), loss="mse")
    guard = DivergenceGuard()
    log = tmp_path / "loss.jsonl"
    with pytest.warns(DivergenceWarning, match=r"learning rate too high \(it is 50\)"):
        hist = model.fit(
            x, y, epochs=30, batch_size=32, verbose=0, callbacks=[LossLogger(log), guard]
        )
    assert len(hist.history["loss"]) < 30
    kinds = [e.kind for e in guard.events]
    assert kinds[0] in {"nonfinite", "explosion"}
    causes = guard.events[0].details["causes"]
    assert causes[0].startswith("learning rate too high")
    assert any(c.startswith("unscaled target") for c in causes)
    assert not any("logits" in c for c in causes)  # an MSE model has no logits to confuse
    rows = read_loss_log(log)
    if "nonfinite" in kinds:  # the NaN epoch is logged as null and listed
        assert rows[-1]["loss"] is None and rows[-1]["nonfinite"] == ["loss"]


def test_explosion_on_quadratic_with_lr_above_two_over_l() -> None:
    # y = 3x, linear model w*x, MSE, full-batch SGD: the error e = w - 3 follows
    # e_{t+1} = (1 - 2*lr*mean(x^2)) e_t; with lr=1.5 and mean(x^2)=1 it is (-2) e_t, so the
    # loss grows 4x per step and passes 10x the initial loss at the second step, finite.
    x = np.array([[-1.0], [1.0]] * 16, dtype="float32")  # mean(x^2) = 1 exactly
    y = 3.0 * x[:, 0]
    model = keras.Sequential([keras.Input((1,)), keras.layers.Dense(1, use_bias=False)])
    model.layers[0].set_weights([np.zeros((1, 1), "float32")])
    model.compile(optimizer=keras.optimizers.SGD(1.5), loss="mse")
    guard = DivergenceGuard(action="warn")
    with pytest.warns(DivergenceWarning, match="exploded"):
        hist = model.fit(x, y, epochs=4, batch_size=32, verbose=0, shuffle=False, callbacks=[guard])
    np.testing.assert_allclose(hist.history["loss"], [9.0 * 4**k for k in range(4)], rtol=1e-5)
    ev = guard.events[0]
    assert ev.kind == "explosion" and ev.epoch == 2  # 144 > 10 * 9; 36 is not
    assert len(hist.history["loss"]) == 4  # action="warn" does not stop


def test_frozen_model_is_stuck_with_frozen_cause() -> None:
    x, y = _healthy_data()
    model = _mlp(8)
    model.trainable = False
    model.compile(optimizer="adam", loss="mse")
    guard = DivergenceGuard(stuck_epochs=3)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # Keras: "no trainable weights"
        warnings.simplefilter("error", DivergenceWarning)
        with pytest.raises(DivergenceWarning, match=r"stuck at its initial value"):
            model.fit(x, y, epochs=10, batch_size=64, verbose=0, callbacks=[guard])
    ev = guard.events[0]
    assert ev.kind == "stuck" and ev.epoch == 3  # epochs 2, 3, 4 equal to epoch 1
    assert ev.details["causes"][0].startswith("frozen model")


def test_frozen_model_stops_training() -> None:
    x, y = _healthy_data()
    model = _mlp(8)
    model.compile(optimizer=keras.optimizers.Adam(0.0), loss="mse")
    guard = DivergenceGuard(stuck_epochs=2)
    with pytest.warns(DivergenceWarning, match=r"learning rate too small \(it is 0\)"):
        hist = model.fit(x, y, epochs=10, batch_size=64, verbose=0, callbacks=[guard])
    assert len(hist.history["loss"]) == 3


def test_causes_name_logits_vs_probabilities_and_unscaled_target() -> None:
    linear_out = _mlp(4)
    linear_out.compile(optimizer="adam", loss=keras.losses.BinaryCrossentropy(from_logits=False))
    causes = likely_causes(linear_out, "nonfinite")
    assert causes[0].startswith("logits vs probabilities") and "'linear'" in causes[0]

    sigmoid_out = _mlp(4, out_activation="sigmoid")
    sigmoid_out.compile(optimizer="adam", loss=keras.losses.BinaryCrossentropy(from_logits=True))
    assert "from_logits=True" in likely_causes(sigmoid_out, "stuck")[0]

    reg = _mlp(4)
    reg.compile(optimizer=keras.optimizers.Adam(1e-3), loss="mse")
    causes = likely_causes(reg, "explosion", initial_loss=2.5e7)
    assert causes[0].startswith("unscaled target") and "2.5e+07" in causes[0]
    # each topic once
    assert sum(c.startswith("unscaled target") for c in causes) == 1


def test_causes_read_the_loss_kind_from_the_catalog_not_its_name() -> None:
    # "bce" names no "crossentropy": the catalog entry (sigmoid head, from_logits=False by
    # default) is what says the loss reads probabilities from a linear last layer.
    linear_out = _mlp(4)
    linear_out.compile(optimizer="adam", loss="bce")
    causes = likely_causes(linear_out, "nonfinite")
    assert causes[0].startswith("logits vs probabilities") and "'bce'" in causes[0]

    # a count loss reads rates: a huge initial loss is not blamed on an unscaled target
    counts = _mlp(4)
    counts.compile(optimizer=keras.optimizers.Adam(1e-3), loss=keras.losses.Poisson())
    causes = likely_causes(counts, "explosion", initial_loss=2.5e7)
    assert not any(c.startswith("unscaled target: the initial loss") for c in causes)

    # a loss the catalog does not know is read as a plain regression loss
    def my_loss(y_true: object, y_pred: object) -> object:
        return keras.ops.mean(keras.ops.square(y_true - y_pred), axis=-1)

    custom = _mlp(4)
    custom.compile(optimizer=keras.optimizers.Adam(1e-3), loss=my_loss)
    causes = likely_causes(custom, "explosion", initial_loss=2.5e7)
    assert causes[0].startswith("unscaled target") and not any("logits" in c for c in causes)


def test_overfitting_monitor_without_validation_is_a_clear_error() -> None:
    x, y = _healthy_data()
    model = _mlp(4)
    model.compile(optimizer="adam", loss="mse")
    with pytest.raises(DataError, match=r"needs 'val_loss'.*validation_split"):
        model.fit(x, y, epochs=1, verbose=0, callbacks=[OverfittingMonitor()])


@pytest.mark.parametrize(
    ("factory", "match"),
    [
        (
            lambda: OverfittingMonitor(action="halt"),
            r"Expected one of \{'warn', 'stop'\}. Received: action='halt'",
        ),
        (lambda: OverfittingMonitor(patience=0), r"patience.*Received: patience=0"),
        (lambda: DivergenceGuard(explosion_factor=1.0), r"explosion_factor.*> 1"),
        (lambda: DivergenceGuard(stuck_rtol=-1), r"stuck_rtol.*>= 0"),
        (lambda: LossLogger(""), r"needs a file path"),
    ],
)
def test_bad_arguments(factory, match) -> None:
    with pytest.raises(InvalidParameterError, match=match):
        factory()


def test_read_loss_log_errors(tmp_path) -> None:
    with pytest.raises(DataError, match="No loss log"):
        read_loss_log(tmp_path / "missing.jsonl")
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"event": "epoch"}\nnot json\n')
    with pytest.raises(DataError, match="Line 2"):
        read_loss_log(bad)
