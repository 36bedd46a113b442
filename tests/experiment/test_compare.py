"""Fair comparisons on generated data with a known answer (seeds fixed, default backend)."""

from __future__ import annotations

import json

import numpy as np
import pytest

import losslab
from tests.experiment._claims import gaussian_mse_vs_mae, weighted_vs_plain_bce
from tests.experiment._data import FAST, multiclass_data, regression_data


@pytest.mark.slow
def test_outliers_mae_and_huber_beat_mse_on_test_mae(tmp_path):
    # one-sided gross errors on 10% of rows shift the conditional mean by ~2, not the median:
    # the MSE fit is pulled, the MAE and Huber fits are not
    x, y = regression_data(n=300, outliers=0.1)
    res = losslab.compare(
        None, x, y, losses=["mse", "mae", "huber"], seeds=2, max_epochs=15, learning_rate=0.01,
        metric="mae", out=tmp_path / "run", **FAST,
    )
    lb = res.leaderboard.set_index("loss")
    assert lb.loc["mean_absolute_error", "mae"] < lb.loc["mean_squared_error", "mae"]
    assert lb.loc["huber", "mae"] < lb.loc["mean_squared_error", "mae"]
    assert res.leaderboard.iloc[-1]["loss"] == "mean_squared_error"
    # every trial stored, with histories and test predictions
    assert len(res.records) == 6 and set(res.histories) == {r["trial_id"] for r in res.records}
    assert all(len(h["val_loss"]) == r["epochs_run"] for r, h in zip(res.records, res.histories.values(), strict=True))
    assert (tmp_path / "run" / "trials" / "mean_squared_error--seed0.npz").exists()
    stored = json.loads((tmp_path / "run" / "leaderboard.json").read_text())
    assert [r["label"] for r in stored["rows"]] == list(res.leaderboard["candidate"])


@pytest.mark.slow
def test_clean_gaussian_mse_not_worse_than_mae_on_rmse(tmp_path):
    # planted: clean Gaussian noise and a linear model with many weights for its rows (see
    # _claims.GAUSSIAN); the sweep over data seeds is in test_seed_sweeps.py
    res, margins = gaussian_mse_vs_mae(1, tmp_path / "run")
    assert res.primary_metric == "rmse" and res.task == "regression"
    lb = res.leaderboard.set_index("loss")
    assert lb.loc["mean_squared_error", "rmse"] < lb.loc["mean_absolute_error", "rmse"]
    # paired: on every training seed (same split, same initial weights) MSE is ahead
    assert len(margins) == 2 and min(margins) > 0, margins
    # same initial weights per seed for every loss: the stored body weights are what each
    # trial started from, so one file per seed (not per loss)
    assert sorted(p.name for p in (tmp_path / "run" / "init").iterdir()) == ["seed-0.npz", "seed-1.npz"]


@pytest.mark.slow
def test_imbalanced_binary_class_weighting_improves_pr_auc(tmp_path):
    # planted: about 150 positives in 3,000 rows and a short training budget (see
    # _claims.IMBALANCED); the sweep over data seeds is in test_seed_sweeps.py
    res, margins = weighted_vs_plain_bce(0, tmp_path / "run")
    assert res.task == "binary"
    lb = res.leaderboard.set_index("candidate")
    assert lb.loc["binary_crossentropy@balanced", "pr_auc"] > lb.loc["binary_crossentropy", "pr_auc"]
    assert res.best == "binary_crossentropy@balanced"
    # paired by training seed: the mean gap is the leaderboard's, and clearly above zero
    assert len(margins) == 3 and sum(margins) / 3 > 0.02, margins
    # weighting trades calibration for ranking: the unweighted model has the lower log loss
    assert lb.loc["binary_crossentropy", "log_loss"] < lb.loc["binary_crossentropy@balanced", "log_loss"]


def test_multiclass_api_with_custom_body(tmp_path):
    import keras

    def build_model(input_shape):
        inputs = keras.Input(input_shape)
        return keras.Model(inputs, keras.layers.Dense(8, activation="relu")(inputs))

    x, y = multiclass_data()
    res = losslab.compare(
        build_model, x, y, losses=["sparse_categorical_crossentropy", "categorical_crossentropy:from_logits=True"],
        seeds=1, max_epochs=15, learning_rate=0.02, out=tmp_path / "run", quiet=True, report=False,
    )
    assert res.task == "multiclass" and res.primary_metric == "log_loss"
    heads = {r["loss"]: r["head"] for r in res.records}
    assert heads == {"sparse_categorical_crossentropy": "softmax", "categorical_crossentropy": "multiclass_logits"}
    for r in res.records:
        assert r["metrics"]["accuracy"] > 0.8  # well separated blobs; chance is 1/3
    with np.load(tmp_path / "run" / "trials" / f"{res.records[1]['trial_id']}.npz") as z:
        np.testing.assert_allclose(z["prediction"].sum(axis=1), 1.0, rtol=1e-5)  # softmax applied to logits
    assert res.manifest["config"]["model"]["kind"] == "custom"


def test_bad_inputs_raise_before_the_run_directory_exists(tmp_path):
    x, y = regression_data(n=100)
    out = tmp_path / "run"
    with pytest.raises(losslab.TaskMismatchError, match="needs y>=0"):
        losslab.compare(None, x, y, losses=["mse", "poisson"], out=out, **FAST)
    with pytest.raises(losslab.UnknownLossError, match="Unknown loss 'msee'"):
        losslab.compare(None, x, y, losses=["msee"], out=out, **FAST)
    with pytest.raises(losslab.DataError, match="Too few rows"):
        losslab.compare(None, x[:20], y[:20], losses=["mse"], out=out, **FAST)
    with pytest.raises(losslab.InvalidParameterError, match="listed twice"):
        losslab.compare(None, x, y, losses=["mse", "mean_squared_error"], out=out, **FAST)
    assert not out.exists()


@pytest.mark.slow
def test_quantile_and_mean_scale_heads_predict_in_target_units(tmp_path):
    x, y = regression_data(n=300)
    y = 1000.0 + 100.0 * y  # far from the standardised scale the heads train on
    res = losslab.compare(
        None, x, y, losses=["pinball:tau=[0.1,0.5,0.9]", "gaussian_nll"], seeds=1, max_epochs=15,
        learning_rate=0.01, goal="quantile", quantile=0.9, out=tmp_path / "run", **FAST,
    )
    assert res.primary_metric == "pinball"
    split = np.load(tmp_path / "run" / "data" / "split.npz")
    y_test = split["y_test"]
    for rec in res.records:
        with np.load(tmp_path / "run" / "trials" / f"{rec['trial_id']}.npz") as z:
            pred = z["prediction"]
        if rec["loss"] == "pinball":
            assert pred.shape == (len(y_test), 3)
            # the levels keep their order and cover about 80% of the test targets
            assert (pred[:, 0] <= pred[:, 1]).mean() > 0.9 and (pred[:, 1] <= pred[:, 2]).mean() > 0.9
            inside = ((y_test >= pred[:, 0]) & (y_test <= pred[:, 2])).mean()
            assert 0.6 < inside <= 1.0
        else:
            assert pred.reshape(len(y_test), -1).shape[1] == 1  # the mean half of (mean, scale)
        # back in target units: errors of the order of the noise (std 100 * 0.5), not of 1000
        assert rec["metrics"]["mae"] < 150.0
