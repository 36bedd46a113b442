"""``report.html``: one self-contained file (Plotly's JavaScript and the styles inlined).

The page opens from disk with no network: a Content-Security-Policy forbids every
request but inline scripts, inline styles and ``data:`` images. All user-provided text
(column names, class names, loss labels, reasons) is HTML-escaped.
"""

from __future__ import annotations

import html
from typing import Any

from losslab.report._run import CLASSIFICATION_KINDS, REGRESSION_KINDS, RunData
from losslab.report._summary import fmt, params_text, trial_warnings

__all__ = ["render_html"]

_CSP = (
    "default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; "
    "img-src data: blob:; font-src data:; connect-src 'none'"
)

_CSS = """
:root { --fg:#1f2328; --muted:#59636e; --line:#d1d9e0; --bg:#f6f8fa; --best:#1a7f37; --near:#2f81f7; }
* { box-sizing: border-box; }
body { font: 15px/1.5 -apple-system, "Segoe UI", Helvetica, Arial, sans-serif; color: var(--fg);
       margin: 0; background: #fff; }
header { background: #0d1117; color: #f0f6fc; padding: 18px 32px; }
header h1 { margin: 0 0 4px; font-size: 22px; }
header .meta { color: #9198a1; font-size: 13px; }
nav { position: sticky; top: 0; background: #fff; border-bottom: 1px solid var(--line);
      padding: 8px 32px; z-index: 10; font-size: 14px; }
nav a { margin-right: 16px; color: #0969da; text-decoration: none; }
main { padding: 8px 32px 48px; max-width: 1280px; }
section { margin-top: 28px; }
h2 { font-size: 19px; border-bottom: 1px solid var(--line); padding-bottom: 4px; }
h3 { font-size: 16px; margin-bottom: 6px; }
table { border-collapse: collapse; margin: 8px 0 12px; font-size: 13.5px; }
th, td { border: 1px solid var(--line); padding: 4px 9px; text-align: left; vertical-align: top; }
th { background: var(--bg); }
td.num { text-align: right; font-variant-numeric: tabular-nums; }
tr.best td { background: #dafbe1; }
tr.near td { background: #ddf4ff; }
.badge { display: inline-block; padding: 0 7px; border-radius: 10px; font-size: 12px; color: #fff; }
.badge.best { background: var(--best); } .badge.near { background: var(--near); }
.badge.bad { background: #cf222e; }
.cards { display: flex; flex-wrap: wrap; gap: 12px; margin: 10px 0; }
.card { border: 1px solid var(--line); border-radius: 6px; padding: 8px 14px; background: var(--bg); }
.card .k { color: var(--muted); font-size: 12px; } .card .v { font-size: 17px; font-weight: 600; }
.note { color: var(--muted); font-size: 13.5px; }
.warn { border-left: 4px solid #bf8700; background: #fff8c5; padding: 6px 12px; margin: 8px 0; }
figure.plot { margin: 10px 0 18px; border: 1px solid var(--line); border-radius: 6px; padding: 4px; }
details summary { cursor: pointer; color: #0969da; }
code { background: var(--bg); padding: 1px 4px; border-radius: 4px; font-size: 13px; }
footer { color: var(--muted); font-size: 12px; padding: 16px 32px; border-top: 1px solid var(--line); }
"""


def e(value: Any) -> str:
    """HTML-escape any value (``-`` for ``None``)."""
    return "-" if value is None else html.escape(str(value), quote=True)


class _Page:
    """Collects sections and figures; figure ids are sequential."""

    def __init__(self) -> None:
        self.parts: list[str] = []
        self.nav: list[tuple[str, str]] = []
        self.n_plots = 0

    def section(self, sid: str, title: str, body: str) -> None:
        self.nav.append((sid, title))
        self.parts.append(f'<section id="{sid}"><h2>{e(title)}</h2>\n{body}\n</section>')

    def figure(self, fig: Any, name: str) -> str:
        self.n_plots += 1
        div = fig.to_html(
            full_html=False,
            include_plotlyjs=False,
            div_id=f"plot-{self.n_plots}",
            config={"displaylogo": False, "responsive": True},
        )
        return f'<figure class="plot" data-plot="{e(name)}">{div}</figure>'


def _table(headers: list[str], rows: list[list[str]], row_classes: list[str] | None = None) -> str:
    """Cells are already-escaped HTML; headers are escaped here."""
    head = "".join(f"<th>{e(h)}</th>" for h in headers)
    body = []
    for i, r in enumerate(rows):
        cls = f' class="{row_classes[i]}"' if row_classes and row_classes[i] else ""
        body.append(f"<tr{cls}>" + "".join(r) + "</tr>")
    return f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table>"


def _td(value: Any, num: bool = False) -> str:
    text = fmt(value) if num else e(value)
    return f'<td class="num">{text}</td>' if num else f"<td>{text}</td>"


def _card(k: str, v: Any) -> str:
    return f'<div class="card"><div class="k">{e(k)}</div><div class="v">{e(v)}</div></div>'


def _section_data(page: _Page, run: RunData) -> None:
    from losslab.report._figures import fig_target

    data = run.manifest.get("data") or {}
    task = run.task
    goal = run.goal
    rec = run.recommendation or {}
    profile = rec.get("profile") if isinstance(rec.get("profile"), dict) else None
    parts = ['<div class="cards">']
    parts += [
        _card("data", data.get("source")),
        _card("target", data.get("target")),
        _card("rows", fmt(data.get("n_rows"))),
        _card("features", fmt(data.get("n_features"))),
        _card("task", task.get("kind") or run.task_kind),
        _card(
            "goal",
            (goal.get("kind") or "-")
            + (f" q={goal['quantile']}" if goal.get("quantile") is not None else ""),
        ),
        _card(
            "judge metric",
            f"{run.primary_metric} ({'lower' if run.direction == 'min' else 'higher'} is better)",
        ),
    ]
    parts.append("</div>")
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
        for w in profile.get("warnings") or []:
            parts.append(f'<div class="warn">{e(w)}</div>')
        for leak in profile.get("leakage") or []:
            parts.append(
                f'<div class="warn">Possible leakage: column <code>{e(leak.get("column"))}</code>: '
                f"{e(leak.get('reason'))}</div>"
            )
        targets = profile.get("targets") or []
        if targets:
            keys = [
                "name", "kind", "count", "missing_share", "n_distinct", "mean", "std", "min", "median",
                "max", "skewness", "excess_kurtosis", "outlier_share_mad", "zero_share",
                "imbalance_ratio",
            ]  # fmt: skip
            keys = [k for k in keys if any(tp.get(k) is not None for tp in targets)]
            rows = [[_td(tp.get(k), num=k not in ("name", "kind")) for k in keys] for tp in targets]
            parts.append("<h3>Target</h3>" + _table(keys, rows))
        feats = profile.get("features") or []
        if feats:
            keys = [
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
            rows = [
                [_td(f.get(k), num=k not in ("name", "kind", "dtype")) for k in keys] for f in feats
            ]
            sampled = " (order statistics on a sample)" if profile.get("sampled") else ""
            parts.append(
                f"<details open><summary>Features ({len(feats)}){e(sampled)}</summary>"
                + _table(keys, rows)
                + "</details>"
            )
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


def _section_recommendations(page: _Page, run: RunData) -> None:
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
            _td(c.get("loss")),
            _td(params_text(c.get("params"))),
            _td(c.get("score"), num=True),
            _td(c.get("reason")),
        ]
        for i, c in enumerate(rec["candidates"], 1)
    ]
    notes = "".join(f"<li>{e(n)}</li>" for n in rec.get("notes") or [])
    body = head + _table(["#", "loss", "params", "score", "why"], rows)
    if notes:
        body += f'<ul class="note">{notes}</ul>'
    page.section("recommendations", "Recommendations", body)


def _section_leaderboard(page: _Page, run: RunData) -> None:
    from losslab.report._figures import fig_leaderboard

    lb = run.leaderboard
    if not lb.get("rows"):
        return
    if run.kind == "tune" and run.leaderboard_derived:
        return  # tuning trials are not seeds of one candidate: see the Tuning section
    conf = lb.get("confidence") or 0.95
    metric = run.primary_metric
    headers = [
        "rank",
        "candidate",
        f"{metric} mean",
        f"{int(conf * 100)}% interval",
        "std",
        "diff to best",
        "p",
        "",
        "seeds",
        "epochs",
    ]
    rows, classes = [], []
    for r in lb.get("rows", []):
        if r.get("is_best"):
            mark, cls = '<span class="badge best">best</span>', "best"
        elif r.get("indistinguishable_from_best"):
            mark, cls = '<span class="badge near">≈ best</span>', "near"
        elif r.get("mean") is None:
            mark, cls = '<span class="badge bad">failed</span>', ""
        else:
            mark, cls = "", ""
        ci = (
            f"[{fmt(r.get('ci_low'))}, {fmt(r.get('ci_high'))}]"
            if r.get("ci_low") is not None
            else "-"
        )
        failed = f" ({int(r['n_failed'])} failed)" if r.get("n_failed") else ""
        rows.append(
            [
                _td(r.get("rank"), num=True),
                _td(r.get("label")),
                _td(r.get("mean"), num=True),
                f'<td class="num">{ci}</td>',
                _td(r.get("std"), num=True),
                _td(r.get("diff_to_best"), num=True),
                f'<td class="num">{fmt(r.get("p_value"), 3)}</td>',
                f"<td>{mark}</td>",
                f'<td class="num">{fmt(r.get("n_seeds"))}{e(failed)}</td>',
                _td(r.get("epochs_run"), num=True),
            ]
        )
        classes.append(cls)
    parts = [_table(headers, rows, classes)]
    explain = []
    if lb.get("interval"):
        explain.append(f"Intervals: {e(lb['interval'])} ({int(conf * 100)}%).")
    if lb.get("test"):
        explain.append(
            f"“≈ best”: {e(lb['test'])}: the data cannot tell these candidates apart from the best."
        )
    if run.leaderboard_derived:
        explain.append("No paired tests: leaderboard.json is missing (the run did not finish).")
    if explain:
        parts.append(f'<p class="note">{" ".join(explain)}</p>')
    # secondary judge metrics
    names = sorted({k for r in lb.get("rows", []) for k in (r.get("metrics") or {})})
    if names:
        mrows = [
            [_td(r.get("label"))] + [_td((r.get("metrics") or {}).get(k), num=True) for k in names]
            for r in lb.get("rows", [])
        ]
        parts.append(
            "<details><summary>All judge metrics (mean over seeds, test split)</summary>"
            + _table(["candidate", *names], mrows)
            + "</details>"
        )
    fig = fig_leaderboard(run)
    if fig is not None:
        parts.append(page.figure(fig, "leaderboard"))
    page.section("leaderboard", "Leaderboard", "\n".join(parts))


def _section_training(page: _Page, run: RunData) -> None:
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
            [_td(r.get("label")), _td(r.get("seed")), _td(r.get("status")), _td(r.get("error"))]
            for r in bad
        ]
        parts.append(
            "<h3>Trials that did not finish</h3>"
            + _table(["candidate", "seed", "status", "error"], rows)
        )
    warn_rows = []
    for cid in run.candidate_ids():
        for rec in run.trials_of(cid):
            for w in trial_warnings(rec):
                where = fmt(w.get("epoch")) + (
                    f", batch {fmt(w.get('batch'))}" if w.get("batch") is not None else ""
                )
                cells = [run.label(cid), w.get("seed"), where, w.get("kind"), w.get("message")]
                warn_rows.append([_td(c) for c in cells])
    if warn_rows:
        parts.append(
            '<h3 id="training-warnings">Training warnings</h3>'
            '<p class="note">What the training watchers noticed (divergence guard: NaN/inf, loss '
            "explosion, loss stuck at its initial value; overfitting monitor when early stopping "
            "does not restore the best weights), with the likely causes.</p>"
            + _table(["candidate", "seed", "epoch", "kind", "message"], warn_rows)
        )
    if parts:
        page.section("training", "Training", "\n".join(parts))


def _section_diagnostics(page: _Page, run: RunData) -> None:
    from losslab.report import _figures as F

    if not run.records:
        return
    parts = []
    if run.task_kind in REGRESSION_KINDS:
        for fn, name in (
            (F.fig_predicted_vs_actual, "predicted-vs-actual"),
            (F.fig_residuals, "residuals"),
        ):
            fig = fn(run)
            if fig is not None:
                parts.append(page.figure(fig, name))
        title = "Predictions"
    elif run.task_kind in CLASSIFICATION_KINDS:
        for fn, name in ((F.fig_calibration, "calibration"), (F.fig_confusion, "confusion")):
            fig = fn(run)
            if fig is not None:
                parts.append(page.figure(fig, name))
        title = "Calibration and confusion"
    else:
        return
    if not parts:
        run.notes.append("No stored test predictions (trials/<id>.npz) to plot.")
        return
    page.section("predictions", title, "\n".join(parts))


def _tune_best_table(run: RunData) -> str:
    """The tuner's best configuration per loss (``tune/best.json``)."""
    import json

    path = run.path / "tune" / "best.json"
    if not path.exists():
        return ""
    try:
        best = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        run.notes.append("tune/best.json could not be read.")
        return ""
    per_loss = best.get("best") if isinstance(best.get("best"), dict) else None
    if per_loss is None:  # a plain {loss: params} mapping
        rows = [
            [_td(k), _td(params_text(v if isinstance(v, dict) else {"value": v}))]
            for k, v in best.items()
        ]
        return "<h3>Best parameters</h3>" + _table(["loss", "parameters"], rows)
    metric = best.get("primary_metric") or run.primary_metric
    where = best.get("objective") or "validation split"
    sign = 1.0 if best.get("direction", run.direction) == "min" else -1.0
    items = sorted(per_loss.items(), key=lambda kv: sign * float(kv[1].get("value") or 0.0))
    rows = [
        [
            _td(label),
            _td(b.get("value"), num=True),
            _td(b.get("learning_rate"), num=True),
            _td(b.get("batch_size"), num=True),
            _td(params_text(b.get("loss_params"))),
            _td(b.get("trial"), num=True),
        ]
        for label, b in items
    ]
    headers = [
        "loss",
        f"{metric} ({where})",
        "learning rate",
        "batch size",
        "loss parameters",
        "trial",
    ]
    return "<h3>Best configuration per loss</h3>" + _table(headers, rows)


def _section_tune(page: _Page, run: RunData) -> None:
    from losslab.report._figures import figs_tune

    figs, notes = figs_tune(run)
    run.notes.extend(notes)
    table = _tune_best_table(run)
    if not figs and not table:
        return
    parts = [table] if table else []
    refit = run.path / "refit"
    if (refit / "manifest.json").exists():
        parts.append(
            "<p>The best configuration of each loss was compared again over seeds on the test "
            'split: <a href="refit/report.html">refit/report.html</a>.</p>'
        )
    if figs:
        parts.append(
            '<p class="note">Plots by Optuna (optuna.visualization) from tune/journal.log.</p>'
        )
        parts += [page.figure(fig, "tune") for _title, fig in figs]
    page.section("tuning", "Tuning", "\n".join(parts))


def render_html(run: RunData) -> str:
    """The complete self-contained ``report.html`` of a run.

    Args:
        run: a loaded run directory.

    Returns:
        The HTML text (Plotly's JavaScript inlined; user text escaped).

    Example:
        >>> from losslab.report._run import load_run
        >>> html_text = render_html(load_run("runs/demo"))  # doctest: +SKIP
    """
    from plotly.offline import get_plotlyjs

    page = _Page()
    _section_data(page, run)
    _section_recommendations(page, run)
    _section_leaderboard(page, run)
    _section_training(page, run)
    _section_diagnostics(page, run)
    _section_tune(page, run)
    if run.notes:
        page.section(
            "notes", "Notes", "<ul>" + "".join(f"<li>{e(n)}</li>" for n in run.notes) + "</ul>"
        )
    data = run.manifest.get("data") or {}
    env = run.manifest.get("environment") or {}
    title = f"losslab {run.kind} report: {data.get('source') or run.path.name}"
    nav = "".join(f'<a href="#{sid}">{e(t)}</a>' for sid, t in page.nav)
    meta = (
        f"target <b>{e(data.get('target'))}</b> · task <b>{e(run.task_kind)}</b> · "
        f"{len(run.records)} trials · created {e(run.manifest.get('created'))} · run dir {e(run.path.name)}"
    )
    footer = (
        "Rendered from the run directory alone by losslab "
        + e(env.get("losslab", ""))
        + (f" · backend {e(env.get('backend'))} · keras {e(env.get('keras'))}" if env else "")
    )
    return (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        f'<meta http-equiv="Content-Security-Policy" content="{_CSP}">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{e(title)}</title><style>{_CSS}</style>"
        f'<script type="text/javascript">{get_plotlyjs()}</script></head>\n<body>'
        f'<header><h1>{e(title)}</h1><div class="meta">{meta}</div></header>'
        f"<nav>{nav}</nav><main>\n"
        + "\n".join(page.parts)
        + f"\n</main><footer>{footer}</footer></body></html>\n"
    )
