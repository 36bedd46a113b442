"""The report of ``losslab.doctor``: :class:`Finding` rows gathered in a :class:`DoctorReport`."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any, Literal

__all__ = ["DoctorReport", "Finding", "Severity"]

Severity = Literal["error", "warning", "info"]

_ORDER = {"error": 0, "warning": 1, "info": 2}


@dataclass
class Finding:
    """One problem found by ``losslab.doctor``.

    Attributes:
        code: a stable id (``"probabilities_to_logits_loss"``, ``"labels_one_based"`` ...).
        severity: ``"error"``, ``"warning"`` or ``"info"``.
        title: one line.
        evidence: what was observed, with numbers.
        fix: the fix as code.
    """

    code: str
    severity: Severity
    title: str
    evidence: str
    fix: str


@dataclass
class DoctorReport:
    """The outcome of ``losslab.doctor``.

    Attributes:
        findings: every finding, errors first.
        model: a summary of the model's output (activation, units, loss).
        data: a summary of the data (rows, feature count, target shape).

    Example:
        >>> report = DoctorReport([Finding("class_imbalance", "warning", "imbalance", "counts [90, 5]", "use class_weight")])
        >>> report.ok, report.exit_code, report.codes
        (True, 0, ['class_imbalance'])
    """

    findings: list[Finding] = field(default_factory=list)
    model: dict[str, Any] = field(default_factory=dict)
    data: dict[str, Any] = field(default_factory=dict)

    @property
    def codes(self) -> list[str]:
        return [f.code for f in self.findings]

    @property
    def errors(self) -> list[Finding]:
        return [f for f in self.findings if f.severity == "error"]

    @property
    def ok(self) -> bool:
        """True when no error-severity finding exists."""
        return not self.errors

    @property
    def exit_code(self) -> int:
        return 0 if self.ok else 1

    def sort(self) -> None:
        """Errors first, then warnings, then information (stable within a severity)."""
        self.findings.sort(key=lambda f: _ORDER[f.severity])

    def to_dict(self) -> dict[str, Any]:
        return {
            "ok": self.ok,
            "model": self.model,
            "data": self.data,
            "findings": [asdict(f) for f in self.findings],
        }

    def __str__(self) -> str:
        lines = [f"losslab doctor: {len(self.findings)} finding(s), {len(self.errors)} error(s)"]
        for f in self.findings:
            lines.append(f"  [{f.severity}] {f.code}: {f.title}")
            lines.append(f"      evidence: {f.evidence}")
            lines.append(f"      fix: {f.fix}")
        return "\n".join(lines)
