"""The cross-backend row: other installed backends compute the loss in subprocesses
(KERAS_BACKEND is fixed per process)."""

from __future__ import annotations

import keras
import pytest

import losslab
from losslab.verify._backend import installed_backends
from tests.verify.corpus import broken_losses, good_losses

# one other backend keeps the test short: torch (the lightest to start), else jax
_CANDIDATES = [b for b in ("torch", "jax") if b in installed_backends() and b != keras.backend.backend()]
OTHERS = _CANDIDATES[:1]

pytestmark = [
    pytest.mark.skipif(not OTHERS, reason="only one Keras backend is installed: nothing to compare with"),
]


@pytest.mark.slow
def test_backend_dependent_loss_fails() -> None:
    bad = losslab.check(broken_losses.backend_dependent, backends=OTHERS, only=["backends"])
    assert bad["backends"].status == "fail", str(bad)
    here = keras.backend.backend()
    # 1.5 x the squared error away from jax, 1.0 x on jax
    assert f"{OTHERS[0]} gives" in bad["backends"].evidence and f"{here} gives" in bad["backends"].evidence
    assert bad["backends"].fix


@pytest.mark.slow
def test_correct_loss_passes_on_another_backend() -> None:
    only = ["backends", "jit"]
    good = losslab.check(good_losses.scaled_mae, backends=OTHERS, only=only, params={"scale": 2.0})
    assert good["backends"].status == "pass", str(good)
    for b in OTHERS:
        assert b in good["backends"].evidence
    assert good["jit"].status == "pass"


def test_loss_that_cannot_be_rebuilt_elsewhere_is_not_applicable() -> None:
    from keras import ops

    def local_mse(y_true, y_pred):  # defined in a function: no module path to import
        return ops.mean(ops.square(y_pred - y_true), axis=-1)

    report = losslab.check(local_mse, backends=OTHERS, only=["backends"])
    assert report["backends"].status == "n/a"
    assert "cannot rebuild the loss in another process" in report["backends"].evidence
