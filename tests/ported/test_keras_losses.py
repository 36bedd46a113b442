"""Keras's own loss tests, ported as conformance tests of losslab's losses.

Source: keras-team/keras@3422977a5e38fb2f7709aaa9a08e47f0c43d0f60 (master, 2026-08-21),
keras/src/losses/losses_test.py; every case names its line and test method. Keras's
``assertAlmostEqual`` is numpy's ``assert_almost_equal`` with ``decimal=3`` by default,
its ``assertAllClose`` ``atol=rtol=1e-6`` (keras/src/testing/test_case.py).

Skipped because an existing test already asserts them on losslab's losses
(tests/catalog/test_keras_reference_cases.py): every case of
shared/reference-cases/keras_loss_cases.json (Keras 3.15.1, same inputs and values on master)
and the Keras master cases of other_loss_cases.json (Dice, Tversky, Circle class form, the
first GCE case). Not ported: test_config / test_dtype_arg / shape-error and warning tests
(they test Keras's class plumbing, not values).
"""

from __future__ import annotations

import numpy as np
import pytest

from tests.ported._cases import Case
from tests.ported._helpers import assert_allclose, loss_value, reference_values

F = "keras/src/losses/losses_test.py"
T23 = np.array([[1, 9, 2], [-5, -2, 6]])  # the regression tests' y_true
P23 = np.array([[4, 8, 12], [8, 1, 3]], dtype="float32")  # and y_pred
ALL_OK = np.array([[4, 8, 12], [8, 1, 3]])
T231, P231 = T23.reshape(2, 3, 1), P23.reshape(2, 3, 1)  # timestep tests
W_TS = np.array([3, 6, 5, 0, 4, 2]).reshape((2, 3))
W_COL = np.array([[1.2], [3.4]])
H_T, H_P = np.array([[0.0, 1.0], [0.0, 0.0]]), np.array([[0.6, 0.4], [0.4, 0.6]])
EYE3 = np.eye(3)
CCE_P = np.array([[0.9, 0.05, 0.05], [0.5, 0.89, 0.6], [0.05, 0.01, 0.94]], dtype="float32")
CCE_L = np.array([[8.0, 1.0, 1.0], [0.0, 9.0, 1.0], [2.0, 3.0, 5.0]])


def _l2_norm(x: np.ndarray, axis: int) -> np.ndarray:  # CosineSimilarityTest.l2_norm
    return x / np.sqrt(np.maximum(np.sum(np.square(x), axis=axis, keepdims=True), 1e-12))


_COS = np.sum(_l2_norm(T23.astype("float32"), 1) * _l2_norm(P23, 1), axis=1)
_COS_TS = np.sum(_l2_norm(T231.astype("float32"), 2) * _l2_norm(P231, 2), axis=2)


def _huber(
    yt: np.ndarray, yp: np.ndarray, delta: float = 1.0
) -> np.ndarray:  # HuberLossTest.huber_loss
    a = np.abs(yp - yt)
    q = np.minimum(a, delta)
    return 0.5 * q * q + delta * (a - q)


HU_P, HU_T = (
    np.array([[0.9, 0.2, 0.2], [0.8, 0.4, 0.6]]),
    np.array([[1.0, 0.0, 1.0], [1.0, 0.0, 0.0]]),
)
_LC = lambda e: np.log((np.exp(e) + np.exp(-e)) / 2)  # noqa: E731  LogCoshTest.setup
KL_P = np.asarray([0.4, 0.9, 0.12, 0.36, 0.3, 0.4], dtype=np.float32).reshape((2, 3))
KL_T = np.asarray([0.5, 0.8, 0.12, 0.7, 0.43, 0.8], dtype=np.float32).reshape((2, 3))
PO_P = np.asarray([1, 9, 2, 5, 2, 6], dtype=np.float32).reshape((2, 3))
PO_T = np.asarray([4, 8, 12, 8, 1, 3], dtype=np.float32).reshape((2, 3))

# segmentation tests of SparseCategoricalCrossentropy / GCE: 4x4 labels, one-hot scores
SEG_T2 = np.array([[0, 1, 1, 0], [1, 0, 1, 0], [0, 0, 1, 1], [1, 1, 0, 1]])
SEG_P2 = np.eye(2)[SEG_T2]
SEG_P2_ERR = SEG_P2.copy()
SEG_P2_ERR[0, 3] = [0.2, 0.8]
SEG_P2_ERR[3, 3] = [0.6, 0.4]
SEG_T3 = np.array([[0, 1, 2, 0], [1, 0, 1, 0], [0, 0, 1, 1], [1, 1, 0, 1]])
SEG_P3 = np.eye(3)[SEG_T3]
SEG_P3_ERR = SEG_P3.copy()  # test_multi_class_segmentation (SparseCategoricalCrossentropy)
SEG_P3_ERR[0, 3] = [0.2, 0.0, 0.8]
SEG_P3_ERR[1, 0] = [0.7, 0.3, 0.0]
SEG_P3_ERR[3, 2] = [0.5, 0.5, 0.0]
SEG_P3_GCE = SEG_P3_ERR.copy()  # the GCE test has [1, 0, 0] at [1, 0] (true class 1: p = 0)
SEG_P3_GCE[1, 0] = [1.0, 0.0, 0.0]

# Circle test set-up (CircleTest.setup)
CI_T = np.array([1, 1, 2, 2, 3])
CI_P = np.array(
    [
        [0.70014004, -0.42008403, 0.14002801, 0.56011203],
        [0.17609018, 0.70436073, -0.52827054, 0.44022545],
        [-0.34050261, 0.25537696, -0.68100522, 0.59587957],
        [0.32163376, -0.75047877, 0.53605627, -0.21442251],
        [0.51261459, -0.34174306, 0.17087153, 0.76892189],
    ]
)
CI_REF_T = np.array([1, 1, 2, 2, 3, 4])
CI_REF_P = np.array(
    [
        [0.40824829, -0.54433105, 0.27216553, 0.68041382],
        [0.76376261, 0.10910895, -0.54554473, 0.32732684],
        [-0.74420841, 0.24806947, 0.49613894, -0.3721042],
        [0.52981294, -0.13245324, 0.79471941, -0.26490647],
        [0.54554473, -0.32732684, 0.10910895, 0.76376261],
        [-0.27216553, 0.68041382, 0.40824829, -0.54433105],
    ]
)

# label smoothing along a non-last class axis: (batch, classes, spatial)
AX_T = np.array([[[1, 0], [0, 1], [0, 0]], [[0, 1], [1, 0], [0, 0]]], dtype="float32")
AX_P = np.array(
    [[[0.8, 0.1], [0.1, 0.8], [0.1, 0.1]], [[0.1, 0.8], [0.8, 0.1], [0.1, 0.1]]], dtype="float32"
)
_AX_SMOOTH = AX_T * 0.9 + 0.1 / 3
AX_CCE = float(np.mean(-np.sum(_AX_SMOOTH * np.log(AX_P), axis=1)))  # 0.361773
AX_FOCAL = float(
    np.mean(np.sum(0.25 * (1 - AX_P) ** 2 * -_AX_SMOOTH * np.log(AX_P), axis=1))
)  # 0.03316757

_GCE = lambda ps, q: float(np.mean([(1 - p**q) / q for p in ps]))  # noqa: E731
# losslab clips the true class's probability at eps = 1e-7 before p**q (docs/catalog.md:
# Keras's unclipped p**q has an infinite gradient at p = 0). Keras's test expects
# (1 - 0**0.5)/0.5 for a pixel whose true class has p = 0: the same formula with p = 1e-7.
_EPS = 1e-7


def _c(line: int, test: str, loss: str, yt, yp, expected, **kw) -> Case:
    return Case(f"{F}#L{line} {test}", loss, yt, yp, expected, **kw)


# fmt: off
CASES: list[Case] = [
    # MeanSquaredErrorTest
    _c(23, "MeanSquaredErrorTest.test_all_correct_unweighted", "mse", ALL_OK, ALL_OK, 0.0, decimal=3),
    _c(63, "MeanSquaredErrorTest.test_zero_weighted", "mse", T23, P23, 0.0, sample_weight=0, decimal=3),
    # MeanAbsoluteErrorTest
    _c(108, "MeanAbsoluteErrorTest.test_all_correct_unweighted", "mae", ALL_OK, ALL_OK, 0.0, decimal=3),
    _c(136, "MeanAbsoluteErrorTest.test_timestep_weighted", "mae", T231, P231, 13.833333, sample_weight=W_TS, decimal=3),
    _c(148, "MeanAbsoluteErrorTest.test_zero_weighted", "mae", T23, P23, 0.0, sample_weight=0, decimal=3),
    _c(169, "MeanAbsoluteErrorTest.test_mean_with_sample_weight_reduction", "mae", T23, P23,
       (14 / 3 * 1.2 + 19 / 3 * 3.4) / (1.2 + 3.4), sample_weight=W_COL, reduction="mean_with_sample_weight", decimal=3),
    # MeanAbsolutePercentageErrorTest
    _c(193, "MeanAbsolutePercentageErrorTest.test_all_correct_unweighted", "mape", ALL_OK, ALL_OK, 0.0, decimal=3),
    _c(206, "MeanAbsolutePercentageErrorTest.test_scalar_weighted", "mape", T23, P23, 487.259, sample_weight=2.3, decimal=3),
    _c(213, "MeanAbsolutePercentageErrorTest.test_sample_weighted", "mape", T23, P23, 422.8888, sample_weight=W_COL, decimal=3),
    _c(221, "MeanAbsolutePercentageErrorTest.test_timestep_weighted", "mape", T231, P231, 694.4444, sample_weight=W_TS, decimal=3),
    _c(233, "MeanAbsolutePercentageErrorTest.test_zero_weighted", "mape", T23, P23, 0.0, sample_weight=0, decimal=3),
    _c(240, "MeanAbsolutePercentageErrorTest.test_no_reduction", "mape", T23, P23, [621.8518, 352.6666],
       sample_weight=2.3, reduction=None, decimal=3),
    _c(247, "MeanAbsolutePercentageErrorTest.test_mean_with_sample_weight_reduction", "mape", T23, P23, 183.865,
       sample_weight=W_COL, reduction="mean_with_sample_weight", decimal=3),
    # MeanSquaredLogarithmicErrorTest
    _c(278, "MeanSquaredLogarithmicErrorTest.test_scalar_weighted", "msle", T23, P23, 3.3051, sample_weight=2.3, decimal=3),
    _c(285, "MeanSquaredLogarithmicErrorTest.test_sample_weighted", "msle", T23, P23, 3.7856, sample_weight=W_COL, decimal=3),
    _c(293, "MeanSquaredLogarithmicErrorTest.test_timestep_weighted", "msle", T231, P231, 2.647374, sample_weight=W_TS, decimal=3),
    _c(305, "MeanSquaredLogarithmicErrorTest.test_zero_weighted", "msle", T23, P23, 0.0, sample_weight=0, decimal=3),
    _c(312, "MeanSquaredLogarithmicErrorTest.test_mean_with_sample_weight_reduction", "msle", T23, P23, 1.646,
       sample_weight=W_COL, reduction="mean_with_sample_weight", decimal=3),
    # HingeTest (test_unweighted and the first part of test_weighted are reference cases)
    _c(354, "HingeTest.test_weighted", "hinge", H_T, H_P, 1.1, sample_weight=[1, 0], reduction="sum", decimal=3),
    _c(354, "HingeTest.test_weighted", "hinge", H_T, H_P, [1.1, 0.0], sample_weight=[1, 0], reduction=None, decimal=3),
    _c(374, "HingeTest.test_zero_weighted", "hinge", H_T, H_P, 0.0, sample_weight=0.0, atol=0.0, rtol=0.0),
    # SquaredHingeTest
    _c(392, "SquaredHingeTest.test_unweighted", "squared_hinge", H_T, H_P, 1.86, decimal=3),
    _c(392, "SquaredHingeTest.test_unweighted", "squared_hinge", H_T, H_P, 3.72, reduction="sum", decimal=3),
    _c(392, "SquaredHingeTest.test_unweighted", "squared_hinge", H_T, H_P, [1.46, 2.26], reduction=None),
    _c(415, "SquaredHingeTest.test_weighted", "squared_hinge", H_T, H_P, 0.73, sample_weight=[1, 0], decimal=3),
    _c(415, "SquaredHingeTest.test_weighted", "squared_hinge", H_T, H_P, 1.46, sample_weight=[1, 0], reduction="sum", decimal=3),
    _c(415, "SquaredHingeTest.test_weighted", "squared_hinge", H_T, H_P, [1.46, 0.0], sample_weight=[1, 0], reduction=None, decimal=3),
    _c(435, "SquaredHingeTest.test_zero_weighted", "squared_hinge", H_T, H_P, 0.0, sample_weight=0.0, atol=0.0, rtol=0.0),
    # CategoricalHingeTest
    _c(453, "CategoricalHingeTest.test_unweighted", "categorical_hinge", H_T, H_P, 1.4, decimal=3),
    _c(453, "CategoricalHingeTest.test_unweighted", "categorical_hinge", H_T, H_P, 2.8, reduction="sum", decimal=3),
    _c(453, "CategoricalHingeTest.test_unweighted", "categorical_hinge", H_T, H_P, [1.2, 1.6], reduction=None),
    _c(476, "CategoricalHingeTest.test_weighted", "categorical_hinge", H_T, H_P, 0.6, sample_weight=[1, 0], decimal=3),
    _c(476, "CategoricalHingeTest.test_weighted", "categorical_hinge", H_T, H_P, 1.2, sample_weight=[1, 0], reduction="sum", decimal=3),
    _c(476, "CategoricalHingeTest.test_weighted", "categorical_hinge", H_T, H_P, [1.2, 0.0], sample_weight=[1, 0], reduction=None, decimal=3),
    _c(496, "CategoricalHingeTest.test_zero_weighted", "categorical_hinge", H_T, H_P, 0.0, sample_weight=0.0, atol=0.0, rtol=0.0),
    # CosineSimilarityTest (expected values: the test's NumPy formula, setup(axis=1))
    _c(543, "CosineSimilarityTest.test_unweighted", "cosine_similarity", T23, P23, -np.mean(_COS), decimal=3),
    _c(550, "CosineSimilarityTest.test_scalar_weighted", "cosine_similarity", T23, P23, -np.mean(_COS * 2.3), sample_weight=2.3, decimal=3),
    _c(558, "CosineSimilarityTest.test_sample_weighted", "cosine_similarity", T23, P23,
       -np.mean(_COS * np.asarray([1.2, 3.4])), sample_weight=np.asarray([1.2, 3.4]), decimal=3),
    _c(566, "CosineSimilarityTest.test_timestep_weighted", "cosine_similarity", T231.astype("float32"), P231,
       -np.mean(_COS_TS * W_TS), sample_weight=W_TS, decimal=3),
    _c(584, "CosineSimilarityTest.test_zero_weighted", "cosine_similarity", T23, P23, 0.0, sample_weight=0, decimal=3),
    _c(590, "CosineSimilarityTest.test_axis", "cosine_similarity", T23, P23, -np.mean(_COS), params={"axis": 1}, decimal=3),
    # HuberLossTest
    _c(638, "HuberLossTest.test_all_correct", "huber", HU_T, HU_T, 0.0, decimal=3),
    _c(678, "HuberLossTest.test_timestep_weighted", "huber", HU_T.reshape(2, 3, 1), HU_P.reshape(2, 3, 1),
       np.sum(_huber(HU_T, HU_P).reshape(2, 3, 1) * W_TS.reshape(2, 3, 1)) / 6, sample_weight=W_TS.reshape(2, 3, 1), decimal=3),
    _c(695, "HuberLossTest.test_zero_weighted", "huber", HU_T, HU_P, 0.0, sample_weight=0, decimal=3),
    # LogCoshTest
    _c(765, "LogCoshTest.test_sample_weighted", "log_cosh", T23, P23,
       np.sum(_LC(P23 - T23) * np.asarray([[1.2] * 3, [3.4] * 3])) / 6, sample_weight=np.asarray([1.2, 3.4]), decimal=3),
    _c(781, "LogCoshTest.test_timestep_weighted", "log_cosh", T231, P231,
       np.sum(_LC(P231 - T231) * W_TS.reshape(2, 3, 1)) / 6, sample_weight=W_TS.reshape(2, 3, 1), decimal=3),
    _c(800, "LogCoshTest.test_zero_weighted", "log_cosh", T23, P23, 0.0, sample_weight=0, decimal=3),
    # KLDivergenceTest
    _c(858, "KLDivergenceTest.test_sample_weighted", "kl_divergence", KL_T, KL_P,
       np.sum(KL_T * np.log(KL_T / KL_P) * np.asarray([[1.2] * 3, [3.4] * 3])) / 2, sample_weight=W_COL, decimal=3),
    _c(873, "KLDivergenceTest.test_timestep_weighted", "kl_divergence", KL_T.reshape(2, 3, 1), KL_P.reshape(2, 3, 1),
       np.sum(np.sum(KL_T.reshape(2, 3, 1) * np.log(KL_T / KL_P).reshape(2, 3, 1), axis=-1) * W_TS) / 6,
       sample_weight=W_TS, decimal=3),
    _c(890, "KLDivergenceTest.test_zero_weighted", "kl_divergence", KL_T, KL_P, 0.0, sample_weight=0, decimal=3),
    # PoissonTest
    _c(930, "PoissonTest.test_scalar_weighted", "poisson", PO_T, PO_P, 2.3 * np.sum(PO_P - PO_T * np.log(PO_P)) / 6,
       sample_weight=2.3, decimal=3),
    _c(965, "PoissonTest.test_timestep_weighted", "poisson", PO_T.reshape(2, 3, 1), PO_P.reshape(2, 3, 1),
       np.sum((PO_P - PO_T * np.log(PO_P)) * W_TS) / 6, sample_weight=W_TS, decimal=3),
    _c(983, "PoissonTest.test_zero_weighted", "poisson", PO_T, PO_P, 0.0, sample_weight=0, decimal=3),
    # BinaryCrossentropyTest
    _c(1002, "BinaryCrossentropyTest.test_all_correct_unweighted", "bce", EYE3.astype("float32"), EYE3, 0.0, decimal=3),
    _c(1002, "BinaryCrossentropyTest.test_all_correct_unweighted", "bce", EYE3.astype("float32"), 20 * EYE3 - 10, 0.0,
       params={"from_logits": True}, decimal=3),
    # CategoricalCrossentropyTest
    _c(1119, "CategoricalCrossentropyTest.test_all_correct_unweighted", "cce", EYE3.astype("int64"), EYE3, 0.0, decimal=3),
    _c(1119, "CategoricalCrossentropyTest.test_all_correct_unweighted", "cce", EYE3.astype("int64"), 10 * EYE3, 0.0,
       params={"from_logits": True}, decimal=3),
    _c(1237, "CategoricalCrossentropyTest.test_label_smoothing_ndarray", "cce", np.asarray([[1, 0, 0]]),
       np.asarray([[100.0, -100.0, -100.0]]), 400.0 * 0.1 / 3.0, params={"from_logits": True, "label_smoothing": 0.1}, decimal=3),
    # known defect on this branch: label smoothing counts classes along the last axis
    _c(1248, "CategoricalCrossentropyTest.test_label_smoothing_with_axis", "cce", AX_T, AX_P, AX_CCE,
       params={"label_smoothing": 0.1, "axis": 1}, decimal=5),
    # SparseCategoricalCrossentropyTest
    _c(1312, "SparseCategoricalCrossentropyTest.test_all_correct_unweighted", "scce", np.array([[0], [1], [2]]), EYE3, 0.0, decimal=3),
    _c(1312, "SparseCategoricalCrossentropyTest.test_all_correct_unweighted", "scce", np.array([[0], [1], [2]]), 10 * EYE3, 0.0,
       params={"from_logits": True}, decimal=3),
    _c(1405, "SparseCategoricalCrossentropyTest.test_binary_segmentation", "scce", SEG_T2, SEG_P2, 0.0),
    _c(1405, "SparseCategoricalCrossentropyTest.test_binary_segmentation", "scce", SEG_T2, SEG_P2_ERR,
       (-np.log(0.2) - np.log(0.4)) / 16.0),
    # test_*_different_axis: on JAX/TF Keras rejects axis=0; the asserted values are the torch
    # branch's. losslab moves the class axis last on every backend (docs/catalog.md), so
    # they are asserted on every backend here.
    _c(1435, "SparseCategoricalCrossentropyTest.test_binary_segmentation_different_axis", "scce", SEG_T2,
       np.moveaxis(SEG_P2, 2, 0), 0.0, params={"axis": 0}),
    _c(1435, "SparseCategoricalCrossentropyTest.test_binary_segmentation_different_axis", "scce", SEG_T2,
       np.moveaxis(SEG_P2_ERR, 2, 0), (-np.log(0.2) - np.log(0.4)) / 16.0, params={"axis": 0}),
    _c(1435, "SparseCategoricalCrossentropyTest.test_binary_segmentation_different_axis", "scce", np.array([SEG_T2] * 3),
       np.array([np.moveaxis(SEG_P2_ERR, 2, 0)] * 3), (-np.log(0.2) - np.log(0.4)) / 16.0, params={"axis": 1}),
    _c(1515, "SparseCategoricalCrossentropyTest.test_multi_class_segmentation", "scce", SEG_T3, SEG_P3, 0.0),
    _c(1515, "SparseCategoricalCrossentropyTest.test_multi_class_segmentation", "scce", SEG_T3, SEG_P3_ERR,
       (-np.log(0.2) - np.log(0.3) - np.log(0.5)) / 16.0),
    _c(1591, "SparseCategoricalCrossentropyTest.test_multi_class_segmentation_different_axis", "scce", SEG_T3,
       np.moveaxis(SEG_P3, 2, 0), 0.0, params={"axis": 0}),
    _c(1591, "SparseCategoricalCrossentropyTest.test_multi_class_segmentation_different_axis", "scce", SEG_T3,
       np.moveaxis(SEG_P3_ERR, 2, 0), (-np.log(0.2) - np.log(0.3) - np.log(0.5)) / 16.0, params={"axis": 0}),
    _c(1591, "SparseCategoricalCrossentropyTest.test_multi_class_segmentation_different_axis", "scce", np.array([SEG_T3] * 3),
       np.array([np.moveaxis(SEG_P3_ERR, 2, 0)] * 3), (-np.log(0.2) - np.log(0.3) - np.log(0.5)) / 16.0, params={"axis": 1}),
    # BinaryFocalCrossentropyTest
    _c(1723, "BinaryFocalCrossentropyTest.test_all_correct_unweighted", "binary_focal_crossentropy", EYE3.astype("float32"),
       EYE3, 0.0, params={"gamma": 1.5}, decimal=3),
    _c(1723, "BinaryFocalCrossentropyTest.test_all_correct_unweighted", "binary_focal_crossentropy", EYE3.astype("float32"),
       200 * EYE3 - 100, 0.0, params={"gamma": 2.0, "from_logits": True}, decimal=3),
    # CategoricalFocalCrossentropyTest
    _c(1829, "CategoricalFocalCrossentropyTest.test_all_correct_unweighted", "categorical_focal", EYE3.astype("int64"), EYE3,
       0.0, params={"alpha": 0.25, "gamma": 2.0}, decimal=3),
    _c(1829, "CategoricalFocalCrossentropyTest.test_all_correct_unweighted", "categorical_focal", EYE3.astype("int64"),
       10 * EYE3, 0.0, params={"from_logits": True}, decimal=3),
    _c(1910, "CategoricalFocalCrossentropyTest.test_sample_weighted", "categorical_focal", EYE3, CCE_L, 0.001933,
       params={"from_logits": True}, sample_weight=np.array([[1.2], [3.4], [5.6]]), decimal=3),
    # known defect on this branch (same as CCE above)
    _c(1949, "CategoricalFocalCrossentropyTest.test_label_smoothing_with_axis", "categorical_focal", AX_T, AX_P, AX_FOCAL,
       params={"label_smoothing": 0.1, "axis": 1}, decimal=5),
    # CircleTest (class form, ref_labels == y_true)
    _c(2181, "CircleTest.test_no_reduction", "circle", CI_REF_T, CI_REF_P, [82.9116, 36.7942, 92.4590, 52.6798, 0.0, 0.0],
       params={"gamma": 80.0, "margin": 0.4}, reduction=None, atol=1e-4, rtol=1e-6),
    # CategoricalGeneralizedCrossEntropyTest (q=0.5 binary is a reference case)
    _c(2227, "CategoricalGeneralizedCrossEntropyTest.test_basic_correctness_for_binary", "gce", np.array([0, 1, 0, 1]),
       np.array([[0.7, 0.3], [0.2, 0.8], [0.6, 0.4], [0.4, 0.6]]), _GCE([0.7, 0.8, 0.6, 0.6], 0.8), params={"q": 0.8}),
    _c(2260, "CategoricalGeneralizedCrossEntropyTest.test_basic_correctness_for_multi_class", "gce", np.array([0, 1, 0, 1]),
       np.array([[0.7, 0.3, 0.0], [0.2, 0.2, 0.6], [0.6, 0.4, 0.0], [0.2, 0.2, 0.6]]), _GCE([0.7, 0.2, 0.6, 0.2], 0.5)),
    _c(2260, "CategoricalGeneralizedCrossEntropyTest.test_basic_correctness_for_multi_class", "gce", np.array([0, 1, 0, 1]),
       np.array([[0.7, 0.3, 0.0], [0.2, 0.2, 0.6], [0.6, 0.4, 0.0], [0.2, 0.2, 0.6]]), _GCE([0.7, 0.2, 0.6, 0.2], 0.8),
       params={"q": 0.8}),
    # segmentation: a true class with probability exactly 1 gives (1 - 1**q)/q = 0
    _c(2295, "CategoricalGeneralizedCrossEntropyTest.test_binary_segmentation", "gce", SEG_T2, SEG_P2, 0.0, params={"q": 0.5}),
    _c(2295, "CategoricalGeneralizedCrossEntropyTest.test_binary_segmentation", "gce", SEG_T2, SEG_P2_ERR,
       ((1 - 0.2**0.5) / 0.5 + (1 - 0.4**0.5) / 0.5) / 16.0, params={"q": 0.5}),
    _c(2334, "CategoricalGeneralizedCrossEntropyTest.test_multi_class_segmentation", "gce", SEG_T3, SEG_P3, 0.0, params={"q": 0.5}),
    # Convention difference: Keras clips p at 1e-7 inside the value, so its p = 0 term is
    # (1 - 1e-7**0.5) / 0.5; losslab keeps the formula's value there, (1 - 0) / 0.5 = 2 (the
    # clip moved GCE visibly at small q: 8.005 instead of 10 for q = 0.1, p = 0).
    _c(2334, "CategoricalGeneralizedCrossEntropyTest.test_multi_class_segmentation", "gce", SEG_T3, SEG_P3_GCE,
       ((1 - 0.2**0.5) / 0.5 + (1 - 0.0**0.5) / 0.5 + (1 - 0.5**0.5) / 0.5) / 16.0, params={"q": 0.5}),
]
# fmt: on


@pytest.mark.parametrize("case", CASES, ids=[f"{i}-{c.id}" for i, c in enumerate(CASES)])
def test_keras_case(case: Case) -> None:
    case.run()


def test_circle_function_with_reference_embeddings() -> None:
    """keras/src/losses/losses_test.py#L2145 CircleTest.test_correctness (third part): the
    function form ``circle(y_true, y_pred, ref_labels=..., ref_embeddings=...,
    remove_diagonal=False)``; per-sample values, so through ``spec.reference_values``.
    Known defect on this branch."""
    got = reference_values(
        "circle",
        CI_T,
        CI_P,
        ref_labels=CI_REF_T,
        ref_embeddings=CI_REF_P,
        gamma=80.0,
        margin=0.4,
        remove_diagonal=False,
    )
    assert_allclose(got, (61.5844, 94.3465, 276.9344, 90.9873, 48.8963), atol=1e-6, rtol=1e-6)


@pytest.mark.parametrize("q", [1e-2, 1e-3, 1e-4])
def test_gce_small_q_follows_its_formula_and_tends_to_cross_entropy(q: float) -> None:
    """keras/src/losses/losses.py CategoricalGeneralizedCrossEntropy docstring (same commit):
    ``loss = (1 - p**q) / q`` with p the true class's probability, and "As `q` approaches 0:
    Behaves more like cross entropy". The inputs are test_basic_correctness_for_binary's
    (L2227); the formula is evaluated in float64 (1e-5 relative: float32 inputs), and
    |GCE - CE| <= q * log(p)^2 / 2 + 1e-5 (Taylor bound)."""
    y_true = np.array([0, 1, 0, 1])
    y_pred = np.array([[0.7, 0.3], [0.2, 0.8], [0.6, 0.4], [0.4, 0.6]])
    p = np.array([0.7, 0.8, 0.6, 0.6])
    got = loss_value("gce", y_true, y_pred, reduction=None, q=q)
    assert_allclose(got, (1 - p**q) / q, atol=0.0, rtol=1e-5)
    assert np.all(np.abs(got - -np.log(p)) <= q * np.log(p) ** 2 / 2 + 1e-5)
