"""Refit the winner of a sampled run on every row of its table, out of core.

A run that compared losses on a sample (:mod:`losslab.experiment.sampling`) refits its
winner on the whole table, streamed in batches like ``losslab fit``
(:func:`losslab.experiment.streaming.shuffled_batches` + a prefetch thread): the same
network, initial weights of the best seed, optimizer, batch size, class weights, head and
target scaling as the trials, for the median best epoch of its seeds. Each batch goes
through the run's own preprocessing (``data/columns.json``, fit on the sample's training
rows, in NumPy: :func:`encode_features`) so the exported raw-column model is the same
format as the in-memory refit's. The sample's test rows (their content hashes,
``data/sample_test_keys.npy``) are left out, so the test score of the refit stays honest.
"""

from __future__ import annotations

import os
import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np

from losslab.errors import DataError
from losslab.experiment.columns import ColumnSchema
from losslab.experiment.execution import TEST_KEYS
from losslab.experiment.export import candidate_trials, load_schema, task_for_record
from losslab.experiment.protocol import encode_target
from losslab.experiment.refit import export_refit, refit_epochs
from losslab.experiment.store import RunDirectoryError, RunStore
from losslab.experiment.streaming import Prefetch, open_dataset, shuffled_batches
from losslab.experiment.trial import TrialSetup, build_trial_model, prepare_trial

__all__ = ["RowEncoder", "encode_features", "refit_out_of_core"]


def encode_features(schema: ColumnSchema, frame: Any, *, known: tuple[str, ...] = ()) -> np.ndarray:
    """The network's inputs for the raw rows of ``frame``, as the exported model computes
    them: numbers imputed with the median and standardised, categories one-hot (a missing
    value as the mode, an unseen one all zeros).

    Example:
        >>> import pandas as pd
        >>> from losslab.experiment.columns import fit_schema
        >>> df = pd.DataFrame({"a": [1.0, 3.0], "c": ["x", "y"]})
        >>> encode_features(fit_schema(df, np.arange(2)), pd.DataFrame({"a": [2.0, None], "c": ["y", "z"]}))
        array([[0., 0., 1.],
               [0., 0., 0.]], dtype=float32)
    """
    from losslab.experiment.columns import MISSING_TOKEN

    inputs, _ = schema.model_inputs(frame, known=known)
    parts = [(inputs[c.name][:, 0].astype(np.float64) - c.mean) / c.scale for c in schema.numeric]
    cols = [p[:, None] for p in parts]
    for c in schema.categorical:
        text = inputs[c.name][:, 0]
        if MISSING_TOKEN not in c.categories:
            text = np.where(text == MISSING_TOKEN, c.mode, text)
        cols.append(np.stack([text == v for v in c.categories], axis=1).astype(np.float64))
    if not cols:
        return np.zeros((len(frame), 0), np.float32)
    return np.concatenate(cols, axis=1).astype(np.float32)


class RowEncoder:
    """Arrow batch -> ``(x, y, sample weight)`` of the rows the refit trains on, counting
    the rows it keeps and leaves out (the sample's test rows, unknown or missing targets)."""

    def __init__(self, setup: TrialSetup, schema: ColumnSchema, target: str, classes: Any, test_keys: np.ndarray) -> None:
        self.setup, self.schema, self.target = setup, schema, target
        self.classes = None if classes is None else list(classes)
        self.test_keys = np.sort(test_keys)
        self.reset()

    def reset(self) -> None:
        """Zero the counts (one epoch each)."""
        self.kept = self.left_test = self.left_target = 0

    def __call__(self, batch: Any) -> tuple[np.ndarray, ...] | None:
        import pandas as pd

        frame = batch.to_pandas()
        is_test = np.isin(pd.util.hash_pandas_object(frame, index=False).to_numpy(np.uint64), self.test_keys)
        y_raw = frame[self.target]
        ok = y_raw.notna().to_numpy().copy()
        if self.classes is not None:
            ok &= y_raw.isin(self.classes).to_numpy()
        self.left_test += int(is_test.sum())
        self.left_target += int((~is_test & ~ok).sum())
        frame = frame[~is_test & ok]
        if frame.empty:
            return None
        self.kept += len(frame)
        return self._arrays(frame)

    def _arrays(self, frame: Any) -> tuple[np.ndarray, ...]:
        from losslab.experiment import heads

        s, t = self.setup, self.setup.task
        x = encode_features(self.schema, frame, known=(self.target,))
        y, _ = encode_target(frame[self.target].to_numpy(), t.task, self.classes)
        w = np.ones(len(y), np.float32)
        if s.class_weight:
            w = np.vectorize(lambda c: s.class_weight.get(int(c), 1.0), otypes=[np.float32])(y)
        y_fit = (y - s.shift) / s.scale if s.scale is not None else y
        return x, heads.encode_targets(s.spec, s.head, y_fit, task=t.task, n_classes=t.n_classes), w


def _source(manifest: dict[str, Any]) -> str:
    data = manifest.get("data") or {}
    source = (data.get("sample") or {}).get("source") or data.get("source")
    if not source or source in ("pandas.DataFrame", "pyarrow.Table"):
        raise RunDirectoryError(
            f"The run compared on a sample of an in-memory table ({source}): its rows are not stored. "
            "Refit on the sample (all_rows=False / losslab refit --on-sample) or re-run compare on a file."
        )
    return str(source)


def refit_out_of_core(
    run_dir: str | os.PathLike[str],
    candidate: str | None = None,
    *,
    prefetch: int = 4,
    buffer_rows: int = 65_536,
    verbose: int = 0,
) -> Path:
    """Refit the winner (or ``candidate``) of a sampled run on the whole table, streamed,
    and export it to ``RUN_DIR/model/`` (the card's ``refit.rows`` counts the rows seen).

    Raises:
        RunDirectoryError: the run did not sample, or its table cannot be read any more.

    Example:
        >>> refit_out_of_core("runs/big")  # doctest: +SKIP
        PosixPath('runs/big/model')
    """
    from losslab.experiment.models import set_seed

    store = RunStore(run_dir)
    manifest = store.read_manifest() or {}
    source = _source(manifest)
    try:
        ds = open_dataset(source)
    except DataError as e:
        raise RunDirectoryError(f"Cannot read the run's table again for the refit: {e}") from None
    records = candidate_trials(run_dir, candidate)
    epochs, best = refit_epochs(records)
    rec = records[0]
    task = task_for_record(run_dir, rec)
    setup = prepare_trial(task)
    schema = load_schema(run_dir)
    keys_path = store.data_dir / TEST_KEYS
    test_keys = np.load(keys_path) if keys_path.exists() else np.zeros(0, np.uint64)
    encoder = RowEncoder(setup, schema, manifest["data"]["target"], manifest["task"].get("classes"), test_keys)
    model = build_trial_model(setup)
    batch_size = int(task.training["batch_size"])
    set_seed(task.seed)
    seen, left = [], (0, 0)
    for epoch in range(epochs):
        encoder.reset()

        def batches(e: int, epoch: int = epoch) -> Iterator[Any]:
            return shuffled_batches(ds, encoder, batch_size=batch_size, buffer_rows=buffer_rows, seed=task.seed, epoch=epoch)

        feed = Prefetch(batches, depth=prefetch, epochs=1)
        try:
            with warnings.catch_warnings():
                # the stream's length is not known before its first pass: Keras says it "ran out"
                warnings.filterwarnings("ignore", message=".*ran out of data.*")
                model.fit((item for item in feed), epochs=1, verbose=verbose, shuffle=False)
        finally:
            feed.close()
        seen.append(encoder.kept)
        left = (encoder.left_test, encoder.left_target)
    info = {
        "rows": int(seen[0]),
        "rows_per_epoch": [int(n) for n in seen],
        "out_of_core": True,
        "source": source,
        "table_rows": int(ds.count_rows()),
        "left_out_test_rows": int(left[0]),
        "left_out_bad_target_rows": int(left[1]),
        "epochs": epochs,
        "best_epochs": best,
        "seed": int(task.seed),
        "seeds": [int(r["seed"]) for r in records],
        "batch_size": batch_size,
        "note": "trained out of core on every row of the table but the sample's test rows; preprocessing and "
        "target scaling fit on the sample's training rows",
    }
    return export_refit(run_dir, rec, setup, model, info)

