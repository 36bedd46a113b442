"""``losslab predict RUN_DIR TABLE -o OUT``: predictions of a run's exported model."""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer


class PredictEngine(StrEnum):
    local = "local"
    spark = "spark"


def predict(
    run_dir: Annotated[
        Path,
        typer.Argument(
            help="A run directory with an exported model (losslab refit), or a model directory."
        ),
    ],
    table: Annotated[
        str,
        typer.Argument(
            help="CSV or Parquet file (a Parquet dataset directory with --engine spark)."
        ),
    ],
    output: Annotated[
        Path,
        typer.Option("--output", "-o", help="Where to write the predictions (.parquet or .csv)."),
    ],
    id_col: Annotated[
        str | None, typer.Option("--id", help="Keep only this column next to the predictions.")
    ] = None,
    engine: Annotated[
        PredictEngine, typer.Option("--engine", help="local (pandas) or spark (predict_batch_udf).")
    ] = PredictEngine.local,
    master: Annotated[
        str | None, typer.Option("--master", help="Spark master URL (default local[2]).")
    ] = None,
) -> None:
    """Predict TABLE with the model of RUN_DIR (model/model.keras): the input columns are kept
    (or only --id), predictions are named `prediction`, `q<level>` or `p_<class>` + `label`.
    When TABLE holds the target column, the judge metrics are printed. Missing columns or
    text in a numeric column: one error line, exit 2; extra columns are ignored with a note;
    unseen categories are encoded as unknown with a warning. The output is written to a
    temp file, then renamed."""
    from losslab.experiment.predict import load_bundle

    bundle = load_bundle(run_dir)
    if engine is PredictEngine.spark:
        from losslab.spark.export_scoring import predict_table_spark

        n = predict_table_spark(bundle, table, output, id_col=id_col, master=master)
        typer.echo(f"predictions: {output} ({n} rows, spark)")
        return
    from losslab.data import read_table
    from losslab.experiment.predict import predict_frame, target_metrics, write_table

    df = read_table(table)
    frame, notes, raw = predict_frame(bundle, df, id_col=id_col)
    for note in notes:
        typer.echo(note, err=True)
    write_table(frame, output)
    typer.echo(f"predictions: {output} ({len(frame)} rows)")
    metrics = target_metrics(bundle, df, raw)
    if metrics:
        shown = ", ".join(f"{k} {v:.4g}" for k, v in metrics.items() if v is not None)
        typer.echo(f"judge metrics on {table}: {shown}")


def register(app: typer.Typer) -> None:
    app.command("predict")(predict)
