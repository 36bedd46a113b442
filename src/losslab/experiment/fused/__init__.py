"""The fused trial engine: the K losses x R seeds of a comparison trained as one JAX program
(stacked weights, one jitted step, a scan over each epoch, early stopping per member).

Heavy imports (keras, jax) happen inside functions.
"""

from losslab.experiment.fused.engine import FusedEngine, fallback_reason, trial_options

__all__ = ["FusedEngine", "fallback_reason", "trial_options"]
