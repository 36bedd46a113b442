"""Rich terminal views. No Keras import."""

from __future__ import annotations

import json
import sys
from collections.abc import Sequence
from typing import Any

from rich.console import Console
from rich.markup import escape
from rich.table import Table

from losslab.catalog import LossSpec

__all__ = ["console", "print_json", "render_explain", "render_loss_table", "spec_to_dict"]


def console(stderr: bool = False) -> Console:
    return Console(stderr=stderr, soft_wrap=False, highlight=False)


def print_json(obj: Any) -> None:
    sys.stdout.write(json.dumps(obj, indent=2, default=str) + "\n")


def _params_text(spec: LossSpec) -> str:
    return ", ".join(f"{p.name}={p.default!r}" for p in spec.params) or "-"


def render_loss_table(specs: Sequence[LossSpec]) -> None:
    table = Table(title=f"losslab catalog ({len(specs)} losses)", show_lines=False)
    table.add_column("name", style="bold cyan", no_wrap=True)
    table.add_column("family")
    table.add_column("estimates")
    table.add_column("head")
    table.add_column("robust")
    table.add_column("hyperparameters")
    for s in specs:
        table.add_row(
            escape(s.name),
            s.family.value,
            s.statistic,
            s.head.value,
            s.robustness.value,
            escape(_params_text(s)),
        )
    console().print(table)
    console().print(
        "Run [bold]losslab explain NAME[/bold] for the formula, when to use it and an example."
    )


def spec_to_dict(spec: LossSpec) -> dict[str, Any]:
    return {
        "name": spec.name,
        "title": spec.title,
        "aliases": list(spec.aliases),
        "family": spec.family.value,
        "statistic": spec.statistic,
        "head": spec.head.value,
        "y_true": spec.y_true,
        "y_pred": spec.y_pred,
        "robustness": spec.robustness.value,
        "requires": list(spec.requires),
        "per_batch": spec.per_batch,
        "formula": spec.formula,
        "when_to_use": spec.when_to_use,
        "pitfalls": spec.pitfalls,
        "references": list(spec.references),
        "params": [
            {
                "name": p.name,
                "default": p.default,
                "constraint": p.constraint.describe(),
                "doc": p.doc,
                "search": list(p.search) if p.search else None,
            }
            for p in spec.params
        ],
        "example": code_example(spec),
    }


def code_example(spec: LossSpec) -> str:
    args = "".join(f", {p.name}={p.default!r}" for p in spec.params if p.search is not None)
    return (
        "import losslab\n"
        f'loss = losslab.get("{spec.name}"{args})\n'
        'model.compile(optimizer="adam", loss=loss)'
    )


def render_explain(spec: LossSpec) -> None:
    c = console()
    c.print(f"[bold]{escape(spec.title)}[/bold]  ([cyan]{escape(spec.name)}[/cyan])")
    if spec.aliases:
        c.print(f"aliases: {escape(', '.join(spec.aliases))}")
    c.print(
        f"family: {spec.family.value}   estimates: {spec.statistic}   head: {spec.head.value}   "
        f"robustness to outliers: {spec.robustness.value}"
    )
    c.print()
    c.print("[bold]Formula[/bold]")
    c.print("  " + escape(spec.formula or "-"))
    c.print()
    c.print(f"[bold]y_true[/bold]  {escape(spec.y_true)}")
    c.print(f"[bold]y_pred[/bold]  {escape(spec.y_pred)}")
    if spec.requires:
        c.print(f"[bold]requires[/bold] {escape(', '.join(spec.requires))}")
    if spec.per_batch:
        c.print(
            "[bold]note[/bold]   defined on the whole batch: one value per batch, not per sample"
        )
    c.print()
    c.print("[bold]When to use[/bold]")
    c.print("  " + escape(spec.when_to_use or "-"))
    c.print("[bold]Pitfalls[/bold]")
    c.print("  " + escape(spec.pitfalls or "-"))
    c.print()
    if spec.params:
        t = Table(title="Hyperparameters", title_justify="left")
        t.add_column("name", style="cyan")
        t.add_column("default")
        t.add_column("valid")
        t.add_column("tuning space")
        t.add_column("meaning")
        for p in spec.params:
            t.add_row(
                p.name,
                escape(repr(p.default)),
                escape(p.constraint.describe()),
                escape(str(p.search) if p.search else "-"),
                escape(p.doc),
            )
        c.print(t)
    else:
        c.print("Hyperparameters: none")
    c.print()
    c.print("[bold]Example[/bold]")
    for line in code_example(spec).splitlines():
        c.print("  " + escape(line))
    if spec.references:
        c.print()
        c.print("[bold]References[/bold]")
        for r in spec.references:
            c.print("  - " + escape(r))
