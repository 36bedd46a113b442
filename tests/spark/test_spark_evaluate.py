"""losslab.spark.evaluate equals the NumPy references (relative 1e-9, float64).

Oracle: ``spec.reference_values`` (NumPy float64, written from the formulas by the catalog
authors) reduced with :func:`losslab.reference._reduce.reduce` (Keras's
``sum_over_batch_size``), computed on the whole table in one NumPy call — a path independent
of both the SQL compiler and the chunked accumulator.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from losslab.catalog import get_spec, list_losses
from losslab.catalog.inputs import generate
from losslab.errors import DataError, InvalidParameterError, UnknownLossError
from losslab.reference._reduce import reduce
from losslab.spark.sql import find_compiler

pytestmark = [pytest.mark.spark, pytest.mark.xdist_group("spark")]

N = 97
REL = 1e-9

# extra parameter sets per loss (the defaults are always tested)
VARIANTS: dict[str, list[dict[str, Any]]] = {
    "huber": [{"delta": 0.3}],
    "binary_crossentropy": [
        {"from_logits": True},
        {"label_smoothing": 0.2},
        {"from_logits": True, "label_smoothing": 0.1},
    ],
    "binary_focal_crossentropy": [
        {"from_logits": True, "gamma": 1.5},
        {"apply_class_balancing": True, "alpha": 0.4, "label_smoothing": 0.1},
    ],
    "categorical_crossentropy": [{"from_logits": True}, {"label_smoothing": 0.1}],
    "categorical_focal_crossentropy": [{"from_logits": True, "alpha": [0.1, 0.2, 0.3, 0.4]}],
    "sparse_categorical_crossentropy": [{"from_logits": True}],
    "pinball": [{"tau": 0.9}, {"tau": [0.1, 0.5, 0.9], "crossing_penalty": 0.5}],
    "pseudo_huber": [{"delta": 2.0}],
    "cauchy": [{"scale": 0.5}],
    "smooth_l1": [{"beta": 0.5}, {"beta": 0.0}],
    "general_robust": [
        {"alpha": 0.0},
        {"alpha": 2.0},
        {"alpha": -2.0, "scale": 0.7},
        {"alpha": float("-inf")},
    ],
    "poisson_nll": [{"full": True}, {"log_input": False}],
    "tweedie_deviance": [{"power": 1.0}, {"power": 2.0}, {"power": 1.2, "log_input": False}],
    "gamma_deviance": [{"log_input": False}],
}


def _text(name: str, params: dict[str, Any]) -> str:
    if not params:
        return name
    return (
        name
        + ":"
        + ",".join(
            f"{k}={v!r}".replace(" ", "")
            if not (isinstance(v, float) and np.isinf(v))
            else f"{k}=-1e999"
            for k, v in params.items()
        )
    )


def _cases() -> list[tuple[str, dict[str, Any]]]:
    out = []
    for spec in list_losses():
        if spec.per_batch or find_compiler(spec) is None:
            continue
        out.append((spec.name, {}))
        out += [(spec.name, v) for v in VARIANTS.get(spec.name, [])]
    return out


def _frame(spark: Any, t: np.ndarray, p: np.ndarray, w: np.ndarray | None, *, scalar: bool) -> Any:
    """A Spark DataFrame with columns y, p (scalars or arrays of doubles) and w."""
    from pyspark.sql import types as T

    def cell(a: np.ndarray, i: int) -> Any:
        if a.ndim == 1:
            return float(a[i]) if not np.issubdtype(a.dtype, np.integer) else int(a[i])
        if scalar:
            return float(a[i, 0])
        return [float(x) for x in a[i]]

    def field(name: str, a: np.ndarray) -> T.StructField:
        if a.ndim == 1 and np.issubdtype(a.dtype, np.integer):
            return T.StructField(name, T.LongType())
        if a.ndim == 1 or scalar:
            return T.StructField(name, T.DoubleType())
        return T.StructField(name, T.ArrayType(T.DoubleType()))

    fields = [field("y", t), field("p", p)] + (
        [T.StructField("w", T.DoubleType())] if w is not None else []
    )
    rows = [
        tuple(
            [cell(t, i), cell(p, i)]
            + ([None if np.isnan(w[i]) else float(w[i])] if w is not None else [])
        )
        for i in range(len(p))
    ]
    return spark.createDataFrame(rows, T.StructType(fields))


@pytest.mark.slow
def test_every_compilable_loss_matches_reference(spark: Any) -> None:
    """Every SQL-compiled catalog loss, with array columns and sample weights, equals its
    NumPy oracle (unweighted evaluation is covered by the tests below)."""
    weighted = True
    from losslab.spark import evaluate

    cases = _cases()
    assert len(cases) >= 20, cases  # mse ... tweedie: the compiler covers the catalog
    rng = np.random.default_rng(7)
    # group the cases by their input generator so one Spark job evaluates many losses
    groups: dict[tuple[str, bool, bool], list[tuple[str, dict[str, Any]]]] = {}
    for name, params in cases:
        spec = get_spec(name)
        key = (
            spec.inputs,
            bool(params.get("from_logits", False) or not params.get("log_input", True)),
            isinstance(params.get("tau"), list),
        )
        groups.setdefault(key, []).append((name, params))
    checked = 0
    for (inputs, _, _), group in groups.items():
        spec0 = get_spec(group[0][0])
        gen_params = spec0.validate_params(group[0][1])
        t, p = generate(inputs, N, gen_params, rng)
        w = rng.uniform(0.0, 2.0, size=N) if weighted else None
        df = _frame(spark, t, p, w, scalar=False)
        texts = [_text(n, prm) for n, prm in group]
        # one loss per multi-tau case: its prediction width differs from the generator's
        texts_ok, expected = [], {}
        for (name, prm), text in zip(group, texts, strict=True):
            spec = get_spec(name)
            full = spec.validate_params(prm)
            if isinstance(full.get("tau"), list) and p.shape[-1] != len(full["tau"]):
                continue
            expected[text] = float(reduce(spec.reference_values(t, p, **full), w))
            texts_ok.append(text)
        result = evaluate(
            df, label="y", prediction="p", losses=texts_ok, weight="w" if weighted else None
        )
        for text in texts_ok:
            assert result.methods[text] == "sql", text
            assert result.values[text] == pytest.approx(expected[text], rel=REL, abs=1e-12), text
            checked += 1
    assert checked >= 20


def test_scalar_columns_match_reference(spark: Any) -> None:
    """Plain double columns are (N, 1) tensors."""
    from losslab.spark import evaluate

    rng = np.random.default_rng(3)
    names = [
        "mse",
        "mae",
        "huber:delta=0.5",
        "log_cosh",
        "pinball:tau=0.2",
        "cauchy",
        "pseudo_huber",
    ]
    t, p = generate("regression", N, {}, rng)
    t, p = t[:, :1], p[:, :1]
    w = rng.uniform(0.0, 3.0, size=N)
    df = _frame(spark, t, p, w, scalar=True)
    result = evaluate(df, label="y", prediction="p", losses=names, weight="w")
    for text in names:
        from losslab.catalog import parse_loss_string

        spec, params = parse_loss_string(text)
        expected = float(reduce(spec.reference_values(t, p, **params), w))
        assert result.values[text] == pytest.approx(expected, rel=REL), text
    tb, pb = generate("binary", N, {"from_logits": True}, rng)
    df = _frame(spark, tb, pb, None, scalar=True)
    r = evaluate(
        df, label="y", prediction="p", losses="bce:from_logits=True,binary_focal:from_logits=True"
    )
    assert r.values["bce:from_logits=True"] == pytest.approx(
        float(np.mean(get_spec("bce").reference_values(tb, pb, from_logits=True))), rel=REL
    )


def test_sparse_labels_and_ml_vectors(spark: Any) -> None:
    """Class-index labels against ML vector predictions (element_at on the converted array)."""
    from pyspark.ml.linalg import Vectors

    from losslab.spark import evaluate

    rng = np.random.default_rng(5)
    t, p = generate("sparse", N, {}, rng)
    onehot = np.eye(p.shape[1])[t]
    rows = [
        (int(t[i]), Vectors.dense(p[i].astype(float)), Vectors.dense(onehot[i])) for i in range(N)
    ]
    df = spark.createDataFrame(rows, ["label", "probs", "onehot"])
    r = evaluate(df, label="label", prediction="probs", losses=["scce", "gce:q=0.7"])
    assert r.values["scce"] == pytest.approx(
        float(np.mean(get_spec("scce").reference_values(t, p))), rel=REL
    )
    assert r.values["gce:q=0.7"] == pytest.approx(
        float(np.mean(get_spec("gce").reference_values(t, p, q=0.7))), rel=REL
    )
    r2 = evaluate(df, label="onehot", prediction="probs", losses=["cce"])
    # the same number: categorical CE on one-hot rows is sparse CE on their indices
    assert r2.values["cce"] == pytest.approx(r.values["scce"], rel=REL)


def test_nan_rows_are_dropped_and_counted(spark: Any) -> None:
    from losslab.spark import evaluate

    rng = np.random.default_rng(11)
    t, p = generate("regression", N, {}, rng)
    w = rng.uniform(0.5, 1.5, size=N)
    p = p.astype(np.float64)
    p[3, 1] = np.nan  # one element of an array row
    w[10] = np.nan  # a null weight
    df = _frame(spark, t, p, w, scalar=False)
    r = evaluate(df, label="y", prediction="p", losses=["mse", "huber"], weight="w")
    keep = np.ones(N, dtype=bool)
    keep[[3, 10]] = False
    assert (r.n_rows, r.n_used, r.n_dropped) == (N, N - 2, 2)
    for name in ("mse", "huber"):
        spec = get_spec(name)
        expected = float(reduce(spec.reference_values(t[keep], p[keep]), w[keep]))
        assert r.values[name] == pytest.approx(expected, rel=REL)
    with pytest.raises(DataError, match=r"2 of 97 rows have a null or NaN"):
        evaluate(df, label="y", prediction="p", losses=["mse"], weight="w", nan="error")


def test_hinge_label_rule_over_the_whole_table(spark: Any) -> None:
    """{0,1} labels become {-1,1} only when every label of the table is 0 or 1."""
    from losslab.spark import evaluate

    rng = np.random.default_rng(2)
    p = rng.normal(size=(N, 1))
    t01 = rng.integers(0, 2, size=(N, 1)).astype(float)
    for t in (t01, np.where(np.arange(N)[:, None] == 5, 2.0, t01)):  # all binary / one 2.0
        df = _frame(spark, t, p, None, scalar=True)
        r = evaluate(df, label="y", prediction="p", losses=["hinge", "squared_hinge"])
        for name in ("hinge", "squared_hinge"):
            expected = float(np.mean(get_spec(name).reference_values(t, p)))
            assert r.values[name] == pytest.approx(expected, rel=REL), name


def test_reductions_and_fallback(spark: Any) -> None:
    """sum / mean_with_sample_weight, and a loss with no SQL form (mapInArrow + NumPy)."""
    from losslab.spark import evaluate

    rng = np.random.default_rng(4)
    t, p = generate("regression", N, {}, rng)
    w = rng.uniform(0.0, 2.0, size=N)
    df = _frame(spark, t, p, w, scalar=False)
    ref = get_spec("mse").reference_values(t, p)
    r = evaluate(df, label="y", prediction="p", losses=["mse"], weight="w", reduction="sum")
    assert r.values["mse"] == pytest.approx(float(reduce(ref, w, "sum")), rel=REL)
    r = evaluate(
        df,
        label="y",
        prediction="p",
        losses=["mse"],
        weight="w",
        reduction="mean_with_sample_weight",
    )
    assert r.values["mse"] == pytest.approx(
        float(reduce(ref, w, "mean_with_sample_weight")), rel=REL
    )

    fallback = [
        s
        for s in list_losses()
        if find_compiler(s) is None and s.inputs == "mean_scale" and not s.per_batch
    ]
    assert fallback, "expected a mean+scale loss with no SQL form in the catalog"
    spec = fallback[0]
    tm, pm = generate(spec.inputs, N, spec.defaults, rng)
    dfm = _frame(spark, tm, pm, w, scalar=False)
    r = evaluate(dfm, label="y", prediction="p", losses=[spec.name], weight="w")
    assert r.methods[spec.name] == "arrow"
    assert r.values[spec.name] == pytest.approx(
        float(reduce(spec.reference_values(tm, pm), w)), rel=REL
    )
    with pytest.raises(InvalidParameterError, match="has no Spark SQL form"):
        evaluate(dfm, label="y", prediction="p", losses=[spec.name], fallback=False)


def test_bad_input_errors(spark: Any) -> None:
    from losslab.spark import evaluate

    df = spark.createDataFrame([(0, [0.5, 0.5]), (3, [0.2, 0.8])], "y long, p array<double>")
    with pytest.raises(DataError, match=r"class indices in \[0, K\).*1 offending"):
        evaluate(df, label="y", prediction="p", losses=["scce"])
    with pytest.raises(DataError, match="Label column 'nope' not found. Received columns: y, p"):
        evaluate(df, label="nope", prediction="p", losses=["mse"])
    with pytest.raises(UnknownLossError, match="Unknown loss 'msee'"):
        evaluate(df, label="y", prediction="p", losses=["msee"])
    with pytest.raises(InvalidParameterError, match="defined on whole batches"):
        evaluate(df, label="y", prediction="p", losses=["dice"])
    bad = spark.createDataFrame([([1.0, 0.0], [0.5, 0.3, 0.2])], "y array<double>, p array<double>")
    with pytest.raises(DataError, match="differ in length"):
        evaluate(bad, label="y", prediction="p", losses=["cce"])
    s = spark.createDataFrame([("a", 1.0)], "y string, p double")
    with pytest.raises(DataError, match="must be numeric.*Received: type string"):
        evaluate(s, label="y", prediction="p", losses=["mse"])


def test_cli_engine_spark(spark: Any, tmp_path: Any, capsys: pytest.CaptureFixture[str]) -> None:
    """`losslab evaluate --engine spark` reads the file with Spark and prints JSON."""
    import json

    import pandas as pd

    from losslab.cli import main

    rng = np.random.default_rng(9)
    t, p = rng.normal(size=40), rng.normal(size=40)
    path = tmp_path / "preds.parquet"
    pd.DataFrame({"y": t, "p": p}).to_parquet(path)
    code = main(
        [
            "evaluate",
            str(path),
            "-y",
            "y",
            "-p",
            "p",
            "-l",
            "mse,mae",
            "--engine",
            "spark",
            "--json",
        ]
    )
    data = json.loads(capsys.readouterr().out)
    assert (
        code == 0 and data["engine"] == "spark" and data["methods"] == {"mse": "sql", "mae": "sql"}
    )
    assert data["values"]["mse"] == pytest.approx(float(np.mean((t - p) ** 2)), rel=REL)  # formula
    assert data["values"]["mae"] == pytest.approx(float(np.mean(np.abs(t - p))), rel=REL)
    code = main(["evaluate", str(path), "-y", "y", "-p", "nope", "-l", "mse", "--engine", "spark"])
    err = capsys.readouterr().err
    assert code == 2 and "Column 'nope' not found" in err and "Traceback" not in err


def test_saturated_probabilities_match_keras(spark: Any) -> None:
    """Predictions of exactly 0 and 1 (a confident model, a hard-coded baseline) hit the clip
    bounds. Keras clips float32 tensors, where 1 - 1e-7 rounds to 1 - 1.19e-7, so a wrong
    p = 1 costs -log(1.19e-7) = 15.94 and a wrong p = 0 costs -log(1e-7) = 16.12. Oracle:
    Keras's own losses on the same float32 inputs (rel 1e-6, float32 arithmetic), and the
    local engine (NumPy references), which must give the same number as Spark."""
    import keras

    import losslab
    from losslab.spark import evaluate

    t = np.array([[0.0], [1.0], [1.0], [0.0]])
    p = np.array([[1.0], [0.0], [1.0], [0.3]])
    onehot = np.array([[1.0, 0.0, 0.0], [0.0, 1.0, 0.0], [0.0, 0.0, 1.0]])
    probs = np.array([[0.0, 1.0, 0.0], [0.0, 1.0, 0.0], [0.2, 0.0, 0.8]])
    cases = [
        (t, p, True, "binary_crossentropy", keras.losses.BinaryCrossentropy()),
        (t, p, True, "binary_focal_crossentropy", keras.losses.BinaryFocalCrossentropy()),
        (onehot, probs, False, "categorical_crossentropy", keras.losses.CategoricalCrossentropy()),
        (
            onehot,
            probs,
            False,
            "categorical_focal_crossentropy",
            keras.losses.CategoricalFocalCrossentropy(),
        ),
        (
            onehot.argmax(axis=1),
            probs,
            False,
            "sparse_categorical_crossentropy",
            keras.losses.SparseCategoricalCrossentropy(),
        ),
    ]
    for y, q, scalar, name, keras_loss in cases:
        expected = float(keras_loss(y.astype("float32"), q.astype("float32")))
        df = _frame(spark, y, q, None, scalar=scalar)
        got = evaluate(df, label="y", prediction="p", losses=[name])
        assert got.methods[name] == "sql", name
        assert got.values[name] == pytest.approx(expected, rel=1e-6), name
        local = losslab.evaluate(df.toPandas(), label="y", prediction="p", losses=[name])
        assert got.values[name] == pytest.approx(local.values[name], rel=REL), name
