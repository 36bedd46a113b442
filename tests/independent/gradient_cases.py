"""The gradient-check cases: (catalog name, hyperparameters, input maker) per case id.

Inputs are float64, small, and at interior points: no ties between distances, no error
exactly at a hinge or clip, boxes that overlap partially without sharing an edge. Every loss
whose gradient takes a path other than plain differentiation of its formula is here
(stop_gradient, where-guards, sorting, mining, clipping, floors, power tricks).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

Maker = Callable[[np.random.Generator], tuple[np.ndarray, np.ndarray]]


def _softmax(z: np.ndarray) -> np.ndarray:
    e = np.exp(z - z.max(-1, keepdims=True))
    return e / e.sum(-1, keepdims=True)


def onehot_probs(rng):
    y = np.eye(4)[rng.integers(0, 4, 6)]
    return y, _softmax(rng.normal(size=(6, 4)))


def onehot_logits(rng):
    y = np.eye(4)[rng.integers(0, 4, 6)]
    return y, rng.normal(scale=1.5, size=(6, 4))


def sparse_probs(rng):
    return rng.integers(0, 4, 6).astype("int32"), _softmax(rng.normal(size=(6, 4)))


def sparse_logits(rng):
    return rng.integers(0, 4, 6).astype("int32"), rng.normal(scale=1.5, size=(6, 4))


def multilabel_probs(rng):
    return (rng.uniform(size=(6, 4)) < 0.5).astype("float64"), rng.uniform(0.1, 0.9, size=(6, 4))


def multilabel_logits(rng):
    return (rng.uniform(size=(6, 4)) < 0.5).astype("float64"), rng.normal(scale=1.5, size=(6, 4))


def quantiles(rng):
    return rng.normal(size=8), rng.normal(size=(8, 3))  # unsorted rows: crossings


def masks_logits(rng):
    return (rng.uniform(size=(2, 4, 4, 1)) < 0.5).astype("float64"), rng.normal(
        scale=1.5, size=(2, 4, 4, 1)
    )


def masks_probs(rng):
    return (rng.uniform(size=(2, 4, 4, 1)) < 0.5).astype("float64"), rng.uniform(
        0.1, 0.9, size=(2, 4, 4, 1)
    )


def class_masks_logits(rng):
    return rng.integers(0, 3, size=(2, 3, 3)).astype("int32"), rng.normal(
        scale=1.5, size=(2, 3, 3, 3)
    )


def embeddings(rng):
    labels = np.array([0, 0, 1, 1, 2, 2, 0, 1], dtype="int32")
    return labels, rng.normal(size=(8, 3))


def paired(rng):
    return np.array([0, 1, 2, 3, 0, 1], dtype="int32"), rng.normal(size=(6, 6))


def boxes(rng):
    corner = rng.uniform(0.0, 2.0, size=(6, 2))
    t = np.concatenate([corner, corner + rng.uniform(1.0, 3.0, size=(6, 2))], axis=1)
    p = t + rng.uniform(-0.6, 0.6, size=(6, 4))
    return t, p


def regression(rng):
    return rng.normal(size=(6, 3)), rng.normal(size=(6, 3))


def mean_scale(rng):
    return rng.normal(size=(6, 2)), rng.normal(size=(6, 4))


CASES: dict[str, tuple[str, dict[str, Any], Maker]] = {
    "pinball-crossing": ("pinball", {"tau": [0.1, 0.5, 0.9], "crossing_penalty": 2.0}, quantiles),
    "lovasz_hinge": ("lovasz_hinge", {}, masks_logits),
    "lovasz_softmax-logits": ("lovasz_softmax", {"from_logits": True}, class_masks_logits),
    "sparsemax": ("sparsemax", {}, onehot_logits),
    "triplet_semihard-L2": ("triplet_semihard", {}, embeddings),
    "triplet_semihard-squared": (
        "triplet_semihard",
        {"distance_metric": "squared-L2", "margin": 0.5},
        embeddings,
    ),
    "triplet_semihard-angular": (
        "triplet_semihard",
        {"distance_metric": "angular", "margin": 0.3},
        embeddings,
    ),
    "triplet_hard": ("triplet_hard", {}, embeddings),
    "triplet_hard-soft": ("triplet_hard", {"soft": True}, embeddings),
    "triplet_batch_all": ("triplet_batch_all", {"margin": 2.0}, embeddings),
    "lifted_struct": ("lifted_struct", {}, embeddings),
    "supcon": ("supcon", {"temperature": 0.5}, embeddings),
    "npairs": ("npairs", {}, paired),
    "giou": ("giou", {}, boxes),
    "diou": ("giou", {"mode": "diou"}, boxes),
    "ciou-alpha-frozen": ("giou", {"mode": "ciou"}, boxes),
    "iou": ("giou", {"mode": "iou"}, boxes),
    "symmetric_ce-probs": ("symmetric_crossentropy", {}, onehot_probs),
    "symmetric_ce-logits": (
        "symmetric_crossentropy",
        {"from_logits": True, "alpha": 0.5},
        onehot_logits,
    ),
    "generalized_ce": ("categorical_generalized_cross_entropy", {"q": 0.7}, sparse_probs),
    "asymmetric-probs": ("asymmetric_loss", {}, multilabel_probs),
    "asymmetric-logits": (
        "asymmetric_loss",
        {"from_logits": True, "gamma_neg": 2.0, "clip": 0.1},
        multilabel_logits,
    ),
    "binary_focal": ("binary_focal_crossentropy", {"gamma": 2.0}, multilabel_probs),
    "binary_focal-logits": (
        "binary_focal_crossentropy",
        {"from_logits": True, "apply_class_balancing": True},
        multilabel_logits,
    ),
    "categorical_focal": ("categorical_focal_crossentropy", {"gamma": 1.5}, onehot_probs),
    "sparse_categorical_focal": (
        "sparse_categorical_focal",
        {"alpha": [0.25, 0.5, 1.0, 2.0], "gamma": 1.5},
        sparse_probs,
    ),
    "sparse_categorical_focal-logits-gamma0.5": (
        "sparse_categorical_focal",
        {"gamma": 0.5, "from_logits": True},
        sparse_logits,
    ),
    "class_balanced_focal": (
        "class_balanced_focal",
        {"samples_per_class": [50, 20, 5, 1], "beta": 0.99, "from_logits": True},
        sparse_logits,
    ),
    "poly1": ("poly1_crossentropy", {"epsilon": 2.0, "from_logits": True}, onehot_logits),
    "focal_tversky": ("focal_tversky", {}, masks_probs),
    "focal_tversky-logits-gamma2": (
        "focal_tversky",
        {"from_logits": True, "gamma": 2.0, "smooth": 0.0},
        masks_logits,
    ),
    "soft_dice-logits": ("soft_dice", {"from_logits": True}, masks_logits),
    "mcc": ("mcc", {}, masks_probs),
    "cosine_similarity": ("cosine_similarity", {}, regression),
    "gaussian_nll-beta-frozen": ("gaussian_nll", {"beta": 0.5}, mean_scale),
}
