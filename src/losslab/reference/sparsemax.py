"""NumPy float64 oracles for sparsemax and the sparsemax loss (Martins & Astudillo 2016)."""

from __future__ import annotations

from typing import Any

import numpy as np

__all__ = ["SPARSEMAX_PARAMS", "predict_sparsemax", "sparsemax", "sparsemax_loss"]

SPARSEMAX_PARAMS: tuple = ()


def _row_sparsemax(row: np.ndarray) -> np.ndarray:
    """One row; ``-inf`` entries are masked classes (probability 0); ``nan`` when the row has
    a ``nan`` or ``+inf`` entry or no finite one (TensorFlow Addons' convention)."""
    finite = np.isfinite(row)
    if np.isnan(row).any() or np.isposinf(row).any() or not finite.any():
        return np.full_like(row, np.nan)
    s = np.sort(row[finite])[::-1]
    k_best = max(k for k in range(1, len(s) + 1) if 1.0 + k * s[k - 1] > s[:k].sum())
    tau = (s[:k_best].sum() - 1.0) / k_best
    out = np.zeros_like(row)
    out[finite] = np.maximum(row[finite] - tau, 0.0)
    return out


def sparsemax(z: Any) -> np.ndarray:
    """Euclidean projection of each row of ``z`` onto the probability simplex.

    Sorted ``z_(1) >= ... >= z_(K)``: support size ``k = max{k : 1 + k z_(k) > sum_{j<=k} z_(j)}``,
    threshold ``tau = (sum_{j<=k} z_(j) - 1) / k``, output ``max(z - tau, 0)``. ``-inf``
    entries are masked classes (0); a row with ``nan`` / ``+inf`` or no finite entry is ``nan``.
    """
    x = np.asarray(z, dtype=np.float64)
    flat = x.reshape(-1, x.shape[-1])
    return np.stack([_row_sparsemax(row) for row in flat]).reshape(x.shape)


def sparsemax_loss(y_true: Any, y_pred: Any) -> np.ndarray:
    """Per sample: ``-q.z + 1/2 sum_{j in S(z)} (z_j^2 - tau^2) + 1/2 ||q||^2`` (Martins & Astudillo).

    Classes with ``q_j = 0`` and ``z_j = -inf`` contribute nothing; a target on a ``-inf`` class
    gives ``+inf``; a row without an answer (see :func:`sparsemax`) gives ``nan``.
    """
    q = np.asarray(y_true, dtype=np.float64)
    z = np.asarray(y_pred, dtype=np.float64)
    p = sparsemax(z)
    zf, qf, pf = z.reshape(-1, z.shape[-1]), q.reshape(-1, q.shape[-1]), p.reshape(-1, p.shape[-1])
    out = np.full(zf.shape[0], np.nan)
    for r in range(zf.shape[0]):
        if np.isnan(pf[r]).any():
            continue
        support = pf[r] > 0
        j = int(np.argmax(support))
        tau = zf[r, j] - pf[r, j]
        target = qf[r] != 0
        out[r] = (
            -float(qf[r, target] @ zf[r, target])
            + 0.5 * float(((zf[r, support] ** 2) - tau**2).sum())
            + 0.5 * float(qf[r] @ qf[r])
        )
    return out.reshape(z.shape[:-1])


def predict_sparsemax(raw: Any) -> np.ndarray:
    """Class probabilities (sparse) from the logits the sparsemax loss trains."""
    return sparsemax(raw)
