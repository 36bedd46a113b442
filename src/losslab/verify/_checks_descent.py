"""Checks that training moves predictions toward the truth: the gradient descends (per
sample, toward the truth), the minimum is at the perfect prediction (not at a shifted or
scaled copy of it), and the loss reads ``(y_true, y_pred)`` in Keras's order.

Each check is one function ``check(ctx) -> Verdict``; the battery registers them."""

from __future__ import annotations

import numpy as np

from losslab.verify._context import CheckContext, fmt
from losslab.verify._inputs import ELEMENTWISE_INPUTS
from losslab.verify._isolation import describe_error
from losslab.verify._report import Verdict

__all__ = ["argument_order", "gradients", "minimum"]

_SIGN_FIX = (
    "Check the sign of the loss (it must grow as y_pred moves away from y_true, e.g. return -log(p), "
    "not log(p)) and the argument order (Keras passes y_true first). If the labels are not "
    "prediction targets (a Wasserstein critic), run check(..., direction=False)."
)
# a row whose descent direction has a cosine with the way to the truth below this fails
_COSINE_TOLERANCE = -1e-3


def _direction(ctx: CheckContext, g: np.ndarray) -> tuple[Verdict | None, str]:
    """Per-sample test: -gradient of each row has a positive cosine with (truth - y_pred)."""
    from losslab.verify._probes import toward_truth

    target = ctx.truth_target()
    if target is None or not ctx.direction:
        return None, "" if ctx.direction else "; direction toward the truth not tested (direction=False)"
    n = ctx.yp.shape[0]
    toward = toward_truth(ctx.kind, target, ctx.yp).reshape(n, -1)
    step = -np.asarray(g, np.float64).reshape(n, -1)
    g_norm, t_norm = np.linalg.norm(step, axis=1), np.linalg.norm(toward, axis=1)
    scale = max(float(np.max(g_norm)), 1e-30)
    # rows at the truth or without gradient have no direction to test
    live = (t_norm > 1e-6 * (1.0 + float(np.max(t_norm)))) & (g_norm > 1e-9 * scale)
    cos = np.where(live, np.sum(step * toward, axis=1) / np.maximum(g_norm * t_norm, 1e-30), 1.0)
    away = np.flatnonzero(cos < _COSINE_TOLERANCE)
    if away.size:
        shown = ", ".join(f"{i} (cosine {cos[i]:.2f})" for i in away[:4])
        return Verdict.failed(
            f"the descent direction points away from the truth for {away.size} of {n} samples: rows {shown} between -gradient and y_true - y_pred; gradient descent drives those predictions away from their targets",
            _SIGN_FIX,
        ), ""
    return None, f"; descent direction toward the truth for every sample (smallest cosine {float(np.min(cos)):.2f})"


def gradients(ctx: CheckContext) -> Verdict:
    """Non-zero gradients; a small step against them lowers the loss and, per sample, moves
    the prediction toward the truth."""
    try:
        l0, g = ctx.grad(ctx.yt, ctx.yp, "sum_over_batch_size")
    except Exception as e:
        return Verdict.failed(f"the gradient with respect to y_pred raised {describe_error(e)}", "Use keras.ops only (no NumPy or Python float() on tensors) so the backend can differentiate the loss.")
    if not np.all(np.isfinite(g)):
        return Verdict.failed("non-finite gradient on valid inputs", "Make the loss numerically stable (eps in log/sqrt/divisions).")
    gmax = float(np.max(np.abs(g))) if g.size else 0.0
    if gmax == 0.0:
        return Verdict.failed(
            f"the gradient with respect to y_pred is exactly zero everywhere (loss {l0:.6g}): the model cannot learn",
            "Do not cut the gradient: avoid ops.stop_gradient, ops.round, ops.argmax, ops.sign or casts to int on y_pred.",
        )
    scale = 1.0 + float(np.mean(np.abs(ctx.yp)))
    tried: list[tuple[float, float]] = []
    for eps in (1e-2, 1e-3, 1e-4):
        l1 = ctx.reduced("sum_over_batch_size", ctx.yt, (ctx.yp - eps * scale * g / gmax).astype(np.float32))
        tried.append((eps, l1))
        if l1 < l0:
            break
    else:
        return Verdict.failed(
            f"a small step against the gradient raises the loss ({l0:.6g} -> {tried[0][1]:.6g} for step {tried[0][0]:g}): the gradient points the wrong way",
            "Check the sign of the loss: it must decrease as y_pred approaches y_true (e.g. return -log(p) not log(p), (y_pred - y_true)^2 not -(...)).",
        )
    failed, more = _direction(ctx, g)
    if failed is not None:
        return failed
    return Verdict.passed(f"one gradient step lowers the loss {l0:.6g} -> {tried[-1][1]:.6g}{more}")


def _regression_like(ctx: CheckContext) -> bool:
    """A location statistic of real or positive targets: a shifted or scaled truth is wrong."""
    from losslab._vocab import TaskKind

    spec = ctx.spec
    try:
        task = TaskKind.parse(spec.family.value)
    except ValueError:
        return False
    return task.is_regression and spec.statistic in ("mean", "median", "quantile")


def minimum(ctx: CheckContext) -> Verdict:
    """The loss is finite and smallest at the perfect prediction (perturbed and affinely
    transformed predictions are worse)."""
    from losslab.verify._probes import affine_variants, perfect, perturb

    spec = ctx.spec
    if spec is None or not spec.minimum_at_truth:
        return Verdict.not_applicable("no minimum at the truth is declared (catalog minimum_at_truth=False or no catalog entry)")
    best = perfect(ctx.kind, ctx.yt, ctx.yp, quantiles=ctx.quantiles)
    if best is None:
        return Verdict.not_applicable(f"no perfect prediction is defined for y_true {ctx.yt.shape} against y_pred {ctx.yp.shape}")
    try:
        v_best = ctx.values(ctx.yt, best)
    except Exception as e:
        return Verdict.failed(f"the loss raised at the perfect prediction: {describe_error(e)}", "Make the loss defined at y_pred == y_true.")
    if not np.all(np.isfinite(v_best)):
        return Verdict.failed(
            f"perfect prediction: non-finite loss {fmt(v_best[~np.isfinite(v_best)])} at y_pred == y_true",
            "Make the loss finite at y_pred == y_true: add eps inside sqrt/log/divisions (sqrt(x + eps)).",
        )
    tol = 1e-4 * (1.0 + float(np.max(np.abs(v_best))))
    worse = [ctx.values(ctx.yt, perturb(ctx.kind, best, ctx.rng, ctx.yt)) for _ in range(3)]
    for v in worse:
        if np.any(v < v_best - tol):
            i = int(np.argmax(v_best - v))
            return Verdict.failed(
                f"a perturbed prediction has a lower loss than the perfect one (sample {np.unravel_index(i, v.shape)}: {v.reshape(-1)[i]:.6g} < {v_best.reshape(-1)[i]:.6g})",
                "Make the loss minimal at y_pred == y_true, or declare minimum_at_truth=False if it estimates something else (a quantile, a margin).",
            )
    if _regression_like(ctx):
        for label, variant in affine_variants(ctx.kind, best):
            failed = _affine_failure(ctx, label, variant, v_best, tol, best)
            if failed is not None:
                return failed
    shown = min(float(np.mean(v)) for v in worse)
    return Verdict.passed(f"perfect prediction: mean loss {float(np.mean(v_best)):.6g}; perturbed and affinely transformed: {shown:.6g} or more")


def _affine_failure(ctx: CheckContext, label: str, variant: np.ndarray, v_best: np.ndarray, tol: float, best: np.ndarray) -> Verdict | None:
    n = best.shape[0]
    moved = np.max(np.abs(variant - best).reshape(n, -1), axis=1) > 1e-6
    v = ctx.values(ctx.yt, variant)
    if v.shape != v_best.shape:
        return None
    gap = (v - v_best).reshape(n, -1).min(axis=1) if v.ndim > 1 else (v - v_best)
    flat = np.flatnonzero(moved & ~(gap > tol))
    if not flat.size:
        return None
    i = int(flat[0])
    return Verdict.failed(
        f"the prediction {label} is not worse than the truth (sample {i}: {float(np.ravel(v[i])[0]):.6g} vs {float(np.ravel(v_best[i])[0]):.6g} at the truth, {flat.size} of {n} samples): the loss cannot tell the truth from a shifted or scaled copy (a correlation-like loss), so predictions drift in offset and scale",
        "Add a term that pins location and scale (e.g. + mean squared error), or declare minimum_at_truth=False if the loss deliberately ignores them.",
    )


def _profile(ctx: CheckContext, targets: np.ndarray, preds: np.ndarray, swapped: bool) -> np.ndarray:
    """Mean loss at each constant prediction (NaN where the loss is not finite)."""
    g = preds.shape[0] // targets.shape[0]
    tiled = np.concatenate([targets] * g)
    v = ctx.values(preds, tiled) if swapped else ctx.values(tiled, preds)
    means = np.asarray(v, np.float64).reshape(g, -1).mean(axis=1)
    return np.where(np.isfinite(means), means, np.nan)


def _interior(prof: np.ndarray) -> int | None:
    """The index of an interior minimum clearly below both ends, else None."""
    if not np.any(np.isfinite(prof)):
        return None
    i = int(np.nanargmin(prof))
    ends = np.nanmin([prof[0], prof[-1]]) if np.isfinite([prof[0], prof[-1]]).any() else np.inf
    tol = 1e-6 * (1.0 + abs(float(prof[i])))
    return i if 0 < i < prof.size - 1 and prof[i] < ends - tol else None


def argument_order(ctx: CheckContext) -> Verdict:
    """Asymmetry probe: over constant predictions, the loss as Keras calls it has its best
    value at the edge of the range while the swapped call has an interior best."""
    from losslab.verify._probes import constant_path

    spec = ctx.spec
    if ctx.per_batch or (spec is not None and spec.statistic not in ("mean", "probability", "distribution")):
        return Verdict.not_applicable("the loss does not estimate a mean or a probability (catalog statistic), so its best constant prediction says nothing about the argument order")
    path = constant_path(ctx.kind, ctx.yt, ctx.yp, elementwise=ctx.inputs.source in ELEMENTWISE_INPUTS)
    if path is None:
        return Verdict.not_applicable(f"y_true and y_pred ({ctx.kind.value} predictions) do not live in different spaces, so swapped arguments cannot be told apart (e.g. a symmetric regression loss)")
    as_called = _profile(ctx, path.targets, path.predictions, swapped=False)
    best = _interior(as_called)
    if best is not None:
        return Verdict.passed(f"the best constant prediction for {path.summary} is the {path.what} {path.grid[best]:.3g}, inside the range")
    try:
        swapped = _interior(_profile(ctx, path.targets, path.predictions, swapped=True))
    except Exception:
        swapped = None
    edge = int(np.nanargmin(as_called)) if np.any(np.isfinite(as_called)) else None
    if swapped is None or edge is None:
        return Verdict.passed(f"no interior best constant prediction for {path.summary}, with the arguments in either order (not an argument-order problem)")
    return Verdict.failed(
        f"called as loss(y_true, y_pred) the best constant prediction for {path.summary} is the {path.what} {path.grid[edge]:.3g} (the edge of the range searched), but loss(y_pred, y_true) is best at {path.grid[swapped]:.3g}: the function reads its arguments in the wrong order",
        "Keras calls loss(y_true, y_pred): put y_true first in the signature (def loss(y_true, y_pred)).",
    )
