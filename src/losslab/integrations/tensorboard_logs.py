"""Write a stored run's training curves as TensorBoard logs, laid out as Keras's own
``keras.callbacks.TensorBoard`` lays them out, so the curves of every candidate overlay:

    DIR/<trial_id>/train/       scalar ``epoch_loss`` (history ``loss``), step = epoch - 1
    DIR/<trial_id>/validation/  scalar ``epoch_loss`` (history ``val_loss``); any other
                                ``val_<name>`` history (a tune trial's ``val_judge``) as
                                ``epoch_<name>``

The events are written with TensorBoard's own writer (``tensorboard.summary.Writer``: the
tensor-formatted scalar summaries ``tf.summary.scalar`` writes, without importing
TensorFlow). Each trial directory is written under a temporary name and renamed when
complete, with a ``losslab.json`` naming the run it came from: exporting again skips trials
already written, and refuses a directory that holds another run's trial of the same id.
"""

from __future__ import annotations

import json
import math
import os
import shutil
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from losslab.experiment.store import RunDirectoryError
from losslab.integrations._stored import StoredRun, finished_ms, load_run

__all__ = ["export_tensorboard", "split_history"]

MARKER = "losslab.json"


def split_history(history: Mapping[str, Any]) -> dict[str, dict[str, list[float | None]]]:
    """Keras's ``History.history`` keys as TensorBoard (writer, tag) pairs, as the Keras
    TensorBoard callback names them.

    Example:
        >>> split_history({"loss": [1.0], "val_loss": [2.0], "val_judge": [3.0]})
        {'train': {'epoch_loss': [1.0]}, 'validation': {'epoch_loss': [2.0], 'epoch_judge': [3.0]}}
    """
    out: dict[str, dict[str, list[float | None]]] = {}
    for key, values in history.items():
        writer, name = ("validation", key[4:]) if key.startswith("val_") else ("train", key)
        out.setdefault(writer, {})[f"epoch_{name}"] = list(values or [])
    return out


def _identity(run: StoredRun, trial_id: str) -> dict[str, str]:
    return {
        "run_dir": str(run.path.resolve()),
        "config_hash": run.config_hash,
        "data_fingerprint": run.fingerprint,
        "trial_id": trial_id,
    }


def _already_written(target: Path, ident: Mapping[str, str]) -> bool:
    marker = target / MARKER
    if not target.exists():
        return False
    try:
        old = json.loads(marker.read_text())
    except (OSError, json.JSONDecodeError):
        old = {}
    if (
        old.get("config_hash") == ident["config_hash"]
        and old.get("data_fingerprint") == ident["data_fingerprint"]
    ):
        return True
    raise RunDirectoryError(
        f"TensorBoard directory {str(target)!r} already holds trial {ident['trial_id']!r} of another run "
        f"(config {str(old.get('config_hash', '?'))[:10]}..., now {ident['config_hash'][:10]}...). "
        "Pass another --tensorboard directory for this run."
    )


def _write_trial(target: Path, record: Mapping[str, Any], ident: Mapping[str, str]) -> None:
    from tensorboard.summary import Writer

    tmp = target.with_name(f".{target.name}.tmp-{os.getpid()}")
    shutil.rmtree(tmp, ignore_errors=True)
    wall = finished_ms(record)[1] / 1000.0 or None
    for writer_name, tags in split_history(record.get("history") or {}).items():
        writer = Writer(str(tmp / writer_name))
        try:
            for tag, values in tags.items():
                for step, v in enumerate(values):
                    if v is not None and math.isfinite(v):
                        writer.add_scalar(tag, float(v), step, wall_time=wall)
        finally:
            writer.close()
    tmp.mkdir(parents=True, exist_ok=True)
    (tmp / MARKER).write_text(json.dumps(dict(ident), indent=2) + "\n")
    os.replace(tmp, target)


def export_tensorboard(run_dir: str | Path, log_dir: str | Path) -> list[str]:
    """Write each stored trial's per-epoch history as TensorBoard logs under ``log_dir``.

    Args:
        run_dir: a run directory written by ``losslab run``/``compare``/``tune``.
        log_dir: the TensorBoard log directory (``tensorboard --logdir LOG_DIR``).

    Returns:
        The trial ids written by this call (trials written before are skipped).

    Raises:
        DataError: ``run_dir`` holds no losslab run.
        RunDirectoryError: ``log_dir`` holds a trial of the same id from another run.

    Example:
        >>> export_tensorboard("runs/demo", "tb-logs")  # doctest: +SKIP
        ['mse--seed0', 'mse--seed1', 'huber--seed0', 'huber--seed1']
    """
    run = load_run(run_dir)
    root = Path(log_dir)
    root.mkdir(parents=True, exist_ok=True)
    written = []
    for record in run.records:
        tid = str(record["trial_id"])
        ident = _identity(run, tid)
        target = root / tid
        if _already_written(target, ident):
            continue
        _write_trial(target, record, ident)
        written.append(tid)
    refit = run.path / "refit"
    if (refit / "manifest.json").is_file():  # tune --refit-seeds: its comparison's trials
        written += [f"refit/{t}" for t in export_tensorboard(refit, root / "refit")]
    return written
