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
- Engines: by default (``engine=None``) under the JAX backend, batches of asked trials train
  on the fused engine (``FusedEngine.for_tune()``: 8 trials per batch, fast compile); on
  other backends, and with ``engine="sequential"``, trials run in this process one after
  another and the pruning callback stops unpromising trials live. With an engine
  (``"fused"``, ``LocalEngine()``, ``SparkEngine(...)``), Optuna's ask/tell stays on the
  driver: a batch of ``trials_per_batch`` trials is asked (TPE with the constant liar, so the
  trials of a batch spread out), mapped through the engine in parallel and each trial is
  told (and stored) as it finishes; the next batch is asked once the whole batch is told,
  so the same seed and batch width give the same study on every engine. A trial running in
  another process cannot be stopped by the driver's pruner: its per-epoch ``val_judge``
  values are reported to Optuna after it finishes (history and plots stay complete) and no
  trial is pruned (EarlyStopping still ends each trial). The fused engine trains each batch
  as fused JAX programs and prunes live: its ``map`` takes an ``epoch_end`` hook that
  reports every member's ``val_judge`` each epoch and freezes the members Optuna prunes
  (told ``PRUNED``).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from losslab._vocab import TaskKind
from losslab.experiment import judge
from losslab.experiment.config import (
    EarlyStoppingConfig,
    ExperimentPlan,
    SplitConfig,
    TrainingConfig,
)
from losslab.experiment.engine import Engine
from losslab.experiment.execution import note_damage, open_run
from losslab.experiment.lineup import build_lineup
from losslab.experiment.models import BuildModel, mlp_config
from losslab.experiment.preparation import (
    ExperimentData,
    extract_data,
    infer_target_task,
    ordinal_classes,
    resolve_goal,
)
from losslab.experiment.progress import TrialProgress
from losslab.experiment.results import RunViews, export_run
from losslab.experiment.tune_study import (
    VAL_JUDGE,
    LossBudget,
    SearchSettings,
    open_study,
    tune_engine,
)
from losslab.experiment.tune_summary import (
    best_per_loss,
    print_best,
    refit,
    report_tuning,
    write_best,
)
from losslab.experiment.tune_trials import TuneObjective, run_batched, run_in_process, search_space

__all__ = ["VAL_JUDGE", "SearchSettings", "TuneResult", "search_space", "tune"]


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
    engine: Engine | str | None = None,
    trials_per_batch: int | None = None,
    report: bool = True,
    quiet: bool = False,
    mlflow: str | bool | None = None,
    tensorboard: str | Path | None = None,
    views: RunViews | None = None,
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
        engine: where trials run. ``None`` (default): under the JAX backend the fused engine
            (batches of 8 asked trials trained as fused programs, pruned live; see
            :meth:`~losslab.experiment.fused.FusedEngine.for_tune`), else this process.
            ``"sequential"``: this process, one Keras ``fit`` per trial, pruned live by
            Keras's pruning callback (the default before the fused engine). ``"fused"``:
            the fused engine on any backend it can serve. An engine object
            (``LocalEngine()``, ``FusedEngine(...)``,
            ``losslab.spark.engine.SparkEngine(master=...)``): batches of asked trials are
            mapped through it and told as they finish; an engine without live pruning
            reports each trial's per-epoch values after it finishes and prunes nothing. The
            refit comparison runs on the same engine (``None``: compare's default).
        trials_per_batch: trials asked before any of them is told (default: the engine's
            ``parallelism``, 8 on the fused engine, or the Spark cluster's default
            parallelism, 1 for ``LocalEngine``). With ``engine="sequential"`` a width asks
            batches through ``LocalEngine``. Pass the same value on two engines to get the
            same study.
        report: write report.html / report.md / summary.json into the run directory and
            print the leaderboard of the tuning trials.
        quiet: no progress output.
        mlflow, tensorboard: at the end, export the study's trials (and the refit
            comparison) to MLflow / TensorBoard logs, as in :func:`losslab.compare`.
        views: the report, printed leaderboard and exports, as in
            :func:`losslab.experiment.api.compare` (``losslab.tune`` passes them).

    Returns:
        :class:`TuneResult`.

    Example:
        >>> res = losslab.tune(None, x, y, losses=["huber", "mse"], n_trials=10)  # doctest: +SKIP
        >>> res.best["huber"]["loss_params"]  # doctest: +SKIP
    """
    views = views if views is not None else RunViews()
    views.check_exports(mlflow, tensorboard)
    settings = SearchSettings(
        n_trials=n_trials,
        learning_rate=tuple(learning_rate),  # type: ignore[arg-type]
        batch_sizes=tuple(batch_sizes),
        tune_loss_params=tune_loss_params,
        pruning=pruning,
        seed=seed,
    )
    runner, width = tune_engine(engine, trials_per_batch)
    data = extract_data(x, y, target=target)
    plan = _tune_plan(
        build_model,
        data,
        losses=losses,
        task=task,
        goal=goal,
        quantile=quantile,
        metric=metric,
        training=TrainingConfig(
            learning_rate=settings.learning_rate[0],
            batch_size=settings.batch_sizes[0],
            max_epochs=max_epochs,
            early_stopping=EarlyStoppingConfig.from_setting(early_stopping),
            scale_target=scale_target,
        ),
        split=SplitConfig(test_size=test_size, val_size=val_size, seed=split_seed),
        hidden=hidden,
        class_weight=class_weight,
        seed=seed,
    )
    run = open_run(plan, data, out, extra_config=settings.to_config(plan.primary, runner, width))
    try:  # the run directory stays locked until the study, refit and report are done
        result = _study(run, plan, data, settings, (runner, engine), width, refit_seeds, quiet, report, views)
        export_run(run.store.path, mlflow=mlflow, tensorboard=tensorboard, quiet=quiet, views=views)
        return result
    finally:
        run.store.close()


def _study(
    run: Any,
    plan: ExperimentPlan,
    data: ExperimentData,
    settings: SearchSettings,
    engines: tuple[Engine | None, Engine | str | None],
    width: int,
    refit_seeds: int,
    quiet: bool,
    report: bool,
    views: RunViews,
) -> TuneResult:
    """The study in an open (locked) run directory, then the refit and the report.
    ``engines``: the study's engine (None: this process's loop) and the one the user named
    (the refit's)."""
    engine, named = engines
    note_damage(run.store)
    study = open_study(run.store, primary=plan.primary, settings=settings, quiet=quiet)
    objective = TuneObjective(plan, run, settings)
    budget = LossBudget(study, objective.labels, settings.n_trials)
    with TrialProgress(
        quiet=quiet, total=budget.total, done=budget.used(), description="tune trials"
    ) as bar:
        if engine is None:
            run_in_process(study, objective, budget, bar)
        else:
            run_batched(study, objective, budget, engine, width, bar)
    best = best_per_loss(study, objective.labels, plan.primary)
    write_best(run.store, plan.primary, best)
    result = TuneResult(run.store.path, study, plan.primary, best)
    if refit_seeds > 0 and best:
        result.results = refit(
            plan,
            data,
            best,
            seeds=refit_seeds,
            out=run.store.path / "refit",
            engine=named,
            quiet=quiet,
            views=views,
        )
    elif not quiet:
        print_best(result.run_dir, result.primary_metric, best)
    if report:
        report_tuning(run.store.path, quiet, views)
    return result


def _tune_plan(
    build_model: BuildModel | None,
    data: ExperimentData,
    *,
    losses: Sequence[str | Mapping[str, Any]] | str,
    task: str | None,
    goal: str | None,
    quantile: float | None,
    metric: str | None,
    training: TrainingConfig,
    split: SplitConfig,
    hidden: Sequence[int],
    class_weight: Any,
    seed: int,
) -> ExperimentPlan:
    """The study's plan: the same preparation steps as ``compare`` (task, goal, line-up)."""
    info = infer_target_task(data.y, task)
    kind = TaskKind.parse(info.kind)
    goal_choice = resolve_goal(kind, goal, quantile, metric)
    return ExperimentPlan(
        kind="tune",
        contenders=build_lineup(losses, class_weight),
        seeds=(seed,),
        task=kind,
        task_reasons=tuple(info.reasons),
        classes=ordinal_classes(kind, info.classes),
        goal=goal_choice.kind,
        quantile=goal_choice.quantile,
        primary=goal_choice.primary,
        split=split,
        training=training,
        model=build_model if build_model is not None else mlp_config(hidden),
    )
