"""Helpers shared by the catalog tests: non-default hyperparameters, masks, backend gradients."""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from losslab._params import Anything, Interval, OneOf, Param
from losslab.catalog import LossSpec, resolve
from losslab.catalog import inputs as catalog_inputs

_MISSING = object()


def _differs(a: Any, b: Any) -> bool:
    if type(a) is not type(b):
        return True
    if isinstance(a, float) and isinstance(b, float):
        return not math.isclose(a, b)
    return bool(a != b)


def _candidates(p: Param) -> list[Any]:
    c, d = p.constraint, p.default
    out: list[Any] = []
    if p.search is not None:
        kind = p.search[0]
        if kind in ("float", "int"):
            lo, hi = float(p.search[1]), float(p.search[2])
            log = bool(p.search[3]) if len(p.search) > 3 else False
            mid = math.sqrt(lo * hi) if log and lo > 0 else lo + 0.37 * (hi - lo)
            vals = [mid, lo + 0.7 * (hi - lo), lo, hi]
            out += [int(round(v)) for v in vals] if kind == "int" else [float(v) for v in vals]
        elif kind == "categorical":
            out += list(p.search[1])
    if isinstance(c, OneOf):
        out += list(c.choices)
    elif isinstance(c, Interval):
        if c.allow_none and d is not None:
            out.append(None)
        lo, hi = c.low, c.high
        if lo is not None and hi is not None:
            vals = [lo + 0.37 * (hi - lo), (lo + hi) / 2, lo, hi]
        elif lo is not None:
            vals = [lo + 1.5, lo * 2 + 1.0]
        elif hi is not None:
            vals = [hi - 1.5, hi / 2 - 1.0]
        else:  # unbounded integers such as `axis`: 1 is the class axis of 2-D inputs
            vals = [1, 0, 2] if c.integer else [0.5, 1.5]
        if c.integer:
            vals = [int(round(v)) for v in vals]
        out += vals
    return out


def non_default_params(spec: LossSpec) -> dict[str, Any]:
    """A valid, non-default value for every hyperparameter that can have one.

    ``spec.extra["example_params"]`` wins (and is the only source for parameters with an
    ``Anything`` constraint or a ``None`` default, such as Dice's ``axis`` or a list of
    class counts); otherwise a value is drawn from the search space or the constraint.
    """
    example = dict(spec.extra.get("example_params", {}))
    out: dict[str, Any] = {}
    for p in spec.params:
        if p.name in example:
            out[p.name] = example[p.name]
            continue
        if isinstance(p.constraint, Anything) or p.default is None:
            # the type is not inferable (a list? an int?): declare extra["example_params"]
            continue
        for cand in _candidates(p):
            if p.constraint.contains(cand) and _differs(cand, p.default):
                out[p.name] = cand
                break
    spec.validate_params(out)  # the helper itself must produce valid values
    return out


def param_variants(spec: LossSpec) -> list[dict[str, Any]]:
    """Default parameters, plus the other setting of the logits switch when there is one."""
    variants: list[dict[str, Any]] = [{}]
    if spec.from_logits_param:
        default = spec.param(spec.from_logits_param).default
        variants.append({spec.from_logits_param: not default})
    return variants


def draw(
    spec: LossSpec, params: dict[str, Any], n: int = 16, seed: int = 0
) -> tuple[np.ndarray, np.ndarray]:
    full = spec.validate_params(params)
    return catalog_inputs.generate(spec.inputs, n, full, seed)


def reference_mask(
    spec: LossSpec, y_true: Any, y_pred: Any, params: dict[str, Any]
) -> np.ndarray | None:
    """The entries the Keras loss masks out of its reduction (``spec.extra['mask']``)."""
    path = spec.extra.get("mask")
    if not path:
        return None
    return resolve(path)(y_true, y_pred, **spec.validate_params(params))


def to_numpy(x: Any) -> np.ndarray:
    import keras

    return np.asarray(keras.ops.convert_to_numpy(x), dtype=np.float64)


def evaluate_calls(calls: list[tuple[Any, Any, Any, Any]]) -> list[np.ndarray]:
    """Evaluate ``loss(y_true, y_pred, sample_weight=sw)`` for each ``(loss, y_true, y_pred,
    sw)``. On JAX the calls run inside one ``jax.jit`` so a loss built on ``lax.scan``
    (CTC) compiles once per test instead of once per call; other backends run eagerly."""
    import keras

    args = [(yt, yp, sw) for _, yt, yp, sw in calls]
    if keras.backend.backend() == "jax":
        import jax

        def run(batch: list[tuple[Any, Any, Any]]) -> list[Any]:
            return [
                c[0](yt, yp, sample_weight=sw) for c, (yt, yp, sw) in zip(calls, batch, strict=True)
            ]

        out = jax.jit(run)(args)
    else:
        out = [c[0](yt, yp, sample_weight=sw) for c, (yt, yp, sw) in zip(calls, args, strict=True)]
    return [to_numpy(o) for o in out]


def loss_gradient(loss: Any, y_true: Any, y_pred: np.ndarray) -> tuple[float, np.ndarray]:
    """Value and gradient of ``loss(y_true, y_pred)`` with respect to ``y_pred`` on the
    active Keras backend (jax.grad, torch.autograd or tf.GradientTape)."""
    import keras

    backend = keras.backend.backend()
    if backend == "jax":
        import jax
        import jax.numpy as jnp

        value, grad = jax.jit(jax.value_and_grad(lambda p: loss(y_true, p)))(jnp.asarray(y_pred))
        return float(value), np.asarray(grad, dtype=np.float64)
    if backend == "torch":
        import torch

        p = torch.tensor(y_pred, requires_grad=True)
        value = loss(y_true, p)
        value.backward()
        return float(value.detach().cpu()), p.grad.detach().cpu().numpy().astype(np.float64)
    if backend == "tensorflow":
        import tensorflow as tf

        p = tf.Variable(y_pred)
        with tf.GradientTape() as tape:
            value = loss(y_true, p)
        return float(value), tape.gradient(value, p).numpy().astype(np.float64)
    raise RuntimeError(f"No gradient helper for backend {backend!r}.")


def separable(
    spec: LossSpec, y_true: np.ndarray, y_pred: np.ndarray, params: dict[str, Any]
) -> bool:
    """True when each sample's value does not depend on the other samples of the batch
    (dropping sample 0 leaves the others' values unchanged)."""
    if spec.per_batch:
        return False
    full = spec.reference_values(y_true, y_pred, **params)
    rest = spec.reference_values(y_true[1:], y_pred[1:], **params)
    return bool(
        np.shape(full)[1:] == np.shape(rest)[1:]
        and np.allclose(full[1:], rest, rtol=1e-12, atol=1e-12)
    )
