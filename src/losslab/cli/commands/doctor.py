"""``losslab doctor MODEL DATA``: silent mistakes between a model, its data and its loss."""

from __future__ import annotations

from typing import Annotated, Any

import typer

_SEVERITY_STYLE = {"error": "bold red", "warning": "yellow", "info": "dim"}


def render_doctor(report: Any) -> None:
    """Print a :class:`~losslab.verify.DoctorReport` as a Rich table."""
    from rich.markup import escape
    from rich.table import Table

    from losslab.report.terminal import console

    con = console()
    m = report.model
    con.print(escape(
        f"model: output {m.get('output_units')} unit(s), activation {m.get('output_activation')!r}, "
        f"loss {m.get('loss')} ({m.get('loss_kind')}); data: {report.data.get('rows')} rows"
    ))
    if not report.findings:
        con.print("[green]No problems found.[/green]")
        return
    table = Table(title="losslab doctor")
    table.add_column("severity")
    table.add_column("finding")
    table.add_column("evidence", overflow="fold")
    table.add_column("fix", overflow="fold")
    for f in report.findings:
        style = _SEVERITY_STYLE[f.severity]
        table.add_row(f"[{style}]{f.severity}[/{style}]", escape(f"{f.code}\n{f.title}"), escape(f.evidence), escape(f.fix))
    con.print(table)
    n = len(report.errors)
    con.print(f"[bold red]{n} error(s).[/bold red]" if n else "[yellow]Warnings only.[/yellow]")


def doctor(
    model: Annotated[str, typer.Argument(help="A saved model (.keras) or 'package.module:factory' returning a compiled keras.Model.")],
    data: Annotated[str, typer.Argument(help="Data: CSV, Parquet (features + --target column) or NPZ (arrays x and y).")],
    target: Annotated[
        str | None, typer.Option("--target", "-t", help="Target column (CSV/Parquet) or target array name (NPZ, default y).")
    ] = None,
    loss: Annotated[
        str | None, typer.Option("--loss", help="Check this loss (catalog or Keras name) instead of the model's compiled one.")
    ] = None,
    max_rows: Annotated[int, typer.Option("--max-rows", help="Rows used for the forward pass.")] = 4096,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON instead of a table.")] = False,
) -> None:
    """Find silent mistakes between a model, its data and its loss: logits vs probabilities,
    label encodings, sigmoid/softmax misuse, target scale, imbalance, NaN, shapes.

    Exit code 0 when no error-severity finding exists, 1 otherwise, 2 for bad input.
    """
    from losslab.errors import DataError
    from losslab.verify.doctor import doctor as run_doctor

    if max_rows < 1:
        raise DataError(f"--max-rows must be >= 1. Received: {max_rows}.")
    report = run_doctor(model, data=data, target=target, loss=loss, max_rows=max_rows)
    if as_json:
        from losslab.report.terminal import print_json

        print_json(report.to_dict())
    else:
        render_doctor(report)
    raise typer.Exit(report.exit_code)


def register(app: typer.Typer) -> None:
    app.command("doctor")(doctor)
