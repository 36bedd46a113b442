"""Probe inputs of the check battery, derived from the valid inputs and their
:class:`~losslab.verify._inputs.ValueKind`: edge inputs, the perfect prediction, perturbed
and affinely transformed predictions, the direction toward the truth, and constant
predictions for the argument-order probe. NumPy only.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from losslab.verify._inputs import ValueKind

__all__ = ["ConstantPath", "affine_variants", "constant_path", "edge_sets", "perfect", "perturb", "toward_truth"]

EdgeSet = tuple[str, np.ndarray, np.ndarray]
_F32 = np.float32


def _floating(a: np.ndarray) -> bool:
    return bool(np.issubdtype(np.asarray(a).dtype, np.floating))


def _edges_prob(yt: np.ndarray, yp: np.ndarray, rng: np.random.Generator) -> list[EdgeSet]:
    hard = (rng.uniform(size=yp.shape) > 0.5).astype(_F32)
    out = [
        ("probabilities exactly 0 and 1", yt, hard),
        ("probabilities all 0", yt, np.zeros_like(yp, dtype=_F32)),
        ("probabilities all 1", yt, np.ones_like(yp, dtype=_F32)),
    ]
    if _floating(yt):
        out.append(("y_true and y_pred all zeros", np.zeros_like(yt), np.zeros_like(yp, dtype=_F32)))
    return out


def _edges_simplex(yt: np.ndarray, yp: np.ndarray, rng: np.random.Generator) -> list[EdgeSet]:
    k = yp.shape[-1]
    rows = yp.reshape(-1, k).shape[0]
    hard = np.eye(k, dtype=_F32)[rng.integers(0, k, size=rows)].reshape(yp.shape)
    return [("one-hot predictions (probabilities 0 and 1)", yt, hard)]


def _edges_logits(yt: np.ndarray, yp: np.ndarray, rng: np.random.Generator) -> list[EdgeSet]:
    sign = np.where(rng.uniform(size=yp.shape) > 0.5, 1.0, -1.0).astype(_F32)
    return [("logits of +/-1e4", yt, (1e4 * sign).astype(_F32)), ("logits all 0", yt, np.zeros_like(yp, dtype=_F32))]


def _edges_positive(yt: np.ndarray, yp: np.ndarray, gen: str) -> list[EdgeSet]:
    out = [("predictions near 0 (1e-6)", yt, np.full_like(yp, 1e-6, dtype=_F32))]
    if _floating(yt):
        out.append(("very large targets (1e5)", (yt * 1e5).astype(yt.dtype), yp))
        if gen == "nonnegative":
            out.append(("targets all 0", np.zeros_like(yt), yp))
    return out


def _edges_real(yt: np.ndarray, yp: np.ndarray) -> list[EdgeSet]:
    if not _floating(yt):
        return [("predictions all zeros", yt, np.zeros_like(yp, dtype=_F32))]
    return [
        ("y_true and y_pred all zeros", np.zeros_like(yt), np.zeros_like(yp, dtype=_F32)),
        ("very large targets (1e5)", (yt * 1e5 + np.sign(yt) * 1e5).astype(yt.dtype), yp),
    ]


def edge_sets(
    kind: ValueKind, gen: str, yt: np.ndarray, yp: np.ndarray, rng: np.random.Generator, truth: np.ndarray | None = None
) -> list[EdgeSet]:
    """Labelled ``(y_true, y_pred)`` edge inputs; ``truth`` (the perfect prediction) adds
    predictions exactly on the targets, where ``sqrt(0)``-like gradients blow up.

    >>> yt = np.array([[0.0], [2.0]], np.float32)
    >>> [label for label, _, _ in edge_sets(ValueKind.POSITIVE, "nonnegative", yt, yt + 1, np.random.default_rng(0), yt)]
    ['predictions equal to the targets', 'predictions near 0 (1e-6)', 'very large targets (1e5)', 'targets all 0']
    """
    out: list[EdgeSet] = []
    if truth is not None and kind.shares_target_space:
        out.append(("predictions equal to the targets", yt, np.asarray(truth, _F32)))
    if kind is ValueKind.PROB:
        out += _edges_prob(yt, yp, rng)
    elif kind is ValueKind.SIMPLEX:
        out += _edges_simplex(yt, yp, rng)
    elif kind in (ValueKind.LOGITS, ValueKind.SCORES):
        out += _edges_logits(yt, yp, rng)
    elif kind is ValueKind.POSITIVE:
        out += _edges_positive(yt, yp, gen)
    elif kind is ValueKind.EMBEDDING:
        out += [("all-zero embeddings", yt, np.zeros_like(yp, dtype=_F32)), ("embeddings of size 1e4", yt, (yp * 1e4).astype(_F32))]
    else:
        out += _edges_real(yt, yp)
    return out


def perfect(kind: ValueKind, yt: np.ndarray, yp: np.ndarray, quantiles: bool = False) -> np.ndarray | None:
    """The perfect prediction for y_true, in y_pred's space, or None when undefined.

    >>> perfect(ValueKind.SIMPLEX, np.array([2, 0]), np.zeros((2, 3)))
    array([[0., 0., 1.],
           [1., 0., 0.]], dtype=float32)
    """
    yt = np.asarray(yt)
    if kind is ValueKind.SIMPLEX and np.issubdtype(yt.dtype, np.integer):
        k = yp.shape[-1]
        return np.eye(k, dtype=_F32)[yt.reshape(-1)].reshape(yp.shape)
    if kind is ValueKind.LOGITS:
        if np.issubdtype(yt.dtype, np.integer):
            k = yp.shape[-1]
            return (np.eye(k, dtype=_F32)[yt.reshape(-1)].reshape(yp.shape) * 40 - 20).astype(_F32)
        if yt.shape == yp.shape:
            return np.where(yt > 0.5, 20.0, -20.0).astype(_F32)
        return None
    if yt.shape == yp.shape:
        return np.asarray(yt, dtype=_F32)
    if quantiles and yt.ndim == yp.ndim and yt.shape[-1] == 1:  # one target, several quantiles
        return np.broadcast_to(yt, yp.shape).astype(_F32)
    return None


def perturb(kind: ValueKind, best: np.ndarray, rng: np.random.Generator, yt: np.ndarray) -> np.ndarray:
    """A random prediction near (but not at) the perfect one ``best``."""
    if kind is ValueKind.LOGITS:
        return (best * rng.uniform(0.05, 0.9, size=best.shape)).astype(_F32)
    if kind is ValueKind.SIMPLEX:
        other = rng.dirichlet(np.ones(best.shape[-1]), size=best.shape[:-1])
        a = rng.uniform(0.05, 0.5, size=(*best.shape[:-1], 1))
        return ((1 - a) * best + a * other).astype(_F32)
    if kind is ValueKind.PROB:
        noise = rng.uniform(0.05, 0.4, size=best.shape)
        return np.where(best > 0.5, best - noise, best + noise).astype(_F32)
    sign = rng.choice([-1, 1], size=best.shape)
    if kind is ValueKind.POSITIVE:
        return (np.maximum(best, 1e-3) * np.exp(sign * rng.uniform(0.1, 0.5, size=best.shape))).astype(_F32)
    scale = 0.5 * (np.std(yt) + 1.0) if _floating(yt) else 0.5
    return (best + sign * rng.uniform(0.1, 1.0, size=best.shape) * scale).astype(_F32)


def affine_variants(kind: ValueKind, best: np.ndarray) -> list[tuple[str, np.ndarray]]:
    """Affine transforms ``a * truth + b`` of the perfect prediction (real or positive
    values): a loss minimal at the truth must be larger there (a correlation is not).

    >>> [label for label, _ in affine_variants(ValueKind.REAL, np.array([[1.0, -1.0]]))]
    ['y_true + 2', '3 * y_true', '3 * y_true + 20']
    """
    if kind not in (ValueKind.REAL, ValueKind.POSITIVE):
        return []
    b = float(np.round(1.0 + np.std(best), 2))
    return [
        (f"y_true + {b:g}", (best + b).astype(_F32)),
        ("3 * y_true", (3.0 * best).astype(_F32)),
        (f"3 * y_true + {10 * b:g}", (3.0 * best + 10 * b).astype(_F32)),
    ]


def toward_truth(kind: ValueKind, best: np.ndarray, yp: np.ndarray) -> np.ndarray:
    """The direction from ``yp`` toward the truth (for logits: the sign of the truth, since
    softmax/sigmoid outputs never reach it)."""
    if kind is ValueKind.LOGITS:
        return np.sign(np.asarray(best, np.float64))
    return np.asarray(best, np.float64) - np.asarray(yp, np.float64)


@dataclass(frozen=True)
class ConstantPath:
    """Constant predictions along one scalar for a fixed batch of targets.

    Attributes:
        targets: y_true of the probe.
        grid: the scalar of each constant prediction (a probability, a logit, a value).
        predictions: ``(len(grid) * N, ...)``: the constant predictions, stacked.
        what: what the scalar is, for the evidence.
        summary: what the targets are, for the evidence.
    """

    targets: np.ndarray
    grid: np.ndarray
    predictions: np.ndarray
    what: str
    summary: str


def _stack(grid: np.ndarray, row: np.ndarray, n: int, fill: Callable[[float], Any]) -> np.ndarray:
    return np.concatenate([np.broadcast_to(fill(c), row.shape).astype(_F32)[None].repeat(n, 0) for c in grid])


def _one_hot_targets(n: int, k: int) -> np.ndarray:
    """Class 0 in every other row, the other classes in turn elsewhere."""
    labels = np.where(np.arange(n) % 2 == 0, 0, 1 + (np.arange(n) // 2) % (k - 1))
    return np.eye(k, dtype=_F32)[labels]


def constant_path(kind: ValueKind, yt: np.ndarray, yp: np.ndarray, elementwise: bool = True) -> ConstantPath | None:
    """Constant predictions for the argument-order probe, or None where the targets and the
    predictions do not live in different spaces (real values: many losses are symmetric).
    ``elementwise``: each column is its own binary target (else one class per row).

    >>> path = constant_path(ValueKind.PROB, np.zeros((10, 1), np.float32), np.zeros((10, 1), np.float32))
    >>> path.what, path.summary, path.predictions.shape
    ('probability', 'targets in {0, 1} with mean 0.3', (290, 1))
    """
    if yt.shape != yp.shape or not _floating(yt) or yt.shape[0] < 4:
        return None
    n, row = yt.shape[0], yt[0]
    sigmoid_grid = 1.0 / (1.0 + np.exp(-np.linspace(-7.0, 7.0, 29)))
    if kind in (ValueKind.PROB, ValueKind.LOGITS) and elementwise:
        rows = np.arange(n).reshape((n,) + (1,) * (yt.ndim - 1))
        targets = np.broadcast_to((rows % 10 < 3).astype(_F32), yt.shape).copy()
        grid, what = (sigmoid_grid, "probability") if kind is ValueKind.PROB else (np.linspace(-12.0, 12.0, 29), "logit")
        preds = _stack(grid, row, n, lambda c: c)
        return ConstantPath(targets, grid, preds, what, f"targets in {{0, 1}} with mean {float(targets.mean()):.2g}")
    if kind is ValueKind.POSITIVE:
        if np.unique(yt).size < 2 or yt.min() < 0:
            return None
        grid = np.geomspace(1e-3, 1e3 * (1.0 + float(yt.max())), 41)
        preds = _stack(grid, row, n, lambda c: c)
        return ConstantPath(yt.astype(_F32), grid, preds, "value", f"targets with mean {float(yt.mean()):.3g}")
    if kind in (ValueKind.SIMPLEX, ValueKind.LOGITS) and yt.ndim == 2 and yt.shape[-1] >= 2:
        k = yt.shape[-1]
        targets = _one_hot_targets(n, k)
        summary = f"one-hot targets, class 0 in {float(targets[:, 0].mean()):.0%} of the rows"
        if kind is ValueKind.SIMPLEX:
            preds = _stack(sigmoid_grid, row, n, lambda a: np.r_[a, np.full(k - 1, (1 - a) / (k - 1))])
            return ConstantPath(targets, sigmoid_grid, preds, "probability of class 0", summary)
        grid = np.linspace(-12.0, 12.0, 29)
        preds = _stack(grid, row, n, lambda c: np.r_[c, np.zeros(k - 1)])
        return ConstantPath(targets, grid, preds, "logit of class 0 (others 0)", summary)
    return None
