"""The shared options of the fits (streamed, in memory, data-parallel): one set of rules,
the same keywords accepted by every fit, unknown keywords refused before any data is read."""

from __future__ import annotations

import dataclasses
import inspect

import numpy as np
import pyarrow as pa
import pyarrow.dataset as pads
import pytest

from losslab.errors import InvalidParameterError
from losslab.experiment.fit_options import RULES, FitOptions, check_option
from losslab.experiment.streaming import compute_stats
from losslab.experiment.streaming_fit import fit_in_memory, fit_streaming

BAD = {"epochs": 0, "batch_size": 0, "buffer_rows": -1, "val_fraction": 1.0, "learning_rate": 0.0,
       "hidden": (8, 0)}  # fmt: skip


@pytest.mark.parametrize("name", sorted(BAD))
def test_each_rule_refuses_a_bad_value_with_its_name(name: str) -> None:
    with pytest.raises(InvalidParameterError, match=rf"^{name} must be .*Received: {name}="):
        FitOptions(**{name: BAD[name]})
    flag = "--" + name.replace("_", "-")
    with pytest.raises(InvalidParameterError, match=rf"^{flag} must be .*Received: {flag} "):
        check_option(name, BAD[name], flag=flag)


def test_every_validated_field_has_a_rule_and_defaults_are_valid() -> None:
    fields = {f.name for f in dataclasses.fields(FitOptions)}
    assert set(BAD) <= fields and set(BAD) <= set(RULES)
    FitOptions()  # the defaults pass their own rules


def test_keywords_and_options_are_the_same_and_keywords_win() -> None:
    assert FitOptions.of(epochs=3, seed=2) == FitOptions(epochs=3, seed=2)
    assert FitOptions.of(FitOptions(epochs=3, seed=2), seed=5) == FitOptions(epochs=3, seed=5)


@pytest.mark.parametrize("fit", [fit_streaming, fit_in_memory])
def test_an_unknown_keyword_is_refused_before_reading(fit) -> None:  # noqa: ANN001
    with pytest.raises(InvalidParameterError, match=r"Unknown fit option 'epoch'.*Valid options: epochs"):
        fit("no/such/file.parquet", "y", epoch=3)


def test_the_data_parallel_fit_takes_the_same_options() -> None:
    pytest.importorskip("torch")
    from losslab.spark.distributed import fit_data_parallel

    with pytest.raises(InvalidParameterError, match=r"Unknown fit option 'epoch'"):
        fit_data_parallel("no/such/file.parquet", "y", epoch=3, engine="local")
    with pytest.raises(InvalidParameterError, match=r"^epochs must be at least 1\. Received: epochs=0\.$"):
        fit_data_parallel("no/such/file.parquet", "y", epochs=0, engine="local")
    with pytest.raises(InvalidParameterError, match=r"^workers must be at least 1\. Received: workers=0\.$"):
        fit_data_parallel("no/such/file.parquet", "y", workers=0, engine="local")
    params = inspect.signature(fit_data_parallel).parameters
    assert "options" in params and inspect.signature(fit_streaming).parameters.keys() >= {"options", "prefetch"}


def test_mean_abs_target_of_the_stats_pass_is_numpys() -> None:
    """``target_abs_mean`` (the Poisson/Gamma target scale): mean |y| over the finite
    training targets, checked against NumPy on the same rows."""
    rng = np.random.default_rng(0)
    y = rng.normal(size=500) * 3
    y[:7] = np.nan
    y[7:9] = np.inf
    ds = pads.dataset(pa.table({"x": rng.normal(size=500), "y": y, "id": np.arange(500)}))
    stats = compute_stats(ds, "y", val_fraction=0.0, key="id")
    finite = y[np.isfinite(y)]
    assert stats.target_abs_mean == pytest.approx(float(np.mean(np.abs(finite))), rel=1e-12)
