"""The advisor's recommendation as an HTML fragment (its ``_repr_html_`` in a notebook)."""

from __future__ import annotations

from typing import Any

from losslab._html import escape, html_list, html_table

__all__ = ["recommendation_html"]


def recommendation_html(rec: Any) -> str:
    """The advisor's recommendation (``losslab.recommend``) as HTML: task and reasons, goal
    and judge metrics, the ranked shortlist with the reason of each loss, class weights, notes."""
    p = rec.profile
    head = (
        f"<b>Loss recommendation for {escape(', '.join(p.target_names))}</b><br>"
        f"Data: {escape(p.source)} ({p.n_rows:,} rows, {p.n_columns} columns)<br>"
        f"Task: <b>{escape(rec.task.kind)}</b> because {escape('; '.join(rec.task.reasons))}<br>"
        f"Goal: <b>{escape(rec.goal)}</b> (judge metrics: {escape(', '.join(rec.judge_metrics))})"
    )
    rows = [
        (
            str(i),
            f"<code>{escape(c.loss_string)}</code>",
            escape(f"{c.family} / {c.statistic} / {c.head}"),
            f"{c.score:.2f}",
            escape(c.reason),
        )
        for i, c in enumerate(rec.candidates, 1)
    ]
    table = html_table(
        ["#", "loss", "family / estimates / head", "score", "why"], rows, bold_first_row=True
    )
    extra = ""
    if rec.class_weight:
        extra += "Class weights for <code>model.fit(class_weight=...)</code>: " + escape(
            ", ".join(f"{k}: {v:g}" for k, v in rec.class_weight.items())
        )
    if rec.notes:
        extra += "<br>Notes:" + html_list(rec.notes)
    return f"<div>{head}{table}{extra}</div>"
