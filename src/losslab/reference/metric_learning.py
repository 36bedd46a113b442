"""NumPy float64 oracles for the metric-learning losses, written from the definitions.

The miners are brute force on purpose: every anchor, positive and negative is enumerated
with Python loops, so the vectorised Keras code (sorting + binary search) is checked
against the plain definition. The hyperparameter declarations (``*_PARAMS``) live here,
keras-free, and are shared by the catalog entries and the Keras classes.

Conventions (TensorFlow Addons' names): ``y_true`` integer class labels ``(N,)`` or
``(N, 1)``; ``y_pred`` embeddings ``(N, d)``; ``distance_metric`` one of ``"L2"``,
``"squared-L2"``, ``"angular"`` (1 - cosine similarity, the cosine distance).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from losslab._params import BOOL, Interval, OneOf, Param, with_defaults
from losslab.errors import DataError

__all__ = [
    "CONTRASTIVE_PARAMS",
    "DISTANCE_METRICS",
    "LIFTED_PARAMS",
    "NPAIRS_PARAMS",
    "NTXENT_PARAMS",
    "SUPCON_PARAMS",
    "TRIPLET_BATCH_ALL_PARAMS",
    "TRIPLET_HARD_PARAMS",
    "TRIPLET_SEMIHARD_PARAMS",
    "contrastive",
    "lifted_struct",
    "npairs",
    "npairs_from_similarity",
    "npairs_multilabel",
    "npairs_multilabel_from_similarity",
    "nt_xent",
    "pairwise_distance",
    "supervised_contrastive",
    "triplet_batch_all",
    "triplet_hard",
    "triplet_semihard",
]

DISTANCE_METRICS = ("L2", "squared-L2", "angular")

_MARGIN = Param(
    "margin",
    1.0,
    Interval(0, None, closed="left"),
    "required gap between the negative and the positive distance",
    search=("float", 0.05, 2.0, True),
)
_METRIC = Param(
    "distance_metric",
    "L2",
    OneOf(DISTANCE_METRICS),
    "pairwise distance: 'L2', 'squared-L2' or 'angular' (1 - cosine similarity)",
    search=("categorical", DISTANCE_METRICS),
)
_SOFT = Param(
    "soft",
    False,
    BOOL,
    "use log(1 + exp(d_ap - d_an)) instead of the hinge (no margin)",
    search=("categorical", (False, True)),
)
_TEMPERATURE = Param(
    "temperature",
    0.1,
    Interval(0, None, closed="neither"),
    "softmax temperature applied to cosine similarities",
    search=("float", 0.03, 1.0, True),
)

CONTRASTIVE_PARAMS = (_MARGIN,)
TRIPLET_SEMIHARD_PARAMS = (_MARGIN, _METRIC)
TRIPLET_HARD_PARAMS = (_MARGIN, _SOFT, _METRIC)
TRIPLET_BATCH_ALL_PARAMS = (_MARGIN, _METRIC)
LIFTED_PARAMS = (_MARGIN,)
NPAIRS_PARAMS: tuple[Param, ...] = ()
NTXENT_PARAMS = (_TEMPERATURE,)
SUPCON_PARAMS = (_TEMPERATURE,)


def _f64(x: Any) -> np.ndarray:
    return np.asarray(x, dtype=np.float64)


def _labels(y_true: Any) -> np.ndarray:
    y = np.asarray(y_true)
    if y.ndim == 2 and y.shape[1] == 1:
        y = y[:, 0]
    if y.ndim != 1:
        raise DataError(
            f"y_true must be class labels of shape (N,) or (N, 1). Received: shape {y.shape}. "
            "Pass one integer label per embedding."
        )
    return y


def pairwise_distance(emb: Any, distance_metric: str = "L2") -> np.ndarray:
    """All pairwise distances, one pair at a time (diagonal 0)."""
    x = _f64(emb)
    n = x.shape[0]
    if distance_metric == "angular":
        xn = x / np.maximum(np.linalg.norm(x, axis=1, keepdims=True), 1e-12)
    d = np.zeros((n, n))
    for i in range(n):
        for j in range(n):
            if i == j:
                continue
            if distance_metric == "angular":
                d[i, j] = min(max(1.0 - float(xn[i] @ xn[j]), 0.0), 2.0)
            else:
                sq = float(((x[i] - x[j]) ** 2).sum())
                d[i, j] = sq if distance_metric == "squared-L2" else np.sqrt(sq)
    return d


@with_defaults(CONTRASTIVE_PARAMS)
def contrastive(y_true: Any, y_pred: Any, *, margin: float) -> np.ndarray:
    """Per pair: ``y d^2 + (1 - y) max(margin - d, 0)^2`` (y = 1 similar pair, d = distance)."""
    y, d = _f64(y_true), _f64(y_pred)
    return y * d**2 + (1.0 - y) * np.maximum(margin - d, 0.0) ** 2


@with_defaults(TRIPLET_SEMIHARD_PARAMS)
def triplet_semihard(
    y_true: Any, y_pred: Any, *, margin: float, distance_metric: str
) -> np.ndarray:
    """Semi-hard triplet loss by enumeration (Schroff et al. 2015; TensorFlow Addons' rule).

    For every ordered positive pair (a, p), a != p: the negative is the closest one farther
    than the positive; if there is none, the farthest negative; if the anchor has no
    negative at all, distance 0 (TensorFlow Addons' fallback). Loss: mean over positive
    pairs of ``max(margin + d_ap - d_an, 0)``; 0 when the batch has no positive pair.
    """
    y = _labels(y_true)
    d = pairwise_distance(y_pred, distance_metric)
    n = len(y)
    total, count = 0.0, 0
    for a in range(n):
        negs = [d[a, k] for k in range(n) if y[k] != y[a]]
        for p in range(n):
            if p == a or y[p] != y[a]:
                continue
            count += 1
            if not negs:
                d_an = 0.0
            else:
                farther = [v for v in negs if v > d[a, p]]
                d_an = min(farther) if farther else max(negs)
            total += max(margin + d[a, p] - d_an, 0.0)
    return np.asarray(total / count if count else 0.0)


@with_defaults(TRIPLET_HARD_PARAMS)
def triplet_hard(
    y_true: Any,
    y_pred: Any,
    *,
    margin: float,
    soft: bool,
    distance_metric: str,
) -> np.ndarray:
    """Batch-hard triplet loss by enumeration (Hermans et al. 2017; TensorFlow Addons' rule).

    Per anchor: the farthest positive (0 when none) and the closest negative (the row's
    largest distance when none); hinge ``max(d_p - d_n + margin, 0)`` or, with ``soft``,
    ``log(1 + exp(d_p - d_n))``; mean over every anchor.
    """
    y = _labels(y_true)
    d = pairwise_distance(y_pred, distance_metric)
    n = len(y)
    vals = []
    for a in range(n):
        pos = [d[a, p] for p in range(n) if p != a and y[p] == y[a]]
        negs = [d[a, k] for k in range(n) if y[k] != y[a]]
        d_p = max(pos) if pos else 0.0
        d_n = min(negs) if negs else float(d[a].max())
        vals.append(np.log1p(np.exp(d_p - d_n)) if soft else max(d_p - d_n + margin, 0.0))
    return np.asarray(float(np.mean(vals)))


@with_defaults(TRIPLET_BATCH_ALL_PARAMS)
def triplet_batch_all(
    y_true: Any, y_pred: Any, *, margin: float, distance_metric: str
) -> np.ndarray:
    """Batch-all triplet loss by enumeration of every (a, p, n) (Hermans et al. 2017, "BA≠0").

    Sum of ``max(margin + d_ap - d_an, 0)`` over every valid triplet, divided by the number
    of triplets with a positive loss; 0 when there is none.
    """
    y = _labels(y_true)
    d = pairwise_distance(y_pred, distance_metric)
    n = len(y)
    total, active = 0.0, 0
    for a in range(n):
        for p in range(n):
            if p == a or y[p] != y[a]:
                continue
            for k in range(n):
                if y[k] == y[a]:
                    continue
                v = margin + d[a, p] - d[a, k]
                if v > 0:
                    total += v
                    active += 1
    return np.asarray(total / active if active else 0.0)


@with_defaults(LIFTED_PARAMS)
def lifted_struct(y_true: Any, y_pred: Any, *, margin: float) -> np.ndarray:
    """Lifted structured loss (Oh Song et al. 2016), TensorFlow Addons' form, by enumeration.

    For each ordered positive pair (i, j): ``J = log(sum_{k not~i} e^{m - D_ik} +
    sum_{k not~j} e^{m - D_jk}) + D_ij``; loss = ``sum max(J, 0)^2 / (2 * #pairs)``, with
    Euclidean D. Pairs whose two rows have no negative contribute 0; no pair gives 0.
    """
    y = _labels(y_true)
    d = pairwise_distance(y_pred, "L2")
    n = len(y)
    total, count = 0.0, 0
    for i in range(n):
        for j in range(n):
            if i == j or y[i] != y[j]:
                continue
            count += 1
            s = sum(np.exp(margin - d[i, k]) for k in range(n) if y[k] != y[i])
            s += sum(np.exp(margin - d[j, k]) for k in range(n) if y[k] != y[j])
            if s > 0:
                total += max(np.log(s) + d[i, j], 0.0) ** 2
    return np.asarray(total / count / 2.0 if count else 0.0)


def _xent_rows(targets: np.ndarray, sim: np.ndarray) -> np.ndarray:
    out = np.zeros(sim.shape[0])
    for i in range(sim.shape[0]):
        row = sim[i]
        lse = np.log(np.exp(row - row.max()).sum()) + row.max()
        out[i] = -sum(targets[i, j] * (row[j] - lse) for j in range(sim.shape[1]))
    return out


def npairs_from_similarity(y_true: Any, similarity: Any) -> np.ndarray:
    """N-pairs loss from the similarity matrix (TensorFlow Addons' ``npairs_loss`` inputs)."""
    y = _labels(y_true)
    s = _f64(similarity)
    t = np.array([[1.0 if y[i] == y[j] else 0.0 for j in range(len(y))] for i in range(len(y))])
    t /= t.sum(axis=1, keepdims=True)
    return np.asarray(float(_xent_rows(t, s).mean()))


def npairs_multilabel_from_similarity(y_true: Any, similarity: Any) -> np.ndarray:
    """Multilabel n-pairs from the similarity matrix: targets ``Y Y^T`` normalised per row.

    Rows without any label share nothing and are left out of the mean (0 when none is left).
    """
    yy = _f64(y_true)
    s = _f64(similarity)
    t = yy @ yy.T
    rows = [i for i in range(len(yy)) if t[i].sum() > 0]
    if not rows:
        return np.asarray(0.0)
    tn = np.zeros_like(t)
    tn[rows] = t[rows] / t[rows].sum(axis=1, keepdims=True)
    return np.asarray(float(_xent_rows(tn, s)[rows].mean()))


def _split_pairs(y_pred: Any) -> tuple[np.ndarray, np.ndarray]:
    z = _f64(y_pred)
    if z.ndim != 2 or z.shape[1] % 2:
        raise DataError(
            "y_pred must hold the anchor and the positive embedding side by side, shape "
            f"(N, 2 * d). Received: shape {z.shape}. Concatenate the two embeddings on the last axis."
        )
    h = z.shape[1] // 2
    return z[:, :h], z[:, h:]


def npairs(y_true: Any, y_pred: Any) -> np.ndarray:
    """N-pairs loss (Sohn 2016) with ``y_pred = [anchors | positives]`` of shape (N, 2d)."""
    a, p = _split_pairs(y_pred)
    return npairs_from_similarity(y_true, a @ p.T)


def npairs_multilabel(y_true: Any, y_pred: Any) -> np.ndarray:
    """Multilabel n-pairs with multi-hot ``y_true`` (N, C) and ``y_pred = [anchors | positives]``."""
    a, p = _split_pairs(y_pred)
    return npairs_multilabel_from_similarity(y_true, a @ p.T)


def _unit(x: np.ndarray) -> np.ndarray:
    return x / np.maximum(np.linalg.norm(x, axis=1, keepdims=True), 1e-12)


@with_defaults(NTXENT_PARAMS)
def nt_xent(y_true: Any, y_pred: Any, *, temperature: float) -> np.ndarray:
    """NT-Xent / InfoNCE (Chen et al. 2020) over the 2N views ``[view1 | view2]``; y_true unused.

    For view i, the positive is the other view of the same sample; the 2N - 2 other views
    are negatives. Mean over the 2N views of
    ``-log(exp(s_ip / t) / sum_{k != i} exp(s_ik / t))`` with cosine similarities s.
    """
    a, p = _split_pairs(y_pred)
    z = _unit(np.concatenate([a, p], axis=0))
    m = z.shape[0]
    n = m // 2
    vals = []
    for i in range(m):
        pos = (i + n) % m
        logits = [float(z[i] @ z[k]) / temperature for k in range(m) if k != i]
        mx = max(logits)
        lse = mx + np.log(sum(np.exp(v - mx) for v in logits))
        vals.append(lse - float(z[i] @ z[pos]) / temperature)
    return np.asarray(float(np.mean(vals)))


@with_defaults(SUPCON_PARAMS)
def supervised_contrastive(y_true: Any, y_pred: Any, *, temperature: float) -> np.ndarray:
    """Supervised contrastive loss, L_out (Khosla et al. 2020), one view per sample.

    For anchor i with positives P(i) (same label, not i):
    ``-1/|P(i)| sum_p log(exp(s_ip/t) / sum_{k != i} exp(s_ik/t))``; mean over the anchors
    that have a positive (0 when none has).
    """
    y = _labels(y_true)
    z = _unit(_f64(y_pred))
    n = len(y)
    vals = []
    for i in range(n):
        pos = [p for p in range(n) if p != i and y[p] == y[i]]
        if not pos:
            continue
        logits = {k: float(z[i] @ z[k]) / temperature for k in range(n) if k != i}
        mx = max(logits.values())
        lse = mx + np.log(sum(np.exp(v - mx) for v in logits.values()))
        vals.append(-np.mean([logits[p] - lse for p in pos]))
    return np.asarray(float(np.mean(vals)) if vals else 0.0)
