"""``tune``: Optuna search over learning rate, batch size and each loss's own hyperparameters
(the catalog's search spaces), optionally over the loss itself with an equal budget per loss.

- The objective is the primary judge metric on the VALIDATION split (the test split stays
  untouched for the final comparison); its direction follows the metric.
- Pruning: Optuna's Keras pruning callback (``optuna_integration.KerasPruningCallback``)
  watches ``val_judge``, the primary judge metric computed on the validation split after each
  epoch, not ``val_loss``: training losses of different candidates are not comparable, a
  judge metric is.
- Storage: an Optuna journal file (``JournalStorage`` + ``JournalFileBackend``) in
  ``RUN_DIR/tune/journal.log``; re-running the same command resumes the study.
- Equal budget: with several losses, each trial's loss is enqueued so every loss gets
  ``n_trials`` trials (the loss is the categorical parameter ``loss``).
- Engines: with ``engine=None`` trials run in this process one after another and the pruning
  callback stops unpromising trials live. With an engine (``LocalEngine()``,
  ``SparkEngine(...)``), Optuna's ask/tell stays on the driver: a batch of
  ``trials_per_batch`` trials is asked, mapped through the engine in parallel and each trial
  is told (and stored) as it finishes; the next batch is asked once the whole batch is told,
  so the same seed and batch width give the same study on every engine. A trial running in
  another process cannot be stopped by the driver's pruner: its per-epoch ``val_judge``
  values are reported to Optuna after it finishes (history and plots stay complete) and no
  trial is pruned (EarlyStopping still ends each trial).
"""

from __future__ import annotations

import functools
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from losslab.errors import InvalidParameterError
from losslab.experiment import api, judge
from losslab.experiment.engine import Engine, LocalEngine
from losslab.experiment.models import BuildModel, mlp_config
from losslab.experiment.protocol import SplitConfig
from losslab.experiment.store import atomic_write_json

__all__ = ["TuneResult", "search_space", "tune"]

VAL_JUDGE = "val_judge"


@dataclass
class TuneResult:
    """The outcome of a study.

    Attributes:
        run_dir: the run directory (``tune/journal.log`` holds the study).
        study: the ``optuna.Study``.
        primary_metric: the judge metric optimised on the validation split.
        best: per loss label: ``{"value", "params", "loss_params", "learning_rate",
            "batch_size", "trial"}`` of its best completed trial.
        results: :class:`~losslab.experiment.api.Results` of the refit comparison of each
            loss's best configuration over seeds (``refit_seeds > 0``), else None.
    """

    run_dir: Path
    study: Any
    primary_metric: str
    best: dict[str, dict[str, Any]] = field(default_factory=dict)
    results: Any = None

    @property
    def trials(self) -> Any:
        """The study's trials as a pandas DataFrame."""
        return self.study.trials_dataframe()

    def to_dict(self) -> dict[str, Any]:
        return {
            "run_dir": str(self.run_dir),
            "primary_metric": self.primary_metric,
            "direction": judge.DIRECTIONS[self.primary_metric],
            "best": self.best,
            "refit": None if self.results is None else self.results.to_dict(),
        }


def search_space(spec: Any, params: Mapping[str, Any]) -> dict[str, tuple[Any, ...]]:
    """The tunable parameters of a loss: those with a catalog search space that the user left
    at their default (a value set explicitly, e.g. ``huber:delta=2``, is kept fixed)."""
    out = {}
    for p in spec.params:
        if p.search is None:
            continue
        if params.get(p.name, p.default) != p.default:
            continue
        out[p.name] = tuple(p.search)
    return out


def _suggest(trial: Any, name: str, space: tuple[Any, ...]) -> Any:
    kind = space[0]
    if kind == "float":
        return trial.suggest_float(name, float(space[1]), float(space[2]), log=bool(space[3]) if len(space) > 3 else False)
    if kind == "int":
        return trial.suggest_int(name, int(space[1]), int(space[2]), log=bool(space[3]) if len(space) > 3 else False)
    if kind == "categorical":
        return trial.suggest_categorical(name, list(space[1]))
    raise InvalidParameterError(f"Unknown search space {space!r} for {name}: expected float, int or categorical.")


def tune(
    build_model: BuildModel | None,
    x: Any,
    y: Any = None,
    *,
    losses: Sequence[str | Mapping[str, Any]] | str,
    target: str | None = None,
    task: str | None = None,
    goal: str | None = None,
    quantile: float | None = None,
    metric: str | None = None,
    n_trials: int = 10,
    learning_rate: tuple[float, float] = (1e-4, 3e-2),
    batch_sizes: Sequence[int] = (16, 32, 64, 128),
    tune_loss_params: bool = True,
    max_epochs: int = 100,
    early_stopping: Mapping[str, Any] | bool | None = None,
    hidden: Sequence[int] = (32, 32),
    class_weight: str | Mapping[Any, float] | None = None,
    scale_target: bool = True,
    test_size: float = 0.2,
    val_size: float = 0.2,
    split_seed: int = 0,
    seed: int = 0,
    pruning: bool = True,
    refit_seeds: int = 0,
    out: str | Path | None = None,
    engine: Engine | None = None,
    trials_per_batch: int | None = None,
    report: bool = True,
    quiet: bool = False,
    mlflow: str | bool | None = None,
    tensorboard: str | Path | None = None,
) -> TuneResult:
    """Tune learning rate, batch size and loss hyperparameters with Optuna.

    Args:
        build_model: the model body (see :func:`losslab.compare`) or None for the default MLP.
        x, y, target, task, goal, quantile, metric: as in :func:`losslab.compare`.
        losses: the losses to tune; with several, the loss is a categorical parameter and each
            loss gets ``n_trials`` trials (equal budget).
        n_trials: trials per loss.
        learning_rate: log-uniform search range of Adam's learning rate.
        batch_sizes: batch size choices.
        tune_loss_params: search each loss's hyperparameters over the catalog's spaces
            (``Param.search``), except those set explicitly in ``losses``.
        max_epochs, early_stopping, hidden, class_weight, scale_target, test_size, val_size,
            split_seed: as in :func:`losslab.compare`.
        seed: seed of the sampler, of the initial weights and of training (one seed per trial).
        pruning: prune unpromising trials (median pruner on ``val_judge``).
        refit_seeds: when > 0, compare each loss's best configuration over this many seeds on
            the test split (stored in ``RUN_DIR/refit``).
        out: the run directory (default ``losslab-runs/tune-<hash>``); re-running resumes the study.
        engine: where trials run. ``None`` (default): in this process with live pruning.
            An engine (``LocalEngine()``, ``losslab.spark.engine.SparkEngine(master=...)``):
            batches of asked trials are mapped through it in parallel and told as they
            finish; pruning then reports each trial's per-epoch values after it finishes and
            prunes nothing (a trial in another process cannot be stopped). The refit
            comparison runs on the same engine.
        trials_per_batch: trials asked before any of them is told (engine only; default: the
            engine's ``parallelism`` or the Spark cluster's default parallelism, 1 for
            ``LocalEngine``). Pass the same value on two engines to get the same study.
        report: write report.html / report.md / summary.json into the run directory and
            print the leaderboard of the tuning trials.
        quiet: no progress output.
        mlflow, tensorboard: at the end, export the study's trials (and the refit
            comparison) to MLflow / TensorBoard logs, as in :func:`losslab.compare`.

    Returns:
        :class:`TuneResult`.

    Example:
        >>> res = losslab.tune(None, x, y, losses=["huber", "mse"], n_trials=10)  # doctest: +SKIP
        >>> res.best["huber"]["loss_params"]  # doctest: +SKIP
    """
    import optuna
    from optuna.storages import JournalStorage
    from optuna.storages.journal import JournalFileBackend
    from optuna.trial import TrialState
    from optuna_integration import KerasPruningCallback

    if n_trials < 1:
        raise InvalidParameterError(f"n_trials must be >= 1. Received: n_trials={n_trials}.")
    lo, hi = (float(v) for v in learning_rate)
    if not 0 < lo <= hi:
        raise InvalidParameterError(f"learning_rate must be a range (low, high) with 0 < low <= high. Received: {learning_rate!r}.")
    if engine is not None and not isinstance(engine, Engine):
        raise InvalidParameterError(
            f"engine must implement map(fn, tasks) (LocalEngine, SparkEngine). Received: {engine!r}."
        )
    bss = sorted({int(b) for b in batch_sizes})
    if not bss or bss[0] < 1:
        raise InvalidParameterError(f"batch_sizes must be positive integers. Received: {list(batch_sizes)!r}.")

    xx, yy, groups, order, source, columns = api._xy(x, y, target, None, None)
    kind, reasons, goal, quantile, primary = api._resolve_task_goal(task, goal, quantile, metric, yy)
    cands = api._candidates(losses, class_weight)
    training = api._training(
        optimizer="adam",
        learning_rate=lo,
        batch_size=bss[0],
        max_epochs=max_epochs,
        early_stopping=early_stopping,
        terminate_on_nan=True,
        scale_target=scale_target,
    )
    model = build_model if build_model is not None else mlp_config(hidden)
    plan = api._Plan(
        kind="tune",
        candidates=cands,
        seeds=[seed],
        task=kind,
        classes=None,
        goal=goal,
        quantile=quantile,
        primary=primary,
        split=SplitConfig(test_size=test_size, val_size=val_size, seed=split_seed),
        model=model,
        training=training,
        task_reasons=reasons,
    )
    width = _batch_width(engine, trials_per_batch)
    tune_cfg: dict[str, Any] = {
        "tune": {
            "n_trials_per_loss": int(n_trials),
            "learning_rate": [lo, hi],
            "batch_sizes": bss,
            "tune_loss_params": bool(tune_loss_params),
            "pruning": bool(pruning),
            "objective": f"{primary} on the validation split",
            "pruning_monitor": VAL_JUDGE,
        }
    }
    if engine is not None:
        # the batch width decides which trials the sampler has seen when it asks (part of
        # what the study computes); the engine itself is not (it only decides where)
        tune_cfg["tune"]["trials_per_batch"] = width
        tune_cfg["tune"]["pruning_mode"] = "reported after each trial (nothing pruned)" if pruning else "off"
    store, prepared, manifest = api._setup(
        plan, xx, yy, groups, order, source=source, columns=columns, target=target, out=out, extra_config=tune_cfg
    )
    journal = store.path / "tune" / "journal.log"
    journal.parent.mkdir(parents=True, exist_ok=True)
    storage = JournalStorage(JournalFileBackend(str(journal)))
    direction: Literal["minimize", "maximize"] = "minimize" if judge.DIRECTIONS[primary] == "min" else "maximize"
    if quiet:
        optuna.logging.set_verbosity(optuna.logging.WARNING)
    study = optuna.create_study(
        study_name="losslab-tune",
        storage=storage,
        direction=direction,
        sampler=optuna.samplers.TPESampler(seed=seed),
        pruner=optuna.pruners.MedianPruner(n_startup_trials=3, n_warmup_steps=2) if pruning else optuna.pruners.NopPruner(),
        load_if_exists=True,
    )
    # a trial left RUNNING by a killed process never finishes: mark it failed and redo it
    for t in study.get_trials(deepcopy=False, states=(TrialState.RUNNING,)):
        storage.set_trial_user_attr(t._trial_id, "interrupted", True)
        storage.set_trial_state_values(t._trial_id, state=TrialState.FAIL)

    by_label = {c.label: c for c in cands}
    labels = [c.label for c in cands]
    from losslab.experiment.trial import TrialTask, run_trial

    def make_task(trial: Any) -> tuple[dict[str, Any], TrialTask]:
        """Suggest this trial's configuration (on the driver) and describe its training."""
        label = trial.suggest_categorical("loss", labels)
        cand = by_label[label]
        lr = trial.suggest_float("learning_rate", lo, hi, log=True)
        bs = trial.suggest_categorical("batch_size", bss)
        params = dict(cand.params)
        if tune_loss_params:
            for name, space in search_space(cand.spec, cand.params).items():
                params[name] = _suggest(trial, f"{cand.spec.name}.{name}", space)
        params = cand.spec.validate_params(params)
        cdict = {**cand.to_dict(), "params": params}
        task_ = TrialTask(
            run_dir=str(store.path),
            trial_id=f"tune-{trial.number:04d}",
            candidate=cdict,
            seed=seed,
            task=kind,
            n_classes=prepared.n_classes,
            primary_metric=primary,
            goal_quantile=quantile,
            model=model,
            training={**training, "learning_rate": lr, "batch_size": bs},
        )
        return params, task_

    def record(trial: Any, params: Mapping[str, Any], rec: Any) -> float | None:
        """Store a finished trial and attach its results to the Optuna trial."""
        value = rec.val_metrics.get(primary) if rec.status == "ok" else None
        trial.set_user_attr("loss_params", {k: (list(v) if isinstance(v, tuple) else v) for k, v in params.items()})
        trial.set_user_attr("test_metrics", rec.metrics)
        trial.set_user_attr("epochs_run", rec.epochs_run)
        store.append(rec.to_dict(), rec.arrays)
        return None if value is None else float(value)

    def objective(trial: Any) -> float:
        params, task_ = make_task(trial)
        cbs = [KerasPruningCallback(trial, VAL_JUDGE)] if pruning else []
        rec = run_trial(task_, callbacks=cbs, judge_each_epoch=VAL_JUDGE)
        value = record(trial, params, rec)
        return float("nan") if value is None else value

    def counts() -> dict[str, int]:
        c = dict.fromkeys(labels, 0)
        for t in study.get_trials(deepcopy=False):
            if t.user_attrs.get("interrupted"):  # killed mid-trial: it does not use the budget
                continue
            if t.state in (TrialState.COMPLETE, TrialState.PRUNED, TrialState.FAIL) and t.params.get("loss") in c:
                c[t.params["loss"]] += 1
        return c

    def next_label(c: dict[str, int]) -> str | None:
        remaining = [lab for lab in labels if c[lab] < n_trials]
        if not remaining:
            return None
        return min(remaining, key=lambda lab: (c[lab], labels.index(lab)))

    total = n_trials * len(labels)
    done = sum(counts().values())
    progress = None
    if not quiet:
        from rich.console import Console
        from rich.progress import (
            BarColumn,
            MofNCompleteColumn,
            Progress,
            TextColumn,
            TimeElapsedColumn,
        )

        progress = Progress(
            TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(), console=Console(stderr=True)
        )
        progress.__enter__()
        bar = progress.add_task("tune trials", total=total, completed=done)
    try:
        if engine is None:
            while (nxt := next_label(counts())) is not None:
                study.enqueue_trial({"loss": nxt}, skip_if_exists=False)
                study.optimize(objective, n_trials=1, catch=(), gc_after_trial=False)
                if progress is not None:
                    progress.update(bar, completed=sum(counts().values()))
        else:
            fn = functools.partial(run_trial, judge_each_epoch=VAL_JUDGE)
            while True:
                c = counts()
                batch: dict[str, tuple[Any, dict[str, Any], TrialTask]] = {}
                while len(batch) < width and (nxt := next_label(c)) is not None:
                    c[nxt] += 1  # asked trials count against the loss's budget
                    study.enqueue_trial({"loss": nxt}, skip_if_exists=False)
                    trial = study.ask()
                    params, task_ = make_task(trial)
                    batch[task_.trial_id] = (trial, params, task_)
                if not batch:
                    break
                told: set[str] = set()
                try:
                    for rec in engine.map(fn, [b[2] for b in batch.values()]):
                        trial, params, _ = batch[rec.trial_id]
                        value = record(trial, params, rec)
                        if pruning:
                            for step, v in enumerate(rec.history.get(VAL_JUDGE) or []):
                                if v is not None and math.isfinite(v):
                                    trial.report(float(v), step)
                        if value is None or not math.isfinite(value):
                            study.tell(trial, state=TrialState.FAIL)
                        else:
                            study.tell(trial, value)
                        told.add(rec.trial_id)
                        if progress is not None:
                            progress.update(bar, completed=sum(counts().values()))
                finally:
                    # a trial cut short (an error, Ctrl-C) is not left RUNNING; it does not
                    # use its loss's budget, so re-running the command redoes it
                    for tid, (trial, _, _) in batch.items():
                        if tid not in told:
                            trial.set_user_attr("interrupted", True)
                            study.tell(trial, state=TrialState.FAIL)
    finally:
        if progress is not None:
            progress.__exit__(None, None, None)

    best: dict[str, dict[str, Any]] = {}
    sign = 1.0 if direction == "minimize" else -1.0
    for t in study.get_trials(deepcopy=False, states=(TrialState.COMPLETE,)):
        lab = t.params.get("loss")
        if lab not in by_label or t.value is None:
            continue
        if lab not in best or sign * t.value < sign * best[lab]["value"]:
            best[lab] = {
                "value": float(t.value),
                "trial": t.number,
                "learning_rate": t.params["learning_rate"],
                "batch_size": t.params["batch_size"],
                "loss_params": t.user_attrs.get("loss_params", {}),
                "test_metrics": t.user_attrs.get("test_metrics", {}),
                "params": dict(t.params),
            }
    atomic_write_json(
        store.path / "tune" / "best.json",
        {"primary_metric": primary, "direction": judge.DIRECTIONS[primary], "objective": "validation split", "best": best},
    )
    result = TuneResult(store.path, study, primary, best)
    if refit_seeds > 0 and best:
        # each loss's best configuration, compared over seeds on the test split; the
        # learning rate and batch size of the best loss overall are shared by all (one
        # training setup per comparison keeps it fair)
        overall = min(best.values(), key=lambda b: sign * b["value"])
        result.results = api.compare(
            build_model,
            xx,
            yy,
            losses=[{"loss": by_label[lab].spec.name, "params": b["loss_params"], "class_weight": by_label[lab].class_weight} for lab, b in best.items()],
            task=kind,
            goal=goal,
            quantile=quantile,
            metric=metric,
            seeds=refit_seeds,
            max_epochs=max_epochs,
            batch_size=int(overall["batch_size"]),
            learning_rate=float(overall["learning_rate"]),
            early_stopping=early_stopping,
            hidden=hidden,
            scale_target=scale_target,
            test_size=test_size,
            val_size=val_size,
            split_seed=split_seed,
            out=store.path / "refit",
            engine=engine,
            quiet=quiet,
        )
    elif not quiet:
        _print_best(result)
    if report:
        _report(store.path, quiet)
    if mlflow is not None or tensorboard is not None:  # exports read the stored run directory
        from losslab.integrations.hooks import export_after_run

        export_after_run(store.path, mlflow=mlflow, tensorboard=tensorboard, quiet=quiet)
    return result


def _report(run_dir: Path, quiet: bool) -> None:
    """Write the main run directory's report and print the tuning trials' leaderboard (a
    rendering error warns: the study and its trials are stored either way)."""
    import sys

    from losslab.report import print_leaderboard, write_report

    try:
        write_report(run_dir)
    except Exception as e:  # never lose a finished study to a rendering error
        sys.stderr.write(
            f"Warning: the report could not be written ({type(e).__name__}: {e}). The study is "
            f"stored in {run_dir}; re-render with `losslab report {run_dir}`.\n"
        )
    if not quiet:
        print_leaderboard(run_dir)


def _batch_width(engine: Engine | None, trials_per_batch: int | None) -> int:
    """How many trials are asked before any is told."""
    if trials_per_batch is not None:
        if isinstance(trials_per_batch, bool) or not isinstance(trials_per_batch, int) or trials_per_batch < 1:
            raise InvalidParameterError(
                f"trials_per_batch must be an integer >= 1 or None. Received: trials_per_batch={trials_per_batch!r}."
            )
        if engine is None:
            raise InvalidParameterError(
                f"trials_per_batch applies to an engine only. Received: trials_per_batch={trials_per_batch}, "
                "engine=None. Pass engine=LocalEngine() (or a SparkEngine) or leave trials_per_batch out."
            )
        return trials_per_batch
    if engine is None or isinstance(engine, LocalEngine):
        return 1
    width = getattr(engine, "parallelism", None)
    if width is None and getattr(engine, "spark", None) is not None:
        width = int(engine.spark.sparkContext.defaultParallelism)  # type: ignore[attr-defined]
    return max(1, int(width or 1))


def _print_best(result: TuneResult) -> None:
    from rich.console import Console
    from rich.table import Table

    m = result.primary_metric
    t = Table(title=f"tune: best per loss ({m} on the validation split, {judge.DIRECTIONS[m]} is better)")
    for col in ("loss", m, "learning rate", "batch size", "loss parameters", "trial"):
        t.add_column(col)
    sign = 1.0 if judge.DIRECTIONS[m] == "min" else -1.0
    for lab, b in sorted(result.best.items(), key=lambda kv: sign * kv[1]["value"]):
        t.add_row(
            lab,
            f"{b['value']:.4g}",
            f"{b['learning_rate']:.3g}",
            str(b["batch_size"]),
            ", ".join(f"{k}={v:.4g}" if isinstance(v, float) else f"{k}={v}" for k, v in b["loss_params"].items()) or "-",
            str(b["trial"]),
        )
    Console().print(t)
    Console().print(f"run directory: {result.run_dir}")
