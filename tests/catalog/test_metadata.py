"""The catalog's metadata is true: names resolve, paths import, ranges are consistent,
classes accept exactly the declared parameters, and testable claims hold
(``minimum_at_truth``, robustness to outliers, prediction functions).

Driven by ``losslab.list_losses()``, so every entry of every module is checked.
"""

from __future__ import annotations

import inspect

import numpy as np
import pytest

import losslab
from losslab._params import Anything, Interval, OneOf
from losslab.catalog import Family, Head, Robustness, get_spec, list_losses, resolve
from losslab.catalog import inputs as catalog_inputs
from losslab.errors import InvalidParameterError, UnknownLossError

SPECS = list_losses()
IDS = [s.name for s in SPECS]
KERAS_BUILTINS = [
    "MeanSquaredError",
    "MeanAbsoluteError",
    "MeanAbsolutePercentageError",
    "MeanSquaredLogarithmicError",
    "CosineSimilarity",
    "Huber",
    "LogCosh",
    "Hinge",
    "SquaredHinge",
    "CategoricalHinge",
    "KLDivergence",
    "Poisson",
    "BinaryCrossentropy",
    "BinaryFocalCrossentropy",
    "CategoricalCrossentropy",
    "CategoricalFocalCrossentropy",
    "SparseCategoricalCrossentropy",
    "CTC",
    "Dice",
    "Tversky",
    "Circle",
    "CategoricalGeneralizedCrossEntropy",
]


def _norm(name: str) -> str:
    return "".join(ch for ch in name.lower() if ch.isalnum())


def test_every_keras_builtin_has_an_entry():
    covered = {s.keras_builtin for s in SPECS if s.keras_builtin}
    assert set(KERAS_BUILTINS) <= covered, sorted(set(KERAS_BUILTINS) - covered)
    for cls_name in KERAS_BUILTINS:
        assert get_spec(cls_name).keras_builtin == cls_name  # the class name is an alias


def test_names_and_aliases_are_unique_and_resolve():
    seen: dict[str, str] = {}
    for spec in SPECS:
        for n in spec.all_names:
            key = _norm(n)
            assert seen.setdefault(key, spec.name) == spec.name, (
                f"{n!r} of {spec.name} also names {seen[key]}"
            )
            assert get_spec(n) is spec
            assert get_spec(n.upper()) is spec  # case-insensitive
        assert spec.name == spec.name.lower() and " " not in spec.name


def test_unknown_name_suggests_close_names_and_the_listing_command():
    with pytest.raises(
        UnknownLossError, match=r"Unknown loss 'hubr'.*Did you mean: huber.*losslab losses"
    ):
        losslab.get("hubr")
    with pytest.raises(ValueError):  # a ValueError for generic handlers
        get_spec("no_such_loss_anywhere")


def test_invalid_parameters_are_rejected_with_the_constraint():
    with pytest.raises(InvalidParameterError, match=r"delta must be > 0\. Received: delta=-1"):
        losslab.get("huber", delta=-1)
    with pytest.raises(
        InvalidParameterError, match=r"alpha must be in \[0, 1\]\. Received: alpha=1\.5"
    ):
        losslab.get("tversky", alpha=1.5)
    with pytest.raises(
        InvalidParameterError, match=r"unknown keyword argument\(s\) 'delt'.*Valid arguments: delta"
    ):
        losslab.get("huber", delt=2.0)


@pytest.mark.parametrize("spec", SPECS, ids=IDS)
def test_text_fields_are_filled(spec):
    for field in ("title", "y_true", "y_pred", "formula", "when_to_use", "pitfalls"):
        assert getattr(spec, field).strip(), f"{spec.name}: empty {field}"
    assert spec.references, f"{spec.name}: no references"
    assert isinstance(spec.family, Family) and isinstance(spec.head, Head)
    assert isinstance(spec.robustness, Robustness)


@pytest.mark.parametrize("spec", SPECS, ids=IDS)
def test_paths_resolve(spec):
    import keras

    cls = spec.keras_class()
    assert isinstance(cls, type) and issubclass(cls, keras.losses.Loss), spec.keras
    assert callable(spec.oracle())
    if spec.predict is not None:
        assert callable(resolve(spec.predict))
    if "mask" in spec.extra:
        assert callable(resolve(spec.extra["mask"]))
    assert spec.inputs in catalog_inputs.input_names(), (
        f"{spec.name}: unknown inputs {spec.inputs!r}"
    )


@pytest.mark.parametrize("spec", SPECS, ids=IDS)
def test_defaults_and_search_spaces_lie_inside_constraints(spec):
    names = [p.name for p in spec.params]
    assert len(names) == len(set(names)), f"{spec.name}: duplicate parameter names"
    spec.validate_params({})  # every default is valid
    for p in spec.params:
        c = p.constraint
        assert c.contains(p.default) or isinstance(c, Anything), (
            f"{spec.name}.{p.name} default {p.default!r}"
        )
        if p.search is None:
            continue
        kind = p.search[0]
        assert kind in ("float", "int", "categorical"), f"{spec.name}.{p.name}: search {p.search}"
        if kind == "categorical":
            for choice in p.search[1]:
                assert c.contains(choice), (
                    f"{spec.name}.{p.name}: choice {choice!r} violates {c.describe()}"
                )
        else:
            lo, hi = p.search[1], p.search[2]
            log = len(p.search) > 3 and bool(p.search[3])
            assert lo < hi, f"{spec.name}.{p.name}: empty search range {p.search}"
            assert not log or lo > 0, f"{spec.name}.{p.name}: log search needs low > 0"
            for v in (lo, hi, (lo + hi) / 2):
                v = int(round(v)) if kind == "int" else float(v)
                assert c.contains(v), (
                    f"{spec.name}.{p.name}: search value {v} violates {c.describe()}"
                )
            if isinstance(c, OneOf):
                pytest.fail(f"{spec.name}.{p.name}: a numeric search space on a closed choice")


@pytest.mark.parametrize(
    "spec",
    [s for s in SPECS if s.from_logits_param],
    ids=[s.name for s in SPECS if s.from_logits_param],
)
def test_from_logits_param_is_a_real_boolean_param(spec):
    p = spec.param(spec.from_logits_param)
    assert isinstance(p.default, bool)
    assert p.constraint.contains(True) and p.constraint.contains(False)
    logits_heads = {Head.BINARY_LOGITS, Head.MULTICLASS_LOGITS, Head.ORDINAL_LOGITS, Head.SEQUENCE}
    prob_heads = {Head.SIGMOID, Head.SOFTMAX, Head.SEGMENTATION}
    # the head in the spec is the one for the default value of the switch
    if p.default:
        assert spec.head in logits_heads | {Head.SEGMENTATION}, (
            f"{spec.name}: {spec.head} with from_logits=True"
        )
    else:
        assert spec.head in prob_heads, f"{spec.name}: {spec.head} with from_logits=False"


@pytest.mark.parametrize("spec", SPECS, ids=IDS)
def test_keras_class_accepts_exactly_the_spec_params(spec):
    # (whether each declared parameter reaches the loss's values is checked against the
    # oracle in tests/independent/test_replacements.py)
    cls = spec.keras_class()
    declared = {p.name for p in spec.params}
    sig = inspect.signature(cls.__init__)
    kinds = {p.kind for p in sig.parameters.values()}
    accepted = {n for n in sig.parameters if n not in ("self", "reduction", "name", "dtype")}
    if inspect.Parameter.VAR_KEYWORD in kinds:
        accepted.discard(
            next(n for n, p in sig.parameters.items() if p.kind is inspect.Parameter.VAR_KEYWORD)
        )
    assert accepted == declared, (
        f"{spec.name}: {cls.__name__} accepts {sorted(accepted)}, spec declares {sorted(declared)}"
    )
    for p in spec.params:  # and the defaults agree
        default = sig.parameters[p.name].default
        if default is not inspect.Parameter.empty:
            assert default == p.default or (
                isinstance(p.default, float) and np.isclose(default, p.default)
            ), f"{spec.name}.{p.name}: class default {default!r}, spec default {p.default!r}"


@pytest.mark.parametrize("family", list(Family), ids=[f.value for f in Family])
def test_family_filter(family):
    specs = list_losses(family.value)
    assert all(s.family == family for s in specs)
    assert list_losses(family.value.replace("-", "_").upper()) == specs
    if family in (
        Family.REGRESSION,
        Family.BINARY,
        Family.MULTICLASS,
        Family.SEGMENTATION,
        Family.SEQUENCE,
        Family.METRIC_LEARNING,
        Family.COUNT,
    ):
        assert specs, f"no loss in family {family.value}"


def test_unknown_family_is_a_clear_error():
    with pytest.raises(
        ValueError, match=r"Unknown family 'regresion'.*Expected one of: regression"
    ):
        list_losses("regresion")


# ----------------------------------------------------------------------------- claims
def _truth_as_prediction(y_true: np.ndarray, y_pred: np.ndarray) -> np.ndarray | None:
    t = np.asarray(y_true, dtype=np.float64)
    if t.shape == y_pred.shape:
        return t
    if t.ndim + 1 == y_pred.ndim and t.shape == y_pred.shape[:-1]:  # integer labels
        return np.eye(y_pred.shape[-1])[t.astype(int)]
    if t.ndim == y_pred.ndim and t.shape[-1] == 1:  # one target, several outputs (quantiles)
        return np.broadcast_to(t, y_pred.shape).copy()
    return None


MIN_SPECS = [s for s in SPECS if s.minimum_at_truth]


@pytest.mark.parametrize("spec", MIN_SPECS, ids=[s.name for s in MIN_SPECS])
def test_minimum_at_truth(spec):
    """The loss at y_pred = truth is <= the loss at predictions moved away from it."""
    params = spec.validate_params({})
    if spec.from_logits_param and params[spec.from_logits_param]:
        pytest.skip(
            "truth cannot be written as finite logits; the probability form is checked when from_logits=False"
        )
    y_true, y_pred = catalog_inputs.generate(spec.inputs, 32, params, seed=5)
    truth = _truth_as_prediction(y_true, y_pred)
    assert truth is not None, f"{spec.name}: claims minimum_at_truth but truth has no y_pred form"
    at_truth = spec.reference_values(y_true, truth, **params)
    for t in (0.05, 0.3, 1.0):
        moved = (1 - t) * truth + t * y_pred.astype(np.float64)
        away = spec.reference_values(y_true, moved, **params)
        scale = 1e-9 * max(1.0, float(np.max(np.abs(away))))
        assert np.all(at_truth <= away + scale), f"{spec.name}: loss at truth exceeds loss at t={t}"
        assert np.mean(at_truth) < np.mean(away), (
            f"{spec.name}: moving away from the truth does not cost anything"
        )


ROBUST_SPECS = [
    s
    for s in SPECS
    if s.family == Family.REGRESSION
    and s.robustness != Robustness.NOT_APPLICABLE
    and s.inputs in ("regression", "positive")
]


@pytest.mark.parametrize("spec", ROBUST_SPECS, ids=[s.name for s in ROBUST_SPECS])
def test_robustness_claim_matches_growth_for_a_gross_outlier(spec):
    """Growth of the loss when one target moves from 10 to 1000 away from the prediction:
    ~10^4x for quadratic losses (robustness none), about 100x for linear growth, so at most
    200x for moderate or high robustness (pseudo-Huber: (sqrt(1 + 1000^2) - 1) / (sqrt(101) - 1)
    = 110x)."""
    params = spec.validate_params({})
    y_true, y_pred = catalog_inputs.generate(spec.inputs, 1, params, seed=0)
    base = 1.0 if spec.inputs == "positive" else 0.0
    pred = np.full(y_pred.shape, base)

    def value(err: float) -> float:
        return float(
            np.sum(spec.reference_values(np.full(y_true.shape, base + err), pred, **params))
        )

    ratio = value(1000.0) / value(10.0)
    if spec.robustness == Robustness.NONE:
        assert ratio > 1000, f"{spec.name} claims no robustness but grows only {ratio:.0f}x"
    else:
        assert ratio <= 200, (
            f"{spec.name} claims {spec.robustness.value} robustness but grows {ratio:.0f}x"
        )


PRED_SPECS = [
    s
    for s in SPECS
    if s.predict is not None
    and s.head in (Head.SIGMOID, Head.BINARY_LOGITS, Head.SOFTMAX, Head.MULTICLASS_LOGITS)
]


@pytest.mark.parametrize("spec", PRED_SPECS, ids=[s.name for s in PRED_SPECS])
def test_predictions_are_probabilities(spec):
    variants = [{}]
    if spec.from_logits_param:
        variants.append({spec.from_logits_param: not spec.param(spec.from_logits_param).default})
    for given in variants:
        params = spec.validate_params(given)
        _, raw = catalog_inputs.generate(spec.inputs, 16, params, seed=7)
        pred = np.asarray(spec.to_prediction(raw, **given), dtype=np.float64)
        assert pred.shape[0] == raw.shape[0]
        assert np.all((pred >= 0) & (pred <= 1)), f"{spec.name} {given}: predictions outside [0, 1]"
        if spec.family in (Family.MULTICLASS,) and pred.ndim == 2 and pred.shape == raw.shape:
            np.testing.assert_allclose(pred.sum(axis=1), 1.0, rtol=1e-9, err_msg=spec.name)


def test_keras_builtin_predictions_follow_the_logits_switch():
    # independent formulas: sigmoid / softmax written out here
    z = np.array([[-2.0], [0.0], [3.0]])
    expected = 1.0 / (1.0 + np.exp(-z))
    np.testing.assert_allclose(get_spec("bce").to_prediction(z, from_logits=True), expected)
    p = np.array([[0.2], [0.9]])
    np.testing.assert_allclose(get_spec("bce").to_prediction(p), p)
    logits = np.array([[1.0, 2.0, 3.0]])
    soft = np.exp(logits) / np.exp(logits).sum()
    np.testing.assert_allclose(get_spec("cce").to_prediction(logits, from_logits=True), soft)
    np.testing.assert_allclose(get_spec("scce").to_prediction(soft), soft)


def test_interval_descriptions_read_naturally():
    assert Interval(0, None, closed="neither").describe() == "> 0"
    assert Interval(0, 1).describe() == "in [0, 1]"
