"""NumPy float64 oracles for sparsemax and the sparsemax loss (Martins & Astudillo 2016)."""

from __future__ import annotations

from typing import Any

import numpy as np

__all__ = ["SPARSEMAX_PARAMS", "predict_sparsemax", "sparsemax", "sparsemax_loss"]

SPARSEMAX_PARAMS: tuple = ()


def sparsemax(z: Any) -> np.ndarray:
    """Euclidean projection of each row of ``z`` onto the probability simplex.

    Sorted ``z_(1) >= ... >= z_(K)``: support size ``k = max{k : 1 + k z_(k) > sum_{j<=k} z_(j)}``,
    threshold ``tau = (sum_{j<=k} z_(j) - 1) / k``, output ``max(z - tau, 0)``.
    """
    x = np.asarray(z, dtype=np.float64)
    flat = x.reshape(-1, x.shape[-1])
    out = np.zeros_like(flat)
    for r, row in enumerate(flat):
        s = np.sort(row)[::-1]
        k_best, total = 0, 0.0
        for k in range(1, len(s) + 1):
            if 1.0 + k * s[k - 1] > s[:k].sum():
                k_best = k
        total = s[:k_best].sum()
        tau = (total - 1.0) / k_best
        out[r] = np.maximum(row - tau, 0.0)
    return out.reshape(x.shape)


def sparsemax_loss(y_true: Any, y_pred: Any) -> np.ndarray:
    """Per sample: ``-q.z + 1/2 sum_{j in S(z)} (z_j^2 - tau^2) + 1/2 ||q||^2`` (Martins & Astudillo)."""
    q = np.asarray(y_true, dtype=np.float64)
    z = np.asarray(y_pred, dtype=np.float64)
    p = sparsemax(z)
    out = np.zeros(z.shape[:-1]).reshape(-1)
    zf, qf, pf = z.reshape(-1, z.shape[-1]), q.reshape(-1, q.shape[-1]), p.reshape(-1, p.shape[-1])
    for r in range(zf.shape[0]):
        support = pf[r] > 0
        j = int(np.argmax(support))
        tau = zf[r, j] - pf[r, j]
        out[r] = (
            -float(qf[r] @ zf[r])
            + 0.5 * float(((zf[r, support] ** 2) - tau**2).sum())
            + 0.5 * float(qf[r] @ qf[r])
        )
    return out.reshape(z.shape[:-1])


def predict_sparsemax(raw: Any) -> np.ndarray:
    """Class probabilities (sparse) from the logits the sparsemax loss trains."""
    return sparsemax(raw)
