"""``losslab compare``: train the same model with several losses under one fair protocol.

Heavy imports (Keras, the experiment engine) happen inside the command only.
"""

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
    Metric,
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


def compare(
    data: DataFile,
    target: Target,
    losses: Annotated[
        str,
        typer.Option(
            "--losses",
            "-l",
            help="Comma-separated catalog losses with parameters, e.g. mse,mae,huber:delta=2 "
            "(append @balanced for class weighting).",
        ),
    ],
    task: Task = None,
    goal: Goal = None,
    quantile: Quantile = None,
    metric: Metric = None,
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
    """Compare losses fairly: same split, same initial weights per seed, EarlyStopping,
    loss-independent judge metrics on the test split, mean and 95% interval over seeds,
    paired t-test against the best. Re-running the same command resumes the run."""
    kwargs = common_kwargs(locals())
    from losslab import compare as _compare

    results = _compare(None, data, target=target, losses=losses, **kwargs)
    if refit:
        from losslab.cli.commands.refit import refit_and_report

        refit_and_report(results.run_dir, None, rerender=not no_report, err=as_json, mlflow=mlflow)
    finish(results, quiet=quiet, as_json=as_json)


def register(app: typer.Typer) -> None:
    app.command("compare")(compare)
