"""Classification losses Keras lacks: sparse categorical focal (per-class alpha), PolyLoss,
symmetric cross-entropy, BCE with ``pos_weight``, asymmetric loss (ASL) for multilabel,
class-balanced cross-entropy and focal (Cui et al. 2019), and label smoothing for sparse CE.

Pure ``keras.ops`` functions returning one value per sample plus thin :class:`LosslabLoss`
classes. Logits go through log-softmax / log-sigmoid; probabilities are clipped to
``[1e-7, 1 - 1e-7]`` like Keras, so no ``log(0)`` can occur.

The implementation is split by responsibility: ``_common`` (shared pieces), ``_multiclass``
(losses over class scores) and ``_binary`` (per-output sigmoid losses).
"""

from losslab.losses.classification._binary import (
    AsymmetricLoss,
    WeightedBinaryCrossentropy,
    asymmetric_loss,
    weighted_binary_crossentropy,
)
from losslab.losses.classification._common import (
    class_balanced_weights,
)
from losslab.losses.classification._multiclass import (
    ClassBalancedCrossentropy,
    ClassBalancedFocal,
    Poly1Crossentropy,
    SparseCategoricalCrossentropySmoothed,
    SparseCategoricalFocalCrossentropy,
    SymmetricCrossentropy,
    class_balanced_crossentropy,
    class_balanced_focal,
    poly1_crossentropy,
    sparse_categorical_crossentropy_smoothed,
    sparse_categorical_focal,
    symmetric_crossentropy,
)

__all__ = [
    "AsymmetricLoss",
    "ClassBalancedCrossentropy",
    "ClassBalancedFocal",
    "Poly1Crossentropy",
    "SparseCategoricalCrossentropySmoothed",
    "SparseCategoricalFocalCrossentropy",
    "SymmetricCrossentropy",
    "WeightedBinaryCrossentropy",
    "asymmetric_loss",
    "class_balanced_crossentropy",
    "class_balanced_focal",
    "class_balanced_weights",
    "poly1_crossentropy",
    "sparse_categorical_crossentropy_smoothed",
    "sparse_categorical_focal",
    "symmetric_crossentropy",
    "weighted_binary_crossentropy",
]
