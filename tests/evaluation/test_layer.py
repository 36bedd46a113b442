"""losslab.evaluation sits below experiment and spark: importing any of its modules loads
neither, nor Optuna, Typer, Rich, a plotting library, Keras or pyspark."""

from __future__ import annotations

import ast
import pkgutil
import subprocess
import sys
from pathlib import Path

import losslab.evaluation

FORBIDDEN = (
    "losslab.experiment",
    "losslab.spark",
    "losslab.report",
    "losslab.cli",
    "optuna",
    "typer",
    "rich",
    "plotly",
    "matplotlib",
    "pyspark",
    "keras",
    "jax",
    "torch",
    "tensorflow",
)
PACKAGE_DIR = Path(losslab.evaluation.__file__).parent


def _modules() -> list[str]:
    return ["losslab.evaluation"] + [
        f"losslab.evaluation.{m.name}" for m in pkgutil.iter_modules([str(PACKAGE_DIR)])
    ]


def test_every_module_imports_alone_without_upper_layers() -> None:
    modules = _modules()
    assert len(modules) >= 5, modules
    for module in modules:
        code = (
            "import sys, importlib\n"
            f"importlib.import_module({module!r})\n"
            f"bad = sorted({{m for m in sys.modules for f in {FORBIDDEN!r} "
            "if m == f or m.startswith(f + '.')})\n"
            "print(','.join(bad))"
        )
        proc = subprocess.run(
            [sys.executable, "-c", code], capture_output=True, text=True, timeout=120
        )
        assert proc.returncode == 0, proc.stderr
        assert proc.stdout.strip() == "", f"import {module} loaded {proc.stdout.strip()}"


def test_no_import_of_upper_layers_even_inside_functions() -> None:
    """Lazy imports would hide a cycle from the subprocess test: read every import statement."""
    for path in sorted(PACKAGE_DIR.glob("*.py")):
        tree = ast.parse(path.read_text(), filename=str(path))
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom):
                names = [node.module or ""]
            else:
                continue
            for name in names:
                bad = [f for f in FORBIDDEN if name == f or name.startswith(f + ".")]
                assert not bad, f"{path.name}:{node.lineno} imports {name}"


def test_public_names_are_exported() -> None:
    for name in losslab.evaluation.__all__:
        assert hasattr(losslab.evaluation, name), name
    assert callable(losslab.evaluation.evaluate)
