"""The Tuning section of ``report.html``: the best configuration per loss and Optuna's plots."""

from __future__ import annotations

from losslab.report._page import Page, table, td
from losslab.report._run import RunData
from losslab.report._summary import params_text

__all__ = ["section_tune"]


def _best_table(run: RunData) -> str:
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
            [td(k), td(params_text(v if isinstance(v, dict) else {"value": v}))]
            for k, v in best.items()
        ]
        return "<h3>Best parameters</h3>" + table(["loss", "parameters"], rows)
    metric = best.get("primary_metric") or run.primary_metric
    where = best.get("objective") or "validation split"
    sign = 1.0 if best.get("direction", run.direction) == "min" else -1.0
    items = sorted(per_loss.items(), key=lambda kv: sign * float(kv[1].get("value") or 0.0))
    rows = [
        [
            td(label),
            td(b.get("value"), num=True),
            td(b.get("learning_rate"), num=True),
            td(b.get("batch_size"), num=True),
            td(params_text(b.get("loss_params"))),
            td(b.get("trial"), num=True),
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
    return "<h3>Best configuration per loss</h3>" + table(headers, rows)


def section_tune(page: Page, run: RunData) -> None:
    """The tuner's best configurations, a link to the refit comparison, Optuna's plots."""
    from losslab.report._figures import figs_tune

    figs, notes = figs_tune(run)
    run.notes.extend(notes)
    table = _best_table(run)
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
