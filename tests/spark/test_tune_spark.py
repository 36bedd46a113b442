"""``tune`` on Spark: Optuna's ask/tell on the driver, each batch of trials as parallel Spark
tasks; the same seed and batch width give the local engine's study."""

from __future__ import annotations

import json
from typing import Any

import numpy as np
import pytest

pytestmark = [pytest.mark.spark, pytest.mark.slow, pytest.mark.xdist_group("spark")]


def _data() -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(1)
    x = rng.normal(size=(120, 3))
    return x, x @ np.array([1.0, -2.0, 0.5]) + 0.1 * rng.normal(size=120)


def test_tune_on_spark_equals_the_local_engine(spark: Any, tmp_path: Any) -> None:
    import losslab
    from losslab.experiment.engine import LocalEngine
    from losslab.spark.engine import SparkEngine

    x, y = _data()
    kw: dict[str, Any] = dict(
        losses=["mse", "huber"], n_trials=2, trials_per_batch=2, max_epochs=3, hidden=(8,), quiet=True, report=False
    )
    local = losslab.tune(None, x, y, engine=LocalEngine(), out=tmp_path / "local", **kw)
    remote = losslab.tune(None, x, y, engine=SparkEngine(spark=spark), out=tmp_path / "spark", **kw)
    lt, rt = local.study.trials, remote.study.trials
    assert len(lt) == len(rt) == 4
    # the sampler runs on the driver: the same configurations were asked in the same order
    assert [t.params for t in rt] == [t.params for t in lt]
    for a, b in zip(lt, rt, strict=True):
        assert a.state.name == b.state.name == "COMPLETE"
        assert b.value == pytest.approx(a.value, rel=1e-5)
        assert b.user_attrs["epochs_run"] == a.user_attrs["epochs_run"]
    # every trial stored once in the Spark run directory
    ids = [json.loads(line)["trial_id"] for line in (tmp_path / "spark" / "trials.jsonl").read_text().splitlines()]
    assert sorted(ids) == [f"tune-{i:04d}" for i in range(4)]
    # the batch width (not the engine) is part of the run's configuration
    cfg = [json.loads((tmp_path / d / "manifest.json").read_text())["config"]["tune"] for d in ("local", "spark")]
    assert cfg[0] == cfg[1] and cfg[0]["trials_per_batch"] == 2


def test_cli_tune_engine_spark_writes_the_report(spark: Any, tmp_path: Any) -> None:
    import pandas as pd

    from losslab.cli import main

    x, y = _data()
    df = pd.DataFrame(x, columns=["a", "b", "c"])
    df["y"] = y
    csv = tmp_path / "reg.csv"
    df.to_csv(csv, index=False)
    out = tmp_path / "run"
    args = ["tune", str(csv), "-t", "y", "-l", "mse", "-n", "2", "--max-epochs", "2", "--hidden", "8"]
    code = main([*args, "--engine", "spark", "--master", "local[2]", "--out", str(out), "-q"])
    assert code == 0
    assert (out / "report.html").stat().st_size > 1000
    cfg = json.loads((out / "manifest.json").read_text())["config"]["tune"]
    assert cfg["trials_per_batch"] == 2  # local[2]: two trials per batch
    assert len((out / "trials.jsonl").read_text().splitlines()) == 2
