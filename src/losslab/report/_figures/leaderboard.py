"""The leaderboard as a figure (mean and interval per candidate) and the spread over seeds."""

from __future__ import annotations

from typing import Any

from losslab.report._figures.common import color, layout, t
from losslab.report._run import RunData
from losslab.report._summary import verdict_mark

__all__ = ["fig_leaderboard", "fig_seed_spread"]


def fig_leaderboard(run: RunData) -> Any | None:
    """Mean of the judge metric with its interval per candidate; best, best tier and inconclusive colored."""
    import plotly.graph_objects as go

    rows = [r for r in run.leaderboard.get("rows", []) if r.get("mean") is not None]
    if not rows:
        return None
    rows = rows[::-1]  # best on top
    labels = [t(r.get("label")) for r in rows]
    mean = [float(r["mean"]) for r in rows]
    lo = [
        float(r["ci_low"]) if r.get("ci_low") is not None else m
        for r, m in zip(rows, mean, strict=True)
    ]
    hi = [
        float(r["ci_high"]) if r.get("ci_high") is not None else m
        for r, m in zip(rows, mean, strict=True)
    ]
    palette = {
        "best": "#1a7f37",
        "best tier": "#2f81f7",
        "≈ best": "#2f81f7",
        "inconclusive": "#9a6700",
    }
    colors = [palette.get(verdict_mark(r), "#8c959f") for r in rows]
    fig = go.Figure(
        go.Scatter(
            x=mean,
            y=labels,
            mode="markers",
            marker={"size": 11, "color": colors},
            error_x={
                "type": "data",
                "symmetric": False,
                "array": [h - m for h, m in zip(hi, mean, strict=True)],
                "arrayminus": [m - low for m, low in zip(mean, lo, strict=True)],
                "thickness": 2,
            },
            customdata=[[lo_, hi_] for lo_, hi_ in zip(lo, hi, strict=True)],
            hovertemplate="%{y}<br>mean %{x:.4g}<br>interval [%{customdata[0]:.4g}, %{customdata[1]:.4g}]<extra></extra>",
            showlegend=False,
        )
    )
    best = next((r for r in rows if r.get("is_best")), None)
    if best is not None:
        fig.add_vline(x=float(best["mean"]), line_dash="dot", line_color="#1a7f37")
    metric = t(run.primary_metric)
    better = "lower" if run.direction == "min" else "higher"
    return layout(
        fig,
        f"{metric} on the test split ({better} is better): mean and interval over seeds",
        height=max(260, 70 + 36 * len(rows)),
        xaxis_title=metric,
    )


def fig_seed_spread(run: RunData) -> Any | None:
    """The judge metric of every seed, per candidate (box with every point)."""
    import plotly.graph_objects as go

    fig = go.Figure()
    n = 0
    for i, cid in enumerate(run.candidate_ids()):
        recs = [
            r
            for r in run.trials_of(cid)
            if r.get("primary") is not None and r.get("status", "ok") == "ok"
        ]
        if not recs:
            continue
        n += 1
        fig.add_trace(
            go.Box(
                y=[float(r["primary"]) for r in recs],
                name=t(run.label(cid)),
                boxpoints="all",
                jitter=0.3,
                pointpos=0,
                marker={"color": color(i), "size": 8},
                text=[f"seed {r.get('seed')}" for r in recs],
                hovertemplate="%{text}: %{y:.4g}<extra></extra>",
                showlegend=False,
            )
        )
    if n == 0:
        return None
    metric = t(run.primary_metric)
    return layout(fig, f"{metric} across seeds (each point is one seed)", yaxis_title=metric)
