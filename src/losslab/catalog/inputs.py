"""Valid random inputs for each kind of loss (NumPy only).

Every :class:`LossSpec` names a generator here (``spec.inputs``). The catalog-wide tests,
``losslab check`` and the benchmarks draw inputs from them, so a new loss gets tested
without writing its own input code. A generator takes a NumPy ``Generator``, a batch size
and the loss's full parameter dict and returns ``(y_true, y_pred)`` as float32 arrays
(integer labels as int32).

Add one with :func:`register_inputs` (a module of entries may register its own).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import numpy as np

__all__ = ["InputGenerator", "generate", "input_names", "register_inputs"]

InputGenerator = Callable[[np.random.Generator, int, Mapping[str, Any]], tuple[np.ndarray, np.ndarray]]

_GENERATORS: dict[str, InputGenerator] = {}


def register_inputs(name: str) -> Callable[[InputGenerator], InputGenerator]:
    """Decorator: register a generator under ``name`` (a later registration replaces it).

    Example:
        >>> import numpy as np
        >>> @register_inputs("demo_constant")
        ... def _demo(rng, n, params):
        ...     return np.zeros((n, 1), np.float32), np.ones((n, 1), np.float32)
        >>> "demo_constant" in input_names()
        True
        >>> generate("demo_constant", n=2)[1].ravel()
        array([1., 1.], dtype=float32)
    """

    def deco(fn: InputGenerator) -> InputGenerator:
        _GENERATORS[name] = fn
        return fn

    return deco


def input_names() -> list[str]:
    """The names of every registered generator, sorted."""
    return sorted(_GENERATORS)


def generate(
    name: str, n: int = 16, params: Mapping[str, Any] | None = None, seed: int | np.random.Generator = 0
) -> tuple[np.ndarray, np.ndarray]:
    """Draw ``(y_true, y_pred)`` from generator ``name``.

    Args:
        name: a name of :func:`input_names` (a spec's ``inputs``).
        n: batch size.
        params: the loss's full parameter dict (some generators read it).
        seed: an int seed or a NumPy ``Generator``.

    Example:
        >>> y_true, y_pred = generate("sparse", n=4)
        >>> y_true.dtype, y_true.shape, y_pred.dtype, y_pred.shape
        (dtype('int32'), (4,), dtype('float32'), (4, 4))
        >>> bool(((y_pred > 0) & (y_pred < 1)).all()), y_pred.sum(axis=-1).round(5).tolist()
        (True, [1.0, 1.0, 1.0, 1.0])
    """
    if name not in _GENERATORS:
        raise KeyError(f"Unknown input generator {name!r}. Known: {', '.join(input_names())}.")
    rng = seed if isinstance(seed, np.random.Generator) else np.random.default_rng(seed)
    return _GENERATORS[name](rng, n, params or {})


def _f32(a: np.ndarray) -> np.ndarray:
    return np.asarray(a, dtype=np.float32)


def _softmax(z: np.ndarray) -> np.ndarray:
    z = z - z.max(axis=-1, keepdims=True)
    e = np.exp(z)
    return e / e.sum(axis=-1, keepdims=True)


K_CLASSES = 4
D_REG = 3


@register_inputs("regression")
def _regression(rng: np.random.Generator, n: int, params: Mapping[str, Any]) -> tuple[np.ndarray, np.ndarray]:
    return _f32(rng.normal(size=(n, D_REG))), _f32(rng.normal(size=(n, D_REG)))


@register_inputs("positive")
def _positive(rng: np.random.Generator, n: int, params: Mapping[str, Any]) -> tuple[np.ndarray, np.ndarray]:
    return _f32(rng.gamma(2.0, 1.0, size=(n, D_REG)) + 0.05), _f32(rng.gamma(2.0, 1.0, size=(n, D_REG)) + 0.05)


@register_inputs("nonnegative")
def _nonneg(rng: np.random.Generator, n: int, params: Mapping[str, Any]) -> tuple[np.ndarray, np.ndarray]:
    y = rng.poisson(2.0, size=(n, D_REG)).astype(np.float32)
    return _f32(y), _f32(rng.gamma(2.0, 1.0, size=(n, D_REG)) + 0.05)


@register_inputs("binary_prob")
def _binary_prob(rng: np.random.Generator, n: int, params: Mapping[str, Any]) -> tuple[np.ndarray, np.ndarray]:
    y = rng.integers(0, 2, size=(n, 1)).astype(np.float32)
    p = rng.uniform(0.02, 0.98, size=(n, 1))
    return y, _f32(p)


@register_inputs("binary_logits")
def _binary_logits(rng: np.random.Generator, n: int, params: Mapping[str, Any]) -> tuple[np.ndarray, np.ndarray]:
    y = rng.integers(0, 2, size=(n, 1)).astype(np.float32)
    return y, _f32(rng.normal(scale=2.0, size=(n, 1)))


@register_inputs("binary")
def _binary(rng: np.random.Generator, n: int, params: Mapping[str, Any]) -> tuple[np.ndarray, np.ndarray]:
    """Probabilities or logits depending on ``params['from_logits']``."""
    return (_binary_logits if params.get("from_logits") else _binary_prob)(rng, n, params)


@register_inputs("multilabel")
def _multilabel(rng: np.random.Generator, n: int, params: Mapping[str, Any]) -> tuple[np.ndarray, np.ndarray]:
    y = rng.integers(0, 2, size=(n, K_CLASSES)).astype(np.float32)
    if params.get("from_logits"):
        return y, _f32(rng.normal(scale=2.0, size=(n, K_CLASSES)))
    return y, _f32(rng.uniform(0.02, 0.98, size=(n, K_CLASSES)))


@register_inputs("onehot")
def _onehot(rng: np.random.Generator, n: int, params: Mapping[str, Any]) -> tuple[np.ndarray, np.ndarray]:
    labels = rng.integers(0, K_CLASSES, size=n)
    y = np.eye(K_CLASSES, dtype=np.float32)[labels]
    z = rng.normal(scale=1.5, size=(n, K_CLASSES))
    return y, _f32(z if params.get("from_logits") else _softmax(z))


@register_inputs("sparse")
def _sparse(rng: np.random.Generator, n: int, params: Mapping[str, Any]) -> tuple[np.ndarray, np.ndarray]:
    labels = rng.integers(0, K_CLASSES, size=(n,)).astype(np.int32)
    z = rng.normal(scale=1.5, size=(n, K_CLASSES))
    return labels, _f32(z if params.get("from_logits") else _softmax(z))


@register_inputs("distribution")
def _distribution(rng: np.random.Generator, n: int, params: Mapping[str, Any]) -> tuple[np.ndarray, np.ndarray]:
    return _f32(_softmax(rng.normal(size=(n, K_CLASSES)))), _f32(_softmax(rng.normal(size=(n, K_CLASSES))))


@register_inputs("hinge")
def _hinge(rng: np.random.Generator, n: int, params: Mapping[str, Any]) -> tuple[np.ndarray, np.ndarray]:
    """Labels in {-1, 1} (Keras also maps {0, 1} to {-1, 1}), real-valued scores."""
    y = rng.choice([-1.0, 1.0], size=(n, D_REG))
    return _f32(y), _f32(rng.normal(size=(n, D_REG)))


@register_inputs("segmentation")
def _segmentation(rng: np.random.Generator, n: int, params: Mapping[str, Any]) -> tuple[np.ndarray, np.ndarray]:
    y = (rng.uniform(size=(n, 8, 8, 1)) > 0.6).astype(np.float32)
    p = rng.uniform(0.01, 0.99, size=(n, 8, 8, 1))
    if params.get("from_logits"):
        p = np.log(p / (1 - p))
    return y, _f32(p)


@register_inputs("embedding_labels")
def _embedding_labels(rng: np.random.Generator, n: int, params: Mapping[str, Any]) -> tuple[np.ndarray, np.ndarray]:
    """Integer class labels (a few classes, each seen at least twice) and embeddings."""
    labels = np.repeat(np.arange(max(2, n // 4)), 4)[:n]
    rng.shuffle(labels)
    return labels.astype(np.int32), _f32(rng.normal(size=(n, 8)))
