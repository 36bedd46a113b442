"""losslab's Keras losses: pure ``keras.ops`` functions and thin ``Loss`` classes.

Importing this package imports Keras. Classes are re-exported lazily from their family
modules so ``losslab.losses.QuantileLoss`` works without importing every family.
"""

from losslab.losses._base import LosslabLoss, align_ranks, register_loss_class

__all__ = ["LosslabLoss", "align_ranks", "register_loss_class"]
