"""The distribution of the training target: class counts, label shares or a histogram."""

from __future__ import annotations

from typing import Any

import numpy as np

from losslab._vocab import TaskKind
from losslab.report._figures.common import PALETTE, layout, t, task_kind_of
from losslab.report._run import RunData

__all__ = ["fig_target"]


def _class_names(classes: list[Any] | None, indices: Any) -> list[str]:
    return [t(classes[i]) if classes and i < len(classes) else str(i) for i in indices]


def fig_target(run: RunData) -> Any | None:
    """Distribution of the training target (histogram or class counts)."""
    import plotly.graph_objects as go

    y = run.split().get("y_train")
    if y is None or len(y) == 0:
        return None
    y = np.asarray(y)
    kind = task_kind_of(run)
    if kind is not None and kind.has_class_labels:
        labels, counts = np.unique(y.reshape(-1).astype(int), return_counts=True)
        fig = go.Figure(
            go.Bar(x=_class_names(run.classes, labels), y=counts, marker_color=PALETTE[0])
        )
        fig.update_xaxes(type="category")
        return layout(fig, "Target classes in the training split", height=320, yaxis_title="rows")
    if kind is TaskKind.MULTILABEL:
        share = y.reshape(len(y), -1).mean(axis=0)
        names = _class_names(run.classes, range(len(share)))
        fig = go.Figure(go.Bar(x=names, y=share, marker_color=PALETTE[0]))
        return layout(fig, "Share of positive rows per label (training split)", height=320)
    # binned here: the page stores 40 bars, not every training target
    values = y.reshape(-1).astype(float)
    values = values[np.isfinite(values)]
    counts, edges = np.histogram(values, bins=40)
    fig = go.Figure(
        go.Bar(
            x=(edges[:-1] + edges[1:]) / 2,
            y=counts,
            width=np.diff(edges),
            marker_color=PALETTE[0],
            customdata=np.column_stack([edges[:-1], edges[1:]]),
            hovertemplate="[%{customdata[0]:.4g}, %{customdata[1]:.4g}): %{y} rows<extra></extra>",
        )
    )
    return layout(
        fig,
        "Target distribution (training split)",
        height=320,
        xaxis_title="target",
        yaxis_title="rows",
    )
