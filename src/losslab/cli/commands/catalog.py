"""``losslab losses`` and ``losslab explain``: read the catalog (no Keras import)."""

from __future__ import annotations

from typing import Annotated

import typer

from losslab.catalog import Family, list_losses
from losslab.catalog import get_spec as _get_spec


def _family_option(value: str | None) -> str | None:
    if value is None:
        return None
    try:
        return Family.parse(value).value
    except ValueError as e:
        raise typer.BadParameter(str(e)) from None


def losses(
    family: Annotated[
        str | None,
        typer.Option(
            "--family",
            "-f",
            help="Only this family: " + ", ".join(f.value for f in Family) + ".",
            callback=_family_option,
        ),
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON instead of a table.")] = False,
) -> None:
    """List the losses in the catalog."""
    from losslab.report.terminal import print_json, render_loss_table

    specs = list_losses(family)
    if as_json:
        print_json(
            [
                {
                    "name": s.name,
                    "title": s.title,
                    "family": s.family.value,
                    "statistic": s.statistic,
                    "head": s.head.value,
                    "aliases": list(s.aliases),
                    "params": {p.name: p.default for p in s.params},
                }
                for s in specs
            ]
        )
        return
    render_loss_table(specs)


def explain(
    name: Annotated[str, typer.Argument(help="A loss name or alias, e.g. huber.")],
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON instead of text.")] = False,
) -> None:
    """Explain one loss: formula, when to use it, pitfalls, hyperparameters, a code example."""
    from losslab.report.terminal import print_json, render_explain, spec_to_dict

    spec = _get_spec(name)
    if as_json:
        print_json(spec_to_dict(spec))
        return
    render_explain(spec)


def register(app: typer.Typer) -> None:
    app.command("losses")(losses)
    app.command("explain")(explain)
