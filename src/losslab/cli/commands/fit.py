"""``losslab fit``: train one model on a table larger than memory (streamed in batches).

Heavy imports (Keras, pyarrow.dataset) happen inside the command only.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated

import typer

from losslab.cli.commands._option_checks import check_class_weight
from losslab.cli.commands._options import (
    AsJson,
    ClassWeight,
    Hidden,
    LearningRate,
    Master,
    Quiet,
    parse_hidden,
)


class FitEngine(StrEnum):
    local = "local"
    spark = "spark"


def fit(
    data: Annotated[
        str,
        typer.Argument(help="A Parquet file, a folder of Parquet shards, a glob (quoted), or CSV files."),
    ],
    target: Annotated[str, typer.Option("--target", "-t", help="Target column (numeric).")],
    loss: Annotated[
        str, typer.Option("--loss", "-l", help="One catalog loss with parameters, e.g. huber:delta=1.3.")
    ] = "mse",
    out: Annotated[
        str | None,
        typer.Option("--out", "-o", help="Folder for model.keras, preprocessing.json and history.json."),
    ] = None,
    epochs: Annotated[int, typer.Option("--epochs", help="Passes over the training rows.")] = 5,
    batch_size: Annotated[int, typer.Option("--batch-size", help="Rows per training step.")] = 1024,
    buffer_rows: Annotated[
        int, typer.Option("--buffer-rows", help="Shuffle buffer, in rows (memory grows with it).")
    ] = 65_536,
    val_fraction: Annotated[
        float, typer.Option("--val-fraction", help="Share of rows held out for validation (by hash).")
    ] = 0.1,
    key: Annotated[
        str | None,
        typer.Option("--key", help="Row-key column whose hash picks the validation rows (default: the row's content)."),
    ] = None,
    seed: Annotated[int, typer.Option("--seed", help="Seed of the weights and of the shuffling.")] = 0,
    hidden: Hidden = "32,32",
    learning_rate: LearningRate = 3e-3,
    prefetch: Annotated[int, typer.Option("--prefetch", help="Batches prepared ahead by a background thread.")] = 4,
    task: Annotated[
        str | None,
        typer.Option("--task", help="regression, binary or multiclass (default: from the loss's family and the target)."),
    ] = None,
    class_weight: ClassWeight = None,
    quiet: Quiet = False,
    as_json: AsJson = False,
    engine: Annotated[
        FitEngine,
        typer.Option(
            "--engine",
            help="local (this process) or spark (data-parallel: TorchDistributor, Keras on torch, DDP).",
        ),
    ] = FitEngine.local,
    workers: Annotated[
        int, typer.Option("--workers", help="With --engine spark: training processes (free task slots needed).")
    ] = 2,
    master: Master = None,
) -> None:
    """Train the default MLP with one loss, reading DATA in batches: memory is bounded by
    the batch and buffer sizes, not by the table.

    Example: losslab fit 'shards/*.parquet' --target y --loss huber:delta=1.3 --out fitted
    writes fitted/model/ (the raw-column model: losslab predict fitted new.parquet -o out.parquet).

    With --engine spark the model is trained with data parallelism on --workers Spark
    workers, each streaming its own shards of DATA (a path every worker can read); the
    output files are the same.
    """
    from losslab.experiment.fit_options import FitOptions, check_option

    given = {"epochs": epochs, "batch_size": batch_size, "buffer_rows": buffer_rows,
             "val_fraction": val_fraction, "learning_rate": learning_rate, "prefetch": prefetch,
             **({"workers": workers} if engine is FitEngine.spark else {})}  # fmt: skip
    for name, value in given.items():  # the API's rules, spelled as this command's flags
        check_option(name, value, flag="--" + name.replace("_", "-"))
    options = FitOptions(
        epochs=epochs,
        batch_size=batch_size,
        buffer_rows=buffer_rows,
        val_fraction=val_fraction,
        key=key,
        seed=seed,
        hidden=parse_hidden(hidden),
        learning_rate=learning_rate,
        verbose=0 if quiet or as_json else 1,
        task=task,
        class_weight=check_class_weight(class_weight),
    )
    if engine is FitEngine.spark:
        from losslab.spark.distributed import fit_data_parallel

        result = fit_data_parallel(data, target, loss, out=out, options=options, workers=workers, master=master)
    else:
        from losslab.experiment.streaming_fit import fit_streaming

        result = fit_streaming(data, target, loss, out=out, options=options, prefetch=prefetch)
    summary = result.summary()
    if as_json:
        import json

        typer.echo(json.dumps(summary))
        return
    if not quiet:
        val = summary["val_loss"]
        held = f"validation loss {val:.6g} on {summary['n_val']} held-out rows" if val is not None else "no validation rows"
        typer.echo(f"trained on {summary['n_train']} rows, {held}, {summary['rows_per_second']:.0f} rows/s")
    if result.out is not None:
        typer.echo(str(result.out))


def register(app: typer.Typer) -> None:
    app.command("fit")(fit)
