"""Keras 3 built-in losses with their known defects repaired.

losslab returns Keras's own classes where they behave; where Keras 3.15 misbehaves, a
subclass registered as ``losslab>Name`` fixes it, so what :func:`losslab.get` returns both
means what its documentation says and survives a ``.keras`` save/load round trip:

- ``Huber`` forgets ``delta`` in ``get_config`` (reloads with delta=1.0).
- ``CosineSimilarity`` and ``SparseCategoricalCrossentropy`` forget ``axis``; the JAX and
  PyTorch backends of ``SparseCategoricalCrossentropy`` also reject a class axis other than
  the last one, so losslab's moves it last first.
- ``Tversky`` weights false negatives by ``alpha`` and false positives by ``beta`` in
  Keras 3.15.1, the opposite of its documentation and of Salehi et al. (2017). The fix is
  detected by behaviour once, so a Keras release that repairs it is not "fixed" twice.
- ``CategoricalGeneralizedCrossEntropy`` is missing from Keras's name table, so
  ``keras.losses.get("CategoricalGeneralizedCrossEntropy")`` and
  ``model.compile(loss="CategoricalGeneralizedCrossEntropy")`` fail. ``losslab.get`` finds it
  by that name (and by ``gce``), and the registered subclass reloads from a ``.keras`` file.
  Its gradient ``p^(q-1)`` is infinite at ``p = 0`` in Keras; losslab's keeps Keras's value
  and clips ``p`` only inside the gradient.
- ``CategoricalCrossentropy`` and ``CategoricalFocalCrossentropy`` spread the label-smoothing
  mass over ``y_true.shape[-1]`` classes even when the class ``axis`` is another one (fixed in
  later Keras releases); losslab's smooth over the class axis.
- ``BinaryFocalCrossentropy(from_logits=True)`` goes through a sigmoid and a clip: values
  saturate past ``|logit| ~ 16`` with a zero gradient, and ``gamma < 1`` gives a NaN gradient
  where ``p_t`` rounds to 1. losslab's computes it from the logits in log space.
- ``Circle`` cannot take Keras's ``ref_labels`` / ``ref_embeddings`` (its function can);
  losslab's accepts them as hyperparameters (a fixed reference set, saved as lists).

The implementation is split by responsibility: ``_functions`` (the repaired per-sample
functions) and ``_classes`` (the registered subclasses).
"""

from losslab.losses.keras_builtins._classes import (
    BinaryFocalCrossentropy,
    CategoricalCrossentropy,
    CategoricalFocalCrossentropy,
    CategoricalGeneralizedCrossEntropy,
    Circle,
    CosineSimilarity,
    Huber,
    SparseCategoricalCrossentropy,
    Tversky,
    keras_tversky_swaps_alpha_beta,
)
from losslab.losses.keras_builtins._functions import (
    binary_focal_crossentropy,
    categorical_crossentropy,
    categorical_focal_crossentropy,
    categorical_generalized_cross_entropy,
    circle,
    cosine_similarity,
)

__all__ = [
    "BinaryFocalCrossentropy",
    "CategoricalCrossentropy",
    "CategoricalFocalCrossentropy",
    "CategoricalGeneralizedCrossEntropy",
    "Circle",
    "CosineSimilarity",
    "Huber",
    "SparseCategoricalCrossentropy",
    "Tversky",
    "binary_focal_crossentropy",
    "categorical_crossentropy",
    "categorical_focal_crossentropy",
    "categorical_generalized_cross_entropy",
    "circle",
    "cosine_similarity",
    "keras_tversky_swaps_alpha_beta",
]
