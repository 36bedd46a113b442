"""``summary.json``: the run in a machine-readable form, and the number formats every view shares."""

from __future__ import annotations

import math
from typing import Any

from losslab.report._run import RunData

__all__ = ["build_summary", "fmt", "params_text", "trial_warnings", "verdict_mark"]

SUMMARY_FORMAT_VERSION = 1


def fmt(value: Any, digits: int = 4) -> str:
    """A number for a table cell (``-`` for missing, ``g`` format otherwise)."""
    if value is None:
        return "-"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if not math.isfinite(value):
            return str(value)
        return f"{value:.{digits}g}"
    return str(value)


def verdict_mark(row: dict[str, Any]) -> str:
    """The verdict a leaderboard row shows: ``best``, ``best tier``, ``worse``,
    ``inconclusive``, ``failed`` (rows stored before verdicts: ``≈ best`` or ``""``).

    Example:
        >>> verdict_mark({"is_best": True}), verdict_mark({"verdict": "inconclusive"})
        ('best', 'inconclusive')
    """
    if row.get("is_best"):
        return "best"
    if row.get("verdict"):
        return str(row["verdict"])
    if row.get("indistinguishable_from_best"):
        return "≈ best"
    return "failed" if row.get("mean") is None else ""


def params_text(params: dict[str, Any] | None) -> str:
    """``delta=2, reduction=...`` (or ``-``)."""
    if not params:
        return "-"
    return ", ".join(f"{k}={fmt(v) if isinstance(v, float) else v}" for k, v in params.items())


def _trial_counts(run: RunData) -> dict[str, int]:
    counts = {"total": len(run.records), "ok": 0, "nan": 0, "failed": 0}
    for rec in run.records:
        status = str(rec.get("status", "ok"))
        counts[status] = counts.get(status, 0) + 1
    return counts


_EVENT_KEYS = ("source", "kind", "epoch", "batch", "message", "causes")


def trial_warnings(rec: dict[str, Any]) -> list[dict[str, Any]]:
    """The training watchers' events of one trial record, as shown in the report.

    Args:
        rec: a stored trial record (a record without ``events`` has none).

    Returns:
        ``[{"trial_id", "seed", "source", "kind", "epoch", "batch", "message", "causes"}]``,
        in epoch order; events that are not dicts are skipped.

    Example:
        >>> trial_warnings({"trial_id": "mse--seed0", "seed": 0})
        []
    """
    out = []
    for ev in rec.get("events") or []:
        if not isinstance(ev, dict):
            continue
        item = {"trial_id": rec.get("trial_id"), "seed": rec.get("seed")}
        item.update({k: ev.get(k) for k in _EVENT_KEYS})
        item["causes"] = [str(c) for c in item["causes"] or []]
        out.append(item)
    return out


def _training(run: RunData) -> list[dict[str, Any]]:
    out = []
    for cid in run.candidate_ids():
        recs = run.trials_of(cid)
        warnings = [w for r in recs for w in trial_warnings(r)]
        out.append(
            {
                "candidate_id": cid,
                "label": run.label(cid),
                "seeds": [r.get("seed") for r in recs],
                "epochs_run": [r.get("epochs_run") for r in recs],
                "best_epoch": [r.get("best_epoch") for r in recs],
                "stopped_early": [r.get("stopped_early") for r in recs],
                "status": [r.get("status") for r in recs],
                "errors": [r.get("error") for r in recs if r.get("error")],
                "warnings": warnings,
            }
        )
    return out


def build_summary(run: RunData, files: dict[str, str] | None = None) -> dict[str, Any]:
    """The content of ``summary.json``.

    Args:
        run: a loaded run directory.
        files: names of the report files written next to it.

    Returns:
        A JSON-ready dict: run identity, task, goal, primary metric and direction, the
        leaderboard rows, the best candidate, the candidates indistinguishable from it,
        trial counts, training summary per candidate, the advisor's top candidates, the
        tuner's best parameters and notes.

    Example:
        A run is usually read with ``losslab.report.load_run(run_dir)``; here one is built
        from a leaderboard alone:

        >>> from pathlib import Path
        >>> from losslab.report._run import RunData
        >>> rows = [
        ...     {"candidate_id": "huber", "label": "huber", "rank": 1, "mean": 0.91, "is_best": True},
        ...     {"candidate_id": "mse", "label": "mse", "rank": 2, "mean": 0.95,
        ...      "indistinguishable_from_best": True},
        ... ]
        >>> run = RunData(path=Path("demo"), manifest={"kind": "compare"}, records=[],
        ...               leaderboard={"primary_metric": "rmse", "direction": "min", "rows": rows})
        >>> summary = build_summary(run)
        >>> summary["best"]["label"], summary["indistinguishable_from_best"]
        ('huber', ['mse'])
        >>> summary["primary_metric"], summary["direction"], summary["trials"]
        ('rmse', 'min', {'total': 0, 'ok': 0, 'nan': 0, 'failed': 0})
    """
    rows = list(run.leaderboard.get("rows", []))
    best = next((r for r in rows if r.get("is_best")), None)
    rec = run.recommendation
    tune_best = None
    best_json = run.path / "tune" / "best.json"
    if best_json.exists():
        import json

        try:
            tune_best = json.loads(best_json.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            run.notes.append("tune/best.json could not be read.")
    data = run.manifest.get("data") or {}
    return {
        "format": "losslab-report-summary",
        "format_version": SUMMARY_FORMAT_VERSION,
        "run_dir": str(run.path),
        "kind": run.kind,
        "created": run.manifest.get("created"),
        "data": {
            k: data.get(k) for k in ("source", "target", "n_rows", "n_features", "fingerprint", "sample")
        },
        "task": run.task,
        "goal": run.goal,
        "primary_metric": run.primary_metric,
        "direction": run.direction,
        "confidence": run.leaderboard.get("confidence"),
        "interval": run.leaderboard.get("interval"),
        "test": run.leaderboard.get("test"),
        "leaderboard_derived": run.leaderboard_derived,
        "leaderboard": rows,
        "best": (
            None
            if best is None
            else {
                k: best.get(k)
                for k in ("candidate_id", "label", "loss", "params", "mean", "ci_low", "ci_high")
            }
        ),
        "indistinguishable_from_best": [
            r.get("label") for r in rows if r.get("indistinguishable_from_best")
        ],
        "verdicts": run.leaderboard.get("verdicts"),
        "best_tier": [r.get("label") for r in rows if r.get("verdict") == "best tier"],
        "inconclusive": [r.get("label") for r in rows if r.get("verdict") == "inconclusive"],
        "seeds_to_separate_top_two": run.leaderboard.get("seeds_to_separate_top_two"),
        "trials": _trial_counts(run),
        "training": _training(run),
        "recommendation": (
            None
            if rec is None
            else {
                "task": (rec.get("task") or {}).get("kind"),
                "goal": rec.get("goal"),
                "judge_metric": rec.get("judge_metric"),
                "candidates": [
                    {k: c.get(k) for k in ("loss", "params", "score", "reason")}
                    for c in rec.get("candidates", [])
                ],
            }
        ),
        "tune": tune_best,
        "environment": run.manifest.get("environment"),
        "notes": list(run.notes),
        "files": files or {},
    }
