"""A run directory read once for the exporters: manifest, trial records, leaderboard, report,
and for a tune run the Optuna trials of its journal (learning rate, batch size, pruned ones).

Everything comes from the stored files (docs/run-directory.md) through
:class:`losslab.experiment.store.RunStore`, so the exporters work the same for every engine
and for a run that finished long ago.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from losslab.errors import DataError
from losslab.experiment.store import RunStore

__all__ = ["StoredRun", "finished_ms", "load_run"]

#: Optuna's study name and journal file of ``losslab tune`` (docs/run-directory.md).
TUNE_STUDY = "losslab-tune"
TUNE_JOURNAL = Path("tune") / "journal.log"


def finished_ms(record: Mapping[str, Any]) -> tuple[int, int]:
    """``(start, end)`` of a trial in milliseconds since the epoch, from its ``finished``
    time stamp and its duration ``seconds`` (0, 0 when the record has no time stamp).

    Example:
        >>> finished_ms({"finished": "1970-01-01T00:00:10Z", "seconds": 2.5})
        (7500, 10000)
    """
    text = record.get("finished")
    if not text:
        return 0, 0
    end = datetime.strptime(str(text), "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC)
    end_ms = int(end.timestamp() * 1000)
    seconds = record.get("seconds")
    dur = (
        int(1000 * float(seconds))
        if isinstance(seconds, int | float) and math.isfinite(seconds)
        else 0
    )
    return end_ms - dur, end_ms


@dataclass(frozen=True)
class StoredRun:
    """One run directory, read for export.

    Attributes:
        path: the run directory.
        manifest: ``manifest.json``.
        records: finished trial records, in completion order; for a tune run also one
            record-like entry per pruned or failed Optuna trial (``status`` ``"pruned"`` /
            ``"failed"``, its reported ``val_judge`` values as ``history``).
        training: per trial id, the training settings of that trial (learning rate, batch
            size, ... from the config; a tune trial's sampled learning rate and batch size).
        leaderboard: ``leaderboard.json`` (None before the run finished, and for tune runs).
        tune_best: ``tune/best.json`` of a tune run (None otherwise).
    """

    path: Path
    manifest: dict[str, Any]
    records: list[dict[str, Any]]
    training: dict[str, dict[str, Any]] = field(default_factory=dict)
    leaderboard: dict[str, Any] | None = None
    tune_best: dict[str, Any] | None = None

    @property
    def kind(self) -> str:
        return str(self.manifest.get("kind", "compare"))

    @property
    def config_hash(self) -> str:
        return str(self.manifest["config_hash"])

    @property
    def fingerprint(self) -> str:
        return str(self.manifest.get("data", {}).get("fingerprint", ""))

    @property
    def primary_metric(self) -> str:
        return str(self.manifest.get("primary_metric", ""))

    @property
    def finished(self) -> bool:
        """True when the run wrote its final files (leaderboard, or a tune run's best.json)."""
        return self.leaderboard is not None or self.tune_best is not None

    def file(self, name: str) -> Path | None:
        """A file of the run directory (``report.html``, ``leaderboard.csv`` ...) if it exists."""
        p = self.path / name
        return p if p.is_file() else None


def _read_json(path: Path) -> dict[str, Any] | None:
    try:
        return json.loads(path.read_text()) if path.is_file() else None
    except (OSError, json.JSONDecodeError):
        return None


def load_run(run_dir: str | Path) -> StoredRun:
    """Read a run directory (nothing is trained or changed).

    Raises:
        DataError: ``run_dir`` holds no losslab run.
    """
    store = RunStore(run_dir)
    manifest = store.read_manifest()
    if manifest is None:
        raise DataError(
            f"No losslab run in {str(run_dir)!r} (manifest.json missing). "
            "Pass a run directory written by losslab run/compare/tune (its --out)."
        )
    records = store.records()
    base = dict(manifest.get("config", {}).get("training", {}))
    training = {str(r["trial_id"]): dict(base) for r in records}
    path = Path(run_dir)
    tune_best = _read_json(path / "tune" / "best.json")
    if manifest.get("kind") == "tune" and (path / TUNE_JOURNAL).is_file():
        extra = _tune_trials(
            path / TUNE_JOURNAL, manifest, {str(r["trial_id"]) for r in records}, base, training
        )
        records = records + extra
    return StoredRun(
        path, manifest, records, training, _read_json(path / "leaderboard.json"), tune_best
    )


def tune_trial_id(number: int) -> str:
    """The trial id ``losslab tune`` gives Optuna trial ``number``."""
    return f"tune-{number:04d}"


def _tune_trials(
    journal: Path,
    manifest: Mapping[str, Any],
    stored: set[str],
    base: Mapping[str, Any],
    training: dict[str, dict[str, Any]],
) -> list[dict[str, Any]]:
    """Fill each stored tune trial's sampled learning rate and batch size from the journal and
    return record-like entries for the trials that were pruned or failed (not stored)."""
    import optuna
    from optuna.storages import JournalStorage
    from optuna.storages.journal import JournalFileBackend
    from optuna.trial import TrialState

    storage = JournalStorage(JournalFileBackend(str(journal)))
    study = optuna.load_study(study_name=TUNE_STUDY, storage=storage)
    by_label = {c["label"]: c for c in manifest.get("config", {}).get("candidates", [])}
    out = []
    for t in study.get_trials(deepcopy=False):
        tid = tune_trial_id(t.number)
        sampled: dict[str, Any] = {
            k: t.params[k] for k in ("learning_rate", "batch_size") if k in t.params
        }
        if tid in stored:
            training[tid] = {**training.get(tid, dict(base)), **sampled}
            continue
        if t.state not in (TrialState.PRUNED, TrialState.FAIL) or t.user_attrs.get("interrupted"):
            continue  # running, waiting, or cut short (redone on resume): nothing to show yet
        cand = by_label.get(str(t.params.get("loss")), {})
        prefix = f"{cand.get('loss', '')}."
        params = {
            **cand.get("params", {}),
            **{k[len(prefix) :]: v for k, v in t.params.items() if k.startswith(prefix)},
        }
        steps = sorted(t.intermediate_values)
        out.append(
            {
                "trial_id": tid,
                "candidate_id": cand.get("id"),
                "label": t.params.get("loss"),
                "loss": cand.get("loss"),
                "params": params,
                "class_weight": cand.get("class_weight"),
                "seed": manifest.get("config", {}).get("seeds", [0])[0],
                "status": "pruned" if t.state == TrialState.PRUNED else "failed",
                "error": None,
                "metrics": {},
                "val_metrics": {},
                "epochs_run": len(steps),
                "history": {"val_judge": [t.intermediate_values[s] for s in steps]},
                "finished": t.datetime_complete.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
                if t.datetime_complete
                else None,
                "seconds": (t.datetime_complete - t.datetime_start).total_seconds()
                if t.datetime_complete and t.datetime_start
                else None,
                "events": [],
            }
        )
        training[tid] = {**dict(base), **sampled}
    return out
