"""Prediction plots of classification runs: calibration (reliability) and confusion matrices."""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from losslab._vocab import TaskKind
from losslab.report._figures.common import (
    color,
    first_predictions,
    layout,
    t,
    task_kind_of,
    which_trial,
)
from losslab.report._run import RunData

__all__ = ["class_probs", "confusion_counts", "fig_calibration", "fig_confusion"]


def class_probs(kind: TaskKind | None, pred: np.ndarray) -> np.ndarray | None:
    """(N, K) probabilities for binary / multiclass / ordinal; (N, K) per label for multilabel.

    A binary prediction of one column (probability of class 1) becomes two columns.

    Example:
        >>> import numpy as np
        >>> class_probs(TaskKind.BINARY, np.array([0.25, 1.0]))
        array([[0.75, 0.25],
               [0.  , 1.  ]])
    """
    p = np.asarray(pred, dtype=float)
    if kind is TaskKind.BINARY:
        p = p.reshape(len(p), -1)
        if p.shape[1] == 1:
            return np.column_stack([1.0 - p[:, 0], p[:, 0]])
        return p if p.shape[1] == 2 else None
    return p if p.ndim == 2 else None


def _classification(run: RunData) -> list[tuple[str, np.ndarray, np.ndarray]]:
    y = run.split().get("y_test")
    if y is None:
        return []
    y = np.asarray(y)
    kind = task_kind_of(run)
    out = []
    for cid, _rec, pred in first_predictions(run):
        probs = class_probs(kind, pred)
        if probs is None or len(probs) != len(y) or not np.all(np.isfinite(probs)):
            continue
        out.append((cid, y, probs))
    return out


def _confidence_and_hits(
    kind: TaskKind | None, y: np.ndarray, probs: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """(predicted probability, 1.0 where it came true) per point of the reliability diagram."""
    if kind is TaskKind.BINARY:
        return probs[:, 1], (y.reshape(-1) == 1).astype(float)
    if kind is TaskKind.MULTILABEL:
        return probs.reshape(-1), y.reshape(-1).astype(float)
    conf = probs.max(axis=1)
    return conf, (probs.argmax(axis=1) == y.reshape(-1).astype(int)).astype(float)


def fig_calibration(run: RunData) -> Any | None:
    """Reliability diagram: observed frequency against predicted probability (10 bins).

    Binary: probability of class 1. Multiclass/ordinal: the top-label confidence against
    the accuracy. Multilabel: every label's probability pooled.
    """
    import plotly.graph_objects as go

    items = _classification(run)
    if not items:
        return None
    kind = task_kind_of(run)
    fig = go.Figure(
        go.Scatter(
            x=[0, 1],
            y=[0, 1],
            mode="lines",
            line={"color": "#888", "dash": "dot"},
            name="perfectly calibrated",
        )
    )
    edges = np.linspace(0.0, 1.0, 11)
    for i, (cid, y, probs) in enumerate(items):
        conf, hit = _confidence_and_hits(kind, y, probs)
        bins = np.clip(np.digitize(conf, edges[1:-1]), 0, 9)
        xs, ys, ns = [], [], []
        for b in range(10):
            m = bins == b
            if m.any():
                xs.append(float(conf[m].mean()))
                ys.append(float(hit[m].mean()))
                ns.append(int(m.sum()))
        fig.add_trace(
            go.Scatter(
                x=xs,
                y=ys,
                mode="lines+markers",
                marker={"size": [6 + 10 * math.sqrt(n / max(ns)) for n in ns], "color": color(i)},
                line={"color": color(i)},
                name=t(run.label(cid)),
                text=[f"{n} rows" for n in ns],
                hovertemplate="predicted %{x:.3f}<br>observed %{y:.3f}<br>%{text}<extra></extra>",
                visible=True if i < 4 else "legendonly",
            )
        )
    what = (
        "probability of the positive class"
        if kind is TaskKind.BINARY
        else "probability per label (all labels pooled)"
        if kind is TaskKind.MULTILABEL
        else "confidence of the predicted class"
    )
    return layout(
        fig,
        f"Calibration (test split, {which_trial(run)}): {what}",
        height=440,
        xaxis={"title": {"text": "predicted"}, "range": [0, 1]},
        yaxis={"title": {"text": "observed frequency"}, "range": [0, 1]},
    )


def confusion_counts(kind: TaskKind | None, y: np.ndarray, probs: np.ndarray) -> np.ndarray:
    """Counts of (actual, predicted) classes, shape (K, K); multilabel: TN, FP, FN, TP per label (K, 4).

    Binary and multilabel predictions are thresholded at 0.5; the others take the argmax.

    Example:
        >>> import numpy as np
        >>> confusion_counts(TaskKind.MULTICLASS, np.array([0, 1, 1]), np.eye(3)[[0, 2, 1]])
        array([[1, 0, 0],
               [0, 1, 1],
               [0, 0, 0]])
    """
    k = probs.shape[1]
    if kind is TaskKind.MULTILABEL:
        yb = y.astype(int)
        pb = (probs >= 0.5).astype(int)
        cells = ((0, 0), (0, 1), (1, 0), (1, 1))
        return np.array(
            [[((yb[:, j] == a) & (pb[:, j] == b)).sum() for a, b in cells] for j in range(k)]
        )
    pred_lab = (probs[:, 1] >= 0.5).astype(int) if kind is TaskKind.BINARY else probs.argmax(axis=1)
    counts = np.zeros((k, k), dtype=int)
    np.add.at(counts, (y.reshape(-1).astype(int), pred_lab), 1)
    return counts


def fig_confusion(run: RunData, max_candidates: int = 6) -> Any | None:
    """Confusion matrices (rows: actual, columns: predicted; shares of each actual class).

    Multilabel: per label, the counts of TN, FP, FN, TP at threshold 0.5.
    """
    import plotly.graph_objects as go
    from plotly.subplots import make_subplots

    items = _classification(run)[:max_candidates]
    if not items:
        return None
    kind = task_kind_of(run)
    k = items[0][2].shape[1]
    classes = run.classes or list(range(k))
    names = [t(c) for c in classes][:k] if len(classes) >= k else [str(i) for i in range(k)]
    x_names = ["TN", "FP", "FN", "TP"] if kind is TaskKind.MULTILABEL else names
    cols = min(3, len(items))
    nrows = math.ceil(len(items) / cols)
    fig = make_subplots(
        rows=nrows,
        cols=cols,
        subplot_titles=[t(run.label(cid)) for cid, _, _ in items],
        horizontal_spacing=0.12,
        vertical_spacing=0.18 if nrows > 1 else 0.1,
    )
    for i, (_cid, y, probs) in enumerate(items):
        counts = confusion_counts(kind, y, probs)
        fig.add_trace(
            go.Heatmap(
                z=counts / np.maximum(counts.sum(axis=1, keepdims=True), 1),
                x=x_names,
                y=names,
                text=counts,
                texttemplate="%{text}",
                colorscale="Blues",
                zmin=0,
                zmax=1,
                showscale=i == 0,
                hovertemplate="actual %{y}<br>predicted %{x}<br>%{text} rows (%{z:.1%} of actual)<extra></extra>",
            ),
            row=i // cols + 1,
            col=i % cols + 1,
        )
    fig.update_yaxes(autorange="reversed")
    fig.update_xaxes(type="category")
    fig.update_yaxes(type="category")
    title = (
        "Per-label outcomes at threshold 0.5 (shares per label; counts in cells)"
        if kind is TaskKind.MULTILABEL
        else f"Confusion matrices (test split, {which_trial(run)}; rows actual, columns predicted; color = share of the actual class)"
    )
    layout(fig, title, height=110 + 330 * nrows)
    return fig.update_layout(margin={"t": 80})
