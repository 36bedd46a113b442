"""Keras callbacks that watch the loss, usable in any ``model.fit``.

- :class:`LossLogger`: training/validation losses to a JSON-lines file, per epoch and
  optionally per batch (:func:`read_loss_log` reads it back).
- :class:`OverfittingMonitor`: warns (or stops) when the validation loss rises for N epochs
  while the training loss falls, and reports the generalisation gap.
- :class:`DivergenceGuard`: NaN/inf, a loss explosion, or a loss stuck at its initial value,
  with the likely causes named (learning rate, logits vs probabilities, unscaled target).

Example::

    from losslab.callbacks import DivergenceGuard, LossLogger, OverfittingMonitor
    model.fit(x, y, validation_split=0.2, epochs=50,
              callbacks=[LossLogger("loss.jsonl"), OverfittingMonitor(3), DivergenceGuard()])

This package imports Keras; ``import losslab`` does not import it.
"""

from losslab.callbacks._causes import likely_causes
from losslab.callbacks._guards import (
    DivergenceGuard,
    DivergenceWarning,
    Event,
    OverfittingMonitor,
    OverfittingWarning,
)
from losslab.callbacks._logger import LossLogger, read_loss_log

__all__ = [
    "DivergenceGuard",
    "DivergenceWarning",
    "Event",
    "LossLogger",
    "OverfittingMonitor",
    "OverfittingWarning",
    "likely_causes",
    "read_loss_log",
]
