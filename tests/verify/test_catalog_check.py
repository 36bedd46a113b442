"""`losslab check` passes every catalog loss (the catalog's own tests use the battery).

Three checks are off here because tests/catalog/test_conformance.py already runs them for
every loss on every backend: cross-backend values, reductions and sample weights, and the
.keras round trip. The others (one value per sample, (N,) vs (N, 1), edges, descent,
minimum, jit, half precision) run on a batch of 16.
"""

from __future__ import annotations

import pytest

import losslab

SPECS = losslab.list_losses()
N = 16  # the conformance suite's batch: same shapes, so a worker reuses jax's compiled operations

# Real defects found by the battery, in Keras 3.15.1 itself (the catalog entries wrap the
# Keras functions), seen on jax and torch. strict there: the test fails as soon as they are
# fixed, so the mark goes.


def _param(spec):
    marks = []
    if spec.name == "ctc":
        marks.append(pytest.mark.slow)
    return pytest.param(spec, id=spec.name, marks=marks)


@pytest.mark.parametrize("spec", [_param(s) for s in SPECS])
def test_every_catalog_loss_passes_the_battery(spec) -> None:
    report = losslab.check(spec, backends=None, batch=N, skip=("backends", "save_load", "reductions"))
    report.assert_passes()
