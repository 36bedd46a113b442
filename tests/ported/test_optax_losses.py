"""Optax's loss tests, ported as conformance tests of losslab's losses.

Source: google-deepmind/optax@2edbcbe2390da13983b92cbef94ac0460ecde1c5 (2026-08-07),
optax/losses/_classification_test.py, _regression_test.py, _segmentation_test.py and
_self_supervised_test.py; each test names its file and test class/method. Tolerances are the
source's (``np.testing.assert_allclose`` with its atol/rtol; numpy's default rtol=1e-7 where
the source gives none).

Conventions converted (never failed on):
- Optax takes ``(predictions, targets)`` and returns element-wise values; losslab (Keras)
  takes ``(y_true, y_pred)`` and averages the last axis. Element-wise values are compared
  through ``(..., 1)`` columns with ``reduction=None``.
- Optax's ``cosine_similarity`` is +cos; Keras's CosineSimilarity loss is -cos.
- Optax's binary hinge takes labels in {-1, 1}; Keras's Hinge maps {0, 1} to {-1, 1} itself,
  so the source's 0/1 labels are passed unchanged.
- ``sigmoid_focal_loss(alpha=a)`` weighs positives by a and negatives by 1 - a: losslab's
  binary focal loss with ``apply_class_balancing=True, alpha=a``; ``alpha=None`` is
  ``apply_class_balancing=False``.
- Binary ``sparsemax_loss(logit, label)`` is the two-class sparsemax loss on logits
  ``[0, logit]`` with a one-hot label (same value in all three regions of the reference).
- Optax's ``kl_divergence`` takes log-predictions: losslab gets ``exp(log_predictions)``.
- Optax's Dice coefficient ``(I + s) / (I + a (P - I) + b (T - I) + s)`` with a = b = 1/2 is
  ``(2I + 2s) / (P + T + 2s)``: losslab's soft Dice ``(2I + s') / (P + T + s')`` with
  s' = 2s; with a != b it is losslab's focal Tversky at gamma = 1 (same smoothing).
- ``ntxent(embeddings, labels)`` with labels [0, 0, 1, 1] is the SimCLR layout of losslab's
  nt_xent: the two views of each pair side by side, ``(2, 2d)``.
Not ported: masks / ``where`` / axis plumbing, CTC (alignment tests on ``optax.ctc_loss``
internals), the ntxent case with a group of three (no pair layout), generalized KL /
perceptron / safe softmax CE (not in losslab's catalog).
"""

from __future__ import annotations

import numpy as np
import pytest

import losslab
from tests.ported._helpers import gradient, loss_value

CLS = "optax/losses/_classification_test.py"
REG = "optax/losses/_regression_test.py"
SEG = "optax/losses/_segmentation_test.py"
SSL = "optax/losses/_self_supervised_test.py"


def col(x) -> np.ndarray:
    """Element-wise values through Keras's last-axis mean: one entry per sample."""
    return np.asarray(x)[..., None]


# ------------------------------------------------------------------ regression
SQ_YS, SQ_TS = np.array([-2.0, -1.0, 0.5, 1.0]), np.array([-1.5, 0.0, -1, 1.0])


def test_squared_error_batched() -> None:
    """_regression_test.py SquaredErrorTest.test_batched (and test_scalar: its first entry)."""
    got = loss_value("mse", col(SQ_TS), col(SQ_YS), reduction=None)
    np.testing.assert_allclose(got, (SQ_TS - SQ_YS) ** 2, rtol=1e-7)


def test_l2_loss_batched() -> None:
    """_regression_test.py L2LossTest.test_batched: Optax's l2_loss is 0.5 * squared error.
    Convention difference: losslab has no ``l2`` name (it was an alias of plain MSE, which
    would have disagreed with Optax by the factor 0.5); Optax's values are half of
    mean_squared_error's per-sample values, and the name ``l2`` is refused."""
    got = loss_value("mean_squared_error", col(SQ_TS), col(SQ_YS), reduction=None)
    np.testing.assert_allclose(0.5 * got, 0.5 * (SQ_TS - SQ_YS) ** 2, rtol=1e-7)
    with pytest.raises(losslab.UnknownLossError):
        losslab.get("l2")


def test_huber_loss_batched() -> None:
    """_regression_test.py HuberLossTest.test_batched (delta=1)."""
    ys = np.array([-2.0, 0.5, 0.0, 0.5, 2.0, 4.0, 132.0])
    ts = np.array([0.0, -0.5, 0.0, 1.0, 1.0, 2.0, 0.3])
    got = loss_value("huber", col(ts), col(ys), reduction=None, delta=1.0)
    np.testing.assert_allclose(got, [1.5, 0.5, 0.0, 0.125, 0.5, 1.5, 131.2], rtol=1e-7)


LC_YS, LC_TS = np.array([500, -2.0, -1.0, 0.5, 1.0]), np.array([-200, -1.5, 0.0, -1, 1.0])


def test_log_cosh_batched_large_values() -> None:
    """_regression_test.py LogCoshTest.test_batched ("Test large values for overflow")."""
    got = loss_value("log_cosh", col(LC_TS), col(LC_YS), reduction=None)
    np.testing.assert_allclose(got, [699.3068, 0.12011445, 0.4337809, 0.85544014, 0.0], atol=1e-5)


def test_log_cosh_predictions_only() -> None:
    """_regression_test.py LogCoshTest.test_batched_predictions_only: targets default to 0."""
    got = loss_value("log_cosh", col(np.zeros(5)), col(LC_YS), reduction=None)
    np.testing.assert_allclose(
        got, [499.30685, 1.3250027, 0.4337809, 0.12011451, 0.43378082], atol=1e-5
    )


def test_cosine_similarity_batched() -> None:
    """_regression_test.py CosineDistanceTest.test_batched_similarity: Optax's similarity is
    1 - distance; Keras's CosineSimilarity loss is its negative."""
    ys = np.array([[10.0, 1.0, -2.0], [1.0, 4.0, 0.2]], dtype=np.float32)
    ts = np.array([[0.0, 1.2, 0.2], [1.0, -0.3, 0.0]], dtype=np.float32)
    distance = np.array([0.9358251989, 1.0464068465])
    got = loss_value("cosine_similarity", ts, ys, reduction=None)
    np.testing.assert_allclose(got, -(1.0 - distance), atol=1e-4)


# ------------------------------------------------------------------ classification


def test_softmax_cross_entropy_batched() -> None:
    """_classification_test.py SoftmaxCrossEntropyTest.test_batched."""
    ys = np.array([[10.0, 1.0, -2.0], [1.0, 4.0, 0.2]], dtype=np.float32)
    ts = np.array([[0.0, 1.0, 0.0], [1.0, 0.0, 0.0]], dtype=np.float32)
    got = loss_value("cce", ts, ys, reduction=None, from_logits=True)
    np.testing.assert_allclose(got, [9.00013, 3.0696733], atol=1e-4)


SIGMOID_CE = [  # SigmoidCrossEntropyTest.test_sigmoid_cross_entropy parameters
    ([-1e09, -1e-09], [1.0, 0.0], 5e08),
    ([-1e09, -1e-09], [0.0, 1.0], 0.3465736),
    ([1e09, 1e-09], [1.0, 0.0], 0.3465736),
    ([1e09, 1e-09], [0.0, 1.0], 5e08),
    ([-1e09, 1e-09], [1.0, 0.0], 5e08),
    ([-1e09, 1e-09], [0.0, 1.0], 0.3465736),
    ([1e09, -1e-09], [1.0, 0.0], 0.3465736),
    ([1e09, -1e-09], [0.0, 1.0], 5e08),
    ([0.0, 0.0], [1.0, 0.0], 0.6931472),
    ([0.0, 0.0], [0.0, 1.0], 0.6931472),
]


@pytest.mark.parametrize(("preds", "labels", "expected"), SIGMOID_CE)
def test_sigmoid_binary_cross_entropy(preds, labels, expected) -> None:
    """_classification_test.py SigmoidCrossEntropyTest.test_sigmoid_cross_entropy: the mean
    of the two element-wise values (Keras's last-axis mean of one (1, 2) sample)."""
    got = loss_value("bce", np.array([labels]), np.array([preds]), from_logits=True)
    np.testing.assert_allclose(got, expected, rtol=1e-6, atol=1e-6)


def test_kl_divergence_batched() -> None:
    """_classification_test.py KLDivergenceTest.test_batched (log-predictions -> exp)."""
    log_ps = np.array(
        [
            [-2.9957, -3.5066, -3.9120, -1.2040, -0.6931, -2.3026],
            [-1.6094, -1.6094, -1.6094, -2.3026, -1.8971, -1.8971],
        ]
    )
    qs = np.array([[0.2, 0.2, 0.2, 0.1, 0.15, 0.15], [0.05, 0.03, 0.02, 0.3, 0.5, 0.0]])
    got = loss_value("kld", qs, np.exp(log_ps), reduction=None)
    np.testing.assert_allclose(got, [0.8875577, 0.7592807], atol=1e-4)


def _hinge_ref(label: float, logit: float) -> float:  # HingeTest.reference_impl
    return max(0.0, 1 - logit * (2.0 * label - 1.0))


def test_hinge_batched_binary() -> None:
    """_classification_test.py HingeTest.test_binary / test_batched_binary."""
    labels, scores = np.array([1.0, 0.0, 1.0]), np.array([10.0, 20.0, 10.0])
    got = loss_value("hinge", col(labels), col(scores), reduction=None)
    np.testing.assert_allclose(
        got, [_hinge_ref(a, b) for a, b in zip(labels, scores, strict=True)], atol=1e-4
    )


def test_multiclass_hinge_batched() -> None:
    """_classification_test.py HingeTest.test_multi_class / test_batched_multi_class:
    max_j(s_j + 1 - y_j) - s_label, which equals Keras's categorical hinge here."""
    labels, scores = np.array([1, 1, 0]), np.array([[10.0, 3.0], [10.0, 3.0], [11.0, -2.0]])
    expected = [
        np.max(s + 1.0 - np.eye(2)[lab]) - s[lab] for lab, s in zip(labels, scores, strict=True)
    ]
    got = loss_value("categorical_hinge", np.eye(2)[labels], scores, reduction=None)
    np.testing.assert_allclose(got, expected, atol=1e-4)


def _sparsemax_ref(label: int, logit: float) -> float:  # SparsemaxTest.reference_impl
    s = -(2 * label - 1) * logit
    return 0.0 if s <= -1.0 else (s if s >= 1.0 else (s + 1.0) ** 2 / 4)


def test_sparsemax_batched_binary() -> None:
    """_classification_test.py SparsemaxTest.test_binary / test_batched_binary (as two-class
    logits [0, logit]; the last two entries reach the quadratic middle region)."""
    labels, scores = np.array([1, 1, 0, 1]), np.array([10.0, 10.0, 20.0, 0.5])
    logits = np.stack([np.zeros_like(scores), scores], axis=-1)
    got = loss_value("sparsemax", np.eye(2)[labels], logits, reduction=None)
    np.testing.assert_allclose(
        got, [_sparsemax_ref(a, b) for a, b in zip(labels, scores, strict=True)], atol=1e-4
    )


def test_multiclass_sparsemax_zero_loss() -> None:
    """_classification_test.py SparsemaxTest.test_multi_class_zero_loss."""
    labels = np.array([1, 0, 2])
    scores = np.array([[0.0, 1e5, 0.0], [1e5, 0.0, 0.0], [0.0, 0.0, 1e5]])
    got = loss_value("sparsemax", np.eye(3)[labels], scores, reduction=None)
    np.testing.assert_allclose(got, [0.0, 0.0, 0.0], atol=1e-4)


FO_YS = np.array([[2.0, 0.1, -2.0], [0.3, -0.1, 1.2]], dtype=np.float32)
FO_TS = np.array([[0.0, 0.0, 1.0], [1.0, 0.0, 0.0]])
FO_RTOL = 2e-5  # SigmoidFocalLossTest._rtol on CPU


def _focal(ts, ys, gamma: float, alpha: float | None = None) -> np.ndarray:
    kw = {"apply_class_balancing": alpha is not None, "alpha": 0.25 if alpha is None else alpha}
    return loss_value(
        "binary_focal_crossentropy",
        col(ts),
        col(ys),
        reduction=None,
        from_logits=True,
        gamma=gamma,
        **kw,
    )


def _bce(ts, ys) -> np.ndarray:
    return loss_value("bce", col(ts), col(ys), reduction=None, from_logits=True)


def test_focal_equals_ce() -> None:
    """_classification_test.py SigmoidFocalLossTest.test_focal_equals_ce (gamma=0) and
    test_focal_gamma_zero_matches_binary_cross_entropy."""
    np.testing.assert_allclose(_focal(FO_TS, FO_YS, 0.0), _bce(FO_TS, FO_YS), rtol=FO_RTOL)
    logits = np.array([[-1.0, 0.0, 1.0], [2.0, -2.0, 0.5]])
    labels = np.array([[0.0, 1.0, 1.0], [1.0, 0.0, 0.0]])
    np.testing.assert_allclose(_focal(labels, logits, 0.0), _bce(labels, logits), rtol=FO_RTOL)


def test_focal_scale() -> None:
    """_classification_test.py SigmoidFocalLossTest.test_scale: focal / CE = (1 - p_t)^2."""
    p = 1 / (1 + np.exp(-FO_YS.astype(np.float64)))
    p_t = p * FO_TS + (1 - p) * (1 - FO_TS)
    np.testing.assert_allclose(
        _focal(FO_TS, FO_YS, 2.0) / _bce(FO_TS, FO_YS), (1 - p_t) ** 2, rtol=FO_RTOL
    )


def _logit(x: np.ndarray) -> np.ndarray:
    return np.log(x / (1.0 - x)).astype(np.float32)


def test_focal_large_and_small_logits() -> None:
    """_classification_test.py test_large_logit_fl_less_than_ce (gamma=2, alpha=0.5: ratio
    2 / (1 - p)^2) and test_small_logit_fl_less_than_ce (gamma=2, no alpha: 1 / (1 - p)^2)."""
    ones = np.ones(4)
    large = _logit(np.array([0.9, 0.98, 0.3, 0.99]))
    small = _logit(np.array([0.1, 0.02, 0.09, 0.15]))
    # the source's expected ratio is computed in float32 (jax.nn.sigmoid on float32 logits)
    sig = lambda z: (np.float32(1) / (np.float32(1) + np.exp(-z))).astype(np.float32)  # noqa: E731
    np.testing.assert_allclose(
        _bce(ones, large) / _focal(ones, large, 2.0, 0.5), 2.0 / (1 - sig(large)) ** 2, rtol=FO_RTOL
    )
    np.testing.assert_allclose(
        _bce(ones, small) / _focal(ones, small, 2.0), 1.0 / (1 - sig(small)) ** 2, rtol=FO_RTOL
    )


def test_focal_alpha_one_and_ignored_classes() -> None:
    """_classification_test.py test_alpha_one (gamma=0, alpha=1: CE * labels),
    test_ignore_positive (alpha=0) and test_ignore_negative (alpha=1), gamma=2."""
    np.testing.assert_allclose(
        _focal(FO_TS, FO_YS, 0.0, 1.0), _bce(FO_TS, FO_YS) * FO_TS, rtol=FO_RTOL
    )
    ce = _bce(FO_TS, FO_YS)
    assert np.all(ce[FO_TS == 1] > 0) and np.all(_focal(FO_TS, FO_YS, 2.0, 0.0)[FO_TS == 1] == 0)
    assert np.all(ce[FO_TS == 0] > 0) and np.all(_focal(FO_TS, FO_YS, 2.0, 1.0)[FO_TS == 0] == 0)


def test_focal_extreme_logits_finite_gradients() -> None:
    """_classification_test.py SigmoidFocalLossTest.test_extreme_logits_finite_gradients:
    logits of +/-50..100 with soft labels and gamma=0.5 give a finite loss and gradient.
    Known defect on this branch."""
    logits = np.array([100.0, -100.0, 75.0, -75.0, 50.0, -50.0])
    labels = np.array([0.9, 0.1, 0.8, 0.2, 1.0, 0.0])
    value, grad = gradient(
        "binary_focal_crossentropy", col(labels), col(logits), from_logits=True, gamma=0.5
    )
    assert np.isfinite(value), value
    assert np.all(np.isfinite(grad)), grad


# ------------------------------------------------------------------ segmentation
DICE_T = np.array([[[1.0, 0.0, 1.0], [0.0, 1.0, 0.0], [1.0, 1.0, 0.0]]])[..., None]  # (1, 3, 3, 1)


def test_dice_perfect_and_no_overlap_binary() -> None:
    """_segmentation_test.py DiceLossTest.test_perfect_overlap_binary (< 0.01) and
    test_no_overlap_binary (> 0.7), logits +/-10, smooth=1 (losslab smooth=2, see above)."""
    kw = {"mode": "binary", "from_logits": True, "smooth": 2.0}
    perfect = loss_value(
        "soft_dice", DICE_T, np.where(DICE_T > 0, 10.0, -10.0), reduction=None, **kw
    )
    wrong = loss_value("soft_dice", DICE_T, np.where(DICE_T > 0, -10.0, 10.0), reduction=None, **kw)
    assert np.mean(perfect) < 0.01 and np.mean(wrong) > 0.7


def test_dice_perfect_overlap_multiclass() -> None:
    """_segmentation_test.py DiceLossTest.test_perfect_overlap_multiclass (softmax logits)."""
    labels = np.array([[0, 1, 2], [1, 0, 2], [2, 2, 1]])
    targets = np.eye(3)[labels][None]
    got = loss_value(
        "soft_dice",
        labels[None],
        np.where(targets > 0, 10.0, -10.0),
        reduction=None,
        mode="multiclass",
        from_logits=True,
        smooth=2.0,
    )
    assert np.mean(got) < 0.01


def test_dice_numerical_stability() -> None:
    """_segmentation_test.py DiceLossTest.test_numerical_stability: logits of +/-100."""
    ones = np.ones((1, 4, 4, 1))
    for v in (100.0, -100.0):
        got = loss_value(
            "soft_dice",
            ones,
            np.full((1, 4, 4, 1), v),
            reduction=None,
            mode="binary",
            from_logits=True,
        )
        assert np.all(np.isfinite(got))


PROBS = np.array([[[0.1, 0.9], [0.8, 0.2]]])  # (1, 2 pixels, 2 classes)
TGTS = np.array([[[0.0, 1.0], [1.0, 0.0]]])


def _optax_dice(alpha: float, beta: float, smooth: float = 1.0) -> np.ndarray:
    """The test's own manual calculation (test_dice_loss_weighting_parameters)."""
    inter = np.sum(PROBS * TGTS, axis=1)
    coeff = (inter + smooth) / (
        inter + alpha * (PROBS.sum(1) - inter) + beta * (TGTS.sum(1) - inter) + smooth
    )
    return np.mean(1.0 - coeff, axis=-1)


def test_dice_weighting_parameters() -> None:
    """_segmentation_test.py DiceLossTest.test_dice_loss_weighting_parameters (multi-hot
    masks (1, 2, 2): losslab's multilabel mode, channels last)."""
    tversky = loss_value(
        "focal_tversky",
        TGTS,
        PROBS,
        reduction=None,
        mode="multilabel",
        alpha=0.3,
        beta=0.7,
        gamma=1.0,
        smooth=1.0,
    )
    np.testing.assert_allclose(tversky, _optax_dice(0.3, 0.7), rtol=1e-6)
    dice = loss_value("soft_dice", TGTS, PROBS, reduction=None, mode="multilabel", smooth=2.0)
    np.testing.assert_allclose(dice, _optax_dice(0.5, 0.5), rtol=1e-6)


# ------------------------------------------------------------------ self-supervised
NT_YS = np.array([[-1.9540, 1.0780], [0.2380, -0.5703], [1.8745, -0.0195], [-0.6719, -1.9210]])


@pytest.mark.parametrize(("first", "expected"), [(NT_YS[0], 14.01032), (np.zeros(2), 9.2889)])
def test_ntxent_pairs(first: np.ndarray, expected: float) -> None:
    """_self_supervised_test.py NtxentTest.test_batched, labels [0, 0, 1, 1] (exp_1, and
    exp_3 with a zero first embedding), temperature 0.07 (Optax's default)."""
    ys = NT_YS.copy()
    ys[0] = first
    pairs = np.concatenate([ys[0::2], ys[1::2]], axis=1)  # (2, 4): views of pair 0, pair 1
    got = loss_value("nt_xent", np.zeros(2), pairs, temperature=0.07)
    np.testing.assert_allclose(got, expected, atol=1e-4)
