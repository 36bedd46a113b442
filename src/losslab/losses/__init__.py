"""losslab's Keras losses: pure ``keras.ops`` functions and thin ``Loss`` classes.

Importing this package imports Keras. Classes are re-exported lazily from their family
modules so ``losslab.losses.QuantileLoss`` works without importing every family.
"""

from losslab.losses._base import LosslabLoss, align_ranks, register_loss_class

# The sparsemax activation (``Dense(..., activation=losslab.losses.sparsemax)``). The name
# is the function, not the module: import the loss with
# ``from losslab.losses.sparsemax import SparsemaxLoss``.
from losslab.losses.sparsemax import sparsemax  # noqa: E402

__all__ = ["LosslabLoss", "align_ranks", "register_loss_class", "sparsemax"]

# class name -> family module, imported on first access (``losslab.losses.PinballLoss``)
_LAZY_CLASSES: dict[str, str] = {
    **dict.fromkeys(
        (
            "PinballLoss",
            "QuantileLoss",
            "CauchyLoss",
            "PseudoHuber",
            "SmoothL1",
            "GeneralRobustLoss",
        ),
        "regression",
    ),
    **dict.fromkeys(
        ("TweedieDeviance", "GammaDeviance", "PoissonNLL", "GaussianNLL", "StudentTNLL"),
        "probabilistic",
    ),
    **dict.fromkeys(
        (
            "SparseCategoricalFocalCrossentropy",
            "Poly1Crossentropy",
            "SymmetricCrossentropy",
            "WeightedBinaryCrossentropy",
            "AsymmetricLoss",
            "ClassBalancedCrossentropy",
            "ClassBalancedFocal",
            "SparseCategoricalCrossentropySmoothed",
        ),
        "classification",
    ),
    **dict.fromkeys(("CoralLoss", "CornLoss", "WeightedKappaLoss"), "ordinal"),
    **dict.fromkeys(
        (
            "ContrastiveLoss",
            "TripletSemiHardLoss",
            "TripletHardLoss",
            "TripletBatchAllLoss",
            "LiftedStructLoss",
            "NpairsLoss",
            "NpairsMultilabelLoss",
            "NTXentLoss",
            "SupervisedContrastiveLoss",
        ),
        "metric_learning",
    ),
    **dict.fromkeys(
        ("DiceLoss", "JaccardLoss", "FocalTverskyLoss", "MCCLoss", "LovaszHingeLoss", "LovaszSoftmaxLoss"),
        "segmentation",
    ),
    "GIoULoss": "boxes",
    "SparsemaxLoss": "sparsemax",
    **dict.fromkeys(
        ("Huber", "CosineSimilarity", "SparseCategoricalCrossentropy", "Tversky", "CategoricalGeneralizedCrossEntropy"),
        "keras_builtins",
    ),
}


def __getattr__(name: str) -> object:
    if name in _LAZY_CLASSES:
        import importlib

        return getattr(importlib.import_module(f"losslab.losses.{_LAZY_CLASSES[name]}"), name)
    raise AttributeError(f"module 'losslab.losses' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted([*__all__, *_LAZY_CLASSES])
