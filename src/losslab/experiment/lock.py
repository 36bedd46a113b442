"""The exclusive lock of a run directory: one writer at a time.

A run (``compare``, ``run``, ``tune``) holds an OS-level lock (``fcntl.flock``) on
``RUN_DIR/.lock`` from before it reads or writes the manifest until it ends, and writes its
holder (pid, host, start time, command) into that file. A second writer is refused with a
one-line error naming the holder. The operating system releases the lock when the holding
process ends, however it ends: a lock left behind by ``kill -9`` is free by construction
(the file stays, the lock does not). Readers (``losslab report``) do not lock.

On systems without ``fcntl`` (Windows) the lock is a no-op.
"""

from __future__ import annotations

import json
import os
import socket
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from losslab.errors import LosslabError

__all__ = ["LOCK_NAME", "RunDirectoryBusy", "RunLock"]

#: The lock file inside a run directory.
LOCK_NAME = ".lock"


class RunDirectoryBusy(LosslabError):
    """Another process holds the run directory's lock."""


def _holder_text(path: Path) -> str:
    try:
        info: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
        return f"pid {info.get('pid')} on {info.get('host')}, started {info.get('started')}" + (
            f": {info['command']}" if info.get("command") else ""
        )
    except (OSError, ValueError, AttributeError):
        return "another process"


class RunLock:
    """An exclusive, non-blocking lock on ``RUN_DIR/.lock`` (a context manager).

    Args:
        run_dir: the run directory (created if missing).

    Example:
        >>> import tempfile
        >>> d = tempfile.mkdtemp()
        >>> with RunLock(d) as lock:
        ...     RunLock(d).acquire()
        Traceback (most recent call last):
        ...
        losslab.experiment.lock.RunDirectoryBusy: ...
    """

    def __init__(self, run_dir: str | os.PathLike[str]) -> None:
        self.run_dir = Path(run_dir)
        self.path = self.run_dir / LOCK_NAME
        self._fd: int | None = None

    @property
    def held(self) -> bool:
        return self._fd is not None

    def acquire(self) -> RunLock:
        """Take the lock, or raise :class:`RunDirectoryBusy` naming its holder."""
        if self._fd is not None:
            return self
        try:
            import fcntl
        except ImportError:  # pragma: no cover - Windows: no lock
            return self
        self.run_dir.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            os.close(fd)
            raise RunDirectoryBusy(
                f"Run directory {str(self.run_dir)!r} is in use by {_holder_text(self.path)}. "
                "Wait until that run ends (or stop it), or pass another --out directory."
            ) from None
        info = {
            "pid": os.getpid(),
            "host": socket.gethostname(),
            "started": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
            "command": " ".join(["losslab", *sys.argv[1:]])[:500],
        }
        os.ftruncate(fd, 0)
        os.pwrite(fd, (json.dumps(info) + "\n").encode(), 0)
        self._fd = fd
        return self

    def release(self) -> None:
        """Release the lock (the file stays; its content says who held it last)."""
        if self._fd is None:
            return
        import fcntl

        fd, self._fd = self._fd, None
        try:
            fcntl.flock(fd, fcntl.LOCK_UN)
        finally:
            os.close(fd)

    def __enter__(self) -> RunLock:
        return self.acquire()

    def __exit__(self, *exc: object) -> None:
        self.release()
