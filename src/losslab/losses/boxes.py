"""Bounding-box regression losses: IoU, GIoU, DIoU and CIoU for ``[y1, x1, y2, x2]`` boxes.

TensorFlow Addons' ``GIoULoss`` (same ``mode`` argument, same box layout: y_min, x_min,
y_max, x_max), extended with the distance and complete IoU of Zheng et al. (2020). One
value per box: ``(N, 4)`` boxes give ``(N,)`` values, ``(N, M, 4)`` give ``(N, M)``.
Ratios with a zero denominator count as 0 (TensorFlow's ``divide_no_nan``), so degenerate
boxes give finite values and gradients.
"""

from __future__ import annotations

import math
from typing import Any

from keras import ops

from losslab._params import with_defaults
from losslab.losses._base import LosslabLoss, compute_dtype, register_loss_class
from losslab.reference.boxes import GIOU_PARAMS

__all__ = ["GIoULoss", "giou_loss"]


def _div(a: Any, b: Any) -> Any:
    nz = ops.not_equal(b, 0.0)
    return ops.where(nz, a / ops.where(nz, b, ops.ones_like(b)), ops.zeros_like(a))


@with_defaults(GIOU_PARAMS)
def giou_loss(y_true: Any, y_pred: Any, *, mode: str) -> Any:
    """``1 - IoU``, ``1 - GIoU``, ``1 - DIoU`` or ``1 - CIoU`` of two sets of boxes.

    GIoU (Rezatofighi et al. 2019): ``IoU - (C - U) / C`` with C the area of the smallest
    enclosing box and U the union. DIoU (Zheng et al. 2020): ``IoU - rho^2 / c^2`` with rho
    the distance between the centres and c the enclosing box's diagonal. CIoU:
    ``DIoU - alpha v`` with ``v = 4/pi^2 (atan(w_t/h_t) - atan(w_p/h_p))^2`` and
    ``alpha = v / (1 - IoU + v)`` held constant in the gradient (as in the paper).

    Args:
        y_true: true boxes ``[..., 4]`` as ``[y1, x1, y2, x2]`` (y1 <= y2, x1 <= x2).
        y_pred: predicted boxes, same layout (broadcast against y_true).
        mode: ``"iou"``, ``"giou"``, ``"diou"`` or ``"ciou"``.

    Returns:
        One value per box (the last axis is reduced): ``[0, 1]`` for IoU, ``[0, 2)`` for
        GIoU, ``[0, 2)`` for DIoU and ``[0, 2]``-ish for CIoU; 0 for identical boxes.

    Example:
        >>> giou_loss([[4.0, 3.0, 7.0, 5.0]], [[3.0, 4.0, 6.0, 8.0]])  # doctest: +SKIP
        [1.075]
    """
    y_pred = ops.convert_to_tensor(y_pred)
    dtype = compute_dtype(y_pred)
    p = ops.cast(y_pred, dtype)
    t = ops.cast(y_true, dtype)
    ty1, tx1, ty2, tx2 = (t[..., i] for i in range(4))
    py1, px1, py2, px2 = (p[..., i] for i in range(4))
    th, tw = ty2 - ty1, tx2 - tx1
    ph, pw = py2 - py1, px2 - px1
    ih = ops.relu(ops.minimum(ty2, py2) - ops.maximum(ty1, py1))
    iw = ops.relu(ops.minimum(tx2, px2) - ops.maximum(tx1, px1))
    inter = ih * iw
    union = th * tw + ph * pw - inter
    iou = _div(inter, union)
    if mode == "iou":
        return 1.0 - iou
    eh = ops.relu(ops.maximum(ty2, py2) - ops.minimum(ty1, py1))
    ew = ops.relu(ops.maximum(tx2, px2) - ops.minimum(tx1, px1))
    if mode == "giou":
        enclose = eh * ew
        return 1.0 - (iou - _div(enclose - union, enclose))
    rho2 = ops.square((ty1 + ty2 - py1 - py2) / 2.0) + ops.square((tx1 + tx2 - px1 - px2) / 2.0)
    diou = iou - _div(rho2, ops.square(eh) + ops.square(ew))
    if mode == "diou":
        return 1.0 - diou
    v = (4.0 / math.pi**2) * ops.square(ops.arctan(_div(tw, th)) - ops.arctan(_div(pw, ph)))
    alpha = ops.stop_gradient(_div(v, 1.0 - iou + v))
    return 1.0 - (diou - alpha * v)


@register_loss_class
class GIoULoss(LosslabLoss):
    """Keras loss for :func:`giou_loss` (TensorFlow Addons' ``GIoULoss``, plus DIoU/CIoU)."""

    fn = staticmethod(giou_loss)
    PARAMS = GIOU_PARAMS
