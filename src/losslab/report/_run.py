"""Read a run directory (docs/run-directory.md) into one object the views share.

Every file is read through :class:`losslab.experiment.store.RunStore` (the one reader of the
run directory), and a leaderboard missing from an unfinished run is derived with
:mod:`losslab.experiment.statistics`. Nothing here trains or imports Keras: the report is
rendered from the stored files alone.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from losslab._vocab import TaskKind
from losslab.errors import DataError
from losslab.experiment import statistics
from losslab.experiment.judge import DIRECTIONS
from losslab.experiment.store import RunDirectoryError, RunStore

__all__ = ["REGRESSION_KINDS", "CLASSIFICATION_KINDS", "RunData", "load_run"]

REGRESSION_KINDS = frozenset(k for k in TaskKind if k.is_regression)
CLASSIFICATION_KINDS = frozenset(k for k in TaskKind if k.is_classification)


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
        """``data/split.npz`` (empty dict when it is not stored or damaged: a note says so)."""
        if self._split is None:
            try:
                self._split = RunStore(self.path).read_split()
            except RunDirectoryError as e:
                self._left_out(f"the data figures: {e}")
                self._split = {}
        return self._split

    def predictions(self, trial_id: str) -> dict[str, np.ndarray] | None:
        """Test-split predictions of one trial (``trials/<id>.npz``), or ``None`` (not stored,
        or damaged: a note says so)."""
        try:
            return RunStore(self.path).read_predictions(trial_id)
        except RunDirectoryError as e:
            self._left_out(f"the test predictions of trial {trial_id}: {e}")
            return None

    def _left_out(self, what: str) -> None:
        note = f"Left out {what}"
        if note not in self.notes:
            self.notes.append(note)

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
    """The leaderboard of an unfinished run from its finished trials: t intervals from
    :func:`statistics.leaderboard_rows`, without the paired tests (``test`` is None and no
    row carries a p-value: a run cut short may pair seeds unevenly)."""
    primary = str(manifest.get("primary_metric") or "")
    candidates = list((manifest.get("config") or {}).get("candidates") or [])
    known = {c.get("id") for c in candidates}
    for rec in records:  # a candidate only seen in the records still gets a row
        cid = rec.get("candidate_id")
        if cid not in known:
            known.add(cid)
            candidates.append(
                {
                    "id": cid,
                    "label": rec.get("label", cid),
                    "loss": rec.get("loss"),
                    "params": rec.get("params", {}),
                }
            )
    if primary in DIRECTIONS:
        rows = statistics.leaderboard_rows(records, candidates, primary)
        doc = statistics.leaderboard_document(rows, primary)
    else:
        doc = {
            "primary_metric": primary,
            "direction": "min",
            "confidence": statistics.CONFIDENCE,
            "rows": [],
        }
    for row in doc["rows"]:
        row.update(p_value=None, diff_ci_low=None, diff_ci_high=None)
        row["indistinguishable_from_best"] = True if row.get("is_best") else None
    doc["test"] = None
    return doc


def _check_predictions(store: RunStore, records: list[dict[str, Any]], notes: list[str]) -> None:
    """A note per damaged ``trials/<id>.npz`` (its figures are left out), found up front so
    the notes section lists them."""
    for rec in records:
        try:
            store.read_predictions(str(rec["trial_id"]))
        except RunDirectoryError as e:
            notes.append(f"Left out the test predictions of trial {rec['trial_id']}: {e}")


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
    store = RunStore(path)
    if not store.manifest_path.is_file():
        what = "does not exist" if not path.exists() else "holds no manifest.json"
        raise DataError(
            f"Not a losslab run directory: {str(path)!r} {what}. "
            "Pass the --out directory of a losslab run/compare/tune."
        )
    manifest = store.read_manifest()
    if not isinstance(manifest, dict) or manifest.get("format") != "losslab-run":
        raise DataError(
            f"{str(store.manifest_path)!r} is not a losslab run manifest (format="
            f"{(manifest or {}).get('format') if isinstance(manifest, dict) else None!r}). "
            "Pass the --out directory of a losslab run/compare/tune."
        )
    records = store.records()
    notes: list[str] = [
        f"Left out {what}, a damaged record: this report does not show it"
        + ("" if not store.leaderboard_path.exists() else ", though leaderboard.json may count it")
        + "."
        for what in store.damaged
    ]
    try:
        leaderboard = store.read_leaderboard()
    except RunDirectoryError as e:
        notes.append(f"Left out leaderboard.json: {e} The leaderboard was derived from the trials.")
        leaderboard = None
    derived = leaderboard is None
    if leaderboard is None:
        leaderboard = _derive_leaderboard(manifest, records)
        if records and manifest.get("kind") != "tune":  # tune keeps its leaderboard in refit/
            notes.append(
                "leaderboard.json is missing (the run did not finish): intervals were derived "
                "from the finished trials; no paired tests against the best."
            )
    try:
        preprocess = store.read_preprocess()
    except RunDirectoryError as e:
        notes.append(f"Left out data/preprocess.json: {e}")
        preprocess = None
    _check_predictions(store, records, notes)
    try:
        split: dict[str, np.ndarray] | None = store.read_split()
    except RunDirectoryError as e:
        notes.append(f"Left out the data figures: {e}")
        split = {}
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
        _split=split,
    )
