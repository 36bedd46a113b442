"""Safe positive heads: the log-rate / softplus prediction is capped to the training
targets' range widened by a margin, the cap is recorded as a training warning, and
cross-entropy takes soft [0, 1] targets on a proportion."""

from __future__ import annotations

import math
from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest

from losslab.catalog import get_spec
from losslab.errors import TaskMismatchError
from losslab.experiment import heads, positive_guard
from losslab.experiment.trial import FitOutcome, TrialSetup, TrialTask, trial_record


def test_positive_bounds_from_the_formula():
    y = np.array([0.0, 0.0, 2.0, 50.0, 7.0])
    low, high = positive_guard.positive_bounds(y)
    # [exp(log(min positive y) - 1), exp(log(max y) + 1)] = [2 / e, 50 e]
    assert low == pytest.approx(2.0 / math.e) and high == pytest.approx(50.0 * math.e)
    assert positive_guard.positive_bounds(np.zeros(4)) is None
    assert positive_guard.positive_bounds(y, margin=0.0) == pytest.approx((2.0, 50.0))


@pytest.mark.parametrize("loss", ["poisson_nll", "gamma_deviance", "tweedie_deviance"])
def test_log_link_prediction_is_capped(loss):
    spec = get_spec(loss)
    params = spec.defaults
    hs = heads.head_spec(spec, params, task="positive")
    raw = np.array([[0.0], [np.log(10.0)], [40.0], [-40.0]])  # exp(40) = 2.4e17
    bounds = positive_guard.positive_bounds(np.array([1.0, 100.0]))
    pred = heads.to_prediction(spec, hs, raw, params, bounds=bounds)
    np.testing.assert_allclose(pred[:2, 0], [1.0, 10.0])
    np.testing.assert_allclose(pred[2:, 0], [100.0 * math.e, 1.0 / math.e])
    # without bounds the old behaviour: the raw exp
    assert heads.to_prediction(spec, hs, raw, params)[2, 0] == pytest.approx(math.exp(40.0))


def test_identity_head_is_not_capped():
    spec = get_spec("mean_squared_error")
    hs = heads.head_spec(spec, {}, task="regression")
    pred = heads.to_prediction(spec, hs, np.array([[1e9]]), {}, bounds=(0.1, 1.0))
    assert pred[0, 0] == 1e9


def _setup(loss: str, y_train: np.ndarray, y_test: np.ndarray) -> TrialSetup:
    spec = get_spec(loss)
    params = spec.validate_params({})
    hs = heads.head_spec(spec, params, task="positive")
    task = TrialTask(
        run_dir="unused",
        trial_id=f"{loss}--seed0",
        candidate={"id": loss, "label": loss, "loss": loss, "params": {}},
        seed=0,
        task="positive",
        n_classes=None,
        primary_metric="rmse",
        goal_quantile=None,
        model={},
        training={"max_epochs": 5},
    )
    data = SimpleNamespace(y_train=y_train, y_val=y_test, y_test=y_test, target_dim=1)
    enc = y_train[:, None].astype(np.float32)
    return TrialSetup(task, data, spec, params, hs, None, np.zeros(1), None, enc, enc, None)


def test_trial_record_caps_and_warns_on_test_rows():
    y_train = np.array([1.0, 3.0, 10.0, 30.0])
    y_test = np.array([2.0, 5.0, 20.0])
    setup = _setup("poisson_nll", y_train, y_test)
    raw_test = np.log([[2.0], [5.0], [1e17]])  # one row far outside the training range
    fit = FitOutcome(
        history={"loss": [1.0] * 5},
        raw_val=np.log([[2.0], [5.0], [20.0]]),
        raw_test=raw_test,
        train_seconds=0.1,
    )
    rec = trial_record(setup, fit, started=0.0)
    assert rec.status == "ok"
    high = 30.0 * math.e
    np.testing.assert_allclose(rec.arrays["prediction"].reshape(-1), [2.0, 5.0, high], rtol=1e-6)
    # RMSE of the capped predictions, by hand
    expected = math.sqrt(((high - 20.0) ** 2) / 3)
    assert rec.metrics["rmse"] == pytest.approx(expected, rel=1e-6)
    [ev] = rec.events
    assert ev["source"] == "positive_guard" and ev["kind"] == "extrapolation" and ev["epoch"] == 5
    assert ev["details"]["split"] == "test" and ev["details"]["rows"] == 1
    assert "1 of 3 test predictions" in ev["message"]


def test_trial_record_without_extrapolation_has_no_event():
    y = np.array([1.0, 3.0, 10.0, 30.0])
    setup = _setup("gamma_deviance", y, y)
    fit = FitOutcome(
        history={"loss": [1.0]},
        raw_val=np.log(y)[:, None],
        raw_test=np.log(y)[:, None],
        train_seconds=0.1,
    )
    assert trial_record(setup, fit, started=0.0).events == []


def test_guard_event_is_listed_in_the_report_warnings():
    from losslab.report._summary import trial_warnings

    y = np.array([1.0, 3.0, 10.0, 30.0])
    setup = _setup("tweedie_deviance", y, y)
    fit = FitOutcome(
        history={"loss": [1.0]},
        raw_val=np.full((4, 1), 60.0),
        raw_test=np.log(y)[:, None],
        train_seconds=0.1,
    )
    rec = trial_record(setup, fit, started=0.0).to_dict()
    [w] = trial_warnings(rec)
    assert w["kind"] == "extrapolation" and "validation" in w["message"]


# ---------------------------------------------------------------------------- soft targets
def test_cross_entropy_fits_a_proportion_with_soft_targets():
    y = np.linspace(0.0, 1.0, 30)  # 28 values other than 0 and 1
    for loss in ("binary_crossentropy", "binary_focal_crossentropy"):
        heads.check_fits(get_spec(loss), {}, task="proportion", y=y)
    with pytest.raises(TaskMismatchError, match="is a binary loss; the task is regression"):
        heads.check_fits(get_spec("binary_crossentropy"), {}, task="regression", y=y)
    with pytest.raises(
        TaskMismatchError, match=r"needs y in \{0,1\}; your target has 1 values outside \[0, 1\]"
    ):
        # a proportion task with values outside [0, 1] still fails (checked as y in [0, 1])
        heads.check_fits(
            get_spec("binary_crossentropy"), {}, task="proportion", y=np.array([0.2, 1.5])
        )


def test_proportion_encoding_and_prediction_keep_the_soft_target():
    spec = get_spec("binary_crossentropy")
    params = spec.validate_params({})
    hs = heads.head_spec(spec, params, task="proportion")
    assert (hs.units, hs.activation) == (1, "sigmoid")
    y = np.array([0.1, 0.5, 0.93])
    np.testing.assert_allclose(
        heads.encode_targets(spec, hs, y, task="proportion", n_classes=None)[:, 0], y, rtol=1e-6
    )
    shift, scale = heads.target_scaling(hs, y, task="proportion")
    assert scale is None


@pytest.mark.slow
def test_compare_runs_cross_entropy_on_a_proportion(tmp_path):
    import losslab

    rng = np.random.default_rng(0)
    x = rng.normal(size=(120, 3))
    share = 1 / (1 + np.exp(-(x[:, 0] - 0.5 * x[:, 1])))
    df = pd.DataFrame(x, columns=["a", "b", "c"]).assign(
        share=np.clip(share + rng.normal(0, 0.05, 120), 0, 1)
    )
    res = losslab.compare(
        None, df, target="share", losses=["binary_crossentropy", "mean_squared_error"],
        seeds=1, max_epochs=3, quiet=True, report=False, out=tmp_path / "run",
    )  # fmt: skip
    assert res.task == "proportion"
    assert {r["loss"] for r in res.rows if r["mean"] is not None} == {
        "binary_crossentropy",
        "mean_squared_error",
    }
    bce = next(r for r in res.records if r["loss"] == "binary_crossentropy")
    assert bce["status"] == "ok" and 0.0 < bce["metrics"]["rmse"] < 0.5


def test_sigmoid_head_on_soft_targets_starts_at_the_logit_of_the_mean():
    spec = get_spec("binary_crossentropy")
    params = spec.validate_params({})
    hs = heads.head_spec(spec, params, task="proportion")
    y = np.array([0.1, 0.2, 0.15, 0.35])
    m = y.mean()
    np.testing.assert_allclose(heads.initial_bias(hs, spec, params, y), [math.log(m / (1 - m))])
    # hard 0/1 labels (a binary task) keep the zero bias
    assert heads.initial_bias(hs, spec, params, np.array([0.0, 1.0, 1.0])) is None


# ---------------------------------------------------------------------------- positive scale


def test_scaled_positive_head_predicts_and_caps_in_target_units():
    """A positive head trained on y / mean(y): predictions come back in target units and the
    cap and its event use the raw training targets' bounds, as the exported model does."""
    y_train = np.array([1.0, 3.0, 10.0, 30.0])
    y_test = np.array([2.0, 5.0, 20.0])
    setup = _setup("poisson_nll", y_train, y_test)
    setup.shift, setup.scale = heads.target_scaling(setup.head, y_train, task="count")
    assert setup.scale.tolist() == [11.0]
    np.testing.assert_allclose(setup.initial_bias(), [0.0], atol=1e-12)  # log(mean(y / 11))
    raw = np.log(np.array([[2.0], [5.0], [1e17]]) / 11.0)
    raw_val = np.log(y_test[:, None] / 11.0)
    fit = FitOutcome(history={"loss": [1.0]}, raw_val=raw_val, raw_test=raw, train_seconds=0.1)
    rec = trial_record(setup, fit, started=0.0)
    high = 30.0 * math.e  # raw max y widened by e, not the scaled max
    np.testing.assert_allclose(rec.arrays["prediction"].reshape(-1), [2.0, 5.0, high], rtol=1e-6)
    [ev] = rec.events
    assert ev["details"]["rows"] == 1 and ev["details"]["max_uncapped"] == pytest.approx(1e17, rel=1e-6)


def _large_counts(n: int = 400) -> pd.DataFrame:
    rng = np.random.default_rng(3)
    x = rng.normal(size=(n, 2))
    mu = 2000.0 + 600.0 * x[:, 0]  # counts of mean 2000, linear in a feature
    return pd.DataFrame(x, columns=["a", "b"]).assign(y=rng.poisson(np.maximum(mu, 1.0)).astype(float))


@pytest.mark.slow
def test_softplus_poisson_on_large_counts_learns_when_scaled(tmp_path):
    """Keras' poisson (softplus head) on counts of mean 2000: on the raw target the head needs
    slopes of ~600 and stays near the mean within 15 epochs; on y / mean(y) it fits as well as
    MSE on the standardised target. The oracle is the spread of the counts (std ~600, noise
    sd ~45)."""
    import losslab

    df = _large_counts()
    kw = dict(target="y", task="count", seeds=1, max_epochs=15, quiet=True, report=False)
    scaled = losslab.compare(None, df, losses=["poisson", "mean_squared_error"], out=tmp_path / "a", **kw)
    raw = losslab.compare(None, df, losses=["poisson"], out=tmp_path / "b", scale_target=False, **kw)
    rmse = {r["loss"]: r["metrics"]["rmse"] for r in scaled.records}
    unscaled = raw.records[0]["metrics"]["rmse"]
    std = float(df["y"].std())
    assert unscaled > 0.5 * std  # the raw-scale head barely moved from the mean
    assert rmse["poisson"] < 0.2 * std
    assert rmse["poisson"] < 1.5 * rmse["mean_squared_error"]
