"""NumPy float64 oracles, written from the formulas. Never imports Keras.

Each oracle takes ``(y_true, y_pred, **params)`` and returns one value per sample (or one
value for losses defined on the whole batch). :func:`reduce` applies Keras's reductions and
sample weights, so a reference *scalar* can be compared with a Keras loss object's output.
"""

from losslab.reference._reduce import REDUCTIONS, reduce

__all__ = ["REDUCTIONS", "reduce"]
