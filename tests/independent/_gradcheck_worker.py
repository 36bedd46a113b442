"""Run in a fresh process (``python -m tests.independent._gradcheck_worker``) by
test_gradients.py: JAX with float64 enabled and ``keras.config.floatx() == "float64"``, so
nothing leaks into the rest of the test session.

For each case: the gradient of the summed loss with respect to y_pred by automatic
differentiation (the loss's own gradient path: stop_gradient, where-guards, sorting, mining,
clipping) against central finite differences of the loss value (h = 1e-6). Prints one JSON
object {case id: relative error ||g - fd|| / ||fd||} on stdout.

Losses that hold a term constant in the gradient on purpose (CIoU's alpha, beta-NLL's
var^beta) are compared against the finite differences of a float64 formula with that term
frozen at the evaluation point.
"""

from __future__ import annotations

import json
import math
import os
import sys
import zlib
from collections.abc import Callable
from typing import Any

os.environ["KERAS_BACKEND"] = "jax"
os.environ["JAX_ENABLE_X64"] = "1"

import jax  # noqa: E402

jax.config.update("jax_enable_x64", True)

import keras  # noqa: E402
import numpy as np  # noqa: E402

keras.config.set_floatx("float64")


def _mean_keeping_float64(x: Any, axis: Any = None, keepdims: bool = False) -> Any:
    x = jax.numpy.asarray(x)
    return jax.numpy.mean(
        x, axis=axis, keepdims=keepdims, dtype=jax.numpy.result_type(x.dtype, jax.numpy.float32)
    )


def _logaddexp_keeping_float64(x1: Any, x2: Any) -> Any:
    return jax.numpy.logaddexp(jax.numpy.asarray(x1), jax.numpy.asarray(x2))


# Keras 3.15.1's JAX ``mean`` and ``logaddexp`` compute in ``keras.backend.result_type(...,
# "float32" / float)``, which is float32 for float64 inputs: a loss using them carries float32
# rounding (~6e-8), and central differences with h = 1e-6 would read it as a gradient error
# of several percent. The check is about the losses' gradient paths, not Keras's precision.
keras.src.backend.jax.numpy.mean = _mean_keeping_float64
keras.src.backend.jax.numpy.logaddexp = _logaddexp_keeping_float64

import losslab  # noqa: E402
from tests.independent.gradient_cases import CASES  # noqa: E402
from tests.independent.test_boxes_geometry import box_loss  # noqa: E402

H = 1e-6


def _central_differences(f: Callable[[np.ndarray], float], x: np.ndarray) -> np.ndarray:
    grad = np.zeros_like(x)
    for idx in np.ndindex(*x.shape):
        up, down = x.copy(), x.copy()
        up[idx] += H
        down[idx] -= H
        grad[idx] = (f(up) - f(down)) / (2 * H)
    return grad


def _loss_fn(name: str, params: dict[str, Any], y_true: np.ndarray) -> Callable[[Any], Any]:
    loss = losslab.get(name, reduction="sum", **params)
    return jax.jit(lambda yp: loss(y_true, yp))


def _frozen_ciou(y_true: np.ndarray, y_pred: np.ndarray) -> Callable[[np.ndarray], float]:
    alphas = []
    for t, p in zip(y_true, y_pred, strict=True):
        full = box_loss(list(t), list(p), "ciou")
        without = box_loss(list(t), list(p), "ciou", alpha=0.0)
        v = (
            4.0
            / math.pi**2
            * (math.atan((t[3] - t[1]) / (t[2] - t[0])) - math.atan((p[3] - p[1]) / (p[2] - p[0])))
            ** 2
        )
        alphas.append((full - without) / v if v > 0 else 0.0)
    return lambda yp: sum(
        box_loss(list(t), list(p), "ciou", alpha=a)
        for t, p, a in zip(y_true, yp, alphas, strict=True)
    )


def _softplus(s: np.ndarray) -> np.ndarray:
    return np.log1p(np.exp(-np.abs(s))) + np.maximum(s, 0.0)


def _frozen_beta_nll(
    y_true: np.ndarray, y_pred: np.ndarray, beta: float
) -> Callable[[np.ndarray], float]:
    d = y_true.shape[-1]
    weight = np.maximum(_softplus(y_pred[:, d:]), 1e-6) ** beta

    def f(yp: np.ndarray) -> float:
        mu, var = yp[:, :d], np.maximum(_softplus(yp[:, d:]), 1e-6)
        terms = 0.5 * (np.log(var) + (y_true - mu) ** 2 / var) * weight
        return float(terms.mean(axis=-1).sum())

    return f


CONTROL = "control-stop-gradient"


def _control() -> float:
    """A loss whose gradient path is wrong on purpose (``y * stop_gradient(y)``: autodiff
    gives y, the derivative is 2 y): the harness must report an error of about 0.5."""
    y = np.random.default_rng(0).normal(size=(4, 3))
    fn = jax.jit(lambda v: keras.ops.sum(v * keras.ops.stop_gradient(v)))
    analytic = np.asarray(jax.grad(fn)(y))
    numeric = _central_differences(lambda v: float(fn(v)), y)
    return float(np.linalg.norm(analytic - numeric) / np.linalg.norm(numeric))


def run(case_id: str) -> float:
    if case_id == CONTROL:
        return _control()
    name, params, make = CASES[case_id]
    y_true, y_pred = make(np.random.default_rng(zlib.crc32(case_id.encode())))
    fn = _loss_fn(name, params, y_true)
    analytic = np.asarray(jax.grad(lambda yp: fn(yp))(y_pred))
    if name == "giou" and params.get("mode") == "ciou":
        reference = _frozen_ciou(y_true, y_pred)
    elif name == "gaussian_nll" and params.get("beta", 0.0) > 0:
        reference = _frozen_beta_nll(y_true, y_pred, params["beta"])
    else:

        def reference(yp: np.ndarray) -> float:
            return float(fn(yp))

    numeric = _central_differences(reference, y_pred)
    return float(np.linalg.norm(analytic - numeric) / max(np.linalg.norm(numeric), 1e-12))


if __name__ == "__main__":
    ids = sys.argv[1:] or [*CASES, CONTROL]
    results: dict[str, float | str] = {}
    for i in ids:
        try:
            results[i] = run(i)
        except Exception as exc:  # reported to the test, which fails with the message
            results[i] = f"{type(exc).__name__}: {exc}"[:400]
    print(json.dumps(results))
