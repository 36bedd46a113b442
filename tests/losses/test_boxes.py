"""Box losses: TensorFlow Addons' GIoU values, DIoU / CIoU by hand, oracles, gradients."""

from __future__ import annotations

import math

import numpy as np
import pytest

from losslab.losses import boxes
from losslab.reference import boxes as ref
from tests.conftest import load_reference_cases
from tests.losses._helpers import to_numpy

GIOU = [c for c in load_reference_cases("tfa_loss_cases.json") if c["loss"] == "giou"]


# Source: tensorflow_addons/losses/tests/giou_loss_test.py (each case's notes name the test).
@pytest.mark.parametrize("case", GIOU, ids=lambda c: c["notes"].split(".")[0])
def test_tfa_giou_cases(case):
    kwargs = dict(case["kwargs"])
    reduction = kwargs.pop("reduction", None)
    t, p = np.array(case["y_true"]), np.array(case["y_pred"])
    if reduction is None:
        got = boxes.giou_loss(t, p, **kwargs)
    else:  # the Keras-object form
        got = boxes.GIoULoss(reduction=reduction, **kwargs)(
            t.astype("float32"), p.astype("float32")
        )
    # one value per box; the broadcast case gives shape (2, 1), TFA lists its 2 values
    got = to_numpy(got)
    assert got.size == np.size(case["expected"])
    np.testing.assert_allclose(got.ravel(), np.ravel(case["expected"]), rtol=1e-6)
    if reduction is None:
        np.testing.assert_allclose(
            np.ravel(ref.iou_loss(t, p, **kwargs)), np.ravel(case["expected"]), rtol=1e-6
        )


def test_diou_and_ciou_by_hand():
    # true [0,0,2,2], predicted [1,1,3,4]: intersection 1x1 = 1, union 4 + 6 - 1 = 9,
    # enclosing box [0,0,3,4]: diagonal^2 = 9 + 16 = 25; centres (1,1) and (2,2.5): rho^2 = 1 + 2.25.
    t = np.array([[0.0, 0.0, 2.0, 2.0]], "float32")
    p = np.array([[1.0, 1.0, 3.0, 4.0]], "float32")
    iou = 1 / 9
    diou = iou - 3.25 / 25
    v = 4 / math.pi**2 * (math.atan(2 / 2) - math.atan(3 / 2)) ** 2
    ciou = diou - v / (1 - iou + v) * v
    np.testing.assert_allclose(to_numpy(boxes.giou_loss(t, p, mode="diou")), [1 - diou], rtol=1e-6)
    np.testing.assert_allclose(to_numpy(boxes.giou_loss(t, p, mode="ciou")), [1 - ciou], rtol=1e-6)
    np.testing.assert_allclose(to_numpy(boxes.giou_loss(t, t, mode="ciou")), [0.0], atol=1e-7)


@pytest.mark.backends
@pytest.mark.parametrize("mode", ["iou", "giou", "diou", "ciou"])
def test_random_boxes_match_oracle(mode):
    from losslab.catalog import get_spec
    from losslab.catalog.inputs import generate

    spec = get_spec("giou")
    t, p = generate(spec.inputs, 32, {"mode": mode}, seed=1)
    np.testing.assert_allclose(
        to_numpy(boxes.giou_loss(t, p, mode=mode)),
        ref.iou_loss(t, p, mode=mode),
        rtol=1e-5,
        atol=1e-6,
    )


def test_gradients_finite_for_disjoint_and_degenerate_boxes():
    import jax

    t = np.array([[0.0, 0.0, 1.0, 1.0], [0.0, 0.0, 0.0, 0.0], [2.0, 2.0, 3.0, 3.0]], "float32")
    p = np.array([[5.0, 5.0, 6.0, 7.0], [0.0, 0.0, 0.0, 0.0], [2.0, 2.0, 3.0, 3.0]], "float32")
    for mode in ("iou", "giou", "diou", "ciou"):
        g = jax.jit(jax.grad(lambda q, mode=mode: boxes.giou_loss(t, q, mode=mode).sum()))(p)
        assert np.isfinite(np.asarray(g)).all(), mode
    # GIoU still pushes disjoint boxes together (plain IoU has zero gradient there)
    g = jax.grad(lambda q: boxes.giou_loss(t[:1], q, mode="giou").sum())(p[:1])
    assert np.abs(np.asarray(g)).sum() > 0
