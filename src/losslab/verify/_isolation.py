"""Run user code (a loss under check) so that it cannot break the checker.

- What it prints to ``sys.stdout`` / ``sys.stderr`` is captured (``--json`` stays valid)
  and returned as information.
- ``SystemExit`` (a ``sys.exit`` inside the loss) and every other exception are caught
  and returned.
- A call that does not return within the timeout is abandoned: it runs in a daemon worker
  thread joined with a timeout (a watchdog that works on every backend and platform, unlike
  signals). Python cannot stop a thread, so an abandoned call may keep running until the
  process exits; its output stays captured (discarded) and daemon threads do not keep the
  process alive.

Output written at the file-descriptor level (C extensions) is not captured.

Example:
    >>> out = run_isolated(lambda: print("hello") or 42, timeout=5.0)
    >>> out.value, out.output, out.error is None, out.timed_out
    (42, 'hello', True, False)
    >>> import sys
    >>> out = run_isolated(lambda: sys.exit(0), timeout=5.0)
    >>> type(out.error).__name__, describe_error(out.error)
    ('SystemExit', 'SystemExit: the code called sys.exit(0)')
"""

from __future__ import annotations

import io
import sys
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TextIO

__all__ = ["Outcome", "describe_error", "run_isolated"]

_MAX_OUTPUT = 2000


@dataclass
class Outcome:
    """The result of :func:`run_isolated`.

    Attributes:
        value: what the function returned (``None`` on error or timeout).
        error: the exception it raised (``SystemExit`` included), or ``None``.
        timed_out: the function did not return within the timeout.
        output: what it printed (stdout and stderr, stripped, truncated).
    """

    value: Any = None
    error: BaseException | None = None
    timed_out: bool = False
    output: str = ""


class _Router(io.TextIOBase):
    """Stands in for ``sys.stdout`` / ``sys.stderr``: writes from registered threads go to
    their buffer, every other write to the original stream."""

    def __init__(self, base: TextIO) -> None:
        super().__init__()
        self.base = base
        self.sinks: dict[int, io.StringIO] = {}

    def write(self, text: str) -> int:
        sink = self.sinks.get(threading.get_ident())
        return (sink if sink is not None else self.base).write(text)

    def flush(self) -> None:
        if threading.get_ident() not in self.sinks:
            self.base.flush()

    def writable(self) -> bool:
        return True

    @property
    def encoding(self) -> str:  # type: ignore[override]
        return getattr(self.base, "encoding", "utf-8")

    def isatty(self) -> bool:
        return False


_LOCK = threading.Lock()


def _routers() -> tuple[_Router, _Router]:
    """Install (once per stream object) the routers on ``sys.stdout`` and ``sys.stderr``."""
    with _LOCK:
        if not isinstance(sys.stdout, _Router):
            sys.stdout = _Router(sys.stdout)
        if not isinstance(sys.stderr, _Router):
            sys.stderr = _Router(sys.stderr)
        return sys.stdout, sys.stderr  # type: ignore[return-value]


def _release(routers: tuple[_Router, _Router]) -> None:
    """Put the original streams back when no thread is captured any more."""
    with _LOCK:
        for name, router in (("stdout", routers[0]), ("stderr", routers[1])):
            if not router.sinks and getattr(sys, name) is router:
                setattr(sys, name, router.base)


def describe_error(error: BaseException) -> str:
    """One line naming an exception (``SystemExit`` spelled out as the call it was)."""
    if isinstance(error, SystemExit):
        return f"SystemExit: the code called sys.exit({error.code!r})"
    text = str(error).strip().splitlines()
    return f"{type(error).__name__}: {text[0] if text else ''}"[:300]


def run_isolated(fn: Callable[[], Any], timeout: float) -> Outcome:
    """Call ``fn()`` in a worker thread with captured output, caught exits and a timeout."""
    outcome = Outcome()
    buffer = io.StringIO()
    routers = _routers()
    lock = threading.Lock()
    state = {"done": False, "abandoned": False}

    def forget(ident: int) -> None:
        for router in routers:
            router.sinks.pop(ident, None)
        _release(routers)

    def target() -> None:
        ident = threading.get_ident()
        for router in routers:
            router.sinks[ident] = buffer
        try:
            outcome.value = fn()
        except BaseException as e:  # SystemExit and KeyboardInterrupt from user code too
            outcome.error = e
        finally:
            with lock:
                state["done"] = True
                if state["abandoned"]:  # finished late: nobody reads it any more
                    forget(ident)

    worker = threading.Thread(target=target, name="losslab-check", daemon=True)
    worker.start()
    worker.join(timeout)
    with lock:
        if state["done"]:
            forget(worker.ident or 0)
        else:
            state["abandoned"] = True  # its writes stay routed to its buffer until it ends
            return Outcome(timed_out=True, output=_shown(buffer.getvalue()))
    return Outcome(outcome.value, outcome.error, False, _shown(buffer.getvalue()))


def _shown(text: str) -> str:
    text = text.strip()
    return text if len(text) <= _MAX_OUTPUT else text[:_MAX_OUTPUT] + " ..."
