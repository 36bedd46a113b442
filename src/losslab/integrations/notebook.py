"""Rich display in Jupyter: HTML views of results, recommendations, check reports and catalog
entries (the ``_repr_html_`` of those objects call these functions).

Each function returns one self-contained HTML fragment (inline styles, everything escaped);
no notebook package is needed to build it.
"""

from __future__ import annotations

import html
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from losslab.catalog import LossSpec, get_spec

__all__ = ["Explanation", "check_report_html", "explain", "recommendation_html", "results_html"]

_STYLE = "border-collapse:collapse;font-size:13px;margin:4px 0"
_CELL = "border:1px solid #ddd;padding:3px 8px;text-align:left;vertical-align:top"


def _e(value: Any) -> str:
    return html.escape(str(value))


def _num(v: Any) -> str:
    if v is None:
        return "-"
    if isinstance(v, bool):
        return "yes" if v else "no"
    return f"{v:.4g}" if isinstance(v, float) else str(v)


def _table(
    header: Sequence[str], rows: Iterable[Sequence[Any]], bold_first_row: bool = False
) -> str:
    head = "".join(f'<th style="{_CELL};background:#f4f4f4">{_e(h)}</th>' for h in header)
    body = []
    for i, row in enumerate(rows):
        weight = ";font-weight:bold" if bold_first_row and i == 0 else ""
        body.append(
            "<tr>" + "".join(f'<td style="{_CELL}{weight}">{c}</td>' for c in row) + "</tr>"
        )
    return f'<table style="{_STYLE}"><thead><tr>{head}</tr></thead><tbody>{"".join(body)}</tbody></table>'


def _list(items: Iterable[Any]) -> str:
    items = [f"<li>{_e(i)}</li>" for i in items]
    return f'<ul style="margin:2px 0">{"".join(items)}</ul>' if items else ""


def results_html(results: Any) -> str:
    """The leaderboard of an experiment's results (``losslab.compare`` / ``run``) as HTML:
    task and primary metric, one row per candidate with the mean and 95% interval over seeds,
    the paired difference to the best and its p-value, best first.

    Args:
        results: the experiment's results (``manifest``, ``rows`` and ``run_dir`` as in
            :class:`losslab.experiment.Results`).

    Example:
        >>> from types import SimpleNamespace
        >>> res = SimpleNamespace(run_dir="runs/demo", records=[{}, {}],
        ...     manifest={"kind": "compare", "primary_metric": "rmse", "task": {"kind": "regression"},
        ...               "metric_directions": {"rmse": "min"}},
        ...     rows=[{"rank": 1, "label": "huber", "mean": 0.5, "ci_low": 0.4, "ci_high": 0.6,
        ...            "diff_to_best": 0.0, "p_value": None, "indistinguishable_from_best": True,
        ...            "n_seeds": 2, "n_failed": 0, "epochs_run": 12.5}])
        >>> "<td" in results_html(res) and "huber" in results_html(res)
        True
    """
    m = results.manifest
    metric = str(m.get("primary_metric", ""))
    direction = {"min": "lower", "max": "higher"}.get(
        m.get("metric_directions", {}).get(metric), ""
    )
    rows = [
        (
            _e(r.get("rank") or "-"),
            _e(r["label"]),
            _num(r.get("mean")),
            f"[{_num(r.get('ci_low'))}, {_num(r.get('ci_high'))}]",
            _num(r.get("diff_to_best")),
            _num(r.get("p_value")),
            "yes" if r.get("indistinguishable_from_best") else "no",
            f"{r.get('n_seeds', '-')}"
            + (f" ({r['n_failed']} failed)" if r.get("n_failed") else ""),
            _num(r.get("epochs_run")),
        )
        for r in results.rows
    ]
    title = (
        f"<b>losslab {_e(m.get('kind', 'compare'))}</b>: {_e(m.get('task', {}).get('kind', '?'))} task, "
        f"judged by <b>{_e(metric)}</b> on the test split ({direction} is better), "
        f"{len(results.records)} trials"
    )
    header = [
        "rank",
        "candidate",
        f"{metric} (mean)",
        "95% t-interval",
        "diff to best",
        "paired p",
        "~best",
        "seeds",
        "epochs",
    ]
    note = (
        '<div style="color:#666;font-size:12px">~best: indistinguishable from the best (two-sided paired '
        f"t-test over seeds, p &ge; 0.05). Run directory: <code>{_e(results.run_dir)}</code> "
        "(report.html, trials, histories).</div>"
    )
    return f"<div>{title}{_table(header, rows, bold_first_row=True)}{note}</div>"


def recommendation_html(rec: Any) -> str:
    """The advisor's recommendation (``losslab.recommend``) as HTML: task and reasons, goal
    and judge metrics, the ranked shortlist with the reason of each loss, class weights, notes."""
    p = rec.profile
    head = (
        f"<b>Loss recommendation for {_e(', '.join(p.target_names))}</b><br>"
        f"Data: {_e(p.source)} ({p.n_rows:,} rows, {p.n_columns} columns)<br>"
        f"Task: <b>{_e(rec.task.kind)}</b> because {_e('; '.join(rec.task.reasons))}<br>"
        f"Goal: <b>{_e(rec.goal)}</b> (judge metrics: {_e(', '.join(rec.judge_metrics))})"
    )
    rows = [
        (
            str(i),
            f"<code>{_e(c.loss_string)}</code>",
            _e(f"{c.family} / {c.statistic} / {c.head}"),
            f"{c.score:.2f}",
            _e(c.reason),
        )
        for i, c in enumerate(rec.candidates, 1)
    ]
    table = _table(
        ["#", "loss", "family / estimates / head", "score", "why"], rows, bold_first_row=True
    )
    extra = ""
    if rec.class_weight:
        extra += "Class weights for <code>model.fit(class_weight=...)</code>: " + _e(
            ", ".join(f"{k}: {v:g}" for k, v in rec.class_weight.items())
        )
    if rec.notes:
        extra += "<br>Notes:" + _list(rec.notes)
    return f"<div>{head}{table}{extra}</div>"


def check_report_html(report: Any) -> str:
    """A custom-loss check report (``losslab.check``) as HTML: one row per check with its
    status, evidence and fix; failures highlighted."""
    colours = {"pass": "#1a7f37", "fail": "#cf222e", "n/a": "#777"}
    rows = [
        (
            f'<span style="color:{colours.get(r.status, "#000")};font-weight:bold">{_e(r.status)}</span>',
            _e(r.name),
            _e(r.evidence),
            _e(r.fix or ""),
        )
        for r in report.results
    ]
    verdict = "all checks passed" if report.passed else f"{len(report.failures)} check(s) failed"
    head = (
        f"<b>losslab check {_e(report.loss)}</b>: {verdict} "
        f"(backend {_e(report.backend)}, inputs {_e(report.inputs)})"
    )
    notes = _list(report.notes)
    return f"<div>{head}{_table(['status', 'check', 'evidence', 'fix'], rows)}{notes}</div>"


@dataclass(frozen=True)
class Explanation:
    """One catalog entry explained: formula, when to use it, pitfalls, hyperparameters, an
    example and references. Plain text with ``str()``/``repr()``, HTML in a notebook.

    Attributes:
        spec: the catalog entry.
    """

    spec: LossSpec

    def to_dict(self) -> dict[str, Any]:
        """The entry as ``losslab explain NAME --json`` prints it."""
        from losslab.report.terminal import spec_to_dict

        return spec_to_dict(self.spec)

    def _sections(self) -> list[tuple[str, str]]:
        d = self.to_dict()
        return [
            ("Formula", d["formula"] or "-"),
            ("y_true", d["y_true"]),
            ("y_pred", d["y_pred"]),
            ("When to use", d["when_to_use"] or "-"),
            ("Pitfalls", d["pitfalls"] or "-"),
        ]

    def _summary(self) -> str:
        d = self.to_dict()
        return (
            f"family: {d['family']}   estimates: {d['statistic']}   head: {d['head']}   "
            f"robustness to outliers: {d['robustness']}"
        )

    def __str__(self) -> str:
        d = self.to_dict()
        lines = [f"{d['title']} ({d['name']})", self._summary()]
        if d["aliases"]:
            lines.append(f"aliases: {', '.join(d['aliases'])}")
        for title, text in self._sections():
            lines += ["", f"{title}:", f"  {text}"]
        lines += ["", "Hyperparameters:" if d["params"] else "Hyperparameters: none"]
        for p in d["params"]:
            space = f"; tuning space {tuple(p['search'])}" if p["search"] else ""
            lines.append(
                f"  {p['name']} = {p['default']!r}  ({p['constraint']}{space})  {p['doc']}"
            )
        lines += ["", "Example:", *(f"  {line}" for line in d["example"].splitlines())]
        if d["references"]:
            lines += ["", "References:", *(f"  - {r}" for r in d["references"])]
        return "\n".join(lines)

    __repr__ = __str__

    def _repr_html_(self) -> str:
        d = self.to_dict()
        summary = " &middot; ".join(_e(part) for part in self._summary().split("   "))
        parts = [f"<b>{_e(d['title'])}</b> (<code>{_e(d['name'])}</code>)<br>{summary}"]
        parts += [f"<div><b>{_e(t)}</b>: {_e(text)}</div>" for t, text in self._sections()]
        if d["params"]:
            rows = [
                (
                    f"<code>{_e(p['name'])}</code>",
                    _e(repr(p["default"])),
                    _e(p["constraint"]),
                    _e(p["search"] or "-"),
                    _e(p["doc"]),
                )
                for p in d["params"]
            ]
            parts.append(_table(["name", "default", "valid", "tuning space", "meaning"], rows))
        parts.append(f'<pre style="margin:4px 0">{_e(d["example"])}</pre>')
        if d["references"]:
            parts.append("References:" + _list(d["references"]))
        return "<div>" + "".join(parts) + "</div>"


def explain(name: str | LossSpec) -> Explanation:
    """Explain a loss of the catalog (``losslab explain NAME`` as an object): plain text when
    printed, HTML in a notebook.

    Raises:
        UnknownLossError: an unknown name (with suggestions).

    Example:
        >>> print(str(explain("huber")).splitlines()[0])
        Huber (huber)
    """
    return Explanation(get_spec(name))
