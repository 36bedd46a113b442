"""Real-world custom segmentation losses (masks (N, H, W, 1)), ported mechanically to
Keras 3 WITH their bugs (see losses_regression.py for the conventions)."""

from __future__ import annotations

from typing import Any

from keras import ops


def dice_loss_flatten(y_true: Any, y_pred: Any, smooth: float = 1e-6) -> Any:
    """1 - Dice over the flattened batch: one value for the whole batch.

    Tasnim-Jahan/ThyCLIPNet dice.py @7429feeb387c365fc5104fdbfc7a067555cc805b (dice_loss).
    """
    y_true_f = ops.reshape(y_true, (-1,))
    y_pred_f = ops.reshape(y_pred, (-1,))
    intersection = ops.sum(y_true_f * y_pred_f)
    return 1 - (2.0 * intersection + smooth) / (ops.sum(y_true_f) + ops.sum(y_pred_f) + smooth)


def dice_coef_loss_negative(y_true: Any, y_pred: Any) -> Any:
    """-Dice over the flattened batch, smooth = 100.

    bryanpiguave/MRI_segmentation src/loss.py @ec350233aa9e0b8f73870659e7b57200c18f571b (dice_coef_loss).
    """
    smooth = 100
    y_truef = ops.reshape(y_true, (-1,))
    y_predf = ops.reshape(y_pred, (-1,))
    And = ops.sum(y_truef * y_predf)  # noqa: N806  (the source's name)
    return -((2 * And + smooth) / (ops.sum(y_truef) + ops.sum(y_predf) + smooth))


def dice_coef_as_loss(y_true: Any, y_pred: Any, smooth: float = 1) -> Any:
    """The Dice COEFFICIENT (higher is better) along the last axis, compiled as a loss.

    oeminaga/gene_exp metrics.py @b8c94156470402c0880180bcdf15a9a2e4b20745 (dice_coef).
    """
    intersection = ops.sum(ops.abs(y_true * y_pred), axis=-1)
    return (2.0 * intersection + smooth) / (
        ops.sum(ops.square(y_true), -1) + ops.sum(ops.square(y_pred), -1) + smooth
    )


def focal_tversky_batch_axis(y_true: Any, y_pred: Any, gamma: float = 0.75) -> Any:
    """Focal Tversky whose Tversky index sums over axes (0, 1, 2) (the batch included),
    then (1 - TI)^0.75: an infinite gradient at a perfect prediction.

    herolava259/gr_project metrics/loss/unet3DTR.py @8966680350e0d366304e5f9935863d654e6a227e.
    """
    axis, alpha, beta, smooth = (0, 1, 2), 0.3, 0.7, 0.0001
    y_true = ops.cast(y_true, "float32")
    y_pred = ops.cast(y_pred, "float32")
    tp = ops.sum(y_true * y_pred, axis=axis)
    fn = ops.sum(y_true * (1 - y_pred), axis=axis)
    fp = ops.sum((1 - y_true) * y_pred, axis=axis)
    tv = ops.mean((tp + smooth) / (tp + alpha * fn + beta * fp + smooth))
    return ops.power(1 - tv, gamma)


def focal_tversky_flatten(y_true: Any, y_pred: Any) -> Any:
    """Focal Tversky over the flattened batch, (1 - TI)^0.75.

    sudohainguyen/STAN-small-tumor-aware-network src/utils/losses/tversky.py
    @eb4bb3310cf85621d03a783872f9237a5e8b07fc (focal_tversky_loss).
    """
    smooth = 1.0
    y_true = ops.reshape(y_true, (-1,))
    y_pred = ops.reshape(y_pred, (-1,))
    tp = ops.sum(y_true * y_pred)
    fn = ops.sum(y_true * (1 - y_pred))
    fp = ops.sum((1 - y_true) * y_pred)
    alpha = 0.7
    pt_1 = (tp + smooth) / (tp + alpha * fn + (1 - alpha) * fp + smooth)
    return ops.power(1 - pt_1, 0.75)


def jaccard_distance_double_sum(y_true: Any, y_pred: Any, smooth: float = 100) -> Any:
    """keras-contrib's Jaccard distance with an extra outer sum: one value per batch.

    kartAI/kartAI kartai/losses/jaccard_distance_loss.py @1a59e987efa9f446d97cfc3ccfd4c0dd58c8ea19.
    """
    intersection = ops.sum(ops.sum(ops.abs(y_true * y_pred), axis=-1))
    sum_ = ops.sum(ops.sum(ops.abs(y_true) + ops.abs(y_pred), axis=-1))
    jac = (intersection + smooth) / (sum_ - intersection + smooth)
    return (1 - jac) * smooth


def jacard_loss_negative(y_true: Any, y_pred: Any) -> Any:
    """-Jaccard over the flattened batch.

    ap539813/Bone-Fracture-Detection utils.py @ff90676cc92a0cbf25c0b0e031cacd9f576892ae (jacard_loss).
    """
    y_true_c = ops.reshape(y_true, (-1,))
    y_pred_c = ops.reshape(y_pred, (-1,))
    intersection = ops.sum(y_true_c * y_pred_c)
    return -((intersection + 1.0) / (ops.sum(y_true_c) + ops.sum(y_pred_c) - intersection + 1.0))


def weighted_bce_unclipped(y_true: Any, y_pred: Any) -> Any:
    """BCE with log(y_pred) unclipped, weighted by 1 / (mean prediction of each image),
    averaged over the batch.

    muneebaadil/line-detection-using-cnns src/losses.py @386248c5860c0c37847a94c6f771c06dd31c376a
    (WeightedBinaryCrossentropy).
    """
    err = -((y_true * ops.log(y_pred)) + ((1 - y_true) * ops.log(1 - y_pred)))
    probs = ops.mean(y_pred, axis=(1, 2, 3), keepdims=True)
    weights = 1.0 / probs
    return ops.mean(err * weights)
