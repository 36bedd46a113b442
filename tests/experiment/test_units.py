"""Fast tests of the experiment building blocks (no training): protocol, heads, judge,
statistics, store. Oracles: formulas, scipy, scikit-learn, hand-computed values."""

from __future__ import annotations

import json
import math

import numpy as np
import pandas as pd
import pytest

from losslab.catalog import Head, get_spec, list_losses, split_loss_list
from losslab.errors import DataError, InvalidParameterError, TaskMismatchError
from losslab.experiment import heads, judge, statistics
from losslab.experiment.config import EarlyStoppingConfig, TrainingConfig
from losslab.experiment.lineup import parse_candidate
from losslab.experiment.preparation import extract_data, infer_target_task
from losslab.experiment.protocol import SplitConfig, fingerprint, prepare
from losslab.experiment.store import RunDirectoryError, RunStore


# ---------------------------------------------------------------------------- protocol
def test_split_sizes_and_disjoint():
    x = np.random.default_rng(0).normal(size=(200, 3))
    y = np.arange(200.0)
    d = prepare(x, y, task="regression", split=SplitConfig(test_size=0.2, val_size=0.25, seed=3))
    assert (len(d.idx_train), len(d.idx_val), len(d.idx_test)) == (110, 50, 40)
    all_idx = np.concatenate([d.idx_train, d.idx_val, d.idx_test])
    assert sorted(all_idx.tolist()) == list(range(200))
    # targets travel with their rows
    np.testing.assert_array_equal(d.y_test, y[d.idx_test].astype(np.float32))


def test_split_fixed_by_seed_and_changes_with_it():
    x = np.random.default_rng(0).normal(size=(100, 2))
    y = np.random.default_rng(1).normal(size=100)
    a = prepare(x, y, task="regression", split=SplitConfig(seed=0))
    b = prepare(x, y, task="regression", split=SplitConfig(seed=0))
    c = prepare(x, y, task="regression", split=SplitConfig(seed=1))
    np.testing.assert_array_equal(a.idx_test, b.idx_test)
    assert not np.array_equal(a.idx_test, c.idx_test)


def test_preprocessing_fit_on_train_only():
    rng = np.random.default_rng(0)
    x = rng.normal(loc=5.0, scale=3.0, size=(300, 2))
    x[rng.random(300) < 0.1, 1] = np.nan
    y = rng.normal(size=300)
    d = prepare(x, y, task="regression", split=SplitConfig(seed=0))
    # StandardScaler fit on the training rows: exactly mean 0 / std 1 there (after median
    # imputation), not on validation/test rows
    train_raw = x[d.idx_train]
    med = np.nanmedian(train_raw[:, 1])
    col = np.where(np.isnan(train_raw[:, 1]), med, train_raw[:, 1])
    expected = (col - col.mean()) / col.std()
    np.testing.assert_allclose(d.x_train[:, 1], expected, rtol=1e-5, atol=1e-5)
    test_raw = x[d.idx_test, 0]
    tr0 = train_raw[:, 0]
    np.testing.assert_allclose(d.x_test[:, 0], (test_raw - tr0.mean()) / tr0.std(), rtol=1e-5, atol=1e-5)


def test_dataframe_one_hot_and_unknown_category():
    df = pd.DataFrame(
        {"num": np.arange(60.0), "cat": ["a", "b", "c"] * 20, "y": np.arange(60.0) * 2}
    )
    d = prepare(df[["num", "cat"]], df["y"], task="regression", split=SplitConfig(seed=0))
    assert d.features == ["num", "cat_a", "cat_b", "cat_c"]
    assert d.categorical == ["cat"] and d.numeric == ["num"]
    assert set(np.unique(d.x_train[:, 1:])) <= {0.0, 1.0}


def test_stratified_split_keeps_class_shares():
    y = np.array([0] * 180 + [1] * 20)
    x = np.random.default_rng(0).normal(size=(200, 2))
    d = prepare(x, y, task="binary", split=SplitConfig(seed=0))
    assert d.y_test.sum() == 4 and d.y_val.sum() == 4 and d.y_train.sum() == 12


def test_group_split_never_straddles():
    x = np.random.default_rng(0).normal(size=(120, 2))
    groups = np.repeat(np.arange(30), 4)
    d = prepare(x, np.arange(120.0), task="regression", split=SplitConfig(seed=0), groups=groups)
    sets = [set(groups[i]) for i in (d.idx_train, d.idx_val, d.idx_test)]
    assert not (sets[0] & sets[1]) and not (sets[0] & sets[2]) and not (sets[1] & sets[2])


def test_time_split_is_ordered():
    x = np.random.default_rng(0).normal(size=(100, 2))
    t = np.random.default_rng(1).permutation(100)
    d = prepare(x, np.arange(100.0), task="regression", split=SplitConfig(seed=0), order=t)
    assert t[d.idx_train].max() < t[d.idx_val].min() and t[d.idx_val].max() < t[d.idx_test].min()


@pytest.mark.parametrize(
    ("y", "task", "match"),
    [
        (np.zeros(100), "binary", "single class"),
        (np.arange(10.0), "regression", "Too few rows"),
        (np.r_[np.arange(99.0), np.nan], "regression", "missing or infinite"),
    ],
)
def test_prepare_rejects_bad_targets(y, task, match):
    x = np.zeros((len(y), 2))
    with pytest.raises(DataError, match=match):
        prepare(x, y, task=task, split=SplitConfig())


def test_infer_task():
    # the advisor's inference (losslab.data.infer_task on a target profile), with reasons
    assert infer_target_task(np.array([0, 1, 1, 0])).kind == "binary"
    assert infer_target_task(np.array([0, 1, 2, 2, 1])).kind == "multiclass"
    assert infer_target_task(np.arange(100) % 37).kind == "count"
    assert infer_target_task(np.array([0.5, -1.2, 3.3])).kind == "regression"
    assert infer_target_task(np.array(["a", "b", "a"])).kind == "binary"
    assert infer_target_task(np.array([0.5, -1.2, 3.3])).reasons
    # several real-valued columns: multi-output regression; 0/1 columns: multilabel
    assert infer_target_task(np.random.default_rng(0).normal(size=(20, 2))).kind == "regression"
    assert infer_target_task(np.array([[0, 1], [1, 0], [1, 1], [0, 0]])).kind == "multilabel"


def test_infer_task_agrees_with_the_advisor_on_diabetes():
    # integers 25..346 with 214 distinct values: a continuous measurement for the advisor,
    # so compare/run/tune and recommend all call it regression (not count)
    from sklearn.datasets import load_diabetes

    import losslab

    frame = load_diabetes(as_frame=True).frame
    assert infer_target_task(frame["target"]).kind == "regression"
    assert losslab.recommend(frame, target="target").task.kind == "regression"


def test_given_task_is_checked_against_the_targets():
    assert infer_target_task(np.arange(50.0), "regression").kind == "regression"
    with pytest.raises(DataError, match="count needs non-negative integers"):
        infer_target_task(np.r_[np.arange(49.0), -1.0], "count")
    with pytest.raises(DataError, match="Unknown task 'speed'"):
        infer_target_task(np.arange(50.0), "speed")


def test_fingerprint_depends_on_values_not_object_identity():
    x = np.arange(12.0).reshape(6, 2)
    y = np.arange(6.0)
    assert fingerprint(x, y) == fingerprint(x.copy(), y.copy())
    y2 = y.copy()
    y2[0] = 10
    assert fingerprint(x, y) != fingerprint(x, y2)


# ---------------------------------------------------------------------------- heads
_TABULAR = {
    "regression": "regression",
    "probabilistic-regression": "regression",
    "count": "count",
    "binary": "binary",
    "multiclass": "multiclass",
    "multilabel": "multilabel",
    "ordinal": "ordinal",
}


@pytest.mark.parametrize("spec", list_losses(), ids=lambda s: s.name)
def test_head_for_every_catalog_loss(spec):
    """Every Head value of the catalog gets a layer (or a clear TaskMismatchError)."""
    task = _TABULAR.get(spec.family.value)
    params = spec.defaults
    if task is None or spec.head in (Head.EMBEDDING, Head.SEGMENTATION, Head.BOXES, Head.SEQUENCE):
        y = np.zeros(10)
        with pytest.raises(TaskMismatchError, match=spec.name):
            heads.check_fits(spec, params, task=task or "regression", y=y)
        return
    hs = heads.head_spec(spec, params, task=task, target_dim=2 if task == "multilabel" else 1, n_classes=4)
    expected = {
        Head.IDENTITY: (1, "linear"),
        Head.SIGMOID: (2 if task == "multilabel" else 1, "sigmoid"),
        Head.BINARY_LOGITS: (1, "linear"),
        Head.SOFTMAX: (4, "softmax"),
        Head.MULTICLASS_LOGITS: (4, "linear"),
        Head.MEAN_SCALE: (2, "linear"),
        Head.ORDINAL_LOGITS: (3, "linear"),
        Head.QUANTILES: (1, "linear"),
    }
    if spec.head == Head.POSITIVE:
        # a log-rate input stays linear; a loss that takes the rate itself gets softplus
        assert hs.units == 1
        assert hs.activation == ("linear" if params.get("log_input") is True else "softplus")
    else:
        assert (hs.units, hs.activation) == expected[spec.head]


def test_from_logits_flips_the_head():
    spec = get_spec("binary_crossentropy")
    assert heads.effective_head(spec, {"from_logits": True}) == Head.BINARY_LOGITS
    hs = heads.head_spec(spec, {**spec.defaults, "from_logits": True}, task="binary")
    assert (hs.units, hs.activation) == (1, "linear")
    spec = get_spec("sparse_categorical_crossentropy")
    hs = heads.head_spec(spec, {**spec.defaults, "from_logits": True}, task="multiclass", n_classes=3)
    assert (hs.units, hs.activation) == (3, "linear")


def test_quantile_head_has_one_output_per_level():
    spec = get_spec("pinball")
    hs = heads.head_spec(spec, {**spec.defaults, "tau": [0.1, 0.5, 0.9]}, task="regression")
    assert hs.units == 3 and hs.head == Head.QUANTILES


def test_target_scaling_only_for_regression_type_heads():
    y = np.array([10.0, 20.0, 30.0, 40.0])
    mse = get_spec("mse")
    shift, scale = heads.target_scaling(heads.head_spec(mse, {}, task="regression"), y, task="regression")
    assert shift[0] == 25.0 and scale[0] == pytest.approx(np.sqrt(125.0))  # population std
    pois = get_spec("poisson_nll")
    hs = heads.head_spec(pois, pois.defaults, task="count")
    # positive heads need y >= 0: no shift, one positive factor (the training mean)
    shift, scale = heads.target_scaling(hs, y, task="count")
    assert shift.tolist() == [0.0] and scale.tolist() == [25.0]
    assert ((y - shift) / scale >= 0).all()
    assert heads.target_scaling(hs, np.zeros(4), task="count")[1] is None  # no positive mean
    assert heads.target_scaling(heads.head_spec(mse, {}, task="regression"), y, task="regression", enabled=False)[1] is None


def test_targets_encoded_per_loss():
    codes = np.array([0, 2, 1, 2])
    cce = get_spec("categorical_crossentropy")
    hs = heads.head_spec(cce, cce.defaults, task="multiclass", n_classes=3)
    np.testing.assert_array_equal(heads.encode_targets(cce, hs, codes, task="multiclass", n_classes=3), np.eye(3)[codes])
    scce = get_spec("sparse_categorical_crossentropy")
    hs = heads.head_spec(scce, scce.defaults, task="multiclass", n_classes=3)
    np.testing.assert_array_equal(heads.encode_targets(scce, hs, codes, task="multiclass", n_classes=3), codes)
    hinge = get_spec("hinge")
    hs = heads.head_spec(hinge, hinge.defaults, task="binary")
    np.testing.assert_array_equal(
        heads.encode_targets(hinge, hs, np.array([0, 1, 1]), task="binary", n_classes=2)[:, 0], [-1.0, 1.0, 1.0]
    )


def test_poisson_on_negative_targets_explains_and_suggests():
    y = np.r_[-np.ones(37), np.ones(63)]
    with pytest.raises(TaskMismatchError, match=r"needs y>=0; your target has 37 negative values\. Try huber"):
        heads.check_fits(get_spec("poisson"), {}, task="regression", y=y)


def test_wrong_family_is_rejected():
    with pytest.raises(TaskMismatchError, match="binary loss; the task is regression"):
        heads.check_fits(get_spec("binary_crossentropy"), {}, task="regression", y=np.zeros(5))


def test_class_weights_balanced_rule():
    # scikit-learn's rule n / (K n_k): 8 rows, 6 of class 0, 2 of class 1
    w = heads.class_weights("balanced", np.array([0] * 6 + [1] * 2), 2)
    assert w == pytest.approx({0: 8 / (2 * 6), 1: 8 / (2 * 2)})


# ---------------------------------------------------------------------------- candidates
def test_parse_candidates():
    c = parse_candidate("huber:delta=2")
    assert (c.spec.name, c.params["delta"], c.label, c.id) == ("huber", 2, "huber:delta=2", "huber-delta=2")
    c = parse_candidate("bce@balanced")
    assert c.class_weight == "balanced" and c.id == "binary_crossentropy-cw-balanced"
    assert split_loss_list("mse,huber:delta=2,pinball:tau=[0.1,0.9],crossing_penalty=1,mae") == [
        "mse",
        "huber:delta=2",
        "pinball:tau=[0.1,0.9],crossing_penalty=1",
        "mae",
    ]
    with pytest.raises(InvalidParameterError, match="delta must be > 0"):
        parse_candidate("huber:delta=-1")
    with pytest.raises(InvalidParameterError, match="Unknown class weighting"):
        parse_candidate("bce@weird")


# ---------------------------------------------------------------------------- judge
def test_regression_judge_against_formulas():
    y = np.array([1.0, 2.0, 3.0, 10.0])
    p = np.array([1.5, 2.0, 2.0, 7.0])
    m = judge.judge("regression", y, p, quantile=0.9)
    e = y - p
    assert m["mae"] == pytest.approx(np.mean(np.abs(e)))
    assert m["rmse"] == pytest.approx(math.sqrt(np.mean(e**2)))
    assert m["median_ae"] == pytest.approx(np.median(np.abs(e)))
    assert m["r2"] == pytest.approx(1 - np.sum(e**2) / np.sum((y - y.mean()) ** 2))
    assert m["pinball"] == pytest.approx(np.mean(np.maximum(0.9 * e, (0.9 - 1) * e)))
    dev = 2 * np.mean(y * np.log(y / p) - (y - p))
    assert m["poisson_deviance"] == pytest.approx(dev)
    assert judge.judge("regression", -y, p)["poisson_deviance"] is None


def test_quantile_prediction_uses_nearest_level():
    y = np.array([0.0, 1.0, 2.0])
    pred = np.column_stack([y - 1, y, y + 1])  # levels 0.1, 0.5, 0.9
    m = judge.judge("regression", y, pred, quantile=0.9, quantiles=[0.1, 0.5, 0.9])
    assert m["mae"] == 0.0  # the 0.5 column is exact
    assert m["pinball"] == pytest.approx(np.mean((0.9 - 1) * -1.0 * np.ones(3)))  # y - (y+1) = -1


def test_binary_judge_against_formulas():
    y = np.array([0, 0, 1, 1, 1])
    p = np.array([0.1, 0.6, 0.7, 0.4, 0.9])
    m = judge.judge("binary", y, p, n_classes=2)
    assert m["log_loss"] == pytest.approx(-np.mean(y * np.log(p) + (1 - y) * np.log(1 - p)))
    assert m["brier"] == pytest.approx(np.mean((p - y) ** 2))
    assert m["accuracy"] == pytest.approx(3 / 5)
    # ROC AUC = share of (pos, neg) pairs ranked correctly: pos {0.7,0.4,0.9} vs neg {0.1,0.6}
    assert m["roc_auc"] == pytest.approx(5 / 6)
    # average precision by hand: ranks 0.9(+) 0.7(+) 0.6(-) 0.4(+) 0.1(-): (1 + 1 + 3/4) / 3
    assert m["pr_auc"] == pytest.approx((1 + 1 + 0.75) / 3)


def test_ece_by_hand():
    # two bins used: confidences 0.95 (2 rows, 1 correct) and 0.75 (2 rows, 2 correct)
    y = np.array([1, 0, 1, 1])
    proba = np.array([[0.05, 0.95], [0.05, 0.95], [0.25, 0.75], [0.25, 0.75]])
    expected = 0.5 * abs(0.5 - 0.95) + 0.5 * abs(1.0 - 0.75)
    assert judge.expected_calibration_error(y, proba) == pytest.approx(expected)


def test_multiclass_judge():
    from sklearn.metrics import f1_score

    y = np.array([0, 1, 2, 2, 1, 0])
    proba = np.array(
        [[0.8, 0.1, 0.1], [0.2, 0.5, 0.3], [0.1, 0.2, 0.7], [0.3, 0.4, 0.3], [0.1, 0.8, 0.1], [0.4, 0.3, 0.3]]
    )
    m = judge.judge("multiclass", y, proba, n_classes=3)
    assert m["log_loss"] == pytest.approx(-np.mean(np.log(proba[np.arange(6), y])))
    assert m["accuracy"] == pytest.approx(5 / 6)
    assert m["macro_f1"] == pytest.approx(f1_score(y, proba.argmax(1), average="macro"))
    assert m["brier"] == pytest.approx(np.mean(np.sum((proba - np.eye(3)[y]) ** 2, axis=1)))


def test_primary_metric_follows_goal():
    assert judge.primary_metric("regression", None) == "rmse"
    assert judge.primary_metric("regression", "median") == "mae"
    assert judge.primary_metric("count", "quantile") == "pinball"
    assert judge.primary_metric("binary", None) == "log_loss"
    assert judge.primary_metric("binary", "ranking") == "roc_auc"
    assert judge.primary_metric("multiclass", "labels") == "accuracy"
    assert judge.normalize_metric("Average-Precision") == "pr_auc"
    with pytest.raises(InvalidParameterError, match="Unknown judge metric"):
        judge.normalize_metric("speed")


# ---------------------------------------------------------------------------- statistics
def test_t_interval_by_formula():
    m, s, lo, hi = statistics.t_interval([1.0, 2.0, 3.0])
    # t_{0.975, 2} = 4.302652729911275 (tables); half width = t * s / sqrt(n) with s = 1
    half = 4.302652729911275 / math.sqrt(3)
    assert (m, s) == (2.0, 1.0)
    assert lo == pytest.approx(2 - half) and hi == pytest.approx(2 + half)


def test_paired_test_matches_scipy_ttest_rel():
    from scipy.stats import ttest_rel

    a = [1.0, 1.2, 0.9, 1.4]
    b = [1.1, 1.5, 1.0, 1.6]
    assert statistics.paired_test(a, b) == pytest.approx(ttest_rel(a, b).pvalue)
    assert statistics.paired_test([1.0, 2.0], [1.0, 2.0]) == 1.0
    assert statistics.paired_test([1.0], [2.0]) is None


def _rec(cid, seed, v, status="ok"):
    return {"candidate_id": cid, "seed": seed, "status": status, "primary": v, "metrics": {"rmse": v}, "epochs_run": 5}


def test_leaderboard_ranks_and_marks_indistinguishable():
    cands = [{"id": c, "label": c, "loss": c, "params": {}} for c in ("a", "b", "c", "d")]
    recs = (
        [_rec("a", s, v) for s, v in enumerate([1.0, 1.1, 0.9])]
        + [_rec("b", s, v) for s, v in enumerate([1.05, 1.0, 1.0])]  # noisy, close to a
        + [_rec("c", s, v) for s, v in enumerate([2.0, 2.1, 1.9])]  # consistently worse by 1
        + [_rec("d", s, None, "nan") for s in range(3)]
    )
    rows = statistics.leaderboard_rows(recs, cands, "rmse")
    assert [r["candidate_id"] for r in rows] == ["a", "b", "c", "d"]
    assert rows[0]["is_best"] and rows[0]["indistinguishable_from_best"]
    assert rows[1]["indistinguishable_from_best"] and rows[1]["p_value"] > 0.05
    assert rows[2]["diff_to_best"] == pytest.approx(1.0) and rows[2]["p_value"] == 0.0
    assert not rows[2]["indistinguishable_from_best"]
    assert rows[3]["mean"] is None and rows[3]["n_failed"] == 3 and rows[3]["rank"] is None
    # higher-is-better metrics rank the other way
    rows = statistics.leaderboard_rows(recs, cands, "r2")
    assert rows[0]["candidate_id"] == "c"


# ---------------------------------------------------------------------------- store
def _manifest(h="h1", fp="sha256:1"):
    return {"format": "losslab-run", "config_hash": h, "config": {"seeds": [0], "losses": h}, "data": {"fingerprint": fp}}


def test_store_refuses_other_config_and_other_data(tmp_path):
    store = RunStore(tmp_path / "run")
    assert store.open(_manifest()) is False
    assert store.open(_manifest()) is True
    with pytest.raises(RunDirectoryError, match=r"another configuration \(different: losses\)"):
        store.open(_manifest(h="h2"))
    with pytest.raises(RunDirectoryError, match="different data"):
        store.open(_manifest(fp="sha256:2"))
    (tmp_path / "other").mkdir()
    (tmp_path / "other" / "x.txt").write_text("x")
    with pytest.raises(RunDirectoryError, match="not empty"):
        RunStore(tmp_path / "other").open(_manifest())


def test_store_ignores_torn_line_and_repairs_it(tmp_path):
    store = RunStore(tmp_path)
    store.open(_manifest())
    store.append({"trial_id": "a", "v": 1}, {"raw": np.zeros(3)})
    with open(store.trials_path, "ab") as f:
        f.write(b'{"trial_id": "b", "v"')  # a kill -9 in the middle of a write
    assert [r["trial_id"] for r in store.records()] == ["a"]
    store.append({"trial_id": "c", "v": 3})
    assert [r["trial_id"] for r in store.records()] == ["a", "c"]
    lines = store.trials_path.read_bytes().splitlines()
    assert [json.loads(line)["trial_id"] for line in lines] == ["a", "c"]
    assert json.loads(store.trial_json("a").read_text())["v"] == 1
    with np.load(store.trial_npz("a")) as z:
        np.testing.assert_array_equal(z["raw"], np.zeros(3))


def test_table_group_and_time_columns_are_taken_out_of_the_features():
    df = pd.DataFrame(
        {"a": np.arange(40.0), "g": np.repeat(np.arange(10), 4), "t": pd.date_range("2024-01-01", periods=40), "y": np.arange(40.0)}
    )
    d = extract_data(df, target="y", group="g", time="t")
    assert d.columns == ("a",) and d.source == "pandas.DataFrame" and list(d.x.columns) == ["a"]
    np.testing.assert_array_equal(d.groups, np.repeat(np.arange(10), 4))
    assert np.all(np.diff(d.order) > 0)  # datetimes as sortable integers
    with pytest.raises(DataError, match="The group column 'nope' is not in the table"):
        extract_data(df, target="y", group="nope")
    with pytest.raises(DataError, match="Target column 'z' is not in the table"):
        extract_data(df, target="z")


# ---------------------------------------------------------------------------- configs
def test_configs_validate_on_construction():
    with pytest.raises(InvalidParameterError, match=r"learning_rate must be > 0\. Received: learning_rate=0"):
        TrainingConfig(learning_rate=0)
    with pytest.raises(InvalidParameterError, match="batch_size and max_epochs must be >= 1"):
        TrainingConfig(max_epochs=0)
    with pytest.raises(InvalidParameterError, match="with a sum below 1"):
        SplitConfig(test_size=0.5, val_size=0.5)
    with pytest.raises(InvalidParameterError, match="Unknown EarlyStopping argument"):
        EarlyStoppingConfig.from_setting({"patiense": 3})
    with pytest.raises(InvalidParameterError, match="patience must be an integer >= 0"):
        EarlyStoppingConfig(patience=-1)
    assert EarlyStoppingConfig.from_setting(False).to_dict() == {"enabled": False}
    stored = TrainingConfig().to_dict()["early_stopping"]
    assert stored == {
        "monitor": "val_loss", "patience": 3, "restore_best_weights": True, "min_delta": 0.0, "mode": "auto",
        "start_from_epoch": 0,
    }


@pytest.mark.parametrize("loss", ["mean_squared_logarithmic_error", "mean_absolute_percentage_error"])
def test_sign_constrained_identity_losses_are_scaled_without_a_shift(loss):
    """A standardised target would break ``y>=0`` (MSLE's log(1 + y)) or put values at 0
    (MAPE divides by y): these losses learn y / mean(|y|), which keeps the requirement."""
    y = np.array([1.0, 2.0, 3.0, 10.0])
    spec = get_spec(loss)
    hs = heads.head_spec(spec, spec.defaults, task="regression")
    shift, scale = heads.target_scaling(hs, y, task="regression", spec=spec)
    assert shift.tolist() == [0.0] and scale.tolist() == [4.0]
    assert heads.requirements(spec)[0].violations((y - shift) / scale) is None
    # without the spec (or for MSE) the standardisation, whose values break y >= 0
    shift, scale = heads.target_scaling(hs, y, task="regression")
    assert shift[0] == 4.0 and ((y - shift) / scale < 0).any()
