"""The examples in the docstrings of every module of ``losslab`` run, with their real outputs.

One case per module, so a failure names the module; each runs in a fresh temporary working
directory (examples that write files write there). ``+SKIP`` is kept for examples that need
a trained model or a cluster.
"""

from __future__ import annotations

import doctest
import importlib
import io
import pkgutil
from pathlib import Path

import pytest

import losslab

OPTIONS = doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE

#: Optional dependencies: a module that cannot be imported without one is skipped, not failed.
OPTIONAL = frozenset({"pyspark", "torch", "tensorflow"})

#: Modules whose examples take more than ~10 s (they build Keras models or start Spark).
SLOW: frozenset[str] = frozenset()


def _module_names() -> list[str]:
    names = [losslab.__name__]
    for info in pkgutil.walk_packages(losslab.__path__, prefix=losslab.__name__ + "."):
        names.append(info.name)
    return sorted(names)


def _cases() -> list[object]:
    return [
        pytest.param(name, marks=pytest.mark.slow) if name in SLOW else name
        for name in _module_names()
    ]


@pytest.mark.parametrize("module_name", _cases())
def test_docstring_examples_run(
    module_name: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    try:
        module = importlib.import_module(module_name)
    except ModuleNotFoundError as e:
        if (e.name or "").split(".")[0] in OPTIONAL:
            pytest.skip(f"{module_name} needs {e.name}, which is not installed")
        raise
    monkeypatch.chdir(tmp_path)
    finder = doctest.DocTestFinder(exclude_empty=True)
    runner = doctest.DocTestRunner(optionflags=OPTIONS)
    out = io.StringIO()
    for test in finder.find(module, module_name):
        runner.run(test, out=out.write)
    result = runner.summarize(verbose=False)
    assert result.failed == 0, (
        f"{result.failed} of {result.attempted} docstring examples of {module_name} failed:\n"
        + out.getvalue()
    )


def test_every_module_is_collected() -> None:
    names = _module_names()
    assert "losslab.report.html" in names
    assert "losslab.report._figures.common" in names
    assert "losslab.catalog._registry" in names
