"""Plotly figures of a stored run. Plotly (and Optuna) are imported inside the functions.

Every user-provided string (labels, class names, column names) goes through :func:`t`
(HTML-escaped: Plotly renders ``&lt;`` as ``<`` and never interprets it as markup).
"""

from __future__ import annotations

import html
import math
from typing import Any

import numpy as np

from losslab.report._run import RunData

__all__ = [
    "MAX_POINTS",
    "fig_calibration",
    "fig_confusion",
    "fig_leaderboard",
    "fig_loss_curves",
    "fig_predicted_vs_actual",
    "fig_residuals",
    "fig_seed_spread",
    "fig_target",
    "figs_tune",
    "t",
]

#: Scatter plots draw at most this many test points per candidate (a fixed subsample).
MAX_POINTS = 2000
#: Colors of candidates (Plotly's default qualitative palette).
PALETTE = [
    "#636EFA", "#EF553B", "#00CC96", "#AB63FA", "#FFA15A",
    "#19D3F3", "#FF6692", "#B6E880", "#FF97FF", "#FECB52",
]  # fmt: skip
_SEED_DASH = ["solid", "dot", "dash", "longdash", "dashdot"]


def t(text: Any) -> str:
    """User text for a Plotly label: HTML-escaped."""
    return html.escape(str(text), quote=True)


def _layout(fig: Any, title: str, height: int = 380, **kw: Any) -> Any:
    fig.update_layout(
        title={"text": title, "x": 0.01, "font": {"size": 15}},
        height=height,
        margin={"l": 60, "r": 20, "t": 50, "b": 50},
        template="plotly_white",
        legend={"font": {"size": 11}},
        **kw,
    )
    return fig


def _color(i: int) -> str:
    return PALETTE[i % len(PALETTE)]


def _finite(values: Any) -> list[float | None]:
    out: list[float | None] = []
    for v in values or []:
        try:
            f = float(v)
        except (TypeError, ValueError):
            out.append(None)
            continue
        out.append(f if math.isfinite(f) else None)
    return out


def fig_leaderboard(run: RunData) -> Any | None:
    """Mean of the judge metric with its interval per candidate; best and ≈ best colored."""
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
    colors = [
        "#1a7f37"
        if r.get("is_best")
        else ("#2f81f7" if r.get("indistinguishable_from_best") else "#8c959f")
        for r in rows
    ]
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
    return _layout(
        fig,
        f"{metric} on the test split ({better} is better): mean and interval over seeds",
        height=max(260, 70 + 36 * len(rows)),
        xaxis_title=metric,
    )


def fig_loss_curves(run: RunData) -> Any | None:
    """Training (solid) and validation (dashed) loss per epoch, one panel per candidate.

    The epoch whose weights were kept (best) is a star on the validation curve; the epoch
    where early stopping ended training is an ``x`` on it.
    """
    import plotly.graph_objects as go
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
    seeds_legend: set[tuple[str, Any]] = set()
    for i, cid in enumerate(cids):
        row, col = i // cols + 1, i % cols + 1
        recs = run.trials_of(cid)
        # one curve per seed; tuning trials share a seed, so they are named by trial id
        unique_seeds = len({r.get("seed") for r in recs}) == len(recs)
        for j, rec in enumerate(recs):
            hist = rec.get("history") or {}
            seed = rec.get("seed")
            tag = f"seed {seed}" if unique_seeds else t(rec.get("trial_id"))
            color = _color(j)
            dash_val = "dash"
            for key, dash, name in (
                ("loss", "solid", "train"),
                ("val_loss", dash_val, "validation"),
            ):
                ys = _finite(hist.get(key))
                if not ys:
                    continue
                legend_key = (name, tag)
                fig.add_trace(
                    go.Scatter(
                        x=list(range(1, len(ys) + 1)),
                        y=ys,
                        mode="lines",
                        line={"color": color, "dash": dash, "width": 1.8},
                        name=f"{name}, {tag}",
                        legendgroup=tag,
                        showlegend=legend_key not in seeds_legend,
                        hovertemplate=f"{name} loss, {tag}<br>epoch %{{x}}: %{{y:.4g}}<extra></extra>",
                    ),
                    row=row,
                    col=col,
                )
                seeds_legend.add(legend_key)
            val = _finite(hist.get("val_loss"))
            best = rec.get("best_epoch")
            if (
                val
                and isinstance(best, int)
                and 1 <= best <= len(val)
                and val[best - 1] is not None
            ):
                fig.add_trace(
                    go.Scatter(
                        x=[best],
                        y=[val[best - 1]],
                        mode="markers",
                        marker={
                            "symbol": "star",
                            "size": 13,
                            "color": color,
                            "line": {"width": 1, "color": "#222"},
                        },
                        name="best epoch (weights kept)",
                        legendgroup="best",
                        showlegend=("best", None) not in seeds_legend,
                        hovertemplate=f"best epoch %{{x}}, {tag}: val loss %{{y:.4g}}<extra></extra>",
                    ),
                    row=row,
                    col=col,
                )
                seeds_legend.add(("best", None))
            stop = rec.get("epochs_run")
            if val and rec.get("stopped_early") and isinstance(stop, int) and 1 <= stop <= len(val):
                fig.add_trace(
                    go.Scatter(
                        x=[stop],
                        y=[val[stop - 1]],
                        mode="markers",
                        marker={
                            "symbol": "x",
                            "size": 11,
                            "color": color,
                            "line": {"width": 1, "color": "#222"},
                        },
                        name="early stopping",
                        legendgroup="stop",
                        showlegend=("stop", None) not in seeds_legend,
                        hovertemplate=f"early stopping at epoch %{{x}}, {tag}<extra></extra>",
                    ),
                    row=row,
                    col=col,
                )
                seeds_legend.add(("stop", None))
    fig.update_xaxes(title_text="epoch", row=nrows)
    fig.update_yaxes(title_text="loss", col=1)
    _layout(
        fig,
        "Training (solid) and validation (dashed) loss per epoch; ★ best epoch, ✕ early stop",
        height=100 + 280 * nrows,
    )
    return fig.update_layout(margin={"t": 80})


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
                marker={"color": _color(i), "size": 8},
                text=[f"seed {r.get('seed')}" for r in recs],
                hovertemplate="%{text}: %{y:.4g}<extra></extra>",
                showlegend=False,
            )
        )
    if n == 0:
        return None
    metric = t(run.primary_metric)
    return _layout(fig, f"{metric} across seeds (each point is one seed)", yaxis_title=metric)


def _first_predictions(run: RunData) -> list[tuple[str, dict[str, Any], np.ndarray]]:
    """(candidate id, record, prediction array) of each candidate's lowest ok seed.

    In a tuning run the trials of one loss differ by their hyperparameters, not by their
    seed: the trial with the best validation value of the primary metric is drawn.
    """
    sign = 1.0 if run.direction == "min" else -1.0

    def val_key(r: dict[str, Any]) -> float:
        v = (r.get("val_metrics") or {}).get(run.primary_metric)
        return sign * float(v) if v is not None else math.inf

    out = []
    for cid in run.candidate_ids():
        recs = run.trials_of(cid)
        if run.kind == "tune":
            recs = sorted(recs, key=val_key)
        for rec in recs:
            if rec.get("status", "ok") != "ok":
                continue
            arrays = run.predictions(str(rec.get("trial_id")))
            if arrays is None or "prediction" not in arrays:
                continue
            out.append((cid, rec, np.asarray(arrays["prediction"])))
            break
    return out


def _which(run: RunData) -> str:
    return "best validation trial" if run.kind == "tune" else "lowest seed"


def _subsample(n: int) -> np.ndarray:
    if n <= MAX_POINTS:
        return np.arange(n)
    return np.sort(np.random.default_rng(0).choice(n, MAX_POINTS, replace=False))


def _point_prediction(rec: dict[str, Any], pred: np.ndarray) -> np.ndarray | None:
    """One point prediction per row: the column itself, or the quantile closest to 0.5."""
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
    for cid, rec, pred in _first_predictions(run):
        p = _point_prediction(rec, pred)
        if p is None or len(p) != len(y):
            continue
        idx = _subsample(len(y))
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
                marker={"size": 5, "opacity": 0.6, "color": _color(i)},
                name=t(run.label(cid)),
                visible=True if i < 3 else "legendonly",
            )
        )
    return _layout(
        fig,
        f"Predicted vs actual (test split, {_which(run)}; click the legend to show more)",
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
                marker={"size": 5, "opacity": 0.6, "color": _color(i)},
                name=t(run.label(cid)),
                visible=True if i < 3 else "legendonly",
            )
        )
    fig.add_hline(y=0.0, line_dash="dot", line_color="#888")
    return _layout(
        fig,
        f"Residuals (actual - predicted) vs predicted (test split, {_which(run)})",
        height=420,
        xaxis_title="predicted",
        yaxis_title="residual",
    )


def _class_probs(run: RunData, pred: np.ndarray) -> np.ndarray | None:
    """(N, K) probabilities for binary / multiclass / ordinal; (N, K) per label for multilabel."""
    p = np.asarray(pred, dtype=float)
    if run.task_kind == "binary":
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
    out = []
    for cid, _rec, pred in _first_predictions(run):
        probs = _class_probs(run, pred)
        if probs is None or len(probs) != len(y) or not np.all(np.isfinite(probs)):
            continue
        out.append((cid, y, probs))
    return out


def fig_calibration(run: RunData) -> Any | None:
    """Reliability diagram: observed frequency against predicted probability (10 bins).

    Binary: probability of class 1. Multiclass/ordinal: the top-label confidence against
    the accuracy. Multilabel: every label's probability pooled.
    """
    import plotly.graph_objects as go

    items = _classification(run)
    if not items:
        return None
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
        if run.task_kind == "binary":
            conf, hit = probs[:, 1], (y.reshape(-1) == 1).astype(float)
        elif run.task_kind == "multilabel":
            conf, hit = probs.reshape(-1), y.reshape(-1).astype(float)
        else:
            conf = probs.max(axis=1)
            hit = (probs.argmax(axis=1) == y.reshape(-1).astype(int)).astype(float)
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
                marker={"size": [6 + 10 * math.sqrt(n / max(ns)) for n in ns], "color": _color(i)},
                line={"color": _color(i)},
                name=t(run.label(cid)),
                text=[f"{n} rows" for n in ns],
                hovertemplate="predicted %{x:.3f}<br>observed %{y:.3f}<br>%{text}<extra></extra>",
                visible=True if i < 4 else "legendonly",
            )
        )
    what = {
        "binary": "probability of the positive class",
        "multilabel": "probability per label (all labels pooled)",
    }.get(run.task_kind, "confidence of the predicted class")
    return _layout(
        fig,
        f"Calibration (test split, {_which(run)}): {what}",
        height=440,
        xaxis={"title": {"text": "predicted"}, "range": [0, 1]},
        yaxis={"title": {"text": "observed frequency"}, "range": [0, 1]},
    )


def fig_confusion(run: RunData, max_candidates: int = 6) -> Any | None:
    """Confusion matrices (rows: actual, columns: predicted; shares of each actual class).

    Multilabel: per label, the counts of TN, FP, FN, TP at threshold 0.5.
    """
    import plotly.graph_objects as go
    from plotly.subplots import make_subplots

    items = _classification(run)[:max_candidates]
    if not items:
        return None
    k = items[0][2].shape[1]
    classes = run.classes or list(range(k))
    names = [t(c) for c in classes][:k] if len(classes) >= k else [str(i) for i in range(k)]
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
        if run.task_kind == "multilabel":
            yb = y.astype(int)
            pb = (probs >= 0.5).astype(int)
            counts = np.array(
                [
                    [
                        ((yb[:, j] == a) & (pb[:, j] == b)).sum()
                        for a, b in ((0, 0), (0, 1), (1, 0), (1, 1))
                    ]
                    for j in range(k)
                ]
            )
            z = counts / np.maximum(counts.sum(axis=1, keepdims=True), 1)
            x_names, y_names = ["TN", "FP", "FN", "TP"], names
        else:
            if run.task_kind == "binary":
                pred_lab = (probs[:, 1] >= 0.5).astype(int)
            else:
                pred_lab = probs.argmax(axis=1)
            true_lab = y.reshape(-1).astype(int)
            counts = np.zeros((k, k), dtype=int)
            np.add.at(counts, (true_lab, pred_lab), 1)
            z = counts / np.maximum(counts.sum(axis=1, keepdims=True), 1)
            x_names, y_names = names, names
        fig.add_trace(
            go.Heatmap(
                z=z,
                x=x_names,
                y=y_names,
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
        if run.task_kind == "multilabel"
        else f"Confusion matrices (test split, {_which(run)}; rows actual, columns predicted; color = share of the actual class)"
    )
    _layout(fig, title, height=110 + 330 * nrows)
    return fig.update_layout(margin={"t": 80})


def fig_target(run: RunData) -> Any | None:
    """Distribution of the training target (histogram or class counts)."""
    import plotly.graph_objects as go

    y = run.split().get("y_train")
    if y is None or len(y) == 0:
        return None
    y = np.asarray(y)
    if run.task_kind in ("binary", "multiclass", "ordinal"):
        labels, counts = np.unique(y.reshape(-1).astype(int), return_counts=True)
        classes = run.classes
        names = [t(classes[i]) if classes and i < len(classes) else str(i) for i in labels]
        fig = go.Figure(go.Bar(x=names, y=counts, marker_color=PALETTE[0]))
        fig.update_xaxes(type="category")
        return _layout(fig, "Target classes in the training split", height=320, yaxis_title="rows")
    if run.task_kind == "multilabel":
        share = y.reshape(len(y), -1).mean(axis=0)
        classes = run.classes
        names = [
            t(classes[i]) if classes and i < len(classes) else str(i) for i in range(len(share))
        ]
        fig = go.Figure(go.Bar(x=names, y=share, marker_color=PALETTE[0]))
        return _layout(fig, "Share of positive rows per label (training split)", height=320)
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
    return _layout(
        fig,
        "Target distribution (training split)",
        height=320,
        xaxis_title="target",
        yaxis_title="rows",
    )


def figs_tune(run: RunData) -> tuple[list[tuple[str, Any]], list[str]]:
    """Optuna's own plots of every study in ``tune/journal.log``.

    Returns:
        ((title, figure) pairs, notes about studies that could not be plotted).
    """
    path = run.journal_path
    if not path.exists():
        return [], []
    import optuna
    from optuna.storages import JournalStorage
    from optuna.storages.journal import JournalFileBackend

    optuna.logging.set_verbosity(optuna.logging.ERROR)
    storage = JournalStorage(JournalFileBackend(str(path)))
    figs: list[tuple[str, Any]] = []
    notes: list[str] = []
    for summary in optuna.get_all_study_summaries(storage, include_best_trial=False):
        name = summary.study_name
        study = optuna.load_study(study_name=name, storage=storage)
        done = [tr for tr in study.trials if tr.state == optuna.trial.TrialState.COMPLETE]
        if not done:
            notes.append(f"Study {name!r}: no completed trial to plot.")
            continue
        hist = optuna.visualization.plot_optimization_history(study)
        figs.append(
            (f"Optimisation history: {t(name)}", _layout(hist, f"Optimisation history: {t(name)}"))
        )
        if len(done) >= 2 and any(tr.params for tr in done):
            try:
                imp = optuna.visualization.plot_param_importances(study)
            except (ValueError, RuntimeError) as e:
                notes.append(f"Study {name!r}: parameter importances not available ({e}).")
            else:
                figs.append(
                    (
                        f"Parameter importances: {t(name)}",
                        _layout(imp, f"Parameter importances: {t(name)}"),
                    )
                )
        else:
            notes.append(
                f"Study {name!r}: parameter importances need 2+ completed trials with parameters."
            )
    return figs, notes
