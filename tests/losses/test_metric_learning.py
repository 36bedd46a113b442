"""Metric-learning losses: TensorFlow Addons' reference values, brute-force miners, rules for
degenerate batches, jit, dtypes, errors and the digits demonstration."""

from __future__ import annotations

import numpy as np
import pytest

import losslab
from losslab.errors import DataError, InvalidParameterError
from losslab.losses import metric_learning as ml
from losslab.losses.metric_learning._mining import count_in_sorted
from losslab.reference import metric_learning as ref
from tests.conftest import load_reference_cases
from tests.losses._helpers import to_numpy

TFA = load_reference_cases("tfa_loss_cases.json")
OTHER = load_reference_cases("other_loss_cases.json")
METRICS = ("L2", "squared-L2", "angular")


def _cases(name: str, source: list[dict]) -> list[dict]:
    return [c for c in source if c["loss"] == name and c.get("kind", "fixed") == "fixed"]


# ----------------------------------------------------------------- TensorFlow Addons values
# Source: tensorflow_addons/losses/tests/contrastive_test.py (see each case's notes).
@pytest.mark.parametrize(
    "case", _cases("contrastive", TFA), ids=lambda c: c["notes"].split(";")[0].split(".")[0]
)
def test_contrastive_tfa_cases(case):
    kwargs = dict(case["kwargs"])
    reduction = kwargs.pop("reduction", "sum_over_batch_size")
    loss = ml.ContrastiveLoss(reduction=reduction, **kwargs)
    sw = case.get("sample_weight")
    got = to_numpy(
        loss(
            np.array(case["y_true"], dtype="float32"),
            np.array(case["y_pred"], dtype="float32"),
            sample_weight=None if sw is None else np.asarray(sw, dtype="float32"),
        )
    )
    np.testing.assert_allclose(got, case["expected"], rtol=1e-5, atol=1e-6)


# Source: tensorflow_addons/losses/triplet.py docstrings (TripletSemiHardLoss /
# TripletHardLoss with the default L2 metric). The batch has no negative: it pins TFA's
# fallback (semi-hard: d_an = 0 -> margin + d_ap = 1 + sqrt(2); hard: d_n = row max -> margin).
# The docstrings' callable-metric variants are not applicable: losslab takes metric names.
@pytest.mark.parametrize(
    "case",
    [
        c
        for c in TFA
        if c["loss"] in ("triplet_semihard", "triplet_hard")
        and c.get("kind") == "fixed"
        and c["kwargs"]["distance_metric"] == "L2"
    ],
    ids=lambda c: c["loss"],
)
def test_triplet_tfa_docstring_fallback(case):
    y, x = np.array(case["y_true"]), np.array(case["y_pred"], dtype="float32")
    fn = ml.triplet_semihard_loss if case["loss"] == "triplet_semihard" else ml.triplet_hard_loss
    kwargs = {k: v for k, v in case["kwargs"].items()}
    np.testing.assert_allclose(to_numpy(fn(y, x, **kwargs)), case["expected"], rtol=1e-6)
    oracle = ref.triplet_semihard if case["loss"] == "triplet_semihard" else ref.triplet_hard
    np.testing.assert_allclose(oracle(y, x, **kwargs), case["expected"], rtol=1e-6)


# Source: tensorflow_addons/losses/tests/metric_test.py (pairwise_distance helper).
@pytest.mark.parametrize(
    "case",
    _cases("pairwise_distance (helper used by triplet/lifted)", TFA)[:2],
    ids=["L2", "squared"],
)
def test_pairwise_distance_tfa_cases(case):
    metric = "squared-L2" if case["kwargs"]["squared"] else "L2"
    expected = case.get("expected_value", case["expected"])
    got = to_numpy(ml.pairwise_distance(np.array(case["y_pred"], dtype="float32"), metric))
    np.testing.assert_allclose(got, expected, rtol=1e-6, atol=1e-6)


def test_pairwise_distance_zero_and_nonnegative():
    # Source: metric_test.py test_zero_distance / test_positive_distances.
    same = np.array([[1.0, 0.5], [1.0, 0.5]], dtype="float32")
    assert abs(to_numpy(ml.pairwise_distance(same)).sum()) < 1e-6
    near = (1.0 + 2e-7 * np.random.default_rng(0).uniform(size=(64, 6))).astype("float32")
    for metric in METRICS:
        assert (to_numpy(ml.pairwise_distance(near, metric)) >= 0).all()


_F = np.array([[1.0, 1.0], [1.0, -1.0], [-1.0, 1.0], [-1.0, -1.0]], dtype="float32")


# Source: tensorflow_addons/losses/tests/npairs_test.py. y_pred there is the similarity
# matrix f @ f.T; losslab's NpairsLoss takes [anchors | positives] = [f | f] instead.
@pytest.mark.parametrize(
    "case",
    _cases("npairs", TFA) + _cases("npairs_multilabel", TFA),
    ids=lambda c: c["loss"] + ":" + c["notes"].split(";")[0],
)
def test_npairs_tfa_cases(case):
    sim = np.array(case["y_pred"], dtype="float32")
    np.testing.assert_allclose(_F @ _F.T, sim)  # the test's own construction
    y = np.array(case["y_true"], dtype="float32")
    if case["loss"] == "npairs":
        from_sim, from_emb = ml.npairs_loss_from_similarity, ml.npairs_loss
        oracle = ref.npairs
    else:
        from_sim, from_emb = ml.npairs_multilabel_loss_from_similarity, ml.npairs_multilabel_loss
        oracle = ref.npairs_multilabel
    emb = np.concatenate([_F, _F], axis=1)
    np.testing.assert_allclose(to_numpy(from_sim(y, sim)), case["expected"], rtol=1e-6, atol=1e-6)
    np.testing.assert_allclose(to_numpy(from_emb(y, emb)), case["expected"], rtol=1e-6, atol=1e-6)
    np.testing.assert_allclose(oracle(y, emb), case["expected"], rtol=1e-6, atol=1e-6)


# ----------------------------------------------------------------- random batches vs brute force
def _batch(seed: int, n: int = 12, d: int = 5, classes: int = 4):
    rng = np.random.default_rng(seed)
    return rng.integers(0, classes, size=n), rng.normal(size=(n, d)).astype("float32")


@pytest.mark.parametrize("metric", METRICS)
def test_miners_match_brute_force(metric):
    y, x = _batch(METRICS.index(metric))
    for fn, oracle, kw in [
        (ml.triplet_semihard_loss, ref.triplet_semihard, {}),
        (ml.triplet_hard_loss, ref.triplet_hard, {}),
        (ml.triplet_hard_loss, ref.triplet_hard, {"soft": True}),
        (ml.triplet_batch_all_loss, ref.triplet_batch_all, {"margin": 0.7}),
    ]:
        np.testing.assert_allclose(
            to_numpy(fn(y, x, distance_metric=metric, **kw)),
            oracle(y, x, distance_metric=metric, **kw),
            rtol=2e-5,
            atol=1e-5,
            err_msg=f"{fn.__name__} {kw}",
        )


def test_semihard_with_ties_uses_strictly_farther_negative():
    # 1-D points: anchor 0, positive at 1, negatives exactly at 1 (tie) and at 1.5.
    # Semi-hard needs d_an > d_ap strictly: the negative at 1.5 is chosen, for anchor 0:
    # 1 + 1 - 1.5 = 0.5. The brute-force oracle states the rule independently.
    y = np.array([0, 0, 1, 1])
    x = np.array([[0.0], [1.0], [1.0], [1.5]], dtype="float32")
    np.testing.assert_allclose(
        to_numpy(ml.triplet_semihard_loss(y, x)), ref.triplet_semihard(y, x), rtol=1e-6
    )


@pytest.mark.parametrize("strict", [False, True])
def test_portable_binary_search_matches_native_searchsorted(strict):
    # the keras.ops fallback (backends without a batched searchsorted) vs the native one,
    # on rows with ties, +inf padding and values below / above every entry
    rng = np.random.default_rng(7)
    rows = np.sort(rng.integers(0, 6, size=(12, 12)).astype("float32"), axis=1)
    rows[:, 9:] = np.inf
    values = rng.integers(-1, 8, size=(12, 12)).astype("float32")
    native = to_numpy(count_in_sorted(rows, values, strict=strict))
    portable = to_numpy(count_in_sorted(rows, values, strict=strict, native=False))
    expected = np.array(
        [
            np.searchsorted(r, v, side="left" if strict else "right")
            for r, v in zip(rows, values, strict=True)
        ]
    )
    np.testing.assert_array_equal(native, expected)
    np.testing.assert_array_equal(portable, expected)


@pytest.mark.backends
def test_batch_losses_match_oracles_on_backend():
    y, x = _batch(3)
    checks = [
        (
            ml.triplet_semihard_loss(y, x, distance_metric="angular"),
            ref.triplet_semihard(y, x, distance_metric="angular"),
        ),
        (ml.triplet_hard_loss(y, x, soft=True), ref.triplet_hard(y, x, soft=True)),
        (
            ml.triplet_batch_all_loss(y, x, distance_metric="squared-L2"),
            ref.triplet_batch_all(y, x, distance_metric="squared-L2"),
        ),
        (ml.lifted_struct_loss(y, x, margin=1.5), ref.lifted_struct(y, x, margin=1.5)),
        (
            ml.supervised_contrastive_loss(y, x, temperature=0.2),
            ref.supervised_contrastive(y, x, temperature=0.2),
        ),
    ]
    z = np.random.default_rng(4).normal(size=(8, 12)).astype("float32")
    checks.append(
        (
            ml.nt_xent_loss(np.zeros(8), z, temperature=0.5),
            ref.nt_xent(np.zeros(8), z, temperature=0.5),
        )
    )
    checks.append((ml.npairs_loss(y[:8], z), ref.npairs(y[:8], z)))
    for got, expected in checks:
        np.testing.assert_allclose(to_numpy(got), expected, rtol=2e-5, atol=1e-5)


# ----------------------------------------------------------------- degenerate batches
def test_no_positive_pair_gives_zero_not_nan():
    # TFA divides by the number of positive pairs (0 here): NaN. losslab's rule: 0.
    y = np.arange(12)
    x = _batch(0)[1]
    for fn in (
        ml.triplet_semihard_loss,
        ml.triplet_batch_all_loss,
        ml.lifted_struct_loss,
        ml.supervised_contrastive_loss,
    ):
        assert float(to_numpy(fn(y, x))) == 0.0, fn.__name__
    assert float(ref.triplet_semihard(y, x)) == 0.0


def test_gradients_finite_on_collapsed_and_random_embeddings():
    import jax
    import jax.numpy as jnp

    y = np.repeat(np.arange(4), 3)  # same shapes as _batch: the compiled kernels are reused
    collapsed = jnp.ones((12, 5))
    rand = jnp.asarray(_batch(1)[1])
    for fn, kw in [
        (ml.triplet_semihard_loss, {}),
        (ml.triplet_hard_loss, {"soft": True}),
        (ml.triplet_batch_all_loss, {"distance_metric": "angular"}),
        (ml.lifted_struct_loss, {}),
        (ml.supervised_contrastive_loss, {}),
    ]:
        grad = jax.jit(jax.grad(lambda e, fn=fn, kw=kw: fn(y, e, **kw)))
        for x in (collapsed, rand):
            g = grad(x)
            assert np.isfinite(np.asarray(g)).all(), fn.__name__


def test_jit_matches_eager_and_half_precision_computes_in_float32():
    import jax

    y, x = _batch(5)
    eager = to_numpy(ml.triplet_semihard_loss(y, x))
    jitted = jax.jit(lambda a, b: ml.triplet_semihard_loss(a, b))(y, x)
    np.testing.assert_allclose(np.asarray(jitted), eager, rtol=1e-6)
    half = ml.triplet_semihard_loss(y, x.astype("float16"))
    assert str(half.dtype) == "float32"
    np.testing.assert_allclose(
        to_numpy(half), ref.triplet_semihard(y, x.astype("float16")), rtol=1e-3
    )


# ----------------------------------------------------------------- errors and round trip
def test_bad_arguments_raise_actionable_errors():
    with pytest.raises(
        InvalidParameterError,
        match=r"distance_metric must be one of .*Received: distance_metric='cosine'",
    ):
        ml.TripletSemiHardLoss(distance_metric="cosine")
    with pytest.raises(InvalidParameterError, match="unknown keyword"):
        losslab.get("triplet_hard", batch_all=True)
    with pytest.raises(DataError, match=r"shape \(N, 2 \* d\)"):
        ml.npairs_loss(np.zeros(3), np.zeros((3, 5), dtype="float32"))
    with pytest.raises(DataError, match="class labels of shape"):
        ml.triplet_hard_loss(np.zeros((3, 2)), np.zeros((3, 5), dtype="float32"))


# ----------------------------------------------------------------- the digits demonstration
def _one_nn_accuracy(train_emb, y_train, test_emb, y_test) -> float:
    from sklearn.neighbors import KNeighborsClassifier

    knn = KNeighborsClassifier(n_neighbors=1).fit(train_emb, y_train)
    return float(knn.score(test_emb, y_test))


@pytest.mark.slow
def test_digits_triplet_semihard_improves_nearest_neighbour_accuracy():
    """load_digits, a 64 -> 32 -> 4 embedding: held-out 1-NN accuracy after training with
    triplet semi-hard must beat the untrained model's by a clear margin."""
    import keras
    from sklearn.datasets import load_digits
    from sklearn.model_selection import train_test_split

    x, y = load_digits(return_X_y=True)
    x = (x / 16.0).astype("float32")
    x_tr, x_te, y_tr, y_te = train_test_split(x, y, test_size=0.3, random_state=0, stratify=y)
    keras.utils.set_random_seed(0)
    model = keras.Sequential(
        [keras.Input((64,)), keras.layers.Dense(32, activation="relu"), keras.layers.Dense(4)]
    )
    before = _one_nn_accuracy(
        model.predict(x_tr, verbose=0), y_tr, model.predict(x_te, verbose=0), y_te
    )
    model.compile(optimizer=keras.optimizers.Adam(3e-3), loss=ml.TripletSemiHardLoss(margin=1.0))
    model.fit(x_tr, y_tr.astype("int32"), batch_size=128, epochs=25, verbose=0, shuffle=True)
    after = _one_nn_accuracy(
        model.predict(x_tr, verbose=0), y_tr, model.predict(x_te, verbose=0), y_te
    )
    assert after >= before + 0.15, (before, after)
    assert after >= 0.8, (before, after)
