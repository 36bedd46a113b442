"""Oracles of the Keras losses over sets and sequences: Dice, Tversky, CTC and Circle."""

from __future__ import annotations

from typing import Any

import numpy as np

from losslab.reference._reduce import EPSILON, as_f64
from losslab.reference.keras_builtins._common import Axis, axes_of, log_softmax, softmax

__all__ = [
    "circle",
    "circle_mask",
    "ctc",
    "dice",
    "predict_ctc",
    "tversky",
]


# ----------------------------------------------------------------------------- segmentation
def dice(y_true: Any, y_pred: Any, *, axis: Axis = None) -> np.ndarray:
    """``1 - 2 sum(t p) / (sum(t) + sum(p) + eps)`` over ``axis`` (``None``: the whole batch,
    one scalar)."""
    t, p = as_f64(y_true), as_f64(y_pred)
    ax = axes_of(axis)
    inter = np.sum(t * p, axis=ax)
    return 1.0 - 2.0 * inter / (np.sum(t, axis=ax) + np.sum(p, axis=ax) + EPSILON)


def tversky(
    y_true: Any, y_pred: Any, *, alpha: float = 0.5, beta: float = 0.5, axis: Axis = None
) -> np.ndarray:
    """``1 - TP / (TP + alpha FP + beta FN + eps)`` with ``TP = sum(t p)``, ``FP = sum((1 - t)
    p)``, ``FN = sum(t (1 - p))`` over ``axis`` (Salehi et al., 2017; Keras's documentation).
    Keras 3.15.1's own function swaps alpha and beta; this oracle does not."""
    t, p = as_f64(y_true), as_f64(y_pred)
    ax = axes_of(axis)
    tp = np.sum(t * p, axis=ax)
    fp = np.sum((1.0 - t) * p, axis=ax)
    fn = np.sum(t * (1.0 - p), axis=ax)
    return 1.0 - tp / (tp + alpha * fp + beta * fn + EPSILON)


# ----------------------------------------------------------------------------- sequence
def ctc(y_true: Any, y_pred: Any) -> np.ndarray:
    """Connectionist temporal classification: ``-log sum_paths prod_t softmax(y_pred)[t, path_t]``.

    ``y_true`` (N, L) integer labels; 0 is the blank and the padding: the label of sample
    ``i`` is ``y_true[i, :n_i]`` with ``n_i`` the number of non-zero entries (Keras's rule).
    ``y_pred`` (N, T, C) logits. Computed with the forward algorithm in log space
    (Graves et al., 2006) over the extended sequence ``blank, l1, blank, l2, ..., blank``.
    """
    labels = np.rint(as_f64(y_true)).astype(np.int64)
    logp = log_softmax(as_f64(y_pred), -1)
    n, t_len, _ = logp.shape
    out = np.empty(n)
    for i in range(n):
        length = int(np.sum(labels[i] != 0))
        seq = labels[i, :length]
        ext = np.zeros(2 * length + 1, dtype=np.int64)
        ext[1::2] = seq
        s_len = ext.size
        alpha = np.full(s_len, -np.inf)
        alpha[0] = logp[i, 0, 0]
        if s_len > 1:
            alpha[1] = logp[i, 0, ext[1]]
        skip = np.zeros(s_len, dtype=bool)
        skip[3::2] = seq[1:] != seq[:-1]  # label positions whose predecessor label differs
        for t in range(1, t_len):
            prev = alpha
            stay_or_step = np.logaddexp(prev, np.concatenate(([-np.inf], prev[:-1])))
            two_back = np.concatenate(([-np.inf, -np.inf], prev[:-2]))
            total = np.where(skip, np.logaddexp(stay_or_step, two_back), stay_or_step)
            alpha = total + logp[i, t, ext]
        end = alpha[-1] if s_len == 1 else np.logaddexp(alpha[-1], alpha[-2])
        out[i] = -end
    return out


def predict_ctc(raw: Any, **_: Any) -> np.ndarray:
    """Per-timestep class probabilities (N, T, C) from the logits."""
    return softmax(as_f64(raw), -1)


# ----------------------------------------------------------------------------- metric learning
def circle(
    y_true: Any,
    y_pred: Any,
    *,
    gamma: float = 80.0,
    margin: float = 0.4,
    remove_diagonal: bool = True,
    ref_labels: Any = None,
    ref_embeddings: Any = None,
) -> np.ndarray:
    """Circle loss per anchor (Sun et al., 2020), as Keras defines it on the batch.

    ``ref_labels`` / ``ref_embeddings`` (Keras's function arguments, not the class's) compare
    each anchor with another set of embeddings instead of the batch itself.

    With cosine distances ``d_ij = max(1 - e_i . e_j, 0)`` (embeddings assumed
    L2-normalised), positives ``j`` of the same label (``j != i`` when
    ``remove_diagonal``) and negatives of another label::

        a_p = max(margin + d, 0),      a_n = max(1 + margin - d, 0)
        L_p = logsumexp_j(-gamma a_p (margin - d))          over positives
        L_n = logsumexp_j(gamma a_n (1 - margin - d))       over negatives
        loss_i = softplus(L_p + L_n)

    An anchor without positives (or negatives) gets 0 and is masked out of the
    reduction (see :func:`circle_mask`).
    """
    e = as_f64(y_pred)
    y = np.rint(as_f64(y_true)).astype(np.int64).reshape(-1)
    r = e if ref_embeddings is None else as_f64(ref_embeddings)
    ry = y if ref_labels is None else np.rint(as_f64(ref_labels)).astype(np.int64).reshape(-1)
    d = np.maximum(1.0 - e @ r.T, 0.0)
    pos = y[:, None] == ry[None, :]
    neg = ~pos
    if remove_diagonal:
        pos = pos & ~np.eye(len(y), len(ry), dtype=bool)
    a_p = np.maximum((margin + d) * pos, 0.0)
    a_n = np.maximum((1.0 + margin - d) * neg, 0.0)
    wp = -gamma * a_p * (margin - d)
    wn = gamma * a_n * (1.0 - margin - d)

    def _lse(x: np.ndarray, m: np.ndarray) -> np.ndarray:
        x = np.where(m, x, -np.inf)
        top = np.max(x, axis=1)
        safe = np.where(np.isfinite(top), top, 0.0)
        with np.errstate(divide="ignore"):
            return safe + np.log(np.sum(np.exp(x - safe[:, None]), axis=1))

    z = _lse(wp, pos) + _lse(wn, neg)
    return np.where(np.isfinite(z), np.logaddexp(0.0, np.where(np.isfinite(z), z, 0.0)), 0.0)


def circle_mask(y_true: Any, y_pred: Any, **params: Any) -> np.ndarray:
    """Keras masks Circle's zero per-anchor values out of the reduction."""
    return circle(y_true, y_pred, **params) > 0
