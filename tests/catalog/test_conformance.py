"""Catalog-wide conformance: every loss in ``losslab.list_losses()``, on the active backend.

Run under KERAS_BACKEND=jax, torch and tensorflow (``make test-backends``). A loss added to
the catalog by any module is picked up here with no test code of its own:

(a) the NumPy float64 oracle agrees with the Keras object (``reduction=None``);
(b) every reduction with random sample weights agrees with ``losslab.reference.reduce``;
    unit weights equal no weights; a zero weight equals dropping the sample;
(c) config and JSON round trips keep every (non-default) hyperparameter and the value;
(d) a ``.keras`` model save/load keeps the loss's config and value;
(e) gradients with respect to y_pred are finite.
"""

from __future__ import annotations

import json

import numpy as np
import pytest

import losslab
from losslab.reference import reduce
from tests.catalog._helpers import (
    draw,
    evaluate_calls,
    loss_gradient,
    non_default_params,
    param_variants,
    reference_mask,
    separable,
    to_numpy,
)

pytestmark = pytest.mark.backends

SPECS = losslab.list_losses()
IDS = [s.name for s in SPECS]
N = 16  # small batches keep 100+ losses x 3 backends cheap
RTOL, ATOL = 1e-5, 1e-6  # float32 computation vs float64 oracle
REDUCTIONS = ("sum_over_batch_size", "sum", "mean", "mean_with_sample_weight")


def _close(actual: np.ndarray, expected: np.ndarray, what: str) -> None:
    scale = max(1.0, float(np.max(np.abs(expected))) if np.size(expected) else 1.0)
    np.testing.assert_allclose(actual, expected, rtol=RTOL, atol=ATOL * scale, err_msg=what)


def _reference_scalar(spec, y_true, y_pred, params, sample_weight, reduction):
    values = spec.reference_values(y_true, y_pred, **params)
    mask = reference_mask(spec, y_true, y_pred, params)
    return reduce(values, sample_weight, reduction, mask=mask)


@pytest.mark.parametrize("spec", SPECS, ids=IDS)
def test_oracle_matches_keras(spec):
    cases = []
    for i, params in enumerate(param_variants(spec)):
        y_true, y_pred = draw(spec, params, N, seed=10 + i)
        cases.append((params, y_true, y_pred, losslab.get(spec.name, reduction=None, **params)))
    results = evaluate_calls([(loss, yt, yp, None) for _, yt, yp, loss in cases])
    for (params, y_true, y_pred, _), got in zip(cases, results, strict=True):
        expected = spec.reference_values(y_true, y_pred, **params)
        assert got.shape == np.shape(expected), (
            f"{spec.name} {params}: shape {got.shape} vs oracle {np.shape(expected)}"
        )
        if spec.per_batch:
            assert got.shape == (), f"{spec.name} is per_batch but Keras returned shape {got.shape}"
        assert np.all(np.isfinite(expected)), f"{spec.name}: oracle not finite on valid inputs"
        _close(got, expected, f"{spec.name} {params}: Keras vs oracle")


@pytest.mark.parametrize("spec", SPECS, ids=IDS)
def test_reductions_and_sample_weights(spec):
    rng = np.random.default_rng(3)
    params: dict = {}
    y_true, y_pred = draw(spec, params, N, seed=20)
    weights = rng.uniform(0.2, 2.0, size=N).astype(np.float32)
    ones = np.ones(N, dtype=np.float32)
    zero = weights.copy()
    zero[0] = 0.0
    drop = separable(spec, y_true, y_pred, params)

    calls, checks = [], []
    for reduction in REDUCTIONS:
        loss = losslab.get(spec.name, reduction=reduction)
        for sw in (None, weights):
            expected = _reference_scalar(spec, y_true, y_pred, params, sw, reduction)
            checks.append(("oracle", reduction, sw is not None, expected))
            calls.append((loss, y_true, y_pred, sw))
        if not spec.per_batch:
            # unit weights equal no weights (per-batch losses: Keras multiplies the scalar by
            # the weight vector, so "sum" differs by design; covered by the oracle checks)
            checks.append(("unit", reduction, True, len(calls) - 2))
            calls.append((loss, y_true, y_pred, ones))
        if drop and reduction in ("sum", "mean_with_sample_weight"):
            # a zero weight equals dropping the sample (for reductions that do not count it)
            checks.append(("zero", reduction, True, None))
            calls.append((loss, y_true, y_pred, zero))
            calls.append((loss, y_true[1:], y_pred[1:], zero[1:]))
            checks.append(("dropped", reduction, True, None))
    results = evaluate_calls(calls)
    for i, (kind, reduction, weighted, ref) in enumerate(checks):
        what = f"{spec.name} reduction={reduction} weighted={weighted} check={kind}"
        if kind == "oracle":
            _close(results[i], ref, what)
        elif kind == "unit":
            _close(results[i], results[ref], what)
        elif kind == "zero":
            _close(results[i], results[i + 1], what)


@pytest.mark.parametrize("spec", SPECS, ids=IDS)
def test_config_and_json_round_trip(spec):
    import keras

    params = non_default_params(spec)
    loss = losslab.get(spec.name, reduction="sum", **params)
    config = loss.get_config()
    for name, value in params.items():
        assert name in config, f"{spec.name}: get_config() lacks {name!r}: {config}"
        assert _norm(config[name]) == _norm(value), (
            f"{spec.name}: config {name}={config[name]!r}, given {value!r}"
        )

    again = type(loss).from_config(config)
    assert _norm(again.get_config()) == _norm(config)

    blob = json.dumps(keras.saving.serialize_keras_object(loss))
    restored = keras.saving.deserialize_keras_object(json.loads(blob))
    assert type(restored) is type(loss)
    assert _norm(restored.get_config()) == _norm(config)

    y_true, y_pred = draw(spec, params, N, seed=30)
    expected = _reference_scalar(spec, y_true, y_pred, params, None, "sum")
    objs = {"original": loss, "from_config": again, "JSON": restored}
    results = evaluate_calls([(obj, y_true, y_pred, None) for obj in objs.values()])
    for label, got in zip(objs, results, strict=True):
        _close(got, expected, f"{spec.name} {label} with {params}")


def _norm(x):
    if isinstance(x, dict):
        return {k: _norm(v) for k, v in x.items()}
    if isinstance(x, list | tuple):
        return [_norm(v) for v in x]
    return x


@pytest.mark.parametrize("spec", SPECS, ids=IDS)
def test_keras_model_save_load(spec, tmp_path):
    """A tiny model (identity output, no weights) compiled with the loss survives
    ``model.save`` / ``keras.saving.load_model`` with the loss's config and value."""
    import keras

    params = non_default_params(spec)
    y_true, y_pred = draw(spec, params, N, seed=40)
    loss = losslab.get(spec.name, **params)
    model = keras.Sequential([keras.Input(shape=y_pred.shape[1:]), keras.layers.Identity()])
    model.compile(optimizer="sgd", loss=loss)
    path = tmp_path / "model.keras"
    model.save(path)
    loaded = keras.saving.load_model(path)
    restored = loaded.loss
    assert type(restored) is type(loss), f"{spec.name}: reloaded {type(restored)}"
    assert _norm(restored.get_config()) == _norm(loss.get_config())
    expected = _reference_scalar(spec, y_true, y_pred, params, None, "sum_over_batch_size")
    (got,) = evaluate_calls(
        [(restored, y_true, to_numpy(loaded(y_pred)).astype(y_pred.dtype), None)]
    )
    _close(got, expected, f"{spec.name}: reloaded model's loss")


@pytest.mark.parametrize("spec", SPECS, ids=IDS)
def test_gradients_are_finite(spec):
    for i, params in enumerate(param_variants(spec)):
        y_true, y_pred = draw(spec, params, N, seed=50 + i)
        value, grad = loss_gradient(losslab.get(spec.name, **params), y_true, y_pred)
        assert np.isfinite(value), f"{spec.name} {params}: loss {value}"
        assert grad.shape == y_pred.shape
        assert np.all(np.isfinite(grad)), f"{spec.name} {params}: non-finite gradient"
        assert np.any(grad != 0), f"{spec.name} {params}: gradient identically zero"
