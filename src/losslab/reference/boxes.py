"""NumPy float64 oracles for the bounding-box regression losses (one box at a time).

Boxes are ``[y1, x1, y2, x2]`` (TensorFlow Addons' ``giou_loss`` layout: y_min, x_min,
y_max, x_max) on the last axis. Ratios with a zero denominator count as 0
(TensorFlow's ``divide_no_nan``).
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from losslab._params import OneOf, Param, with_defaults

__all__ = ["BOX_MODES", "GIOU_PARAMS", "iou_loss"]

BOX_MODES = ("iou", "giou", "diou", "ciou")

GIOU_PARAMS = (
    Param(
        "mode",
        "giou",
        OneOf(BOX_MODES),
        "'iou', 'giou' (generalized IoU), 'diou' (distance IoU) or 'ciou' (complete IoU)",
        search=("categorical", BOX_MODES),
    ),
)


def _div(a: float, b: float) -> float:
    return a / b if b != 0 else 0.0


def _one(t: np.ndarray, p: np.ndarray, mode: str) -> float:
    ty1, tx1, ty2, tx2 = (float(v) for v in t)
    py1, px1, py2, px2 = (float(v) for v in p)
    th, tw = ty2 - ty1, tx2 - tx1
    ph, pw = py2 - py1, px2 - px1
    ih = max(min(ty2, py2) - max(ty1, py1), 0.0)
    iw = max(min(tx2, px2) - max(tx1, px1), 0.0)
    inter = ih * iw
    union = th * tw + ph * pw - inter
    iou = _div(inter, union)
    if mode == "iou":
        return 1.0 - iou
    eh = max(max(ty2, py2) - min(ty1, py1), 0.0)
    ew = max(max(tx2, px2) - min(tx1, px1), 0.0)
    if mode == "giou":
        enclose = eh * ew
        return 1.0 - (iou - _div(enclose - union, enclose))
    rho2 = ((ty1 + ty2) / 2 - (py1 + py2) / 2) ** 2 + ((tx1 + tx2) / 2 - (px1 + px2) / 2) ** 2
    diou = iou - _div(rho2, eh**2 + ew**2)
    if mode == "diou":
        return 1.0 - diou
    v = 4.0 / math.pi**2 * (math.atan(_div(tw, th)) - math.atan(_div(pw, ph))) ** 2
    alpha = _div(v, 1.0 - iou + v)
    return 1.0 - (diou - alpha * v)


@with_defaults(GIOU_PARAMS)
def iou_loss(y_true: Any, y_pred: Any, *, mode: str) -> np.ndarray:
    """``1 - IoU`` / ``1 - GIoU`` / ``1 - DIoU`` / ``1 - CIoU`` per box (broadcast like NumPy).

    GIoU (Rezatofighi et al. 2019): ``IoU - (C - U) / C`` with C the smallest enclosing
    box. DIoU (Zheng et al. 2020): ``IoU - rho^2 / c^2`` (centre distance over the enclosing
    diagonal). CIoU: ``DIoU - alpha v``, ``v = 4/pi^2 (atan(w_t/h_t) - atan(w_p/h_p))^2``,
    ``alpha = v / (1 - IoU + v)``.
    """
    t = np.asarray(y_true, dtype=np.float64)
    p = np.asarray(y_pred, dtype=np.float64)
    t, p = np.broadcast_arrays(t, p)
    shape = t.shape[:-1]
    tf, pf = t.reshape(-1, 4), p.reshape(-1, 4)
    out = np.array([_one(a, b, mode) for a, b in zip(tf, pf, strict=True)])
    return out.reshape(shape)
