"""Plotly figures of a stored run, one module per kind of plot.

Plotly (and Optuna) are imported inside the figure functions. Every user-provided string
(labels, class names, column names) goes through :func:`t` (HTML-escaped: Plotly renders
``&lt;`` as ``<`` and never interprets it as markup).

- :mod:`.common`: escaping, layout, colors, the trial each candidate's plots draw;
- :mod:`.leaderboard`: the leaderboard figure and the spread over seeds;
- :mod:`.training`: loss curves per epoch;
- :mod:`.target`: the training target's distribution;
- :mod:`.regression`: predicted vs actual, residuals;
- :mod:`.classification`: calibration, confusion matrices;
- :mod:`.tune`: Optuna's plots.
"""

from __future__ import annotations

from losslab.report._figures.classification import fig_calibration, fig_confusion
from losslab.report._figures.common import MAX_POINTS, t
from losslab.report._figures.leaderboard import fig_leaderboard, fig_seed_spread
from losslab.report._figures.regression import fig_predicted_vs_actual, fig_residuals
from losslab.report._figures.target import fig_target
from losslab.report._figures.training import fig_loss_curves
from losslab.report._figures.tune import figs_tune

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
