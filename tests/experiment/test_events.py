"""The training watchers' events in trial records and in the report.

Each trial runs a DivergenceGuard (and an OverfittingMonitor when early stopping does not
restore the best weights) that collect events silently; the events are stored in the trial
record (docs/run-directory.md) and shown under "Training warnings" in the report. The
expected events are re-derived here from the stored loss histories (the rule of each check,
written out independently), not from the callbacks' own output.
"""

from __future__ import annotations

import html
import json
import warnings

import numpy as np
import pytest

import losslab
from losslab.callbacks import DivergenceWarning, Event, OverfittingWarning
from losslab.experiment.trial_callbacks import event_records, loss_watchers
from tests.experiment._data import regression_data


def _stored(run_dir):
    return [json.loads(line) for line in (run_dir / "trials.jsonl").read_text().splitlines()]


def _overfitting_epochs(train: list[float], val: list[float], patience: int = 3) -> list[int]:
    """1-based epochs where val rose and train fell for ``patience`` epochs in a row
    (the streak restarts after each report)."""
    out, streak = [], 0
    for i in range(1, len(val)):
        streak = streak + 1 if val[i] > val[i - 1] and train[i] < train[i - 1] else 0
        if streak >= patience:
            out.append(i + 1)
            streak = 0
    return out


@pytest.mark.slow
def test_diverging_candidate_stores_an_event_and_the_report_shows_it(tmp_path, capsys):
    # Adam at learning rate 1 blows the MSE up in the first epoch (the squared error of a
    # huge step), while MAE's bounded gradient keeps it in range
    x, y = regression_data(n=200)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        res = losslab.compare(
            None, x, y, losses=["mse", "mae"], seeds=1, max_epochs=3, learning_rate=1.0,
            hidden=(16,), quiet=True, out=tmp_path / "run",
        )  # fmt: skip
    # collected, not warned or printed
    assert not [w for w in caught if issubclass(w.category, DivergenceWarning | OverfittingWarning)]
    out = capsys.readouterr()
    assert "exploded" not in out.out + out.err

    stored = {r["loss"]: r for r in _stored(tmp_path / "run")}
    assert {r["trial_id"]: r["events"] for r in res.records} == {
        r["trial_id"]: r["events"] for r in stored.values()
    }
    mse, mae = stored["mean_squared_error"], stored["mean_absolute_error"]
    assert mae["events"] == []
    (ev,) = mse["events"]
    assert ev["source"] == "divergence_guard" and ev["kind"] == "explosion"
    assert ev["epoch"] == 1 and ev["batch"] is None
    # the stored epoch loss is the one Keras logged, far above the loss at the initial weights
    assert ev["details"]["loss"] == mse["history"]["loss"][0]
    assert ev["details"]["loss"] > 10 * ev["details"]["initial_loss"]
    assert ev["details"]["learning_rate"] == 1.0 and ev["details"]["stopped"] is False
    assert any("learning rate too high (it is 1)" in c for c in ev["causes"])
    # warn-only: the trial still ran to its end and was judged
    assert mse["status"] == "ok" and mse["epochs_run"] == 3 and mse["primary"] is not None

    run_dir = tmp_path / "run"
    page = (run_dir / "report.html").read_text()
    assert "Training warnings" in page
    assert html.escape(ev["message"], quote=True) in page
    md = (run_dir / "report.md").read_text()
    assert "## Training warnings" in md and "(explosion)" in md and "mean_squared_error" in md
    summary = json.loads((run_dir / "summary.json").read_text())
    warned = {t["candidate_id"]: t["warnings"] for t in summary["training"]}
    assert warned["mean_absolute_error"] == []
    assert [
        (w["kind"], w["epoch"], w["seed"], w["message"]) for w in warned["mean_squared_error"]
    ] == [("explosion", 1, 0, ev["message"])]


def test_healthy_run_has_no_events_and_no_warnings_section(tmp_path):
    x, y = regression_data(n=200)
    res = losslab.compare(
        None, x, y, losses=["mse", "mae"], seeds=1, max_epochs=5, learning_rate=0.003,
        hidden=(16,), quiet=True, out=tmp_path / "run",
    )  # fmt: skip
    assert all(r["events"] == [] for r in _stored(tmp_path / "run"))
    # the histories confirm it: finite, never 10x above the start, moving
    for r in res.records:
        loss = r["history"]["loss"]
        assert all(v is not None and np.isfinite(v) for v in loss)
        assert max(loss) < 10 * loss[0] and abs(loss[-1] - loss[0]) > 1e-3 * loss[0]
    assert "Training warnings" not in (tmp_path / "run" / "report.html").read_text()
    assert "Training warnings" not in (tmp_path / "run" / "report.md").read_text()


def test_overfitting_is_recorded_when_early_stopping_is_off(tmp_path):
    # a pure-noise target, 48 training rows and a wide net: the validation loss turns up
    rng = np.random.default_rng(0)
    x, y = rng.normal(size=(80, 8)), rng.normal(size=80)
    res = losslab.compare(
        None, x, y, losses=["mse"], seeds=1, max_epochs=20, learning_rate=0.01, batch_size=16,
        early_stopping=False, hidden=(64, 64), quiet=True, report=False, out=tmp_path / "run",
    )  # fmt: skip
    (rec,) = res.records
    expected = _overfitting_epochs(rec["history"]["loss"], rec["history"]["val_loss"])
    assert expected, "the planted case must overfit"
    got = [e for e in rec["events"] if e["source"] == "overfitting_monitor"]
    assert [e["epoch"] for e in got] == expected
    assert all(e["kind"] == "overfitting" and e["causes"] == [] for e in got)
    first = got[0]["details"]
    i = expected[0] - 1
    assert first["gap"] == rec["history"]["val_loss"][i] - rec["history"]["loss"][i]
    assert rec["status"] == "ok" and rec["epochs_run"] == 20  # warn-only: nothing stopped


def test_watchers_follow_early_stopping_config():
    def kinds(cfg):
        return sorted(type(w).__name__ for w in loss_watchers(cfg))

    # early stopping that restores the best weights already handles a rising val loss
    assert kinds({"enabled": True, "restore_best_weights": True}) == ["DivergenceGuard"]
    assert kinds({"enabled": False}) == ["DivergenceGuard", "OverfittingMonitor"]
    assert kinds({"restore_best_weights": False}) == ["DivergenceGuard", "OverfittingMonitor"]
    assert all(w.warn is False and w.action == "warn" for w in loss_watchers({"enabled": False}))


def test_event_records_are_one_based_and_split_causes():
    class _W:
        def __init__(self, events):
            self.events = events

    guard = _W(
        [
            Event(
                "nonfinite",
                2,
                4,
                "The training loss became nan.",
                {"loss": "nan", "causes": ["a", "b"]},
            )
        ]
    )
    mon = type("OverfittingMonitor", (), {})()
    mon.events = [Event("overfitting", 0, None, "Overfitting at epoch 1.", {"gap": 0.5})]
    recs = event_records([guard, mon])
    assert recs == [
        {"source": "overfitting_monitor", "kind": "overfitting", "epoch": 1, "batch": None,
         "message": "Overfitting at epoch 1.", "causes": [], "details": {"gap": 0.5}},
        {"source": "divergence_guard", "kind": "nonfinite", "epoch": 3, "batch": 5,
         "message": "The training loss became nan.", "causes": ["a", "b"], "details": {"loss": "nan"}},
    ]  # fmt: skip
