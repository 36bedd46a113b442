"""The result sections of ``report.html``: leaderboard, training, predictions."""

from __future__ import annotations

from typing import Any

from losslab.report._page import Page, e, table, td
from losslab.report._run import RunData
from losslab.report._summary import fmt, trial_warnings, verdict_mark

__all__ = ["section_diagnostics", "section_leaderboard", "section_training"]


_BADGES = {
    "best": ("best", "best"),
    "best tier": ("near", "near"),
    "≈ best": ("near", "near"),
    "inconclusive": ("unsure", ""),
    "failed": ("bad", ""),
}


def _leaderboard_row(r: dict[str, Any]) -> tuple[list[str], str]:
    """The cells of one leaderboard row and its row class (best, near or none)."""
    verdict = verdict_mark(r)
    badge, cls = _BADGES.get(verdict, ("", ""))
    why = e(r.get("verdict_reason") or "")
    mark = f'<span title="{why}" class="badge {badge}">{e(verdict)}</span>' if badge else ""
    ci = (
        f"[{fmt(r.get('ci_low'))}, {fmt(r.get('ci_high'))}]" if r.get("ci_low") is not None else "-"
    )
    failed = f" ({int(r['n_failed'])} failed)" if r.get("n_failed") else ""
    cells = [
        td(r.get("rank"), num=True),
        td(r.get("label")),
        td(r.get("mean"), num=True),
        td(r.get("median"), num=True),
        f'<td class="num">{ci}</td>',
        td(r.get("std"), num=True),
        td(r.get("diff_to_best"), num=True),
        f'<td class="num">{fmt(r.get("p_value"), 3)}</td>',
        f"<td>{mark}</td>",
        f'<td class="num">{fmt(r.get("n_seeds"))}{e(failed)}</td>',
        td(r.get("epochs_run"), num=True),
    ]
    return cells, cls


def _leaderboard_notes(run: RunData, conf: float) -> str:
    lb = run.leaderboard
    explain = []
    if lb.get("interval"):
        explain.append(f"Intervals: {e(lb['interval'])} ({int(conf * 100)}%).")
    if lb.get("test"):
        explain.append(
            f"“≈ best”: {e(lb['test'])}: the data cannot tell these candidates apart from the best."
        )
    if lb.get("verdicts"):
        explain.append(f"Verdicts: {e(lb['verdicts'])}.")
    if lb.get("seeds_to_separate_top_two"):
        explain.append(
            f"About {int(lb['seeds_to_separate_top_two'])} seeds would separate the top two "
            "(paired t-test at the observed difference and spread, 5% level, 80% power)."
        )
    if run.leaderboard_derived:
        explain.append("No paired tests: leaderboard.json is missing (the run did not finish).")
    return f'<p class="note">{" ".join(explain)}</p>' if explain else ""


def section_leaderboard(page: Page, run: RunData) -> None:
    """The leaderboard table with intervals, paired tests and "≈ best" marks, and its figure."""
    from losslab.report._figures import fig_leaderboard

    lb = run.leaderboard
    if not lb.get("rows"):
        return
    if run.kind == "tune" and run.leaderboard_derived:
        return  # tuning trials are not seeds of one candidate: see the Tuning section
    conf = lb.get("confidence") or 0.95
    metric = run.primary_metric
    headers = [
        "rank", "candidate", f"{metric} mean", "median", f"{int(conf * 100)}% interval", "std",
        "diff to best", "p", "verdict", "seeds", "epochs",
    ]  # fmt: skip
    rows, classes = [], []
    for r in lb.get("rows", []):
        cells, cls = _leaderboard_row(r)
        rows.append(cells)
        classes.append(cls)
    parts = [table(headers, rows, classes)]
    notes = _leaderboard_notes(run, conf)
    if notes:
        parts.append(notes)
    # secondary judge metrics
    names = sorted({k for r in lb.get("rows", []) for k in (r.get("metrics") or {})})
    if names:
        mrows = [
            [td(r.get("label"))] + [td((r.get("metrics") or {}).get(k), num=True) for k in names]
            for r in lb.get("rows", [])
        ]
        parts.append(
            "<details><summary>All judge metrics (mean over seeds, test split)</summary>"
            + table(["candidate", *names], mrows)
            + "</details>"
        )
    fig = fig_leaderboard(run)
    if fig is not None:
        parts.append(page.figure(fig, "leaderboard"))
    page.section("leaderboard", "Leaderboard", "\n".join(parts))


def _warnings_table(run: RunData) -> str:
    """The training watchers' events of every trial, or ``""`` when there are none."""
    warn_rows = []
    for cid in run.candidate_ids():
        for rec in run.trials_of(cid):
            for w in trial_warnings(rec):
                where = fmt(w.get("epoch")) + (
                    f", batch {fmt(w.get('batch'))}" if w.get("batch") is not None else ""
                )
                cells = [run.label(cid), w.get("seed"), where, w.get("kind"), w.get("message")]
                warn_rows.append([td(c) for c in cells])
    if not warn_rows:
        return ""
    return (
        '<h3 id="training-warnings">Training warnings</h3>'
        '<p class="note">What the training watchers noticed (divergence guard: NaN/inf, loss '
        "explosion, loss stuck at its initial value; overfitting monitor when early stopping "
        "does not restore the best weights), with the likely causes.</p>"
        + table(["candidate", "seed", "epoch", "kind", "message"], warn_rows)
    )


def section_training(page: Page, run: RunData) -> None:
    """Loss curves, the spread over seeds, trials that did not finish, training warnings."""
    from losslab.report._figures import fig_loss_curves, fig_seed_spread

    parts = []
    fig = fig_loss_curves(run)
    if fig is not None:
        parts.append(
            '<p class="note">Each candidate is trained with its own loss, so the curves of two '
            "panels are not comparable with each other; the leaderboard compares them on the judge metric.</p>"
        )
        parts.append(page.figure(fig, "loss-curves"))
    fig = fig_seed_spread(run) if run.kind != "tune" else None  # tuning trials are not seeds
    if fig is not None:
        parts.append(page.figure(fig, "seed-spread"))
    bad = [r for r in run.records if r.get("status", "ok") != "ok"]
    if bad:
        rows = [
            [td(r.get("label")), td(r.get("seed")), td(r.get("status")), td(r.get("error"))]
            for r in bad
        ]
        parts.append(
            "<h3>Trials that did not finish</h3>"
            + table(["candidate", "seed", "status", "error"], rows)
        )
    warnings = _warnings_table(run)
    if warnings:
        parts.append(warnings)
    if parts:
        page.section("training", "Training", "\n".join(parts))


def section_diagnostics(page: Page, run: RunData) -> None:
    """Predicted vs actual and residuals (regression) or calibration and confusion (classification)."""
    from losslab.report import _figures as figures
    from losslab.report._figures.common import task_kind_of

    kind = task_kind_of(run)
    if not run.records or kind is None:
        return
    if kind.is_regression:
        plots = (
            (figures.fig_predicted_vs_actual, "predicted-vs-actual"),
            (figures.fig_residuals, "residuals"),
        )
        title = "Predictions"
    elif kind.is_classification:
        plots = ((figures.fig_calibration, "calibration"), (figures.fig_confusion, "confusion"))
        title = "Calibration and confusion"
    else:
        return
    parts = []
    for fn, name in plots:
        fig = fn(run)
        if fig is not None:
            parts.append(page.figure(fig, name))
    if not parts:
        run.notes.append("No stored test predictions (trials/<id>.npz) to plot.")
        return
    page.section("predictions", title, "\n".join(parts))
