"""Checks of the loss in the machinery around it: ``jax.jit``, other Keras backends (in
subprocesses), the ``.keras`` save/load round trip, and mixed precision.

Each check is one function ``check(ctx) -> Verdict``; the battery registers them.
:func:`run_remote` computes the values in the other backends' processes beforehand.
"""

from __future__ import annotations

import inspect
import json
import os
import subprocess
import sys
import tempfile
import warnings
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from losslab.verify._context import CheckContext, close, fmt, quiet
from losslab.verify._isolation import describe_error
from losslab.verify._report import Verdict

__all__ = ["backends", "half_precision", "jit", "run_remote", "save_load"]

_JIT_FIX = "Replace Python `if`/`while`/`float()` on tensors with keras.ops.where / ops.cond, and keep shapes static."
_SAVE_FIX = "Return every constructor argument from get_config() (and accept it in __init__), and register the class with @keras.saving.register_keras_serializable() (@losslab.loss does both)."
_REGISTER_FIX = "Decorate it with @keras.saving.register_keras_serializable() (or author it with @losslab.loss)."


def run_remote(recipe: dict[str, Any], backends: Sequence[str], y_true: np.ndarray, y_pred: np.ndarray, want_jit: bool, timeout: float) -> dict[str, dict[str, Any]]:
    """Per-sample values of the loss rebuilt from ``recipe`` on each backend, one subprocess
    each (``KERAS_BACKEND`` is fixed per process); ``{"error": ...}`` for a failed worker."""
    out: dict[str, dict[str, Any]] = {}
    with tempfile.TemporaryDirectory() as tmp:
        data_path = os.path.join(tmp, "data.npz")
        np.savez(data_path, n_sets=np.asarray(1), yt_0=y_true, yp_0=y_pred)
        job_path = os.path.join(tmp, "job.json")
        paths = [os.getcwd(), *[p for p in sys.path if p]]
        Path(job_path).write_text(json.dumps({"recipe": recipe, "data": data_path, "jit": want_jit, "sys_path": paths}, default=str))
        procs = {}
        for b in backends:
            env = {**os.environ, "KERAS_BACKEND": b, "TF_CPP_MIN_LOG_LEVEL": "3", "JAX_PLATFORMS": "cpu"}
            procs[b] = subprocess.Popen(
                [sys.executable, "-m", "losslab.verify._worker", job_path], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env
            )
        for b, proc in procs.items():
            try:
                stdout, stderr = proc.communicate(timeout=timeout)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.communicate()
                out[b] = {"error": f"timed out after {timeout:g} s"}
                continue
            lines = [ln for ln in stdout.splitlines() if ln.startswith("{")]
            if not lines:
                tail = (stderr.strip().splitlines() or ["no output"])[-1]
                out[b] = {"error": f"worker exited with code {proc.returncode}: {tail}"}
                continue
            out[b] = json.loads(lines[-1])
    return out


def jit(ctx: CheckContext) -> Verdict:
    """Compiles under ``jax.jit`` with the eager values (here, or in a jax subprocess)."""
    from losslab.verify._backend import backend_name, jit_values

    here = backend_name()
    if here == "jax":
        try:
            with quiet():
                v = np.asarray(jit_values(ctx.none, ctx.yt, ctx.yp), np.float64)
        except Exception as e:
            return Verdict.failed(f"jax.jit raised {describe_error(e)}", _JIT_FIX)
        if ctx.base is not None and not close(v, ctx.base):
            return Verdict.failed(f"jit values {fmt(v)} differ from eager {fmt(ctx.base)}", _JIT_FIX)
        return Verdict.passed("jax.jit compiles it and gives the eager values")
    remote = None if ctx.remote is None else ctx.remote.get("jax")
    if remote is None:
        return Verdict.not_applicable(f"running on {here}; jit is checked on jax (enable cross-backend checks or run with KERAS_BACKEND=jax)")
    if "error" in remote:
        return Verdict.failed(f"the jax subprocess failed: {remote['error']}", "Run `KERAS_BACKEND=jax losslab check ...` to see the full error.")
    info = remote.get("jit") or {}
    if not info.get("ok"):
        return Verdict.failed(f"jax.jit raised {info.get('error', 'an error')}", _JIT_FIX)
    return Verdict.passed("jax.jit compiles it (jax subprocess)")


def backends(ctx: CheckContext) -> Verdict:
    """The same values on every other installed backend."""
    from losslab.verify._backend import backend_name

    if not ctx.remote:
        return Verdict.not_applicable(ctx.remote_reason or "no other backend ran")
    assert ctx.base is not None  # the battery guarantees base values for this check
    here = backend_name()
    problems, agreed = [], [here]
    for b, res in ctx.remote.items():
        if "error" in res:
            problems.append(f"{b} raised {res['error']}")
            continue
        v = np.asarray(res["values"][0], np.float64)
        if close(v, ctx.base, rtol=2e-4, atol=2e-5):
            agreed.append(b)
        else:
            problems.append(f"{b} gives {fmt(v)}, {here} gives {fmt(ctx.base)}")
    if problems:
        return Verdict.failed("; ".join(problems), "Use keras.ops only (no backend-specific calls), the same epsilon on every backend, and explicit dtypes.")
    return Verdict.passed(f"equal values on {', '.join(agreed)}")


def _config_problems(obj: Any) -> tuple[dict[str, Any], list[str]]:
    """``get_config()`` and what it lacks of the constructor's arguments."""
    from losslab.verify._subject import loss_function_wrapper

    wrapper = loss_function_wrapper()
    cls = type(obj)
    try:
        config = obj.get_config()
    except Exception as e:
        return {}, [f"get_config() raised {describe_error(e)}"]
    if isinstance(obj, wrapper) and getattr(cls, "__init__", None) is getattr(wrapper, "__init__", None):
        return config, []
    declared = [p.name for p in getattr(cls, "PARAMS", ())]
    if not declared:
        sig = inspect.signature(cls.__init__)
        skip = ("self", "reduction", "name", "dtype", "fn")
        declared = [p.name for p in sig.parameters.values() if p.name not in skip and p.kind in (p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY)]
    missing = [p for p in declared if p not in config]
    if missing:
        return config, [f"get_config() lacks constructor argument(s) {', '.join(missing)}: a reloaded model gets their defaults"]
    return config, []


def _unregistered(obj: Any) -> str | None:
    """The function or class Keras cannot find again when loading, or None."""
    import keras

    from losslab.verify._subject import loss_function_wrapper

    fn = getattr(obj, "fn", None)
    target = fn if isinstance(obj, loss_function_wrapper()) and fn is not None else type(obj)
    if str(getattr(target, "__module__", "")).startswith("keras"):
        return None
    if keras.saving.get_registered_object(keras.saving.get_registered_name(target)) is not None:
        return None
    what = "class" if inspect.isclass(target) else "function"
    return f"the {what} {getattr(target, '__name__', target)!r}"


def _round_trip(ctx: CheckContext, obj: Any, path: str) -> tuple[Any, list[str]]:
    """Save a model compiled with the loss, load it back; the reloaded loss (or None)."""
    import keras

    with quiet():
        model = keras.Sequential([keras.Input(shape=ctx.yp.shape[1:]), keras.layers.Identity()])
        model.compile(optimizer="sgd", loss=obj)
        model.save(path)
    with warnings.catch_warnings(record=True) as rec:
        warnings.simplefilter("always")
        loaded = keras.saving.load_model(path)
    caught = [str(w.message).splitlines()[0] for w in rec if "compile" in str(w.message).lower()]
    new = getattr(loaded, "loss", None)
    if new is None or isinstance(new, str):
        return None, [f"the reloaded model has no usable loss: {new!r}{f' ({caught[0]})' if caught else ''}"]
    return new, []


def save_load(ctx: CheckContext) -> Verdict:
    """A model compiled with the loss survives ``model.save`` / ``keras.saving.load_model``
    with the same config and values; an unregistered function or class is a warning."""
    import keras

    from losslab.verify._subject import loss_function_wrapper, with_reduction

    obj = ctx.subject.obj
    config, problems = _config_problems(obj)
    missing = _unregistered(obj)
    if missing is not None and not problems:
        return Verdict.warned(
            f"{missing} is not registered for Keras serialization: a model compiled with it saves, but keras.saving.load_model cannot rebuild the loss (training is unaffected)",
            _REGISTER_FIX,
        )
    with tempfile.TemporaryDirectory() as tmp:
        try:
            new, trouble = _round_trip(ctx, obj, os.path.join(tmp, "model.keras"))
        except Exception as e:
            step = "loading the saved model" if os.path.exists(os.path.join(tmp, "model.keras")) else "saving a model compiled with the loss"
            problems.append(f"{step} raised {describe_error(e)}")
            return Verdict.failed("; ".join(problems), _SAVE_FIX)
    problems += trouble
    if new is None:
        return Verdict.failed("; ".join(problems), _SAVE_FIX)
    if not isinstance(new, keras.losses.Loss):
        new = loss_function_wrapper()(new)
    try:
        new_config = new.get_config()
        if json.dumps(new_config, sort_keys=True, default=str) != json.dumps(config, sort_keys=True, default=str):
            diff = sorted(k for k in set(config) | set(new_config) if config.get(k) != new_config.get(k))
            problems.append(f"config changed on reload in {', '.join(diff)}: {', '.join(f'{k}={config.get(k)!r} -> {new_config.get(k)!r}' for k in diff[:3])}")
    except Exception as e:
        problems.append(f"get_config() of the reloaded loss raised {describe_error(e)}")
    try:
        v_new = ctx.values(ctx.yt, ctx.yp, with_reduction(new, "none"))
        if ctx.base is not None and not close(v_new, ctx.base):
            problems.append(f"values changed on reload: {fmt(ctx.base)} -> {fmt(v_new)}")
    except Exception as e:
        problems.append(f"the reloaded loss raised {describe_error(e)}")
    if problems:
        return Verdict.failed("; ".join(problems), _SAVE_FIX)
    return Verdict.passed("config and values unchanged after model.save / keras.saving.load_model")


def _half_values(ctx: CheckContext, policy: str, dtype: str, raw: bool) -> np.ndarray:
    """Values on predictions held in ``dtype``: through ``Loss.__call__`` under the mixed
    precision ``policy`` (what ``fit`` does: Keras converts y_pred to the loss's dtype,
    float32 by default), or (``raw``) straight through ``call`` on half-precision tensors."""
    import keras
    from keras import ops

    from losslab.verify._backend import tensor, to_numpy

    yp = tensor(ctx.yp, dtype)
    if raw:
        yt = tensor(ctx.yt, None if np.issubdtype(ctx.yt.dtype, np.integer) else dtype)
        with quiet():
            return np.asarray(to_numpy(ops.cast(ctx.none.call(yt, yp), "float32")), np.float64)
    before = keras.mixed_precision.dtype_policy()
    keras.mixed_precision.set_dtype_policy(policy)
    try:
        with quiet():
            return np.asarray(to_numpy(ops.cast(ctx.none(tensor(ctx.yt), yp), "float32")), np.float64)
    finally:
        keras.mixed_precision.set_dtype_policy(before)


def _half_problem(v: np.ndarray, v32: np.ndarray, rtol: float) -> str:
    if not np.all(np.isfinite(v)):
        return f"non-finite values {fmt(v[~np.isfinite(v)])}"
    scale = float(np.mean(np.abs(v32))) + 1e-3
    if v.shape != v32.shape or not np.allclose(v, v32, rtol=rtol, atol=2 * rtol * scale):
        return f"{fmt(v)} where float32 gives {fmt(v32)}"
    return ""


def half_precision(ctx: CheckContext) -> Verdict:
    """Under ``mixed_float16`` / ``mixed_bfloat16`` the loss gives finite values close to
    float32 (fails); half-precision tensors passed straight to ``call`` too (warns)."""
    assert ctx.base is not None  # the battery guarantees base values for this check
    fails: list[str] = []
    warns: list[str] = []
    for policy, dtype, rtol in (("mixed_float16", "float16", 1e-2), ("mixed_bfloat16", "bfloat16", 5e-2)):
        for raw, found in ((False, fails), (True, warns)):
            where = f"{dtype} tensors passed straight to call()" if raw else f"under {policy} (predictions in {dtype}, cast to the loss's dtype {ctx.none.dtype} as in fit)"
            try:
                problem = _half_problem(_half_values(ctx, policy, dtype, raw), ctx.base, rtol)
            except Exception as e:
                problem = f"raised {describe_error(e)}"
            if problem:
                found.append(f"{where}: {problem}")
    fix = "Compute in float32 inside the loss: `y_pred = ops.cast(y_pred, 'float32')` (and y_true); avoid constants that underflow in half precision (1e-8)."
    if fails:
        return Verdict.failed("; ".join(fails), fix)
    if warns:
        return Verdict.warned("; ".join(warns) + f". Keras's fit is fine (it casts y_pred to the loss's dtype {ctx.none.dtype}); this matters only if you call the loss on half-precision tensors yourself", fix)
    return Verdict.passed("finite values close to float32 under mixed_float16 and mixed_bfloat16, and on float16 / bfloat16 tensors passed straight to call()")
