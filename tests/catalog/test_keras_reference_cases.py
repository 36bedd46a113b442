"""The NumPy oracles (and losslab's Keras objects) against the values Keras's own tests and
docstrings assert.

Sources (copied in tests/data/reference-cases, each case names its file and line):
- keras_loss_cases.json: keras-team/keras@v3.15.1 keras/src/losses/losses_test.py;
- other_loss_cases.json (lib == "keras"): keras-team/keras@3422977a5e (master after 3.15.1,
  where Tversky's alpha/beta swap is fixed: those values follow the documented definition).

Keras 3.15.1 applies Tversky's alpha to false negatives and beta to false positives. The
two 3.15.1 cases with alpha != beta therefore hold swapped values: we check that the raw
``keras.losses.Tversky`` reproduces them (documenting the defect) and that the oracle
reproduces them only when alpha and beta are exchanged; losslab's Tversky gives the
documented value instead (the master cases in other_loss_cases.json).
"""

from __future__ import annotations

import json
import math
from typing import Any

import numpy as np
import pytest

import losslab
from losslab.catalog import get_spec
from losslab.reference import reduce
from tests.catalog._helpers import evaluate_calls, reference_mask, to_numpy
from tests.conftest import load_reference_cases

KERAS_CASES = load_reference_cases("keras_loss_cases.json")
OTHER_CASES = [c for c in load_reference_cases("other_loss_cases.json") if c.get("lib") == "keras"]


def _swapped_tversky(case: dict[str, Any]) -> bool:
    kw = case["kwargs"]
    return case["loss"] == "Tversky" and kw.get("alpha", 0.5) != kw.get("beta", 0.5)


def _tolerance(case: dict[str, Any]) -> tuple[float, float]:
    """(atol, rtol) as the source test states it; for cases without a stated tolerance, half
    a unit in the last printed digit of the expected literal (float32 computations)."""
    tol = case.get("tolerance")
    if tol and tol.get("assert") == "assertAlmostEqual":
        return 1.5 * 10.0 ** -tol["decimal"], 0.0
    if tol and tol.get("assert") == "assertAllClose":
        return float(tol["atol"]), float(tol["rtol"])
    digits = max(_decimals(v) for v in np.ravel(_expected(case)))
    return max(1e-6, 0.5 * 10.0**-digits), 1e-6


def _decimals(value: float) -> int:
    text = repr(float(value))
    if "e" in text:
        mantissa, exp = text.split("e")
        return len(mantissa.partition(".")[2]) - int(exp)
    return len(text.partition(".")[2])


def _inputs(case: dict[str, Any]) -> tuple[np.ndarray, np.ndarray]:
    y_true = np.asarray(case["y_true"])
    y_pred = np.asarray(case["y_pred"], dtype=np.float32)  # Keras's tests feed float32
    return y_true, y_pred


def _expected(case: dict[str, Any]) -> Any:
    if "expected" in case:
        return case["expected"]
    expr = case["expected_expr"]  # e.g. "mean([(1-0.7**0.5)/0.5, ...])"
    return eval(expr, {"__builtins__": {}}, {"mean": lambda xs: sum(xs) / len(xs)})


def _split(case: dict[str, Any]) -> tuple[dict[str, Any], str | None]:
    kwargs = dict(case["kwargs"])
    reduction = kwargs.pop("reduction", "sum_over_batch_size")
    return kwargs, reduction


def _oracle_value(
    case: dict[str, Any], params: dict[str, Any], reduction: str | None
) -> np.ndarray:
    spec = get_spec(case["loss"])
    y_true, y_pred = _inputs(case)
    values = spec.reference_values(y_true, y_pred, **params)
    mask = reference_mask(spec, y_true, y_pred, params)
    return reduce(values, case.get("sample_weight"), reduction, mask=mask)


def _case_id(case: dict[str, Any]) -> str:
    return f"{case.get('id', '')}-{case['loss']}"


@pytest.mark.parametrize("case", KERAS_CASES, ids=[_case_id(c) for c in KERAS_CASES])
def test_oracle_reproduces_keras_3_15_1_test_values(case):
    params, reduction = _split(case)
    if _swapped_tversky(case):
        # 3.15.1 value: reproduced by the documented formula only with alpha and beta exchanged
        params = {**params, "alpha": params["beta"], "beta": params["alpha"]}
    atol, rtol = _tolerance(case)
    np.testing.assert_allclose(
        _oracle_value(case, params, reduction),
        _expected(case),
        atol=atol,
        rtol=rtol,
        err_msg=case["source_ref"],
    )


# the two swapped Tversky values are not what losslab's Tversky means: see the tests below
UNSWAPPED = [c for c in KERAS_CASES if not _swapped_tversky(c)]


@pytest.mark.parametrize("case", UNSWAPPED, ids=[_case_id(c) for c in UNSWAPPED])
def test_losslab_loss_reproduces_keras_3_15_1_test_values(case):
    params, reduction = _split(case)
    y_true, y_pred = _inputs(case)
    loss = losslab.get(case["loss"], reduction=reduction, **params)
    sw = case.get("sample_weight")
    (got,) = evaluate_calls(
        [(loss, y_true, y_pred, None if sw is None else np.asarray(sw, dtype=np.float32))]
    )
    atol, rtol = _tolerance(case)
    np.testing.assert_allclose(
        got, _expected(case), atol=atol, rtol=rtol, err_msg=case["source_ref"]
    )


SWAPPED = [c for c in KERAS_CASES if _swapped_tversky(c)]


def test_the_reference_cases_contain_the_swapped_tversky_values():
    assert len(SWAPPED) == 2


@pytest.mark.parametrize("case", SWAPPED, ids=[_case_id(c) for c in SWAPPED])
def test_raw_keras_tversky_reproduces_its_swapped_3_15_1_values(case):
    """Documents the defect: keras.losses.Tversky(alpha=0.2, beta=0.8) in 3.15.1 gives the
    value its own (pre-fix) test asserts, which is the documented formula with alpha/beta
    exchanged."""
    import keras

    params, reduction = _split(case)
    y_true, y_pred = _inputs(case)
    raw = to_numpy(keras.losses.Tversky(reduction=reduction, **params)(y_true, y_pred))
    atol, rtol = _tolerance(case)
    np.testing.assert_allclose(raw, case["expected"], atol=atol, rtol=rtol)
    documented = _oracle_value(case, params, reduction)
    assert not math.isclose(float(documented), case["expected"], abs_tol=1e-3), (
        "the defect is gone: update losslab.losses.Tversky"
    )


@pytest.mark.parametrize("case", SWAPPED, ids=[_case_id(c) for c in SWAPPED])
def test_losslab_tversky_gives_the_documented_value(case):
    params, reduction = _split(case)
    y_true, y_pred = _inputs(case)
    got = to_numpy(losslab.get("tversky", reduction=reduction, **params)(y_true, y_pred))
    # the documented value, asserted by Keras master after the fix (keras-team/keras#23333)
    fixed = {-0.29629636: -0.94444442, 0.7916667: 0.76190472}[case["expected"]]
    np.testing.assert_allclose(got, fixed, atol=1e-6, rtol=1e-6)
    np.testing.assert_allclose(_oracle_value(case, params, reduction), fixed, atol=1e-6, rtol=1e-6)


@pytest.mark.parametrize(
    "case", OTHER_CASES, ids=[f"{i}-{c['loss']}" for i, c in enumerate(OTHER_CASES)]
)
def test_oracle_and_losslab_reproduce_keras_master_values(case):
    params, reduction = _split(case)
    atol, rtol = _tolerance(case)
    expected = _expected(case)
    if case["loss"] == "circle (function)":
        # Keras's function form with reference embeddings: the oracle and losslab's Circle
        # (which takes ref_labels / ref_embeddings as hyperparameters) take them too
        y_true, y_pred = _inputs(case)
        values = get_spec("circle").reference_values(y_true, y_pred, **params)
        np.testing.assert_allclose(values, expected, atol=atol, rtol=rtol, err_msg=case["source"])
        (got,) = evaluate_calls(
            [(losslab.get("circle", reduction=None, **params), y_true, y_pred, None)]
        )
        np.testing.assert_allclose(got, expected, atol=atol, rtol=rtol, err_msg=case["source"])
        return
    np.testing.assert_allclose(
        _oracle_value(case, params, reduction),
        expected,
        atol=atol,
        rtol=rtol,
        err_msg=case["source"],
    )
    y_true, y_pred = _inputs(case)
    loss = losslab.get(case["loss"], reduction=reduction, **params)
    sw = case.get("sample_weight")
    (got,) = evaluate_calls(
        [(loss, y_true, y_pred, None if sw is None else np.asarray(sw, dtype=np.float32))]
    )
    np.testing.assert_allclose(got, expected, atol=atol, rtol=rtol, err_msg=case["source"])


def test_reference_files_are_well_formed():
    assert len(KERAS_CASES) >= 70 and len(OTHER_CASES) >= 15
    for case in KERAS_CASES + OTHER_CASES:
        get_spec(
            case["loss"].replace(" (function)", "")
        )  # every Keras loss named is in the catalog
        json.dumps(case)
