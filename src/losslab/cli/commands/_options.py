"""Options and option handling shared by ``losslab compare``, ``run`` and ``tune``.

Each option is declared once here as an ``Annotated`` type (flag names and help text); the
commands give the defaults. A module whose name starts with ``_`` is not registered as a
command. Heavy imports happen inside functions only (this module is on the ``--help`` path).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Annotated, Any

import typer

from losslab.cli.commands._option_checks import (
    check_class_weight,
    check_monitor,
    check_out,
    make_engine,
    parse_hidden,
)
from losslab.errors import InvalidParameterError

DataFile = Annotated[str, typer.Argument(help="CSV or Parquet file.")]
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
    typer.Option(
        "--goal",
        help="mean, median, quantile, probability, labels or ranking: picks the primary judge metric.",
    ),
]
Quantile = Annotated[
    float | None, typer.Option("--quantile", help="Quantile level of a quantile goal (pinball).")
]
Metric = Annotated[
    str | None, typer.Option("--metric", help="Override the primary judge metric (e.g. pr_auc).")
]
#: The most training seeds a run accepts: each seed stores its initial weights before the
#: first trial, and more than this many repeats adds no precision worth the disk and time.
MAX_SEEDS = 1000
Seeds = Annotated[
    int,
    typer.Option(
        "--seeds",
        "-r",
        min=1,
        max=MAX_SEEDS,
        help="Training seeds per loss (repeats, at most 1000).",
    ),
]
MaxEpochs = Annotated[int, typer.Option("--max-epochs", min=1, help="Epoch cap per trial.")]
BatchSize = Annotated[int, typer.Option("--batch-size", min=1, help="Batch size.")]
LearningRate = Annotated[float, typer.Option("--learning-rate", "--lr", help="Adam learning rate.")]
Patience = Annotated[
    int, typer.Option("--patience", min=0, help="EarlyStopping patience (epochs).")
]
Monitor = Annotated[str, typer.Option("--monitor", help="EarlyStopping monitor.")]
MinDelta = Annotated[float, typer.Option("--min-delta", help="EarlyStopping min_delta.")]
Restore = Annotated[
    bool,
    typer.Option(
        "--restore-best-weights/--no-restore-best-weights",
        help="EarlyStopping restore_best_weights.",
    ),
]
EarlyStop = Annotated[
    bool, typer.Option("--early-stopping/--no-early-stopping", help="Use EarlyStopping at all.")
]
ScaleTarget = Annotated[
    bool,
    typer.Option(
        "--scale-target/--no-scale-target",
        help="Train regression heads on the standardized target (loss parameters like Huber's delta then refer to it).",
    ),
]
Hidden = Annotated[
    str, typer.Option("--hidden", help="Hidden layer widths of the default MLP, comma-separated.")
]
ClassWeight = Annotated[
    str | None,
    typer.Option(
        "--class-weight", help="'balanced' to weight classes n/(K n_k) for every candidate."
    ),
]
TestSize = Annotated[float, typer.Option("--test-size", help="Fraction of rows in the test split.")]
ValSize = Annotated[
    float, typer.Option("--val-size", help="Fraction of rows in the validation split.")
]
Group = Annotated[
    str | None, typer.Option("--group", help="Column whose groups never straddle two splits.")
]
TimeCol = Annotated[
    str | None,
    typer.Option("--time", help="Column ordering rows in time (train oldest, test newest)."),
]
SplitSeed = Annotated[
    int, typer.Option("--split-seed", help="Seed of the train/validation/test split.")
]
Out = Annotated[
    str | None,
    typer.Option("--out", "-o", help="Run directory (re-running the same command resumes it)."),
]
EngineOpt = Annotated[
    str,
    typer.Option(
        "--engine",
        help="local (default: every trial in one fused JAX program under JAX, else one fit per "
        "trial), sequential (one fit per trial), fused, or spark.",
    ),
]
Master = Annotated[
    str | None, typer.Option("--master", help="Spark master URL (with --engine spark).")
]
Quiet = Annotated[
    bool, typer.Option("--quiet", "-q", help="No progress bars or tables; print the run directory.")
]
NoReport = Annotated[
    bool, typer.Option("--no-report", help="Do not write report.html / report.md.")
]
AsJson = Annotated[bool, typer.Option("--json", help="Print the leaderboard as JSON.")]
MlflowUri = Annotated[
    str | None,
    typer.Option(
        "--mlflow",
        envvar="LOSSLAB_MLFLOW_URI",
        help="Log the run to this MLflow tracking URI at the end (one parent run, one nested run per trial).",
    ),
]
TensorboardDir = Annotated[
    str | None,
    typer.Option("--tensorboard", help="Write each trial's loss curves as TensorBoard logs in this directory."),
]
Refit = Annotated[
    bool,
    typer.Option(
        "--refit",
        help="At the end, retrain the winner on train + validation rows and export it to OUT/model/ "
        "(after --sample: on every row of the table but the sample's test rows, out of core).",
    ),
]
NoModels = Annotated[
    bool,
    typer.Option(
        "--no-models",
        help="Do not store each trial's trained model (saves space; no later export).",
    ),
]

Sample = Annotated[
    str | None,
    typer.Option(
        "--sample",
        help="Compare on a seeded sample of N rows (stratified by class), streamed from Parquet/CSV "
        "without loading the table; 'all' never samples. Default: 50000 rows of a table over "
        "--sample-threshold rows; a resumed run reuses its sample.",
    ),
]
SampleThreshold = Annotated[
    int | None,
    typer.Option(
        "--sample-threshold",
        envvar="LOSSLAB_SAMPLE_THRESHOLD",
        help="Rows over which a table is sampled automatically (default 200000).",
    ),
]


def early_stopping_setting(options: Mapping[str, Any]) -> dict[str, Any] | bool:
    """The ``early_stopping`` argument of the experiment API from the EarlyStopping options.

    Args:
        options: The command's parameters (``early_stopping``, ``monitor``, ``patience``,
            ``min_delta``, ``restore_best_weights``).

    Returns:
        ``False`` with ``--no-early-stopping``, else the EarlyStopping keyword arguments.

    Example:
        >>> early_stopping_setting({"early_stopping": False})
        False
    """
    if not options["early_stopping"]:
        return False
    return {
        "monitor": check_monitor(options["monitor"]),
        "patience": options["patience"],
        "min_delta": options["min_delta"],
        "restore_best_weights": options["restore_best_weights"],
    }


def training_config(options: Mapping[str, Any]) -> Any:
    """The :class:`~losslab.experiment.config.TrainingConfig` of a command's options,
    validated once before any data is read (``tune`` has no --batch-size / --learning-rate:
    its search ranges replace them).

    Example:
        >>> training_config(dict(max_epochs=5, early_stopping=False, scale_target=True)).max_epochs
        5
    """
    from losslab.experiment.config import EarlyStoppingConfig, TrainingConfig

    return TrainingConfig(
        learning_rate=options.get("learning_rate", 3e-3),
        batch_size=options.get("batch_size", 32),
        max_epochs=options["max_epochs"],
        early_stopping=EarlyStoppingConfig.from_setting(early_stopping_setting(options)),
        scale_target=options["scale_target"],
    )


def split_config(options: Mapping[str, Any]) -> Any:
    """The :class:`~losslab.experiment.config.SplitConfig` of a command's options.

    Example:
        >>> split_config(dict(test_size=0.3, val_size=0.1, split_seed=7)).seed
        7
    """
    from losslab.experiment.config import SplitConfig

    return SplitConfig(
        test_size=options["test_size"],
        val_size=options["val_size"],
        group=options.get("group"),
        time=options.get("time"),
        seed=options["split_seed"],
    )


def _shared_kwargs(options: Mapping[str, Any]) -> dict[str, Any]:
    """The keyword arguments every experiment command passes: validated configs, flattened."""
    training = training_config(options)
    split = split_config(options)
    return {
        "task": options["task"],
        "goal": options["goal"],
        "quantile": options["quantile"],
        "metric": options.get("metric"),
        "max_epochs": training.max_epochs,
        "early_stopping": early_stopping_setting(options),
        "hidden": parse_hidden(options["hidden"]),
        "class_weight": check_class_weight(options["class_weight"]),
        "scale_target": training.scale_target,
        "test_size": split.test_size,
        "val_size": split.val_size,
        "split_seed": split.seed,
        "out": check_out(options["out"]),
        "engine": make_engine(options["engine"], options["master"]),
        "quiet": options["quiet"] or options.get("as_json", False),
        "report": not options["no_report"],
        "mlflow": options.get("mlflow"),
        "tensorboard": options.get("tensorboard"),
    }


def common_kwargs(options: Mapping[str, Any]) -> dict[str, Any]:
    """Translate a command's options into :func:`losslab.compare` keyword arguments.

    The training and split options are built once into their typed configs (validated on
    construction), so a bad value is reported before any data is read.

    Args:
        options: The command's parameters by name (its ``locals()`` on entry). ``metric`` and
            ``as_json`` may be absent (``None`` / ``False``); ``--json`` implies ``quiet``.

    Returns:
        The keyword arguments shared by ``compare`` and ``run``: task, goal, quantile, metric,
        seeds, training, early stopping, model, split, output and engine settings.

    Raises:
        InvalidParameterError: A bad ``--class-weight``, ``--hidden``, ``--engine``/``--master``,
            training or split value.

    Example:
        >>> common_kwargs(dict(task=None, goal=None, quantile=None, seeds=3, max_epochs=5,
        ...     batch_size=32, learning_rate=1e-3, early_stopping=False, hidden="8",
        ...     class_weight=None, scale_target=True, test_size=0.2, val_size=0.2, group=None,
        ...     time=None, split_seed=0, out=None, engine="local", master=None, quiet=False,
        ...     no_report=True))["hidden"]
        (8,)
    """
    return {
        **_shared_kwargs(options),  # validates the training options (batch size, rate) too
        "seeds": options["seeds"],
        "batch_size": options["batch_size"],
        "learning_rate": options["learning_rate"],
        "group": options["group"],
        "time": options["time"],
        "save_models": not options.get("no_models", False),
        **sample_kwargs(options),
    }


def sample_kwargs(options: Mapping[str, Any]) -> dict[str, Any]:
    """``sample`` / ``sample_threshold`` of ``compare`` and ``run``, checked before any data
    is read (absent options give None).

    Example:
        >>> sample_kwargs({"sample": "2000"})
        {'sample': 2000, 'sample_threshold': None}
    """
    from losslab.experiment.sampling import check_sample

    n = check_sample(options.get("sample"))
    threshold = options.get("sample_threshold")
    if threshold is not None and threshold < 1:
        raise InvalidParameterError(
            f"--sample-threshold must be a number of rows >= 1. Received: --sample-threshold {threshold}."
        )
    return {"sample": "all" if n == -1 else n, "sample_threshold": threshold}


def tune_kwargs(options: Mapping[str, Any]) -> dict[str, Any]:
    """Translate ``losslab tune``'s options into :func:`losslab.tune` keyword arguments.

    Raises:
        InvalidParameterError: A bad ``--batch-sizes`` or any error of :func:`common_kwargs`.
    """
    try:
        batch_sizes = [int(b) for b in options["batch_sizes"].split(",") if b.strip()]
    except ValueError:
        raise InvalidParameterError(
            f"--batch-sizes must be comma-separated integers. Received: {options['batch_sizes']!r}."
        ) from None
    kwargs = _shared_kwargs(options)
    if options["engine"] in ("sequential", "fused"):
        # by name: tune resolves it (sequential: this process's loop, or LocalEngine batches
        # with --trials-per-batch; fused: tune's batch width and compile setting)
        kwargs["engine"] = options["engine"]
    return {
        **kwargs,
        "n_trials": options["n_trials"],
        "learning_rate": (options["lr_min"], options["lr_max"]),
        "batch_sizes": batch_sizes,
        "tune_loss_params": options["loss_params"],
        "seed": options["seed"],
        "pruning": options["pruning"],
        "refit_seeds": options["refit_seeds"],
        "trials_per_batch": options["trials_per_batch"],
    }


def finish(results: Any, *, quiet: bool, as_json: bool) -> None:
    """Print a finished run: the results as JSON with ``--json``, its directory with ``--quiet``.

    Args:
        results: The experiment API's result (``to_dict()`` and ``run_dir``).
        quiet: ``--quiet`` was given.
        as_json: ``--json`` was given.

    Returns:
        None. Without either flag the run's own progress output already showed everything.

    Example:
        >>> finish(None, quiet=False, as_json=False)
    """
    from losslab.report.terminal import print_json

    if as_json:
        print_json(results.to_dict())
    elif quiet:
        typer.echo(str(results.run_dir))
