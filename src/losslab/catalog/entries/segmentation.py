"""Catalog entries for the segmentation losses Keras lacks (per-sample Dice and Jaccard,
focal Tversky, Lovász hinge / softmax, MCC)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

from losslab.catalog._registry import register
from losslab.catalog._spec import Family, Head, LossSpec
from losslab.catalog.inputs import register_inputs
from losslab.reference.segmentation import (
    DICE_PARAMS,
    FOCAL_TVERSKY_PARAMS,
    JACCARD_PARAMS,
    LOVASZ_HINGE_PARAMS,
    LOVASZ_SOFTMAX_PARAMS,
    MCC_PARAMS,
)

_REF = "losslab.reference.segmentation"
_KER = "losslab.losses.segmentation"
SEG_CLASSES = 3
_SIZE = 8


def _softmax(z: np.ndarray) -> np.ndarray:
    e = np.exp(z - z.max(axis=-1, keepdims=True))
    return e / e.sum(axis=-1, keepdims=True)


@register_inputs("segmentation_modes")
def _segmentation_modes(rng: np.random.Generator, n: int, params: Mapping[str, Any]) -> tuple[np.ndarray, np.ndarray]:
    """8x8 masks for ``params['mode']`` (binary (n,8,8,1), multilabel (n,8,8,3), multiclass
    class ids (n,8,8) against (n,8,8,3) scores); logits when ``params['from_logits']``."""
    mode = params.get("mode", "binary")
    logits = bool(params.get("from_logits", False))
    if mode == "multiclass":
        y = rng.integers(0, SEG_CLASSES, size=(n, _SIZE, _SIZE)).astype(np.int32)
        z = rng.normal(scale=1.5, size=(n, _SIZE, _SIZE, SEG_CLASSES))
        return y, (z if logits else _softmax(z)).astype(np.float32)
    c = 1 if mode == "binary" else SEG_CLASSES
    y = (rng.uniform(size=(n, _SIZE, _SIZE, c)) > 0.6).astype(np.float32)
    z = rng.normal(scale=1.5, size=(n, _SIZE, _SIZE, c))
    return y, (z if logits else 1.0 / (1.0 + np.exp(-z))).astype(np.float32)


@register_inputs("segmentation_multiclass")
def _segmentation_multiclass(rng: np.random.Generator, n: int, params: Mapping[str, Any]) -> tuple[np.ndarray, np.ndarray]:
    """Class ids (n,8,8) against (n,8,8,3) probabilities (logits with from_logits)."""
    return _segmentation_modes(rng, n, {**params, "mode": "multiclass"})


_MASKS = (
    "masks, channels last: binary (N, H, W, 1) in {0,1}; multilabel (N, H, W, C) multi-hot; "
    "multiclass integer class ids (N, H, W) or one-hot (N, H, W, C)"
)
_PROBS = (
    "per-pixel probabilities (N, H, W, C) (sigmoid for binary / multilabel, softmax for "
    "multiclass), or logits with from_logits=True"
)
_SMP = "Iakubovskii, P. (2019). Segmentation Models PyTorch. https://github.com/qubvel-org/segmentation_models.pytorch"
_BERMAN = "Berman, M., Rannen Triki, A., Blaschko, M. B. (2018). The Lovász-Softmax Loss: A Tractable Surrogate for the Optimization of the Intersection-over-Union Measure in Neural Networks. CVPR."
_PER = (
    " per_sample=True (default) scores each image and returns one value per sample; "
    "per_sample=False scores the whole batch as one image (one value per batch, like Keras's Dice)."
)


def _spec(**kw: Any) -> LossSpec:
    base: dict[str, Any] = dict(
        family=Family.SEGMENTATION,
        statistic="overlap",
        y_true=_MASKS,
        y_pred=_PROBS,
        head=Head.SEGMENTATION,
        inputs="segmentation_modes",
        requires=("y in {0,1}",),
        minimum_at_truth=True,
        from_logits_param="from_logits",
        predict=f"{_REF}:predict_segmentation",
        tags=("losslab",),
    )
    base.update(kw)
    return register(LossSpec(**base))


_spec(
    name="soft_dice",
    title="Soft Dice (per sample)",
    aliases=("SoftDiceLoss", "soft_dice_loss", "dice_per_sample"),
    keras=f"{_KER}:DiceLoss",
    reference=f"{_REF}:dice",
    params=DICE_PARAMS,
    formula="mean_classes 1 - (2 TP + smooth) / max(2 TP + FP + FN + smooth, eps), "
    "TP = sum p t, FP = sum p (1 - t), FN = sum (1 - p) t",
    when_to_use="Segmentation with class imbalance (small foreground): optimises overlap "
    "directly. Often combined with a cross-entropy." + _PER,
    pitfalls="Noisy gradients when a mask is tiny; empty masks score by the smoothing term "
    "(smooth = 0 makes an empty target predicted empty 0/0, clamped to 0 loss only with "
    "ignore_empty). Keras's own Dice pools the whole batch into one score.",
    references=(
        "Milletari, F., Navab, N., Ahmadi, S.-A. (2016). V-Net: Fully Convolutional Neural Networks for Volumetric Medical Image Segmentation. 3DV.",
        _SMP,
    ),
)

_spec(
    name="soft_jaccard",
    title="Soft Jaccard / IoU (per sample)",
    aliases=("JaccardLoss", "jaccard", "soft_jaccard_loss", "soft_iou"),
    keras=f"{_KER}:JaccardLoss",
    reference=f"{_REF}:jaccard",
    params=JACCARD_PARAMS,
    formula="mean_classes 1 - (TP + smooth) / max(TP + FP + FN + smooth, eps)",
    when_to_use="When the judge metric is IoU (mIoU): the soft relaxation of 1 - IoU." + _PER,
    pitfalls="Same caveats as Dice; a relaxation, not the IoU of thresholded masks "
    "(Lovász-softmax is a tighter surrogate).",
    references=(
        "Rahman, M. A., Wang, Y. (2016). Optimizing Intersection-Over-Union in Deep Neural Networks for Image Segmentation. ISVC.",
        _SMP,
    ),
)

_spec(
    name="focal_tversky",
    title="Focal Tversky",
    aliases=("FocalTverskyLoss", "focal_tversky_loss"),
    keras=f"{_KER}:FocalTverskyLoss",
    reference=f"{_REF}:focal_tversky",
    params=FOCAL_TVERSKY_PARAMS,
    formula="mean_classes (1 - TI)^gamma,  TI = (TP + smooth) / max(TP + alpha FP + beta FN + smooth, eps)",
    when_to_use="Small lesions / structures where recall matters: beta > alpha penalises "
    "misses more; gamma < 1 focuses on the hard (low-TI) classes." + _PER,
    pitfalls="alpha weighs FALSE POSITIVES and beta FALSE NEGATIVES here (Salehi et al., "
    "segmentation_models.pytorch); Abraham & Khan and Keras 3.15.1 swap the names.",
    references=(
        "Abraham, N., Khan, N. M. (2019). A Novel Focal Tversky Loss Function with Improved Attention U-Net for Lesion Segmentation. ISBI.",
        "Salehi, S. S. M., Erdogmus, D., Gholipour, A. (2017). Tversky Loss Function for Image Segmentation Using 3D Fully Convolutional Deep Networks. MLMI.",
    ),
)

_spec(
    name="mcc",
    title="Matthews correlation (MCC) loss",
    aliases=("MCCLoss", "mcc_loss", "matthews"),
    keras=f"{_KER}:MCCLoss",
    reference=f"{_REF}:mcc",
    params=MCC_PARAMS,
    formula="mean_classes 1 - (TP TN - FP FN) / sqrt((TP+FP)(TP+FN)(TN+FP)(TN+FN)), each count + eps",
    when_to_use="Imbalanced binary segmentation (skin lesions): unlike Dice it also rewards "
    "true negatives, so it penalises false-positive blobs on background." + _PER,
    pitfalls="Range [0, 2]; with per_sample=True an image whose target and prediction are "
    "both all-background has MCC ~ 0 (loss ~ 1) by the eps convention.",
    references=(
        "Abhishek, K., Hamarneh, G. (2021). Matthews Correlation Coefficient Loss for Deep Convolutional Networks: Application to Skin Lesion Segmentation. ISBI.",
        _SMP,
    ),
    minimum_at_truth=False,
)

_spec(
    name="lovasz_hinge",
    title="Lovász hinge",
    aliases=("LovaszHingeLoss", "lovasz_hinge_loss", "lovasz"),
    keras=f"{_KER}:LovaszHingeLoss",
    reference=f"{_REF}:lovasz_hinge",
    params=LOVASZ_HINGE_PARAMS,
    y_true="binary masks (N, H, W, C) in {0,1} (C = 1 binary, C > 1 multilabel: one value per channel, averaged)",
    y_pred="per-pixel logits (N, H, W, C) (from_logits=True, the default), or probabilities",
    head=Head.SEGMENTATION,
    formula="per image and channel: sum_i relu(e_(i)) g_i, e = 1 - x (2t - 1) sorted "
    "decreasingly, g = gradient of the Lovász extension of the Jaccard loss",
    when_to_use="Fine-tuning binary segmentation for IoU (Kaggle-style): a convex surrogate "
    "of 1 - IoU per image. Often after pre-training with BCE.",
    pitfalls="Per image: an image with an empty mask is scored by its false positives only. "
    "Sorting makes it slower than Dice on large images.",
    references=(_BERMAN,),
    predict=f"{_REF}:predict_lovasz_hinge",
    minimum_at_truth=False,
)

_spec(
    name="lovasz_softmax",
    title="Lovász-softmax",
    aliases=("LovaszSoftmaxLoss", "lovasz_softmax_loss"),
    keras=f"{_KER}:LovaszSoftmaxLoss",
    reference=f"{_REF}:lovasz_softmax",
    params=LOVASZ_SOFTMAX_PARAMS,
    y_true="integer class ids (N, H, W) or one-hot (N, H, W, C)",
    y_pred="class probabilities (N, H, W, C) (softmax), or logits with from_logits=True",
    formula="per image: mean over classes present in y_true of the Lovász extension of the "
    "Jaccard loss at the errors |t_c - p_c|",
    when_to_use="Multiclass semantic segmentation judged by mIoU: directly optimises a "
    "tight surrogate of the per-class IoU.",
    pitfalls="Classes absent from an image's target are ignored in that image (classes="
    "'present'); combine with cross-entropy early in training.",
    references=(_BERMAN,),
    inputs="segmentation_multiclass",
    requires=("integer labels",),
    predict=f"{_REF}:predict_lovasz_softmax",
)
