"""Catalog entry for the sparsemax loss (multiclass, sparse probabilities)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

from losslab.catalog._registry import register
from losslab.catalog._spec import Family, Head, LossSpec
from losslab.catalog.inputs import K_CLASSES, register_inputs
from losslab.reference.sparsemax import SPARSEMAX_PARAMS


@register_inputs("onehot_logits")
def _onehot_logits(rng: np.random.Generator, n: int, params: Mapping[str, Any]) -> tuple[np.ndarray, np.ndarray]:
    """One-hot targets (n, K) and logits (n, K)."""
    labels = rng.integers(0, K_CLASSES, size=n)
    y = np.eye(K_CLASSES, dtype=np.float32)[labels]
    return y, rng.normal(scale=1.5, size=(n, K_CLASSES)).astype(np.float32)


register(
    LossSpec(
        name="sparsemax",
        title="Sparsemax loss",
        aliases=("SparsemaxLoss", "sparsemax_loss"),
        family=Family.MULTICLASS,
        statistic="probability",
        y_true="one-hot targets (N, K) (or a distribution over K classes)",
        y_pred="logits (N, K) from a linear layer; predictions are sparsemax(logits)",
        head=Head.MULTICLASS_LOGITS,
        keras="losslab.losses.sparsemax:SparsemaxLoss",
        reference="losslab.reference.sparsemax:sparsemax_loss",
        params=SPARSEMAX_PARAMS,
        formula="-q.z + 1/2 sum_{j in S(z)} (z_j^2 - tau(z)^2) + 1/2 ||q||^2, "
        "sparsemax(z) = max(z - tau(z), 0)",
        when_to_use="Multiclass / attention outputs where sparse probabilities are wanted "
        "(many exactly 0): interpretable label selection, multi-label-like outputs. Pair it "
        "with the losslab.losses.sparsemax activation at prediction time.",
        pitfalls="The loss is 0 as soon as the true logit beats the others by 1 (a margin "
        "loss, not a proper scoring rule): sparsemax probabilities are less calibrated than "
        "softmax ones, and log loss on them is infinite where they are 0.",
        references=(
            "Martins, A. F. T., Astudillo, R. F. (2016). From Softmax to Sparsemax: A Sparse Model of Attention and Multi-Label Classification. ICML.",
            "TensorFlow Addons (2019-2024). tfa.losses.SparsemaxLoss. https://github.com/tensorflow/addons",
        ),
        inputs="onehot_logits",
        requires=("one-hot",),
        minimum_at_truth=False,
        predict="losslab.reference.sparsemax:predict_sparsemax",
        tags=("losslab", "tfa"),
    )
)
