"""What every figure of the report shares: escaping, layout, colors, the drawn trial.

Plotly is imported inside the figure functions, never here.
"""

from __future__ import annotations

import html
import math
from typing import Any

import numpy as np

from losslab._vocab import TaskKind
from losslab.report._run import RunData

__all__ = [
    "MAX_POINTS",
    "PALETTE",
    "color",
    "finite",
    "first_predictions",
    "layout",
    "subsample",
    "t",
    "task_kind_of",
    "which_trial",
]

#: Scatter plots draw at most this many test points per candidate (a fixed subsample).
MAX_POINTS = 2000
#: Colors of candidates (Plotly's default qualitative palette).
PALETTE = [
    "#636EFA", "#EF553B", "#00CC96", "#AB63FA", "#FFA15A",
    "#19D3F3", "#FF6692", "#B6E880", "#FF97FF", "#FECB52",
]  # fmt: skip


def t(text: Any) -> str:
    """User text for a Plotly label: HTML-escaped.

    Example:
        >>> t("<b> & co")
        '&lt;b&gt; &amp; co'
    """
    return html.escape(str(text), quote=True)


def layout(fig: Any, title: str, height: int = 380, **kw: Any) -> Any:
    """The report's common layout (title, height, margins, white template) applied to ``fig``."""
    fig.update_layout(
        title={"text": title, "x": 0.01, "font": {"size": 15}},
        height=height,
        margin={"l": 60, "r": 20, "t": 50, "b": 50},
        template="plotly_white",
        legend={"font": {"size": 11}},
        **kw,
    )
    return fig


def color(i: int) -> str:
    """The color of the ``i``-th candidate (the palette repeats).

    Example:
        >>> color(0), color(10)
        ('#636EFA', '#636EFA')
    """
    return PALETTE[i % len(PALETTE)]


def finite(values: Any) -> list[float | None]:
    """Floats of ``values`` with anything non-finite or non-numeric as ``None`` (a gap in a curve).

    Example:
        >>> finite([1, "2.5", float("nan"), None, "x"])
        [1.0, 2.5, None, None, None]
    """
    out: list[float | None] = []
    for v in values or []:
        try:
            f = float(v)
        except (TypeError, ValueError):
            out.append(None)
            continue
        out.append(f if math.isfinite(f) else None)
    return out


def task_kind_of(run: RunData) -> TaskKind | None:
    """The run's task kind, or ``None`` when the manifest names none (or an unknown one)."""
    try:
        return TaskKind(run.task_kind)
    except ValueError:
        return None


def first_predictions(run: RunData) -> list[tuple[str, dict[str, Any], np.ndarray]]:
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


def which_trial(run: RunData) -> str:
    """Which trial of a candidate the prediction plots draw (for their titles)."""
    return "best validation trial" if run.kind == "tune" else "lowest seed"


def subsample(n: int) -> np.ndarray:
    """Sorted indices of at most :data:`MAX_POINTS` of ``n`` rows (seeded: the same every time).

    Example:
        >>> subsample(3)
        array([0, 1, 2])
        >>> len(subsample(10 * MAX_POINTS)) == MAX_POINTS
        True
    """
    if n <= MAX_POINTS:
        return np.arange(n)
    return np.sort(np.random.default_rng(0).choice(n, MAX_POINTS, replace=False))
