"""``losslab run``: the main job: recommend -> compare the shortlist -> leaderboard -> report."""

from __future__ import annotations

from typing import Annotated

import typer

from losslab.cli.commands._options import (
    AsJson,
    BatchSize,
    ClassWeight,
    DataFile,
    EarlyStop,
    EngineOpt,
    Goal,
    Group,
    Hidden,
    LearningRate,
    Master,
    MaxEpochs,
    MinDelta,
    MlflowUri,
    Monitor,
    NoModels,
    NoReport,
    Out,
    Patience,
    Quantile,
    Quiet,
    Refit,
    Restore,
    Sample,
    SampleThreshold,
    ScaleTarget,
    Seeds,
    SplitSeed,
    Target,
    Task,
    TensorboardDir,
    TestSize,
    TimeCol,
    ValSize,
    common_kwargs,
    finish,
)


def run(
    data: DataFile,
    target: Target,
    task: Task = None,
    goal: Goal = None,
    quantile: Quantile = None,
    top: Annotated[int, typer.Option("--top", min=1, help="How many recommended losses to compare.")] = 4,
    add: Annotated[
        str | None, typer.Option("--add", help="Extra losses to add to the shortlist, comma-separated.")
    ] = None,
    seeds: Seeds = 3,
    max_epochs: MaxEpochs = 100,
    batch_size: BatchSize = 32,
    learning_rate: LearningRate = 3e-3,
    patience: Patience = 3,
    monitor: Monitor = "val_loss",
    min_delta: MinDelta = 0.0,
    restore_best_weights: Restore = True,
    early_stopping: EarlyStop = True,
    hidden: Hidden = "32,32",
    class_weight: ClassWeight = None,
    scale_target: ScaleTarget = True,
    test_size: TestSize = 0.2,
    val_size: ValSize = 0.2,
    group: Group = None,
    time: TimeCol = None,
    split_seed: SplitSeed = 0,
    out: Out = None,
    engine: EngineOpt = "local",
    master: Master = None,
    quiet: Quiet = False,
    no_report: NoReport = False,
    refit: Refit = False,
    no_models: NoModels = False,
    as_json: AsJson = False,
    mlflow: MlflowUri = None,
    tensorboard: TensorboardDir = None,
    sample: Sample = None,
    sample_threshold: SampleThreshold = None,
) -> None:
    """The main job: the advisor recommends a shortlist of losses for DATA, they are compared
    fairly (same split and initial weights, EarlyStopping, judge metrics, seeds), then the
    leaderboard is printed and report.html written. Re-running resumes the run. With
    imbalanced classes, each plain cross-entropy candidate also runs with the advisor's class
    weights (labelled <loss>@weighted), unless --class-weight is given."""
    kwargs = common_kwargs(locals())
    from losslab import run as _run
    from losslab.catalog import split_loss_list

    for k in ("task", "goal", "quantile", "metric"):
        kwargs.pop(k)
    extra = [s for s in split_loss_list(add) if s] if add else None
    results = _run(data, target=target, task=task, goal=goal, quantile=quantile, top=top, losses=extra, **kwargs)
    if refit:
        from losslab.cli.commands.refit import refit_and_report

        refit_and_report(results.run_dir, None, rerender=not no_report, err=as_json, mlflow=mlflow)
    finish(results, quiet=quiet, as_json=as_json)


def register(app: typer.Typer) -> None:
    app.command("run")(run)
