"""Keep every trial's trained model, and export any candidate as a raw-column model.

Files (docs/run-directory.md): ``data/columns.json`` (the raw-column schema, written with
the prepared split), ``trials/<trial_id>.keras`` (the trained network of each trial: the
best weights after early stopping, on preprocessed features, written atomically) and
``export/<candidate_id>.keras`` (the raw-column inference model of a candidate).

The one entry point for engines is :func:`save_trial_model`: the sequential trial passes
its trained ``keras.Model``; an engine that trains without ``model.fit`` (the fused JAX
engine) passes the member's final weights, in the order of
``build_network(task).get_weights()``.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from losslab._vocab import TaskKind
from losslab.errors import DataError, InvalidParameterError, UnknownLossError
from losslab.experiment.columns import ColumnSchema, fit_schema
from losslab.experiment.protocol import PreparedData
from losslab.experiment.store import RunDirectoryError, RunStore, atomic_write_json
from losslab.experiment.trial import TrialSetup, TrialTask, build_trial_model, prepare_trial

__all__ = [
    "build_network",
    "candidate_trials",
    "export_candidate",
    "inference_model",
    "load_schema",
    "load_trial_model",
    "save_keras_atomic",
    "save_schema",
    "save_trial_model",
    "task_for_record",
    "trial_model_path",
    "write_schema",
]


def task_for_record(
    run_dir: str | os.PathLike[str],
    rec: Mapping[str, Any],
    manifest: Mapping[str, Any] | None = None,
) -> TrialTask:
    """The :class:`~losslab.experiment.trial.TrialTask` of a stored trial record."""
    manifest = manifest if manifest is not None else _manifest(run_dir)
    cfg = manifest["config"]
    cand = next((c for c in cfg["candidates"] if c["id"] == rec["candidate_id"]), None)
    classes = manifest["task"].get("classes")
    return TrialTask(
        run_dir=str(run_dir),
        trial_id=str(rec["trial_id"]),
        candidate=cand
        or {
            "id": rec["candidate_id"],
            "label": rec["label"],
            "loss": rec["loss"],
            "params": rec["params"],
        },
        seed=int(rec["seed"]),
        task=str(manifest["task"]["kind"]),
        n_classes=None
        if classes is None or TaskKind.parse(manifest["task"]["kind"]) is TaskKind.MULTILABEL
        else len(classes),
        primary_metric=str(manifest["primary_metric"]),
        goal_quantile=(manifest.get("goal") or {}).get("quantile"),
        model=cfg.get("model"),
        training=cfg["training"],
    )


def build_network(task: TrialTask) -> Any:
    """The trial's network (body + head, uncompiled): the architecture whose weights
    :func:`save_trial_model` accepts."""
    import keras

    model = build_trial_model(prepare_trial(task))
    return keras.Model(model.inputs, model.outputs, name=model.name)


@contextlib.contextmanager
def _tensorflow_probe_off() -> Iterator[None]:
    """Keras's serialiser asks whether TensorFlow is installed (to recognise ``tf.TensorShape``
    and friends), and the question imports TensorFlow: seconds of CPU on the first save,
    under any backend. When the backend is not TensorFlow and TensorFlow is not imported, no
    object can be a TensorFlow object, so the answer is "not available" for this save."""
    import sys

    import keras

    lazy = None
    if keras.backend.backend() != "tensorflow" and "tensorflow" not in sys.modules:
        try:
            from keras.src.utils import module_utils

            lazy = module_utils.tensorflow if module_utils.tensorflow._available is None else None
        except (ImportError, AttributeError):  # a Keras layout change: ask as usual
            lazy = None
    if lazy is None:
        yield
        return
    lazy._available = False
    try:
        yield
    finally:
        lazy._available = None


def save_keras_atomic(model: Any, path: Path) -> Path:
    """``model.save`` to a temp file in the same directory, then ``os.replace``."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.stem}.", suffix=".keras")
    os.close(fd)
    try:
        with _tensorflow_probe_off():
            model.save(tmp)
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise
    return path


def trial_model_path(run_dir: str | os.PathLike[str], trial_id: str) -> Path:
    return Path(run_dir) / "trials" / f"{trial_id}.keras"


def save_trial_model(
    task: TrialTask, model: Any = None, *, weights: Sequence[np.ndarray] | None = None
) -> Path:
    """Store a trial's trained network as ``trials/<trial_id>.keras`` (atomically).

    Args:
        task: the :class:`~losslab.experiment.trial.TrialTask`.
        model: the trained ``keras.Model`` (best weights restored), or None with ``weights``.
        weights: the trained weights in the order of ``build_network(task).get_weights()``
            (engines that do not train a ``keras.Model``).

    Returns:
        The path written.
    """
    import keras

    if model is None:
        if weights is None:
            raise InvalidParameterError(
                "save_trial_model needs a model or weights. Received neither."
            )
        model = build_network(task)
        model.set_weights([np.asarray(w) for w in weights])
    # an uncompiled view of the same layers: no optimizer state, no loss in the file
    net = keras.Model(model.inputs, model.outputs, name=model.name)
    return save_keras_atomic(net, trial_model_path(task.run_dir, task.trial_id))


def load_trial_model(run_dir: str | os.PathLike[str], trial_id: str) -> Any:
    """The stored trained network of a trial (uncompiled)."""
    import keras

    p = trial_model_path(run_dir, trial_id)
    if not p.exists():
        raise RunDirectoryError(
            f"No stored model for trial {trial_id!r} (expected {str(p)!r}). The run was made with "
            "--no-models or before models were kept: re-run it into a new --out directory."
        )
    return keras.saving.load_model(p, compile=False)


# ---------------------------------------------------------------------------- schema
def _schema_path(run_dir: str | os.PathLike[str]) -> Path:
    return RunStore(run_dir).data_dir / "columns.json"


def save_schema(run_dir: str | os.PathLike[str], schema: ColumnSchema) -> None:
    atomic_write_json(_schema_path(run_dir), schema.to_dict())


def write_schema(store: RunStore, x: Any, prepared: PreparedData) -> None:
    """Write ``data/columns.json`` for a table or 2-D array ``x`` (nothing for other ranks)."""
    if _schema_path(store.path).exists():
        return
    try:
        schema = fit_schema(x, prepared.idx_train)
    except DataError:
        return
    save_schema(store.path, schema)


def load_schema(run_dir: str | os.PathLike[str]) -> ColumnSchema:
    p = _schema_path(run_dir)
    if not p.exists():
        raise RunDirectoryError(
            f"The run directory {str(run_dir)!r} has no raw-column schema ({p.name}): it was trained on "
            "arrays of rank > 2 or made before exports existed. Use the trained models in trials/."
        )
    import json

    return ColumnSchema.from_dict(json.loads(p.read_text(encoding="utf-8")))


# ---------------------------------------------------------------------------- export
def _manifest(run_dir: str | os.PathLike[str]) -> dict[str, Any]:
    m = RunStore(run_dir).read_manifest()
    if m is None:
        raise RunDirectoryError(
            f"{str(run_dir)!r} is not a losslab run directory (no manifest.json). Pass a run's --out directory."
        )
    return m


def inference_model(
    run_dir: str | os.PathLike[str],
    trial_id: str,
    network: Any = None,
    setup: TrialSetup | None = None,
) -> Any:
    """The raw-column inference model of one trial (its stored network unless given)."""
    from losslab.experiment.inference import build_inference_model, output_transform

    manifest = _manifest(run_dir)
    rec = next((r for r in RunStore(run_dir).records() if r["trial_id"] == trial_id), None)
    if rec is None:
        raise InvalidParameterError(
            f"Unknown trial {trial_id!r} in {str(run_dir)!r}. Pick one from trials.jsonl."
        )
    if setup is None:
        setup = prepare_trial(task_for_record(run_dir, rec, manifest))
    net = network if network is not None else load_trial_model(run_dir, trial_id)
    from losslab.experiment.positive_guard import positive_bounds

    t = output_transform(
        setup.spec,
        setup.head,
        setup.params,
        setup.shift,
        setup.scale,
        bounds=positive_bounds(setup.data.y_train),
    )
    return build_inference_model(
        net, load_schema(run_dir), t, name=f"losslab_{rec['candidate_id']}".replace("=", "_")[:60]
    )


def canonical_label(label: str) -> str:
    """``label`` with a catalog alias replaced by the loss's name (``"mse"`` ->
    ``"mean_squared_error"``, ``"mse:x=1"`` -> ``"mean_squared_error:x=1"``); unknown names
    are returned as they are.

    >>> canonical_label("mse"), canonical_label("huber:delta=2"), canonical_label("no_such")
    ('mean_squared_error', 'huber:delta=2', 'no_such')
    """
    from losslab.catalog import get_spec

    name, sep, params = label.partition(":")
    try:
        name = get_spec(name.strip()).name
    except UnknownLossError:
        return label
    return f"{name}{sep}{params}"


def candidate_trials(
    run_dir: str | os.PathLike[str], label: str | None = None
) -> list[dict[str, Any]]:
    """The finished ``ok`` trial records of a candidate (``label`` or id; the leaderboard's
    best when None), best validation metric first."""
    store = RunStore(run_dir)
    manifest = _manifest(run_dir)
    cands = manifest["config"]["candidates"]
    if label is None:
        board = store.read_leaderboard() or {}
        best = next((r for r in board.get("rows", []) if r.get("is_best")), None)
        if best is None:
            raise RunDirectoryError(
                f"The run {str(run_dir)!r} has no leaderboard winner yet. Finish the run or pass --candidate."
            )
        cid = best["candidate_id"]
    else:
        canon = canonical_label(label)
        match = [c for c in cands if label in (c["label"], c["id"]) or canon == c["label"]]
        match = match or [c for c in cands if canon == c["loss"]]
        if not match:
            raise InvalidParameterError(
                f"Unknown candidate {label!r}. Received a run with candidates: {', '.join(c['label'] for c in cands)}. Pass one of them."
            )
        cid = match[0]["id"]
    direction = manifest.get("metric_directions", {}).get(manifest["primary_metric"], "min")
    recs = [r for r in store.records() if r["candidate_id"] == cid and r["status"] == "ok"]
    if not recs:
        raise RunDirectoryError(
            f"Candidate {cid!r} has no finished trial with status ok. Pick another candidate."
        )

    def key(r: dict[str, Any]) -> float:
        v = (r.get("val_metrics") or {}).get(manifest["primary_metric"])
        v = float("inf") if v is None else float(v)
        return -v if direction == "max" and np.isfinite(v) else v

    return sorted(recs, key=key)


def export_candidate(
    run_dir: str | os.PathLike[str],
    label: str | None = None,
    *,
    out: str | os.PathLike[str] | None = None,
) -> Path:
    """Save the raw-column model of a candidate (its seed with the best validation metric)
    as ``export/<candidate_id>.keras`` (or ``out``).

    Example:
        >>> export_candidate("runs/demo", "huber:delta=1")  # doctest: +SKIP
        PosixPath('runs/demo/export/huber-delta=1.keras')
    """
    rec = candidate_trials(run_dir, label)[0]
    model = inference_model(run_dir, rec["trial_id"])
    path = (
        Path(out) if out is not None else Path(run_dir) / "export" / f"{rec['candidate_id']}.keras"
    )
    return save_keras_atomic(model, path)
