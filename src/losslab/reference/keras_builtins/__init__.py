"""NumPy float64 oracles for the Keras 3 built-in losses, from their formulas.

Conventions follow Keras 3.15 (``keras/src/losses/losses.py`` and the backends'
``nn.py``): per-sample values are means over the last axis unless stated; probabilities
are clipped to ``[eps, 1 - eps]`` with ``eps = 1e-7`` where Keras clips. Nothing here
imports Keras: every oracle is written from the formula in its docstring.

Where Keras 3.15.1 disagrees with its own documentation (Tversky's ``alpha`` and
``beta``), the oracle follows the documentation and Salehi et al. (2017); losslab's
``Tversky`` class does the same.

The ``predict_*`` functions turn a model's raw output into what judge metrics read
(probabilities of class 1, class probabilities, ...); see ``LossSpec.predict``.

The implementation is split by responsibility: ``_common`` (shared helpers),
``_regression``, ``_classification`` and ``_structured`` (Dice, Tversky, CTC, Circle).
"""

from losslab.reference.keras_builtins._classification import (
    binary_crossentropy,
    binary_focal_crossentropy,
    categorical_crossentropy,
    categorical_focal_crossentropy,
    categorical_generalized_cross_entropy,
    categorical_hinge,
    hinge,
    predict_binary,
    predict_categorical,
    predict_hinge,
    predict_multiclass_scores,
    predict_sparse,
    sparse_categorical_crossentropy,
    sparse_categorical_crossentropy_mask,
    squared_hinge,
)
from losslab.reference.keras_builtins._common import (
    ONE_MINUS_EPS,
)
from losslab.reference.keras_builtins._regression import (
    cosine_similarity,
    huber,
    kl_divergence,
    log_cosh,
    mean_absolute_error,
    mean_absolute_percentage_error,
    mean_squared_error,
    mean_squared_logarithmic_error,
    poisson,
)
from losslab.reference.keras_builtins._structured import (
    circle,
    circle_mask,
    ctc,
    dice,
    predict_ctc,
    tversky,
)

__all__ = [
    "ONE_MINUS_EPS",
    "binary_crossentropy",
    "binary_focal_crossentropy",
    "categorical_crossentropy",
    "categorical_focal_crossentropy",
    "categorical_generalized_cross_entropy",
    "categorical_hinge",
    "circle",
    "circle_mask",
    "cosine_similarity",
    "ctc",
    "dice",
    "hinge",
    "huber",
    "kl_divergence",
    "log_cosh",
    "mean_absolute_error",
    "mean_absolute_percentage_error",
    "mean_squared_error",
    "mean_squared_logarithmic_error",
    "poisson",
    "predict_binary",
    "predict_categorical",
    "predict_ctc",
    "predict_hinge",
    "predict_multiclass_scores",
    "predict_sparse",
    "sparse_categorical_crossentropy",
    "sparse_categorical_crossentropy_mask",
    "squared_hinge",
    "tversky",
]
