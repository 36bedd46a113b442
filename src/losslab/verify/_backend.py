"""Backend-specific pieces of the check battery: gradients and jit, on the current
``KERAS_BACKEND`` (fixed per process; other backends run in subprocesses, see ``_worker``)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

__all__ = ["backend_name", "installed_backends", "jit_values", "to_numpy", "value_and_grad"]

_BACKEND_MODULES = {"jax": "jax", "torch": "torch", "tensorflow": "tensorflow"}


def backend_name() -> str:
    import keras

    return str(keras.backend.backend())


def installed_backends() -> list[str]:
    """Keras backends whose library is importable here (without importing it)."""
    import importlib.util

    return [b for b, mod in _BACKEND_MODULES.items() if importlib.util.find_spec(mod) is not None]


def to_numpy(x: Any) -> np.ndarray:
    from keras import ops

    return np.asarray(ops.convert_to_numpy(x))


def tensor(x: np.ndarray, dtype: str | None = None) -> Any:
    from keras import ops

    if dtype is None:
        dtype = "int32" if np.issubdtype(np.asarray(x).dtype, np.integer) else "float32"
    return ops.convert_to_tensor(np.asarray(x), dtype=dtype)


def value_and_grad(f: Callable[[Any], Any], y_pred: np.ndarray) -> tuple[float, np.ndarray]:
    """Value of the scalar ``f(y_pred)`` and its gradient with respect to ``y_pred``."""
    name = backend_name()
    yp = np.asarray(y_pred, dtype=np.float32)
    if name == "jax":
        import jax
        import jax.numpy as jnp

        vg = jax.value_and_grad(lambda t: jnp.sum(f(t)))
        val, grad = vg(jnp.asarray(yp))
        return float(val), np.asarray(grad, dtype=np.float64)
    if name == "torch":
        import torch

        t = torch.tensor(yp, requires_grad=True)
        out = torch.sum(f(t))
        (g,) = torch.autograd.grad(out, t, allow_unused=True)
        grad = np.zeros_like(yp, dtype=np.float64) if g is None else g.detach().cpu().numpy()
        return float(out.detach().cpu()), np.asarray(grad, dtype=np.float64)
    if name == "tensorflow":
        import tensorflow as tf

        t = tf.Variable(yp)
        with tf.GradientTape() as tape:
            out = tf.reduce_sum(f(t))
        g = tape.gradient(out, t)
        grad = np.zeros_like(yp, dtype=np.float64) if g is None else np.asarray(g)
        return float(out.numpy()), np.asarray(grad, dtype=np.float64)
    raise RuntimeError(f"Gradients are not supported on the Keras backend {name!r}.")


def jit_values(loss_obj: Any, y_true: np.ndarray, y_pred: np.ndarray) -> np.ndarray:
    """Per-sample values of ``loss_obj`` (reduction none) computed under ``jax.jit``."""
    import jax

    fn = jax.jit(lambda yt, yp: loss_obj(yt, yp))
    return np.asarray(fn(np.asarray(y_true), np.asarray(y_pred, dtype=np.float32)))

