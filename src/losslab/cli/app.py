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


#: Set this environment variable to 1 to see the traceback of an unexpected error.
DEBUG_ENV = "LOSSLAB_DEBUG"
#: The line printed on Ctrl-C.
INTERRUPTED = "Interrupted (Ctrl-C). Re-running the same command resumes a run."


def _unexpected(exc: BaseException) -> int:
    """The last resort: one line naming the exception, exit code 1 (traceback on request)."""
    if os.environ.get(DEBUG_ENV, "") not in ("", "0"):
        import traceback

        traceback.print_exception(exc)
    first = (str(exc).strip().splitlines() or [""])[0][:300]
    error_line(
        f"Unexpected {type(exc).__name__}: {first or '(no message)'}. This is a losslab bug or "
        f"an input it does not handle yet: rerun with {DEBUG_ENV}=1 for the traceback and "
        "report it."
    )
    return 1


#: ``off`` turns the CLI's persistent compilation cache off; a path moves it.
CACHE_ENV = "LOSSLAB_COMPILE_CACHE"


def compile_cache() -> str | None:
    """Give JAX a persistent compilation cache for this process (the CLI's, never the
    library's: importing losslab changes no JAX setting). Returns its directory, or None.

    Keras compiles a new training step for every model and the fused engine one program per
    comparison; the programs of the same loss, shapes and settings are the same, so later
    trials and later runs read them from disk instead of compiling again (``make demo`` run
    twice, a comparison resumed or extended with seeds). The directory is
    ``$XDG_CACHE_HOME/losslab/jax`` (``~/.cache/losslab/jax``), at most 1 GiB, the least
    recently used entries removed first; ``LOSSLAB_COMPILE_CACHE=off`` turns it off,
    ``LOSSLAB_COMPILE_CACHE=/path`` moves it. A user's own ``JAX_COMPILATION_CACHE_DIR`` is
    never overridden, nor is JAX's setting once JAX is imported.
    """
    from pathlib import Path

    choice = os.environ.get(CACHE_ENV, "").strip()
    if "jax" in sys.modules or os.environ.get("JAX_COMPILATION_CACHE_DIR") or choice.lower() in ("off", "0", "false", "no"):
        return None
    base = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "losslab" / "jax"
    path = Path(choice).expanduser() if choice else base
    try:
        path.mkdir(parents=True, exist_ok=True)
    except OSError as e:  # a read-only home: run without the cache (said when the user chose the path)
        if choice:
            sys.stderr.write(
                f"Warning: {CACHE_ENV}={choice} is not a usable directory ({type(e).__name__}: {e.strerror or e}); "
                f"running without the compilation cache. Set {CACHE_ENV} to a writable folder or to off.\n"
            )
        return None
    os.environ["JAX_COMPILATION_CACHE_DIR"] = str(path)
    os.environ.setdefault("JAX_PERSISTENT_CACHE_MIN_COMPILE_TIME_SECS", "0.1")  # JAX's default 1 s skips Keras's steps
    import importlib.util

    if importlib.util.find_spec("filelock") is not None:  # JAX's size limit locks with it
        os.environ.setdefault("JAX_COMPILATION_CACHE_MAX_SIZE", str(2**30))
    return str(path)


def main(argv: list[str] | None = None) -> int:
    """Entry point of the ``losslab`` script. Returns (and exits with) the exit code.

    - 0 success; 1 a check or comparison that ran and failed (``check``, ``doctor``), or an
      unexpected error (one line; ``LOSSLAB_DEBUG=1`` prints its traceback);
    - 2 a user mistake (bad option, unknown loss, unreadable data), one line, no traceback;
    - 130 interrupted (Ctrl-C), with a line saying so (a run directory resumes).
    """
    # The CLI defaults to JAX; a user's own KERAS_BACKEND is never overridden.
    os.environ.setdefault("KERAS_BACKEND", "jax")
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    compile_cache()
    _register_commands()
    args = sys.argv[1:] if argv is None else argv
    try:
        rv = app(args=args, prog_name="losslab", standalone_mode=False)
    except typer.Exit as e:
        code = e.exit_code
    except typer.Abort as e:
        # click turns EOFError (e.g. numpy reading a 0-byte file) into Abort too
        cause = e.__cause__ or e.__context__
        if isinstance(cause, EOFError):
            code = _unexpected(cause)
        else:
            error_line(INTERRUPTED)
            code = 130
    except typer.TyperException as e:
        error_line(e.format_message())
        code = 2
    except LosslabError as e:
        error_line(str(e))
        code = 2
    except KeyboardInterrupt:
        error_line(INTERRUPTED)
        code = 130
    except Exception as e:  # noqa: BLE001 - the last resort: never a raw traceback
        code = _unexpected(e)
    else:
        code = rv if isinstance(rv, int) else 0
        if code == 130:  # typer turns Ctrl-C into Exit(130) and returns that code silently
            error_line(INTERRUPTED)
    if argv is None:
        if code == 130:
            # after Ctrl-C in the middle of a computation, the interpreter's shutdown can crash
            # in the backend's worker threads (SIGSEGV): every stored file is already complete
            # (atomic writes) and the OS releases the run directory's lock, so leave directly
            sys.stdout.flush()
            sys.stderr.flush()
            os._exit(code)
        sys.exit(code)
    return code
