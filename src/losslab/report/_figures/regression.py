"""Prediction plots of regression runs: predicted vs actual, residuals."""

from __future__ import annotations

from typing import Any

import numpy as np

from losslab.report._figures.common import (
    color,
    first_predictions,
    layout,
    subsample,
    t,
    which_trial,
)
from losslab.report._run import RunData

__all__ = ["fig_predicted_vs_actual", "fig_residuals", "point_prediction"]


def point_prediction(rec: dict[str, Any], pred: np.ndarray) -> np.ndarray | None:
    """One point prediction per row: the column itself, or the quantile closest to 0.5.

    Example:
        >>> import numpy as np
        >>> point_prediction({"params": {"quantile": [0.1, 0.5, 0.9]}}, np.array([[1.0, 2.0, 3.0]]))
        array([2.])
    """
    p = np.asarray(pred, dtype=float)
    if p.ndim == 1:
        return p
    if p.ndim == 2 and p.shape[1] == 1:
        return p[:, 0]
    if p.ndim == 2:
        qs = (rec.get("params") or {}).get("quantile")
        if isinstance(qs, list) and len(qs) == p.shape[1]:
            return p[:, int(np.argmin(np.abs(np.asarray(qs, dtype=float) - 0.5)))]
        return p[:, p.shape[1] // 2]
    return None


def _regression_pairs(run: RunData) -> list[tuple[str, np.ndarray, np.ndarray]]:
    y = run.split().get("y_test")
    if y is None:
        return []
    y = np.asarray(y, dtype=float).reshape(len(y), -1)[:, 0]
    out = []
    for cid, rec, pred in first_predictions(run):
        p = point_prediction(rec, pred)
        if p is None or len(p) != len(y):
            continue
        idx = subsample(len(y))
        out.append((cid, y[idx], p[idx]))
    return out


def fig_predicted_vs_actual(run: RunData) -> Any | None:
    """Predicted against actual test targets (lowest seed of each candidate), with y = x."""
    import plotly.graph_objects as go

    pairs = _regression_pairs(run)
    if not pairs:
        return None
    fig = go.Figure()
    lo = min(float(min(y.min(), p.min())) for _, y, p in pairs)
    hi = max(float(max(y.max(), p.max())) for _, y, p in pairs)
    fig.add_trace(
        go.Scatter(
            x=[lo, hi],
            y=[lo, hi],
            mode="lines",
            line={"color": "#888", "dash": "dot"},
            name="y = x",
        )
    )
    for i, (cid, y, p) in enumerate(pairs):
        fig.add_trace(
            go.Scatter(
                x=y,
                y=p,
                mode="markers",
                marker={"size": 5, "opacity": 0.6, "color": color(i)},
                name=t(run.label(cid)),
                visible=True if i < 3 else "legendonly",
            )
        )
    return layout(
        fig,
        f"Predicted vs actual (test split, {which_trial(run)}; click the legend to show more)",
        height=460,
        xaxis_title="actual",
        yaxis_title="predicted",
    )


def fig_residuals(run: RunData) -> Any | None:
    """Residuals (actual - predicted) against the prediction, per candidate."""
    import plotly.graph_objects as go

    pairs = _regression_pairs(run)
    if not pairs:
        return None
    fig = go.Figure()
    for i, (cid, y, p) in enumerate(pairs):
        fig.add_trace(
            go.Scatter(
                x=p,
                y=y - p,
                mode="markers",
                marker={"size": 5, "opacity": 0.6, "color": color(i)},
                name=t(run.label(cid)),
                visible=True if i < 3 else "legendonly",
            )
        )
    fig.add_hline(y=0.0, line_dash="dot", line_color="#888")
    return layout(
        fig,
        f"Residuals (actual - predicted) vs predicted (test split, {which_trial(run)})",
        height=420,
        xaxis_title="predicted",
        yaxis_title="residual",
    )
