"""The "Training warnings" of the report: the events stored in trial records (planted here
in a fixture run directory), escaped, per candidate and seed; nothing for records without
events (run directories written before trials carried them)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from rich.console import Console

from losslab.report import print_leaderboard, write_report
from losslab.report._summary import trial_warnings

from .conftest import XSS

EVENT = {
    "source": "divergence_guard",
    "kind": "explosion",
    "epoch": 2,
    "batch": None,
    "message": f"The training loss exploded at epoch 2: 912, more than 10x the lowest value so far (2.9). {XSS}",
    "causes": ["learning rate too high (it is 1): lower it 10x"],
    "details": {"loss": 912.0, "initial_loss": 2.9, "stopped": False},
}
NONFINITE = {
    **EVENT,
    "kind": "nonfinite",
    "epoch": 3,
    "batch": 7,
    "message": "The training loss became nan at epoch 3, batch 7.",
}


def _plant(run_dir: Path, events_by_trial: dict[str, list[dict]]) -> None:
    """Rewrite trials.jsonl with ``events`` added to the named trials (others unchanged)."""
    path = run_dir / "trials.jsonl"
    lines = []
    for line in path.read_text().splitlines():
        rec = json.loads(line)
        if rec["trial_id"] in events_by_trial:
            rec["events"] = events_by_trial[rec["trial_id"]]
        lines.append(json.dumps(rec))
    path.write_text("\n".join(lines) + "\n")


def _copy(run: Path, tmp_path: Path) -> Path:
    dst = tmp_path / "run"
    shutil.copytree(run, dst)
    for name in ("report.html", "report.md", "summary.json"):
        (dst / name).unlink(missing_ok=True)
    return dst


def test_records_without_events_render_no_warnings(regression_run: Path, tmp_path: Path) -> None:
    run_dir = _copy(regression_run, tmp_path)
    assert all(
        "events" not in json.loads(x) for x in (run_dir / "trials.jsonl").read_text().splitlines()
    )
    paths = write_report(run_dir)
    con = Console(record=True, width=200)
    print_leaderboard(run_dir, console=con)
    assert "Training warnings" not in con.export_text()
    assert "Training warnings" not in paths["html"].read_text()
    assert "Training warnings" not in paths["markdown"].read_text()
    summary = json.loads(paths["summary"].read_text())
    assert [t["warnings"] for t in summary["training"]] == [[], [], []]


def test_planted_events_are_listed_per_candidate_and_seed_and_escaped(
    regression_run: Path, tmp_path: Path
) -> None:
    run_dir = _copy(regression_run, tmp_path)
    _plant(run_dir, {"huber-delta=2--seed1": [EVENT, NONFINITE]})
    paths = write_report(run_dir)

    page = paths["html"].read_text()
    start = page.index('id="training-warnings"')
    table = page[start : page.index("</table>", start)]
    assert table.count("<tr>") == 3  # header + two events
    assert "<td>huber:delta=2</td><td>1</td><td>2</td><td>explosion</td>" in table
    assert "<td>huber:delta=2</td><td>1</td><td>3, batch 7</td><td>nonfinite</td>" in table
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in table and XSS not in table

    md = paths["markdown"].read_text()
    section = md[md.index("## Training warnings") :].split("\n## ")[0]
    assert "- **huber:delta=2**, seed 1, epoch 2 (explosion): " in section
    assert "- **huber:delta=2**, seed 1, epoch 3, batch 7 (nonfinite): " in section
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in section and XSS not in section

    summary = json.loads(paths["summary"].read_text())
    warned = {t["candidate_id"]: t["warnings"] for t in summary["training"]}
    assert warned["mean_squared_error"] == [] and warned["log_cosh"] == []
    assert [
        (w["trial_id"], w["seed"], w["kind"], w["epoch"], w["batch"])
        for w in warned["huber-delta=2"]
    ] == [
        ("huber-delta=2--seed1", 1, "explosion", 2, None),
        ("huber-delta=2--seed1", 1, "nonfinite", 3, 7),
    ]
    assert warned["huber-delta=2"][0]["message"] == EVENT["message"]  # JSON keeps the raw text
    assert warned["huber-delta=2"][0]["causes"] == EVENT["causes"]

    con = Console(record=True, width=200)
    print_leaderboard(run_dir, console=con)
    assert (
        "Training warnings: 2 in 1 trial (explosion, nonfinite) (listed in the report)."
        in con.export_text()
    )


def test_trial_warnings_skips_malformed_events() -> None:
    rec = {
        "trial_id": "t",
        "seed": 2,
        "events": [EVENT, "not an event", {"kind": "stuck", "epoch": 4}],
    }
    got = trial_warnings(rec)
    assert [(w["kind"], w["epoch"], w["seed"], w["causes"]) for w in got] == [
        ("explosion", 2, 2, EVENT["causes"]),
        ("stuck", 4, 2, []),
    ]
    assert trial_warnings({"trial_id": "t", "seed": 0, "events": None}) == []
