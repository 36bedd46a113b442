"""Gradients of every loss with a custom gradient path against float64 central finite
differences (relative error <= 1e-5), computed with keras ops under JAX with
``jax_enable_x64`` in a fresh subprocess (tests/independent/_gradcheck_worker.py), so the
float64 settings never leak into this test session. Cases: tests/independent/gradient_cases.py.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.independent.gradient_cases import CASES

REPO = Path(__file__).resolve().parents[2]
TOLERANCE = 1e-5

pytestmark = pytest.mark.slow  # one subprocess, ~35 jitted losses: 40 s of CPU


@pytest.fixture(scope="module")
def relative_errors() -> dict[str, float | str]:
    env = dict(os.environ)
    env.update(
        KERAS_BACKEND="jax",
        JAX_ENABLE_X64="1",
        TF_CPP_MIN_LOG_LEVEL="3",
        PYTHONPATH=os.pathsep.join([str(REPO / "src"), str(REPO), env.get("PYTHONPATH", "")]),
    )
    done = subprocess.run(
        [sys.executable, "-m", "tests.independent._gradcheck_worker"],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(done.stdout.strip().splitlines()[-1])


@pytest.mark.parametrize("case_id", list(CASES))
def test_gradient_matches_finite_differences(relative_errors, case_id):
    err = relative_errors[case_id]
    assert not isinstance(err, str), f"{case_id}: {err}"
    assert err <= TOLERANCE, f"{case_id}: relative gradient error {err:.2e} > {TOLERANCE:g}"


def test_harness_detects_a_wrong_gradient(relative_errors):
    # y * stop_gradient(y): autodiff says y, the true derivative is 2 y
    assert relative_errors["control-stop-gradient"] == pytest.approx(0.5, rel=1e-6)
