"""``losslab report RUN_DIR``: re-render the report of a stored run (no training)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer


def report(
    run_dir: Annotated[
        Path,
        typer.Argument(help="A run directory written by losslab run/compare/tune (its --out)."),
    ],
    quiet: Annotated[
        bool,
        typer.Option("--quiet", "-q", help="Do not print the leaderboard, only the file paths."),
    ] = False,
) -> None:
    """Re-render report.html, report.md and summary.json of a run from its stored results."""
    import sys

    from losslab.report import load_run, print_leaderboard, write_report
    from losslab.report.terminal import console

    paths = write_report(run_dir)
    if not quiet:
        print_leaderboard(run_dir)
    c = console()
    for kind, path in paths.items():
        c.print(f"{kind}: {path}", markup=False)
    for note in load_run(run_dir).notes:  # what the report had to leave out, and why
        if note.startswith("Left out"):
            sys.stderr.write(f"Note: {' '.join(note.split())}\n")


def register(app: typer.Typer) -> None:
    app.command("report")(report)
