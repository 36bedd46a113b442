"""Benchmark: losslab's part-1 losses against (a) the same formula written directly as one
fused expression and (b) the best public implementation installed here.

Forward value (mean over the batch) of each loss on one batch (N = 8192 samples):

- **jax** (KERAS_BACKEND=jax, own subprocess): the losslab Keras loss object called inside
  ``jax.jit`` vs (a) the formula in ``jax.numpy`` under ``jax.jit`` and (b) Optax (jit)
  where it has the loss, else torch.nn.functional (eager CPU) or scikit-learn (NumPy);
- **torch** (KERAS_BACKEND=torch, own subprocess): the losslab Keras loss object (eager) vs
  (a) the formula in ``torch`` (eager) and (b) torch.nn.functional where it has the loss.

Time: median CPU time (``time.process_time``, one compute thread) of 15 interleaved rounds of a
timed loop after warm-up, all in the same process per backend; CPU time keeps the figures
meaningful on a shared, loaded machine.
Ratios > 1 mean losslab is slower. Writes bench/results/losses_part1.json.
Run: ``.venv/bin/python bench/bench_losses_part1.py`` (about two minutes).
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

N = 8192
D = 8  # regression targets
K = 16  # classes / labels
K_ORD = 6  # ordinal classes
RESULTS = Path(__file__).resolve().parent / "results"


def _data() -> dict[str, Any]:
    import numpy as np

    rng = np.random.default_rng(0)
    f = np.float32
    labels = rng.integers(0, K, size=N).astype(np.int32)
    ord_labels = rng.integers(0, K_ORD, size=N).astype(np.int32)
    mu = rng.gamma(2.0, 1.0, size=(N, D)) + 0.05
    return {
        "y": rng.normal(size=(N, D)).astype(f),
        "p": rng.normal(size=(N, D)).astype(f),
        "y1": rng.normal(size=(N,)).astype(f),
        "q3": np.sort(rng.normal(size=(N, 3)), -1).astype(f),
        "counts": rng.poisson(2.0, size=(N, D)).astype(f),
        "ypos": (rng.gamma(2.0, 1.0, size=(N, D)) + 0.05).astype(f),
        "mu": mu.astype(f),
        "logmu": np.log(mu).astype(f),
        "ms": np.concatenate([rng.normal(size=(N, D)), rng.normal(size=(N, D))], -1).astype(f),
        "labels": labels,
        "onehot": np.eye(K, dtype=f)[labels],
        "logits": rng.normal(scale=2.0, size=(N, K)).astype(f),
        "multilabel": rng.integers(0, 2, size=(N, K)).astype(f),
        "ord_labels": ord_labels,
        "ord_logits": rng.normal(scale=2.0, size=(N, K_ORD - 1)).astype(f),
        "ord_onehot": np.eye(K_ORD, dtype=f)[ord_labels],
        "ord_probs": np.exp(rng.normal(size=(N, K_ORD))).astype(f),
        "counts_per_class": [int(c) for c in rng.integers(1, 1000, size=K)],
        "pos_weight": [float(w) for w in rng.uniform(0.5, 5.0, size=K)],
    }


def _time(
    fns: dict[str, Callable[[], Any]], sync: Callable[[Any], Any] = lambda x: x
) -> dict[str, float]:
    """Median CPU seconds per call of each function.

    The functions are timed in interleaved rounds (so a load spike hits all of them) with
    ``time.process_time`` on a single compute thread (set in ``_worker``): on a shared machine
    wall time mostly measures the neighbours.
    """
    loops: dict[str, int] = {}
    for key, fn in fns.items():
        for _ in range(3):
            sync(fn())
        t0 = time.process_time()
        sync(fn())
        once = max(time.process_time() - t0, 1e-6)
        loops[key] = max(1, min(200, int(0.02 / once)))
    samples: dict[str, list[float]] = {k: [] for k in fns}
    for _ in range(15):
        for key, fn in fns.items():
            t0 = time.process_time()
            for _ in range(loops[key]):
                out = fn()
            sync(out)
            samples[key].append((time.process_time() - t0) / loops[key])
    return {k: statistics.median(v) for k, v in samples.items()}


# ----------------------------------------------------------------------------- cases
def _cases(d: dict[str, Any]) -> list[tuple[str, dict[str, Any], str, str, str]]:
    """(catalog name, params, y_true key, y_pred key, label) for each benchmarked setting."""
    return [
        ("mean_absolute_error", {}, "y", "p", "[baseline] keras MeanAbsoluteError"),
        ("pinball", {"tau": 0.9}, "y", "p", "pinball tau=0.9"),
        (
            "pinball",
            {"tau": [0.1, 0.5, 0.9], "crossing_penalty": 1.0},
            "y1",
            "q3",
            "pinball 3 levels + penalty",
        ),
        ("cauchy", {}, "y", "p", "cauchy"),
        ("pseudo_huber", {}, "y", "p", "pseudo_huber"),
        ("smooth_l1", {}, "y", "p", "smooth_l1"),
        ("general_robust", {"alpha": 0.5}, "y", "p", "general_robust alpha=0.5"),
        ("tweedie_deviance", {"power": 1.5}, "counts", "logmu", "tweedie p=1.5"),
        ("gamma_deviance", {}, "ypos", "logmu", "gamma_deviance"),
        ("poisson_nll", {}, "counts", "logmu", "poisson_nll"),
        ("gaussian_nll", {}, "y", "ms", "gaussian_nll"),
        ("student_t_nll", {}, "y", "ms", "student_t_nll"),
        (
            "sparse_categorical_focal",
            {"from_logits": True},
            "labels",
            "logits",
            "sparse_focal (logits)",
        ),
        ("poly1_crossentropy", {"from_logits": True}, "onehot", "logits", "poly1 (logits)"),
        (
            "symmetric_crossentropy",
            {"from_logits": True},
            "onehot",
            "logits",
            "symmetric_ce (logits)",
        ),
        (
            "weighted_binary_crossentropy",
            {"from_logits": True, "pos_weight": d["pos_weight"]},
            "multilabel",
            "logits",
            "bce pos_weight (logits)",
        ),
        ("asymmetric_loss", {"from_logits": True}, "multilabel", "logits", "asl (logits)"),
        (
            "class_balanced_crossentropy",
            {"from_logits": True, "samples_per_class": d["counts_per_class"], "beta": 0.999},
            "labels",
            "logits",
            "class_balanced_ce (logits)",
        ),
        (
            "class_balanced_focal",
            {"from_logits": True, "samples_per_class": d["counts_per_class"], "beta": 0.999},
            "labels",
            "logits",
            "class_balanced_focal (logits)",
        ),
        (
            "sparse_categorical_crossentropy_smoothed",
            {"from_logits": True, "label_smoothing": 0.1},
            "labels",
            "logits",
            "sparse_ce smoothing=0.1 (logits)",
        ),
        ("coral", {}, "ord_labels", "ord_logits", "coral"),
        ("corn", {}, "ord_labels", "ord_logits", "corn"),
        ("weighted_kappa", {}, "ord_onehot", "ord_probs", "weighted_kappa"),
    ]


def _cb_weights(counts: list[int], beta: float) -> list[float]:
    w = [(1 - beta) / (1 - beta**c) for c in counts]
    return [x / sum(w) * len(w) for x in w]


def _direct(
    xp: Any, name: str, params: dict[str, Any], backend: str, per_sample: bool = False
) -> Callable[[Any, Any], Any]:
    """The formula as one expression in jax.numpy or torch (``xp``).

    Elementwise losses reduce with one flat ``mean()`` (the fastest scalar), or with
    ``per_sample=True`` first over the last axis then over the batch (the shape of the
    computation every Keras loss must do, since it returns one value per sample).
    """

    def red(x: Any) -> Any:
        return x.mean(-1).mean() if per_sample else x.mean()

    if backend == "jax":
        import jax

        log_sigmoid, log_softmax, softplus = jax.nn.log_sigmoid, jax.nn.log_softmax, jax.nn.softplus

        def onehot(y):
            return jax.nn.one_hot(y, K)

        def sigmoid(x):
            return jax.nn.sigmoid(x)

        relu, asarr = jax.nn.relu, xp.asarray

        def floor(x, v):
            return xp.maximum(x, v)
    else:
        import torch

        F = torch.nn.functional
        log_sigmoid, softplus, relu, sigmoid = F.logsigmoid, F.softplus, torch.relu, torch.sigmoid

        def log_softmax(x):
            return torch.log_softmax(x, -1)

        def onehot(y):
            return F.one_hot(y.long(), K).float()

        def asarr(v):
            return torch.tensor(v, dtype=torch.float32)

        def floor(x, v):
            return x.clamp(min=v)

    if name == "mean_absolute_error":
        return lambda y, p: red(xp.abs(p - y))
    if name == "pinball":
        taus = params["tau"]
        if isinstance(taus, list):
            t = asarr(taus)
            lam = params["crossing_penalty"]

            def f(y, q):
                e = y[:, None] - q
                return red(xp.maximum(t * e, (t - 1) * e)) + lam * red(relu(q[:, :-1] - q[:, 1:]))

            return f
        tau = taus
        return lambda y, p: red(xp.maximum(tau * (y - p), (tau - 1) * (y - p)))
    if name == "cauchy":
        return lambda y, p: red(0.5 * xp.log1p((p - y) ** 2))
    if name == "pseudo_huber":
        return lambda y, p: red(xp.sqrt(1 + (p - y) ** 2) - 1)
    if name == "smooth_l1":

        def f(y, p):
            a = xp.abs(p - y)
            return red(xp.where(a < 1.0, 0.5 * a * a, a - 0.5))

        return f
    if name == "general_robust":
        a, b = params["alpha"], abs(params["alpha"] - 2)
        return lambda y, p: red(b / a * xp.expm1(a / 2 * xp.log1p((p - y) ** 2 / b)))
    if name == "tweedie_deviance":
        pw = params["power"]
        return lambda y, z: red(
            2
            * (
                y ** (2 - pw) / ((1 - pw) * (2 - pw))
                - y * xp.exp((1 - pw) * z) / (1 - pw)
                + xp.exp((2 - pw) * z) / (2 - pw)
            )
        )
    if name == "gamma_deviance":
        return lambda y, z: red(2 * (z - xp.log(y) + y * xp.exp(-z) - 1))
    if name == "poisson_nll":
        return lambda y, z: red(xp.exp(z) - y * z)
    if name == "gaussian_nll":

        def f(y, ms):
            var = floor(softplus(ms[:, D:]), 1e-6)
            return red(0.5 * (xp.log(var) + (y - ms[:, :D]) ** 2 / var))

        return f
    if name == "student_t_nll":
        import math

        nu = 3.0
        c = -math.lgamma((nu + 1) / 2) + math.lgamma(nu / 2) + 0.5 * math.log(nu * math.pi)

        def f(y, ms):
            s = floor(softplus(ms[:, D:]), 1e-6)
            return red(c + xp.log(s) + (nu + 1) / 2 * xp.log1p(((y - ms[:, :D]) / s) ** 2 / nu))

        return f
    if name == "sparse_categorical_focal":

        def f(y, z):
            lpt = (onehot(y) * log_softmax(z)).sum(-1)
            return (-0.25 * (1 - xp.exp(lpt)) ** 2 * lpt).mean()

        return f
    if name == "poly1_crossentropy":

        def f(y, z):
            lp = log_softmax(z)
            return (-(y * lp).sum(-1) + 2.0 * (1 - (y * xp.exp(lp)).sum(-1))).mean()

        return f
    if name == "symmetric_crossentropy":
        logc = float(__import__("math").log(1e-4))

        def f(y, z):
            lp = log_softmax(z)
            return (
                -0.1 * (y * lp).sum(-1) - (xp.exp(lp) * xp.where(y > 0, 0.0, logc)).sum(-1)
            ).mean()

        return f
    if name == "weighted_binary_crossentropy":
        w = asarr(params["pos_weight"])
        return lambda y, z: red(-(w * y * log_sigmoid(z) + (1 - y) * log_sigmoid(-z)))
    if name == "asymmetric_loss":

        def f(y, z):
            p = sigmoid(z)
            pm = relu(p - 0.05)
            return (
                -(y * (1 - p) * log_sigmoid(z) + (1 - y) * pm**4 * xp.log1p(-pm)).sum(-1)
            ).mean()

        return f
    if name in ("class_balanced_crossentropy", "class_balanced_focal"):
        w = asarr(_cb_weights(params["samples_per_class"], params["beta"]))
        focal = name == "class_balanced_focal"

        def f(y, z):
            oh = onehot(y)
            lpt = (oh * log_softmax(z)).sum(-1)
            wy = (oh * w).sum(-1)
            return (-wy * ((1 - xp.exp(lpt)) ** 2 if focal else 1.0) * lpt).mean()

        return f
    if name == "sparse_categorical_crossentropy_smoothed":
        ls = params["label_smoothing"]

        def f(y, z):
            lp = log_softmax(z)
            return (-((1 - ls) * (onehot(y) * lp).sum(-1) + ls / K * lp.sum(-1))).mean()

        return f
    if name in ("coral", "corn"):
        ks = asarr(list(range(K_ORD - 1)))
        corn = name == "corn"

        def f(y, z):
            yy = y[:, None] * 1.0
            lv = (yy > ks) * 1.0
            term = lv * log_sigmoid(z) + (1 - lv) * log_sigmoid(-z)
            if corn:
                term = term * ((yy >= ks) * 1.0)
            return (-term.sum(-1)).mean()

        return f
    if name == "weighted_kappa":
        idx = asarr(list(range(K_ORD)))
        w = (idx[:, None] - idx[None, :]) ** 2

        def f(t, p):
            lab = (t * idx).sum(-1)
            num = (((lab[:, None] - idx) ** 2) * p).sum()
            den = (t.sum(0) * (w @ p.sum(0))).sum() / p.shape[0]
            return xp.log(num / den + 1e-6)

        return f
    raise KeyError(name)


def _public_jax_process(
    name: str, params: dict[str, Any], d: dict[str, Any]
) -> tuple[str, Callable[[], Any], Any] | None:
    """(b): the best public implementation available for this loss, as a no-arg callable."""
    import numpy as np

    def torch_tensors(*keys):
        import torch

        return [torch.from_numpy(np.asarray(d[k])) for k in keys]

    if name == "pinball" and not isinstance(params["tau"], list):
        from sklearn.metrics import mean_pinball_loss

        y, p = d["y"].ravel(), d["p"].ravel()
        return (
            "sklearn mean_pinball_loss",
            lambda: mean_pinball_loss(y, p, alpha=params["tau"]),
            None,
        )
    if name == "smooth_l1":
        import torch

        y, p = torch_tensors("y", "p")
        return "torch F.smooth_l1_loss", lambda: torch.nn.functional.smooth_l1_loss(p, y), None
    if name == "tweedie_deviance":
        from sklearn.metrics import mean_tweedie_deviance

        y, mu = d["counts"].ravel(), d["mu"].ravel()
        return (
            "sklearn mean_tweedie_deviance",
            lambda: mean_tweedie_deviance(y, mu, power=params["power"]),
            None,
        )
    if name == "gamma_deviance":
        from sklearn.metrics import mean_gamma_deviance

        y, mu = d["ypos"].ravel(), d["mu"].ravel()
        return "sklearn mean_gamma_deviance", lambda: mean_gamma_deviance(y, mu), None
    if name == "poisson_nll":
        import torch

        y, z = torch_tensors("counts", "logmu")
        return "torch F.poisson_nll_loss", lambda: torch.nn.functional.poisson_nll_loss(z, y), None
    if name == "gaussian_nll":
        import torch

        y, ms = torch_tensors("y", "ms")
        F = torch.nn.functional
        return (
            "torch F.gaussian_nll_loss",
            lambda: F.gaussian_nll_loss(ms[:, :D], y, F.softplus(ms[:, D:])),
            None,
        )
    if name == "student_t_nll":
        from scipy import stats

        y, ms = d["y"], d["ms"]
        sigma = np.logaddexp(0, ms[:, D:])
        return (
            "scipy stats.t.logpdf",
            lambda: -stats.t.logpdf(y, 3.0, loc=ms[:, :D], scale=sigma).mean(),
            None,
        )
    if name == "poly1_crossentropy":
        import jax
        import optax

        fn = jax.jit(lambda z, y: optax.losses.poly_loss_cross_entropy(z, y, epsilon=2.0).mean())
        z, y = jax.numpy.asarray(d["logits"]), jax.numpy.asarray(d["onehot"])
        return "optax poly_loss_cross_entropy (jit)", lambda: fn(z, y), "jax"
    if name == "weighted_binary_crossentropy":
        import torch

        y, z = torch_tensors("multilabel", "logits")
        pw = torch.tensor(params["pos_weight"])
        return (
            "torch F.binary_cross_entropy_with_logits(pos_weight)",
            lambda: torch.nn.functional.binary_cross_entropy_with_logits(z, y, pos_weight=pw),
            None,
        )
    if name == "class_balanced_crossentropy":
        import torch

        (z,) = torch_tensors("logits")
        y = torch.from_numpy(d["labels"]).long()
        w = torch.tensor(_cb_weights(params["samples_per_class"], params["beta"]))
        return (
            "torch F.cross_entropy(weight, reduction=none).mean()",
            lambda: torch.nn.functional.cross_entropy(z, y, weight=w, reduction="none").mean(),
            None,
        )
    if name == "sparse_categorical_crossentropy_smoothed":
        import jax
        import optax

        fn = jax.jit(
            lambda z, y: optax.losses.softmax_cross_entropy(
                z, optax.losses.smooth_labels(jax.nn.one_hot(y, K), 0.1)
            ).mean()
        )
        z, y = jax.numpy.asarray(d["logits"]), jax.numpy.asarray(d["labels"])
        return "optax smooth_labels + softmax_cross_entropy (jit)", lambda: fn(z, y), "jax"
    if name == "coral":
        import torch

        (z,) = torch_tensors("ord_logits")
        levels = torch.from_numpy(
            (d["ord_labels"][:, None] > np.arange(K_ORD - 1)).astype(np.float32)
        )
        return (
            "torch F.binary_cross_entropy_with_logits (coral-pytorch form)",
            lambda: (
                torch.nn.functional.binary_cross_entropy_with_logits(z, levels, reduction="none")
                .sum(1)
                .mean()
            ),
            None,
        )
    return None


def _public_torch_process(
    name: str, params: dict[str, Any], d: dict[str, Any]
) -> tuple[str, Callable[[], Any]] | None:
    out = _public_jax_process(name, params, d)
    if out is None or out[2] == "jax" or not out[0].startswith("torch"):
        return None
    return out[0], out[1]


def _row(backend: str, label: str, t: dict[str, float], public: str | None) -> dict[str, Any]:
    row: dict[str, Any] = {
        "backend": backend,
        "loss": label,
        "losslab_s": t["ours"],
        "direct_s": t["direct"],
    }
    row["vs_direct"] = t["ours"] / t["direct"]
    row["direct_per_sample_s"] = t["direct_rows"]
    row["vs_direct_per_sample"] = t["ours"] / t["direct_rows"]
    if public is not None:
        row.update(public=public, public_s=t["public"], vs_public=t["ours"] / t["public"])
    return row


def _worker(backend: str) -> list[dict[str, Any]]:
    os.environ["KERAS_BACKEND"] = backend
    import numpy as np

    import losslab

    d = _data()
    rows = []
    if backend == "jax":
        import jax
        import jax.numpy as jnp

        def sync(x):
            return jax.block_until_ready(x)

        for name, params, kt, kp, label in _cases(d):
            yt, yp = jnp.asarray(d[kt]), jnp.asarray(d[kp])
            loss = losslab.get(name, **params)
            ours = jax.jit(lambda a, b, loss=loss: loss(a, b))
            direct = jax.jit(_direct(jnp, name, params, "jax"))
            # the two must agree before timing means anything
            np.testing.assert_allclose(float(ours(yt, yp)), float(direct(yt, yp)), rtol=2e-4)
            fns = {"ours": lambda ours=ours, yt=yt, yp=yp: ours(yt, yp)}
            fns["direct"] = lambda direct=direct, yt=yt, yp=yp: direct(yt, yp)
            rows_fn = jax.jit(_direct(jnp, name, params, "jax", per_sample=True))
            fns["direct_rows"] = lambda f=rows_fn, yt=yt, yp=yp: f(yt, yp)
            pub = _public_jax_process(name, params, d)
            if pub is not None:
                fns["public"] = pub[1]
            t = _time(fns, sync)
            rows.append(_row("jax", label, t, pub[0] if pub else None))
    else:
        import torch

        torch.set_grad_enabled(False)
        torch.set_num_threads(1)
        for name, params, kt, kp, label in _cases(d):
            yt, yp = torch.from_numpy(np.asarray(d[kt])), torch.from_numpy(np.asarray(d[kp]))
            loss = losslab.get(name, **params)
            direct = _direct(torch, name, params, "torch")
            np.testing.assert_allclose(float(loss(yt, yp)), float(direct(yt, yp)), rtol=2e-4)
            fns = {"ours": lambda loss=loss, yt=yt, yp=yp: loss(yt, yp)}
            fns["direct"] = lambda direct=direct, yt=yt, yp=yp: direct(yt, yp)
            rows_fn = _direct(torch, name, params, "torch", per_sample=True)
            fns["direct_rows"] = lambda f=rows_fn, yt=yt, yp=yp: f(yt, yp)
            pub = _public_torch_process(name, params, d)
            if pub is not None:
                fns["public"] = pub[1]
            t = _time(fns)
            rows.append(_row("torch", label, t, pub[0] if pub else None))
    return rows


def main() -> None:
    if len(sys.argv) > 2 and sys.argv[1] == "--worker":
        print(json.dumps(_worker(sys.argv[2])))
        return
    # ``--backends torch`` re-measures one backend and keeps the other's stored rows
    backends = (
        sys.argv[2].split(",")
        if len(sys.argv) > 2 and sys.argv[1] == "--backends"
        else ["jax", "torch"]
    )
    path = RESULTS / "losses_part1.json"
    rows: list[dict[str, Any]] = []
    if path.exists() and set(backends) != {"jax", "torch"}:
        rows = [r for r in json.loads(path.read_text())["rows"] if r["backend"] not in backends]
    for backend in backends:
        env = dict(os.environ, KERAS_BACKEND=backend, TF_CPP_MIN_LOG_LEVEL="3", OMP_NUM_THREADS="1")
        env["XLA_FLAGS"] = "--xla_cpu_multi_thread_eigen=false intra_op_parallelism_threads=1"
        out = subprocess.run(
            [sys.executable, __file__, "--worker", backend],
            env=env,
            capture_output=True,
            text=True,
            check=False,
        )
        if out.returncode != 0:
            sys.stderr.write(out.stderr)
            raise SystemExit(f"{backend} worker failed")
        rows += json.loads(out.stdout.strip().splitlines()[-1])
    print(f"N = {N}; ratios = losslab time / other time (lower is better; 1.0 = same speed)")
    print(
        "(a) = direct formula, one flat mean; (a') = direct formula reduced per sample then batch"
    )
    print(
        f"{'backend':7s} {'loss':36s} {'losslab':>10s} {'vs (a)':>7s} {'vs (a)':>7s}' {'vs (b)':>7s}  public (b)"
    )
    for r in rows:
        pub = (
            f"{r['vs_public']:7.2f}  {r['public']}"
            if "vs_public" in r
            else f"{'-':>7s}  (none installed)"
        )
        print(
            f"{r['backend']:7s} {r['loss']:36s} {r['losslab_s'] * 1e6:8.1f}us {r['vs_direct']:7.2f} "
            f"{r['vs_direct_per_sample']:7.2f} {pub}"
        )
    RESULTS.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps({"n": N, "rows": rows}, indent=2))
    print(f"wrote {path}")


if __name__ == "__main__":
    main()
