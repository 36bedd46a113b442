"""Refit a candidate on the training + validation rows and export it as ``RUN_DIR/model/``.

The refit trains the candidate's network from the stored initial weights of its best seed
(the seed with the best validation metric) on the train + validation rows for the number of
epochs early stopping chose (the median best epoch over the candidate's seeds), with the
same optimizer, learning rate, batch size, class weights, head and target scaling as its
trials. The preprocessing stays the one fit on the training rows, so the test rows, unseen
by the refit, still give an honest score (stored in the card as ``refit.test_metrics``).

``RUN_DIR/model/`` holds ``model.keras`` (the raw-column model, loadable with Keras alone),
``card.json`` and ``card.md``; the directory is written next to the run, then renamed into
place.
"""

from __future__ import annotations

import os
import shutil
import statistics
import tempfile
from pathlib import Path
from typing import Any

import numpy as np

from losslab.experiment.card import card_markdown, model_card, output_columns
from losslab.experiment.export import (
    candidate_trials,
    inference_model,
    load_schema,
    save_keras_atomic,
    task_for_record,
)
from losslab.experiment.store import RunStore, atomic_write_json
from losslab.experiment.trial import build_trial_model, prepare_trial
from losslab.experiment.trial_callbacks import predict_raw

__all__ = ["export_refit", "refit", "refit_epochs", "write_model_dir"]


def refit_epochs(records: list[dict[str, Any]]) -> tuple[int, list[int]]:
    """``(epochs, best epochs per seed)``: the median best epoch over the candidate's trials
    (``epochs_run`` for a trial without early stopping), rounded, at least 1.

    Example:
        >>> refit_epochs([{"best_epoch": 4, "epochs_run": 7}, {"best_epoch": 9, "epochs_run": 12},
        ...               {"best_epoch": None, "epochs_run": 6}])
        (6, [4, 9, 6])
    """
    best = [int(r["best_epoch"] or r["epochs_run"]) for r in records]
    return max(1, int(round(statistics.median(best)))), best


def write_model_dir(run_dir: str | os.PathLike[str], model: Any, card: dict[str, Any]) -> Path:
    """Write ``model.keras`` + ``card.json`` + ``card.md`` into ``RUN_DIR/model/`` (built in
    a temp directory, then renamed into place)."""
    run = Path(run_dir)
    tmp = Path(tempfile.mkdtemp(dir=run, prefix=".model-"))
    try:
        save_keras_atomic(model, tmp / "model.keras")
        atomic_write_json(tmp / "card.json", card)
        (tmp / "card.md").write_text(card_markdown(card), encoding="utf-8")
        final = run / "model"
        old = None
        if final.exists():
            old = Path(tempfile.mkdtemp(dir=run, prefix=".model-old-"))
            os.replace(final, old / "model")
        os.replace(tmp, final)
        if old is not None:
            shutil.rmtree(old, ignore_errors=True)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return final


def refit(
    run_dir: str | os.PathLike[str], candidate: str | None = None, *, all_rows: bool | None = None
) -> Path:
    """Refit the winner (or ``candidate``: a label, id or loss name) and export it.

    A run compared on a sample of a table (``compare(..., sample=N)``) is refit on every
    row of the table but the sample's test rows, streamed out of core
    (:func:`losslab.experiment.refit_stream.refit_out_of_core`), unless ``all_rows=False``.

    Returns:
        The ``RUN_DIR/model`` directory.

    Raises:
        RunDirectoryError: no winner yet, no finished trial of the candidate, no schema.
        InvalidParameterError: an unknown candidate.

    Example:
        >>> refit("runs/demo")  # doctest: +SKIP
        PosixPath('runs/demo/model')
    """
    from losslab.experiment.models import set_seed

    manifest = RunStore(run_dir).read_manifest() or {}
    if all_rows is not False and (manifest.get("data") or {}).get("sample"):
        from losslab.experiment.refit_stream import refit_out_of_core

        return refit_out_of_core(run_dir, candidate)
    records = candidate_trials(run_dir, candidate)
    epochs, best = refit_epochs(records)
    rec = records[0]
    task = task_for_record(run_dir, rec)
    setup = prepare_trial(task)
    load_schema(run_dir)  # fail before training when the run has no schema
    model = build_trial_model(setup)
    data = setup.data
    x = np.concatenate([data.x_train, data.x_val])
    y = np.concatenate([setup.y_train, setup.y_val])
    set_seed(task.seed)
    model.fit(
        x,
        y,
        epochs=epochs,
        batch_size=int(task.training["batch_size"]),
        class_weight=setup.class_weight,
        shuffle=True,
        verbose=0,
    )
    info = {
        "rows": int(len(x)),
        "epochs": epochs,
        "best_epochs": best,
        "seed": int(task.seed),
        "seeds": [int(r["seed"]) for r in records],
        "note": "trained on train + validation rows; preprocessing and target scaling fit on the training rows",
    }
    return export_refit(run_dir, rec, setup, model, info)


def export_refit(
    run_dir: str | os.PathLike[str], rec: dict[str, Any], setup: Any, model: Any, info: dict[str, Any]
) -> Path:
    """Score a refit network on the test split, wrap it as the raw-column model and write
    ``RUN_DIR/model/`` with its card (``info`` becomes the card's ``refit`` entry)."""
    data = setup.data
    raw = predict_raw(model, data.x_test)
    test_metrics = setup.judge(setup.prediction(raw), data.y_test) if np.isfinite(raw).all() else {}
    exported = inference_model(run_dir, rec["trial_id"], network=model, setup=setup)
    manifest = RunStore(run_dir).read_manifest() or {}
    outputs = output_columns(
        setup.task.task,
        manifest.get("task", {}).get("classes"),
        setup.head.head.value,
        setup.levels,
        int(exported.output_shape[-1]),
        manifest.get("data", {}).get("target"),
    )
    card = model_card(
        run_dir, rec, load_schema(run_dir), outputs, levels=setup.levels, refit={**info, "test_metrics": test_metrics}
    )
    return write_model_dir(run_dir, exported, card)
