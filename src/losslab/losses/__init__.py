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
