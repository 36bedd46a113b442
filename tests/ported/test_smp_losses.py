"""segmentation_models.pytorch's loss tests, ported as conformance tests of losslab's losses.

Source: qubvel-org/segmentation_models.pytorch@5006616357631a48c7c8e11977cf5abb00803590
(2026-08-14), tests/test_losses.py; each test names its source test function. Tolerances are
the source's ``pytest.approx(expected, abs=eps)`` (or ``rel=eps`` where it passes eps
positionally).

Conventions converted (never failed on):
- smp takes ``(y_pred, y_true)`` in channels-first layout (N, C, H, W) / (N, C, L); losslab
  (Keras) takes ``(y_true, y_pred)`` channels last: arrays are moved with ``np.moveaxis``.
  A binary (1, 1, 1, L) mask becomes (1, 1, L, 1).
- smp's Dice/Jaccard/Tversky losses default to ``smooth=0`` and zero out classes absent
  from y_true: losslab's ``smooth=0.0, ignore_empty=True``. The ``soft_*_score`` functions
  are scores: losslab's loss is ``1 - score``.
- TverskyLoss(alpha, beta) is losslab's focal Tversky at gamma = 1.
- SoftCrossEntropyLoss(smooth_factor=0.1) is label smoothing 0.1 (uniform over classes);
  SoftBCEWithLogitsLoss(smooth_factor=0.1) maps targets to 0.1 / 0.9, i.e. Keras's BCE
  label_smoothing=0.2. Their ``ignore_index`` zeroes the ignored samples' values and still
  averages over every sample: a zero sample weight with Keras's sum_over_batch_size.
Not ported: class_weights tests (losslab's soft Dice / Jaccard / Tversky have no class
weights), the binary-mode class_weights error.
"""

from __future__ import annotations

import numpy as np
import pytest

from tests.ported._helpers import loss_value

EPS = 1e-5  # the tests' eps


def nhwc_binary(values) -> np.ndarray:
    """A binary mask given as .view(1, 1, 1, -1) (or (1, 1, -1)) -> channels last (1, 1, L, 1)."""
    return np.asarray(values, dtype=np.float32).reshape(1, 1, -1, 1)


def channels_last(x) -> np.ndarray:
    """(N, C, L) -> (N, L, C)."""
    return np.moveaxis(np.asarray(x, dtype=np.float32), 1, -1)


SMP_BIN = {"mode": "binary", "from_logits": False, "smooth": 0.0, "ignore_empty": True}
BINARY_CASES = [  # (y_pred, y_true, expected) of test_dice_loss_binary / test_tversky_loss_binary
    ([1.0, 1.0, 1.0], [1, 1, 1], 0.0),
    ([1.0, 0.0, 1.0], [1, 0, 1], 0.0),
    ([0.0, 0.0, 0.0], [0, 0, 0], 0.0),
    ([1.0, 1.0, 1.0], [0, 0, 0], 0.0),  # "worst case": the empty class is zeroed out
    ([1.0, 0.0, 1.0], [0, 1, 0], 1.0),
    ([0.0, 0.0, 0.0], [1, 1, 1], 1.0),
]


@pytest.mark.parametrize(("y_pred", "y_true", "expected"), BINARY_CASES)
def test_dice_loss_binary(y_pred, y_true, expected) -> None:
    """tests/test_losses.py test_dice_loss_binary (DiceLoss(mode='binary', from_logits=False))."""
    got = loss_value("soft_dice", nhwc_binary(y_true), nhwc_binary(y_pred), **SMP_BIN)
    assert float(got) == pytest.approx(expected, abs=EPS)


@pytest.mark.parametrize(("y_pred", "y_true", "expected"), BINARY_CASES)
def test_tversky_loss_binary(y_pred, y_true, expected) -> None:
    """tests/test_losses.py test_tversky_loss_binary (alpha = beta = 0.5: Dice)."""
    got = loss_value(
        "focal_tversky",
        nhwc_binary(y_true),
        nhwc_binary(y_pred),
        alpha=0.5,
        beta=0.5,
        gamma=1.0,
        **SMP_BIN,
    )
    assert float(got) == pytest.approx(expected, abs=EPS)


JACCARD_BINARY = [
    ([1.0], [1], 0.0, "abs"),
    *[(p, t, e, "abs" if e == 0.0 else "rel") for p, t, e in BINARY_CASES[1:]],
]


@pytest.mark.parametrize(("y_pred", "y_true", "expected", "kind"), JACCARD_BINARY)
def test_binary_jaccard_loss(y_pred, y_true, expected, kind) -> None:
    """tests/test_losses.py test_binary_jaccard_loss (the last two asserts pass eps as rel)."""
    got = float(loss_value("soft_jaccard", nhwc_binary(y_true), nhwc_binary(y_pred), **SMP_BIN))
    assert got == (
        pytest.approx(expected, abs=EPS) if kind == "abs" else pytest.approx(expected, EPS)
    )


MC_PRED = [[[1.0, 1.0, 0.0, 0.0], [0.0, 0.0, 1.0, 1.0]]]


@pytest.mark.parametrize(
    ("y_pred", "y_true", "expected"),
    [
        (MC_PRED, [[0, 0, 1, 1]], 0.0),
        (MC_PRED, [[1, 1, 0, 0]], 1.0),
        ([[[1.0, 0.0, 1.0, 0.0], [0.0, 1.0, 0.0, 1.0]]], [[1, 1, 0, 0]], 1.0 - 1.0 / 3.0),
    ],
)
def test_multiclass_jaccard_loss(y_pred, y_true, expected) -> None:
    """tests/test_losses.py test_multiclass_jaccard_loss ((N, C, L) scores -> (N, L, C))."""
    got = loss_value(
        "soft_jaccard",
        np.asarray(y_true),
        channels_last(y_pred),
        **{**SMP_BIN, "mode": "multiclass"},
    )
    assert float(got) == pytest.approx(expected, abs=EPS)


@pytest.mark.parametrize(
    ("y_pred", "y_true", "expected"),
    [
        (MC_PRED, MC_PRED, 0.0),
        (MC_PRED, 1 - np.asarray(MC_PRED), 1.0),
        (
            [[[0.0, 1.0, 1.0, 0.0], [0.0, 1.0, 1.0, 0.0]]],
            [[[1.0, 1.0, 0.0, 0.0], [1.0, 1.0, 0.0, 0.0]]],
            1.0 - 1.0 / 3.0,
        ),
    ],
)
def test_multilabel_jaccard_loss(y_pred, y_true, expected) -> None:
    """tests/test_losses.py test_multilabel_jaccard_loss."""
    got = loss_value(
        "soft_jaccard",
        channels_last(y_true),
        channels_last(y_pred),
        **{**SMP_BIN, "mode": "multilabel"},
    )
    assert float(got) == pytest.approx(expected, abs=EPS)


def _flat(x) -> np.ndarray:
    """MCCLoss flattens each sample: (1, 2, 4) -> a (1, 2, 4, 1) binary mask."""
    return np.asarray(x, dtype=np.float32).reshape(1, 2, 4, 1)


@pytest.mark.parametrize(
    ("y_pred", "y_true", "expected"),
    [
        (MC_PRED, MC_PRED, 0.0),
        (MC_PRED, 1 - np.asarray(MC_PRED), 2.0),
        (
            [[[0.0, 1.0, 1.0, 0.0], [0.0, 1.0, 1.0, 0.0]]],
            [[[1.0, 1.0, 0.0, 0.0], [1.0, 1.0, 0.0, 0.0]]],
            1.0,
        ),
        (np.zeros((1, 2, 4)), [[[1.0, 1.0, 0.0, 0.0], [1.0, 1.0, 0.0, 0.0]]], 1.0),
        (np.zeros((1, 2, 4)), np.ones((1, 2, 4)), 1 + 0.5),
        (np.ones((1, 2, 4)), np.ones((1, 2, 4)), 0.5),
    ],
)
def test_binary_mcc_loss(y_pred, y_true, expected) -> None:
    """tests/test_losses.py test_binary_mcc_loss (MCCLoss(eps=1e-5))."""
    got = loss_value("mcc", _flat(y_true), _flat(y_pred), mode="binary", eps=EPS)
    assert float(got) == pytest.approx(expected, abs=EPS)


@pytest.mark.parametrize(
    ("y_true", "y_pred", "expected"),
    [
        ([1, 1, 1, 1], [1, 1, 1, 1], 1.0),
        ([0, 1, 1, 0], [0, 1, 1, 0], 1.0),
        ([1, 1, 1, 1], [1, 1, 0, 0], None),
    ],
)
@pytest.mark.parametrize(("loss", "half"), [("soft_jaccard", 0.5), ("soft_dice", 2.0 / 3.0)])
def test_soft_scores(loss, half, y_true, y_pred, expected) -> None:
    """tests/test_losses.py test_soft_jaccard_score / test_soft_dice_score /
    test_soft_tversky_score (alpha = beta = 0.5, the Dice values): score = 1 - loss."""
    expected = half if expected is None else expected
    kw = {"mode": "binary", "smooth": 0.0}
    got = 1.0 - float(loss_value(loss, nhwc_binary(y_true), nhwc_binary(y_pred), **kw))
    assert got == pytest.approx(expected, EPS)
    if loss == "soft_dice":
        tv = 1.0 - float(
            loss_value(
                "focal_tversky",
                nhwc_binary(y_true),
                nhwc_binary(y_pred),
                alpha=0.5,
                beta=0.5,
                gamma=1.0,
                **kw,
            )
        )
        assert tv == pytest.approx(expected, EPS)


@pytest.mark.parametrize(
    ("y_true", "y_pred", "expected"),
    [
        ([[1, 1, 0, 0], [0, 0, 1, 1]], [[1, 1, 0, 0], [0, 0, 1, 1]], 1.0),
        ([[1, 1, 0, 0], [0, 0, 1, 1]], [[0, 0, 1, 0], [0, 1, 0, 0]], 0.0),
        ([[1, 1, 0, 0], [0, 0, 0, 1]], [[1, 1, 0, 0], [0, 0, 0, 0]], 0.5),
    ],
)
def test_soft_jaccard_score_per_row(y_true, y_pred, expected) -> None:
    """tests/test_losses.py test_soft_jaccard_score_2: scores over dims=[1] (one per row),
    then the mean: losslab's per-sample Jaccard on two (1, 4, 1) masks."""
    yt = np.asarray(y_true, dtype=np.float32).reshape(2, 1, 4, 1)
    yp = np.asarray(y_pred, dtype=np.float32).reshape(2, 1, 4, 1)
    got = 1.0 - float(
        loss_value("soft_jaccard", yt, yp, mode="binary", smooth=0.0, per_sample=True)
    )
    assert got == pytest.approx(expected, EPS)


def test_soft_ce_loss() -> None:
    """tests/test_losses.py test_soft_ce_loss (smooth_factor=0.1, sample 2 ignored)."""
    y_pred = np.array(
        [[+9, -9, -9, -9], [-9, +9, -9, -9], [-9, -9, +9, -9], [-9, -9, -9, +9]], dtype=np.float32
    )
    y_true = np.array([0, 1, 2, 3])  # the ignored -100 replaced by any valid class, weight 0
    got = loss_value(
        "sparse_categorical_crossentropy_smoothed",
        y_true,
        y_pred,
        sample_weight=[1, 1, 0, 1],
        label_smoothing=0.1,
        from_logits=True,
    )
    assert float(got) == pytest.approx(1.0125, abs=0.0001)


def test_soft_bce_loss() -> None:
    """tests/test_losses.py test_soft_bce_loss (smooth_factor=0.1 -> label_smoothing=0.2,
    sample 2 ignored)."""
    y_pred = np.array([-9, 9, 1, 9, -9], dtype=np.float32).reshape(-1, 1)
    y_true = np.array([0, 1, 0, 1, 0], dtype=np.float32).reshape(-1, 1)
    got = loss_value(
        "bce", y_true, y_pred, sample_weight=[1, 1, 0, 1, 1], from_logits=True, label_smoothing=0.2
    )
    assert float(got) == pytest.approx(0.7201, abs=0.0001)


def test_focal_loss_with_logits_good_below_bad() -> None:
    """tests/test_losses.py test_focal_loss_with_logits (binary, alpha 0.25, gamma 2)."""
    target = np.array([1, 0, 1], dtype=np.float32).reshape(-1, 1)
    kw = {"from_logits": True, "apply_class_balancing": True, "alpha": 0.25, "gamma": 2.0}
    good = loss_value(
        "binary_focal_crossentropy", target, np.array([[10.0], [-10.0], [10.0]]), **kw
    )
    bad = loss_value("binary_focal_crossentropy", target, np.array([[-1.0], [2.0], [0.0]]), **kw)
    assert good < bad


def test_softmax_focal_loss_with_logits_good_below_bad() -> None:
    """tests/test_losses.py test_softmax_focal_loss_with_logits."""
    target = np.eye(3)[[1, 0, 2]]
    good = loss_value(
        "categorical_focal",
        target,
        np.array([[0, 10, 0], [10, 0, 0], [0, 0, 10]]),
        from_logits=True,
    )
    bad = loss_value(
        "categorical_focal",
        target,
        np.array([[0, -10, 0], [0, 10, 0], [0, 0, 10]]),
        from_logits=True,
    )
    assert good < bad


def test_focal_loss_from_logits_false_multiclass() -> None:
    """tests/test_losses.py test_focal_loss_from_logits_false_multiclass: logits and their
    softmax probabilities give close values (< 0.2 apart), both finite."""
    logits = np.array([[0.0, 10.0, 0.0], [10.0, 0.0, 0.0], [0.0, 0.0, 10.0]])
    probs = np.exp(logits) / np.exp(logits).sum(axis=1, keepdims=True)
    target = np.eye(3)[[1, 0, 2]]
    a = loss_value("categorical_focal", target, logits, from_logits=True)
    b = loss_value("categorical_focal", target, probs, from_logits=False)
    assert np.isfinite(a) and np.isfinite(b) and abs(float(a) - float(b)) < 0.2
