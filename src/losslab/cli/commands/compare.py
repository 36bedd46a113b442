"""``losslab compare``: train the same model with several losses under one fair protocol.

Heavy imports (Keras, the experiment engine) happen inside the command only.
"""

from __future__ import annotations

from typing import Annotated, Any

import typer

from losslab.errors import InvalidParameterError

# ---------------------------------------------------------------------------- shared options
Target = Annotated[str, typer.Option("--target", "-t", help="Target column.")]
Task = Annotated[
    str | None,
    typer.Option(
        "--task",
        help="regression, count, positive, proportion, binary, multiclass, multilabel or ordinal (inferred when omitted).",
    ),
]
Goal = Annotated[
    str | None,
    typer.Option("--goal", help="mean, median, quantile, probability, labels or ranking: picks the primary judge metric."),
]
Quantile = Annotated[float | None, typer.Option("--quantile", help="Quantile level of a quantile goal (pinball).")]
Metric = Annotated[str | None, typer.Option("--metric", help="Override the primary judge metric (e.g. pr_auc).")]
Seeds = Annotated[int, typer.Option("--seeds", "-r", min=1, help="Training seeds per loss (repeats).")]
MaxEpochs = Annotated[int, typer.Option("--max-epochs", min=1, help="Epoch cap per trial.")]
BatchSize = Annotated[int, typer.Option("--batch-size", min=1, help="Batch size.")]
LearningRate = Annotated[float, typer.Option("--learning-rate", "--lr", help="Adam learning rate.")]
Patience = Annotated[int, typer.Option("--patience", min=0, help="EarlyStopping patience (epochs).")]
Monitor = Annotated[str, typer.Option("--monitor", help="EarlyStopping monitor.")]
MinDelta = Annotated[float, typer.Option("--min-delta", help="EarlyStopping min_delta.")]
Restore = Annotated[
    bool, typer.Option("--restore-best-weights/--no-restore-best-weights", help="EarlyStopping restore_best_weights.")
]
EarlyStop = Annotated[bool, typer.Option("--early-stopping/--no-early-stopping", help="Use EarlyStopping at all.")]
ScaleTarget = Annotated[
    bool,
    typer.Option(
        "--scale-target/--no-scale-target",
        help="Train regression heads on the standardized target (loss parameters like Huber's delta then refer to it).",
    ),
]
Hidden = Annotated[str, typer.Option("--hidden", help="Hidden layer widths of the default MLP, comma-separated.")]
ClassWeight = Annotated[
    str | None, typer.Option("--class-weight", help="'balanced' to weight classes n/(K n_k) for every candidate.")
]
TestSize = Annotated[float, typer.Option("--test-size", help="Fraction of rows in the test split.")]
ValSize = Annotated[float, typer.Option("--val-size", help="Fraction of rows in the validation split.")]
Group = Annotated[str | None, typer.Option("--group", help="Column whose groups never straddle two splits.")]
TimeCol = Annotated[str | None, typer.Option("--time", help="Column ordering rows in time (train oldest, test newest).")]
SplitSeed = Annotated[int, typer.Option("--split-seed", help="Seed of the train/validation/test split.")]
Out = Annotated[
    str | None, typer.Option("--out", "-o", help="Run directory (re-running the same command resumes it).")
]
EngineOpt = Annotated[str, typer.Option("--engine", help="local (default) or spark.")]
Master = Annotated[str | None, typer.Option("--master", help="Spark master URL (with --engine spark).")]
Quiet = Annotated[bool, typer.Option("--quiet", "-q", help="No progress bars or tables; print the run directory.")]
NoReport = Annotated[bool, typer.Option("--no-report", help="Do not write report.html / report.md.")]
AsJson = Annotated[bool, typer.Option("--json", help="Print the leaderboard as JSON.")]


def parse_hidden(text: str) -> tuple[int, ...]:
    try:
        widths = tuple(int(t) for t in text.split(",") if t.strip())
    except ValueError:
        raise InvalidParameterError(
            f"--hidden must be comma-separated integers. Received: {text!r}. Write e.g. --hidden 32,32."
        ) from None
    if not widths or min(widths) < 1:
        raise InvalidParameterError(f"--hidden needs positive widths. Received: {text!r}. Write e.g. --hidden 32,32.")
    return widths


def make_engine(engine: str, master: str | None) -> Any:
    if engine == "local":
        if master is not None:
            raise InvalidParameterError("--master applies to --engine spark only. Received --engine local.")
        return None
    if engine == "spark":
        try:
            from losslab.spark.engine import SparkEngine  # type: ignore[import-not-found]
        except ImportError as e:
            raise InvalidParameterError(
                f"The Spark engine is not available ({e}). Install pyspark (pip install 'losslab[spark]') "
                "or use --engine local."
            ) from None
        return SparkEngine(master=master or "local[2]")
    raise InvalidParameterError(f"Unknown engine {engine!r}. Use --engine local or --engine spark.")


def common_kwargs(
    *,
    task: str | None,
    goal: str | None,
    quantile: float | None,
    metric: str | None,
    seeds: int,
    max_epochs: int,
    batch_size: int,
    learning_rate: float,
    patience: int,
    monitor: str,
    min_delta: float,
    restore_best_weights: bool,
    early_stopping: bool,
    hidden: str,
    class_weight: str | None,
    scale_target: bool = True,
    test_size: float,
    val_size: float,
    group: str | None,
    time: str | None,
    split_seed: int,
    out: str | None,
    engine: str,
    master: str | None,
    quiet: bool,
    no_report: bool,
) -> dict[str, Any]:
    """Translate CLI options into :func:`losslab.experiment.compare` keyword arguments."""
    if class_weight is not None and class_weight != "balanced":
        raise InvalidParameterError(f"--class-weight must be 'balanced'. Received: {class_weight!r}.")
    return {
        "task": task,
        "goal": goal,
        "quantile": quantile,
        "metric": metric,
        "seeds": seeds,
        "max_epochs": max_epochs,
        "batch_size": batch_size,
        "learning_rate": learning_rate,
        "early_stopping": (
            {"monitor": monitor, "patience": patience, "min_delta": min_delta, "restore_best_weights": restore_best_weights}
            if early_stopping
            else False
        ),
        "hidden": parse_hidden(hidden),
        "class_weight": class_weight,
        "scale_target": scale_target,
        "test_size": test_size,
        "val_size": val_size,
        "group": group,
        "time": time,
        "split_seed": split_seed,
        "out": out,
        "engine": make_engine(engine, master),
        "quiet": quiet,
        "report": not no_report,
    }


def finish(results: Any, *, quiet: bool, as_json: bool) -> None:
    from losslab.report.terminal import print_json

    if as_json:
        print_json(results.to_dict())
    elif quiet:
        typer.echo(str(results.run_dir))


def compare(
    data: Annotated[str, typer.Argument(help="CSV or Parquet file.")],
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
    as_json: AsJson = False,
) -> None:
    """Compare losses fairly: same split, same initial weights per seed, EarlyStopping,
    loss-independent judge metrics on the test split, mean and 95% interval over seeds,
    paired t-test against the best. Re-running the same command resumes the run."""
    from losslab.experiment.api import compare as _compare

    kwargs = common_kwargs(
        task=task,
        goal=goal,
        quantile=quantile,
        metric=metric,
        seeds=seeds,
        max_epochs=max_epochs,
        batch_size=batch_size,
        learning_rate=learning_rate,
        patience=patience,
        monitor=monitor,
        min_delta=min_delta,
        restore_best_weights=restore_best_weights,
        early_stopping=early_stopping,
        hidden=hidden,
        class_weight=class_weight,
        scale_target=scale_target,
        test_size=test_size,
        val_size=val_size,
        group=group,
        time=time,
        split_seed=split_seed,
        out=out,
        engine=engine,
        master=master,
        quiet=quiet or as_json,
        no_report=no_report,
    )
    results = _compare(None, data, target=target, losses=losses, **kwargs)
    finish(results, quiet=quiet, as_json=as_json)


def register(app: typer.Typer) -> None:
    app.command("compare")(compare)
