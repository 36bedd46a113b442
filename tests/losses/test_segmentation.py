"""Segmentation losses: segmentation_models.pytorch and Keras reference values, Lovász
losses against scikit-learn's Jaccard score, random masks vs the NumPy oracles."""

from __future__ import annotations

import numpy as np
import pytest

from losslab.errors import DataError
from losslab.losses import segmentation as seg
from losslab.reference import segmentation as ref
from tests.conftest import load_reference_cases
from tests.losses._helpers import to_numpy

OTHER = load_reference_cases("other_loss_cases.json")


def _smp(name: str) -> list[dict]:
    return [c for c in OTHER if c.get("lib") == "smp" and c["loss"] == name]


def _expected(case: dict) -> float:
    return (
        float(eval(case["expected_expr"])) if "expected_expr" in case else float(case["expected"])
    )  # noqa: S307


# ----------------------------------------------------------------- segmentation_models.pytorch
# Source: qubvel-org/segmentation_models.pytorch@5006616 tests/test_losses.py. smp's score
# functions use smooth=0 and clamp the denominator at eps; losslab's equivalent is
# smooth=0 (its clamp is 1e-7). 1-D inputs are one binary image with 4 pixels.
@pytest.mark.parametrize(
    "case",
    _smp("soft_jaccard_score") + _smp("soft_dice_score") + _smp("soft_tversky_score"),
    ids=lambda c: c["loss"],
)
def test_smp_scores(case):
    t = np.array(case["y_true"], dtype="float32").reshape(1, -1, 1)
    p = np.array(case["y_pred"], dtype="float32").reshape(1, -1, 1)
    if case["loss"] == "soft_jaccard_score":
        got = 1.0 - to_numpy(seg.jaccard_loss(t, p, smooth=0.0))
    elif case["loss"] == "soft_dice_score":
        got = 1.0 - to_numpy(seg.dice_loss(t, p, smooth=0.0))
    else:  # focal Tversky with gamma = 1 is the Tversky loss
        kw = case["kwargs"]
        got = 1.0 - to_numpy(
            seg.focal_tversky_loss(t, p, alpha=kw["alpha"], beta=kw["beta"], gamma=1.0, smooth=0.0)
        )
    np.testing.assert_allclose(got, [_expected(case)], rtol=1e-5)


@pytest.mark.parametrize("case", _smp("soft_jaccard_score(dims=[1]).mean()"), ids=["half", "zero"])
def test_smp_per_sample_jaccard(case):
    # dims=[1] scores each row separately: losslab's per_sample=True, then the batch mean.
    t = np.array(case["y_true"], dtype="float32")[..., None]
    p = np.array(case["y_pred"], dtype="float32")[..., None]
    score = 1.0 - to_numpy(seg.JaccardLoss(smooth=0.0)(t, p))
    np.testing.assert_allclose(score, _expected(case), atol=1e-5)


def test_smp_dice_loss_binary_cases():
    # smp DiceLoss(mode='binary', from_logits=False): smooth 0, classes absent from the target
    # are zeroed ("worst case" [0,0,0] vs [1,1,1] -> 0): losslab's ignore_empty=True.
    loss = seg.DiceLoss(smooth=0.0, ignore_empty=True)
    worst = loss(np.zeros((1, 3, 1), "float32"), np.ones((1, 3, 1), "float32"))
    np.testing.assert_allclose(to_numpy(worst), 0.0, atol=1e-7)
    miss = loss(
        np.array([0, 1, 0], "float32").reshape(1, 3, 1),
        np.array([1, 0, 1], "float32").reshape(1, 3, 1),
    )
    np.testing.assert_allclose(to_numpy(miss), 1.0, atol=1e-6)


def test_smp_jaccard_multiclass_and_multilabel():
    # smp layout (N, C, HW) -> losslab channels-last (N, HW, C); expected 1 - 1/3 in both.
    case_mc = next(c for c in _smp("JaccardLoss(mode='multiclass', from_logits=False)"))
    p = np.transpose(np.array(case_mc["y_pred"], "float32"), (0, 2, 1))
    t = np.array(case_mc["y_true"])
    got = seg.JaccardLoss(mode="multiclass", smooth=0.0)(t, p)
    np.testing.assert_allclose(to_numpy(got), _expected(case_mc), rtol=1e-5)
    case_ml = next(c for c in _smp("JaccardLoss(mode='multilabel', from_logits=False)"))
    p = np.transpose(np.array(case_ml["y_pred"], "float32"), (0, 2, 1))
    t = np.transpose(np.array(case_ml["y_true"], "float32"), (0, 2, 1))
    got = seg.JaccardLoss(mode="multilabel", smooth=0.0)(t, p)
    np.testing.assert_allclose(to_numpy(got), _expected(case_ml), rtol=1e-5)


@pytest.mark.parametrize("case", _smp("MCCLoss"), ids=lambda c: str(c["expected"]))
def test_smp_mcc(case):
    # smp MCCLoss pools every pixel; the cases' two channels are symmetric, so the class mean
    # of per-channel MCCs equals it. Layout (N, C, HW) -> (N, HW, C).
    t = np.transpose(np.array(case["y_true"], "float32"), (0, 2, 1))
    p = np.transpose(np.array(case["y_pred"], "float32"), (0, 2, 1))
    got = seg.mcc_loss(t, p, mode="multilabel", eps=case["kwargs"]["eps"])
    # eps in every count moves a perfect MCC to 1 / (1 + eps): smp's own value is 1e-5 off
    np.testing.assert_allclose(to_numpy(got), [case["expected"]], rtol=1e-4, atol=2e-5)


# Source: keras-team/keras@3422977a5e keras/src/losses/losses_test.py, Dice with
# axis=[1, 2, 3] and reduction=None: the per-sample Dice, [0.5, 0.75757575].
def test_keras_per_sample_dice_case():
    case = next(
        c
        for c in OTHER
        if c.get("lib") == "keras" and c["loss"] == "Dice" and c["kwargs"].get("axis") == [1, 2, 3]
    )
    got = seg.DiceLoss(smooth=0.0, reduction=None)(
        np.array(case["y_true"], "float32"), np.array(case["y_pred"], "float32")
    )
    np.testing.assert_allclose(to_numpy(got), case["expected"], rtol=1e-5)
    # and the batch-pooled Keras default (docstring value 0.6164384) is per_sample=False
    pooled = next(
        c
        for c in OTHER
        if c.get("lib") == "keras" and c["loss"] == "Dice" and c["expected"] == 0.6164384
    )
    got = seg.dice_loss(
        np.array(pooled["y_true"], "float32"),
        np.array(pooled["y_pred"], "float32"),
        smooth=0.0,
        per_sample=False,
    )
    np.testing.assert_allclose(to_numpy(got), pooled["expected"], rtol=1e-5)


# ----------------------------------------------------------------- Lovász vs scikit-learn
def test_lovasz_hinge_equals_twice_jaccard_loss_for_unit_logits():
    # For logits x in {-1, +1} the hinge errors are 0 (right) or 2 (wrong), and the Lovász
    # extension of the Jaccard loss at 2 * 1_M is 2 * (1 - IoU) (Berman et al. 2018, homogeneity).
    from sklearn.metrics import jaccard_score

    rng = np.random.default_rng(0)
    t = (rng.uniform(size=(3, 6, 6, 1)) > 0.5).astype("float32")
    x = np.where(rng.uniform(size=t.shape) > 0.3, 2 * t - 1, 1 - 2 * t).astype("float32")
    got = to_numpy(seg.lovasz_hinge_loss(t, x))
    for i in range(3):
        iou = jaccard_score(t[i].ravel(), (x[i] > 0).ravel())
        np.testing.assert_allclose(got[i], 2 * (1 - iou), rtol=1e-5)


def test_lovasz_softmax_equals_mean_jaccard_loss_for_one_hot_predictions():
    from sklearn.metrics import jaccard_score

    rng = np.random.default_rng(1)
    t = rng.integers(0, 3, size=(2, 6, 6))
    guess = np.where(rng.uniform(size=t.shape) > 0.3, t, rng.integers(0, 3, size=t.shape))
    p = np.eye(3, dtype="float32")[guess]
    got = to_numpy(seg.lovasz_softmax_loss(t, p))
    for i in range(2):
        present = np.unique(t[i])
        ious = jaccard_score(t[i].ravel(), guess[i].ravel(), labels=present, average=None)
        np.testing.assert_allclose(got[i], np.mean(1 - ious), rtol=1e-5)


# ----------------------------------------------------------------- random masks vs oracles
def _masks(mode: str, logits: bool, seed: int = 0):
    from losslab.catalog import list_losses
    from losslab.catalog.inputs import generate

    list_losses()  # loads the entries, which register the generators
    return generate("segmentation_modes", 4, {"mode": mode, "from_logits": logits}, seed)


@pytest.mark.parametrize("mode", ["binary", "multilabel", "multiclass"])
def test_overlap_losses_match_oracles(mode):
    for logits in (False, True):
        y, p = _masks(mode, logits)
        for fn, oracle in [
            (seg.dice_loss, ref.dice),
            (seg.jaccard_loss, ref.jaccard),
            (seg.focal_tversky_loss, ref.focal_tversky),
            (seg.mcc_loss, ref.mcc),
        ]:
            for per_sample in (True, False) if not logits else (True,):
                kw = {"mode": mode, "from_logits": logits, "per_sample": per_sample}
                np.testing.assert_allclose(
                    to_numpy(fn(y, p, **kw)),
                    oracle(y, p, **kw),
                    rtol=1e-5,
                    atol=1e-6,
                    err_msg=f"{fn.__name__} {kw}",
                )


@pytest.mark.backends
def test_segmentation_losses_match_oracles_on_backend():
    y, p = _masks("multiclass", True, seed=5)
    np.testing.assert_allclose(
        to_numpy(seg.dice_loss(y, p, mode="multiclass", from_logits=True)),
        ref.dice(y, p, mode="multiclass", from_logits=True),
        rtol=1e-5,
        atol=1e-6,
    )
    np.testing.assert_allclose(
        to_numpy(seg.lovasz_softmax_loss(y, p, from_logits=True)),
        ref.lovasz_softmax(y, p, from_logits=True),
        rtol=1e-5,
        atol=1e-6,
    )
    yb, pb = _masks("multilabel", True, seed=6)
    np.testing.assert_allclose(
        to_numpy(seg.lovasz_hinge_loss(yb, pb)), ref.lovasz_hinge(yb, pb), rtol=1e-5, atol=1e-6
    )
    np.testing.assert_allclose(
        to_numpy(seg.focal_tversky_loss(yb, pb, mode="multilabel", from_logits=True, gamma=0.5)),
        ref.focal_tversky(yb, pb, mode="multilabel", from_logits=True, gamma=0.5),
        rtol=1e-5,
        atol=1e-6,
    )


def test_perfect_prediction_is_zero_with_finite_gradient():
    import jax

    t = (np.random.default_rng(2).uniform(size=(2, 6, 6, 1)) > 0.5).astype("float32")
    for fn in (seg.dice_loss, seg.jaccard_loss, seg.focal_tversky_loss):
        np.testing.assert_allclose(to_numpy(fn(t, t)), 0.0, atol=1e-6)
        g = jax.jit(jax.grad(lambda p, fn=fn: fn(t, p).sum()))(t)
        assert np.isfinite(np.asarray(g)).all(), fn.__name__


def test_mismatched_shapes_raise_data_error():
    with pytest.raises(DataError, match="C >= 2 class scores"):
        seg.dice_loss(np.zeros((2, 4, 4)), np.zeros((2, 4, 4, 1), "float32"), mode="multiclass")
    with pytest.raises(DataError, match="do not match"):
        seg.dice_loss(np.zeros((2, 4, 4, 3)), np.zeros((2, 4, 4, 2), "float32"), mode="multilabel")
