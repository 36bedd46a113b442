"""write_report, the figures and the terminal leaderboard, checked against independent
computations: the stored arrays themselves, scikit-learn (confusion matrices, calibration
curves) and scipy (t intervals)."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest
from rich.console import Console

from losslab.errors import DataError
from losslab.report import _figures as F
from losslab.report import load_run, print_leaderboard, write_report

from .conftest import XSS


def _trace(fig, name):
    return next(tr for tr in fig.data if tr.name == name)


def test_write_report_files_and_summary(regression_run: Path) -> None:
    paths = write_report(regression_run)
    assert set(paths) == {"html", "markdown", "summary"}
    assert all(p.parent == regression_run and p.stat().st_size > 0 for p in paths.values())
    summary = json.loads(paths["summary"].read_text())
    board = json.loads((regression_run / "leaderboard.json").read_text())
    assert summary["leaderboard"] == board["rows"]
    best = board["rows"][0]
    assert summary["best"]["label"] == best["label"] and summary["best"]["mean"] == best["mean"]
    assert summary["indistinguishable_from_best"] == [
        r["label"] for r in board["rows"] if r["indistinguishable_from_best"]
    ]
    assert summary["trials"] == {"total": 9, "ok": 9, "nan": 0, "failed": 0}
    assert set(summary["tune"]["best"]) <= {"huber:delta=2", "log_cosh"} and summary["tune"]["best"]
    assert "| learning rate | batch size | loss parameters |" in paths["markdown"].read_text()
    assert summary["recommendation"]["candidates"], "the advisor's shortlist is carried over"
    md = paths["markdown"].read_text()
    for r in board["rows"]:
        assert f"| {r['rank']} | {r['label']} | {r['mean']:.4g} |" in md
    # user text is escaped in Markdown too (renderers pass raw HTML through)
    html_text = paths["html"].read_text()
    assert XSS not in md and XSS not in html_text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html_text


def test_html_is_self_contained(regression_run: Path) -> None:
    text = write_report(regression_run)["html"].read_text()
    assert "Content-Security-Policy" in text and "default-src 'none'" in text
    assert not re.search(r"<script[^>]*\bsrc=", text), "every script is inline"
    assert not re.search(r"<link\b", text), "no external stylesheet"
    head, sep, page = text.partition("</script></head>")
    assert sep and "Plotly" in head and len(head) > 3_000_000  # plotly.js (~4.8 MB) inlined
    assert not re.search(r"https?://", page), "no URL outside the inlined library"


def test_regression_figures_match_stored_arrays(regression_run: Path) -> None:
    run = load_run(regression_run)
    y_test = np.load(regression_run / "data" / "split.npz")["y_test"]
    pred = np.load(regression_run / "trials" / "huber-delta=2--seed0.npz")["prediction"][:, 0]
    fig = F.fig_predicted_vs_actual(run)
    tr = _trace(fig, "huber:delta=2")
    np.testing.assert_allclose(tr.x, y_test)
    np.testing.assert_allclose(tr.y, pred)
    res = _trace(F.fig_residuals(run), "huber:delta=2")
    np.testing.assert_allclose(res.y, y_test - pred, rtol=1e-6)
    # the target histogram counts every training row once
    y_train = np.load(regression_run / "data" / "split.npz")["y_train"]
    bars = F.fig_target(run).data[0]
    assert sum(bars.y) == len(y_train)
    assert (
        min(bars.customdata[:, 0]) == y_train.min() and max(bars.customdata[:, 1]) == y_train.max()
    )
    # leaderboard error bars are the stored interval
    rows = {r["label"]: r for r in run.leaderboard["rows"]}
    lb = F.fig_leaderboard(run).data[0]
    for label, mean, plus, minus in zip(
        lb.y, lb.x, lb.error_x.array, lb.error_x.arrayminus, strict=True
    ):
        r = rows[label]
        assert mean == pytest.approx(r["mean"])
        assert mean + plus == pytest.approx(r["ci_high"]) and mean - minus == pytest.approx(
            r["ci_low"]
        )


def test_loss_curves_mark_best_and_early_stop(regression_run: Path) -> None:
    run = load_run(regression_run)
    fig = F.fig_loss_curves(run)
    rec = next(r for r in run.records if r["trial_id"] == "log_cosh--seed2")
    stars = [tr for tr in fig.data if tr.mode == "markers" and tr.marker.symbol == "star"]
    crosses = [tr for tr in fig.data if tr.mode == "markers" and tr.marker.symbol == "x"]
    assert len(stars) == len(crosses) == len(run.records)
    best, stop = rec["best_epoch"], rec["epochs_run"]
    val = rec["history"]["val_loss"]
    assert any(tr.x == (best,) and tr.y[0] == pytest.approx(val[best - 1]) for tr in stars)
    assert any(tr.x == (stop,) and tr.y[0] == pytest.approx(val[stop - 1]) for tr in crosses)
    # one panel per candidate, titled by its label
    titles = [a.text for a in fig.layout.annotations]
    assert titles == [run.label(c) for c in run.candidate_ids()]
    spread = F.fig_seed_spread(run)
    box = _trace(spread, "log_cosh")
    assert sorted(box.y) == sorted(r["primary"] for r in run.trials_of("log_cosh"))


def test_tune_figures_are_optunas(regression_run: Path) -> None:
    import optuna
    from optuna.storages import JournalStorage
    from optuna.storages.journal import JournalFileBackend

    run = load_run(regression_run)
    figs, notes = F.figs_tune(run)
    assert notes == []
    titles = [t for t, _ in figs]
    assert titles == ["Optimisation history: losslab-tune", "Parameter importances: losslab-tune"]
    study = optuna.load_study(
        study_name="losslab-tune",
        storage=JournalStorage(JournalFileBackend(str(regression_run / "tune" / "journal.log"))),
    )
    history = figs[0][1]
    objective = next(tr for tr in history.data if tr.mode == "markers")
    np.testing.assert_allclose(objective.y, [tr.value for tr in study.trials])
    importances = figs[1][1].data[0]
    assert "learning_rate" in set(importances.y)
    # the best configuration per loss is tabled from tune/best.json
    text = write_report(regression_run)["html"].read_text()
    best = json.loads((regression_run / "tune" / "best.json").read_text())["best"]
    assert "Best configuration per loss" in text
    for b in best.values():
        assert f">{b['value']:.4g}<" in text


def test_binary_calibration_matches_sklearn(binary_run: Path) -> None:
    from sklearn.calibration import calibration_curve

    run = load_run(binary_run)
    y = np.load(binary_run / "data" / "split.npz")["y_test"]
    p = np.load(binary_run / "trials" / "binary_crossentropy--seed0.npz")["prediction"][:, 0]
    prob_true, prob_pred = calibration_curve(y, p, n_bins=10, strategy="uniform")
    tr = _trace(F.fig_calibration(run), "binary_crossentropy")
    np.testing.assert_allclose(tr.x, prob_pred, rtol=1e-6)
    np.testing.assert_allclose(tr.y, prob_true, rtol=1e-6)


def test_binary_confusion_and_failed_candidate(binary_run: Path) -> None:
    from sklearn.metrics import confusion_matrix

    run = load_run(binary_run)
    y = np.load(binary_run / "data" / "split.npz")["y_test"]
    p = np.load(binary_run / "trials" / "focal--seed0.npz")["prediction"][:, 0]
    fig = F.fig_confusion(run)
    assert len(fig.data) == 2  # the NaN candidate has no predictions
    np.testing.assert_array_equal(
        np.asarray(fig.data[1].text), confusion_matrix(y, (p >= 0.5).astype(int))
    )
    assert list(fig.data[0].x) == ["malignant", "&lt;i&gt;benign&lt;/i&gt;"]
    text = write_report(binary_run)["html"].read_text()
    assert 'class="badge bad">failed' in text and "the training loss became NaN at epoch 2" in text


def test_multiclass_confusion_matches_sklearn(multiclass_run: Path) -> None:
    from sklearn.metrics import confusion_matrix

    run = load_run(multiclass_run)
    y = np.load(multiclass_run / "data" / "split.npz")["y_test"]
    p = np.load(multiclass_run / "trials" / "sparse_categorical_crossentropy--seed0.npz")[
        "prediction"
    ]
    fig = F.fig_confusion(run)
    np.testing.assert_array_equal(np.asarray(fig.data[0].text), confusion_matrix(y, p.argmax(1)))
    z = np.asarray(fig.data[0].z)
    np.testing.assert_allclose(z.sum(axis=1), 1.0)  # shares of each actual class
    # top-label calibration: mean confidence per bin vs accuracy per bin, recomputed here
    conf, hit = p.max(1), (p.argmax(1) == y).astype(float)
    bins = np.minimum((conf * 10).astype(int), 9)
    tr = _trace(F.fig_calibration(run), "sparse_categorical_crossentropy")
    expect = [
        (conf[bins == b].mean(), hit[bins == b].mean()) for b in range(10) if (bins == b).any()
    ]
    np.testing.assert_allclose(list(zip(tr.x, tr.y, strict=True)), expect, rtol=1e-6)


def test_multilabel_outcomes_match_sklearn(multilabel_run: Path) -> None:
    from sklearn.metrics import multilabel_confusion_matrix

    run = load_run(multilabel_run)
    y = np.load(multilabel_run / "data" / "split.npz")["y_test"]
    p = np.load(multilabel_run / "trials" / "binary_crossentropy--seed0.npz")["prediction"]
    counts = np.asarray(F.fig_confusion(run).data[0].text)
    mcm = multilabel_confusion_matrix(y, (p >= 0.5).astype(int))  # per label [[TN, FP], [FN, TP]]
    np.testing.assert_array_equal(counts, mcm.reshape(len(mcm), 4))
    paths = write_report(multilabel_run)
    assert paths["html"].exists()


def test_interrupted_run_derives_intervals(tmp_path: Path, regression_run: Path) -> None:
    from scipy import stats

    run_dir = tmp_path / "partial"
    shutil.copytree(regression_run, run_dir)
    (run_dir / "leaderboard.json").unlink()
    run = load_run(run_dir)
    assert run.leaderboard_derived
    vals = [r["primary"] for r in run.trials_of("log_cosh")]
    lo, hi = stats.t.interval(0.95, len(vals) - 1, loc=np.mean(vals), scale=stats.sem(vals))
    row = next(r for r in run.leaderboard["rows"] if r["candidate_id"] == "log_cosh")
    assert row["ci_low"] == pytest.approx(lo) and row["ci_high"] == pytest.approx(hi)
    summary = json.loads(write_report(run_dir)["summary"].read_text())
    assert summary["leaderboard_derived"] and "did not finish" in summary["notes"][0]


def test_not_a_run_directory(tmp_path: Path) -> None:
    with pytest.raises(DataError, match=r"Not a losslab run directory: .* does not exist"):
        write_report(tmp_path / "nope")
    with pytest.raises(DataError, match=r"holds no manifest.json"):
        write_report(tmp_path)
    (tmp_path / "manifest.json").write_text('{"format": "other"}')
    with pytest.raises(DataError, match=r"not a losslab run manifest"):
        write_report(tmp_path)


def test_print_leaderboard_inputs(regression_run: Path) -> None:
    write_report(regression_run)
    board = json.loads((regression_run / "leaderboard.json").read_text())
    board["rows"][0]["label"] = "[bold]x[/bold]"  # Rich markup in a label is shown, not applied

    def render(obj) -> str:
        c = Console(record=True, width=160, file=open("/dev/null", "w"))  # noqa: SIM115
        print_leaderboard(obj, console=c)
        return c.export_text()

    text = render(board)
    assert "[bold]x[/bold]" in text and "best" in text and "95% interval" in text
    from_dir = render(regression_run)
    assert "rmse" in from_dir and "Report:" in from_dir
    assert render(SimpleNamespace(run_dir=regression_run)) == from_dir
    with pytest.raises(DataError, match="Cannot find a leaderboard"):
        render(42)


def test_cli_report(
    regression_run: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from losslab.cli import main

    run_dir = tmp_path / "cli"
    shutil.copytree(regression_run, run_dir)
    for name in ("report.html", "report.md", "summary.json"):
        (run_dir / name).unlink(missing_ok=True)
    assert main(["report", str(run_dir)]) == 0
    out = capsys.readouterr().out
    assert "Leaderboard" in out and f"html: {run_dir / 'report.html'}" in out
    assert (run_dir / "report.html").exists() and (run_dir / "summary.json").exists()
    assert main(["report", str(tmp_path / "missing")]) == 2
    err = capsys.readouterr().err
    assert err.startswith("Error: Not a losslab run directory") and err.count("\n") == 1


def test_recommendation_report(tmp_path: Path) -> None:
    from sklearn.datasets import load_diabetes

    import losslab
    from losslab.report import write_recommendation_report

    df = load_diabetes(as_frame=True).frame.rename(columns={"bmi": XSS})
    rec = losslab.recommend(df, target="target")
    paths = write_recommendation_report(rec, tmp_path / "rec")
    text = paths["html"].read_text()
    assert XSS not in text and "&lt;script&gt;alert(1)&lt;/script&gt;" in text
    assert 'id="recommendations"' in text and 'id="leaderboard"' not in text
    for c in rec.candidates:
        assert f"<td>{c.loss}</td>" in text
    summary = json.loads(paths["summary"].read_text())
    assert summary["kind"] == "recommend" and summary["notes"] == []
    assert [c["loss"] for c in summary["recommendation"]["candidates"]] == [
        c.loss for c in rec.candidates
    ]
    assert "## Leaderboard" not in paths["markdown"].read_text()
    with pytest.raises(DataError, match="Not an advisor recommendation"):
        write_recommendation_report({"x": 1}, tmp_path / "bad")


def test_tune_run_directory(tmp_path: Path, regression_run: Path) -> None:
    # a tune run directory: one record per tuning trial, no leaderboard.json (see refit/)
    run_dir = tmp_path / "tune"
    shutil.copytree(regression_run, run_dir)
    manifest = json.loads((run_dir / "manifest.json").read_text())
    manifest["kind"] = "tune"
    (run_dir / "manifest.json").write_text(json.dumps(manifest))
    (run_dir / "leaderboard.json").unlink()
    run = load_run(run_dir)
    assert run.notes == []  # not "did not finish": tune keeps its leaderboard in refit/
    recs = run.trials_of("huber-delta=2")
    best = min(recs, key=lambda r: r["val_metrics"]["rmse"])
    pred = np.load(run_dir / "trials" / f"{best['trial_id']}.npz")["prediction"][:, 0]
    tr = _trace(F.fig_predicted_vs_actual(run), "huber:delta=2")
    np.testing.assert_allclose(tr.y, pred)
    text = write_report(run_dir)["html"].read_text()
    assert 'id="leaderboard"' not in text and 'data-plot="seed-spread"' not in text
    assert "best validation trial" in text and 'id="tuning"' in text
