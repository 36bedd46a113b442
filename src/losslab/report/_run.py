"""Read a run directory (docs/run-directory.md) into one object the views share.

Nothing here trains or imports Keras: the report is rendered from the stored files alone.
"""

from __future__ import annotations

import json
import math
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from losslab.errors import DataError

__all__ = ["REGRESSION_KINDS", "CLASSIFICATION_KINDS", "RunData", "load_run"]

REGRESSION_KINDS = frozenset({"regression", "count", "positive", "proportion"})
CLASSIFICATION_KINDS = frozenset({"binary", "multiclass", "multilabel", "ordinal"})


def _read_json(path: Path) -> Any:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as e:
        raise DataError(
            f"Cannot read {str(path)!r}: {e}. The run directory is damaged; re-run the "
            "experiment into a new --out directory."
        ) from None


def _read_records(path: Path) -> list[dict[str, Any]]:
    """Finished trials from ``trials.jsonl`` (a torn last line is ignored; last id wins)."""
    if not path.exists():
        return []
    out: dict[str, dict[str, Any]] = {}
    with open(path, "rb") as f:
        for raw in f:
            if not raw.endswith(b"\n"):
                break
            try:
                rec = json.loads(raw)
            except json.JSONDecodeError:
                continue
            tid = str(rec.get("trial_id"))
            out.pop(tid, None)
            out[tid] = rec
    return list(out.values())


def _t_interval(values: list[float], confidence: float = 0.95) -> tuple[float, float, float, float]:
    """(mean, std, low, high): Student t interval of the mean (a point when n == 1)."""
    arr = np.asarray(values, dtype=float)
    mean = float(arr.mean())
    if arr.size < 2:
        return mean, 0.0, mean, mean
    from scipy import stats

    std = float(arr.std(ddof=1))
    half = float(stats.t.ppf(0.5 + confidence / 2, arr.size - 1)) * std / math.sqrt(arr.size)
    return mean, std, mean - half, mean + half


@dataclass
class RunData:
    """Everything stored in one run directory.

    Attributes:
        path: the run directory.
        manifest: ``manifest.json``.
        records: finished trial records (``trials.jsonl``), in completion order.
        leaderboard: ``leaderboard.json``; when it is missing (an interrupted run) a
            leaderboard with t intervals but without paired tests is derived from the
            records, and ``leaderboard_derived`` is True.
        preprocess: ``data/preprocess.json`` or ``None``.
        notes: what could not be shown and why (rendered in every view).
    """

    path: Path
    manifest: dict[str, Any]
    records: list[dict[str, Any]]
    leaderboard: dict[str, Any]
    leaderboard_derived: bool = False
    preprocess: dict[str, Any] | None = None
    notes: list[str] = field(default_factory=list)
    _split: dict[str, np.ndarray] | None = None

    # -------------------------------------------------------------- manifest views
    @property
    def kind(self) -> str:
        return str(self.manifest.get("kind", "run"))

    @property
    def task(self) -> dict[str, Any]:
        return dict(self.manifest.get("task") or {})

    @property
    def task_kind(self) -> str:
        return str(self.task.get("kind") or self.manifest.get("config", {}).get("task") or "")

    @property
    def goal(self) -> dict[str, Any]:
        return dict(self.manifest.get("goal") or {})

    @property
    def primary_metric(self) -> str:
        return str(
            self.leaderboard.get("primary_metric") or self.manifest.get("primary_metric") or ""
        )

    @property
    def direction(self) -> str:
        d = self.leaderboard.get("direction")
        if d in ("min", "max"):
            return str(d)
        return str(self.manifest.get("metric_directions", {}).get(self.primary_metric, "min"))

    @property
    def recommendation(self) -> dict[str, Any] | None:
        rec = self.manifest.get("recommendation")
        return rec if isinstance(rec, dict) else None

    @property
    def classes(self) -> list[Any] | None:
        cls = (self.preprocess or {}).get("classes") or self.task.get("classes")
        return list(cls) if cls else None

    @property
    def journal_path(self) -> Path:
        return self.path / "tune" / "journal.log"

    # -------------------------------------------------------------- arrays
    def split(self) -> dict[str, np.ndarray]:
        """``data/split.npz`` (empty dict when it is not stored)."""
        if self._split is None:
            p = self.path / "data" / "split.npz"
            if p.exists():
                with np.load(p, allow_pickle=False) as z:
                    self._split = {k: z[k] for k in z.files}
            else:
                self._split = {}
        return self._split

    def predictions(self, trial_id: str) -> dict[str, np.ndarray] | None:
        """Test-split predictions of one trial (``trials/<id>.npz``), or ``None``."""
        p = self.path / "trials" / f"{trial_id}.npz"
        if not p.exists():
            return None
        with np.load(p, allow_pickle=False) as z:
            return {k: z[k] for k in z.files}

    def candidate_ids(self) -> list[str]:
        """Candidates in leaderboard order, then any candidate only seen in the records."""
        ids = [str(r["candidate_id"]) for r in self.leaderboard.get("rows", [])]
        for rec in self.records:
            cid = str(rec.get("candidate_id"))
            if cid not in ids:
                ids.append(cid)
        return ids

    def label(self, candidate_id: str) -> str:
        for row in self.leaderboard.get("rows", []):
            if row.get("candidate_id") == candidate_id:
                return str(row.get("label") or candidate_id)
        for rec in self.records:
            if rec.get("candidate_id") == candidate_id:
                return str(rec.get("label") or candidate_id)
        return candidate_id

    def trials_of(self, candidate_id: str) -> list[dict[str, Any]]:
        recs = [r for r in self.records if r.get("candidate_id") == candidate_id]
        return sorted(recs, key=lambda r: r.get("seed", 0))


def _derive_leaderboard(manifest: dict[str, Any], records: list[dict[str, Any]]) -> dict[str, Any]:
    primary = str(manifest.get("primary_metric") or "")
    direction = str(manifest.get("metric_directions", {}).get(primary, "min"))
    by_cand: dict[str, list[dict[str, Any]]] = {}
    for rec in records:
        by_cand.setdefault(str(rec.get("candidate_id")), []).append(rec)
    rows: list[dict[str, Any]] = []
    for cid, recs in by_cand.items():
        ok = [r for r in recs if r.get("status") == "ok" and r.get("primary") is not None]
        row: dict[str, Any] = {
            "candidate_id": cid,
            "label": recs[0].get("label", cid),
            "loss": recs[0].get("loss"),
            "params": recs[0].get("params", {}),
            "n_seeds": len(ok),
            "n_failed": len(recs) - len(ok),
            "mean": None,
            "std": None,
            "ci_low": None,
            "ci_high": None,
            "indistinguishable_from_best": None,
            "is_best": False,
            "metrics": {},
        }
        if ok:
            mean, std, lo, hi = _t_interval([float(r["primary"]) for r in ok])
            row.update(mean=mean, std=std, ci_low=lo, ci_high=hi)
            names = {k for r in ok for k in (r.get("metrics") or {})}
            row["metrics"] = {
                k: float(np.mean(vals))
                for k in sorted(names)
                if (vals := [r["metrics"][k] for r in ok if r["metrics"].get(k) is not None])
            }
        rows.append(row)
    sign = 1.0 if direction == "min" else -1.0
    rows.sort(key=lambda r: (r["mean"] is None, sign * (r["mean"] or 0.0)))
    for i, row in enumerate(rows, 1):
        row["rank"] = i
    if rows and rows[0]["mean"] is not None:
        rows[0]["is_best"] = True
        rows[0]["indistinguishable_from_best"] = True
        best = rows[0]["mean"]
        for row in rows:
            row["diff_to_best"] = None if row["mean"] is None else row["mean"] - best
    return {
        "primary_metric": primary,
        "direction": direction,
        "confidence": 0.95,
        "interval": "Student t interval over seeds",
        "test": None,
        "rows": rows,
    }


def load_run(run_dir: str | os.PathLike[str]) -> RunData:
    """Read a run directory.

    Args:
        run_dir: a directory written by ``losslab run/compare/tune``.

    Returns:
        A :class:`RunData`.

    Raises:
        DataError: the directory does not exist or holds no ``manifest.json``.

    Example:
        >>> run = load_run("losslab-runs/compare-1a2b3c4d")  # doctest: +SKIP
        >>> run.leaderboard["rows"][0]["label"]  # doctest: +SKIP
    """
    path = Path(run_dir)
    manifest_path = path / "manifest.json"
    if not manifest_path.is_file():
        what = "does not exist" if not path.exists() else "holds no manifest.json"
        raise DataError(
            f"Not a losslab run directory: {str(path)!r} {what}. "
            "Pass the --out directory of a losslab run/compare/tune."
        )
    manifest = _read_json(manifest_path)
    if not isinstance(manifest, dict) or manifest.get("format") != "losslab-run":
        raise DataError(
            f"{str(manifest_path)!r} is not a losslab run manifest (format="
            f"{(manifest or {}).get('format') if isinstance(manifest, dict) else None!r}). "
            "Pass the --out directory of a losslab run/compare/tune."
        )
    records = _read_records(path / "trials.jsonl")
    notes: list[str] = []
    lb_path = path / "leaderboard.json"
    derived = False
    if lb_path.exists():
        leaderboard = _read_json(lb_path)
    else:
        leaderboard = _derive_leaderboard(manifest, records)
        derived = True
        if records and manifest.get("kind") != "tune":  # tune keeps its leaderboard in refit/
            notes.append(
                "leaderboard.json is missing (the run did not finish): intervals were derived "
                "from the finished trials; no paired tests against the best."
            )
    pre_path = path / "data" / "preprocess.json"
    preprocess = _read_json(pre_path) if pre_path.exists() else None
    if not records:
        notes.append("No finished trial is stored yet: nothing to compare.")
    return RunData(
        path=path,
        manifest=manifest,
        records=records,
        leaderboard=leaderboard,
        leaderboard_derived=derived,
        preprocess=preprocess,
        notes=notes,
    )
