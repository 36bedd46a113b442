"""TensorBoard logs of a stored run, read back with TensorBoard's own EventAccumulator; and the
layout compared with what Keras's own TensorBoard callback writes."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from tests.integrations.conftest import CONFIG, record, records, write_run

pytest.importorskip("tensorboard")

# TensorBoard's reader imports TensorFlow when it is installed (~20 s on the shared machine)
pytestmark = pytest.mark.slow

from losslab.experiment.store import RunDirectoryError  # noqa: E402
from losslab.integrations import export_tensorboard  # noqa: E402


def _scalars(path: Path) -> dict[str, list[tuple[int, float]]]:
    """Every scalar of one TensorBoard run directory: {tag: [(step, value), ...]}."""
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator
    from tensorboard.util import tensor_util

    acc = EventAccumulator(str(path))
    acc.Reload()
    out = {}
    for tag in acc.Tags()["tensors"]:
        if acc.SummaryMetadata(tag).plugin_data.plugin_name != "scalars":
            continue  # Keras also writes its model's config as a text tensor
        out[tag] = [
            (e.step, float(tensor_util.make_ndarray(e.tensor_proto))) for e in acc.Tensors(tag)
        ]
    for tag in acc.Tags()["scalars"]:
        out[tag] = [(e.step, e.value) for e in acc.Scalars(tag)]
    return out


def test_curves_per_trial_as_keras_names_them(run_dir: Path, tmp_path: Path) -> None:
    logs = tmp_path / "tb"
    written = export_tensorboard(run_dir, logs)
    stored = {r["trial_id"]: r for r in records()}
    assert sorted(written) == sorted(stored)
    assert sorted(p.name for p in logs.iterdir()) == sorted(stored)
    for tid, rec in stored.items():
        for sub, key in (("train", "loss"), ("validation", "val_loss")):
            got = _scalars(logs / tid / sub)
            assert list(got) == ["epoch_loss"]
            want = [
                (i, v) for i, v in enumerate(rec["history"][key]) if v is not None
            ]  # NaN epochs left out
            assert [s for s, _ in got["epoch_loss"]] == [s for s, _ in want]
            np.testing.assert_allclose(
                [v for _, v in got["epoch_loss"]], [v for _, v in want], rtol=1e-6
            )


def test_export_again_skips_and_another_run_is_refused(run_dir: Path, tmp_path: Path) -> None:
    logs = tmp_path / "tb"
    assert len(export_tensorboard(run_dir, logs)) == 4
    assert export_tensorboard(run_dir, logs) == []
    events = sorted(str(p) for p in logs.rglob("events.out.tfevents.*"))
    assert len(events) == 8  # one file per (trial, train|validation): nothing written twice
    other = tmp_path / "other"
    write_run(
        other,
        [record(CONFIG["candidates"][0], 0, loss=[1.0], val_loss=[1.0], rmse=1.0)],
        config={**CONFIG, "seeds": [0]},
    )
    with pytest.raises(
        RunDirectoryError,
        match=r"already holds trial 'mse--seed0' of another run .* Pass another --tensorboard",
    ):
        export_tensorboard(other, logs)


def test_a_tune_history_adds_its_validation_judge(tmp_path: Path) -> None:
    rec = record(CONFIG["candidates"][0], 0, loss=[1.0, 0.5], val_loss=[1.1, 0.6], rmse=0.5)
    rec["history"]["val_judge"] = [0.9, 0.7]
    write_run(tmp_path / "run", [rec])
    export_tensorboard(tmp_path / "run", tmp_path / "tb")
    got = _scalars(tmp_path / "tb" / "mse--seed0" / "validation")
    assert sorted(got) == ["epoch_judge", "epoch_loss"]
    assert [v for _, v in got["epoch_judge"]] == pytest.approx([0.9, 0.7])


def test_same_layout_as_the_keras_tensorboard_callback(run_dir: Path, tmp_path: Path) -> None:
    """Oracle: Keras's own keras.callbacks.TensorBoard on a tiny fit."""
    pytest.importorskip("tensorflow")
    import keras

    keras.utils.set_random_seed(0)
    x = np.random.default_rng(0).normal(size=(32, 2)).astype("float32")
    model = keras.Sequential([keras.Input((2,)), keras.layers.Dense(1)])
    model.compile("sgd", "mse")
    theirs = tmp_path / "keras"
    model.fit(
        x,
        x[:, :1],
        validation_split=0.25,
        epochs=2,
        verbose=0,
        callbacks=[keras.callbacks.TensorBoard(str(theirs))],
    )
    ours = tmp_path / "ours"
    export_tensorboard(run_dir, ours)
    trial = ours / "mse--seed0"
    assert {p.name for p in theirs.iterdir() if p.is_dir()} == {
        p.name for p in trial.iterdir() if p.is_dir()
    }
    for sub in ("train", "validation"):
        assert "epoch_loss" in _scalars(theirs / sub) and list(_scalars(trial / sub)) == [
            "epoch_loss"
        ]
        assert [s for s, _ in _scalars(theirs / sub)["epoch_loss"]] == [
            0,
            1,
        ]  # steps count epochs from 0
