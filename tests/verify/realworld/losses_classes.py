"""Real-world custom losses written as ``keras.losses.Loss`` subclasses, ported to Keras 3
WITH their bugs (see losses_regression.py for the conventions)."""

from __future__ import annotations

from typing import Any

import keras
from keras import ops


class PearsonCorrelation(keras.losses.Loss):
    """Returns the Pearson correlation of the batch (higher is better) as the loss.

    Jorgvt/perceptnet Notebooks/pearson_loss.py @bec8b30ddf8c57325f5ae9ec026768eacd3d8b07.
    """

    def call(self, y_true: Any, y_pred: Any) -> Any:
        y_true_mean = ops.mean(y_true, axis=0)
        y_pred_mean = ops.mean(y_pred, axis=0)
        num = y_true - y_true_mean
        num *= y_pred - y_pred_mean
        num = ops.sum(num)
        denom = ops.sqrt(ops.sum((y_true - y_true_mean) ** 2))
        denom *= ops.sqrt(ops.sum((y_pred - y_pred_mean) ** 2))
        return num / denom


class WassersteinLoss(keras.losses.Loss):
    """WGAN loss averaged over the whole batch inside ``call``.

    bryankolaczkowski/gmcdp gmcdp/losss.py @dba51121406011940b98d3eb8f0962f479174c85.
    """

    def __init__(self) -> None:
        super().__init__(name="wasserstein_loss")

    def call(self, y_true: Any, y_pred: Any) -> Any:
        return ops.mean(y_true * y_pred)


class MyWeightedBinaryCrossentropy(keras.losses.Loss):
    """BCE weighted by (y_true + weights), per sample; ranks not aligned, and get_config
    does not return ``weights``.

    rmndrs89/my-gait-events-tcn utils/losses.py @725f09e71784fe6103b127c22a0cca7d8e7c772d.
    """

    def __init__(self, weights: float = 0.01) -> None:
        super().__init__()
        self.weights = weights

    def call(self, y_true: Any, y_pred: Any) -> Any:
        return ops.mean(ops.binary_crossentropy(y_true, y_pred) * (y_true + self.weights), axis=-1)


class TverskyLoss(keras.losses.Loss):
    """Tversky loss summed over the whole batch (no axis) inside ``call``.

    AliMuquri/Semantic-Segmentation main_program_training/Utils_yeast/TverskyLoss.py
    @37813325c8618ca5bc6f51cdd32a129c38831fd0.
    """

    def __init__(self, beta: float = 0.7, smooth: float = 1) -> None:
        super().__init__()
        self.beta = beta
        self.smooth = smooth

    def call(self, y_true: Any, y_pred: Any) -> Any:
        y_true = ops.cast(y_true, "float32")
        numerator = ops.sum(y_true * y_pred) + self.smooth
        denominator = (
            ops.sum(y_true * y_pred)
            + (1 - self.beta) * ops.sum((1 - y_true) * y_pred)
            + self.beta * ops.sum(y_true * (1 - y_pred))
            + self.smooth
        )
        return 1 - numerator / denominator


class KLDiv(keras.losses.Loss):
    """ "KL divergence with batchmean reduction": overrides ``__call__`` (so Keras's
    reductions and sample weights are ignored), sums over the batch, log of y_pred unclipped.

    EMalagoli92/PonderNet-TensorFlow src/loss/utils.py @ee5fa9d3c4a16b895c9f5b7f0c083ca1ce36578c.
    """

    def __call__(self, y_true: Any, y_pred: Any) -> Any:  # no sample_weight, as in the source
        batch_size = ops.cast(ops.shape(y_true)[0], "float32")
        return ops.sum(y_pred * (ops.log(y_pred) - y_true)) / batch_size
