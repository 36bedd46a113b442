"""Metric-learning losses TensorFlow Addons had and Keras 3 lacks, on every backend.

Contrastive (per pair), triplet semi-hard, triplet hard (batch-hard or batch-all), lifted
structured, n-pairs (single and multi-label), NT-Xent / InfoNCE and supervised contrastive
(SupCon). TensorFlow Addons' argument names are kept (``margin``, ``distance_metric``,
``soft``), so migrating is a change of import.

Except contrastive, each loss is defined on the whole batch (the negatives come from the
batch) and returns one scalar: the catalog marks them ``per_batch=True``. Sample weights
scale that scalar, they do not re-weight samples inside the batch.

Memory and time are O(B^2) (O(B^2 log B) for the sorts): the semi-hard negative of every
(anchor, positive) pair is found by a binary search in each anchor's sorted negative
distances, where TensorFlow Addons builds a B x B x B tensor. Everything is masks and fixed
loops over static sizes, so it is jit-safe on JAX.

Rules for degenerate batches (all documented in ``docs/losses.md``):

- a batch with no positive pair gives 0 (TensorFlow Addons divides 0 by 0: NaN);
- semi-hard: a pair with no farther negative uses the farthest negative; an anchor with no
  negative at all uses distance 0 (TensorFlow Addons' fallback, kept);
- hard: an anchor with no positive uses d_p = 0, one with no negative uses the largest
  distance of its row (TensorFlow Addons' fallback, kept).

The implementation is split by responsibility: ``_mining`` (distances, masks, semi-hard
search), ``_pairs`` (pair and triplet losses), ``_npairs`` (n-pairs, NT-Xent, SupCon).
"""

from losslab.losses.metric_learning._mining import pairwise_distance
from losslab.losses.metric_learning._npairs import (
    NpairsLoss,
    NpairsMultilabelLoss,
    NTXentLoss,
    SupervisedContrastiveLoss,
    npairs_loss,
    npairs_loss_from_similarity,
    npairs_multilabel_loss,
    npairs_multilabel_loss_from_similarity,
    nt_xent_loss,
    supervised_contrastive_loss,
)
from losslab.losses.metric_learning._pairs import (
    ContrastiveLoss,
    LiftedStructLoss,
    TripletBatchAllLoss,
    TripletHardLoss,
    TripletSemiHardLoss,
    contrastive_loss,
    lifted_struct_loss,
    triplet_batch_all_loss,
    triplet_hard_loss,
    triplet_semihard_loss,
)

__all__ = [
    "ContrastiveLoss",
    "LiftedStructLoss",
    "NTXentLoss",
    "NpairsLoss",
    "NpairsMultilabelLoss",
    "SupervisedContrastiveLoss",
    "TripletBatchAllLoss",
    "TripletHardLoss",
    "TripletSemiHardLoss",
    "contrastive_loss",
    "lifted_struct_loss",
    "npairs_loss",
    "npairs_loss_from_similarity",
    "npairs_multilabel_loss",
    "npairs_multilabel_loss_from_similarity",
    "nt_xent_loss",
    "pairwise_distance",
    "supervised_contrastive_loss",
    "triplet_batch_all_loss",
    "triplet_hard_loss",
    "triplet_semihard_loss",
]
