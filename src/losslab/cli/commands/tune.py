"""``losslab tune``: Optuna search over learning rate, batch size and loss hyperparameters."""

from __future__ import annotations

from typing import Annotated

import typer

from losslab.cli.commands._options import (
    MAX_SEEDS,
    AsJson,
    ClassWeight,
    DataFile,
    EarlyStop,
    Goal,
    Hidden,
    Master,
    MaxEpochs,
    Metric,
    MinDelta,
    MlflowUri,
    Monitor,
    NoReport,
    Out,
    Patience,
    Quantile,
    Quiet,
    Restore,
    ScaleTarget,
    SplitSeed,
    Target,
    Task,
    TensorboardDir,
    TestSize,
    ValSize,
    finish,
    tune_kwargs,
)


def tune(
    data: DataFile,
    target: Target,
    losses: Annotated[
        str,
        typer.Option(
            "--losses",
            "-l",
            help="Losses to tune, comma-separated (several: the loss is searched too, with an equal "
            "budget per loss). A parameter set here (huber:delta=2) stays fixed.",
        ),
    ],
    n_trials: Annotated[int, typer.Option("--n-trials", "-n", min=1, help="Trials per loss.")] = 10,
    lr_min: Annotated[float, typer.Option("--lr-min", help="Lowest learning rate (log-uniform search).")] = 1e-4,
    lr_max: Annotated[float, typer.Option("--lr-max", help="Highest learning rate.")] = 3e-2,
    batch_sizes: Annotated[str, typer.Option("--batch-sizes", help="Batch size choices, comma-separated.")] = "16,32,64,128",
    loss_params: Annotated[
        bool, typer.Option("--loss-params/--no-loss-params", help="Search the losses' own hyperparameters.")
    ] = True,
    pruning: Annotated[bool, typer.Option("--pruning/--no-pruning", help="Prune unpromising trials (median pruner).")] = True,
    refit_seeds: Annotated[
        int, typer.Option("--refit-seeds", min=0, max=MAX_SEEDS, help="Then compare each loss's best setup over this many seeds.")
    ] = 0,
    seed: Annotated[int, typer.Option("--seed", help="Sampler and training seed.")] = 0,
    task: Task = None,
    goal: Goal = None,
    quantile: Quantile = None,
    metric: Metric = None,
    max_epochs: MaxEpochs = 100,
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
    split_seed: SplitSeed = 0,
    out: Out = None,
    engine: Annotated[
        str,
        typer.Option(
            "--engine",
            help="local (default: under JAX, batches of 8 asked trials on the fused engine, pruned live; "
            "else one fit per trial in this process), sequential (one fit per trial in this process, pruned "
            "live: the path before the fused engine), fused, or spark.",
        ),
    ] = "local",
    master: Master = None,
    trials_per_batch: Annotated[
        int | None,
        typer.Option(
            "--trials-per-batch",
            min=1,
            help="Trials asked per batch (default: 8 on the fused engine, the cluster's parallelism with "
            "--engine spark). --engine sequential --trials-per-batch N gives the study of a Spark engine of width N.",
        ),
    ] = None,
    quiet: Quiet = False,
    no_report: NoReport = False,
    as_json: AsJson = False,
    mlflow: MlflowUri = None,
    tensorboard: TensorboardDir = None,
) -> None:
    """Tune with Optuna: learning rate, batch size and each loss's hyperparameters (catalog
    search spaces); the objective is the primary judge metric on the validation split; pruning
    watches that metric every epoch; the study is stored in RUN_DIR/tune/journal.log and
    resumes when the command is re-run. Under JAX the asked trials train in batches of 8 on
    the fused engine (--engine sequential: one after another in this process). With --engine
    spark, Optuna's ask/tell stays on this machine and each batch of trials runs as parallel
    Spark tasks (pruning then reports each trial's values after it finishes and prunes
    nothing). Writes RUN_DIR/report.html."""
    kwargs = tune_kwargs(locals())
    from losslab import tune as _tune

    result = _tune(None, data, target=target, losses=losses, **kwargs)
    finish(result, quiet=quiet, as_json=as_json)


def register(app: typer.Typer) -> None:
    app.command("tune")(tune)
