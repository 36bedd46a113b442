"""``losslab export-mlflow`` and ``losslab export-tensorboard``: export a stored run (no
training). Both read the run directory alone and skip what was exported before, so they can
be re-run after a resumed run or for a run that finished long ago."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

RunDir = Annotated[
    Path, typer.Argument(help="A run directory written by losslab run/compare/tune (its --out).")
]


def export_mlflow(
    run_dir: RunDir,
    uri: Annotated[
        str | None,
        typer.Option(
            "--uri",
            envvar="LOSSLAB_MLFLOW_URI",
            help="MLflow tracking URI (http://host:5000, sqlite:///mlflow.db); default: MLflow's own (MLFLOW_TRACKING_URI).",
        ),
    ] = None,
    experiment: Annotated[
        str | None,
        typer.Option(
            "--experiment",
            envvar="LOSSLAB_MLFLOW_EXPERIMENT",
            help="MLflow experiment name (default: losslab).",
        ),
    ] = None,
) -> None:
    """Log a stored run to MLflow: one parent run (config, data fingerprint, task, leaderboard,
    report.html) and one nested run per trial (loss and parameters, seed, per-epoch losses,
    judge metrics, status, warnings), and the exported model of RUN_DIR/model/ (losslab
    refit) as an MLflow pyfunc model with its signature. What is in MLflow already is skipped."""
    from losslab.integrations.mlflow_tracking import export_mlflow as _export

    res = _export(run_dir, uri, experiment=experiment)
    typer.echo(
        f"MLflow run {res.parent_run_id} (experiment {res.experiment_id}) at {res.tracking_uri}: "
        f"{len(res.logged)} trials logged, {len(res.skipped)} already there."
    )
    if res.model_uri:
        state = "logged" if res.model_logged else "already there"
        typer.echo(f"exported model: {res.model_uri} (mlflow.pyfunc, {state}).")


def export_tensorboard(
    run_dir: RunDir,
    log_dir: Annotated[
        Path, typer.Argument(help="TensorBoard log directory (tensorboard --logdir DIR).")
    ],
) -> None:
    """Write each stored trial's per-epoch losses as TensorBoard logs (DIR/<trial_id>/train and
    /validation, scalar epoch_loss, as Keras's TensorBoard callback names them)."""
    from losslab.integrations.tensorboard_logs import export_tensorboard as _export

    written = _export(run_dir, log_dir)
    typer.echo(
        f"TensorBoard: {len(written)} trials written to {log_dir} (tensorboard --logdir {log_dir})."
    )


def register(app: typer.Typer) -> None:
    app.command("export-mlflow")(export_mlflow)
    app.command("export-tensorboard")(export_tensorboard)
