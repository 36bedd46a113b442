"""Real-world custom regression losses, ported mechanically to Keras 3 WITH their bugs.

Each function names its source (GitHub repository, path and the commit of the stored
version that was read) and what it is. Ports replace ``keras.backend`` / ``tf`` calls by
their ``keras.ops`` equivalents and keep everything else (constants, reductions, argument
order). Not registered for serialization, like the originals.
"""

from __future__ import annotations

from typing import Any

from keras import ops

# ruff: noqa: N802, N803  (the sources' names are kept)


def rmse_global(y_true: Any, y_pred: Any) -> Any:
    """RMSE over the whole batch (no axis): one scalar, sqrt(0) at the truth.

    davidADSP/Generative_Deep_Learning_2nd_Edition utils/losses.py
    @e994ae6b94f473f97b969afc2e75b43aa942e8fa (root_mean_squared_error).
    """
    return ops.sqrt(ops.mean(ops.square(y_pred - y_true)))


def rmse_axis(y_true: Any, y_pred: Any) -> Any:
    """Per-sample RMSE; sqrt of 0 at a perfect prediction has an infinite/NaN gradient.

    Jinhao510/autoencoder-impute autoencoder_impute/loss.py
    @c4b7bee58464339ebe5ed1ac05d3a79f9a719bdd (root_mean_squared_error).
    """
    return ops.sqrt(ops.mean(ops.square(y_pred - y_true), axis=-1))


def huber_dqn_mean(y_true: Any, y_pred: Any, clip_delta: float = 1.0) -> Any:
    """Huber loss for DQN, averaged over the whole batch inside the loss.

    doandongnguyen/FuzzyDQN utils/utils.py @b8cd8ba221d6ede75bc3ea267eada9f37202f9e6.
    """
    error = y_true - y_pred
    cond = ops.abs(error) <= clip_delta
    squared_loss = 0.5 * ops.square(error)
    quadratic_loss = 0.5 * clip_delta**2 + clip_delta * (ops.abs(error) - clip_delta)
    return ops.mean(ops.where(cond, squared_loss, quadratic_loss))


def huber_elementwise(y_true: Any, y_pred: Any, clip_delta: float = 1.0) -> Any:
    """Element-wise Huber loss (no reduction inside; Keras averages). Correct.

    cair/fire loss.py @cbf8841a41f334c33d7c795b6fd9faea5f43b131 (huber_loss).
    """
    error = y_true - y_pred
    cond = ops.abs(error) < clip_delta
    squared_loss = 0.5 * ops.square(error)
    linear_loss = clip_delta * (ops.abs(error) - 0.5 * clip_delta)
    return ops.where(cond, squared_loss, linear_loss)


HUBER_DELTA = 0.5


def smooth_l1_sum(y_true: Any, y_pred: Any) -> Any:
    """Smooth L1 summed over the whole batch inside the loss.

    safednn-nasa/TaxiNet-Work Models/loss.py @717c45085470c9c2322caf21aa7c8fd7c430972d (smoothL1).
    """
    x = ops.abs(y_true - y_pred)
    x = ops.where(x < HUBER_DELTA, 0.5 * x**2, HUBER_DELTA * (x - 0.5 * HUBER_DELTA))
    return ops.sum(x)


def mape_clipped(y_true: Any, y_pred: Any) -> Any:
    """MAPE with the denominator clipped at epsilon, per sample. Correct (Keras's own form).

    fabiomatos71/fiap_4mlet_fase4 api/app/core/metrics.py
    @1b7078300a2c4855a38da9226ac743c8cccae34b (mape).
    """
    y_true = ops.cast(y_true, "float32")
    y_pred = ops.cast(y_pred, "float32")
    diff = ops.abs((y_true - y_pred) / ops.clip(ops.abs(y_true), 1e-7, None))
    return 100.0 * ops.mean(diff, axis=-1)


def mape_global_no_eps(y_true: Any, y_pred: Any) -> Any:
    """MAPE over the whole batch, dividing by y_true with no epsilon (inf/NaN at y_true = 0).

    BrynjarGeir/lokaverkefni_vel code/utils/model_eval.py
    @268ed282019ea323ff6916578595218afa952069 (mean_absolute_percentage_error).
    """
    return ops.mean(ops.abs((y_true - y_pred) / y_true)) * 100.0


def quantile_loss_global(y_true: Any, y_pred: Any, q: float = 0.9) -> Any:
    """Pinball loss for quantile q, averaged over the whole batch inside the loss (the
    source's factory ``quantile_loss(q)`` with q = 0.9).

    Astatine25/pv-multimodal-forecasting training/quantile_loss.py
    @1d7645a6636c73f1907d50f7df48eafa3fa2aeca.
    """
    e = y_true - y_pred
    return ops.mean(ops.maximum(q * e, (q - 1) * e))


def quantile_score_3q(y_true: Any, y_pred: Any) -> Any:
    """Pinball loss of three quantile outputs (0.1, 0.5, 0.9) against y_true[..., 0],
    averaged over the whole batch.

    tnipen/maelstrom-benchmark losses.py @eb4fd02228642c5c03ae5b75748237794bb35f84 (quantile_score).
    """
    quantiles = [0.1, 0.5, 0.9]
    qtloss = 0
    for i, quantile in enumerate(quantiles):
        err = y_true[..., 0] - y_pred[..., i]
        qtloss += (quantile - ops.cast(err < 0, "float32")) * err
    return ops.mean(qtloss) / len(quantiles)


def envelope_asymmetric_sum(y_true: Any, y_pred: Any, tau: float = 0.9) -> Any:
    """Asymmetric absolute loss (tau above, 1 - tau below), summed over the whole batch
    (``CustomLoss(tau).loss``).

    PetraVidnerova/envelope loss.py @17c1fef75b7d8e6535a29cbcad6a1f715aa4e739.
    """
    diff = y_true - y_pred
    rho = ops.where(diff > 0, tau * ops.abs(diff), (1 - tau) * ops.abs(diff))
    return ops.sum(rho)


def sign_penalty(y_true: Any, y_pred: Any) -> Any:
    """Squared error, x100 when the prediction has the wrong sign; per sample. Correct.

    AnuragAnalog/Datacamp courses/python/Machine-Learning-for-Finance-in-Python/chapter-3/
    Custom-loss-function.py @03f41cf4be9779e255bb37615dc7a19592a4bc5e.
    """
    penalty = 100.0
    loss = ops.where(
        ops.less(y_true * y_pred, 0),
        penalty * ops.square(y_true - y_pred),
        ops.square(y_true - y_pred),
    )
    return ops.mean(loss, axis=-1)


def loss_bet(y_true: Any, y_pred: Any) -> Any:
    """A betting loss: (y_true + sign(y_pred - y_true) * y_pred)^2. Its minimum is not at
    the truth (y_true^2 there), and the gradient drives predictions away from it.

    MHayhoe/400 Loss.py @20b05af20c92aba85f6e992bf1504dfb524cd195.
    """
    return ops.square(y_true + ops.sign(y_pred - y_true) * y_pred)


def negative_pearson(y_true: Any, y_pred: Any) -> Any:
    """-Pearson correlation over the whole batch: a batch statistic, and invariant to the
    scale and shift of the predictions.

    jehrodrigues/siamese-similarity metrics.py @f10f695a0f136fe083bca04dfbc1a35012ae4a83
    (negative_pearson_correlation).
    """
    fs_pred = y_pred - ops.mean(y_pred)
    fs_true = y_true - ops.mean(y_true)
    covariance = ops.mean(fs_true * fs_pred)
    return -1 * (covariance / (ops.std(y_true) * ops.std(y_pred)))


def correlation_mse(x: Any, y: Any) -> Any:
    """2 * MSE (per sample) minus the batch Pearson correlation: per-sample values shifted
    by a batch statistic.

    tang-ji/media-memorability-prediction src/loss.py
    @0bd66ec50312e6d299b9fe0e2e134dce01006ff5 (correlation_loss).
    """
    mx = ops.mean(x)
    my = ops.mean(y)
    xm, ym = x - mx, y - my
    r_num = ops.mean(ops.multiply(xm, ym))
    r_den = ops.std(xm) * ops.std(ym)
    return 2 * ops.mean(ops.square(x - y), axis=-1) - r_num / r_den


def wasserstein_axis(y_true: Any, y_pred: Any) -> Any:
    """WGAN critic loss, labels +/-1, per sample: a critic, not a fit to the truth. Correct.

    vosps/tropical_cyclone wgan/wloss.py @5c4ce8dc9ff0d84fedf08c12a3206d22c9a17f0b.
    """
    return ops.mean(y_true * y_pred, axis=-1)
