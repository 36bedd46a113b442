"""Distances and mining helpers shared by the metric-learning losses.

Pairwise distances (squared L2, L2, angular), label masks, and the sorted-search counting that
finds each (anchor, positive) pair's semi-hard negative in O(B^2 log B) memory-free steps.
"""

from __future__ import annotations

from typing import Any

from keras import ops

from losslab.errors import DataError
from losslab.losses._base import compute_dtype

__all__ = [
    "NEG_LARGE",
    "count_in_sorted",
    "as_embeddings",
    "flat_labels",
    "l2_normalize",
    "label_masks",
    "masked_max",
    "pairwise_distance",
    "row_distance",
    "search_steps",
    "sorted_negatives",
]

NEG_LARGE = -1e9  # a finite "minus infinity" for masked logits (finite gradients)


def as_embeddings(y_pred: Any) -> Any:
    y_pred = ops.convert_to_tensor(y_pred)
    return ops.cast(y_pred, compute_dtype(y_pred))


def flat_labels(y_true: Any) -> Any:
    y = ops.convert_to_tensor(y_true)
    if len(y.shape) == 2 and y.shape[-1] == 1:
        y = ops.squeeze(y, -1)
    if len(y.shape) != 1:
        raise DataError(
            f"y_true must be class labels of shape (N,) or (N, 1). Received: shape {tuple(y.shape)}. "
            "Pass one integer label per embedding."
        )
    return y


def label_masks(labels: Any) -> tuple[Any, Any, Any]:
    """(same label, different label, identity) boolean (B, B) masks."""
    same = ops.equal(ops.expand_dims(labels, 1), ops.expand_dims(labels, 0))
    idx = ops.arange(ops.shape(labels)[0])
    eye = ops.equal(ops.expand_dims(idx, 1), ops.expand_dims(idx, 0))
    return same, ops.logical_not(same), eye


def l2_normalize(x: Any) -> Any:
    norm2 = ops.sum(ops.square(x), axis=-1, keepdims=True)
    return x * ops.rsqrt(ops.maximum(norm2, 1e-24))


def pairwise_distance(embeddings: Any, distance_metric: str = "L2") -> Any:
    """All pairwise distances of ``embeddings`` (B, d) -> (B, B), diagonal exactly 0.

    Args:
        embeddings: (B, d) float tensor.
        distance_metric: ``"L2"``, ``"squared-L2"`` or ``"angular"`` (1 - cosine similarity,
            clipped to [0, 2]).

    Returns:
        (B, B) non-negative distances. The square root has a finite gradient at 0
        (TensorFlow Addons' guard).

    Example:
        >>> pairwise_distance([[0.5, 0.5], [1.0, 1.0]])  # doctest: +SKIP
        [[0., 0.7071], [0.7071, 0.]]
    """
    x = as_embeddings(embeddings)
    idx = ops.arange(ops.shape(x)[0])
    eye = ops.equal(ops.expand_dims(idx, 1), ops.expand_dims(idx, 0))
    zero = ops.zeros((), dtype=x.dtype)
    if distance_metric == "angular":
        xn = l2_normalize(x)
        d = ops.clip(1.0 - ops.matmul(xn, ops.transpose(xn)), 0.0, 2.0)
        return ops.where(eye, zero, d)
    sq = ops.sum(ops.square(x), axis=1)
    d2 = ops.expand_dims(sq, 1) + ops.expand_dims(sq, 0) - 2.0 * ops.matmul(x, ops.transpose(x))
    d2 = ops.where(eye, zero, ops.maximum(d2, 0.0))
    if distance_metric == "squared-L2":
        return d2
    # sqrt with a finite gradient at 0: the clamped branch is never selected there
    return ops.where(ops.greater(d2, 0.0), ops.sqrt(ops.maximum(d2, 1e-16)), zero)


def row_distance(x: Any, idx: Any, distance_metric: str) -> Any:
    """Distance from each row of ``x`` to row ``idx[i]`` (0 for itself), with gradients."""
    other = ops.take(x, idx, axis=0)
    if distance_metric == "angular":
        cos = ops.sum(l2_normalize(x) * l2_normalize(other), axis=1)
        self_pair = ops.equal(idx, ops.arange(ops.shape(x)[0], dtype="int32"))
        return ops.where(self_pair, ops.zeros((), dtype=x.dtype), ops.clip(1.0 - cos, 0.0, 2.0))
    d2 = ops.sum(ops.square(x - other), axis=1)
    if distance_metric == "squared-L2":
        return d2
    return ops.where(
        ops.greater(d2, 0.0), ops.sqrt(ops.maximum(d2, 1e-16)), ops.zeros((), dtype=x.dtype)
    )


def masked_max(d: Any, mask: Any) -> Any:
    """Row max over ``mask``; the row minimum when the mask is empty (TFA's fallback)."""
    row_min = ops.min(d, axis=1, keepdims=True)
    return ops.max(ops.where(mask, d, row_min), axis=1)


def search_steps(b: Any) -> int:
    return int(b).bit_length() + 1 if isinstance(b, int) else 33


def count_in_sorted(sorted_rows: Any, values: Any, *, strict: bool, native: bool = True) -> Any:
    """Per row r and column c: how many ``sorted_rows[r]`` are <= (or <, ``strict``) ``values[r, c]``.

    A batched binary search with a fixed number of steps (jit-safe), O(B^2 log B) time and
    O(B^2) memory. Each backend's native batched ``searchsorted`` is used when it has one;
    the portable fallback is a fixed-step binary search in ``keras.ops``.
    """
    import keras

    backend = keras.backend.backend() if native else "portable"
    side = "left" if strict else "right"
    if backend == "torch":
        import torch

        found = torch.searchsorted(sorted_rows.contiguous(), values.contiguous(), side=side)
        return found.to(torch.int32)
    if backend == "tensorflow":
        import tensorflow as tf

        return tf.searchsorted(sorted_rows, values, side=side, out_type=tf.int32)
    if backend == "jax":
        import jax
        import jax.numpy as jnp

        row_search = jax.vmap(
            lambda s, v: jnp.searchsorted(s, v, side=side, method="scan_unrolled")
        )
        return row_search(sorted_rows, values).astype(jnp.int32)
    b = sorted_rows.shape[1]
    n = ops.shape(sorted_rows)[1]
    lo = ops.zeros_like(values, dtype="int32")
    hi = lo + ops.cast(n, "int32")
    last = ops.cast(n, "int32") - 1
    for _ in range(search_steps(b)):
        active = ops.less(lo, hi)
        mid = (lo + hi) // 2
        v = ops.take_along_axis(sorted_rows, ops.minimum(mid, last), axis=1)
        right = ops.less(v, values) if strict else ops.less_equal(v, values)
        lo = ops.where(ops.logical_and(active, right), mid + 1, lo)
        hi = ops.where(ops.logical_and(active, ops.logical_not(right)), mid, hi)
    return lo


def sorted_negatives(d: Any, diff: Any) -> Any:
    """Each row's negative distances in ascending order, padded with +inf."""
    inf = ops.cast(float("inf"), d.dtype)
    return ops.sort(ops.where(diff, d, inf), axis=1)
