"""Benchmark: every catalog loss on ~1M-element float32 inputs, jit-compiled on JAX.

For each loss (default hyperparameters, plus the other setting of ``from_logits`` where the
loss has one) the Keras object returned by ``losslab.get`` is called with its default
reduction inside ``jax.jit`` and timed against two baselines measured in the same run on
the same arrays:

- the memory floor: a fused, jitted ``sum(y_true) + sum(y_pred)`` (reads the same bytes once);
- the direct form: the same formula written by hand in ``jax.numpy`` as one expression
  (Keras built-ins only; "n/a" for losses without one). Each direct form is checked against
  the Keras value before it is timed.

Time: median of ``--repeats`` calls after a warm-up (compilation excluded), each call
ended by ``block_until_ready``; the loss and its baselines are timed in alternating rounds.
Metric-learning losses use 256 samples: they work on pairs or triplets inside the batch, so a
1M-element batch would need a 10^10-entry distance matrix (10^15 triplets).

Prints both ratios per loss and writes bench/results/catalog.json.
Run: ``KERAS_BACKEND=jax .venv/bin/python bench/bench_catalog.py [--only huber,bce] [--repeats 15]``.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

os.environ.setdefault("KERAS_BACKEND", "jax")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

RESULTS = Path(__file__).resolve().parent / "results"
TARGET_ELEMENTS = 1_000_000
PAIRWISE_SAMPLES = 256
EPS = 1e-7


def _direct_forms() -> dict[str, Callable[..., Any]]:
    """Hand-written jax.numpy forms of the Keras built-ins: ``f(y_true, y_pred, **params)``
    returning the mean over samples (Keras's default ``sum_over_batch_size``)."""
    import jax
    import jax.numpy as jnp

    one_minus = float(jnp.float32(1.0 - EPS))

    def clip(p: Any) -> Any:
        return jnp.clip(p, EPS, one_minus)

    def bce(t: Any, p: Any, from_logits: bool = False, **_: Any) -> Any:
        if from_logits:
            return jnp.mean(jax.nn.softplus(p) - t * p)
        return jnp.mean(-(t * jnp.log(clip(p)) + (1 - t) * jnp.log(1 - clip(p))))

    def bfce(t: Any, p: Any, from_logits: bool = False, gamma: float = 2.0, **_: Any) -> Any:
        q = jax.nn.sigmoid(p) if from_logits else p
        p_t = t * q + (1 - t) * (1 - q)
        return jnp.mean(
            (1 - p_t) ** gamma * -(t * jnp.log(clip(q)) + (1 - t) * jnp.log(1 - clip(q)))
        )

    def cce(t: Any, p: Any, from_logits: bool = False, **_: Any) -> Any:
        logp = (
            jax.nn.log_softmax(p, -1)
            if from_logits
            else jnp.log(clip(p / jnp.sum(p, -1, keepdims=True)))
        )
        return jnp.mean(-jnp.sum(t * logp, -1))

    def cfce(
        t: Any, p: Any, from_logits: bool = False, alpha: float = 0.25, gamma: float = 2.0, **_: Any
    ) -> Any:
        q = jax.nn.softmax(p, -1) if from_logits else p
        q = clip(q / jnp.sum(q, -1, keepdims=True))
        return jnp.mean(jnp.sum(-alpha * (1 - q) ** gamma * t * jnp.log(q), -1))

    def pick(p: Any, y: Any) -> Any:
        return jnp.take_along_axis(p, y.astype(jnp.int32)[:, None], axis=-1)[:, 0]

    def scce(t: Any, p: Any, from_logits: bool = False, **_: Any) -> Any:
        logp = (
            jax.nn.log_softmax(p, -1)
            if from_logits
            else jnp.log(clip(p / jnp.sum(p, -1, keepdims=True)))
        )
        return jnp.mean(-pick(logp, t))

    def cosine(t: Any, p: Any, **_: Any) -> Any:
        nt = jnp.minimum(jax.lax.rsqrt(jnp.sum(t * t, -1)), 1 / EPS)
        np_ = jnp.minimum(jax.lax.rsqrt(jnp.sum(p * p, -1)), 1 / EPS)
        return jnp.mean(-jnp.sum(t * p, -1) * nt * np_)

    def huber(t: Any, p: Any, delta: float = 1.0, **_: Any) -> Any:
        e = jnp.abs(p - t)
        return jnp.mean(jnp.where(e <= delta, 0.5 * e * e, delta * e - 0.5 * delta * delta))

    def kld(t: Any, p: Any, **_: Any) -> Any:
        tc, pc = jnp.clip(t, EPS, 1), jnp.clip(p, EPS, 1)
        return jnp.mean(jnp.sum(tc * jnp.log(tc / pc), -1))

    def tversky(t: Any, p: Any, alpha: float = 0.5, beta: float = 0.5, **_: Any) -> Any:
        tp = jnp.sum(t * p)
        return 1 - tp / (tp + alpha * jnp.sum((1 - t) * p) + beta * jnp.sum(t * (1 - p)) + EPS)

    return {
        "mean_squared_error": lambda t, p, **_: jnp.mean((t - p) ** 2),
        "mean_absolute_error": lambda t, p, **_: jnp.mean(jnp.abs(t - p)),
        "mean_absolute_percentage_error": lambda t, p, **_: (
            100 * jnp.mean(jnp.abs(t - p) / jnp.maximum(jnp.abs(t), EPS))
        ),
        "mean_squared_logarithmic_error": lambda t, p, **_: jnp.mean(
            (jnp.log1p(jnp.maximum(p, EPS)) - jnp.log1p(jnp.maximum(t, EPS))) ** 2
        ),
        "cosine_similarity": cosine,
        "huber": huber,
        "log_cosh": lambda t, p, **_: jnp.mean(
            (p - t) + jax.nn.softplus(-2 * (p - t)) - jnp.log(2.0)
        ),
        "poisson": lambda t, p, **_: jnp.mean(p - t * jnp.log(p + EPS)),
        "hinge": lambda t, p, **_: jnp.mean(jnp.maximum(1 - t * p, 0)),
        "squared_hinge": lambda t, p, **_: jnp.mean(jnp.maximum(1 - t * p, 0) ** 2),
        "categorical_hinge": lambda t, p, **_: jnp.mean(
            jnp.maximum(jnp.max((1 - t) * p, -1) - jnp.sum(t * p, -1) + 1, 0)
        ),
        "kl_divergence": kld,
        "binary_crossentropy": bce,
        "binary_focal_crossentropy": bfce,
        "categorical_crossentropy": cce,
        "categorical_focal_crossentropy": cfce,
        "sparse_categorical_crossentropy": scce,
        "categorical_generalized_cross_entropy": lambda t, p, q=0.5, **_: jnp.mean(
            (1 - pick(p, t) ** q) / q
        ),
        "dice": lambda t, p, **_: 1 - 2 * jnp.sum(t * p) / (jnp.sum(t) + jnp.sum(p) + EPS),
        "tversky": tversky,
    }


def _interleaved_medians(fns: dict[str, Callable[[], Any]], repeats: int) -> dict[str, float]:
    """Median seconds per function. Rounds alternate between the functions, so a change of
    machine load during the measurement affects the loss and its baselines alike."""
    for fn in fns.values():  # warm-up: compile, then one more run
        fn().block_until_ready()
        fn().block_until_ready()
    times: dict[str, list[float]] = {k: [] for k in fns}
    for _ in range(repeats):
        for name, fn in fns.items():
            start = time.perf_counter()
            fn().block_until_ready()
            times[name].append(time.perf_counter() - start)
    return {k: statistics.median(v) for k, v in times.items()}


def _inputs(spec: Any, params: dict[str, Any]) -> tuple[Any, Any]:
    from losslab.catalog import Family
    from losslab.catalog import inputs as catalog_inputs

    _, sample = catalog_inputs.generate(spec.inputs, 2, params, seed=0)
    per_row = max(1, int(sample[0].size))
    n = (
        PAIRWISE_SAMPLES
        if spec.family == Family.METRIC_LEARNING
        else max(2, TARGET_ELEMENTS // per_row)
    )
    return catalog_inputs.generate(spec.inputs, n, params, seed=1)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--only", default="", help="comma-separated loss names (default: the whole catalog)"
    )
    parser.add_argument("--repeats", type=int, default=15)
    args = parser.parse_args(argv)

    import jax
    import jax.numpy as jnp
    import keras
    import numpy as np

    import losslab

    if keras.backend.backend() != "jax":
        sys.stderr.write(
            "bench_catalog.py times jit-compiled JAX code: run it with KERAS_BACKEND=jax.\n"
        )
        return 2
    direct = _direct_forms()
    specs = losslab.list_losses()
    if args.only:
        wanted = [losslab.get_spec(n).name for n in args.only.split(",") if n.strip()]
        specs = [s for s in specs if s.name in wanted]

    floor_fn = jax.jit(lambda t, p: jnp.sum(t) + jnp.sum(p))
    rows: list[dict[str, Any]] = []
    header = f"{'loss':52s} {'elements':>9s} {'loss ms':>8s} {'floor ms':>8s} {'x floor':>8s} {'direct ms':>9s} {'x direct':>8s}"
    print(header)
    print("-" * len(header))
    for spec in specs:
        variants: list[dict[str, Any]] = [{}]
        if spec.from_logits_param:
            variants.append(
                {spec.from_logits_param: not spec.param(spec.from_logits_param).default}
            )
        for given in variants:
            label = spec.name + "".join(f"[{k}={v}]" for k, v in given.items())
            params = spec.validate_params(given)
            row: dict[str, Any] = {"loss": spec.name, "params": given}
            try:
                y_true_np, y_pred_np = _inputs(spec, params)
                y_true, y_pred = jnp.asarray(y_true_np), jnp.asarray(y_pred_np)
                loss = losslab.get(spec.name, **given)
                loss_fn = jax.jit(lambda t, p, loss=loss: loss(t, p))
                fns: dict[str, Callable[[], Any]] = {
                    "loss": lambda f=loss_fn, t=y_true, p=y_pred: f(t, p),
                    "floor": lambda t=y_true, p=y_pred: floor_fn(t, p),
                }
                if spec.name in direct:
                    d_fn = jax.jit(lambda t, p, f=direct[spec.name], kw=params: f(t, p, **kw))
                    keras_value = float(loss_fn(y_true, y_pred))
                    direct_value = float(d_fn(y_true, y_pred))
                    if not np.isclose(keras_value, direct_value, rtol=1e-3, atol=1e-5):
                        raise AssertionError(f"direct form {direct_value} != Keras {keras_value}")
                    fns["direct"] = lambda f=d_fn, t=y_true, p=y_pred: f(t, p)
                med = _interleaved_medians(fns, args.repeats)
                row.update(
                    elements=int(y_pred.size),
                    loss_ms=med["loss"] * 1e3,
                    floor_ms=med["floor"] * 1e3,
                    ratio_floor=med["loss"] / med["floor"],
                    direct_ms=med["direct"] * 1e3 if "direct" in med else None,
                    ratio_direct=med["loss"] / med["direct"] if "direct" in med else None,
                )
            except Exception as e:  # report and go on: one broken loss must not hide the rest
                row.update(error=f"{type(e).__name__}: {e}")
                print(f"{label:52s} ERROR {row['error'][:80]}")
                rows.append(row)
                continue
            d_ms = "n/a" if row["direct_ms"] is None else f"{row['direct_ms']:.3f}"
            d_ratio = "n/a" if row["ratio_direct"] is None else f"{row['ratio_direct']:.2f}"
            print(
                f"{label:52s} {row['elements']:>9d} {row['loss_ms']:>8.3f} {row['floor_ms']:>8.3f} "
                f"{row['ratio_floor']:>8.2f} {d_ms:>9s} {d_ratio:>8s}"
            )
            rows.append(row)

    RESULTS.mkdir(parents=True, exist_ok=True)
    out = RESULTS / "catalog.json"
    meta = {
        "backend": "jax",
        "jax": jax.__version__,
        "keras": keras.__version__,
        "device": str(jax.devices()[0]),
        "machine": platform.platform(),
        "cpu_count": os.cpu_count(),
        "load_average": os.getloadavg(),
        "target_elements": TARGET_ELEMENTS,
        "repeats": args.repeats,
    }
    out.write_text(json.dumps({"meta": meta, "results": rows}, indent=2))
    print(f"\nwrote {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
