"""``report.md``: the leaderboard and the key facts of a run as Markdown, one function per section."""

from __future__ import annotations

import html
from typing import Any

from losslab.report._run import RunData
from losslab.report._sections.data import sample_sentence
from losslab.report._summary import fmt, params_text, verdict_mark

__all__ = ["render_markdown"]


def _md(text: Any) -> str:
    """User text for a Markdown table cell: HTML-escaped, pipes and newlines neutralised."""
    s = html.escape(str(text), quote=False)
    return s.replace("|", "\\|").replace("\n", " ").replace("`", "\\`")


def _header(summary: dict[str, Any]) -> list[str]:
    data = summary["data"]
    task = summary["task"] or {}
    goal = summary["goal"] or {}
    trials = summary["trials"]
    lines = [
        f"# losslab {_md(summary['kind'])} report",
        "",
        f"- Data: `{_md(data.get('source'))}`, target `{_md(data.get('target'))}`, "
        f"{fmt(data.get('n_rows'))} rows, {fmt(data.get('n_features'))} features"
        + (f"\n- Sample: {_md(sample_sentence(data))}" if data.get("sample") else ""),
        f"- Task: **{_md(task.get('kind', '-'))}**"
        + (
            f" (classes: {_md(', '.join(map(str, task['classes'])))})"
            if task.get("classes")
            else ""
        ),
        f"- Goal: {_md(goal.get('kind') or '-')}"
        + (f" (q={goal['quantile']})" if goal.get("quantile") is not None else ""),
        f"- Judge metric: **{_md(summary['primary_metric'])}** "
        f"({'lower' if summary['direction'] == 'min' else 'higher'} is better), on the test split",
        f"- Trials: {trials['ok']} ok of {trials['total']}"
        + (f", {trials.get('nan', 0)} NaN" if trials.get("nan") else "")
        + (f", {trials.get('failed', 0)} failed" if trials.get("failed") else ""),
        f"- Created: {_md(summary.get('created'))}",
        "",
    ]
    for reason in task.get("reasons") or []:
        if reason == (task.get("reasons") or [None])[0]:
            lines.append("Why this task:")
            lines.append("")
        lines.append(f"- {_md(reason)}")
    if task.get("reasons"):
        lines.append("")
    return lines


def _leaderboard(summary: dict[str, Any]) -> list[str]:
    show_board = bool(summary["leaderboard"]) and not (
        summary["kind"] == "tune" and summary["leaderboard_derived"]
    )
    if not show_board:
        return []
    conf = summary.get("confidence") or 0.95
    lines = [
        "## Leaderboard",
        "",
        f"| rank | candidate | {_md(summary['primary_metric'])} (mean) | median | {int(conf * 100)}% interval "
        "| diff to best | p | verdict | seeds |",
        "|---:|---|---:|---:|---|---:|---:|:---:|---:|",
    ]
    for r in summary["leaderboard"]:
        ci = (
            f"[{fmt(r.get('ci_low'))}, {fmt(r.get('ci_high'))}]"
            if r.get("ci_low") is not None
            else "-"
        )
        mark = verdict_mark(r)
        failed = f" ({r['n_failed']} failed)" if r.get("n_failed") else ""
        lines.append(
            f"| {fmt(r.get('rank'))} | {_md(r.get('label'))} | {fmt(r.get('mean'))} | "
            f"{fmt(r.get('median'))} | {ci} | "
            f"{fmt(r.get('diff_to_best'))} | {fmt(r.get('p_value'), 3)} | {mark} | "
            f"{fmt(r.get('n_seeds'))}{failed} |"
        )
    lines.append("")
    if summary.get("interval"):
        lines.append(f"Intervals: {_md(summary['interval'])}.")
    if summary.get("test"):
        lines.append(f"≈ best: {_md(summary['test'])}.")
    if summary.get("verdicts"):
        lines.append(f"Verdicts: {_md(summary['verdicts'])}.")
    if summary.get("seeds_to_separate_top_two"):
        lines.append(
            f"Seeds needed to separate the top two: about {summary['seeds_to_separate_top_two']}."
        )
    lines.append("")
    return lines


def _recommendations(summary: dict[str, Any]) -> list[str]:
    rec = summary.get("recommendation")
    if not (rec and rec.get("candidates")):
        return []
    lines = ["## Recommendations", "", "| loss | params | score | why |", "|---|---|---:|---|"]
    for c in rec["candidates"]:
        lines.append(
            f"| {_md(c.get('loss'))} | {_md(params_text(c.get('params')))} | "
            f"{fmt(c.get('score'), 3)} | {_md(c.get('reason'))} |"
        )
    lines.append("")
    return lines


def _tuning(summary: dict[str, Any]) -> list[str]:
    tune = summary.get("tune")
    if not (isinstance(tune, dict) and tune):
        return []
    lines = ["## Tuning", ""]
    per_loss = tune.get("best") if isinstance(tune.get("best"), dict) else None
    if per_loss is None:
        lines += [
            f"- {_md(k)}: `{_md(params_text(v) if isinstance(v, dict) else v)}`"
            for k, v in tune.items()
        ]
    else:
        metric = _md(tune.get("primary_metric") or summary["primary_metric"])
        lines += [
            f"Best configuration per loss ({metric} on the {_md(tune.get('objective') or 'validation split')}):",
            "",
            "| loss | value | learning rate | batch size | loss parameters | trial |",
            "|---|---:|---:|---:|---|---:|",
        ]
        for label, b in per_loss.items():
            lines.append(
                f"| {_md(label)} | {fmt(b.get('value'))} | {fmt(b.get('learning_rate'))} | "
                f"{fmt(b.get('batch_size'))} | {_md(params_text(b.get('loss_params')))} | {fmt(b.get('trial'))} |"
            )
    lines.append("")
    return lines


def _training(summary: dict[str, Any]) -> list[str]:
    lines: list[str] = []
    if summary["training"]:
        lines += [
            "## Training",
            "",
            "| candidate | epochs run | best epoch | stopped early | status |",
            "|---|---|---|---|---|",
        ]
        for t in summary["training"]:
            lines.append(
                f"| {_md(t['label'])} | {_md(', '.join(fmt(v) for v in t['epochs_run']))} | "
                f"{_md(', '.join(fmt(v) for v in t['best_epoch']))} | "
                f"{_md(', '.join(fmt(v) for v in t['stopped_early']))} | "
                f"{_md(', '.join(str(v) for v in t['status']))} |"
            )
        lines.append("")
    warned = [t for t in summary["training"] if t.get("warnings")]
    if warned:
        lines += ["## Training warnings", ""]
        for t in warned:
            for w in t["warnings"]:
                where = f"epoch {fmt(w.get('epoch'))}" + (
                    f", batch {fmt(w.get('batch'))}" if w.get("batch") is not None else ""
                )
                lines.append(
                    f"- **{_md(t['label'])}**, seed {_md(fmt(w.get('seed')))}, {where} "
                    f"({_md(w.get('kind'))}): {_md(w.get('message'))}"
                )
        lines.append("")
    return lines


def render_markdown(run: RunData, summary: dict[str, Any]) -> str:
    """``report.md``: the leaderboard and the key facts of the run as Markdown.

    Args:
        run: a loaded run directory.
        summary: :func:`build_summary` of the same run.

    Returns:
        The Markdown text (user text HTML-escaped).

    Example:
        >>> from pathlib import Path
        >>> from losslab.report._run import RunData
        >>> from losslab.report._summary import build_summary
        >>> rows = [{"candidate_id": "huber", "label": "huber", "rank": 1, "mean": 0.91, "median": 0.9,
        ...          "ci_low": 0.88, "ci_high": 0.94, "n_seeds": 3, "is_best": True}]
        >>> run = RunData(path=Path("demo"), manifest={"kind": "compare"}, records=[],
        ...               leaderboard={"primary_metric": "rmse", "direction": "min", "rows": rows})
        >>> text = render_markdown(run, build_summary(run))
        >>> print(text[text.index("## Leaderboard"):text.index("## Training")].strip())
        ## Leaderboard
        <BLANKLINE>
        | rank | candidate | rmse (mean) | median | 95% interval | diff to best | p | verdict | seeds |
        |---:|---|---:|---:|---|---:|---:|:---:|---:|
        | 1 | huber | 0.91 | 0.9 | [0.88, 0.94] | - | - | best | 3 |
    """
    lines = _header(summary)
    for section in (_leaderboard, _recommendations, _tuning, _training):
        lines += section(summary)
    if (run.path / "refit" / "manifest.json").exists():
        lines += [
            "The best configuration of each loss was compared again over seeds: "
            "`refit/report.md`, `refit/report.html`.",
            "",
        ]
    if (run.path / "model" / "card.json").exists():
        lines += ["The refit winner is exported: `model/model.keras` (model card `model/card.md`).", ""]
    if summary["notes"]:
        lines += ["## Notes", ""] + [f"- {_md(n)}" for n in summary["notes"]] + [""]
    lines.append("The full report with plots is `report.html` in the same directory.")
    return "\n".join(lines) + "\n"
