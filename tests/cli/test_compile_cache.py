"""The CLI's persistent compilation cache: the ``losslab`` process gives JAX a cache
directory (``$XDG_CACHE_HOME/losslab/jax``) unless the user chose one or turned it off;
importing the library changes no JAX setting. The oracle is the file system: JAX writes
its compiled programs there."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from losslab.cli.app import CACHE_ENV, compile_cache


def _clean_env(monkeypatch: pytest.MonkeyPatch, xdg: Path) -> None:
    # compile_cache writes os.environ directly: give it a copy, so nothing it sets outlives the
    # test (a leaked JAX_COMPILATION_CACHE_MAX_SIZE turns on JAX's cache eviction in later
    # subprocesses sharing make test's cache, which then race on its access-time files)
    if not getattr(os.environ, "_losslab_test_copy", False):
        env = type("_Env", (dict,), {"_losslab_test_copy": True})(os.environ)
        monkeypatch.setattr(os, "environ", env)
    for name in ("JAX_COMPILATION_CACHE_DIR", CACHE_ENV, "JAX_PERSISTENT_CACHE_MIN_COMPILE_TIME_SECS", "JAX_COMPILATION_CACHE_MAX_SIZE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(xdg))
    monkeypatch.delitem(sys.modules, "jax", raising=False)  # as in a fresh CLI process


def test_the_cache_directory_is_chosen_only_when_nobody_else_chose(tmp_path, monkeypatch, capsys) -> None:
    _clean_env(monkeypatch, tmp_path / "xdg")
    assert compile_cache() == str(tmp_path / "xdg" / "losslab" / "jax")
    assert os.environ["JAX_COMPILATION_CACHE_DIR"] == str(tmp_path / "xdg" / "losslab" / "jax")
    assert os.environ["JAX_COMPILATION_CACHE_MAX_SIZE"] == str(2**30)

    _clean_env(monkeypatch, tmp_path / "xdg2")
    monkeypatch.setenv(CACHE_ENV, "off")
    assert compile_cache() is None and "JAX_COMPILATION_CACHE_DIR" not in os.environ
    assert not (tmp_path / "xdg2").exists()

    _clean_env(monkeypatch, tmp_path / "xdg3")
    monkeypatch.setenv(CACHE_ENV, str(tmp_path / "mine"))
    assert compile_cache() == str(tmp_path / "mine")

    _clean_env(monkeypatch, tmp_path / "xdg3b")  # a path that cannot be a directory: said, then no cache
    (tmp_path / "a-file").write_text("")
    monkeypatch.setenv(CACHE_ENV, str(tmp_path / "a-file"))
    assert compile_cache() is None and "JAX_COMPILATION_CACHE_DIR" not in os.environ
    warning = capsys.readouterr().err
    assert warning.count("\n") == 1 and f"{CACHE_ENV}={tmp_path / 'a-file'} is not a usable directory" in warning

    _clean_env(monkeypatch, tmp_path / "xdg4")
    monkeypatch.setenv("JAX_COMPILATION_CACHE_DIR", str(tmp_path / "users"))
    assert compile_cache() is None and os.environ["JAX_COMPILATION_CACHE_DIR"] == str(tmp_path / "users")

    _clean_env(monkeypatch, tmp_path / "xdg5")
    import jax  # noqa: F401 - JAX already imported: its setting is left alone

    assert compile_cache() is None and "JAX_COMPILATION_CACHE_DIR" not in os.environ


@pytest.mark.slow
def test_a_cli_comparison_writes_its_compiled_programs_to_the_cache(tmp_path) -> None:
    rng = np.random.default_rng(0)
    x = rng.normal(size=(200, 3))
    y = x @ np.array([1.0, -1.0, 0.5]) + 0.1 * rng.normal(size=200)
    csv = tmp_path / "t.csv"
    csv.write_text("a,b,c,y\n" + "\n".join(",".join(f"{v:.5f}" for v in (*row, t)) for row, t in zip(x, y, strict=True)))
    env = {k: v for k, v in os.environ.items() if k not in ("JAX_COMPILATION_CACHE_DIR", CACHE_ENV)}
    env.update(XDG_CACHE_HOME=str(tmp_path / "xdg"), KERAS_BACKEND="jax")
    cmd = [sys.executable, "-c", "import sys; from losslab.cli import main; sys.exit(main(sys.argv[1:]))", "compare", str(csv), "--target", "y", "--losses", "mse,mae",
           "--seeds", "1", "--max-epochs", "2", "--quiet", "--no-report", "--out", str(tmp_path / "run")]
    done = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    cached = [p for p in (tmp_path / "xdg" / "losslab" / "jax").rglob("*") if p.is_file()]
    assert cached, "no compiled program was written to the cache"
