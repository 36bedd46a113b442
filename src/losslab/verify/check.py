"""The custom-loss check battery: ``losslab.check(loss)`` and ``losslab check module:attr``.

One battery, in the package (like ``optuna.testing``), used by losslab's own catalog tests
and by users on their own losses. Each check gives one row: ``pass``, ``fail`` (with the
evidence and a fix) or ``n/a`` (with the reason).

Checks (in order, see :data:`CHECK_NAMES`):

- ``per_sample``: one value per sample, and a sample's value does not depend on the other
  samples of the batch (catches a batch mean inside the loss, batch statistics).
- ``rank_broadcast``: y_true of shape (N,) against y_pred of shape (N, 1) gives the same
  values as (N, 1) against (N, 1), not an (N, N) matrix.
- ``reductions``: every Keras reduction equals Keras's formula on the per-sample values,
  with and without sample weights; unit weights equal no weights; a zero weight drops the
  sample.
- ``edges``: finite values and gradients at edge inputs (probabilities 0 and 1, logits of
  +/-1e4, zeros, very large targets).
- ``gradients``: gradients are not zero and one small gradient step on y_pred lowers the
  loss (and, where the minimum is at the truth, the step points toward y_true).
- ``minimum``: the loss is smallest at the perfect prediction (when the family defines it).
- ``jit``: compiles under ``jax.jit`` with the same values (run on jax, or in a jax
  subprocess from another backend).
- ``backends``: the same values on every installed backend (subprocesses).
- ``save_load``: a model compiled with the loss survives a ``.keras`` save/load round trip
  with the same config and values; ``get_config`` returns every constructor argument.
- ``half_precision``: float16 and bfloat16 inputs give finite values close to float32.
"""

from __future__ import annotations

import contextlib
import inspect
import json
import os
import subprocess
import sys
import tempfile
import warnings
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Literal

import numpy as np

from losslab.errors import InvalidParameterError, LosslabError

__all__ = ["CHECK_NAMES", "CheckReport", "CheckResult", "check", "load_sample_data"]

CHECK_NAMES: tuple[str, ...] = (
    "per_sample",
    "rank_broadcast",
    "reductions",
    "edges",
    "gradients",
    "minimum",
    "jit",
    "backends",
    "save_load",
    "half_precision",
)

_TITLES = {
    "per_sample": "one value per sample",
    "rank_broadcast": "y_true (N,) vs y_pred (N, 1)",
    "reductions": "reductions and sample weights",
    "edges": "finite at edge inputs",
    "gradients": "gradients descend toward the truth",
    "minimum": "minimum at the perfect prediction",
    "jit": "compiles under jax.jit",
    "backends": "equal on every backend",
    "save_load": ".keras save/load round trip",
    "half_precision": "float16 / bfloat16 inputs",
}

Status = Literal["pass", "fail", "n/a"]

_TRUTH_HEADS = frozenset(
    {"identity", "positive", "sigmoid", "binary_logits", "softmax", "multiclass_logits", "quantiles", "segmentation"}
)


@dataclass
class CheckResult:
    """One row of the report.

    Attributes:
        name: the check's id (one of :data:`CHECK_NAMES`).
        title: human title.
        status: ``"pass"``, ``"fail"`` or ``"n/a"``.
        evidence: what was measured (for a failure: what went wrong, with numbers).
        fix: how to fix a failure (empty otherwise).
    """

    name: str
    title: str
    status: Status
    evidence: str = ""
    fix: str = ""


@dataclass
class CheckReport:
    """The outcome of :func:`check`.

    Attributes:
        loss: the loss's name.
        backend: the Keras backend the battery ran on.
        inputs: where the inputs came from (generator name or "sample data").
        results: one :class:`CheckResult` per check.
        notes: remarks (inputs chosen by default, checks skipped by request ...).
    """

    loss: str
    backend: str
    inputs: str
    results: list[CheckResult] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    @property
    def failures(self) -> list[CheckResult]:
        return [r for r in self.results if r.status == "fail"]

    @property
    def passed(self) -> bool:
        """True when every applicable check passed."""
        return not self.failures

    @property
    def exit_code(self) -> int:
        return 0 if self.passed else 1

    def __getitem__(self, name: str) -> CheckResult:
        for r in self.results:
            if r.name == name:
                return r
        raise KeyError(f"No check named {name!r}. Checks: {', '.join(CHECK_NAMES)}.")

    def to_dict(self) -> dict[str, Any]:
        return {
            "loss": self.loss,
            "backend": self.backend,
            "inputs": self.inputs,
            "passed": self.passed,
            "results": [asdict(r) for r in self.results],
            "notes": list(self.notes),
        }

    def __str__(self) -> str:
        lines = [f"losslab check {self.loss} (backend {self.backend}, inputs {self.inputs})"]
        for r in self.results:
            lines.append(f"  [{r.status:>4}] {r.name}: {r.evidence}")
            if r.fix:
                lines.append(f"         fix: {r.fix}")
        lines.extend(f"  note: {n}" for n in self.notes)
        return "\n".join(lines)

    def _repr_html_(self) -> str:  # the report in a notebook
        from losslab.integrations.notebook import check_report_html

        return check_report_html(self)

    def assert_passes(self) -> None:
        """Raise ``AssertionError`` listing every failure (for use in test suites)."""
        if not self.passed:
            raise AssertionError(str(self))


# ---------------------------------------------------------------------------- inputs

_PROB = {"binary_prob", "binary", "multilabel", "segmentation"}
_SIMPLEX = {"onehot", "sparse", "distribution"}
_LOGITS = {"binary_logits", "onehot_logits", "multilabel_logits"}
# generators whose columns are independent targets: one column of them is a valid input
_ELEMENTWISE = {"regression", "positive", "nonnegative", "binary_prob", "binary", "binary_logits", "multilabel", "multilabel_logits", "hinge", "sample data"}


def load_sample_data(path: str | os.PathLike[str]) -> tuple[np.ndarray, np.ndarray]:
    """Read user sample data for ``check`` from an ``.npz`` with arrays ``y_true``, ``y_pred``.

    Raises:
        LosslabError: missing file, unreadable file or missing arrays.
    """
    p = Path(path)
    if not p.is_file():
        raise LosslabError(f"Sample data file not found. Received: {str(p)!r}. Pass an existing .npz file.")
    try:
        with np.load(p) as data:
            keys = set(data.files)
            if not {"y_true", "y_pred"} <= keys:
                raise LosslabError(
                    f"Sample data must hold arrays 'y_true' and 'y_pred'. Received arrays: "
                    f"{sorted(keys)} in {str(p)!r}. Save with np.savez(path, y_true=..., y_pred=...)."
                )
            return np.asarray(data["y_true"]), np.asarray(data["y_pred"])
    except LosslabError:
        raise
    except Exception as e:
        raise LosslabError(
            f"Could not read sample data {str(p)!r} ({type(e).__name__}: {e}). "
            "Save it with np.savez(path, y_true=..., y_pred=...)."
        ) from None


def _kind(gen: str, params: Mapping[str, Any], spec: Any, y_true: np.ndarray, y_pred: np.ndarray) -> str:
    """What y_pred holds: logits, prob, simplex, positive, scores, embedding or real."""
    switch = getattr(spec, "from_logits_param", None) or "from_logits"
    from_logits = bool(params.get(switch, False))
    if gen in _LOGITS or (from_logits and gen in _PROB | _SIMPLEX):
        return "logits"
    if gen in _PROB:
        return "prob"
    if gen in _SIMPLEX:
        return "simplex"
    if gen in ("positive", "nonnegative"):
        return "positive"
    if gen == "hinge":
        return "scores"
    if gen == "embedding_labels":
        return "embedding"
    yp = np.asarray(y_pred, dtype=np.float64)
    if yp.size and yp.min() >= 0 and yp.max() <= 1:
        if yp.ndim >= 2 and yp.shape[-1] > 1 and np.allclose(yp.sum(-1), 1, atol=1e-4):
            return "simplex"
        return "prob"
    if yp.size and yp.min() > 0:
        return "positive"
    return "real"


def _same_shape_elementwise(kind: str, y_true: np.ndarray, y_pred: np.ndarray) -> bool:
    return y_true.shape == y_pred.shape and kind in ("real", "positive", "prob", "logits", "scores")


def _edge_sets(kind: str, gen: str, yt: np.ndarray, yp: np.ndarray, rng: np.random.Generator) -> list[tuple[str, np.ndarray, np.ndarray]]:
    out: list[tuple[str, np.ndarray, np.ndarray]] = []
    f32 = np.float32
    if kind == "prob":
        hard = (rng.uniform(size=yp.shape) > 0.5).astype(f32)
        out.append(("probabilities exactly 0 and 1", yt, hard))
        out.append(("probabilities all 0", yt, np.zeros_like(yp, dtype=f32)))
        out.append(("probabilities all 1", yt, np.ones_like(yp, dtype=f32)))
        if np.issubdtype(yt.dtype, np.floating):
            out.append(("y_true and y_pred all zeros", np.zeros_like(yt), np.zeros_like(yp, dtype=f32)))
    elif kind == "simplex":
        k = yp.shape[-1]
        flat = yp.reshape(-1, k)
        hard = np.eye(k, dtype=f32)[rng.integers(0, k, size=flat.shape[0])].reshape(yp.shape)
        out.append(("one-hot predictions (probabilities 0 and 1)", yt, hard))
    elif kind in ("logits", "scores"):
        sign = np.where(rng.uniform(size=yp.shape) > 0.5, 1.0, -1.0).astype(f32)
        out.append(("logits of +/-1e4", yt, (1e4 * sign).astype(f32)))
        out.append(("logits all 0", yt, np.zeros_like(yp, dtype=f32)))
    elif kind == "positive":
        out.append(("predictions near 0 (1e-6)", yt, np.full_like(yp, 1e-6, dtype=f32)))
        if np.issubdtype(yt.dtype, np.floating):
            out.append(("very large targets (1e5)", (yt * 1e5).astype(yt.dtype), yp))
            if gen == "nonnegative":
                out.append(("targets all 0", np.zeros_like(yt), yp))
    elif kind == "embedding":
        out.append(("all-zero embeddings", yt, np.zeros_like(yp, dtype=f32)))
        out.append(("embeddings of size 1e4", yt, (yp * 1e4).astype(f32)))
    else:  # real
        if np.issubdtype(yt.dtype, np.floating):
            out.append(("y_true and y_pred all zeros", np.zeros_like(yt), np.zeros_like(yp, dtype=f32)))
            out.append(("very large targets (1e5)", (yt * 1e5 + np.sign(yt) * 1e5).astype(yt.dtype), yp))
        else:
            out.append(("predictions all zeros", yt, np.zeros_like(yp, dtype=f32)))
    return out


def _perfect(kind: str, yt: np.ndarray, yp: np.ndarray, quantiles: bool = False) -> np.ndarray | None:
    """The perfect prediction for y_true, in y_pred's space, or None when undefined."""
    yt = np.asarray(yt)
    if kind == "simplex" and np.issubdtype(yt.dtype, np.integer):
        k = yp.shape[-1]
        return np.eye(k, dtype=np.float32)[yt.reshape(-1)].reshape(yp.shape)
    if kind == "logits":
        if np.issubdtype(yt.dtype, np.integer):
            k = yp.shape[-1]
            return (np.eye(k, dtype=np.float32)[yt.reshape(-1)].reshape(yp.shape) * 40 - 20).astype(np.float32)
        if yt.shape == yp.shape:
            return np.where(yt > 0.5, 20.0, -20.0).astype(np.float32)
        return None
    if yt.shape == yp.shape:
        return np.asarray(yt, dtype=np.float32)
    if quantiles and yt.ndim == yp.ndim and yt.shape[-1] == 1:  # one target, several quantiles
        return np.broadcast_to(yt, yp.shape).astype(np.float32)
    return None


def _perturb(kind: str, perfect: np.ndarray, rng: np.random.Generator, yt: np.ndarray) -> np.ndarray:
    if kind == "logits":
        return (perfect * rng.uniform(0.05, 0.9, size=perfect.shape)).astype(np.float32)
    if kind in ("prob", "simplex"):
        noise = rng.uniform(0.05, 0.4, size=perfect.shape)
        if kind == "simplex":
            k = perfect.shape[-1]
            other = rng.dirichlet(np.ones(k), size=perfect.shape[:-1])
            a = rng.uniform(0.05, 0.5, size=(*perfect.shape[:-1], 1))
            return ((1 - a) * perfect + a * other).astype(np.float32)
        return np.where(perfect > 0.5, perfect - noise, perfect + noise).astype(np.float32)
    if kind == "positive":
        return (np.maximum(perfect, 1e-3) * np.exp(rng.choice([-1, 1], size=perfect.shape) * rng.uniform(0.1, 0.5, size=perfect.shape))).astype(np.float32)
    scale = 0.5 * (np.std(yt) + 1.0) if np.issubdtype(np.asarray(yt).dtype, np.floating) else 0.5
    return (perfect + rng.choice([-1, 1], size=perfect.shape) * rng.uniform(0.1, 1.0, size=perfect.shape) * scale).astype(np.float32)


# ---------------------------------------------------------------------------- helpers


def _close(a: Any, b: Any, rtol: float = 1e-4, atol: float = 1e-5) -> bool:
    a, b = np.asarray(a, np.float64), np.asarray(b, np.float64)
    if a.shape != b.shape:
        return False
    scale = max(1.0, float(np.nanmax(np.abs(b))) if b.size else 1.0)
    return bool(np.allclose(a, b, rtol=rtol, atol=atol * scale, equal_nan=False))


def _fmt(x: Any, n: int = 4) -> str:
    a = np.asarray(x, dtype=np.float64).reshape(-1)
    shown = ", ".join(f"{v:.6g}" for v in a[:n])
    return f"[{shown}{', ...' if a.size > n else ''}]" if a.size != 1 else f"{a[0]:.6g}"


def _err(e: BaseException) -> str:
    text = str(e).strip().splitlines()
    return f"{type(e).__name__}: {text[0] if text else ''}"[:300]


@contextlib.contextmanager
def _quiet() -> Iterator[None]:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with np.errstate(all="ignore"):
            yield


class _Battery:
    def __init__(self, subject: Any, yt: np.ndarray, yp: np.ndarray, gen: str, kind: str, seed: int) -> None:
        from losslab.verify._subject import with_reduction

        self.s = subject
        self.yt, self.yp = yt, yp
        self.gen, self.kind = gen, kind
        self.rng = np.random.default_rng(seed + 1)
        self.none = with_reduction(subject.obj, "none")
        self.per_batch = bool(getattr(subject.spec, "per_batch", False))
        # metric-learning losses give one value per anchor computed against the whole batch
        fam = getattr(getattr(subject.spec, "family", None), "value", None)
        self.coupled = "metric learning: pairs within the batch" if fam == "metric-learning" else ""
        self.base: np.ndarray | None = None
        self.base_error = ""


    # values with reduction none, as NumPy float64
    def values(self, yt: np.ndarray, yp: np.ndarray, obj: Any = None) -> np.ndarray:
        from losslab.verify._backend import to_numpy

        o = obj or self.none
        with _quiet():
            out = o(yt, yp)
            return np.asarray(to_numpy(out), dtype=np.float64)

    def reduced(self, reduction: str, yt: np.ndarray, yp: np.ndarray, w: np.ndarray | None) -> float:
        from losslab.verify._backend import to_numpy
        from losslab.verify._subject import with_reduction

        obj = with_reduction(self.s.obj, reduction)
        with _quiet():
            out = obj(yt, yp) if w is None else obj(yt, yp, sample_weight=w)
            return float(np.asarray(to_numpy(out), dtype=np.float64))

    def grad(self, yt: np.ndarray, yp: np.ndarray, reduction: str = "sum") -> tuple[float, np.ndarray]:
        from losslab.verify._backend import tensor, value_and_grad
        from losslab.verify._subject import with_reduction

        obj = with_reduction(self.s.obj, reduction)
        yt_t = tensor(yt)
        with _quiet():
            return value_and_grad(lambda p: obj(yt_t, p), yp)

    # ------------------------------------------------------------------ checks
    def per_sample(self) -> tuple[Status, str, str]:
        if self.per_batch:
            return "n/a", "the catalog defines this loss on the whole batch (per_batch=True)", ""
        if self.base is None:
            return "fail", f"the loss raised on valid inputs: {self.base_error}", "Make the loss run on inputs like these (see the evidence)."
        n = self.yt.shape[0]
        v = self.base
        if v.ndim == 0 or v.shape[0] != n:
            return (
                "fail",
                f"reduction='none' returned values of shape {v.shape} for a batch of {n}: the loss reduces over the batch itself, so Keras cannot apply sample weights or reductions",
                "Return one value per sample: reduce only the last axis, e.g. ops.mean(..., axis=-1), never over axis 0 or with ops.mean(x) without axis.",
            )
        if self.coupled:
            return "pass", f"values of shape {v.shape} for a batch of {n} (each value uses the whole batch by design: {self.coupled})", ""
        # same shapes as the base call (no recompilation): shuffle the batch, and replace
        # every sample but the first half by others drawn from the same generator
        perm = self.rng.permutation(n)
        k = max(1, n // 2)
        v_perm = self.values(self.yt[perm], self.yp[perm])
        yt2, yp2 = self.yt.copy(), self.yp.copy()
        other = np.concatenate([np.arange(k, n), np.arange(k, n)])[: n - k]
        yt2[k:], yp2[k:] = self.yt[other[::-1]], self.yp[other]
        v_sub = self.values(yt2, yp2)[:k]
        if not _close(v_perm, v[perm]) or not _close(v_sub, v[:k]):
            bad = v_sub if not _close(v_sub, v[:k]) else v_perm
            ref = v[:k] if bad is v_sub else v[perm]
            return (
                "fail",
                f"a sample's value depends on the other samples of the batch: first values {_fmt(ref)} in the batch, {_fmt(bad)} once the other samples are shuffled or replaced (batch statistics inside the loss)",
                "Compute each sample's value from that sample alone (no mean/sum/normalisation over axis 0); leave batch reduction to Keras.",
            )
        return "pass", f"values of shape {v.shape} for a batch of {n}; independent of the rest of the batch", ""

    def rank_broadcast(self) -> tuple[Status, str, str]:
        if self.per_batch:
            return "n/a", "the loss is defined on the whole batch", ""
        elementwise = self.gen in _ELEMENTWISE or self.yp.shape[-1:] == (1,)
        if not (elementwise and self.yt.ndim == 2 and _same_shape_elementwise(self.kind, self.yt, self.yp)):
            return "n/a", f"y_true {self.yt.shape} and y_pred {self.yp.shape} are not one column per target", ""
        yt1 = np.ascontiguousarray(self.yt[:, :1])
        yp1 = np.ascontiguousarray(self.yp[:, :1])
        n = yt1.shape[0]
        try:
            ref = self.values(yt1, yp1)
            got = self.values(yt1[:, 0], yp1)
        except Exception as e:
            return "fail", f"y_true of shape ({n},) against y_pred ({n}, 1) raised {_err(e)}", "Align the ranks first: y_true, y_pred = losslab.losses.align_ranks(y_true, y_pred)."
        if got.size == n * n and n > 1 and got.size != ref.size:
            return (
                "fail",
                f"y_true ({n},) against y_pred ({n}, 1) gave values of shape {got.shape} instead of {ref.shape}: the tensors broadcast into an (N, N) matrix, so every sample is compared with every target",
                "Align ranks before computing: `y_true, y_pred = losslab.losses.align_ranks(y_true, y_pred)` (or subclass losslab.losses.LosslabLoss / use @losslab.loss, which do it), or reshape y to (N, 1).",
            )
        if not _close(got.reshape(-1), ref.reshape(-1)):
            return (
                "fail",
                f"y_true ({n},) against y_pred ({n}, 1) gave {_fmt(got)} (shape {got.shape}), but ({n}, 1) against ({n}, 1) gives {_fmt(ref)}",
                "Align ranks before computing: `y_true, y_pred = losslab.losses.align_ranks(y_true, y_pred)`.",
            )
        return "pass", f"({n},) vs ({n}, 1) gives the same {got.shape} values as ({n}, 1) vs ({n}, 1)", ""

    def reductions(self) -> tuple[Status, str, str]:
        from losslab.reference._reduce import reduce

        if self.per_batch:
            return "n/a", "the loss is defined on the whole batch (no per-sample weights)", ""
        if self.base is None or self.base.ndim == 0 or self.base.shape[0] != self.yt.shape[0]:
            return "fail", "no per-sample values (see per_sample), so Keras reductions and sample weights are wrong", "Return one value per sample (see per_sample)."
        v = self.base
        n = v.shape[0]
        w_shape = (n,) if v.ndim == 1 else v.shape
        w = self.rng.uniform(0.5, 2.0, size=w_shape).astype(np.float32)
        problems: list[str] = []
        # "mean" is Keras's alias of "sum_over_batch_size"; each distinct formula once
        for red in ("sum", "sum_over_batch_size", "mean_with_sample_weight"):
            got_w = self.reduced(red, self.yt, self.yp, w)
            exp_w = float(reduce(v, w, red))
            if not _close(got_w, exp_w):
                problems.append(f"reduction={red!r} with weights gave {got_w:.6g}, Keras's formula on the per-sample values gives {exp_w:.6g}")
        got_1 = self.reduced("sum_over_batch_size", self.yt, self.yp, np.ones(w_shape, np.float32))
        got_0 = self.reduced("sum_over_batch_size", self.yt, self.yp, None)
        exp_0 = float(reduce(v, None, "sum_over_batch_size"))
        if not _close(got_1, got_0):
            problems.append(f"unit weights gave {got_1:.6g}, no weights {got_0:.6g}")
        elif not _close(got_0, exp_0):
            problems.append(f"reduction='sum_over_batch_size' gave {got_0:.6g}, the mean of the per-sample values is {exp_0:.6g}")
        w0 = w.copy()
        w0[0] = 0.0
        dropped = self.reduced("sum", self.yt, self.yp, w0)
        # per_sample established that sample values are independent, so the batch without
        # sample 0 sums to the weighted values of the others
        kept = float(np.sum(np.asarray(v, np.float64)[1:] * w[1:]))
        if not _close(dropped, kept):
            problems.append(f"a zero weight on sample 0 gave sum {dropped:.6g}, but the other samples' weighted values sum to {kept:.6g}")
        if problems:
            return "fail", "; ".join(problems[:3]), "Return unreduced per-sample values from call(); do not weight or reduce inside the loss (Keras applies sample_weight and the reduction)."
        return "pass", "sum, sum_over_batch_size, mean, mean_with_sample_weight match Keras's formulas; unit weights = none; zero weight drops the sample", ""

    def edges(self) -> tuple[Status, str, str]:
        sets = _edge_sets(self.kind, self.gen, self.yt, self.yp, self.rng)
        bad: list[str] = []
        for label, yt, yp in sets:
            try:
                val, g = self.grad(yt, yp)
            except Exception as e:
                bad.append(f"{label}: raised {_err(e)}")
                continue
            if not np.isfinite(val):
                v = self.values(yt, yp)
                bad.append(f"{label}: non-finite values {_fmt(v[~np.isfinite(v)]) if v.ndim else _fmt(v)}")
            elif not np.all(np.isfinite(g)):
                bad.append(f"{label}: non-finite gradient ({int((~np.isfinite(g)).sum())} of {g.size} entries)")
        names = ", ".join(s[0] for s in sets)
        if bad:
            return (
                "fail",
                "; ".join(bad[:3]),
                "Make the loss numerically stable: clip probabilities to [eps, 1 - eps] with eps = keras.backend.epsilon(), use log-sum-exp / softplus forms for logits (ops.log_softmax, ops.softplus), add eps inside sqrt/log/divisions, compute half precision in float32.",
            )
        return "pass", f"finite values and gradients at: {names}", ""

    def gradients(self) -> tuple[Status, str, str]:
        if self.base is None:
            return "fail", f"the loss raised on valid inputs: {self.base_error}", ""
        try:
            l0, g = self.grad(self.yt, self.yp, "sum_over_batch_size")
        except Exception as e:
            return "fail", f"the gradient with respect to y_pred raised {_err(e)}", "Use keras.ops only (no NumPy or Python float() on tensors) so the backend can differentiate the loss."
        if not np.all(np.isfinite(g)):
            return "fail", "non-finite gradient on valid inputs", "Make the loss numerically stable (eps in log/sqrt/divisions)."
        gmax = float(np.max(np.abs(g))) if g.size else 0.0
        if gmax == 0.0:
            return (
                "fail",
                f"the gradient with respect to y_pred is exactly zero everywhere (loss {l0:.6g}): the model cannot learn",
                "Do not cut the gradient: avoid ops.stop_gradient, ops.round, ops.argmax, ops.sign or casts to int on y_pred.",
            )
        scale = 1.0 + float(np.mean(np.abs(self.yp)))
        lowered = []
        for eps in (1e-2, 1e-3, 1e-4):
            yp1 = (self.yp - eps * scale * g / gmax).astype(np.float32)
            l1 = self.reduced("sum_over_batch_size", self.yt, yp1, None)
            lowered.append((eps, l1))
            if l1 < l0:
                break
        else:
            return (
                "fail",
                f"a small step against the gradient raises the loss ({l0:.6g} -> {lowered[0][1]:.6g} for step {lowered[0][0]:g}): the gradient points the wrong way",
                "Check the sign of the loss: it must decrease as y_pred approaches y_true (e.g. return -log(p) not log(p), (y_pred - y_true)^2 not -(...)).",
            )
        evidence = f"one gradient step lowers the loss {l0:.6g} -> {lowered[-1][1]:.6g}"
        target = self._truth_target()
        if target is not None:
            toward = np.asarray(target, np.float64) - np.asarray(self.yp, np.float64)
            cos = float(np.sum(-g * toward) / (np.linalg.norm(g) * np.linalg.norm(toward) + 1e-30))
            if cos <= 0:
                return (
                    "fail",
                    f"the descent direction points away from the truth (cosine {cos:.3f} between -gradient and y_true - y_pred): gradient descent drives predictions away from the targets",
                    "Check the sign of the loss (it must grow as y_pred moves away from y_true, e.g. return -log(p), not log(p)) and the argument order (Keras passes y_true first).",
                )
            evidence += f"; descent direction toward the truth (cosine {cos:.2f})"
        return "pass", evidence, ""

    def _truth_target(self) -> np.ndarray | None:
        """The perfect prediction, when "toward the truth" has a meaning for this loss."""
        from losslab.catalog._spec import Head

        spec = self.s.spec
        if spec is not None and spec.name:
            if spec.head.value not in _TRUTH_HEADS or spec.per_batch:
                return None
            if spec.head is Head.POSITIVE and not spec.minimum_at_truth:
                return None  # the output may be a log-rate
        if self.kind in ("embedding", "positive") and not getattr(spec, "minimum_at_truth", False):
            return None
        return _perfect(self.kind, self.yt, self.yp, quantiles=self._quantiles())

    def _quantiles(self) -> bool:
        from losslab.catalog._spec import Head

        return self.s.spec is not None and self.s.spec.head is Head.QUANTILES

    def minimum(self) -> tuple[Status, str, str]:
        spec = self.s.spec
        if spec is None or not getattr(spec, "minimum_at_truth", False):
            return "n/a", "no minimum at the truth is declared (catalog minimum_at_truth=False or no catalog entry)", ""
        perfect = _perfect(self.kind, self.yt, self.yp, quantiles=self._quantiles())
        if perfect is None:
            return "n/a", f"no perfect prediction is defined for y_true {self.yt.shape} against y_pred {self.yp.shape}", ""
        try:
            v_best = self.values(self.yt, perfect)
            worse = [self.values(self.yt, _perturb(self.kind, perfect, self.rng, self.yt)) for _ in range(3)]
        except Exception as e:
            return "fail", f"the loss raised at the perfect prediction: {_err(e)}", ""
        tol = 1e-4 * (1.0 + float(np.max(np.abs(v_best))))
        for v in worse:
            if np.any(v < v_best - tol):
                i = int(np.argmax(v_best - v))
                return (
                    "fail",
                    f"a perturbed prediction has a lower loss than the perfect one (sample {np.unravel_index(i, v.shape)}: {v.reshape(-1)[i]:.6g} < {v_best.reshape(-1)[i]:.6g})",
                    "Make the loss minimal at y_pred == y_true, or declare minimum_at_truth=False if it estimates something else (a quantile, a margin).",
                )
        return "pass", f"perfect prediction: mean loss {float(np.mean(v_best)):.6g}; perturbed: {min(float(np.mean(v)) for v in worse):.6g} or more", ""

    def jit(self, remote: dict[str, Any] | None) -> tuple[Status, str, str]:
        from losslab.verify._backend import backend_name, jit_values

        fix = "Replace Python `if`/`while`/`float()` on tensors with keras.ops.where / ops.cond, and keep shapes static."
        if backend_name() == "jax":
            try:
                with _quiet():
                    v = np.asarray(jit_values(self.none, self.yt, self.yp), np.float64)
            except Exception as e:
                return "fail", f"jax.jit raised {_err(e)}", fix
            if self.base is not None and not _close(v, self.base):
                return "fail", f"jit values {_fmt(v)} differ from eager {_fmt(self.base)}", fix
            return "pass", "jax.jit compiles it and gives the eager values", ""
        if remote is None:
            return "n/a", f"running on {backend_name()}; jit is checked on jax (enable cross-backend checks or run with KERAS_BACKEND=jax)", ""
        if "error" in remote:
            return "fail", f"the jax subprocess failed: {remote['error']}", "Run `KERAS_BACKEND=jax losslab check ...` to see the full error."
        info = remote.get("jit") or {}
        if not info.get("ok"):
            return "fail", f"jax.jit raised {info.get('error', 'an error')}", fix
        return "pass", "jax.jit compiles it (jax subprocess)", ""

    def backends(self, remote: dict[str, dict[str, Any]] | None, reason: str) -> tuple[Status, str, str]:
        from losslab.verify._backend import backend_name

        if remote is None:
            return "n/a", reason, ""
        if self.base is None:
            return "fail", f"the loss raised on valid inputs here: {self.base_error}", ""
        here = backend_name()
        problems, agreed = [], [here]
        for b, res in remote.items():
            if "error" in res:
                problems.append(f"{b} raised {res['error']}")
                continue
            v = np.asarray(res["values"][0], np.float64)
            if not _close(v, self.base, rtol=2e-4, atol=2e-5):
                problems.append(f"{b} gives {_fmt(v)}, {here} gives {_fmt(self.base)}")
            else:
                agreed.append(b)
        if problems:
            return "fail", "; ".join(problems), "Use keras.ops only (no backend-specific calls), the same epsilon on every backend, and explicit dtypes."
        return "pass", f"equal values on {', '.join(agreed)}", ""

    def save_load(self) -> tuple[Status, str, str]:
        import keras

        from losslab.verify._subject import _lfw

        obj = self.s.obj
        problems: list[str] = []
        fix = "Return every constructor argument from get_config() (and accept it in __init__), and register the class with @keras.saving.register_keras_serializable() (@losslab.loss does both)."
        cls = type(obj)
        config: dict[str, Any] = {}
        try:
            config = obj.get_config()
        except Exception as e:
            problems.append(f"get_config() raised {_err(e)}")
        if not isinstance(obj, _lfw()) or getattr(cls, "__init__", None) is not getattr(_lfw(), "__init__", None):
            declared = [p.name for p in getattr(cls, "PARAMS", ())]
            if not declared:
                sig = inspect.signature(cls.__init__)
                declared = [
                    p.name
                    for p in sig.parameters.values()
                    if p.name not in ("self", "reduction", "name", "dtype", "fn")
                    and p.kind in (p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY)
                ]
            missing = [p for p in declared if p not in config]
            if missing and not problems:
                problems.append(f"get_config() lacks constructor argument(s) {', '.join(missing)}: a reloaded model gets their defaults")
        with tempfile.TemporaryDirectory() as tmp:
            path = os.path.join(tmp, "model.keras")
            shape = self.yp.shape[1:]
            try:
                with _quiet():
                    model = keras.Sequential([keras.Input(shape=shape), keras.layers.Identity()])
                    model.compile(optimizer="sgd", loss=obj)
                    model.save(path)
            except Exception as e:
                problems.append(f"saving a model compiled with the loss raised {_err(e)}")
                return "fail", "; ".join(problems), fix
            caught: list[str] = []
            try:
                with warnings.catch_warnings(record=True) as rec:
                    warnings.simplefilter("always")
                    loaded = keras.saving.load_model(path)
                caught = [str(w.message).splitlines()[0] for w in rec if "compile" in str(w.message).lower()]
            except Exception as e:
                fn = getattr(obj, "fn", None)
                if isinstance(obj, _lfw()) and fn is not None and keras.saving.get_registered_object(keras.saving.get_registered_name(fn)) is None:
                    problems.append(
                        f"the function {getattr(fn, '__name__', fn)!r} is not registered for serialization, so keras.saving.load_model cannot rebuild the loss ({_err(e)[:120]})"
                    )
                    fix = "Decorate the function with @keras.saving.register_keras_serializable(package='mypkg'), or author it with @losslab.loss."
                else:
                    problems.append(f"loading the saved model raised {_err(e)}")
                return "fail", "; ".join(problems), fix
            new = getattr(loaded, "loss", None)
            if new is None or isinstance(new, str):
                why = f" ({caught[0]})" if caught else ""
                problems.append(f"the reloaded model has no usable loss: {new!r}{why}")
                return "fail", "; ".join(problems), fix
            if not isinstance(new, keras.losses.Loss):
                new = _lfw()(new)
            try:
                new_config = new.get_config()
                if json.dumps(new_config, sort_keys=True, default=str) != json.dumps(config, sort_keys=True, default=str):
                    diff = sorted(k for k in set(config) | set(new_config) if config.get(k) != new_config.get(k))
                    problems.append(f"config changed on reload in {', '.join(diff)}: {', '.join(f'{k}={config.get(k)!r} -> {new_config.get(k)!r}' for k in diff[:3])}")
            except Exception as e:
                problems.append(f"get_config() of the reloaded loss raised {_err(e)}")
            try:
                from losslab.verify._subject import with_reduction

                v_new = self.values(self.yt, self.yp, with_reduction(new, "none"))
                if self.base is not None and not _close(v_new, self.base):
                    problems.append(f"values changed on reload: {_fmt(self.base)} -> {_fmt(v_new)}")
            except Exception as e:
                problems.append(f"the reloaded loss raised {_err(e)}")
        if problems:
            return "fail", "; ".join(problems), fix
        return "pass", "config and values unchanged after model.save / keras.saving.load_model", ""

    def half_precision(self) -> tuple[Status, str, str]:
        from losslab.verify._backend import tensor, to_numpy

        if self.base is None:
            return "fail", f"the loss raised on valid inputs: {self.base_error}", ""
        problems: list[str] = []
        obj = self.none
        v32 = self.base
        for dt, rtol in (("float16", 1e-2), ("bfloat16", 5e-2)):
            yt = tensor(self.yt, None if np.issubdtype(self.yt.dtype, np.integer) else dt)
            yp = tensor(self.yp, dt)
            try:
                with _quiet():
                    from keras import ops

                    v = np.asarray(to_numpy(ops.cast(obj.call(yt, yp), "float32")), dtype=np.float64)
            except Exception as e:
                problems.append(f"{dt} inputs raised {_err(e)}")
                continue
            if not np.all(np.isfinite(v)):
                problems.append(f"{dt} inputs give non-finite values {_fmt(v[~np.isfinite(v)])}")
                continue
            scale = float(np.mean(np.abs(v32))) + 1e-3
            if v.shape != v32.shape or not np.allclose(v, v32, rtol=rtol, atol=2 * rtol * scale):
                problems.append(f"{dt} inputs give {_fmt(v)}, float32 gives {_fmt(v32)}")
        if problems:
            return "fail", "; ".join(problems), "Compute in float32 inside the loss: `y_pred = ops.cast(y_pred, 'float32')` (and y_true); avoid constants that underflow in half precision (1e-8)."
        return "pass", "float16 and bfloat16 inputs give finite values close to float32", ""


def _run_remote(subject: Any, backends: Sequence[str], sets: list[tuple[np.ndarray, np.ndarray]], want_jit: bool, timeout: float) -> dict[str, dict[str, Any]]:
    out: dict[str, dict[str, Any]] = {}
    with tempfile.TemporaryDirectory() as tmp:
        data_path = os.path.join(tmp, "data.npz")
        arrays: dict[str, Any] = {"n_sets": np.asarray(len(sets))}
        for i, (yt, yp) in enumerate(sets):
            arrays[f"yt_{i}"], arrays[f"yp_{i}"] = yt, yp
        np.savez(data_path, **arrays)  # type: ignore[arg-type]
        job_path = os.path.join(tmp, "job.json")
        paths = [os.getcwd(), *[p for p in sys.path if p]]
        Path(job_path).write_text(json.dumps({"recipe": subject.recipe, "data": data_path, "jit": want_jit, "sys_path": paths}, default=str))
        procs = {}
        for b in backends:
            env = {**os.environ, "KERAS_BACKEND": b, "TF_CPP_MIN_LOG_LEVEL": "3", "JAX_PLATFORMS": "cpu"}
            procs[b] = subprocess.Popen(
                [sys.executable, "-m", "losslab.verify._worker", job_path],
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
                env=env,
            )
        for b, proc in procs.items():
            try:
                stdout, stderr = proc.communicate(timeout=timeout)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.communicate()
                out[b] = {"error": f"timed out after {timeout:.0f} s"}
                continue
            lines = [ln for ln in stdout.splitlines() if ln.startswith("{")]
            if not lines:
                tail = (stderr.strip().splitlines() or ["no output"])[-1]
                out[b] = {"error": f"worker exited with code {proc.returncode}: {tail}"}
                continue
            out[b] = json.loads(lines[-1])
    return out


def check(
    loss: Any,
    *,
    params: Mapping[str, Any] | None = None,
    family: str | None = None,
    inputs: str | None = None,
    data: tuple[Any, Any] | str | os.PathLike[str] | None = None,
    minimum_at_truth: bool | None = None,
    batch: int = 8,
    seed: int = 0,
    backends: Sequence[str] | Literal["installed"] | None = "installed",
    only: Sequence[str] | None = None,
    skip: Sequence[str] = (),
    timeout: float = 180.0,
) -> CheckReport:
    """Run the check battery on a loss.

    Args:
        loss: a catalog name, ``"module:attr"``, a ``keras.losses.Loss`` subclass or instance,
            a class made by ``@losslab.loss``, a plain function ``fn(y_true, y_pred)`` or a
            :class:`~losslab.catalog.LossSpec`.
        params: hyperparameters to build the loss with (not with an instance).
        family: task family for the inputs when the loss has no catalog entry
            (``"regression"``, ``"binary"``, ``"multiclass"`` ...).
        inputs: a generator name from ``losslab.catalog.inputs`` (overrides family).
        data: your own sample ``(y_true, y_pred)`` or a ``.npz`` path with those arrays.
        minimum_at_truth: run the minimum check (default: the catalog entry's flag).
        batch: batch size of the generated inputs.
        seed: random seed of the generated inputs.
        backends: other Keras backends to compare with in subprocesses: ``"installed"``
            (every installed one), a list, or ``None``/``[]`` to skip (the row is then n/a).
        only: run only these checks (others are n/a); ``skip``: checks not to run.
        timeout: seconds per backend subprocess.

    Returns:
        A :class:`CheckReport`; ``report.passed`` is True when every applicable check passed.

    Raises:
        NotALossError: ``loss`` does not import or is not a loss.
        InvalidParameterError: unknown or invalid params, unknown family / inputs / check.

    Example:
        >>> report = losslab.check("huber", backends=None)  # doctest: +SKIP
        >>> report.passed  # doctest: +SKIP
        True
    """
    from losslab.catalog import inputs as _inputs
    from losslab.catalog._spec import Family
    from losslab.verify._backend import backend_name, installed_backends
    from losslab.verify._subject import make_subject
    from losslab.verify.authoring import _register_extra_generators, default_inputs

    unknown = [c for c in [*(only or ()), *skip] if c not in CHECK_NAMES]
    if unknown:
        raise InvalidParameterError(f"Unknown check(s) {', '.join(map(repr, unknown))}. Valid checks: {', '.join(CHECK_NAMES)}.")
    if not isinstance(batch, int) or batch < 4:
        raise InvalidParameterError(f"batch must be an integer >= 4. Received: batch={batch!r}.")
    subject = make_subject(loss, dict(params or {}))
    real_spec = subject.spec
    if minimum_at_truth is not None:
        import dataclasses

        from losslab.catalog._spec import Family as _F
        from losslab.catalog._spec import Head, LossSpec

        base = subject.spec or LossSpec(
            name=subject.name, title=subject.name, family=_F.REGRESSION, statistic="mean",
            y_true="", y_pred="", head=Head.IDENTITY, keras="", reference="",
        )
        subject.spec = dataclasses.replace(base, minimum_at_truth=minimum_at_truth)
    _register_extra_generators()
    notes: list[str] = []
    full_params = subject.params
    if data is not None:
        if isinstance(data, str | os.PathLike):
            yt, yp = load_sample_data(data)
        else:
            yt, yp = (np.asarray(a) for a in data)
        if yt.shape[:1] != yp.shape[:1] or yt.ndim == 0 or yt.shape[0] < 4:
            raise LosslabError(
                f"Sample data must have the same number (>= 4) of samples in y_true and y_pred. "
                f"Received: y_true {yt.shape}, y_pred {yp.shape}."
            )
        gen = "sample data"
    else:
        if inputs is not None:
            gen = inputs
        elif real_spec is not None:
            gen = real_spec.inputs
        elif family is not None:
            try:
                fam = Family.parse(family)
            except ValueError as e:
                raise InvalidParameterError(str(e)) from None
            from losslab.verify.authoring import _DEFAULT_HEAD

            gen = default_inputs(fam, _DEFAULT_HEAD.get(fam, next(iter(_DEFAULT_HEAD.values()))))
        else:
            gen = "regression"
            notes.append("inputs: the regression generator (real y_true and y_pred of shape (N, 3)); pass family=/inputs=/data= for other kinds of targets")
        if gen not in _inputs.input_names():
            raise InvalidParameterError(f"Unknown input generator. Received: inputs={gen!r}. Known: {', '.join(_inputs.input_names())}.")
        yt, yp = _inputs.generate(gen, batch, full_params, seed)
    yt = np.asarray(yt)
    if not np.issubdtype(yt.dtype, np.integer):
        yt = yt.astype(np.float32)
    yp = np.asarray(yp, dtype=np.float32)
    kind = _kind(gen, full_params, subject.spec, yt, yp)
    bat = _Battery(subject, yt, yp, gen, kind, seed)
    try:
        bat.base = bat.values(yt, yp)
    except Exception as e:
        bat.base_error = _err(e)
    here = backend_name()
    selected = [c for c in CHECK_NAMES if (only is None or c in only) and c not in skip]

    remote: dict[str, dict[str, Any]] | None = None
    reason = ""
    want_remote = [c for c in ("backends", "jit") if c in selected]
    if want_remote:
        if backends is None or (not isinstance(backends, str) and len(backends) == 0):
            reason = "cross-backend comparison not requested (backends=None)"
        else:
            wanted = installed_backends() if backends == "installed" else list(backends)
            bad = [b for b in wanted if b not in ("jax", "torch", "tensorflow")]
            if bad:
                raise InvalidParameterError(f"Unknown backend(s) {', '.join(bad)}. Valid: jax, torch, tensorflow.")
            others = [b for b in wanted if b != here]
            if "backends" not in selected:
                others = [b for b in others if b == "jax"]
            if not others:
                reason = f"no other Keras backend installed besides {here}"
            elif subject.recipe is None:
                reason = f"cannot rebuild the loss in another process: {subject.recipe_problem}; pass it as 'module:attr'"
            else:
                remote = _run_remote(subject, others, [(yt, yp)], want_jit="jit" in selected, timeout=timeout)

    report = CheckReport(loss=subject.name, backend=here, inputs=gen, notes=notes)
    for name in CHECK_NAMES:
        if name not in selected:
            report.results.append(CheckResult(name, _TITLES[name], "n/a", "not run (excluded by only=/skip=)"))
            continue
        method: Callable[[], tuple[Status, str, str]]
        if name == "jit":
            jax_remote = None if remote is None else remote.get("jax")
            status, evidence, fix = bat.jit(jax_remote)
        elif name == "backends":
            rem = None if remote is None else {b: r for b, r in remote.items()}
            if rem is not None and "backends" in selected and not rem:
                rem = None
            status, evidence, fix = bat.backends(rem, reason)
        else:
            method = getattr(bat, name)
            try:
                status, evidence, fix = method()
            except Exception as e:
                status, evidence, fix = "fail", f"the check raised {_err(e)}", "Make the loss run on the inputs described in the evidence."
        report.results.append(CheckResult(name, _TITLES[name], status, evidence, fix))
    return report
