"""Every catalog loss trains a small model: the training loss falls.

Driven by ``losslab.list_losses()``, so a new loss is covered (or must be excluded here with
a reason). One full batch of N = 64 synthetic samples per step, Adam, seeded; Keras reports
each epoch's loss before that epoch's update, so ``history["loss"][0]`` is the loss at the
initial weights. Claim checked: after EPOCHS steps the loss has fallen by at least
FRACTION of its initial magnitude (``max(|initial|, 0.1)``: losses such as the weighted kappa
or a Gaussian NLL start near 0 and go negative). Models and data: training_models.py.
"""

from __future__ import annotations

import numpy as np
import pytest

import losslab
from tests.independent.training_models import build, fit_params

EPOCHS = 60
FRACTION = 0.3

# name -> reason. Empty: every loss of the catalog can be driven.
EXCLUDED: dict[str, str] = {}


def _npairs_multilabel_floor(y: np.ndarray) -> float:
    """The smallest possible value: each row's cross-entropy is at least the entropy of its
    target row (shared-label counts ``y y^T`` normalised to sum 1, TensorFlow Addons'
    weighting), about 4.01 for these 64 samples with 4 labels, against ~4.4 at the start."""
    a = y @ y.T
    t = a / a.sum(axis=1, keepdims=True)
    return float(np.mean(-(t * np.log(np.where(t > 0, t, 1.0))).sum(axis=1)))


# name -> the loss's attainable minimum on the training data, for losses whose minimum is far
# from 0, so "fell by FRACTION" is measured on the distance to that floor.
FLOORS = {"npairs_multilabel": _npairs_multilabel_floor}

SPECS = [s for s in losslab.list_losses() if s.name not in EXCLUDED]

pytestmark = pytest.mark.slow  # ~60 small fits: about 2 minutes of CPU with compilation


def test_exclusions_and_floors_name_real_losses():
    names = {s.name for s in losslab.list_losses()}
    assert set(EXCLUDED) <= names
    assert set(FLOORS) <= names


@pytest.mark.parametrize("spec", SPECS, ids=lambda s: s.name)
def test_loss_falls_when_training(spec):
    import keras

    params = fit_params(spec)
    model, x, y = build(spec, params, seed=0)
    model.compile(optimizer=keras.optimizers.Adam(0.01), loss=losslab.get(spec.name, **params))
    history = model.fit(x, y, batch_size=len(y), epochs=EPOCHS, verbose=0, shuffle=False).history[
        "loss"
    ]
    first, last = history[0], history[-1]
    assert np.isfinite(history).all(), history
    floor = FLOORS[spec.name](np.asarray(y, dtype="float64")) if spec.name in FLOORS else None
    needed = FRACTION * (first - floor if floor is not None else max(abs(first), 0.1))
    assert first - last >= needed, (
        f"{spec.name}: loss went from {first:.4g} to {last:.4g} in {EPOCHS} steps; "
        f"expected a fall of at least {needed:.4g}"
    )
