"""Shared pieces of the classification losses: casting, clipped / log-space class
probabilities, one-hot targets, per-class weights and the focal factor."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from keras import ops

from losslab.errors import InvalidParameterError
from losslab.losses._base import compute_dtype

__all__ = [
    "EPS",
    "as_pred",
    "binary_log_probs",
    "cast_pair",
    "class_balanced_weights",
    "class_weight_of",
    "focal_term",
    "log_probs",
    "safe_pow",
    "sparse_onehot",
]


EPS = 1e-7  # keras.backend.epsilon()


def cast_pair(y_true: Any, y_pred: Any) -> tuple[Any, Any]:
    y_pred = ops.convert_to_tensor(y_pred)
    dtype = compute_dtype(y_pred)
    return ops.cast(y_true, dtype), ops.cast(y_pred, dtype)


def as_pred(y_pred: Any) -> Any:
    y_pred = ops.convert_to_tensor(y_pred)
    return ops.cast(y_pred, compute_dtype(y_pred))


def safe_pow(base: Any, exponent: float) -> Any:
    """``base ** exponent`` for base in [0, 1] with a finite gradient at base = 0.

    Integer exponents up to 16 use repeated multiplication (cheaper than ``exp(e log b)`` and
    exact at 0); other exponents floor the base at 1e-30 so ``e b^(e-1)`` stays finite.
    Exactly 1 when the exponent is 0.
    """
    if exponent == 0:
        return 1.0
    if float(exponent).is_integer() and 0 < exponent <= 16:
        # square-and-multiply: keras.ops.power would hand XLA a general pow(x, y)
        n, out, sq = int(exponent), None, base
        while n:
            if n & 1:
                out = sq if out is None else out * sq
            n >>= 1
            if n:
                sq = sq * sq
        return out
    return ops.power(ops.maximum(base, 1e-30), exponent)


def log_probs(y_pred: Any, from_logits: bool) -> Any:
    """Class log-probabilities: log-softmax of logits, or log of the clipped, renormalised
    probabilities (as Keras's categorical cross-entropy)."""
    if from_logits:
        return ops.log_softmax(y_pred, axis=-1)
    p = y_pred / ops.sum(y_pred, axis=-1, keepdims=True)
    return ops.log(ops.clip(p, EPS, 1.0 - EPS))


def sparse_onehot(y_true: Any, y_pred: Any) -> Any:
    """One-hot (N, K) float targets from integer labels (N,) or (N, 1)."""
    labels = ops.convert_to_tensor(y_true)
    if len(labels.shape) == len(y_pred.shape) and labels.shape[-1] == 1:
        labels = ops.squeeze(labels, -1)
    return ops.one_hot(ops.cast(labels, "int32"), y_pred.shape[-1], dtype=y_pred.dtype)


def binary_log_probs(y_pred: Any, from_logits: bool) -> tuple[Any, Any]:
    if from_logits:
        return ops.log_sigmoid(y_pred), ops.log_sigmoid(-y_pred)
    p = ops.clip(y_pred, EPS, 1.0 - EPS)
    return ops.log(p), ops.log1p(-p)


def class_balanced_weights(
    samples_per_class: Sequence[float] | None, beta: float
) -> list[float] | None:
    """Effective-number class weights (Cui et al. 2019), normalised to sum to K.

    ``w_c = (1 - beta) / (1 - beta^n_c)``; ``beta = 0`` gives 1 for every class. Counts of
    0 are treated as 1. Pure Python (computed once, from hyperparameters).

    Example:
        >>> class_balanced_weights([100, 10], beta=0.0)
        [1.0, 1.0]
    """
    if samples_per_class is None:
        return None
    n = [max(float(c), 1.0) for c in samples_per_class]
    w = [(1.0 - beta) / (1.0 - beta**c) for c in n] if beta > 0 else [1.0] * len(n)
    total = sum(w)
    return [x / total * len(n) for x in w]


def class_weight_of(onehot: Any, weights: Sequence[float] | None, name: str) -> Any:
    """Per-sample weight ``weights[y]`` from one-hot targets (1 when weights is None)."""
    if weights is None:
        return 1.0
    k = onehot.shape[-1]
    if k is not None and len(weights) != k:
        raise InvalidParameterError(
            f"{name} has {len(weights)} entries but y_pred has {k} classes. "
            f"Received: {name}={list(weights)!r}. Give one value per class, in class order."
        )
    return ops.sum(onehot * ops.convert_to_tensor(list(weights), dtype=onehot.dtype), axis=-1)


def focal_term(log_pt: Any, gamma: float) -> Any:
    """``(1 - p_t)^gamma`` computed as ``(-expm1(log p_t))^gamma`` (exact 1 when gamma = 0)."""
    return safe_pow(-ops.expm1(log_pt), gamma)
