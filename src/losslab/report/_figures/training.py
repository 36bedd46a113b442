"""Training and validation loss per epoch, one panel per candidate."""

from __future__ import annotations

import math
from typing import Any

from losslab.report._figures.common import color, finite, layout, t
from losslab.report._run import RunData

__all__ = ["fig_loss_curves"]


class _Panel:
    """Adds the traces of one trial to one subplot; remembers which legend entries exist."""

    def __init__(self, fig: Any, seen: set[tuple[str, Any]]) -> None:
        self.fig = fig
        self.seen = seen

    def add(
        self, trace_kw: dict[str, Any], legend_key: tuple[str, Any], row: int, col: int
    ) -> None:
        import plotly.graph_objects as go

        trace_kw["showlegend"] = legend_key not in self.seen
        self.fig.add_trace(go.Scatter(**trace_kw), row=row, col=col)
        self.seen.add(legend_key)


def _marker(symbol: str, size: int, col: str) -> dict[str, Any]:
    return {"symbol": symbol, "size": size, "color": col, "line": {"width": 1, "color": "#222"}}


def _add_trial(panel: _Panel, rec: dict[str, Any], tag: str, col_: str, row: int, col: int) -> None:
    """The train and validation curves of one trial, its best epoch and early stop."""
    hist = rec.get("history") or {}
    for key, dash, name in (("loss", "solid", "train"), ("val_loss", "dash", "validation")):
        ys = finite(hist.get(key))
        if not ys:
            continue
        trace = {
            "x": list(range(1, len(ys) + 1)),
            "y": ys,
            "mode": "lines",
            "line": {"color": col_, "dash": dash, "width": 1.8},
            "name": f"{name}, {tag}",
            "legendgroup": tag,
            "hovertemplate": f"{name} loss, {tag}<br>epoch %{{x}}: %{{y:.4g}}<extra></extra>",
        }
        panel.add(trace, (name, tag), row, col)
    val = finite(hist.get("val_loss"))
    best = rec.get("best_epoch")
    if val and isinstance(best, int) and 1 <= best <= len(val) and val[best - 1] is not None:
        trace = {
            "x": [best],
            "y": [val[best - 1]],
            "mode": "markers",
            "marker": _marker("star", 13, col_),
            "name": "best epoch (weights kept)",
            "legendgroup": "best",
            "hovertemplate": f"best epoch %{{x}}, {tag}: val loss %{{y:.4g}}<extra></extra>",
        }
        panel.add(trace, ("best", None), row, col)
    stop = rec.get("epochs_run")
    if val and rec.get("stopped_early") and isinstance(stop, int) and 1 <= stop <= len(val):
        trace = {
            "x": [stop],
            "y": [val[stop - 1]],
            "mode": "markers",
            "marker": _marker("x", 11, col_),
            "name": "early stopping",
            "legendgroup": "stop",
            "hovertemplate": f"early stopping at epoch %{{x}}, {tag}<extra></extra>",
        }
        panel.add(trace, ("stop", None), row, col)


def fig_loss_curves(run: RunData) -> Any | None:
    """Training (solid) and validation (dashed) loss per epoch, one panel per candidate.

    The epoch whose weights were kept (best) is a star on the validation curve; the epoch
    where early stopping ended training is an ``x`` on it.
    """
    from plotly.subplots import make_subplots

    cids = [
        c
        for c in run.candidate_ids()
        if any((r.get("history") or {}).get("loss") for r in run.trials_of(c))
    ]
    if not cids:
        return None
    cols = 1 if len(cids) == 1 else 2
    nrows = math.ceil(len(cids) / cols)
    fig = make_subplots(
        rows=nrows,
        cols=cols,
        subplot_titles=[t(run.label(c)) for c in cids],
        horizontal_spacing=0.08,
        vertical_spacing=min(0.12, 0.35 / max(nrows - 1, 1)),
    )
    panel = _Panel(fig, set())
    for i, cid in enumerate(cids):
        recs = run.trials_of(cid)
        # one curve per seed; tuning trials share a seed, so they are named by trial id
        unique_seeds = len({r.get("seed") for r in recs}) == len(recs)
        for j, rec in enumerate(recs):
            tag = f"seed {rec.get('seed')}" if unique_seeds else t(rec.get("trial_id"))
            _add_trial(panel, rec, tag, color(j), i // cols + 1, i % cols + 1)
    fig.update_xaxes(title_text="epoch", row=nrows)
    fig.update_yaxes(title_text="loss", col=1)
    layout(
        fig,
        "Training (solid) and validation (dashed) loss per epoch; ★ best epoch, ✕ early stop",
        height=100 + 280 * nrows,
    )
    return fig.update_layout(margin={"t": 80})
