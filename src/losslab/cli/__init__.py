"""The ``losslab`` command line (Typer + Rich). Thin: parse, call the API, render."""

from losslab.cli.app import app, main

__all__ = ["app", "main"]
