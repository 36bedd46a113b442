"""The files of the hostile-input corpus (tests/cli/test_hostile.py): tiny tables with one
defect each, custom loss modules that misbehave, and helpers that damage a stored run.

Every table is built here from a seeded generator, so the corpus needs no data on disk.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Callable
from pathlib import Path

import numpy as np

N_ROWS = 40


def _rows(cols: list[list[str]]) -> str:
    return "".join(",".join(r) + "\n" for r in zip(*cols, strict=True))


def _fmt(a: np.ndarray) -> list[str]:
    return [f"{v:.4f}" for v in a]


def write_tables(d: Path) -> None:
    """The data files of the corpus, in ``d``."""
    rng = np.random.default_rng(0)
    x, x2 = rng.normal(size=N_ROWS), rng.normal(size=N_ROWS)
    y = 2 * x + 0.1 * rng.normal(size=N_ROWS)
    X, X2, Y = _fmt(x), _fmt(x2), _fmt(y)
    idx = range(N_ROWS)
    t = {
        "reg.csv": "x,x2,y\n" + _rows([X, X2, Y]),
        "cls.csv": "x,x2,y\n" + _rows([X, X2, ["ab"[int(v > 0)] for v in y]]),
        "dup.csv": "x,x,y\n" + _rows([X, X2, Y]),
        "header.csv": "x,y\n",
        "empty.csv": "",
        "malformed.csv": "x,y\n1,2\n3,4,5\n6,7\n",
        "textreg.csv": "x,y\n" + _rows([X, [f"a{i}" for i in idx]]),
        "nan.csv": "x,y\n" + _rows([X, [""] * N_ROWS]),
        "const.csv": "x,y\n" + _rows([X, ["5.0"] * N_ROWS]),
        "inf.csv": "x,y\n" + _rows([X, [("inf" if i % 7 == 0 else v) for i, v in enumerate(Y)]]),
        "manycls.csv": "x,y\n" + _rows([X, [f"c{i}" for i in idx]]),
        "ord.csv": "x,y\n" + _rows([X, [["dog", "cat", "bird"][i % 3] for i in idx]]),
        "dates.csv": "d,x,y\n" + _rows([[f"2024-01-{i % 28 + 1:02d}" for i in idx], X, Y]),
        "ev.csv": "y,p,w,s\n" + _rows([Y, X, ["1.0"] * N_ROWS, ["a"] * N_ROWS]),
        "evhdr.csv": "y,p\n",
        "data.xlsx": "not a spreadsheet",
        "bad.parquet": "not parquet at all",
        "empty.parquet": "",
    }
    for name, text in t.items():
        (d / name).write_text(text)
    body = _rows([X, X2, Y]).encode()
    (d / "latin1.csv").write_bytes("x,caf\xe9,y\n".encode("latin-1") + body)
    (d / "latin1val.csv").write_bytes(b"x,y\n1,caf\xe9\n2,b\n3,c\n")
    (d / "bad.npz").write_bytes(os.urandom(64))
    (d / "empty.npz").write_bytes(b"")
    (d / "model.keras").write_bytes(b"garbage, not a zip")
    (d / "adir").mkdir()


def write_modules(d: Path) -> None:
    """Custom loss modules that misbehave (unique names: the import system caches them)."""
    mods = {
        "hostile_syntax.py": "def oops(:\n",
        "hostile_raises.py": "raise RuntimeError('boom at import')\n",
        "hostile_attrs.py": "three = 3\n\ndef no_args():\n    return 0\n",
        "hostile_model.py": "def factory():\n    raise RuntimeError('no model today')\n",
    }
    for name, text in mods.items():
        (d / name).write_text(text)


def tree_hashes(root: Path, skip: tuple[str, ...] = ()) -> dict[str, str]:
    """SHA-256 of every file under ``root`` (relative paths), except paths under ``skip``."""
    out = {}
    for dirpath, _dirs, files in os.walk(root):
        for f in files:
            p = Path(dirpath) / f
            rel = p.relative_to(root).as_posix()
            if "__pycache__" in rel or f == ".lock":  # the lock file records its last holder
                continue
            if any(rel == s or rel.startswith(s + "/") for s in skip):
                continue
            out[rel] = hashlib.sha256(p.read_bytes()).hexdigest()
    return out


# ---------------------------------------------------------------- damage to a stored run
Damage = Callable[[Path], None]


def overwrite(rel: str, data: bytes) -> Damage:
    def go(d: Path) -> None:
        (d / rel).write_bytes(data)

    return go


def random_bytes(rel: str) -> Damage:
    return overwrite(rel, np.random.default_rng(1).bytes(300))


def remove(rel: str) -> Damage:
    def go(d: Path) -> None:
        (d / rel).unlink()

    return go


def replace_line(rel: str, index: int, data: bytes) -> Damage:
    """Replace line ``index`` of a JSON-lines file (0-based)."""

    def go(d: Path) -> None:
        lines = (d / rel).read_bytes().splitlines(keepends=True)
        lines[index] = data
        (d / rel).write_bytes(b"".join(lines))

    return go


def first_trial(run: str, ext: str) -> Damage:
    """Random bytes over the first trial's ``.npz`` or ``.json`` of the run ``run``."""

    def go(d: Path) -> None:
        path = sorted((d / run / "trials").glob(f"*.{ext}"))[0]
        path.write_bytes(np.random.default_rng(2).bytes(200))

    return go


def empty_first_trial(run: str, ext: str) -> Damage:
    def go(d: Path) -> None:
        sorted((d / run / "trials").glob(f"*.{ext}"))[0].write_bytes(b"")

    return go
