"""Checks on the loss's values: one value per sample, (N,) against (N, 1), Keras's
reductions and sample weights, finite values and gradients at edge inputs.

Each check is one function ``check(ctx) -> Verdict``; the battery registers them."""

from __future__ import annotations

import numpy as np

from losslab.verify._context import CheckContext, close, fmt
from losslab.verify._inputs import ELEMENTWISE_INPUTS, ValueKind
from losslab.verify._isolation import describe_error
from losslab.verify._report import Verdict

__all__ = ["edges", "per_sample", "rank_broadcast", "reductions"]

_ALIGN_FIX = "Align ranks before computing: `y_true, y_pred = losslab.losses.align_ranks(y_true, y_pred)`"


def per_sample(ctx: CheckContext) -> Verdict:
    """One value per sample, independent of the other samples of the batch."""
    if ctx.per_batch:
        return Verdict.not_applicable("the catalog defines this loss on the whole batch (per_batch=True)")
    n, v = ctx.yt.shape[0], ctx.base
    assert v is not None  # the battery guarantees base values for this check
    if v.ndim == 0 or v.shape[0] != n:
        return Verdict.failed(
            f"reduction='none' returned values of shape {v.shape} for a batch of {n}: the loss reduces over the batch itself, so Keras cannot apply sample weights or reductions",
            "Return one value per sample: reduce only the last axis, e.g. ops.mean(..., axis=-1), never over axis 0 or with ops.mean(x) without axis.",
        )
    if ctx.coupled:
        return Verdict.passed(f"values of shape {v.shape} for a batch of {n} (each value uses the whole batch by design: metric learning: pairs within the batch)")
    # same shapes as the base call (no recompilation): shuffle the batch, and replace
    # every sample but the first half by copies of first-half samples (pairs kept), so
    # any statistic over the batch - of y_true, of y_pred or of both - changes
    perm = ctx.rng.permutation(n)
    k = max(1, n // 2)
    v_perm = ctx.values(ctx.yt[perm], ctx.yp[perm])
    yt2, yp2 = ctx.yt.copy(), ctx.yp.copy()
    copies = np.arange(n - k) % k
    yt2[k:], yp2[k:] = ctx.yt[copies], ctx.yp[copies]
    v_sub = ctx.values(yt2, yp2)[:k]
    if not close(v_perm, v[perm]) or not close(v_sub, v[:k]):
        sub_bad = not close(v_sub, v[:k])
        bad, ref = (v_sub, v[:k]) if sub_bad else (v_perm, v[perm])
        return Verdict.failed(
            f"a sample's value depends on the other samples of the batch: first values {fmt(ref)} in the batch, {fmt(bad)} once the other samples are shuffled or replaced (batch statistics inside the loss)",
            "Compute each sample's value from that sample alone (no mean/sum/normalisation over axis 0); leave batch reduction to Keras.",
        )
    return Verdict.passed(f"values of shape {v.shape} for a batch of {n}; independent of the rest of the batch")


def rank_broadcast(ctx: CheckContext) -> Verdict:
    """y_true (N,) against y_pred (N, 1) gives what (N, 1) against (N, 1) gives."""
    if ctx.per_batch:
        return Verdict.not_applicable("the loss is defined on the whole batch")
    yt, yp = ctx.yt, ctx.yp
    elementwise = ctx.inputs.source in ELEMENTWISE_INPUTS or yp.shape[-1:] == (1,)
    same = yt.shape == yp.shape and ctx.kind in (ValueKind.REAL, ValueKind.POSITIVE, ValueKind.PROB, ValueKind.LOGITS, ValueKind.SCORES)
    if not (elementwise and yt.ndim == 2 and same):
        return Verdict.not_applicable(f"y_true {yt.shape} and y_pred {yp.shape} are not one column per target")
    yt1, yp1 = np.ascontiguousarray(yt[:, :1]), np.ascontiguousarray(yp[:, :1])
    n = yt1.shape[0]
    try:
        ref = ctx.values(yt1, yp1)
        got = ctx.values(yt1[:, 0], yp1)
    except Exception as e:
        return Verdict.failed(f"y_true of shape ({n},) against y_pred ({n}, 1) raised {describe_error(e)}", _ALIGN_FIX + ".")
    if got.size == n * n and n > 1 and got.size != ref.size:
        return Verdict.failed(
            f"y_true ({n},) against y_pred ({n}, 1) gave values of shape {got.shape} instead of {ref.shape}: the tensors broadcast into an (N, N) matrix, so every sample is compared with every target",
            _ALIGN_FIX + " (or subclass losslab.losses.LosslabLoss / use @losslab.loss, which do it), or reshape y to (N, 1).",
        )
    if not close(got.reshape(-1), ref.reshape(-1)):
        return Verdict.failed(
            f"y_true ({n},) against y_pred ({n}, 1) gave {fmt(got)} (shape {got.shape}), but ({n}, 1) against ({n}, 1) gives {fmt(ref)}",
            _ALIGN_FIX + ".",
        )
    return Verdict.passed(f"({n},) vs ({n}, 1) gives the same {got.shape} values as ({n}, 1) vs ({n}, 1)")


def reductions(ctx: CheckContext) -> Verdict:
    """Keras's reductions and sample weights equal its formulas on the per-sample values."""
    from losslab.reference import reduce

    if ctx.per_batch:
        return Verdict.not_applicable("the loss is defined on the whole batch (no per-sample weights)")
    v = ctx.base
    if v is None or v.ndim == 0 or v.shape[0] != ctx.yt.shape[0]:
        return Verdict.failed("no per-sample values (see per_sample), so Keras reductions and sample weights are wrong", "Return one value per sample (see per_sample).")
    n = v.shape[0]
    w_shape = (n,) if v.ndim == 1 else v.shape
    w = ctx.rng.uniform(0.5, 2.0, size=w_shape).astype(np.float32)
    problems: list[str] = []
    # "mean" is Keras's alias of "sum_over_batch_size"; each distinct formula once
    for red in ("sum", "sum_over_batch_size", "mean_with_sample_weight"):
        got_w, exp_w = ctx.reduced(red, ctx.yt, ctx.yp, w), float(reduce(v, w, red))
        if not close(got_w, exp_w):
            problems.append(f"reduction={red!r} with weights gave {got_w:.6g}, Keras's formula on the per-sample values gives {exp_w:.6g}")
    got_1 = ctx.reduced("sum_over_batch_size", ctx.yt, ctx.yp, np.ones(w_shape, np.float32))
    got_0 = ctx.reduced("sum_over_batch_size", ctx.yt, ctx.yp, None)
    exp_0 = float(reduce(v, None, "sum_over_batch_size"))
    if not close(got_1, got_0):
        problems.append(f"unit weights gave {got_1:.6g}, no weights {got_0:.6g}")
    elif not close(got_0, exp_0):
        problems.append(f"reduction='sum_over_batch_size' gave {got_0:.6g}, the mean of the per-sample values is {exp_0:.6g}")
    w0 = w.copy()
    w0[0] = 0.0
    dropped = ctx.reduced("sum", ctx.yt, ctx.yp, w0)
    # a zero weight must equal dropping the sample: the weighted sum over the batch without
    # sample 0 (values recomputed on that smaller batch, so a loss whose values lean on
    # batch statistics fails here too); losses coupled by design keep the batch's values
    others = np.asarray(v, np.float64)[1:] if ctx.coupled else np.asarray(ctx.values(ctx.yt[1:], ctx.yp[1:]), np.float64)
    kept = float(np.sum(others * w[1:]))
    if not close(dropped, kept):
        problems.append(f"a zero weight on sample 0 gave sum {dropped:.6g}, but the other samples' weighted values sum to {kept:.6g}")
    if problems:
        return Verdict.failed("; ".join(problems[:3]), "Return unreduced per-sample values from call(); do not weight or reduce inside the loss (Keras applies sample_weight and the reduction).")
    return Verdict.passed("sum, sum_over_batch_size, mean, mean_with_sample_weight match Keras's formulas; unit weights = none; zero weight drops the sample")


def edges(ctx: CheckContext) -> Verdict:
    """Finite values and gradients at edge inputs (and at predictions equal to the targets)."""
    from losslab.verify._probes import edge_sets

    sets = edge_sets(ctx.kind, ctx.inputs.source, ctx.yt, ctx.yp, ctx.rng, ctx.truth())
    bad: list[str] = []
    for label, yt, yp in sets:
        try:
            val, g = ctx.grad(yt, yp)
        except Exception as e:
            bad.append(f"{label}: raised {describe_error(e)}")
            continue
        if not np.isfinite(val):
            v = ctx.values(yt, yp)
            bad.append(f"{label}: non-finite values {fmt(v[~np.isfinite(v)]) if v.ndim else fmt(v)}")
        elif not np.all(np.isfinite(g)):
            bad.append(f"{label}: non-finite gradient ({int((~np.isfinite(g)).sum())} of {g.size} entries)")
    if bad:
        return Verdict.failed(
            "; ".join(bad[:3]),
            "Make the loss numerically stable: clip probabilities to [eps, 1 - eps] with eps = keras.backend.epsilon(), use log-sum-exp / softplus forms for logits (ops.log_softmax, ops.softplus), add eps inside sqrt/log/divisions (sqrt(x + eps): the gradient of sqrt at 0 is infinite), compute half precision in float32.",
        )
    return Verdict.passed(f"finite values and gradients at: {', '.join(s[0] for s in sets)}")
