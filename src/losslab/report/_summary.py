"""``summary.json`` and ``report.md``: the run in a machine-readable and a plain-text form."""

from __future__ import annotations

import html
import math
from typing import Any

from losslab.report._run import RunData

__all__ = ["build_summary", "fmt", "params_text", "render_markdown", "trial_warnings"]

SUMMARY_FORMAT_VERSION = 1


def fmt(value: Any, digits: int = 4) -> str:
    """A number for a table cell (``-`` for missing, ``g`` format otherwise)."""
    if value is None:
        return "-"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if not math.isfinite(value):
            return str(value)
        return f"{value:.{digits}g}"
    return str(value)


def params_text(params: dict[str, Any] | None) -> str:
    """``delta=2, reduction=...`` (or ``-``)."""
    if not params:
        return "-"
    return ", ".join(f"{k}={fmt(v) if isinstance(v, float) else v}" for k, v in params.items())


def _trial_counts(run: RunData) -> dict[str, int]:
    counts = {"total": len(run.records), "ok": 0, "nan": 0, "failed": 0}
    for rec in run.records:
        status = str(rec.get("status", "ok"))
        counts[status] = counts.get(status, 0) + 1
    return counts


_EVENT_KEYS = ("source", "kind", "epoch", "batch", "message", "causes")


def trial_warnings(rec: dict[str, Any]) -> list[dict[str, Any]]:
    """The training watchers' events of one trial record, as shown in the report.

    Args:
        rec: a stored trial record (a record without ``events`` has none).

    Returns:
        ``[{"trial_id", "seed", "source", "kind", "epoch", "batch", "message", "causes"}]``,
        in epoch order; events that are not dicts are skipped.

    Example:
        >>> trial_warnings({"trial_id": "mse--seed0", "seed": 0})
        []
    """
    out = []
    for ev in rec.get("events") or []:
        if not isinstance(ev, dict):
            continue
        item = {"trial_id": rec.get("trial_id"), "seed": rec.get("seed")}
        item.update({k: ev.get(k) for k in _EVENT_KEYS})
        item["causes"] = [str(c) for c in item["causes"] or []]
        out.append(item)
    return out


def _training(run: RunData) -> list[dict[str, Any]]:
    out = []
    for cid in run.candidate_ids():
        recs = run.trials_of(cid)
        warnings = [w for r in recs for w in trial_warnings(r)]
        out.append(
            {
                "candidate_id": cid,
                "label": run.label(cid),
                "seeds": [r.get("seed") for r in recs],
                "epochs_run": [r.get("epochs_run") for r in recs],
                "best_epoch": [r.get("best_epoch") for r in recs],
                "stopped_early": [r.get("stopped_early") for r in recs],
                "status": [r.get("status") for r in recs],
                "errors": [r.get("error") for r in recs if r.get("error")],
                "warnings": warnings,
            }
        )
    return out


def build_summary(run: RunData, files: dict[str, str] | None = None) -> dict[str, Any]:
    """The content of ``summary.json``.

    Args:
        run: a loaded run directory.
        files: names of the report files written next to it.

    Returns:
        A JSON-ready dict: run identity, task, goal, primary metric and direction, the
        leaderboard rows, the best candidate, the candidates indistinguishable from it,
        trial counts, training summary per candidate, the advisor's top candidates, the
        tuner's best parameters and notes.

    Example:
        A run is usually read with ``losslab.report.load_run(run_dir)``; here one is built
        from a leaderboard alone:

        >>> from pathlib import Path
        >>> from losslab.report._run import RunData
        >>> rows = [
        ...     {"candidate_id": "huber", "label": "huber", "rank": 1, "mean": 0.91, "is_best": True},
        ...     {"candidate_id": "mse", "label": "mse", "rank": 2, "mean": 0.95,
        ...      "indistinguishable_from_best": True},
        ... ]
        >>> run = RunData(path=Path("demo"), manifest={"kind": "compare"}, records=[],
        ...               leaderboard={"primary_metric": "rmse", "direction": "min", "rows": rows})
        >>> summary = build_summary(run)
        >>> summary["best"]["label"], summary["indistinguishable_from_best"]
        ('huber', ['mse'])
        >>> summary["primary_metric"], summary["direction"], summary["trials"]
        ('rmse', 'min', {'total': 0, 'ok': 0, 'nan': 0, 'failed': 0})
    """
    rows = list(run.leaderboard.get("rows", []))
    best = next((r for r in rows if r.get("is_best")), None)
    rec = run.recommendation
    tune_best = None
    best_json = run.path / "tune" / "best.json"
    if best_json.exists():
        import json

        try:
            tune_best = json.loads(best_json.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            run.notes.append("tune/best.json could not be read.")
    data = run.manifest.get("data") or {}
    return {
        "format": "losslab-report-summary",
        "format_version": SUMMARY_FORMAT_VERSION,
        "run_dir": str(run.path),
        "kind": run.kind,
        "created": run.manifest.get("created"),
        "data": {
            k: data.get(k) for k in ("source", "target", "n_rows", "n_features", "fingerprint")
        },
        "task": run.task,
        "goal": run.goal,
        "primary_metric": run.primary_metric,
        "direction": run.direction,
        "confidence": run.leaderboard.get("confidence"),
        "interval": run.leaderboard.get("interval"),
        "test": run.leaderboard.get("test"),
        "leaderboard_derived": run.leaderboard_derived,
        "leaderboard": rows,
        "best": (
            None
            if best is None
            else {
                k: best.get(k)
                for k in ("candidate_id", "label", "loss", "params", "mean", "ci_low", "ci_high")
            }
        ),
        "indistinguishable_from_best": [
            r.get("label") for r in rows if r.get("indistinguishable_from_best")
        ],
        "trials": _trial_counts(run),
        "training": _training(run),
        "recommendation": (
            None
            if rec is None
            else {
                "task": (rec.get("task") or {}).get("kind"),
                "goal": rec.get("goal"),
                "judge_metric": rec.get("judge_metric"),
                "candidates": [
                    {k: c.get(k) for k in ("loss", "params", "score", "reason")}
                    for c in rec.get("candidates", [])
                ],
            }
        ),
        "tune": tune_best,
        "environment": run.manifest.get("environment"),
        "notes": list(run.notes),
        "files": files or {},
    }


def _md(text: Any) -> str:
    """User text for a Markdown table cell: HTML-escaped, pipes and newlines neutralised."""
    s = html.escape(str(text), quote=False)
    return s.replace("|", "\\|").replace("\n", " ").replace("`", "\\`")


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
        >>> rows = [{"candidate_id": "huber", "label": "huber", "rank": 1, "mean": 0.91,
        ...          "ci_low": 0.88, "ci_high": 0.94, "n_seeds": 3, "is_best": True}]
        >>> run = RunData(path=Path("demo"), manifest={"kind": "compare"}, records=[],
        ...               leaderboard={"primary_metric": "rmse", "direction": "min", "rows": rows})
        >>> text = render_markdown(run, build_summary(run))
        >>> print(text[text.index("## Leaderboard"):text.index("## Training")].strip())
        ## Leaderboard
        <BLANKLINE>
        | rank | candidate | rmse (mean) | 95% interval | diff to best | p | ≈ best | seeds |
        |---:|---|---:|---|---:|---:|:---:|---:|
        | 1 | huber | 0.91 | [0.88, 0.94] | - | - | best | 3 |
    """
    data = summary["data"]
    task = summary["task"] or {}
    goal = summary["goal"] or {}
    lines = [
        f"# losslab {_md(summary['kind'])} report",
        "",
        f"- Data: `{_md(data.get('source'))}`, target `{_md(data.get('target'))}`, "
        f"{fmt(data.get('n_rows'))} rows, {fmt(data.get('n_features'))} features",
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
        f"- Trials: {summary['trials']['ok']} ok of {summary['trials']['total']}"
        + (f", {summary['trials'].get('nan', 0)} NaN" if summary["trials"].get("nan") else "")
        + (
            f", {summary['trials'].get('failed', 0)} failed"
            if summary["trials"].get("failed")
            else ""
        ),
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
    show_board = bool(summary["leaderboard"]) and not (
        summary["kind"] == "tune" and summary["leaderboard_derived"]
    )
    if show_board:
        conf = summary.get("confidence") or 0.95
        lines += [
            "## Leaderboard",
            "",
            f"| rank | candidate | {_md(summary['primary_metric'])} (mean) | {int(conf * 100)}% interval "
            "| diff to best | p | ≈ best | seeds |",
            "|---:|---|---:|---|---:|---:|:---:|---:|",
        ]
        for r in summary["leaderboard"]:
            ci = (
                f"[{fmt(r.get('ci_low'))}, {fmt(r.get('ci_high'))}]"
                if r.get("ci_low") is not None
                else "-"
            )
            mark = (
                "best"
                if r.get("is_best")
                else ("≈" if r.get("indistinguishable_from_best") else "")
            )
            failed = f" ({r['n_failed']} failed)" if r.get("n_failed") else ""
            lines.append(
                f"| {fmt(r.get('rank'))} | {_md(r.get('label'))} | {fmt(r.get('mean'))} | {ci} | "
                f"{fmt(r.get('diff_to_best'))} | {fmt(r.get('p_value'), 3)} | {mark} | "
                f"{fmt(r.get('n_seeds'))}{failed} |"
            )
        lines.append("")
        if summary.get("interval"):
            lines.append(f"Intervals: {_md(summary['interval'])}.")
        if summary.get("test"):
            lines.append(f"≈ best: {_md(summary['test'])}.")
        lines.append("")
    rec = summary.get("recommendation")
    if rec and rec.get("candidates"):
        lines += ["## Recommendations", "", "| loss | params | score | why |", "|---|---|---:|---|"]
        for c in rec["candidates"]:
            lines.append(
                f"| {_md(c.get('loss'))} | {_md(params_text(c.get('params')))} | "
                f"{fmt(c.get('score'), 3)} | {_md(c.get('reason'))} |"
            )
        lines.append("")
    tune = summary.get("tune")
    if isinstance(tune, dict) and tune:
        lines += ["## Tuning", ""]
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
    if (run.path / "refit" / "manifest.json").exists():
        lines += [
            "The best configuration of each loss was compared again over seeds: "
            "`refit/report.md`, `refit/report.html`.",
            "",
        ]
    if summary["notes"]:
        lines += ["## Notes", ""] + [f"- {_md(n)}" for n in summary["notes"]] + [""]
    lines.append("The full report with plots is `report.html` in the same directory.")
    return "\n".join(lines) + "\n"
