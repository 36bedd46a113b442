"""A custom-loss check report as an HTML fragment (its ``_repr_html_`` in a notebook)."""

from __future__ import annotations

from typing import Any

from losslab._html import escape, html_list, html_table

__all__ = ["check_report_html"]


def check_report_html(report: Any) -> str:
    """A custom-loss check report (``losslab.check``) as HTML: one row per check with its
    status, evidence and fix; failures highlighted."""
    colours = {"pass": "#1a7f37", "fail": "#cf222e", "n/a": "#777"}
    rows = [
        (
            f'<span style="color:{colours.get(r.status, "#000")};font-weight:bold">{escape(r.status)}</span>',
            escape(r.name),
            escape(r.evidence),
            escape(r.fix or ""),
        )
        for r in report.results
    ]
    verdict = "all checks passed" if report.passed else f"{len(report.failures)} check(s) failed"
    head = (
        f"<b>losslab check {escape(report.loss)}</b>: {verdict} "
        f"(backend {escape(report.backend)}, inputs {escape(report.inputs)})"
    )
    notes = html_list(report.notes)
    return f"<div>{head}{html_table(['status', 'check', 'evidence', 'fix'], rows)}{notes}</div>"
