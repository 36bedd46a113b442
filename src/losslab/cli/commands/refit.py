"""``losslab refit RUN_DIR``: retrain the winner (or a named candidate) on train + validation
rows and export it as ``RUN_DIR/model/`` (raw-column Keras model + model card); a run that
compared on a sample is refit on all rows of its table, out of core."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

RunDir = Annotated[
    Path, typer.Argument(help="A run directory written by losslab run/compare (its --out).")
]
CandidateOpt = Annotated[
    str | None,
    typer.Option(
        "--candidate",
        "-c",
        help="Candidate label, id or loss name (default: the leaderboard's winner).",
    ),
]


def _num(v: object) -> str:
    return f"{v:.4g}" if isinstance(v, int | float) else "n/a"


OnSample = Annotated[
    bool,
    typer.Option(
        "--on-sample",
        help="For a run that compared on a sample: refit on the sample's rows in memory instead "
        "of every row of the table out of core.",
    ),
]
MlflowOpt = Annotated[
    str | None,
    typer.Option(
        "--mlflow",
        envvar="LOSSLAB_MLFLOW_URI",
        help="Then log the run and the exported model (an MLflow pyfunc model) to this MLflow tracking URI.",
    ),
]


def refit_and_report(
    run_dir: Path,
    candidate: str | None,
    *,
    rerender: bool,
    err: bool = False,
    all_rows: bool | None = None,
    mlflow: str | None = None,
) -> Path:
    """Refit, print where the model is and its metric (to stderr with ``err``, e.g. under
    ``--json``), re-render the report (shared with ``run --refit`` / ``compare --refit``),
    and with ``mlflow`` log the exported model to MLflow (the run's trials already there
    are skipped)."""
    import json

    from losslab.experiment.refit import refit as _refit

    path = _refit(run_dir, candidate, all_rows=all_rows)
    card = json.loads((path / "card.json").read_text(encoding="utf-8"))
    m = card.get("judge_metrics") or {}
    test = (card.get("refit") or {}).get("test_metrics") or {}
    name = m.get("primary_metric")
    line = f"model: {path / 'model.keras'} ({card['candidate']['label']}"
    if name:
        line += f"; {name} {_num(m.get('mean'))} [{_num(m.get('ci_low'))}, {_num(m.get('ci_high'))}] over seeds"
        line += f", refit model {_num(test.get(name))} on the test split"
    info = card.get("refit") or {}
    if info.get("out_of_core"):
        line += f"; refit out of core on {info['rows']:,} of {info['table_rows']:,} rows, the sample's test rows left out"
    typer.echo(line + f"); card: {path / 'card.md'}", err=err)
    if rerender:
        from losslab.report import write_report

        write_report(run_dir)
    if mlflow is not None:
        from losslab.integrations.hooks import export_after_run

        export_after_run(run_dir, mlflow=mlflow)
    return path


def refit(
    run_dir: RunDir, candidate: CandidateOpt = None, on_sample: OnSample = False, mlflow: MlflowOpt = None
) -> None:
    """Retrain the winning candidate (or --candidate) on the training + validation rows for
    the median best epoch over its seeds, and export it to RUN_DIR/model/ (model.keras,
    card.json, card.md). The model takes the raw table columns and loads with Keras alone.
    A run that compared on a sample (--sample) is refit on every row of its table but the
    sample's test rows, streamed out of core (unless --on-sample)."""
    rerender = (run_dir / "report.html").exists()
    refit_and_report(
        run_dir, candidate, rerender=rerender, all_rows=False if on_sample else None, mlflow=mlflow
    )


def register(app: typer.Typer) -> None:
    app.command("refit")(refit)
