"""Catalog entries for the metric-learning losses (TensorFlow Addons' and beyond)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

from losslab.catalog._registry import register
from losslab.catalog._spec import Family, Head, LossSpec
from losslab.catalog.inputs import register_inputs
from losslab.reference.metric_learning import (
    CONTRASTIVE_PARAMS,
    LIFTED_PARAMS,
    NPAIRS_PARAMS,
    NTXENT_PARAMS,
    SUPCON_PARAMS,
    TRIPLET_BATCH_ALL_PARAMS,
    TRIPLET_HARD_PARAMS,
    TRIPLET_SEMIHARD_PARAMS,
)

_REF = "losslab.reference.metric_learning"
_KER = "losslab.losses.metric_learning"

_LABELS = "integer class labels, shape (B,) or (B, 1); each class should appear at least twice in a batch"
_EMB = "embeddings (B, d) from a linear layer (normalise them in the model for L2 / squared-L2 if you want a bounded space)"
_PER_BATCH = (
    " Defined on the whole batch: one value per batch, so sample weights scale it and "
    "the batch must mix classes (use a class-balanced sampler: P classes x K samples)."
)
_TFA = "TensorFlow Addons (2019-2024). tfa.losses. https://github.com/tensorflow/addons"
_SCHROFF = "Schroff, F., Kalenichenko, D., Philbin, J. (2015). FaceNet: A Unified Embedding for Face Recognition and Clustering. CVPR."
_HERMANS = "Hermans, A., Beyer, L., Leibe, B. (2017). In Defense of the Triplet Loss for Person Re-Identification. arXiv:1703.07737."


@register_inputs("pair_distances")
def _pair_distances(rng: np.random.Generator, n: int, params: Mapping[str, Any]) -> tuple[np.ndarray, np.ndarray]:
    """Pair labels (1 similar, 0 dissimilar) and non-negative distances, both (n,)."""
    y = rng.integers(0, 2, size=n).astype(np.float32)
    return y, rng.uniform(0.0, 2.0, size=n).astype(np.float32)


@register_inputs("paired_embeddings")
def _paired(rng: np.random.Generator, n: int, params: Mapping[str, Any]) -> tuple[np.ndarray, np.ndarray]:
    """Labels (n,) and [anchor | positive] embeddings (n, 16), positives near their anchors."""
    labels = rng.integers(0, max(2, n // 2), size=n).astype(np.int32)
    a = rng.normal(size=(n, 8))
    p = a + 0.5 * rng.normal(size=(n, 8))
    return labels, np.concatenate([a, p], axis=1).astype(np.float32)


@register_inputs("multilabel_paired_embeddings")
def _ml_paired(rng: np.random.Generator, n: int, params: Mapping[str, Any]) -> tuple[np.ndarray, np.ndarray]:
    """Multi-hot labels (n, 4), each row with at least one label, and (n, 16) pair embeddings."""
    y = rng.integers(0, 2, size=(n, 4))
    y[np.arange(n), rng.integers(0, 4, size=n)] = 1
    return y.astype(np.float32), _paired(rng, n, params)[1]


@register_inputs("two_views")
def _two_views(rng: np.random.Generator, n: int, params: Mapping[str, Any]) -> tuple[np.ndarray, np.ndarray]:
    """Unused labels (zeros) and two noisy views of each sample side by side, (n, 16)."""
    base = rng.normal(size=(n, 8))
    v1 = base + 0.3 * rng.normal(size=(n, 8))
    v2 = base + 0.3 * rng.normal(size=(n, 8))
    return np.zeros(n, dtype=np.float32), np.concatenate([v1, v2], axis=1).astype(np.float32)


def _spec(**kw: Any) -> LossSpec:
    base: dict[str, Any] = dict(
        family=Family.METRIC_LEARNING,
        statistic="embedding",
        y_true=_LABELS,
        y_pred=_EMB,
        head=Head.EMBEDDING,
        per_batch=True,
        inputs="embedding_labels",
        requires=("integer labels",),
        tags=("losslab", "tfa"),
    )
    base.update(kw)
    return register(LossSpec(**base))


_spec(
    name="contrastive",
    title="Contrastive (pairs)",
    aliases=("ContrastiveLoss", "contrastive_loss"),
    y_true="1 for a similar pair, 0 for a dissimilar pair, shape (N,)",
    y_pred="the distance between the pair's two embeddings (N,), >= 0 (e.g. the Euclidean "
    "distance computed by a siamese model's last layer)",
    head=Head.IDENTITY,
    keras=f"{_KER}:ContrastiveLoss",
    reference=f"{_REF}:contrastive",
    params=CONTRASTIVE_PARAMS,
    formula="y d^2 + (1 - y) max(margin - d, 0)^2",
    when_to_use="Siamese networks trained on labelled pairs (same / different), e.g. "
    "signature or face verification, when the data come as pairs rather than classes.",
    pitfalls="y_pred is a distance, not a similarity or an embedding: the model must output "
    "||f(a) - f(b)||. y_true = 1 means SIMILAR (TensorFlow Addons' convention; some papers "
    "use the opposite). The margin is in the distance's units.",
    references=(
        "Hadsell, R., Chopra, S., LeCun, Y. (2006). Dimensionality Reduction by Learning an Invariant Mapping. CVPR.",
        _TFA,
    ),
    per_batch=False,
    inputs="pair_distances",
    requires=("y in {0,1}",),
    minimum_at_truth=False,
)

_spec(
    name="triplet_semihard",
    title="Triplet (semi-hard mining)",
    aliases=("TripletSemiHardLoss", "triplet_semihard_loss", "triplet"),
    keras=f"{_KER}:TripletSemiHardLoss",
    reference=f"{_REF}:triplet_semihard",
    params=TRIPLET_SEMIHARD_PARAMS,
    formula="mean over positive pairs (a, p) of max(margin + d(a,p) - d(a,n*), 0), "
    "n* = the closest negative with d(a,n) > d(a,p), else the farthest negative",
    when_to_use="Face / person re-identification / retrieval embeddings from class labels; "
    "the FaceNet recipe. Robust default for metric learning with labelled batches."
    + _PER_BATCH,
    pitfalls="Needs several samples per class in each batch (no positive pair: loss 0). An "
    "anchor without any negative uses d(a,n) = 0 (TensorFlow Addons' rule), so a one-class "
    "batch still pulls positives together. O(B^2 log B) time, O(B^2) memory.",
    references=(_SCHROFF, _TFA),
)

_spec(
    name="triplet_hard",
    title="Triplet (batch-hard mining)",
    aliases=("TripletHardLoss", "triplet_hard_loss", "batch_hard"),
    keras=f"{_KER}:TripletHardLoss",
    reference=f"{_REF}:triplet_hard",
    params=TRIPLET_HARD_PARAMS,
    formula="mean over anchors a of max(max_p d(a,p) - min_n d(a,n) + margin, 0); "
    "soft: log(1 + exp(max_p d(a,p) - min_n d(a,n)))",
    when_to_use="Person re-identification with P x K batches (Hermans et al.); converges fast "
    "once the embedding is reasonable." + _PER_BATCH,
    pitfalls="Hardest examples include label noise: with noisy labels prefer semi-hard or "
    "batch-all. Can collapse early in training with a large learning rate. Anchors without "
    "a positive use d_p = 0; without a negative, the row's largest distance (TensorFlow "
    "Addons' rules).",
    references=(_HERMANS, _TFA),
)

_spec(
    name="triplet_batch_all",
    title="Triplet (batch-all)",
    aliases=("TripletBatchAllLoss", "triplet_batch_all_loss", "batch_all"),
    keras=f"{_KER}:TripletBatchAllLoss",
    reference=f"{_REF}:triplet_batch_all",
    params=TRIPLET_BATCH_ALL_PARAMS,
    formula="sum over valid (a, p, n) of max(margin + d(a,p) - d(a,n), 0) / #{triplets with a positive loss}",
    when_to_use="The batch-all option of triplet hard: every valid triplet contributes, "
    "averaged over the active ones (Hermans et al.'s BA≠0); gentler than batch-hard early "
    "in training." + _PER_BATCH,
    pitfalls="Averaging over active triplets only makes the loss stay large as easy triplets "
    "drop out; compare runs by a judge metric, not by the loss value.",
    references=(_HERMANS,),
    tags=("losslab",),
)

_spec(
    name="lifted_struct",
    title="Lifted structured",
    aliases=("LiftedStructLoss", "lifted_struct_loss", "lifted"),
    keras=f"{_KER}:LiftedStructLoss",
    reference=f"{_REF}:lifted_struct",
    params=LIFTED_PARAMS,
    y_pred="embeddings (B, d), NOT L2-normalised (the margin is in Euclidean units)",
    formula="sum over positive pairs (i,j) of max(log(sum_{k not~i} e^{m - D_ik} + "
    "sum_{k not~j} e^{m - D_jk}) + D_ij, 0)^2 / (2 #pairs), D Euclidean",
    when_to_use="Retrieval embeddings when every negative of the batch should count, "
    "smoothly weighted towards the hard ones." + _PER_BATCH,
    pitfalls="Sensitive to the embedding scale (log-sum-exp of margin - D): keep embeddings "
    "un-normalised or tune the margin. Pairs with no negative contribute 0.",
    references=(
        "Oh Song, H., Xiang, Y., Jegelka, S., Savarese, S. (2016). Deep Metric Learning via Lifted Structured Feature Embedding. CVPR.",
        _TFA,
    ),
)

_spec(
    name="npairs",
    title="N-pairs",
    aliases=("NpairsLoss", "npairs_loss", "n_pairs"),
    keras=f"{_KER}:NpairsLoss",
    reference=f"{_REF}:npairs",
    params=NPAIRS_PARAMS,
    y_true="integer labels (N,), one per (anchor, positive) pair",
    y_pred="(N, 2d): the anchor embedding then the positive embedding of each pair, side by side",
    formula="mean_i CE(softmax_j(a_i . p_j), labels_equal(i, j) / row sum)",
    when_to_use="Data that come as (anchor, positive) pairs of one class each, e.g. two "
    "images of one product; one positive and N - 1 negatives per anchor." + _PER_BATCH,
    pitfalls="Un-normalised dot products: add L2 regularisation on the embeddings (the "
    "paper does) or they grow without bound. TensorFlow Addons took the (N, N) similarity "
    "matrix; losslab takes the two embeddings (npairs_loss_from_similarity keeps the old form).",
    references=(
        "Sohn, K. (2016). Improved Deep Metric Learning with Multi-class N-pair Loss Objective. NeurIPS.",
        _TFA,
    ),
    inputs="paired_embeddings",
)

_spec(
    name="npairs_multilabel",
    title="N-pairs (multi-label)",
    aliases=("NpairsMultilabelLoss", "npairs_multilabel_loss"),
    keras=f"{_KER}:NpairsMultilabelLoss",
    reference=f"{_REF}:npairs_multilabel",
    params=NPAIRS_PARAMS,
    y_true="multi-hot labels (N, C)",
    y_pred="(N, 2d): the anchor embedding then the positive embedding of each pair, side by side",
    formula="mean_i CE(softmax_j(a_i . p_j), (Y Y^T)_ij / row sum), rows without labels left out",
    when_to_use="N-pairs when each item carries several labels: pairs sharing more labels "
    "get more target mass." + _PER_BATCH,
    pitfalls="Rows with no label at all are left out of the mean (TensorFlow Addons divided "
    "0 by 0). Same scale caveat as n-pairs.",
    references=(
        "Sohn, K. (2016). Improved Deep Metric Learning with Multi-class N-pair Loss Objective. NeurIPS.",
        _TFA,
    ),
    inputs="multilabel_paired_embeddings",
    requires=("multi-hot",),
)

_spec(
    name="nt_xent",
    title="NT-Xent / InfoNCE",
    aliases=("NTXentLoss", "nt_xent_loss", "infonce", "info_nce", "simclr"),
    keras=f"{_KER}:NTXentLoss",
    reference=f"{_REF}:nt_xent",
    params=NTXENT_PARAMS,
    y_true="unused (the pairing is given by the layout): pass zeros of shape (N,)",
    y_pred="(N, 2d): the embeddings of two augmented views of each sample, side by side "
    "(normalised here)",
    formula="mean over the 2N views i of -log(exp(cos(z_i, z_i+)/t) / sum_{k != i} exp(cos(z_i, z_k)/t))",
    when_to_use="Self-supervised contrastive pre-training (SimCLR, CLIP-style) without "
    "labels: two views of one sample attract, every other sample repels." + _PER_BATCH,
    pitfalls="Needs large batches (many negatives) and strong augmentations; the temperature "
    "matters a lot (0.05 - 0.5). Two views of different samples that happen to share a class "
    "are pushed apart.",
    references=(
        "Chen, T., Kornblith, S., Norouzi, M., Hinton, G. (2020). A Simple Framework for Contrastive Learning of Visual Representations. ICML.",
        "van den Oord, A., Li, Y., Vinyals, O. (2018). Representation Learning with Contrastive Predictive Coding. arXiv:1807.03748.",
    ),
    inputs="two_views",
    requires=(),
    tags=("losslab",),
)

_spec(
    name="supcon",
    title="Supervised contrastive (SupCon)",
    aliases=("SupervisedContrastiveLoss", "supervised_contrastive", "supervised_contrastive_loss"),
    keras=f"{_KER}:SupervisedContrastiveLoss",
    reference=f"{_REF}:supervised_contrastive",
    params=SUPCON_PARAMS,
    formula="mean over anchors i with positives of -1/|P(i)| sum_{p in P(i)} "
    "log(exp(cos(z_i,z_p)/t) / sum_{k != i} exp(cos(z_i,z_k)/t))",
    when_to_use="Labelled contrastive learning: all same-class samples of the batch are "
    "positives; often a stronger pre-training than cross-entropy for transfer." + _PER_BATCH,
    pitfalls="Anchors without a positive in the batch are left out (a batch without any "
    "positive pair gives 0). Sensitive to the temperature; large batches help.",
    references=(
        "Khosla, P. et al. (2020). Supervised Contrastive Learning. NeurIPS.",
    ),
    tags=("losslab",),
)
