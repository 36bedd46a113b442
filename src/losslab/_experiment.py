"""``losslab.compare``, ``losslab.run`` and ``losslab.tune``: the experiment API with the
end of a run wired in.

The experiment layer trains, scores and stores; what a finished run shows or sends beyond
its stored files lives in layers above it: the report (``report.html``, ``report.md``,
``summary.json`` and the printed leaderboard, :mod:`losslab.report`) and the optional MLflow
/ TensorBoard exports (:mod:`losslab.integrations.hooks`). This facade sits above both, like
:mod:`losslab._evaluate` for ``evaluate``, and hands them to the experiment functions as
:class:`~losslab.experiment.results.RunViews` callbacks, so no experiment module imports a
higher layer. Each public function has the signature and docstring of the experiment
function it wraps (without ``views``).
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable
from typing import Any, TypeVar

from losslab.experiment.api import compare as compare_runs
from losslab.experiment.api import run as run_job
from losslab.experiment.results import RunViews
from losslab.experiment.tuner import tune as tune_study

__all__ = ["compare", "run", "run_views", "tune"]

F = TypeVar("F", bound=Callable[..., Any])


def run_views() -> RunViews:
    """The report writer, the leaderboard printer and the MLflow / TensorBoard exports.

    Example:
        >>> views = run_views()
        >>> views.write_report.__name__, views.print_leaderboard.__name__, views.export.__name__
        ('write_report', 'print_leaderboard', 'export_after_run')
    """
    from losslab.integrations.hooks import export_after_run
    from losslab.report import print_leaderboard, write_report

    return RunViews(write_report=write_report, print_leaderboard=print_leaderboard, export=export_after_run)


def _with_views(fn: F) -> F:
    """``fn`` with ``views=run_views()`` unless the caller gives its own."""

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        if kwargs.get("views") is None:
            kwargs["views"] = run_views()
        return fn(*args, **kwargs)

    sig = inspect.signature(fn)
    wrapper.__signature__ = sig.replace(  # type: ignore[attr-defined]
        parameters=[p for p in sig.parameters.values() if p.name != "views"]
    )
    return wrapper  # type: ignore[return-value]


compare = _with_views(compare_runs)
run = _with_views(run_job)
tune = _with_views(tune_study)
