"""IoU, GIoU, DIoU and CIoU against a box-by-box geometric computation, and torchvision's
expected values.

The reference walks the boxes one at a time with plain Python floats: the intersection
rectangle from the overlapping intervals on each axis, the union by inclusion-exclusion, the
smallest enclosing box, the distance between the centres, the enclosing diagonal and the
aspect-ratio term of Zheng et al. (2020). Box layout ``[y1, x1, y2, x2]`` (TensorFlow Addons').
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from tests.independent._common import per_sample


def _interval_overlap(a1: float, a2: float, b1: float, b2: float) -> float:
    lo, hi = max(a1, b1), min(a2, b2)
    return hi - lo if hi > lo else 0.0


def box_loss(
    t: list[float], p: list[float], mode: str = "giou", alpha: float | None = None
) -> float:
    """One pair of boxes. ``alpha`` overrides CIoU's trade-off weight (used by the gradient
    check, where the paper holds it constant)."""
    ty1, tx1, ty2, tx2 = t
    py1, px1, py2, px2 = p
    area_t = (ty2 - ty1) * (tx2 - tx1)
    area_p = (py2 - py1) * (px2 - px1)
    inter = _interval_overlap(ty1, ty2, py1, py2) * _interval_overlap(tx1, tx2, px1, px2)
    union = area_t + area_p - inter
    iou = inter / union if union > 0 else 0.0
    if mode == "iou":
        return 1.0 - iou
    enc_h = max(ty2, py2) - min(ty1, py1)
    enc_w = max(tx2, px2) - min(tx1, px1)
    if mode == "giou":
        enclosing = enc_h * enc_w
        return 1.0 - iou + (enclosing - union) / enclosing
    centre_t = ((ty1 + ty2) / 2.0, (tx1 + tx2) / 2.0)
    centre_p = ((py1 + py2) / 2.0, (px1 + px2) / 2.0)
    rho2 = (centre_t[0] - centre_p[0]) ** 2 + (centre_t[1] - centre_p[1]) ** 2
    diag2 = enc_h**2 + enc_w**2
    if mode == "diou":
        return 1.0 - iou + rho2 / diag2
    v = (
        4.0
        / math.pi**2
        * (math.atan((tx2 - tx1) / (ty2 - ty1)) - math.atan((px2 - px1) / (py2 - py1))) ** 2
    )
    if alpha is None:
        alpha = v / (1.0 - iou + v) if (1.0 - iou + v) > 0 else 0.0
    return 1.0 - iou + rho2 / diag2 + alpha * v


def random_boxes(rng: np.random.Generator, n: int) -> np.ndarray:
    corner = rng.uniform(0.0, 6.0, size=(n, 2))
    size = rng.uniform(0.5, 4.0, size=(n, 2))
    return np.concatenate([corner, corner + size], axis=1)  # [y1, x1, y2, x2]


MODES = ["iou", "giou", "diou", "ciou"]


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("seed", [0, 1])
def test_random_boxes_match_geometry(mode, seed):
    rng = np.random.default_rng(seed)
    t, p = random_boxes(rng, 24), random_boxes(rng, 24)
    p[:3] = t[:3] + np.array([0.1, -0.2, 0.3, 0.1])  # heavily overlapping pairs too
    expected = [box_loss(list(a), list(b), mode) for a, b in zip(t, p, strict=True)]
    np.testing.assert_allclose(per_sample("giou", t, p, mode=mode), expected, rtol=1e-5, atol=1e-6)


def test_default_mode_is_giou():
    rng = np.random.default_rng(5)
    t, p = random_boxes(rng, 16), random_boxes(rng, 16)
    expected = [box_loss(list(a), list(b), "giou") for a, b in zip(t, p, strict=True)]
    np.testing.assert_allclose(per_sample("giou", t, p), expected, rtol=1e-5, atol=1e-6)


def test_layout_is_y_first():
    # a tall box against a wide box of the same centre: their IoU does not depend on the
    # layout, but CIoU's aspect term does (atan(w/h)); a 1 x 4 (h x w) target against a
    # 4 x 1 prediction gives v = 4/pi^2 (atan 4 - atan 1/4)^2.
    t = np.array([[0.0, 0.0, 1.0, 4.0]])
    p = np.array([[0.0, 0.0, 1.0, 4.0]]) + np.array([[0.0, 0.0, 0.5, 0.0]])
    np.testing.assert_allclose(
        per_sample("giou", t, p, mode="ciou"), [box_loss(list(t[0]), list(p[0]), "ciou")], rtol=1e-5
    )
    h_t, w_t, h_p, w_p = 1.0, 4.0, 1.5, 4.0
    v = 4.0 / math.pi**2 * (math.atan(w_t / h_t) - math.atan(w_p / h_p)) ** 2
    iou = 4.0 / 6.0
    alpha = v / (1.0 - iou + v)
    rho2 = 0.25**2
    diag2 = 1.5**2 + 4.0**2
    np.testing.assert_allclose(
        per_sample("giou", t, p, mode="ciou"), [1.0 - iou + rho2 / diag2 + alpha * v], rtol=1e-5
    )


# torchvision, test/test_ops.py (TestGeneralizedBoxIouLoss.test_giou_loss,
# test_distance_iou_loss, TestCIOULoss.test_ciou_loss), pytorch/vision main as stored in the
# public code index (its expected values come from fvcore's tests/test_giou_loss.py). Boxes
# there are [x1, y1, x2, y2]; converted to [y1, x1, y2, x2] here. Tolerance: theirs (1e-5 on
# float32) where the value is exact, 1e-4 where they print four decimals.
_TV = {
    "box1": [-1, -1, 1, 1],
    "box2": [0, 0, 1, 1],
    "box3": [0, 1, 1, 2],
    "box4": [1, 1, 2, 2],
}
TORCHVISION_CASES = [
    ("giou", "box1", "box1", 0.0),
    ("giou", "box1", "box2", 0.75),
    ("giou", "box2", "box3", 1.0),
    ("giou", "box2", "box4", 1.5),
    ("diou", "box1", "box1", 0.0),
    ("diou", "box1", "box2", 0.8125),
    ("diou", "box1", "box3", 1.1923),
    ("diou", "box1", "box4", 1.25),
    ("ciou", "box1", "box1", 0.0),
    ("ciou", "box1", "box2", 0.8125),
    ("ciou", "box1", "box3", 1.1923),
    ("ciou", "box1", "box4", 1.25),
]


def _yx(name: str) -> list[float]:
    x1, y1, x2, y2 = _TV[name]
    return [float(y1), float(x1), float(y2), float(x2)]


@pytest.mark.parametrize("case", TORCHVISION_CASES, ids=lambda c: f"{c[0]}-{c[1]}-{c[2]}")
def test_torchvision_box_loss_values(case):
    mode, a, b, expected = case
    t, p = np.array([_yx(a)]), np.array([_yx(b)])
    np.testing.assert_allclose(per_sample("giou", t, p, mode=mode), [expected], atol=1e-4)
    assert box_loss(_yx(a), _yx(b), mode) == pytest.approx(expected, abs=1e-4)


@pytest.mark.parametrize("mode,mean", [("giou", 1.25), ("diou", 1.225), ("ciou", 1.225)])
def test_torchvision_batched_mean(mode, mean):
    # torchvision: loss([box2, box2], [box3, box4], reduction="mean")
    t = np.array([_yx("box2"), _yx("box2")])
    p = np.array([_yx("box3"), _yx("box4")])
    import losslab

    got = float(losslab.get("giou", mode=mode)(t, p))
    assert got == pytest.approx(mean, abs=1e-4)
