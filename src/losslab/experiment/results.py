"""Results of ``compare`` / ``run``: the :class:`Results` views over a run directory, the
leaderboard files (``leaderboard.json`` / ``.csv``) and the closing step (report + printed
leaderboard + exports).

The report and the MLflow / TensorBoard exports live in layers above this one; the closing
step receives them as :class:`RunViews` callbacks, which the public facade
:mod:`losslab._experiment` (``losslab.compare``, ``run``, ``tune``) wires in.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from losslab.errors import DataError, InvalidParameterError
from losslab.experiment import statistics
from losslab.experiment.store import RunStore, atomic_write_json

__all__ = ["Results", "RunViews", "export_run", "publish", "write_leaderboard", "write_report_safely"]


@dataclass(frozen=True)
class RunViews:
    """What the end of a run does beyond its stored files, given by the layers above the
    experiment (:func:`losslab._experiment.run_views`); a missing one is skipped.

    Attributes:
        write_report: ``run_dir -> {"html": Path, ...}`` (report.html / .md, summary.json).
        print_leaderboard: prints the leaderboard of a :class:`Results` or a run directory.
        export: ``(run_dir, *, mlflow, tensorboard, quiet)``: the MLflow / TensorBoard exports.
    """

    write_report: Callable[[Path], Mapping[str, Path]] | None = None
    print_leaderboard: Callable[[Any], None] | None = None
    export: Callable[..., Any] | None = None

    def check_exports(self, mlflow: str | bool | None, tensorboard: str | Path | None) -> None:
        """Refuse ``mlflow=`` / ``tensorboard=`` before any training when no export is wired.

        Example:
            >>> RunViews().check_exports(None, None)
            >>> RunViews().check_exports(True, None)
            Traceback (most recent call last):
            ...
            losslab.errors.InvalidParameterError: mlflow= / tensorboard= need the integrations. Received: mlflow=True, tensorboard=None. Call losslab.compare, losslab.run or losslab.tune, which wire them in.
        """
        if (mlflow is not None or tensorboard is not None) and self.export is None:
            raise InvalidParameterError(
                "mlflow= / tensorboard= need the integrations. "
                f"Received: mlflow={mlflow!r}, tensorboard={tensorboard!r}. "
                "Call losslab.compare, losslab.run or losslab.tune, which wire them in."
            )


@dataclass
class Results:
    """What an experiment produced, read from its run directory.

    Attributes:
        run_dir: the run directory.
        manifest: the stored manifest.
        records: finished trial records (dicts, see docs/run-directory.md).
        rows: leaderboard rows (best first).
        report_files: files written by the report (``{"html": Path, ...}``), when it ran.
    """

    run_dir: Path
    manifest: dict[str, Any]
    records: list[dict[str, Any]]
    rows: list[dict[str, Any]]
    report_files: dict[str, Path] = field(default_factory=dict)

    @property
    def primary_metric(self) -> str:
        return str(self.manifest["primary_metric"])

    @property
    def task(self) -> str:
        return str(self.manifest["task"]["kind"])

    @property
    def best(self) -> str | None:
        """Label of the best candidate (None when every trial failed)."""
        return self.rows[0]["label"] if self.rows and self.rows[0]["mean"] is not None else None

    @property
    def leaderboard(self) -> Any:
        """A pandas DataFrame, best first: mean and 95% t-interval of the primary metric,
        median over seeds, paired difference to the best with its p-value, the verdict (best
        tier / worse / inconclusive / failed) with the seeds that would separate it from the
        best, and the mean of every other judge metric."""
        import pandas as pd

        keys = (
            "median",
            "ci_low",
            "ci_high",
            "diff_to_best",
            "p_value",
            "verdict",
            "seeds_to_separate",
            "indistinguishable_from_best",
            "n_seeds",
            "n_failed",
            "epochs_run",
        )
        table = []
        for r in self.rows:
            row = {
                "rank": r["rank"],
                "candidate": r["label"],
                "loss": r["loss"],
                self.primary_metric: r["mean"],
            }
            row.update({k: r.get(k) for k in keys})
            row.update({k: v for k, v in r["metrics"].items() if k != self.primary_metric})
            table.append(row)
        return pd.DataFrame(table)

    @property
    def trials(self) -> Any:
        """One row per finished trial: candidate, seed, status, epochs, judge metrics."""
        import pandas as pd

        return pd.DataFrame(
            [
                {
                    "trial_id": r["trial_id"],
                    "candidate": r["label"],
                    "seed": r["seed"],
                    "status": r["status"],
                    "epochs_run": r["epochs_run"],
                    "best_epoch": r["best_epoch"],
                    "seconds": r["seconds"],
                    **(r.get("metrics") or {}),
                }
                for r in self.records
            ]
        )

    @property
    def histories(self) -> dict[str, dict[str, list[float | None]]]:
        """Keras training histories per trial id."""
        return {r["trial_id"]: r["history"] for r in self.records}

    def to_dict(self) -> dict[str, Any]:
        return {
            "run_dir": str(self.run_dir),
            "task": self.task,
            "primary_metric": self.primary_metric,
            "best": self.best,
            "leaderboard": self.rows,
        }

    @classmethod
    def load(cls, run_dir: str | Path) -> Results:
        """Rebuild results from a run directory alone (no training)."""
        store = RunStore(run_dir)
        manifest = store.read_manifest()
        if manifest is None:
            raise DataError(
                f"No losslab run in {str(run_dir)!r} (manifest.json missing). Pass a run directory."
            )
        return cls.from_store(store, manifest)

    @classmethod
    def from_store(cls, store: RunStore, manifest: dict[str, Any]) -> Results:
        """Results of the records stored so far, ranked by :func:`statistics.leaderboard_rows`."""
        records = store.records()
        rows = statistics.leaderboard_rows(
            records, manifest["config"]["candidates"], manifest["primary_metric"]
        )
        return cls(store.path, manifest, records, rows)

    def _repr_html_(self) -> str:  # the leaderboard in a notebook
        from losslab.experiment.display import results_html

        return results_html(self)

    def __repr__(self) -> str:
        return f"Results(run_dir={str(self.run_dir)!r}, best={self.best!r}, trials={len(self.records)})"


def write_leaderboard(
    store: RunStore, manifest: Mapping[str, Any], rows: list[dict[str, Any]]
) -> None:
    """Write ``leaderboard.json`` and ``leaderboard.csv`` (format: docs/run-directory.md)."""
    primary = manifest["primary_metric"]
    atomic_write_json(store.leaderboard_path, statistics.leaderboard_document(rows, primary))
    res = Results(store.path, dict(manifest), [], rows)
    tmp = store.path / ".leaderboard.csv.tmp"
    res.leaderboard.to_csv(tmp, index=False)
    tmp.replace(store.path / "leaderboard.csv")


def write_report_safely(run_dir: Path, what: str, views: RunViews) -> dict[str, Path]:
    """Write the run's report; a rendering error only warns (``what`` is stored either way)."""
    if views.write_report is None:
        return {}
    try:
        return dict(views.write_report(run_dir))
    except Exception as e:  # never lose a finished run to a rendering error
        sys.stderr.write(
            f"Warning: the report could not be written ({type(e).__name__}: {e}). {what} "
            f"stored in {run_dir}; re-render with `losslab report {run_dir}`.\n"
        )
        return {}


def publish(
    store: RunStore,
    manifest: dict[str, Any],
    *,
    quiet: bool,
    report: bool,
    views: RunViews,
    mlflow: str | bool | None = None,
    tensorboard: str | Path | None = None,
) -> Results:
    """The closing step: leaderboard files, the report (``report=True``), the printed
    leaderboard (unless ``quiet``) and the optional MLflow / TensorBoard exports, which read
    the stored run directory (so a resumed run logs only what is new)."""
    results = Results.from_store(store, manifest)
    write_leaderboard(store, manifest, results.rows)
    if report:
        results.report_files = write_report_safely(results.run_dir, "The results are", views)
    if not quiet and views.print_leaderboard is not None:
        views.print_leaderboard(results)
    export_run(results.run_dir, mlflow=mlflow, tensorboard=tensorboard, quiet=quiet, views=views)
    return results


def export_run(
    run_dir: Path,
    *,
    mlflow: str | bool | None,
    tensorboard: str | Path | None,
    quiet: bool,
    views: RunViews,
) -> None:
    """MLflow / TensorBoard exports of a stored run, when asked (docs/integrations.md)."""
    if mlflow is None and tensorboard is None:
        return
    views.check_exports(mlflow, tensorboard)
    assert views.export is not None
    views.export(run_dir, mlflow=mlflow, tensorboard=tensorboard, quiet=quiet)
