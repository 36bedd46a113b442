"""The resumable run directory (format: docs/run-directory.md), and its one reader.

:class:`RunStore` is the only code that writes and parses ``manifest.json``,
``trials.jsonl``, ``leaderboard.json`` and the ``.npz`` files: the experiment (resumption,
``Results.load``), the trials and the report all read through it.

Every finished trial is stored as it completes: its files are written atomically (temp file
then ``os.replace``) and one line is appended to ``trials.jsonl`` with ``fsync``. A trial
counts as finished only when its line is there, so ``kill -9`` loses at most the trial in
progress. No Keras import here.
"""

from __future__ import annotations

import hashlib
import io
import json
import math
import os
import platform
import sys
import tempfile
import zipfile
from collections.abc import Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np

from losslab.errors import LosslabError
from losslab.experiment.lock import LOCK_NAME, RunLock
from losslab.experiment.protocol import PreparedData

__all__ = [
    "FORMAT_VERSION",
    "RunDirectoryError",
    "RunStore",
    "atomic_write_json",
    "atomic_write_npz",
    "canonical_json",
    "config_hash",
    "environment",
    "utc_now",
]

FORMAT_VERSION = 1


class RunDirectoryError(LosslabError):
    """A run directory that holds another run, or that cannot be read."""


def utc_now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _clean(obj: Any) -> Any:
    """JSON-ready copy: numpy scalars/arrays to Python, non-finite floats to None."""
    if isinstance(obj, Mapping):
        return {str(k): _clean(v) for k, v in obj.items()}
    if isinstance(obj, list | tuple):
        return [_clean(v) for v in obj]
    if isinstance(obj, np.ndarray):
        return _clean(obj.tolist())
    if isinstance(obj, np.generic):
        return _clean(obj.item())
    if isinstance(obj, float) and not math.isfinite(obj):
        return None
    if isinstance(obj, Path):
        return str(obj)
    return obj


def canonical_json(obj: Any) -> str:
    return json.dumps(_clean(obj), sort_keys=True, separators=(",", ":"), allow_nan=False)


def config_hash(config: Mapping[str, Any]) -> str:
    return hashlib.sha256(canonical_json(config).encode()).hexdigest()


def _atomic_write_bytes(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


def atomic_write_json(path: Path, obj: Any) -> None:
    """Write JSON to ``path`` atomically (temp file + rename)."""
    _atomic_write_bytes(Path(path), (json.dumps(_clean(obj), indent=2, allow_nan=False) + "\n").encode())


def atomic_write_npz(path: Path, arrays: Mapping[str, np.ndarray]) -> None:
    """Write a ``.npz`` archive atomically."""
    buf = io.BytesIO()
    np.savez(buf, **{k: np.asarray(v) for k, v in arrays.items()})  # type: ignore[arg-type]
    _atomic_write_bytes(Path(path), buf.getvalue())


def environment() -> dict[str, Any]:
    """Library versions and backend of this process (imports Keras)."""
    import keras
    import sklearn

    import losslab

    env: dict[str, Any] = {
        "losslab": losslab.__version__,
        "backend": keras.backend.backend(),
        "keras": keras.__version__,
        "numpy": np.__version__,
        "scikit-learn": sklearn.__version__,
        "python": sys.version.split()[0],
        "platform": platform.platform(),
    }
    backend = env["backend"]
    try:
        mod = __import__({"tensorflow": "tensorflow", "torch": "torch", "jax": "jax"}.get(backend, backend))
        env[backend] = getattr(mod, "__version__", "?")
    except ImportError:
        pass
    return env


class RunStore:
    """One run directory: manifest, prepared data, initial weights and trial records.

    Args:
        path: the run directory (created if missing).

    Example:
        >>> store = RunStore("runs/demo")  # doctest: +SKIP
        >>> store.open(manifest)           # refuses a different config  # doctest: +SKIP
        >>> store.append(record, predictions)  # doctest: +SKIP
    """

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self.path = Path(path)
        self.lock = RunLock(self.path)
        #: what :meth:`records` had to leave out (damaged lines), one text per line
        self.damaged: list[str] = []

    # ------------------------------------------------------------------ layout
    @property
    def manifest_path(self) -> Path:
        return self.path / "manifest.json"

    @property
    def data_dir(self) -> Path:
        return self.path / "data"

    @property
    def trials_path(self) -> Path:
        return self.path / "trials.jsonl"

    def init_weights_path(self, seed: int) -> Path:
        return self.path / "init" / f"seed-{seed}.npz"

    def trial_json(self, trial_id: str) -> Path:
        return self.path / "trials" / f"{trial_id}.json"

    def trial_npz(self, trial_id: str) -> Path:
        return self.path / "trials" / f"{trial_id}.npz"

    @property
    def leaderboard_path(self) -> Path:
        return self.path / "leaderboard.json"

    # ------------------------------------------------------------------ reading helpers
    def _read_json(self, path: Path, kind: type = object) -> Any:
        """A stored JSON file, checked to be a ``kind`` (e.g. ``dict``)."""
        try:
            obj = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError) as e:  # ValueError: bad JSON or bytes that are not UTF-8
            raise RunDirectoryError(
                f"Cannot read {str(path)!r}: {' '.join(str(e).split())[:200]}. The file is "
                "damaged; restore it, or re-run the experiment into a new --out directory."
            ) from None
        if not isinstance(obj, kind):
            raise RunDirectoryError(
                f"Cannot read {str(path)!r}: expected a JSON {kind.__name__}, found a "
                f"{type(obj).__name__}. The file is damaged; restore it, or re-run the "
                "experiment into a new --out directory."
            )
        return obj

    @staticmethod
    def _read_npz(path: Path) -> dict[str, np.ndarray]:
        """A stored ``.npz`` archive; a damaged one raises :class:`RunDirectoryError`."""
        try:
            with np.load(path, allow_pickle=False) as z:
                return {k: z[k] for k in z.files}
        except (OSError, ValueError, EOFError, KeyError, zipfile.BadZipFile) as e:
            size = path.stat().st_size if path.exists() else 0
            raise RunDirectoryError(
                f"Cannot read {str(path)!r} ({size} bytes): not a valid .npz archive "
                f"({type(e).__name__}). The file is damaged; restore it, or re-run the "
                "experiment into a new --out directory."
            ) from None

    # ------------------------------------------------------------------ prepared data, weights
    def save_prepared(self, prepared: PreparedData) -> None:
        """Write ``data/split.npz`` and ``data/preprocess.json`` (atomically)."""
        atomic_write_npz(self.data_dir / "split.npz", prepared.arrays())
        atomic_write_json(self.data_dir / "preprocess.json", prepared.meta())

    def has_prepared(self) -> bool:
        return (self.data_dir / "split.npz").exists()

    def load_prepared(self) -> PreparedData:
        """The prepared split the trials train on."""
        return PreparedData.from_stored(self.read_split(), self.read_preprocess() or {})

    def read_split(self) -> dict[str, np.ndarray]:
        """``data/split.npz`` (an empty dict when it is not stored)."""
        p = self.data_dir / "split.npz"
        return self._read_npz(p) if p.exists() else {}

    def read_preprocess(self) -> dict[str, Any] | None:
        """``data/preprocess.json`` or None."""
        p = self.data_dir / "preprocess.json"
        return self._read_json(p, dict) if p.exists() else None

    def write_initial_weights(self, seed: int, weights: list[np.ndarray]) -> None:
        atomic_write_npz(self.init_weights_path(seed), {f"w{i:04d}": w for i, w in enumerate(weights)})

    def read_initial_weights(self, seed: int) -> list[np.ndarray]:
        """The stored initial body weights of ``seed``, in layer order."""
        z = self._read_npz(self.init_weights_path(seed))
        return [z[k] for k in sorted(z)]

    def read_predictions(self, trial_id: str) -> dict[str, np.ndarray] | None:
        """Test-split predictions of one trial (``trials/<id>.npz``), or None."""
        p = self.trial_npz(trial_id)
        return self._read_npz(p) if p.exists() else None

    def read_leaderboard(self) -> dict[str, Any] | None:
        """``leaderboard.json`` or None (a run that did not finish)."""
        p = self.leaderboard_path
        return self._read_json(p, dict) if p.exists() else None

    # ------------------------------------------------------------------ manifest
    def read_manifest(self) -> dict[str, Any] | None:
        """``manifest.json``, or None when the directory holds none."""
        if not self.manifest_path.exists():
            return None
        return self._read_json(self.manifest_path, dict)

    def open(self, manifest: dict[str, Any]) -> bool:
        """Lock the run directory, then create it or check that it holds this same run.

        The lock (:class:`~losslab.experiment.lock.RunLock` on ``RUN_DIR/.lock``) is held
        until :meth:`close` or the end of the process, so manifest checks and writes cannot
        interleave with another writer's.

        Returns:
            True when the directory already held this run (a resume).

        Raises:
            RunDirectoryError: the path is a file, or the directory holds a run with another
                config or other data, or files that are not a run.
            RunDirectoryBusy: another process holds the directory's lock.
        """
        if self.path.exists() and not self.path.is_dir():
            raise RunDirectoryError(
                f"The run directory {str(self.path)!r} is an existing file. Pass a new "
                "directory as --out (out=...)."
            )
        created = not self.path.exists()
        self.lock.acquire()
        try:
            return self._check_or_create(manifest)
        except BaseException:
            self.close()
            if created:  # leave nothing behind for a run that was refused
                (self.path / LOCK_NAME).unlink(missing_ok=True)
                if not any(self.path.iterdir()):
                    self.path.rmdir()
            raise

    def close(self) -> None:
        """Release the run directory's lock (a no-op when it is not held)."""
        self.lock.release()

    def _check_or_create(self, manifest: dict[str, Any]) -> bool:
        old = self.read_manifest()
        if old is None:
            ignored = {".DS_Store", LOCK_NAME}
            stray = sorted(p.name for p in self.path.iterdir() if p.name not in ignored)
            if stray:
                raise RunDirectoryError(
                    f"Run directory {str(self.path)!r} is not empty and holds no losslab manifest "
                    f"(found {', '.join(stray[:3])}). Pass an empty or new --out directory."
                )
            atomic_write_json(self.manifest_path, manifest)
            return False
        if old.get("format") != "losslab-run":
            raise RunDirectoryError(f"{self.manifest_path} is not a losslab run manifest. Use another --out directory.")
        if old.get("data", {}).get("fingerprint") != manifest["data"]["fingerprint"]:
            raise RunDirectoryError(
                f"Run directory {str(self.path)!r} holds a run on different data (fingerprint "
                f"{str(old.get('data', {}).get('fingerprint'))[:19]}..., now "
                f"{manifest['data']['fingerprint'][:19]}...). Use another --out directory to start a new run."
            )
        if old.get("config_hash") != manifest["config_hash"]:
            diff = sorted(
                k
                for k in set(old.get("config", {})) | set(manifest["config"])
                if canonical_json(old.get("config", {}).get(k)) != canonical_json(manifest["config"].get(k))
            )
            raise RunDirectoryError(
                f"Run directory {str(self.path)!r} holds a run with another configuration "
                f"(different: {', '.join(diff) or 'config'}). Re-run with the same options to resume it, "
                "or use another --out directory for a new run."
            )
        return True

    # ------------------------------------------------------------------ trials
    def records(self) -> list[dict[str, Any]]:
        """Finished trial records in completion order.

        A torn last line (a killed process) is ignored: that trial is simply not finished.
        Any other line that is not a JSON trial record is left out and named in
        :attr:`damaged` (``"trials.jsonl line 5 (not valid JSON)"``), so that the report and
        the terminal can say what was left out. When a trial id appears twice (a re-run after
        its files were removed or its line damaged), the last wins.
        """
        self.damaged = []
        if not self.trials_path.exists():
            return []
        out: dict[str, dict[str, Any]] = {}
        with open(self.trials_path, "rb") as f:
            for number, raw in enumerate(f, 1):
                if not raw.endswith(b"\n"):
                    break  # torn write of a killed process
                if not raw.strip():
                    continue
                try:
                    rec = json.loads(raw)
                except ValueError:  # invalid JSON, or bytes that are not UTF-8
                    self.damaged.append(f"trials.jsonl line {number} (not valid JSON)")
                    continue
                if not isinstance(rec, dict) or not isinstance(rec.get("trial_id"), str):
                    self.damaged.append(f"trials.jsonl line {number} (not a trial record)")
                    continue
                out.pop(rec["trial_id"], None)
                out[rec["trial_id"]] = rec
        return list(out.values())

    def check_initial_weights(self, seed: int) -> None:
        """Raise :class:`RunDirectoryError` when ``init/seed-S.npz`` is damaged (on resume:
        a trial must never start from weights that differ from its competitors')."""
        path = self.init_weights_path(seed)
        try:
            self._read_npz(path)
        except RunDirectoryError:
            raise RunDirectoryError(
                f"The initial weights {str(path)!r} of seed {seed} are damaged, so the run cannot "
                "resume fairly (every loss must start from the same weights). Delete that file "
                "and the trials of seed "
                f"{seed} to redo them, or re-run into a new --out directory."
            ) from None

    def finished_ids(self) -> set[str]:
        return {r["trial_id"] for r in self.records()}

    def append(self, record: Mapping[str, Any], arrays: Mapping[str, np.ndarray] | None = None) -> None:
        """Store one finished trial: its npz and json files (atomic), then its jsonl line."""
        trial_id = str(record["trial_id"])
        if arrays:
            atomic_write_npz(self.trial_npz(trial_id), arrays)
        atomic_write_json(self.trial_json(trial_id), record)
        line = (canonical_json(record) + "\n").encode()
        self._repair_tail()
        with open(self.trials_path, "ab") as f:
            f.write(line)
            f.flush()
            os.fsync(f.fileno())

    def _repair_tail(self) -> None:
        """Cut a torn last line (left by a killed process) before appending."""
        p = self.trials_path
        if not p.exists() or p.stat().st_size == 0:
            return
        with open(p, "rb+") as f:
            f.seek(-1, os.SEEK_END)
            if f.read(1) == b"\n":
                return
            f.seek(0)
            data = f.read()
            keep = data.rfind(b"\n") + 1
            f.truncate(keep)
