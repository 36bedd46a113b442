"""Catalog entries: ordinal losses (CORAL, CORN, weighted kappa)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

from losslab.catalog._registry import register
from losslab.catalog._spec import Family, Head, LossSpec
from losslab.catalog.inputs import K_CLASSES, register_inputs
from losslab.reference.ordinal import CORAL_PARAMS, CORN_PARAMS, WEIGHTED_KAPPA_PARAMS

_REF = "losslab.reference.ordinal"
_KERAS = "losslab.losses.ordinal"
_ORD_Y = "integer labels 0 .. K-1 of ordered classes, shape (N,) or (N, 1)"


@register_inputs("ordinal_logits")
def _ordinal_logits(
    rng: np.random.Generator, n: int, params: Mapping[str, Any]
) -> tuple[np.ndarray, np.ndarray]:
    """Labels in [0, K) (int32, shape (N,)) and K-1 logits (N, K-1), K = 4."""
    labels = rng.integers(0, K_CLASSES, size=(n,)).astype(np.int32)
    return labels, rng.normal(scale=2.0, size=(n, K_CLASSES - 1)).astype(np.float32)


register(
    LossSpec(
        name="coral",
        title="CORAL ordinal loss",
        aliases=("CoralLoss", "coral_loss", "ordinal_coral"),
        family=Family.ORDINAL,
        statistic="probability",
        y_true=_ORD_Y,
        y_pred="(N, K-1) logits of the binary tasks 'y > k' (linear output)",
        head=Head.ORDINAL_LOGITS,
        keras=f"{_KERAS}:CoralLoss",
        reference=f"{_REF}:coral",
        params=CORAL_PARAMS,
        formula="-sum_k w_k [l_k log s(z_k) + (1 - l_k) log(1 - s(z_k))],  l_k = 1[y > k]",
        when_to_use="Ordered classes (ratings, severity grades, age groups): K-1 cumulative binary "
        "tasks respect the order, so predicting 4 for a true 5 costs less than predicting 1. "
        "Predict with the number of tasks whose probability exceeds 0.5 "
        "(losslab.reference.ordinal.ordinal_labels of the class probabilities).",
        pitfalls="Rank consistency (P(y > k) decreasing in k) is guaranteed only when the K-1 "
        "logits share one weight vector and differ by their biases (the CORAL layer); with a "
        "plain Dense(K-1) head the class probabilities are clipped at 0 and renormalised.",
        references=(
            "Cao, W., Mirjalili, V. and Raschka, S. (2020). Rank consistent ordinal regression for "
            "neural networks with application to age estimation. Pattern Recognition Letters.",
        ),
        inputs="ordinal_logits",
        requires=("integer labels",),
        minimum_at_truth=False,
        predict=f"{_REF}:predict_coral",
        tags=("ordinal",),
        extra={"example_params": {"importance": [1.0, 0.5, 2.0]}},
    )
)

register(
    LossSpec(
        name="corn",
        title="CORN ordinal loss",
        aliases=("CornLoss", "corn_loss", "ordinal_corn"),
        family=Family.ORDINAL,
        statistic="probability",
        y_true=_ORD_Y,
        y_pred="(N, K-1) logits of the conditional tasks 'y > k given y > k-1' (linear output)",
        head=Head.ORDINAL_LOGITS,
        keras=f"{_KERAS}:CornLoss",
        reference=f"{_REF}:corn",
        params=CORN_PARAMS,
        formula="-sum_{k <= y} [1[y > k] log s(z_k) + 1[y = k] log(1 - s(z_k))]",
        when_to_use="Ordered classes with any output layer: conditional training makes the "
        "cumulative probabilities P(y > k) = prod_j s(z_j) rank-consistent without CORAL's "
        "weight-sharing constraint, and usually predicts better.",
        pitfalls="The outputs are conditional probabilities: convert with "
        "losslab.reference.ordinal.corn_probabilities (or the catalog's predict), never read "
        "s(z_k) as P(y > k). Per-sample sum here vs. coral-pytorch's mean over used tasks "
        "(a batch-level constant factor).",
        references=(
            "Shi, X., Cao, W. and Raschka, S. (2023). Deep neural networks for rank-consistent "
            "ordinal regression based on conditional probabilities. Pattern Analysis and Applications.",
        ),
        inputs="ordinal_logits",
        requires=("integer labels",),
        minimum_at_truth=False,
        predict=f"{_REF}:predict_corn",
        tags=("ordinal",),
    )
)

register(
    LossSpec(
        name="weighted_kappa",
        title="Weighted kappa loss",
        aliases=("WeightedKappaLoss", "kappa", "weighted_kappa_loss", "qwk"),
        family=Family.ORDINAL,
        statistic="probability",
        y_true="one-hot labels (N, K) of ordered classes (or integer labels (N,))",
        y_pred="(N, K) class probabilities (softmax output)",
        head=Head.SOFTMAX,
        keras=f"{_KERAS}:WeightedKappaLoss",
        reference=f"{_REF}:weighted_kappa",
        params=WEIGHTED_KAPPA_PARAMS,
        formula="log( sum_ij W[y_i, j] p_ij / ((hist_true W hist_pred^T) / N) + epsilon ),  "
        "W[i, j] = |i - j| or (i - j)^2",
        when_to_use="Ordinal classification judged by (quadratic) weighted Cohen's kappa "
        "(medical grading, essay scoring): optimises a smooth surrogate of 1 - kappa directly. "
        "Drop-in for TensorFlow Addons' WeightedKappaLoss (same argument names).",
        pitfalls="Defined on the whole batch: use large batches (small ones give noisy "
        "histograms), and sample weights only rescale it. Range (-inf, log 2], so the value is "
        "negative when training goes well. Often combined with or warm-started from CE.",
        references=(
            "de La Torre, J., Puig, D. and Valls, A. (2018). Weighted kappa loss function for "
            "multi-class classification of ordinal data in deep learning. Pattern Recognition Letters.",
        ),
        per_batch=True,
        inputs="onehot",
        requires=("one-hot",),
        minimum_at_truth=True,
        predict=None,
        tags=("ordinal", "tfa"),
        extra={"example_params": {"num_classes": 4, "weightage": "linear"}},
    )
)
