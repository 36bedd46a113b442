"""An experiment's leaderboard as an HTML fragment (``Results._repr_html_`` in a notebook)."""

from __future__ import annotations

from typing import Any

from losslab._html import escape, html_table, number

__all__ = ["results_html"]


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
            escape(r.get("rank") or "-"),
            escape(r["label"]),
            number(r.get("mean")),
            f"[{number(r.get('ci_low'))}, {number(r.get('ci_high'))}]",
            number(r.get("diff_to_best")),
            number(r.get("p_value")),
            "yes" if r.get("indistinguishable_from_best") else "no",
            f"{r.get('n_seeds', '-')}"
            + (f" ({r['n_failed']} failed)" if r.get("n_failed") else ""),
            number(r.get("epochs_run")),
        )
        for r in results.rows
    ]
    title = (
        f"<b>losslab {escape(m.get('kind', 'compare'))}</b>: {escape(m.get('task', {}).get('kind', '?'))} task, "
        f"judged by <b>{escape(metric)}</b> on the test split ({direction} is better), "
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
        f"t-test over seeds, p &ge; 0.05). Run directory: <code>{escape(results.run_dir)}</code> "
        "(report.html, trials, histories).</div>"
    )
    return f"<div>{title}{html_table(header, rows, bold_first_row=True)}{note}</div>"
