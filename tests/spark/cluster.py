"""A real Spark standalone cluster for the tests: one master and two workers, each its own
process started from the pyspark installation of the running interpreter.

Everything binds to 127.0.0.1 on free ports; logs go to a temporary directory; the
processes are stopped by their pids (and the process groups they lead, which hold the
executors they launched) at teardown. Paths come from ``sys.executable`` and this file's
location, so a fresh clone anywhere works.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[2]
SRC = REPO / "src"
PYTHON = sys.executable


def spark_class() -> Path:
    """The ``spark-class`` launcher next to the interpreter, else inside pyspark."""
    beside = Path(PYTHON).with_name("spark-class")
    if beside.exists():
        return beside
    import pyspark

    return Path(pyspark.__file__).parent / "bin" / "spark-class"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def cluster_env() -> dict[str, str]:
    """Environment for the daemons and for drivers talking to them."""
    env = dict(os.environ)
    env.update(
        {
            "SPARK_LOCAL_IP": "127.0.0.1",
            "PYSPARK_PYTHON": PYTHON,
            "PYSPARK_DRIVER_PYTHON": PYTHON,
            "PYTHONPATH": os.pathsep.join([str(SRC), env.get("PYTHONPATH", "")]).rstrip(os.pathsep),
            "KERAS_BACKEND": env.get("KERAS_BACKEND", "jax"),
            "TF_CPP_MIN_LOG_LEVEL": "3",
            "SPARK_NO_DAEMONIZE": "1",
        }
    )
    env.pop("SPARK_HOME", None)  # the launcher finds its own installation
    return env


@dataclass
class Daemon:
    name: str
    proc: subprocess.Popen[bytes]
    log: Path

    @property
    def pid(self) -> int:
        return self.proc.pid

    def alive(self) -> bool:
        return self.proc.poll() is None

    def kill(self, sig: int = signal.SIGKILL) -> None:
        """Signal the daemon and the group it leads (its executors and their Python workers)."""
        for target in (lambda: os.killpg(self.pid, sig), lambda: os.kill(self.pid, sig)):
            with contextlib.suppress(ProcessLookupError, PermissionError):
                target()


@dataclass
class StandaloneCluster:
    """Start with :meth:`start`, stop with :meth:`stop` (idempotent)."""

    workdir: Path
    cores: int = 1
    memory: str = "1g"
    port: int = 0
    webui_port: int = 0
    master: Daemon | None = None
    workers: list[Daemon] = field(default_factory=list)

    @property
    def url(self) -> str:
        return f"spark://127.0.0.1:{self.port}"

    @property
    def json_url(self) -> str:
        return f"http://127.0.0.1:{self.webui_port}/json/"

    @property
    def pids(self) -> list[int]:
        return [d.pid for d in ([self.master] if self.master else []) + self.workers]

    def driver_conf(self) -> dict[str, str]:
        """Settings a driver needs so executors run this interpreter and this checkout."""
        return {
            "spark.executorEnv.PYTHONPATH": str(SRC),
            "spark.executorEnv.PYSPARK_PYTHON": PYTHON,
            "spark.pyspark.python": PYTHON,
            "spark.driver.host": "127.0.0.1",
            "spark.driver.bindAddress": "127.0.0.1",
            "spark.executor.memory": "768m",
            "spark.cores.max": str(2 * self.cores),
        }

    def _launch(self, name: str, args: list[str]) -> Daemon:
        log = self.workdir / f"{name}.log"
        with open(log, "wb") as fh:
            proc = subprocess.Popen(
                [str(spark_class()), *args],
                stdout=fh,
                stderr=subprocess.STDOUT,
                env=cluster_env(),
                cwd=self.workdir,
                start_new_session=True,  # its own group: executors die with it at teardown
            )
        return Daemon(name, proc, log)

    def status(self) -> dict[str, Any]:
        with urllib.request.urlopen(self.json_url, timeout=5) as r:
            return dict(json.load(r))

    def alive_workers(self) -> list[dict[str, Any]]:
        try:
            return [w for w in self.status().get("workers", []) if w.get("state") == "ALIVE"]
        except (OSError, ValueError):  # not listening yet, or an empty page while it starts
            return []

    def wait_workers(self, n: int, timeout: float = 120.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if len(self.alive_workers()) >= n:
                return
            for d in [self.master, *self.workers]:
                if d is not None and not d.alive():
                    raise RuntimeError(f"{d.name} exited early; log:\n{d.log.read_text()[-3000:]}")
            time.sleep(0.5)
        raise TimeoutError(f"{n} workers did not register within {timeout:.0f} s at {self.url}")

    def start(self, workers: int = 2) -> StandaloneCluster:
        self.workdir.mkdir(parents=True, exist_ok=True)
        self.port, self.webui_port = free_port(), free_port()
        self.master = self._launch(
            "master",
            [
                "org.apache.spark.deploy.master.Master",
                "--host", "127.0.0.1",
                "--port", str(self.port),
                "--webui-port", str(self.webui_port),
            ],
        )  # fmt: skip
        for _ in range(workers):
            self.add_worker()
        self.wait_workers(workers)
        return self

    def add_worker(self) -> Daemon:
        i = len(self.workers)
        wdir = self.workdir / f"worker{i}"
        wdir.mkdir(exist_ok=True)
        d = self._launch(
            f"worker{i}",
            [
                "org.apache.spark.deploy.worker.Worker",
                self.url,
                "--host", "127.0.0.1",
                "--cores", str(self.cores),
                "--memory", self.memory,
                "--webui-port", str(free_port()),
                "--work-dir", str(wdir),
            ],
        )  # fmt: skip
        self.workers.append(d)
        return d

    def stop(self) -> None:
        daemons = [*self.workers, *([self.master] if self.master else [])]
        for d in daemons:
            if d.alive():
                d.kill(signal.SIGTERM)
        deadline = time.monotonic() + 15
        for d in daemons:
            with contextlib.suppress(subprocess.TimeoutExpired):
                d.proc.wait(timeout=max(0.1, deadline - time.monotonic()))
            d.kill(signal.SIGKILL)  # the daemon if still there, and whatever its group holds
            with contextlib.suppress(subprocess.TimeoutExpired):
                d.proc.wait(timeout=10)


def pid_running(pid: int) -> bool:
    """True when ``pid`` is a live process (a zombie counts as gone)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # pragma: no cover
        return True
    stat = Path(f"/proc/{pid}/stat")
    if stat.exists():
        try:
            return stat.read_text().rsplit(")", 1)[1].split()[0] != "Z"
        except (OSError, IndexError):  # pragma: no cover
            return False
    return True


def group_members(pgid: int) -> list[int]:
    """Live pids in process group ``pgid`` (Linux /proc; empty elsewhere)."""
    out = []
    for p in Path("/proc").glob("[0-9]*"):
        try:
            fields = (p / "stat").read_text().rsplit(")", 1)[1].split()
        except (OSError, IndexError):
            continue
        if int(fields[2]) == pgid and fields[0] != "Z":
            out.append(int(p.name))
    return out
