"""The first sections of ``report.html``: data and task, the advisor's recommendations."""

from __future__ import annotations

from typing import Any

from losslab.report._page import Page, card, e, table, td
from losslab.report._run import RunData
from losslab.report._summary import fmt, params_text

__all__ = ["sample_sentence", "section_data", "section_recommendations"]

_TARGET_KEYS = [
    "name", "kind", "count", "missing_share", "n_distinct", "mean", "std", "min", "median",
    "max", "skewness", "excess_kurtosis", "outlier_share_mad", "zero_share", "imbalance_ratio",
]  # fmt: skip
_FEATURE_KEYS = [
    "name",
    "kind",
    "dtype",
    "missing_share",
    "n_distinct",
    "mean",
    "std",
    "min",
    "max",
]
_TEXT_KEYS = ("name", "kind", "dtype")


def _sampled_of(data: dict[str, Any]) -> str:
    sample = data.get("sample")
    return f" (sample of {sample['of_rows']:,})" if sample else ""


def sample_sentence(data: dict[str, Any]) -> str | None:
    """"Compared on a sample: ..." for a sampled run (report and Markdown), else None."""
    if not data.get("sample"):
        return None
    from losslab.experiment.sampling import SampleInfo

    return (
        f"Compared on a sample: {SampleInfo.from_dict(data['sample']).message()}. "
        "Refit (losslab refit RUN_DIR, or --refit) trains the winner on all rows out of core."
    )


def _cards(run: RunData) -> str:
    data = run.manifest.get("data") or {}
    goal = run.goal
    quantile = f" q={goal['quantile']}" if goal.get("quantile") is not None else ""
    better = "lower" if run.direction == "min" else "higher"
    cards = [
        card("data", data.get("source")),
        card("target", data.get("target")),
        card("rows", fmt(data.get("n_rows")) + _sampled_of(data)),
        card("features", fmt(data.get("n_features"))),
        card("task", run.task.get("kind") or run.task_kind),
        card("goal", (goal.get("kind") or "-") + quantile),
        card("judge metric", f"{run.primary_metric} ({better} is better)"),
    ]
    return '<div class="cards">' + "".join(f"\n{c}" for c in cards) + "\n</div>"


def _profile_parts(profile: dict[str, Any]) -> list[str]:
    """Warnings, possible leakage, the target and feature tables of the data profile."""
    parts = [f'<div class="warn">{e(w)}</div>' for w in profile.get("warnings") or []]
    for leak in profile.get("leakage") or []:
        parts.append(
            f'<div class="warn">Possible leakage: column <code>{e(leak.get("column"))}</code>: '
            f"{e(leak.get('reason'))}</div>"
        )
    targets = profile.get("targets") or []
    if targets:
        keys = [k for k in _TARGET_KEYS if any(tp.get(k) is not None for tp in targets)]
        rows = [[td(tp.get(k), num=k not in _TEXT_KEYS) for k in keys] for tp in targets]
        parts.append("<h3>Target</h3>" + table(keys, rows))
    feats = profile.get("features") or []
    if feats:
        rows = [[td(f.get(k), num=k not in _TEXT_KEYS) for k in _FEATURE_KEYS] for f in feats]
        sampled = " (order statistics on a sample)" if profile.get("sampled") else ""
        parts.append(
            f"<details open><summary>Features ({len(feats)}){e(sampled)}</summary>"
            + table(_FEATURE_KEYS, rows)
            + "</details>"
        )
    return parts


def section_data(page: Page, run: RunData) -> None:
    """Data and task: summary cards, classes, why this task, the data profile, the split."""
    from losslab.report._figures import fig_target

    data = run.manifest.get("data") or {}
    task = run.task
    rec = run.recommendation or {}
    profile = rec.get("profile") if isinstance(rec.get("profile"), dict) else None
    parts = [_cards(run)]
    sampled = sample_sentence(data)
    if sampled:
        parts.append(f'<div class="warn">{e(sampled)}</div>')
    if task.get("classes"):
        parts.append(
            f"<p>Classes: {', '.join(f'<code>{e(c)}</code>' for c in task['classes'])}</p>"
        )
    reasons = task.get("reasons") or ((rec.get("task") or {}).get("reasons") if rec else None) or []
    if reasons:
        parts.append(
            "<h3>Why this task</h3><ul>" + "".join(f"<li>{e(r)}</li>" for r in reasons) + "</ul>"
        )
    if profile:
        parts += _profile_parts(profile)
    else:
        cols = data.get("columns") or (run.preprocess or {}).get("features") or []
        if cols:
            parts.append(
                "<details><summary>Columns</summary><p>"
                + ", ".join(f"<code>{e(c)}</code>" for c in cols)
                + "</p></details>"
            )
    if run.preprocess and run.preprocess.get("preprocessing"):
        parts.append(
            f'<p class="note">Preprocessing (fit on the training split): {e(run.preprocess["preprocessing"])}</p>'
        )
    split = (run.manifest.get("config") or {}).get("split") or {}
    if split:
        parts.append(
            '<p class="note">Split: '
            + ", ".join(f"{e(k)}={e(v)}" for k, v in split.items() if v is not None)
            + "</p>"
        )
    fig = fig_target(run)
    if fig is not None:
        parts.append(page.figure(fig, "target"))
    page.section("data", "Data and task", "\n".join(parts))


def section_recommendations(page: Page, run: RunData) -> None:
    """The advisor's ranked candidates with their reasons (when the run stores them)."""
    rec = run.recommendation
    if not rec or not rec.get("candidates"):
        return
    goal = rec.get("goal") or {}
    head = (
        f"<p>The advisor recommends for a <b>{e((rec.get('task') or {}).get('kind'))}</b> task with goal "
        f"<b>{e(goal.get('kind'))}</b>"
        + (f" (q={e(goal.get('quantile'))})" if goal.get("quantile") is not None else "")
        + f", judged by <b>{e(rec.get('judge_metric'))}</b>:</p>"
    )
    rows = [
        [
            f"<td>{i}</td>",
            td(c.get("loss")),
            td(params_text(c.get("params"))),
            td(c.get("score"), num=True),
            td(c.get("reason")),
        ]
        for i, c in enumerate(rec["candidates"], 1)
    ]
    notes = "".join(f"<li>{e(n)}</li>" for n in rec.get("notes") or [])
    body = head + table(["#", "loss", "params", "score", "why"], rows)
    if notes:
        body += f'<ul class="note">{notes}</ul>'
    page.section("recommendations", "Recommendations", body)
