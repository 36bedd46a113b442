"""Tuning steps after the search: each loss's best trial (``tune/best.json``), the refit
comparison over seeds, the printed table and the report.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

from losslab.experiment import judge
from losslab.experiment.config import ExperimentPlan
from losslab.experiment.engine import Engine
from losslab.experiment.execution import execute_plan
from losslab.experiment.lineup import make_contender
from losslab.experiment.preparation import ExperimentData
from losslab.experiment.results import Results, RunViews, write_report_safely
from losslab.experiment.store import RunStore, atomic_write_json

__all__ = ["best_per_loss", "print_best", "refit", "report_tuning", "write_best"]


def _sign(primary: str) -> float:
    return 1.0 if judge.DIRECTIONS[primary] == "min" else -1.0


def best_per_loss(study: Any, labels: list[str], primary: str) -> dict[str, dict[str, Any]]:
    """Per loss label, its best completed trial: value, trial number, learning rate, batch
    size, loss parameters, test metrics and all suggested parameters."""
    from optuna.trial import TrialState

    best: dict[str, dict[str, Any]] = {}
    sign = _sign(primary)
    for t in study.get_trials(deepcopy=False, states=(TrialState.COMPLETE,)):
        lab = t.params.get("loss")
        if lab not in labels or t.value is None:
            continue
        if lab not in best or sign * t.value < sign * best[lab]["value"]:
            best[lab] = {
                "value": float(t.value),
                "trial": t.number,
                "learning_rate": t.params["learning_rate"],
                "batch_size": t.params["batch_size"],
                "loss_params": t.user_attrs.get("loss_params", {}),
                "test_metrics": t.user_attrs.get("test_metrics", {}),
                "params": dict(t.params),
            }
    return best


def write_best(store: RunStore, primary: str, best: dict[str, dict[str, Any]]) -> None:
    """``RUN_DIR/tune/best.json``."""
    atomic_write_json(
        store.path / "tune" / "best.json",
        {
            "primary_metric": primary,
            "direction": judge.DIRECTIONS[primary],
            "objective": "validation split",
            "best": best,
        },
    )


def refit(
    plan: ExperimentPlan,
    data: ExperimentData,
    best: dict[str, dict[str, Any]],
    *,
    seeds: int,
    out: Path,
    engine: Engine | str | None,
    quiet: bool,
    views: RunViews,
) -> Results:
    """Compare each loss's best configuration over ``seeds`` seeds on the test split, in
    ``out`` (a regular compare run directory). The learning rate and batch size of the best
    loss overall are shared by all: one training setup per comparison keeps it fair."""
    sign = _sign(plan.primary)
    overall = min(best.values(), key=lambda b: sign * b["value"])
    by_label = {c.label: c for c in plan.contenders}
    contenders = tuple(
        make_contender(by_label[lab].spec, b["loss_params"], by_label[lab].class_weight)
        for lab, b in best.items()
    )
    training = dataclasses.replace(
        plan.training,
        batch_size=int(overall["batch_size"]),
        learning_rate=float(overall["learning_rate"]),
    )
    refit_plan = dataclasses.replace(
        plan, kind="compare", contenders=contenders, seeds=tuple(range(seeds)), training=training
    )
    return execute_plan(refit_plan, data, out=out, engine=engine, quiet=quiet, report=True, views=views)


def print_best(run_dir: Path, primary: str, best: dict[str, dict[str, Any]]) -> None:
    """A Rich table of each loss's best configuration."""
    from rich.console import Console
    from rich.table import Table

    t = Table(
        title=f"tune: best per loss ({primary} on the validation split, {judge.DIRECTIONS[primary]} is better)"
    )
    for col in ("loss", primary, "learning rate", "batch size", "loss parameters", "trial"):
        t.add_column(col)
    sign = _sign(primary)
    for lab, b in sorted(best.items(), key=lambda kv: sign * kv[1]["value"]):
        params = ", ".join(
            f"{k}={v:.4g}" if isinstance(v, float) else f"{k}={v}"
            for k, v in b["loss_params"].items()
        )
        t.add_row(
            lab,
            f"{b['value']:.4g}",
            f"{b['learning_rate']:.3g}",
            str(b["batch_size"]),
            params or "-",
            str(b["trial"]),
        )
    Console().print(t)
    Console().print(f"run directory: {run_dir}")


def report_tuning(run_dir: Path, quiet: bool, views: RunViews) -> None:
    """Write the run directory's report and print the tuning trials' leaderboard (a
    rendering error warns: the study and its trials are stored either way)."""
    write_report_safely(run_dir, "The study is", views)
    if not quiet and views.print_leaderboard is not None:
        views.print_leaderboard(run_dir)
