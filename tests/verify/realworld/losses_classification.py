"""Real-world custom classification losses (binary, multiclass, metric learning), ported
mechanically to Keras 3 WITH their bugs (see losses_regression.py for the conventions)."""

from __future__ import annotations

from typing import Any

import keras
from keras import ops


def focal_loss_sum(y_true: Any, y_pred: Any, gamma: float = 2.0, alpha: float = 2.0) -> Any:
    """Binary focal loss summed over the whole batch, log(pt) unclipped (the source's
    ``focal_loss(gamma=2, alpha=2)`` factory).

    mkocabas/focal-loss-keras focal_loss.py @c40cacff60bda15b02bd83ea3a1b2be739d56117.
    """
    pt = ops.where(ops.equal(y_true, 1), y_pred, 1 - y_pred)
    return -ops.sum(alpha * ops.power(1.0 - pt, gamma) * ops.log(pt))


def focal_loss_fixed_mean(y_true: Any, y_pred: Any, gamma: float = 2.0, alpha: float = 0.25) -> Any:
    """Binary focal loss with the pt_1 / pt_0 split, averaged over the whole batch.

    yuanjie-ai/AIZoo __aizoo/aizoo/losses/__init__.py @d72deb09fccf76873c07c65f1a55f1949594c9b1.
    """
    eps = keras.backend.epsilon()
    pt_1 = ops.where(ops.equal(y_true, 1), y_pred, ops.ones_like(y_pred))
    pt_0 = ops.where(ops.equal(y_true, 0), y_pred, ops.zeros_like(y_pred))
    return -ops.mean(alpha * ops.power(1.0 - pt_1, gamma) * ops.log(eps + pt_1)) - ops.mean(
        (1 - alpha) * ops.power(pt_0, gamma) * ops.log(1.0 - pt_0 + eps)
    )


def focal_loss_swapped_cce(y_true: Any, y_pred: Any, gamma: float = 2.0, n_class: int = 5) -> Any:
    """A "focal" factor averaged over the batch times categorical cross-entropy called in
    the Keras-1 argument order (output, target): in Keras 2+ the arguments are swapped.

    ewrfcas/Machine-Learning-Toolbox loss_function/focal_loss.py
    @84f2f6a49f9533acd85ab51008170a6fce24a7dc.
    """
    return ops.mean(ops.power(ops.ones((n_class,)) - y_pred, gamma)) * ops.categorical_crossentropy(
        y_pred, y_true
    )


def weighted_bce_global(y_true: Any, y_pred: Any) -> Any:
    """BCE weighted 0.99 / 0.01 by class, averaged over the whole batch.

    davidchen9830/wmh_challenge_segmentation models/clean/losses.py
    @c437c9ef9aa82776a70d51345079e28a760ceca6 (weighted_binary_crossentropy).
    """
    b_ce = ops.binary_crossentropy(y_true, y_pred)
    one_weight = 0.99
    zero_weight = 0.01
    weight_vector = y_true * one_weight + (1.0 - y_true) * zero_weight
    return ops.mean(weight_vector * b_ce)


def weighted_bce_pos_weight(y_true: Any, y_pred: Any, pos_weight: float = 1.0) -> Any:
    """Probabilities clipped, turned back into logits, then TensorFlow's
    weighted_cross_entropy_with_logits (its formula written with keras.ops), per sample. Correct.

    readerbench/IRVIN architectures/bce_weights.py @4b616901384218a026fe167bfac1f06f04724171.
    """
    eps = keras.backend.epsilon()
    target = ops.cast(y_true, "float32")
    output = ops.clip(y_pred, eps, 1 - eps)
    x = ops.log(output / (1 - output))
    # tf.nn.weighted_cross_entropy_with_logits(labels=z, logits=x, pos_weight=q)
    log_weight = 1 + (pos_weight - 1) * target
    loss = (1 - target) * x + log_weight * (ops.log1p(ops.exp(-ops.abs(x))) + ops.maximum(-x, 0.0))
    return ops.mean(loss, axis=-1)


def jaccard_distance_contrib(y_true: Any, y_pred: Any, smooth: float = 100) -> Any:
    """Jaccard distance along the last axis, smoothed and rescaled. Correct.

    keras-team/keras-contrib keras_contrib/losses/jaccard.py
    @501a40c601b8eee7e71c4ee14947f97c10d51ffa (jaccard_distance).
    """
    intersection = ops.sum(ops.abs(y_true * y_pred), axis=-1)
    sum_ = ops.sum(ops.abs(y_true) + ops.abs(y_pred), axis=-1)
    jac = (intersection + smooth) / (sum_ - intersection + smooth)
    return (1 - jac) * smooth


def contrastive_global(y_true: Any, y_pred: Any) -> Any:
    """Contrastive loss (y_pred a distance, y_true 1 = similar) averaged over the batch.

    JoakimHaurum/DL_Projects dlrepo/models/utils/losses.py @4862ea79eec0ce7d88cda4bcdee847b3b3ec4f81.
    """
    margin = 1
    return ops.mean(
        y_true * ops.square(y_pred) + (1 - y_true) * ops.square(ops.maximum(margin - y_pred, 0))
    )


def kl_divergence_mean(y_true: Any, y_pred: Any) -> Any:
    """Keras's KL divergence, then averaged over the batch inside the loss.

    Gerda92/pyoneer func.py @ba87304926045ad535da99e23940aa9138f311fa (kl_divergence).
    """
    return ops.mean(keras.losses.kl_divergence(y_true, y_pred))
