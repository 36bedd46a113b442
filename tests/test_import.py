"""``import losslab`` is cheap: no deep-learning backend, no Spark, Optuna or plotting."""

from __future__ import annotations

import subprocess
import sys

HEAVY = ("keras", "jax", "torch", "tensorflow", "pyspark", "optuna", "plotly", "pandas", "sklearn")


def _fresh(code: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-X", "importtime", "-c", code],
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_import_losslab_imports_no_heavy_module():
    code = f"import sys, losslab\nprint(','.join(m for m in {HEAVY!r} if m in sys.modules))"
    proc = _fresh(code)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == "", f"import losslab imported: {proc.stdout.strip()}"


def test_listing_the_catalog_imports_no_deep_learning_backend():
    code = (
        "import sys, losslab\n"
        "specs = losslab.list_losses()\n"
        "spec = losslab.get_spec('huber')\n"
        "assert len(specs) >= 22 and spec.name == 'huber'\n"
        f"print(','.join(m for m in {HEAVY[:7]!r} if m in sys.modules))"
    )
    proc = _fresh(code)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == "", f"the catalog imported: {proc.stdout.strip()}"


def test_import_losslab_is_fast():
    """Cumulative import time of the package itself (python -X importtime)."""
    proc = _fresh("import losslab")
    assert proc.returncode == 0, proc.stderr
    row = [ln for ln in proc.stderr.splitlines() if ln.rstrip().endswith("| losslab")][-1]
    assert int(row.split("|")[1]) < 300_000, row


def test_lazy_public_api_resolves():
    import losslab

    assert callable(losslab.get) and callable(losslab.list_losses)
    assert "get" in dir(losslab)
