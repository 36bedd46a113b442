"""Execution steps: open (or resume) the run directory, describe the trials, map the pending
ones through an engine and store each record as it finishes.

``compare``, ``run`` and ``tune`` share :func:`open_run`; ``compare`` and ``run`` then call
:func:`execute_plan` (trials, leaderboard, report), ``tune`` its own study loop.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from losslab.experiment import heads, judge
from losslab.experiment.config import ExperimentPlan
from losslab.experiment.engine import Engine, LocalEngine, default_engine, resolve_engine
from losslab.experiment.preparation import ExperimentData
from losslab.experiment.progress import TrialProgress
from losslab.experiment.protocol import PreparedData, fingerprint, prepare
from losslab.experiment.store import FORMAT_VERSION, RunStore, config_hash, environment, utc_now
from losslab.experiment.trial import TrialRecord, TrialTask, run_trial

if TYPE_CHECKING:  # pragma: no cover
    from losslab.experiment.results import RunViews

__all__ = [
    "TEST_KEYS",
    "OpenRun",
    "execute_plan",
    "note_damage",
    "open_run",
    "run_trials",
    "run_with_progress",
    "save_test_keys",
    "trial_tasks",
]


@dataclass(frozen=True)
class OpenRun:
    """A run directory ready for trials: the store, the prepared split and the manifest."""

    store: RunStore
    prepared: PreparedData
    manifest: dict[str, Any]


def default_out(kind: str, chash: str, fp: str) -> Path:
    """``losslab-runs/<kind>-<10 hex characters of a hash of config and data>``."""
    return Path("losslab-runs") / f"{kind}-{config_hash({'c': chash, 'd': fp})[:10]}"


def _manifest(
    plan: ExperimentPlan, data: ExperimentData, prepared: PreparedData, config: dict[str, Any]
) -> dict[str, Any]:
    fp = fingerprint(data.x, data.y, list(data.columns))
    n_rows = len(prepared.idx_train) + len(prepared.idx_val) + len(prepared.idx_test)
    return {
        "format": "losslab-run",
        "format_version": FORMAT_VERSION,
        "kind": plan.kind,
        "created": utc_now(),
        "config_hash": config_hash(config),
        "config": config,
        "data": {
            "fingerprint": fp,
            "source": data.source,
            "target": data.target,
            "n_rows": int(n_rows),
            "n_features": int(np.prod(prepared.input_shape)),
            "columns": list(data.columns),
            "sample": data.sample,
        },
        "task": {
            "kind": str(plan.task),
            "classes": prepared.classes,
            "reasons": list(plan.task_reasons),
        },
        "goal": {"kind": plan.goal, "quantile": plan.quantile},
        "primary_metric": plan.primary,
        "metric_directions": dict(judge.DIRECTIONS),
        "environment": environment(),
        "recommendation": None if plan.recommendation is None else dict(plan.recommendation),
    }


def open_run(
    plan: ExperimentPlan,
    data: ExperimentData,
    out: str | Path | None,
    extra_config: Mapping[str, Any] | None = None,
) -> OpenRun:
    """Validate everything, then open (or resume) the run directory and write the prepared
    split and the seeds' initial weights once.

    Everything that can fail on user input (too few rows, a loss that does not fit the
    targets, a head the task cannot build) fails before the directory is touched.
    """
    classes = None if plan.classes is None else list(plan.classes)
    prepared = prepare(
        data.x,
        data.y,
        task=plan.task,
        split=plan.split,
        classes=classes,
        groups=data.groups,
        order=data.order,
    )
    y_fit = np.concatenate([prepared.y_train, prepared.y_val])
    for c in plan.contenders:
        heads.check_fits(c.spec, c.params, task=plan.task, y=y_fit)
        heads.head_spec(
            c.spec,
            c.params,
            task=plan.task,
            target_dim=prepared.target_dim,
            n_classes=prepared.n_classes,
        )
    config = {**plan.config_dict(prepared.classes), **dict(extra_config or {})}
    manifest = _manifest(plan, data, prepared, config)
    store = RunStore(
        out
        if out is not None
        else default_out(plan.kind, manifest["config_hash"], manifest["data"]["fingerprint"])
    )
    resumed = store.open(manifest)  # holds the directory's lock until store.close()
    try:
        manifest = store.read_manifest() or manifest
        if not resumed or not store.has_prepared():
            store.save_prepared(prepared)
        from losslab.experiment.export import write_schema

        write_schema(store, data.x, prepared)
        from losslab.experiment.models import build_body, save_initial_weights

        for s in plan.seeds:
            if not store.init_weights_path(s).exists():
                save_initial_weights(build_body(plan.model, prepared.input_shape, s), store, s)
            elif resumed:
                store.check_initial_weights(s)
    except BaseException:
        store.close()
        raise
    return OpenRun(store, prepared, manifest)


TEST_KEYS = "sample_test_keys.npy"


def save_test_keys(store: RunStore, keys: np.ndarray) -> None:
    """Store the content hashes of a sampled run's test rows (``data/sample_test_keys.npy``):
    the out-of-core refit trains on every row of the table but these."""
    path = store.data_dir / TEST_KEYS
    if not path.exists():
        tmp = path.with_suffix(".tmp.npy")
        np.save(tmp, np.asarray(keys, dtype=np.uint64))
        tmp.replace(path)


def note_damage(store: RunStore) -> None:
    """Say on stderr which stored lines :meth:`RunStore.records` left out (they are redone)."""
    import sys

    store.records()
    for what in store.damaged:
        sys.stderr.write(f"Note: left out {what}, a damaged record: it is not counted.\n")


def trial_tasks(plan: ExperimentPlan, run: OpenRun, *, save_models: bool = True) -> list[TrialTask]:
    """One task per (seed, contender), seeds outermost (every loss of seed 0 first);
    ``save_models=False`` (``--no-models``): the trained networks are not stored."""
    return [
        TrialTask(
            run_dir=str(run.store.path),
            trial_id=f"{c.id}--seed{s}",
            candidate=c.to_dict(),
            seed=s,
            task=str(plan.task),
            n_classes=run.prepared.n_classes,
            primary_metric=plan.primary,
            goal_quantile=plan.quantile,
            model=plan.model,
            training=plan.training.to_dict(),
            save_model=save_models,
        )
        for s in plan.seeds
        for c in plan.contenders
    ]


def run_with_progress(task: TrialTask, *, progress: TrialProgress) -> TrialRecord:
    """:func:`run_trial` reporting its epochs to ``progress`` (trials in this process)."""
    progress.trial_start(task.trial_id)
    return run_trial(task, on_epoch=progress.epoch)


def run_trials(
    store: RunStore, tasks: list[TrialTask], engine: Engine, progress: TrialProgress
) -> None:
    """Map every pending task through ``engine`` in one call and store each record as it
    finishes (the engine may run them in any order, or together)."""
    fn: Callable[[Any], Any] = run_trial
    if isinstance(engine, LocalEngine) and progress.follows_epochs:
        fn = functools.partial(run_with_progress, progress=progress)
    for rec in engine.map(fn, tasks):
        store.append(rec.to_dict(), rec.arrays)
        progress.trial_done()


def execute_plan(
    plan: ExperimentPlan,
    data: ExperimentData,
    *,
    out: str | Path | None,
    engine: Engine | str | None,
    quiet: bool,
    report: bool,
    mlflow: str | bool | None = None,
    tensorboard: str | Path | None = None,
    save_models: bool = True,
    views: RunViews | None = None,
) -> Any:
    """The steps of ``compare`` and ``run``: open the run directory, run the trials not yet
    finished, then write the leaderboard and the report (``views``: a
    :class:`~losslab.experiment.results.RunViews`; None writes the stored files only).
    Returns the ``Results``."""
    from losslab.experiment.results import RunViews, publish

    views = views if views is not None else RunViews()
    views.check_exports(mlflow, tensorboard)
    run = open_run(plan, data, out)
    try:
        if data.row_keys is not None:
            save_test_keys(run.store, data.row_keys[run.prepared.idx_test])
        note_damage(run.store)
        tasks = trial_tasks(plan, run, save_models=save_models)
        done = run.store.finished_ids()
        todo = [t for t in tasks if t.trial_id not in done]
        eng = (
            resolve_engine(engine)
            if engine is not None
            else default_engine(plan.model, n_tasks=len(todo))
        )
        with TrialProgress(
            quiet=quiet,
            total=len(tasks),
            done=len(tasks) - len(todo),
            max_epochs=plan.training.max_epochs,
        ) as bar:
            run_trials(run.store, todo, eng, bar)
        return publish(
            run.store,
            run.manifest,
            quiet=quiet,
            report=report,
            views=views,
            mlflow=mlflow,
            tensorboard=tensorboard,
        )
    finally:
        run.store.close()
