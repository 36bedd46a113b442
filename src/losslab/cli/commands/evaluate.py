"""``losslab evaluate``: catalog losses over a table, locally (NumPy) or on Spark (SQL)."""

from __future__ import annotations

from enum import StrEnum
from typing import TYPE_CHECKING, Annotated

import typer

if TYPE_CHECKING:  # pragma: no cover
    from losslab.evaluation import EvaluationResult


class EngineChoice(StrEnum):
    local = "local"
    spark = "spark"


class ReductionChoice(StrEnum):
    sum_over_batch_size = "sum_over_batch_size"
    sum = "sum"
    mean_with_sample_weight = "mean_with_sample_weight"


class NanChoice(StrEnum):
    drop = "drop"
    error = "error"


def evaluate(
    path: Annotated[
        str, typer.Argument(help="A CSV file, a Parquet file or a directory of Parquet files.")
    ],
    label: Annotated[
        str,
        typer.Option(
            "--label", "-y", help="Column of true values (numbers, arrays or class indices)."
        ),
    ],
    prediction: Annotated[
        str, typer.Option("--prediction", "-p", help="Column of model outputs (numbers or arrays).")
    ],
    losses: Annotated[
        str,
        typer.Option(
            "--losses",
            "-l",
            help="Comma-separated catalog losses with parameters, e.g. mse,mae,huber:delta=2.",
        ),
    ],
    weight: Annotated[
        str | None, typer.Option("--weight", "-w", help="Column of sample weights.")
    ] = None,
    engine: Annotated[
        EngineChoice,
        typer.Option("--engine", help="local: NumPy references, chunked; spark: native Spark SQL."),
    ] = EngineChoice.local,
    master: Annotated[
        str | None,
        typer.Option("--master", help="Spark master URL (with --engine spark), default local[2]."),
    ] = None,
    reduction: Annotated[
        ReductionChoice,
        typer.Option("--reduction", help="Keras reduction of the weighted per-row values."),
    ] = ReductionChoice.sum_over_batch_size,
    nan: Annotated[
        NanChoice,
        typer.Option(
            "--nan", help="drop: skip rows with a null/NaN input and count them; error: refuse."
        ),
    ] = NanChoice.drop,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON instead of a table.")] = False,
) -> None:
    """Evaluate catalog losses over a table (Keras semantics, one value per loss).

    Example: losslab evaluate preds.parquet --label y --prediction p --losses mse,mae,huber:delta=2
    """
    from losslab.errors import InvalidParameterError

    if master is not None and engine is not EngineChoice.spark:
        raise InvalidParameterError(
            f"--master applies to --engine spark only. Received: --master {master} with --engine {engine.value}. "
            "Add --engine spark or drop --master."
        )
    from losslab import evaluate as run_evaluate

    result = run_evaluate(
        path,
        label=label,
        prediction=prediction,
        losses=losses,
        weight=weight,
        reduction=reduction.value,  # type: ignore[arg-type]
        nan=nan.value,  # type: ignore[arg-type]
        engine=engine.value,  # type: ignore[arg-type]
        master=master,
    )
    if as_json:
        from losslab.report.terminal import print_json

        print_json(result.to_dict())
        return
    _print_table(result)


def _print_table(result: EvaluationResult) -> None:
    """One row per loss (value and how it was computed), then the row counts."""
    from rich.table import Table

    from losslab.report.terminal import console

    table = Table(title=f"losslab evaluate ({result.engine}, {result.reduction})")
    table.add_column("loss", style="bold cyan", no_wrap=True)
    table.add_column("value", justify="right")
    table.add_column("computed by")
    for key, value in result.values.items():
        table.add_row(key, f"{value:.10g}", result.methods.get(key, ""))
    out = console()
    out.print(table)
    out.print(
        f"{result.n_used} rows evaluated, {result.n_dropped} dropped (null/NaN)"
        + (", weighted" if result.weighted else "")
        + "."
    )


def register(app: typer.Typer) -> None:
    app.command("evaluate")(evaluate)
