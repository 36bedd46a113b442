"""The custom-loss check battery: ``losslab.check(loss)`` and ``losslab check module:attr``.

One battery, in the package (like ``optuna.testing``), used by losslab's own catalog tests
and by users on their own losses. Each check gives one row: ``pass``, ``warn`` (a remark
that is not a defect of the loss, e.g. a function not registered for saving), ``fail``
(with the evidence and a fix) or ``n/a`` (with the reason). The checks are registered in
``losslab.verify._battery`` (see :data:`CHECK_NAMES`); this module is the driver.

The loss is user code: it runs isolated (``losslab.verify._isolation``). What it prints is
captured and shown as information, ``sys.exit`` inside it fails the check that called it,
and a check that does not finish within ``timeout`` seconds fails with "timed out".
"""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Mapping, Sequence
from typing import Any, Literal

import numpy as np

from losslab.errors import InvalidParameterError, LosslabError
from losslab.verify._battery import CHECK_NAMES, CHECKS, Check, Need
from losslab.verify._context import CheckContext
from losslab.verify._inputs import choose_inputs, load_sample_data
from losslab.verify._isolation import Outcome, describe_error, run_isolated
from losslab.verify._report import CheckReport, CheckResult, Verdict

__all__ = ["CHECK_NAMES", "CheckReport", "CheckResult", "check", "load_sample_data"]

_KNOWN_BACKENDS = ("jax", "torch", "tensorflow")
_DIFFERENTIABLE = ("jax", "torch", "tensorflow")


def _selection(only: Sequence[str] | None, skip: Sequence[str]) -> list[str]:
    unknown = [c for c in [*(only or ()), *skip] if c not in CHECK_NAMES]
    if unknown:
        raise InvalidParameterError(f"Unknown check(s) {', '.join(map(repr, unknown))}. Valid checks: {', '.join(CHECK_NAMES)}.")
    return [c for c in CHECK_NAMES if (only is None or c in only) and c not in skip]


def _wanted_backends(backends: Sequence[str] | str | None) -> list[str] | None:
    from losslab.verify._backend import installed_backends

    if backends is None or (not isinstance(backends, str) and len(backends) == 0):
        return None
    wanted = installed_backends() if backends == "installed" else [backends] if isinstance(backends, str) else list(backends)
    bad = [b for b in wanted if b not in _KNOWN_BACKENDS]
    if bad:
        raise InvalidParameterError(f"Unknown backend(s) {', '.join(bad)}. Valid: {', '.join(_KNOWN_BACKENDS)}.")
    return wanted


def _subject(loss: Any, params: Mapping[str, Any] | None, timeout: float) -> tuple[Any, str]:
    """The loss normalised (imported and built in isolation: a module may print or exit;
    importing it may import Keras and its backend first, hence at least 120 s)."""
    from losslab.verify._subject import NotALossError, make_subject

    timeout = max(timeout, 120.0)
    out = run_isolated(lambda: make_subject(loss, dict(params or {})), timeout)
    if out.timed_out:
        raise NotALossError(f"Building the loss did not finish within {timeout:g} s. Received: {loss!r}. Check what its module does at import.")
    if isinstance(out.error, LosslabError):
        raise out.error
    if out.error is not None:
        raise NotALossError(f"Building the loss raised {describe_error(out.error)}. Received: {loss!r}. Fix the error in its module or constructor.")
    return out.value, out.output


def _declared_spec(subject: Any, family: str | None, minimum_at_truth: bool) -> Any:
    """The catalog entry with ``minimum_at_truth`` overridden (a declaration from
    ``family=`` when the loss has no entry)."""
    from losslab.catalog import Family, LossSpec
    from losslab.verify.authoring import DEFAULT_HEAD, DEFAULT_STATISTIC

    if subject.spec is not None:
        return dataclasses.replace(subject.spec, minimum_at_truth=minimum_at_truth)
    try:
        fam = Family.parse(family) if family is not None else Family.REGRESSION
    except ValueError as e:
        raise InvalidParameterError(str(e)) from None
    return LossSpec(
        name=subject.name, title=subject.name, family=fam, statistic=DEFAULT_STATISTIC.get(fam, "mean"),  # type: ignore[arg-type]
        y_true="", y_pred="", head=DEFAULT_HEAD.get(fam, DEFAULT_HEAD[Family.REGRESSION]), keras="", reference="",
        minimum_at_truth=minimum_at_truth,
    )


def _remote(ctx: CheckContext, selected: list[Check], wanted: list[str] | None, timeout: float) -> None:
    """Run the other backends' subprocesses when a selected check needs them."""
    from losslab.verify._backend import backend_name
    from losslab.verify._checks_runtime import run_remote

    wants_backends = any(Need.BACKENDS in c.needs for c in selected)
    if not wants_backends and not any(Need.JAX in c.needs for c in selected):
        return
    if wanted is None:
        ctx.remote_reason = "cross-backend comparison not requested (backends=None)"
        return
    here = backend_name()
    others = [b for b in wanted if b != here and (wants_backends or b == "jax")]
    if not others:
        ctx.remote_reason = f"no other Keras backend installed besides {here}"
    elif ctx.subject.recipe is None:
        ctx.remote_reason = f"cannot rebuild the loss in another process: {ctx.subject.recipe_problem}; pass it as 'module:attr'"
    else:
        ctx.remote = run_remote(ctx.subject.recipe, others, ctx.yt, ctx.yp, want_jit=any(Need.JAX in c.needs for c in selected), timeout=timeout)


def _guard(c: Check, ctx: CheckContext, hung: str) -> Verdict | None:
    """The verdict the check's needs decide without running it, or None to run it."""
    from losslab.verify._backend import backend_name

    if hung:
        return Verdict.failed(hung, "Make the loss return on valid inputs: no unbounded loops, waits or input() inside it.")
    if Need.VALUES in c.needs and ctx.base is None:
        return Verdict.failed(f"the loss raised on valid inputs: {ctx.base_error}", "Make the loss run on inputs like these (see the evidence).")
    if Need.GRADIENT in c.needs and backend_name() not in _DIFFERENTIABLE:
        return Verdict.not_applicable(f"gradients need the jax, torch or tensorflow backend (running on {backend_name()})")
    if Need.DIRECTION in c.needs and not ctx.direction:
        return Verdict.not_applicable("direction=False: the labels are not prediction targets (a critic), so there is no truth to move toward")
    return None


def _verdict(out: Outcome, timeout: float) -> Verdict:
    if out.timed_out:
        return Verdict.failed(
            f"timed out after {timeout:g} s (the check was abandoned; it may keep running until the process exits)",
            "Make the loss return: no unbounded loops or waits; raise timeout= if the loss is just slow.",
        )
    if isinstance(out.error, SystemExit):
        return Verdict.failed(f"the loss called sys.exit during this check ({describe_error(out.error)})", "Raise an exception instead of calling sys.exit() inside a loss.")
    if out.error is not None:
        return Verdict.failed(f"the check raised {describe_error(out.error)}", "Make the loss run on the inputs described in the evidence.")
    verdict: Verdict = out.value
    return verdict


def _run(c: Check, ctx: CheckContext, selected: list[Check], hung: str, timeout: float) -> CheckResult:
    if c not in selected:
        return CheckResult(c.name, c.title, "n/a", "not run (excluded by only=/skip=)")
    guarded = _guard(c, ctx, hung)
    if guarded is not None:
        return CheckResult(c.name, c.title, guarded.status, guarded.evidence, guarded.fix)
    out = run_isolated(lambda: c.fn(ctx), timeout)
    v = _verdict(out, timeout)
    return CheckResult(c.name, c.title, v.status, v.evidence, v.fix, out.output)


def _base_values(ctx: CheckContext, timeout: float) -> tuple[str, str]:
    """Compute the values on the valid inputs; (why every check is off, what was printed)."""
    out = run_isolated(lambda: ctx.values(ctx.yt, ctx.yp), timeout)
    if out.timed_out:
        return f"timed out after {timeout:g} s: the loss did not return on the valid inputs, so no check ran", out.output
    if out.error is not None:
        ctx.base_error = describe_error(out.error)
    else:
        ctx.base = out.value
    return "", out.output


def _strict(result: CheckResult) -> CheckResult:
    if result.status != "warn":
        return result
    return dataclasses.replace(result, status="fail", evidence=f"{result.evidence} (a failure with strict=True)")


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
    strict: bool = False,
    direction: bool = True,
) -> CheckReport:
    """Run the check battery on a loss.

    Args:
        loss: a catalog name, ``"module:attr"``, a ``keras.losses.Loss`` subclass or instance,
            a class made by ``@losslab.loss``, a plain function ``fn(y_true, y_pred)`` or a
            :class:`~losslab.catalog.LossSpec`.
        params: hyperparameters to build the loss with (not with an instance).
        family: task family for the inputs when the loss has no catalog entry
            (``"regression"``, ``"binary"``, ``"multiclass"``, ``"count"`` ...).
        inputs: a generator name from ``losslab.catalog.inputs`` (overrides family).
        data: your own sample ``(y_true, y_pred)`` or a ``.npz`` path with those arrays.
        minimum_at_truth: run the minimum check (default: the catalog entry's flag).
        batch: batch size of the generated inputs.
        seed: random seed of the generated inputs.
        backends: other Keras backends to compare with in subprocesses: ``"installed"``
            (every installed one), a list, or ``None``/``[]`` to skip (the row is then n/a).
        only: run only these checks (others are n/a); ``skip``: checks not to run.
        timeout: seconds per check (and per backend subprocess); a check that takes longer
            fails with "timed out after N s".
        strict: warnings count as failures (e.g. a function not registered for saving).
        direction: test that gradients move predictions toward ``y_true``. Pass False when
            the labels are not prediction targets (a Wasserstein critic's ``mean(y_true *
            y_pred)``): gradients are still checked, the direction and argument-order
            probes are not.

    Returns:
        A :class:`CheckReport`; ``report.passed`` is True when no applicable check failed.

    Raises:
        NotALossError: ``loss`` does not import or is not a loss.
        InvalidParameterError: unknown or invalid params, unknown family / inputs / check.

    Example:
        >>> import losslab
        >>> report = losslab.check("huber", backends=None, only=["per_sample", "minimum"])
        >>> report.passed, report["minimum"].status, report["jit"].status
        (True, 'pass', 'n/a')
    """
    from losslab.verify._backend import backend_name

    names = _selection(only, skip)
    if not isinstance(batch, int) or batch < 4:
        raise InvalidParameterError(f"batch must be an integer >= 4. Received: batch={batch!r}.")
    wanted = _wanted_backends(backends)
    subject, printed = _subject(loss, params, timeout)
    real_spec = subject.spec
    if minimum_at_truth is not None:
        subject.spec = _declared_spec(subject, family, minimum_at_truth)
    ins = choose_inputs(real_spec, subject.params, family=family, inputs=inputs, data=data, batch=batch, seed=seed)
    ctx = CheckContext(subject, ins, np.random.default_rng(seed + 1), direction=direction)
    hung, printed_base = _base_values(ctx, timeout)
    notes = [n for n in (ins.note, _printed("building the loss", printed), _printed("computing its values", printed_base)) if n]
    selected = [c for c in CHECKS if c.name in names]
    if not hung:
        _remote(ctx, selected, wanted, timeout)
    report = CheckReport(loss=subject.name, backend=backend_name(), inputs=ins.source, notes=notes, strict=strict)
    for c in CHECKS:
        result = _run(c, ctx, selected, hung, timeout)
        report.results.append(_strict(result) if strict else result)
    return report


def _printed(when: str, text: str) -> str:
    return f"the loss printed while {when}: {text}" if text else ""
