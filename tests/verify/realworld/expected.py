"""Expected ``losslab.check`` verdicts for the real-world corpus, written BEFORE running the
check, from reading each loss.

``EXPECTED[name] = Expected(verdict, fails, why)``: the overall verdict ("pass" / "fail"), the
checks expected to fail (names of ``losslab.verify.CHECK_NAMES``), and the reason. A loss
whose only problem is that it is not registered for serialization (``save_load``) is
expected to "pass": the check treats a missing registration as a warning, not a failure.
A batch reduction inside the loss fails ``per_sample`` and with it ``reductions``.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Expected:
    verdict: str  # "pass" or "fail"
    fails: frozenset[str]
    why: str


def _fail(*checks: str, why: str) -> Expected:
    return Expected("fail", frozenset(checks), why)


def _pass(why: str) -> Expected:
    return Expected("pass", frozenset(), why)


BATCH = ("per_sample", "reductions")

EXPECTED: dict[str, Expected] = {
    # ---------------------------------------------------------------- regression
    "rmse_global": _fail(
        *BATCH,
        "edges",
        why="mean without axis (one scalar per batch); sqrt(0) has a NaN gradient at a perfect prediction",
    ),
    "rmse_axis": _fail(
        "edges",
        why="per-sample RMSE is fine, but sqrt(0) gives a NaN gradient when the prediction equals the truth",
    ),
    "huber_dqn_mean": _fail(*BATCH, why="K.mean over the whole batch inside the loss"),
    "huber_elementwise": _pass("element-wise Huber; Keras reduces; only unregistered for saving"),
    "smooth_l1_sum": _fail(*BATCH, why="K.sum over the whole batch inside the loss"),
    "mape_clipped": _pass("Keras's own MAPE form (denominator clipped at eps), per sample"),
    "mape_global_no_eps": _fail(
        *BATCH, "edges", why="batch mean; division by y_true without eps (inf/NaN at y_true = 0)"
    ),
    "quantile_loss_global": _fail(*BATCH, why="tf.reduce_mean without axis"),
    "quantile_score_3q": _fail(
        *BATCH, why="K.mean over the batch of the three-quantile pinball loss"
    ),
    "envelope_asymmetric_sum": _fail(*BATCH, why="K.sum over the whole batch"),
    "sign_penalty": _pass(
        "per-sample squared error with a wrong-sign penalty; minimum at the truth"
    ),
    "loss_bet": _fail(
        "gradients",
        "minimum",
        why="value y_true^2 at the truth (sign(0) = 0); for negative targets the gradient drives predictions away from the truth",
    ),
    "negative_pearson": _fail(
        *BATCH, why="a batch statistic; invariant to the scale and shift of the predictions"
    ),
    "correlation_mse": _fail(
        *BATCH, why="per-sample MSE minus a batch correlation: values depend on the other samples"
    ),
    "wasserstein_axis": _pass(
        "a WGAN critic loss, per sample; no minimum at the truth by design (checked with the direction opt-out)"
    ),
    # ---------------------------------------------------------------- Loss subclasses
    "PearsonCorrelation": _fail(
        *BATCH,
        "gradients",
        why="returns the correlation (higher is better) over the batch: descent lowers the correlation",
    ),
    "WassersteinLoss": _fail(*BATCH, why="K.mean without axis inside call"),
    "MyWeightedBinaryCrossentropy": _fail(
        "rank_broadcast",
        why="a Loss subclass that does not align ranks: (N,) vs (N, 1) becomes (N, N); get_config misses 'weights' (a save_load warning)",
    ),
    "TverskyLoss": _fail(*BATCH, why="reduce_sum without axis inside call"),
    "KLDiv": _fail(
        *BATCH,
        "edges",
        why="overrides __call__ (no sample_weight, no reduction), sums over the batch, log(0) at one-hot predictions",
    ),
    # ---------------------------------------------------------------- classification
    "focal_loss_sum": _fail(
        *BATCH, "edges", why="K.sum over the batch; log(pt) unclipped is -inf at probabilities 0/1"
    ),
    "focal_loss_fixed_mean": _fail(*BATCH, why="K.mean over the batch (eps keeps the logs finite)"),
    # Written before check had an argument_order row, with "gradients" as the check that
    # should see the swap; the swap is now caught by argument_order (the gradient still
    # points toward the truth for this loss: smallest per-sample cosine 0.69).
    "focal_loss_swapped_cce": _fail(
        *BATCH,
        "argument_order",
        why="a batch-mean factor, and categorical_crossentropy called with (y_pred, y_true) swapped",
    ),
    "weighted_bce_global": _fail(*BATCH, why="K.mean over the batch"),
    "weighted_bce_pos_weight": _pass(
        "clipped probabilities -> logits -> weighted BCE per sample; clipping only flattens the gradient at exactly 0/1"
    ),
    "jaccard_distance_contrib": _pass(
        "Jaccard distance along the last axis, per sample, minimum at the truth"
    ),
    "contrastive_global": _fail(*BATCH, why="K.mean over the batch"),
    "kl_divergence_mean": _fail(*BATCH, why="K.mean over the batch of Keras's per-sample KL"),
    # ---------------------------------------------------------------- segmentation
    "dice_loss_flatten": _fail(*BATCH, why="Dice over the flattened batch: one value per batch"),
    "dice_coef_loss_negative": _fail(*BATCH, why="-Dice over the flattened batch"),
    "dice_coef_as_loss": _fail(
        "gradients",
        "minimum",
        why="the Dice coefficient (higher is better) used as the loss: maximal at the truth",
    ),
    "focal_tversky_batch_axis": _fail(
        *BATCH,
        "edges",
        why="Tversky index summed over axes (0, 1, 2); (1 - TI)^0.75 has an infinite gradient at a perfect prediction",
    ),
    "focal_tversky_flatten": _fail(
        *BATCH,
        "edges",
        why="flattened batch; (1 - TI)^0.75 has an infinite gradient at a perfect prediction",
    ),
    "jaccard_distance_double_sum": _fail(*BATCH, why="an extra outer K.sum reduces the batch"),
    "jacard_loss_negative": _fail(*BATCH, why="-Jaccard over the flattened batch"),
    "weighted_bce_unclipped": _fail(
        *BATCH, "edges", why="batch mean; log(0) and 1/mean(y_pred) unguarded"
    ),
}
