"""Catalog entry for the bounding-box losses (IoU / GIoU / DIoU / CIoU)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

from losslab.catalog._registry import register
from losslab.catalog._spec import Family, Head, LossSpec
from losslab.catalog.inputs import register_inputs
from losslab.reference.boxes import GIOU_PARAMS


def _random_boxes(rng: np.random.Generator, n: int) -> np.ndarray:
    y = np.sort(rng.uniform(0.0, 10.0, size=(n, 2)), axis=1)
    x = np.sort(rng.uniform(0.0, 10.0, size=(n, 2)), axis=1)
    y[:, 1] += 0.1  # never empty
    x[:, 1] += 0.1
    return np.stack([y[:, 0], x[:, 0], y[:, 1], x[:, 1]], axis=1)


@register_inputs("boxes")
def _boxes(rng: np.random.Generator, n: int, params: Mapping[str, Any]) -> tuple[np.ndarray, np.ndarray]:
    """True boxes (n, 4) ``[y1, x1, y2, x2]`` and predictions jittered around them."""
    t = _random_boxes(rng, n)
    p = t + rng.normal(scale=1.0, size=t.shape)
    p = np.concatenate([np.minimum(p[:, :2], p[:, 2:]), np.maximum(p[:, :2], p[:, 2:])], axis=1)
    return t.astype(np.float32), p.astype(np.float32)


register(
    LossSpec(
        name="giou",
        title="GIoU / IoU / DIoU / CIoU box loss",
        aliases=("GIoULoss", "giou_loss", "box_iou_loss", "diou", "ciou"),
        family=Family.BOXES,
        statistic="overlap",
        y_true="boxes (N, 4) (or (N, M, 4)) as [y1, x1, y2, x2] with y1 <= y2, x1 <= x2",
        y_pred="predicted boxes, same layout (linear outputs; order the corners in the model)",
        head=Head.BOXES,
        keras="losslab.losses.boxes:GIoULoss",
        reference="losslab.reference.boxes:iou_loss",
        params=GIOU_PARAMS,
        formula="iou: 1 - IoU; giou: 1 - IoU + (C - U)/C; diou: 1 - IoU + rho^2/c^2; "
        "ciou: diou + alpha v, v = 4/pi^2 (atan(w_t/h_t) - atan(w_p/h_p))^2",
        when_to_use="Box regression in detectors: scale-invariant, optimises the overlap "
        "metric itself. GIoU still has a gradient for non-overlapping boxes; DIoU / CIoU "
        "converge faster by also pulling centres together and matching aspect ratios.",
        pitfalls="Plain IoU has zero gradient when boxes do not overlap. Corner order "
        "matters: [y1, x1, y2, x2] (TensorFlow Addons' layout), not [x1, y1, x2, y2]. "
        "The aliases 'diou' and 'ciou' find this entry: pass mode='diou' / 'ciou'.",
        references=(
            "Rezatofighi, H. et al. (2019). Generalized Intersection over Union: A Metric and a Loss for Bounding Box Regression. CVPR.",
            "Zheng, Z. et al. (2020). Distance-IoU Loss: Faster and Better Learning for Bounding Box Regression. AAAI.",
            "TensorFlow Addons (2019-2024). tfa.losses.GIoULoss. https://github.com/tensorflow/addons",
        ),
        inputs="boxes",
        minimum_at_truth=True,
        tags=("losslab", "tfa"),
    )
)
