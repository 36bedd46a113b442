"""The Typer application and the one place user mistakes become a line and exit code 2.

Each module in :mod:`losslab.cli.commands` defines ``register(app)``; they are discovered
here, so a new command is a new file. Command modules import heavy libraries (Keras, Optuna,
Spark) inside the command functions only, so ``losslab --help`` stays fast.
"""

from __future__ import annotations

import importlib
import os
import pkgutil
import sys

import typer

from losslab.errors import LosslabError

app = typer.Typer(
    name="losslab",
    help="The loss-function workbench for Keras 3: catalog, checks, advisor, fair experiments, Spark.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode="rich",
)

_REGISTERED = False


def _register_commands() -> None:
    global _REGISTERED
    if _REGISTERED:
        return
    from losslab.cli import commands

    for mod in sorted(pkgutil.iter_modules(commands.__path__), key=lambda m: m.name):
        if mod.name.startswith("_"):
            continue
        module = importlib.import_module(f"{commands.__name__}.{mod.name}")
        module.register(app)
    _REGISTERED = True


def error_line(message: str) -> None:
    """Print one error line to stderr (no traceback)."""
    msg = " ".join(str(message).split())
    sys.stderr.write(f"Error: {msg}\n")


def main(argv: list[str] | None = None) -> int:
    """Entry point of the ``losslab`` script. Returns (and exits with) the exit code.

    - 0 success; 1 a check or comparison that ran and failed (``check``, ``doctor``);
    - 2 a user mistake (bad option, unknown loss, unreadable data), one line, no traceback;
    - 130 interrupted.
    """
    # The CLI defaults to JAX; a user's own KERAS_BACKEND is never overridden.
    os.environ.setdefault("KERAS_BACKEND", "jax")
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    _register_commands()
    args = sys.argv[1:] if argv is None else argv
    try:
        rv = app(args=args, prog_name="losslab", standalone_mode=False)
    except typer.Exit as e:
        code = e.exit_code
    except typer.Abort:
        error_line("Aborted.")
        code = 130
    except typer.TyperException as e:
        error_line(e.format_message())
        code = 2
    except LosslabError as e:
        error_line(str(e))
        code = 2
    except KeyboardInterrupt:
        error_line("Interrupted.")
        code = 130
    else:
        code = rv if isinstance(rv, int) else 0
    if argv is None:
        sys.exit(code)
    return code
