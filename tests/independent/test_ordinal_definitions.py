"""CORAL, CORN and the weighted kappa loss from their papers' definitions, with
coral-pytorch's expected values.

CORAL (Cao, Mirjalili and Raschka 2020): K - 1 binary tasks "y > k", each a binary
cross-entropy on ``sigmoid(z_k)``, summed. CORN (Shi, Cao and Raschka 2023): task k is the
conditional "y > k given y > k - 1", trained only on the samples that reach it (y >= k).
Weighted kappa (de La Torre et al. 2018, TensorFlow Addons' ``WeightedKappaLoss``):
``log(sum W * O / sum W * E + eps)`` with O the soft confusion matrix and E the outer
product of the marginals over N. Each reference loops over samples, tasks and cells.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from tests.independent._common import per_sample


def _bce(target: float, z: float) -> float:
    p = 1.0 / (1.0 + math.exp(-z))
    return -(target * math.log(p) + (1.0 - target) * math.log(1.0 - p))


def coral_reference(labels, logits, importance=None) -> np.ndarray:
    out = []
    for y, z in zip(labels, logits, strict=True):
        w = importance if importance is not None else [1.0] * len(z)
        out.append(sum(w[k] * _bce(1.0 if y > k else 0.0, z[k]) for k in range(len(z))))
    return np.array(out)


def corn_reference(labels, logits) -> np.ndarray:
    out = []
    for y, z in zip(labels, logits, strict=True):
        total = 0.0
        for k in range(len(z)):
            if y >= k:  # the sample reaches task k: it is above every earlier threshold
                total += _bce(1.0 if y > k else 0.0, z[k])
        out.append(total)
    return np.array(out)


def kappa_reference(labels, probs, weightage="quadratic", epsilon=1e-6) -> float:
    n, k = probs.shape
    weight = [
        [abs(i - j) if weightage == "linear" else (i - j) ** 2 for j in range(k)] for i in range(k)
    ]
    observed = [[0.0] * k for _ in range(k)]
    for y, row in zip(labels, probs, strict=True):
        for j in range(k):
            observed[int(y)][j] += row[j]
    true_marg = [sum(observed[i]) for i in range(k)]
    pred_marg = [sum(observed[i][j] for i in range(k)) for j in range(k)]
    num = sum(weight[i][j] * observed[i][j] for i in range(k) for j in range(k))
    den = sum(weight[i][j] * true_marg[i] * pred_marg[j] / n for i in range(k) for j in range(k))
    return math.log(num / den + epsilon)


def _data(seed: int, n: int = 12, k: int = 5):
    rng = np.random.default_rng(seed)
    labels = rng.integers(0, k, size=n)
    logits = rng.normal(scale=2.0, size=(n, k - 1))
    return labels, logits


@pytest.mark.parametrize("seed", [0, 1])
def test_coral_default_matches_cumulative_tasks(seed):
    labels, logits = _data(seed)
    np.testing.assert_allclose(
        per_sample("coral", labels, logits), coral_reference(labels, logits), rtol=1e-5
    )


def test_coral_importance_weights_each_task():
    labels, logits = _data(2)
    w = [2.0, 0.5, 1.0, 0.25]
    np.testing.assert_allclose(
        per_sample("coral", labels, logits, importance=w),
        coral_reference(labels, logits, w),
        rtol=1e-5,
    )


@pytest.mark.parametrize("seed", [0, 1])
def test_corn_matches_conditional_tasks(seed):
    labels, logits = _data(seed)
    np.testing.assert_allclose(
        per_sample("corn", labels, logits), corn_reference(labels, logits), rtol=1e-5
    )


# coral-pytorch, coral_pytorch/tests/test_losses.py at commit 313482f86f50b58d8beb9fb54652e943b06745ef
# (Raschka-research-group/coral-pytorch): test_coral_basic and test_corn_basic. (Before commit
# 4ffb4cc "Fix denominator in corn loss", 2022, corn_loss divided by num_classes and the test
# expected 0.9657; since then it divides by the number of (sample, task) pairs: 0.8047.)
CORAL_PYTORCH_LOGITS = [[2.1, 1.8, -2.1, -1.8], [1.9, -1.0, -1.5, -1.3], [1.9, 1.8, 1.7, 1.6]]


def test_coral_pytorch_coral_basic():
    # levels [[1,1,0,0], [1,0,0,0], [1,1,1,1]] are the labels 2, 1, 4
    labels = np.array([2, 1, 4])
    logits = np.array(CORAL_PYTORCH_LOGITS)
    got = per_sample("coral", labels, logits)
    np.testing.assert_allclose(got, [0.5370, 0.8951, 0.6441], rtol=1e-3, atol=1e-5)
    assert got.sum() == pytest.approx(2.0761, rel=1e-3)
    assert got.mean() == pytest.approx(0.6920, rel=1e-3)


def test_coral_pytorch_corn_basic():
    # corn_loss(logits, [0, 1, 2], num_classes=5) = 0.8047: the sum over the (sample, task)
    # pairs used divided by their number, 1 + 2 + 3 = 6 (labels 0, 1, 2 reach 1, 2, 3 tasks)
    labels = np.array([0, 1, 2])
    logits = np.array(CORAL_PYTORCH_LOGITS)
    got = per_sample("corn", labels, logits)
    assert got.sum() / 6.0 == pytest.approx(0.8047, rel=1e-3)
    assert corn_reference(labels, logits).sum() / 6.0 == pytest.approx(0.8047, rel=1e-3)


@pytest.mark.parametrize(
    "weightage,epsilon", [("quadratic", 1e-6), ("linear", 1e-6), ("linear", 0.1)]
)
@pytest.mark.parametrize("seed", [0, 3])
def test_weighted_kappa_matches_confusion_matrix(weightage, epsilon, seed):
    rng = np.random.default_rng(seed)
    labels = rng.integers(0, 4, size=40)
    z = rng.normal(size=(40, 4)) + 2.0 * np.eye(4)[labels]
    probs = np.exp(z) / np.exp(z).sum(-1, keepdims=True)
    onehot = np.eye(4)[labels]
    params = {"weightage": weightage, "epsilon": epsilon}
    expected = kappa_reference(labels, probs, **params)
    np.testing.assert_allclose(
        per_sample("weighted_kappa", onehot, probs, **params), [expected], rtol=1e-5
    )
    # integer labels (N,) are the same targets as one-hot rows
    np.testing.assert_allclose(
        per_sample("weighted_kappa", labels, probs, **params), [expected], rtol=1e-5
    )
    # the default is quadratic weights with epsilon 1e-6 (TensorFlow Addons')
    if weightage == "quadratic":
        np.testing.assert_allclose(
            per_sample("weighted_kappa", onehot, probs), [expected], rtol=1e-5
        )
