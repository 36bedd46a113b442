"""Plain-text views of a recommendation (Markdown). The Rich table lives in the CLI."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from losslab.advisor._result import Recommendation

__all__ = ["to_markdown"]


def _cell(text: str) -> str:
    return str(text).replace("|", "\\|").replace("\n", " ")


def to_markdown(rec: Recommendation) -> str:
    """Markdown: task and reasons, goal and judge metric, the shortlist, notes."""
    p = rec.profile
    target = ", ".join(p.target_names)
    lines = [
        f"# Loss recommendation for `{target}`",
        "",
        f"- **Data**: {p.source} ({p.n_rows:,} rows, {p.n_columns} columns)",
        f"- **Task**: {rec.task.kind} because {'; '.join(rec.task.reasons)}",
    ]
    if rec.task.classes is not None:
        shown = ", ".join(map(str, rec.task.classes[:20]))
        lines.append(f"- **Classes**: {shown}")
    lines.append(f"- **Goal**: {rec.goal} (judge metric: {', '.join(rec.judge_metrics)})")
    lines += ["", "| # | loss | parameters | score | why |", "|---|---|---|---|---|"]
    for i, c in enumerate(rec.candidates, 1):
        params = ", ".join(f"{k}={v!r}" for k, v in c.params.items()) or "defaults"
        lines.append(
            f"| {i} | `{_cell(c.loss)}` | {_cell(params)} | {c.score:.2f} | {_cell(c.reason)} |"
        )
    if not rec.candidates:
        lines.append("| - | (no catalog loss fits yet) | | | |")
    if rec.class_weight:
        cw = ", ".join(f"{k}: {v:g}" for k, v in rec.class_weight.items())
        lines += ["", f"Class weights for `model.fit(class_weight=...)`: {cw}"]
    if rec.notes:
        lines += ["", "## Notes", ""]
        lines += [f"- {n}" for n in rec.notes]
    return "\n".join(lines) + "\n"
