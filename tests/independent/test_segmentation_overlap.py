"""Soft Dice, soft Jaccard and focal Tversky against per-pixel Python loops.

The reference below is written from the definitions in docs/losses.md ("Segmentation"), not
from losslab's code: for every image (or the pooled batch) and every class it walks the pixels
one by one, accumulating the soft counts TP = sum p t, FP = sum p (1 - t), FN = sum (1 - p) t
as Python floats, then applies the formula of each loss, drops classes absent from the target
when ``ignore_empty`` is set, and averages over classes. Probabilities come from ``math.exp``
(sigmoid per channel, softmax per pixel), targets from explicit class ids.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
import pytest

from tests.independent._common import per_sample

# Documented defaults (docs/losses.md and the catalog entries): written here, not read from
# the code, so a changed default fails.
DEFAULTS = {
    "mode": "binary",
    "from_logits": False,
    "smooth": 1.0,
    "per_sample": True,
    "ignore_empty": False,
    "alpha": 0.3,  # weight of false positives
    "beta": 0.7,  # weight of false negatives
    "gamma": 0.75,
}


def _sigmoid(z: float) -> float:
    return 1.0 / (1.0 + math.exp(-z))


def _pixel_probs(scores: Sequence[float], mode: str, from_logits: bool) -> list[float]:
    if not from_logits:
        return [float(s) for s in scores]
    if mode == "multiclass":
        top = max(scores)
        e = [math.exp(s - top) for s in scores]
        return [v / sum(e) for v in e]
    return [_sigmoid(float(s)) for s in scores]


def _pixel_targets(target: object, mode: str, n_classes: int) -> list[float]:
    if mode == "multiclass":  # a class id
        return [1.0 if c == int(target) else 0.0 for c in range(n_classes)]
    return [float(v) for v in np.atleast_1d(target)]


def _images(y_true: np.ndarray, y_pred: np.ndarray, mode: str, from_logits: bool, pooled: bool):
    """Per image: a list of (targets, probabilities) per pixel, each a list over classes."""
    n, c = y_pred.shape[0], y_pred.shape[-1]
    images = []
    for i in range(n):
        pixels = []
        for idx in np.ndindex(*y_pred.shape[1:-1]):
            p = _pixel_probs(list(y_pred[(i, *idx)]), mode, from_logits)
            t = _pixel_targets(y_true[(i, *idx)], mode, c)
            pixels.append((t, p))
        images.append(pixels)
    if pooled:
        return [[px for img in images for px in img]]
    return images


def _class_loss(name: str, tp: float, fp: float, fn: float, s: dict) -> float:
    smooth = s["smooth"]
    if name == "soft_dice":
        return 1.0 - (2 * tp + smooth) / max(2 * tp + fp + fn + smooth, 1e-7)
    if name == "soft_jaccard":
        return 1.0 - (tp + smooth) / max(tp + fp + fn + smooth, 1e-7)
    ti = (tp + smooth) / max(tp + s["alpha"] * fp + s["beta"] * fn + smooth, 1e-7)
    return max(1.0 - ti, 0.0) ** s["gamma"]


def overlap_reference(name: str, y_true: np.ndarray, y_pred: np.ndarray, **params) -> np.ndarray:
    s = {**DEFAULTS, **params}
    images = _images(y_true, y_pred, s["mode"], s["from_logits"], pooled=not s["per_sample"])
    out = []
    for pixels in images:
        per_class = []
        for c in range(y_pred.shape[-1]):
            tp = fp = fn = present = 0.0
            for t, p in pixels:
                tp += p[c] * t[c]
                fp += p[c] * (1.0 - t[c])
                fn += (1.0 - p[c]) * t[c]
                present += t[c]
            loss = _class_loss(name, tp, fp, fn, s)
            per_class.append(0.0 if (s["ignore_empty"] and present == 0) else loss)
        out.append(sum(per_class) / len(per_class))
    return np.array(out)


def _inputs(mode: str, from_logits: bool, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """3 images of 4 x 5 pixels; channel 0 of image 1 (or class 0 of image 1) is empty."""
    rng = np.random.default_rng(seed)
    c = 1 if mode == "binary" else 3
    z = rng.normal(scale=2.0, size=(3, 4, 5, c))
    if mode == "multiclass":
        y = rng.integers(0, c, size=(3, 4, 5))
        y[1][y[1] == 0] = 1
        p = z if from_logits else np.exp(z) / np.exp(z).sum(-1, keepdims=True)
        return y.astype("int32"), p
    y = (rng.uniform(size=(3, 4, 5, c)) < 0.4).astype("float64")
    y[1, ..., 0] = 0.0
    p = z if from_logits else 1.0 / (1.0 + np.exp(-z))
    return y, p


NAMES = ["soft_dice", "soft_jaccard", "focal_tversky"]
MODES = ["binary", "multilabel", "multiclass"]
SETTINGS = {
    "default": {},
    "logits": {"from_logits": True},
    "smooth0_empty": {"smooth": 0.0, "ignore_empty": True},
    "pooled_smooth": {"per_sample": False, "smooth": 0.5},
    "pooled_logits_empty": {"per_sample": False, "from_logits": True, "ignore_empty": True},
}


@pytest.mark.parametrize("setting", list(SETTINGS))
@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("name", NAMES)
def test_overlap_losses_match_pixel_loops(name, mode, setting):
    params = {"mode": mode, **SETTINGS[setting]}
    y_true, y_pred = _inputs(
        mode, params.get("from_logits", False), seed=len(setting) + 7 * len(mode)
    )
    expected = overlap_reference(name, y_true, y_pred, **params)
    got = per_sample(name, y_true, y_pred, **params)
    np.testing.assert_allclose(got, expected, rtol=2e-5, atol=1e-6)


@pytest.mark.parametrize("layout", ["one_hot", "ids_with_channel"])
@pytest.mark.parametrize("name", NAMES)
def test_multiclass_target_layouts(name, layout):
    # class ids (N, H, W), ids with a channel axis (N, H, W, 1) and one-hot (N, H, W, C)
    # are the same targets (docs/losses.md)
    ids, logits = _inputs("multiclass", True, seed=11)
    target = np.eye(3)[ids] if layout == "one_hot" else ids[..., None]
    params = {"mode": "multiclass", "from_logits": True, "ignore_empty": True}
    expected = overlap_reference(name, ids, logits, **params)
    np.testing.assert_allclose(
        per_sample(name, target, logits, **params), expected, rtol=2e-5, atol=1e-6
    )


@pytest.mark.parametrize("name", NAMES)
def test_defaults_are_the_documented_ones(name):
    # losslab.get(name) with no hyperparameter against the reference's own written defaults
    # (smooth=1, binary mode, probabilities, per image, empty classes kept, and for focal
    # Tversky alpha=0.3 on FP, beta=0.7 on FN, gamma=0.75).
    y_true, y_pred = _inputs("binary", False, seed=3)
    expected = overlap_reference(name, y_true, y_pred)
    np.testing.assert_allclose(per_sample(name, y_true, y_pred), expected, rtol=2e-5, atol=1e-6)


@pytest.mark.parametrize("alpha,beta,gamma", [(0.9, 0.1, 1.0), (0.1, 0.9, 2.0), (0.6, 0.2, 0.5)])
def test_focal_tversky_alpha_weighs_false_positives(alpha, beta, gamma):
    # one image, 4 pixels, no smoothing: TP = 1, FP = 2 (p = 1 where t = 0), FN = 1
    y_true = np.array([[[1.0], [1.0], [0.0], [0.0]]])
    y_pred = np.array([[[1.0], [0.0], [1.0], [1.0]]])
    ti = 1.0 / (1.0 + alpha * 2.0 + beta * 1.0)
    got = per_sample(
        "focal_tversky", y_true, y_pred, alpha=alpha, beta=beta, gamma=gamma, smooth=0.0
    )
    np.testing.assert_allclose(got, [(1.0 - ti) ** gamma], rtol=1e-6)


# segmentation_models.pytorch, tests/test_losses.py at commit 4f567c02be9524920d25301bec94ddbb989aee8e
# (qubvel-org/segmentation_models.pytorch). smp's DiceLoss / JaccardLoss pool the batch
# (per_sample=False), use smooth=0 and always zero the classes absent from the target
# (ignore_empty=True). smp is channels-first (N, C, pixels); transposed here to channels-last.
SMP_CASES = [
    # (loss, mode, y_true (smp layout), y_pred (smp layout), expected)
    ("soft_dice", "binary", [[[1, 1, 1]]], [[[1.0, 1.0, 1.0]]], 0.0),  # test_dice_loss_binary
    ("soft_dice", "binary", [[[0, 0, 0]]], [[[1.0, 1.0, 1.0]]], 0.0),  # "worst case", empty target
    ("soft_dice", "binary", [[[0, 1, 0]]], [[[1.0, 0.0, 1.0]]], 1.0),
    ("soft_dice", "binary", [[[1, 1, 1]]], [[[0.0, 0.0, 0.0]]], 1.0),
    ("soft_jaccard", "binary", [[[0, 0, 0]]], [[[1.0, 1.0, 1.0]]], 0.0),  # test_binary_jaccard_loss
    (
        "soft_jaccard",
        "multiclass",
        [[0, 0, 1, 1]],
        [[[1.0, 1.0, 0.0, 0.0], [0.0, 0.0, 1.0, 1.0]]],
        0.0,
    ),
    (
        "soft_jaccard",
        "multiclass",
        [[1, 1, 0, 0]],
        [[[1.0, 1.0, 0.0, 0.0], [0.0, 0.0, 1.0, 1.0]]],
        1.0,
    ),
    (
        "soft_jaccard",
        "multiclass",
        [[1, 1, 0, 0]],
        [[[1.0, 0.0, 1.0, 0.0], [0.0, 1.0, 0.0, 1.0]]],
        2.0 / 3.0,
    ),
    (
        "soft_jaccard",
        "multilabel",
        [[[1.0, 1.0, 0.0, 0.0], [1.0, 1.0, 0.0, 0.0]]],
        [[[0.0, 1.0, 1.0, 0.0], [0.0, 1.0, 1.0, 0.0]]],
        2.0 / 3.0,
    ),
]


@pytest.mark.parametrize("case", SMP_CASES, ids=lambda c: f"{c[0]}-{c[1]}-{c[4]:.3f}")
def test_segmentation_models_pytorch_loss_values(case):
    name, mode, t, p, expected = case
    y_pred = np.moveaxis(np.array(p, dtype="float64"), 1, -1)  # (N, pixels, C)
    y_true = np.array(t)
    y_true = (
        y_true.astype("int32")
        if mode == "multiclass"
        else np.moveaxis(y_true.astype("float64"), 1, -1)
    )
    params = {"mode": mode, "smooth": 0.0, "per_sample": False, "ignore_empty": True}
    np.testing.assert_allclose(per_sample(name, y_true, y_pred, **params), [expected], atol=1e-5)
    np.testing.assert_allclose(
        overlap_reference(name, y_true, y_pred, **params), [expected], atol=1e-5
    )
