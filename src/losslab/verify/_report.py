"""The report of the check battery: one :class:`CheckResult` row per check, gathered in a
:class:`CheckReport` (text, JSON document, exit code)."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any, Literal

__all__ = ["CheckReport", "CheckResult", "Status", "Verdict"]

Status = Literal["pass", "warn", "fail", "n/a"]


@dataclass(frozen=True)
class Verdict:
    """What one check function returns: a status, the evidence and (on failure) a fix."""

    status: Status
    evidence: str
    fix: str = ""

    @classmethod
    def passed(cls, evidence: str) -> Verdict:
        return cls("pass", evidence)

    @classmethod
    def failed(cls, evidence: str, fix: str = "") -> Verdict:
        return cls("fail", evidence, fix)

    @classmethod
    def warned(cls, evidence: str, fix: str = "") -> Verdict:
        return cls("warn", evidence, fix)

    @classmethod
    def not_applicable(cls, reason: str) -> Verdict:
        return cls("n/a", reason)


@dataclass
class CheckResult:
    """One row of the report.

    Attributes:
        name: the check's id (one of ``CHECK_NAMES``).
        title: human title.
        status: ``"pass"``, ``"warn"`` (a remark that is not a defect of the loss; a failure
            with ``strict=True``), ``"fail"`` or ``"n/a"``.
        evidence: what was measured (for a failure: what went wrong, with numbers).
        fix: how to fix a failure or a warning (empty otherwise).
        output: what the loss printed to stdout/stderr during this check (information).
    """

    name: str
    title: str
    status: Status
    evidence: str = ""
    fix: str = ""
    output: str = ""


@dataclass
class CheckReport:
    """The outcome of ``losslab.check``.

    Attributes:
        loss: the loss's name.
        backend: the Keras backend the battery ran on.
        inputs: where the inputs came from (generator name or "sample data").
        results: one :class:`CheckResult` per check.
        notes: remarks (inputs chosen by default, checks skipped by request ...).
        strict: warnings were turned into failures (``strict=True``).

    Example:
        >>> report = CheckReport("my_loss", "jax", "regression", [
        ...     CheckResult("per_sample", "one value per sample", "pass", "values of shape (8,)"),
        ...     CheckResult("save_load", ".keras save/load round trip", "warn", "not registered", "register it"),
        ... ])
        >>> report.passed, report.exit_code, [r.name for r in report.warnings]
        (True, 0, ['save_load'])
        >>> print(report)
        losslab check my_loss (backend jax, inputs regression)
          [pass] per_sample: values of shape (8,)
          [warn] save_load: not registered
                 fix: register it
    """

    loss: str
    backend: str
    inputs: str
    results: list[CheckResult] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    strict: bool = False

    @property
    def failures(self) -> list[CheckResult]:
        """The rows that failed."""
        return [r for r in self.results if r.status == "fail"]

    @property
    def warnings(self) -> list[CheckResult]:
        """The rows with a warning (not defects of the loss; failures with ``strict=True``)."""
        return [r for r in self.results if r.status == "warn"]

    @property
    def passed(self) -> bool:
        """True when no applicable check failed (warnings allowed)."""
        return not self.failures

    @property
    def exit_code(self) -> int:
        """0 when no check failed, 1 otherwise (the CLI's exit code)."""
        return 0 if self.passed else 1

    def __getitem__(self, name: str) -> CheckResult:
        for r in self.results:
            if r.name == name:
                return r
        names = ", ".join(r.name for r in self.results)
        raise KeyError(f"No check named {name!r}. Checks: {names}.")

    def to_dict(self) -> dict[str, Any]:
        """The ``--json`` document."""
        return {
            "loss": self.loss,
            "backend": self.backend,
            "inputs": self.inputs,
            "passed": self.passed,
            "strict": self.strict,
            "results": [asdict(r) for r in self.results],
            "notes": list(self.notes),
        }

    def __str__(self) -> str:
        lines = [f"losslab check {self.loss} (backend {self.backend}, inputs {self.inputs})"]
        for r in self.results:
            lines.append(f"  [{r.status:>4}] {r.name}: {r.evidence}")
            if r.fix:
                lines.append(f"         fix: {r.fix}")
            if r.output:
                lines.append(f"         output: {r.output}")
        lines.extend(f"  note: {n}" for n in self.notes)
        return "\n".join(lines)

    def _repr_html_(self) -> str:  # the report in a notebook
        from losslab.verify.display import check_report_html

        return check_report_html(self)

    def assert_passes(self) -> None:
        """Raise ``AssertionError`` listing every failure (for use in test suites)."""
        if not self.passed:
            raise AssertionError(str(self))
