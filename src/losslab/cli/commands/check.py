"""``losslab check TARGET``: run the custom-loss check battery (Keras imported lazily)."""

from __future__ import annotations

import ast
from typing import Annotated, Any

import typer

from losslab.errors import InvalidParameterError

_STATUS_STYLE = {"pass": "green", "warn": "yellow", "fail": "bold red", "n/a": "dim"}


def _split(text: str | None) -> list[str] | None:
    if text is None:
        return None
    return [t.strip() for t in text.split(",") if t.strip()]


def _literal(text: str) -> Any:
    """``"2"`` -> 2, ``"true"`` -> True, ``"none"`` -> None, ``"[1, 2]"`` -> [1, 2], else the text."""
    low = text.strip()
    if low.lower() in ("true", "false"):
        return low.lower() == "true"
    if low.lower() == "none":
        return None
    try:
        return ast.literal_eval(low)
    except (ValueError, SyntaxError):
        return low


def parse_params(items: list[str] | None) -> dict[str, Any]:
    """``["delta=2", "from_logits=true"]`` -> ``{"delta": 2, "from_logits": True}``."""
    out: dict[str, Any] = {}
    for item in items or []:
        for part in item.split(";"):
            key, eq, value = part.partition("=")
            if not eq or not key.strip():
                raise InvalidParameterError(
                    f"--param must be name=value. Received: {part!r}. For example --param delta=2.0"
                )
            out[key.strip()] = _literal(value)
    return out


def render_check(report: Any) -> None:
    """Print a :class:`~losslab.verify.CheckReport` as a Rich table (texts escaped: a fix
    like ``[eps, 1 - eps]`` is not Rich markup)."""
    from rich.markup import escape
    from rich.table import Table

    from losslab.report.terminal import console

    table = Table(title=escape(f"losslab check {report.loss}  (backend {report.backend}, inputs {report.inputs})"))
    table.add_column("check")
    table.add_column("result")
    table.add_column("evidence", overflow="fold")
    table.add_column("fix", overflow="fold")
    for r in report.results:
        style = _STATUS_STYLE[r.status]
        evidence = escape(r.evidence) + (f"\n[dim]printed: {escape(r.output)}[/dim]" if r.output else "")
        table.add_row(escape(r.name), f"[{style}]{escape(r.status)}[/{style}]", evidence, escape(r.fix))
    con = console()
    con.print(table)
    for note in report.notes:
        con.print(f"[dim]note: {escape(note)}[/dim]")
    n_fail, n_warn = len(report.failures), len(report.warnings)
    warned = f" {n_warn} warning(s) (not defects of the loss; --strict counts them as failures)." if n_warn else ""
    if n_fail:
        con.print(f"[bold red]{n_fail} check(s) failed.[/bold red]{warned}")
    else:
        con.print(f"[green]All applicable checks passed.[/green]{warned}")


def check(
    target: Annotated[
        str,
        typer.Argument(help="The loss: 'package.module:attr' (a Loss class or instance, a function, an @losslab.loss class) or a catalog name."),
    ],
    param: Annotated[
        list[str] | None,
        typer.Option("--param", "-p", help="A hyperparameter name=value (repeatable)."),
    ] = None,
    family: Annotated[
        str | None, typer.Option("--family", "-f", help="Task family of the inputs when the loss has no catalog entry (regression, binary, multiclass ...).")
    ] = None,
    inputs: Annotated[
        str | None, typer.Option("--inputs", help="Input generator name from losslab.catalog.inputs.")
    ] = None,
    data: Annotated[
        str | None, typer.Option("--data", help="Your sample inputs: an .npz with arrays y_true and y_pred.")
    ] = None,
    batch: Annotated[int, typer.Option("--batch", help="Batch size of generated inputs.")] = 8,
    seed: Annotated[int, typer.Option("--seed", help="Random seed of generated inputs.")] = 0,
    backends: Annotated[
        str,
        typer.Option("--backends", help="Other backends to compare with: 'installed', 'none', or a list like 'jax,torch'."),
    ] = "installed",
    minimum_at_truth: Annotated[
        bool | None,
        typer.Option("--minimum-at-truth/--no-minimum-at-truth", help="Check the minimum at y_pred == y_true (default: from the catalog entry)."),
    ] = None,
    only: Annotated[str | None, typer.Option("--only", help="Comma-separated checks to run.")] = None,
    skip: Annotated[str | None, typer.Option("--skip", help="Comma-separated checks to skip.")] = None,
    strict: Annotated[
        bool, typer.Option("--strict", help="Count warnings as failures (e.g. a function not registered for saving).")
    ] = False,
    direction: Annotated[
        bool,
        typer.Option("--direction/--no-direction", help="Test that gradients move predictions toward y_true (--no-direction for critics whose labels are not targets)."),
    ] = True,
    timeout: Annotated[float, typer.Option("--timeout", help="Seconds per check; a check that takes longer fails.")] = 180.0,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON instead of a table.")] = False,
) -> None:
    """Check a loss: one value per sample, Keras reductions and sample weights, finite values
    and gradients at edges, descent, minimum, jit, backends, save/load, half precision.

    Exit code 0 when no applicable check fails (warnings allowed unless --strict), 1 when
    one fails, 2 for a bad argument.
    """
    from losslab.verify.check import check as run_check

    if backends.strip().lower() in ("none", "off", ""):
        wanted: Any = None
    elif backends.strip().lower() in ("installed", "all"):
        wanted = "installed"
    else:
        wanted = _split(backends)
    report = run_check(
        target,
        params=parse_params(param),
        family=family,
        inputs=inputs,
        data=data,
        minimum_at_truth=minimum_at_truth,
        batch=batch,
        seed=seed,
        backends=wanted,
        only=_split(only),
        skip=_split(skip) or (),
        timeout=timeout,
        strict=strict,
        direction=direction,
    )
    if as_json:
        from losslab.report.terminal import print_json

        print_json(report.to_dict())
    else:
        render_check(report)
    raise typer.Exit(report.exit_code)


def register(app: typer.Typer) -> None:
    app.command("check")(check)
