"""``compare`` and ``run``: fair loss experiments, stored in a resumable run directory.

Protocol (the same for every candidate): one train/validation/test split fixed by the split
seed; preprocessing fit on the training rows only; per training seed the same body
architecture and the same initial weights (built once, saved in ``init/``, loaded for each
loss); the output head and link from the catalog; EarlyStopping(val_loss) + TerminateOnNaN
under a max-epochs cap; judge metrics on the test split; statistics over seeds.

This module is a facade: the steps live in :mod:`~losslab.experiment.lineup` (the losses),
:mod:`~losslab.experiment.config` (typed settings), :mod:`~losslab.experiment.preparation`
(data, task, goal), :mod:`~losslab.experiment.execution` (run directory, trials) and
:mod:`~losslab.experiment.results` (leaderboard, and the report through the ``views`` the
public facade :mod:`losslab._experiment` passes in).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from losslab._vocab import TaskKind
from losslab.catalog import LossSpec
from losslab.data import read_table
from losslab.errors import LosslabError
from losslab.experiment import judge
from losslab.experiment.config import (
    EarlyStoppingConfig,
    ExperimentPlan,
    SplitConfig,
    TrainingConfig,
    seed_list,
)
from losslab.experiment.engine import Engine
from losslab.experiment.execution import execute_plan
from losslab.experiment.lineup import Candidate, advisor_lineup, build_lineup, parse_candidate
from losslab.experiment.models import BuildModel, mlp_config
from losslab.experiment.preparation import (
    ExperimentData,
    extract_data,
    infer_target_task,
    ordinal_classes,
    resolve_goal,
)
from losslab.experiment.results import Results, RunViews, write_leaderboard
from losslab.experiment.sampling import SampleInfo, load_or_sample, row_hashes

__all__ = ["Candidate", "Results", "compare", "parse_candidate", "run", "write_leaderboard"]


def _with_sample(xy: ExperimentData, given: Any, drawn: SampleInfo | None, table: Any) -> ExperimentData:
    """The experiment data with its source (the path given) and, if sampled, the sample's
    description and each row's content hash."""
    if isinstance(given, str | Path):
        xy = dataclasses.replace(xy, source=str(given))
    if drawn is None:
        return xy
    import pyarrow as pa

    keys = row_hashes(pa.Table.from_pandas(table, preserve_index=False))
    return dataclasses.replace(xy, sample=drawn.to_dict(), row_keys=keys)


def compare(
    build_model: BuildModel | None,
    x: Any,
    y: Any = None,
    *,
    losses: Sequence[str | Mapping[str, Any] | LossSpec | Candidate] | str,
    target: str | None = None,
    task: str | None = None,
    goal: str | None = None,
    quantile: float | None = None,
    metric: str | None = None,
    seeds: int | Sequence[int] = 3,
    max_epochs: int = 100,
    batch_size: int = 32,
    learning_rate: float = 3e-3,
    optimizer: str = "adam",
    early_stopping: Mapping[str, Any] | bool | None = None,
    terminate_on_nan: bool = True,
    scale_target: bool = True,
    hidden: Sequence[int] = (32, 32),
    dropout: float = 0.0,
    class_weight: str | Mapping[Any, float] | None = None,
    test_size: float = 0.2,
    val_size: float = 0.2,
    stratify: bool | None = None,
    group: Any = None,
    time: Any = None,
    split_seed: int = 0,
    out: str | Path | None = None,
    engine: Engine | str | None = None,
    quiet: bool = False,
    report: bool = True,
    mlflow: str | bool | None = None,
    tensorboard: str | Path | None = None,
    save_models: bool = True,
    sample: int | str | None = None,
    sample_threshold: int | None = None,
    views: RunViews | None = None,
) -> Results:
    """Train the same model with each loss under one fair protocol and rank them.

    Args:
        build_model: ``build_model(input_shape) -> keras.Model``, the model body WITHOUT its
            output layer (losslab appends the head each loss needs, see
            :mod:`losslab.experiment.models`), or ``None`` for the default tabular MLP
            (``hidden`` units, ReLU).
        x: features (array of any rank, DataFrame), or a table / CSV / Parquet path holding
            the target column named by ``target``.
        y: targets (N,) or (N, D); omit when ``x`` is a table with ``target``.
        losses: catalog names with parameters (``"huber:delta=2"``), ``"name@balanced"`` for
            class weighting, ``{"loss", "params", "class_weight"}`` mappings or LossSpecs.
        target: target column of a table.
        task: regression, count, positive, proportion, binary, multiclass, multilabel or
            ordinal; inferred from ``y`` when None by the advisor's inference
            (:func:`losslab.data.infer_task`; its reasons are stored in the manifest).
        goal: mean, median, quantile, probability, labels or ranking (chooses the primary
            judge metric: RMSE, MAE, pinball, log loss, accuracy, ROC AUC).
        quantile: the goal's quantile level (pinball).
        metric: override the primary judge metric (e.g. ``"pr_auc"``).
        seeds: number of training seeds R (0..R-1) or the list of seeds.
        max_epochs, batch_size, learning_rate, optimizer: training settings (the same for
            every candidate).
        early_stopping: overrides of EarlyStopping(monitor="val_loss", patience=3,
            restore_best_weights=True); ``False`` disables it.
        terminate_on_nan: stop a trial at the first NaN loss (its status becomes "nan").
        scale_target: train regression-type heads (identity, quantiles, mean+scale) on the
            target standardised with the training rows' mean and std, so loss parameters in
            target units (Huber's delta, Cauchy's scale) refer to the standardised target, as
            the advisor sets them; positive heads (log link, softplus) on ``y / mean(y)``
            (no shift, y stays >= 0); predictions are mapped back before judging.
        hidden, dropout: the default MLP's layer widths and dropout.
        class_weight: ``"balanced"`` or a mapping applied to every classification candidate.
        test_size, val_size, stratify, group, time, split_seed: the split (stratified for
            classification by default; ``group`` / ``time`` are column names of a table or
            arrays with one value per row).
        out: the run directory (default ``losslab-runs/compare-<hash>``); re-running the same
            call resumes it and skips finished trials.
        engine: where trials run: ``None`` (the default: the fused engine under JAX, see
            :func:`~losslab.experiment.engine.resolve_engine`), ``"sequential"`` (one ``fit``
            per trial), ``"fused"``, or an engine object (``SparkEngine``).
        quiet: no progress bars or leaderboard printing.
        report: write report.html / report.md / summary.json and print the leaderboard.
        mlflow: at the end of the run, log it to MLflow: a tracking URI, or ``True`` for
            ``LOSSLAB_MLFLOW_URI`` / MLflow's default (docs/integrations.md).
        tensorboard: at the end of the run, write each trial's curves as TensorBoard logs
            in this directory.
        save_models: store each trial's trained network (``trials/<id>.keras``) so any
            candidate can be exported or refit later; False saves space.
        sample: compare on a seeded sample of this many rows of a table (stratified by
            class for a discrete target), drawn in a stream without loading the table
            (:mod:`~losslab.experiment.sampling`); ``"all"`` never samples; None samples
            :data:`~losslab.experiment.sampling.DEFAULT_ROWS` rows of a table over
            ``sample_threshold`` rows, and a resumed run reuses its stored sample. The seed
            is ``split_seed``; an engine with ``draw_sample`` (Spark) draws it.
        sample_threshold: rows over which a table is sampled automatically (default
            :data:`~losslab.experiment.sampling.DEFAULT_THRESHOLD`).
        views: the report, the printed leaderboard and the MLflow / TensorBoard exports
            (:class:`~losslab.experiment.results.RunViews`); ``losslab.compare`` passes
            them, None writes the run directory's stored files only.

    Returns:
        :class:`Results` (``.leaderboard`` DataFrame, ``.histories``, ``.trials``, ``.best``).

    Raises:
        UnknownLossError, InvalidParameterError: a bad loss or option.
        TaskMismatchError: a loss that does not fit the task or targets.
        DataError: unreadable data, too few rows, a single class.
        RunDirectoryError: ``out`` holds a run with another configuration.

    Example:
        >>> import numpy as np, losslab
        >>> x = np.random.rand(300, 4); y = x @ [1.0, 2.0, 0.0, -1.0]
        >>> res = losslab.compare(None, x, y, losses=["mse", "huber:delta=0.5"],
        ...                       seeds=2, max_epochs=10, quiet=True)  # doctest: +SKIP
        >>> res.leaderboard[["candidate", "rmse", "ci_low", "ci_high"]]  # doctest: +SKIP
    """
    table, drawn = load_or_sample(
        x if y is None else None, target, sample=sample, threshold=sample_threshold, seed=split_seed,
        task=task, engine=engine, out=out,
    )
    data = _with_sample(extract_data(x if table is None else table, y, target=target, group=group, time=time), x, drawn, table)
    info = infer_target_task(data.y, task)
    kind = TaskKind.parse(info.kind)
    goal_choice = resolve_goal(kind, goal, quantile, metric)
    split = SplitConfig(
        test_size=test_size,
        val_size=val_size,
        stratify=stratify,
        group=group if isinstance(group, str) else None,
        time=time if isinstance(time, str) else None,
        seed=split_seed,
    )
    plan = ExperimentPlan(
        kind="compare",
        contenders=build_lineup(losses, class_weight),
        seeds=seed_list(seeds),
        task=kind,
        task_reasons=tuple(info.reasons),
        classes=ordinal_classes(kind, info.classes),
        goal=goal_choice.kind,
        quantile=goal_choice.quantile,
        primary=goal_choice.primary,
        split=split,
        training=TrainingConfig(
            optimizer=optimizer,
            learning_rate=learning_rate,
            batch_size=batch_size,
            max_epochs=max_epochs,
            early_stopping=EarlyStoppingConfig.from_setting(early_stopping),
            terminate_on_nan=terminate_on_nan,
            scale_target=scale_target,
        ),
        model=build_model if build_model is not None else mlp_config(hidden, dropout=dropout),
    )
    return execute_plan(
        plan, data, out=out, engine=engine, quiet=quiet, report=report, mlflow=mlflow, tensorboard=tensorboard,
        save_models=save_models, views=views,
    )


def run(
    data: Any,
    *,
    target: str,
    task: str | None = None,
    goal: str | None = None,
    quantile: float | None = None,
    top: int = 4,
    losses: Sequence[str | Mapping[str, Any]] | None = None,
    class_weight: str | Mapping[Any, float] | None = None,
    seeds: int | Sequence[int] = 3,
    max_epochs: int = 100,
    batch_size: int = 32,
    learning_rate: float = 3e-3,
    optimizer: str = "adam",
    early_stopping: Mapping[str, Any] | bool | None = None,
    terminate_on_nan: bool = True,
    scale_target: bool = True,
    hidden: Sequence[int] = (32, 32),
    dropout: float = 0.0,
    test_size: float = 0.2,
    val_size: float = 0.2,
    stratify: bool | None = None,
    group: str | None = None,
    time: str | None = None,
    split_seed: int = 0,
    out: str | Path | None = None,
    engine: Engine | str | None = None,
    quiet: bool = False,
    report: bool = True,
    mlflow: str | bool | None = None,
    tensorboard: str | Path | None = None,
    save_models: bool = True,
    sample: int | str | None = None,
    sample_threshold: int | None = None,
    views: RunViews | None = None,
) -> Results:
    """The main job: recommend a shortlist (advisor) -> compare it -> leaderboard -> report.

    When the advisor finds imbalanced classes it gives class weights for ``model.fit``; each
    plain cross-entropy candidate of the shortlist then also runs with those weights (a
    second candidate labelled ``<loss>@weighted``, its weights stored in the run's config and
    each trial record), unless ``class_weight`` is given, which applies to every candidate.

    Args:
        data: CSV / Parquet path, pandas DataFrame or pyarrow Table.
        target: the target column.
        task, goal, quantile: passed to the advisor (inferred when None).
        top: how many recommended losses to compare.
        losses: extra candidates to add to the shortlist.
        class_weight, seeds, max_epochs, batch_size, learning_rate, optimizer,
            early_stopping, terminate_on_nan, scale_target, hidden, dropout, test_size,
            val_size, stratify, group, time, split_seed, out, engine, quiet, report, save_models,
            sample, sample_threshold, views: as in :func:`compare`.

    Returns:
        :class:`Results`; ``results.manifest["recommendation"]`` holds the advisor's output.

    Example:
        >>> res = losslab.run("data.csv", target="y", seeds=3)  # doctest: +SKIP
    """
    from losslab.advisor import recommend

    training = TrainingConfig(
        optimizer=optimizer,
        learning_rate=learning_rate,
        batch_size=batch_size,
        max_epochs=max_epochs,
        early_stopping=EarlyStoppingConfig.from_setting(early_stopping),
        terminate_on_nan=terminate_on_nan,
        scale_target=scale_target,
    )
    split = SplitConfig(
        test_size=test_size,
        val_size=val_size,
        stratify=stratify,
        group=group,
        time=time,
        seed=split_seed,
    )
    loaded, drawn = load_or_sample(
        data, target, sample=sample, threshold=sample_threshold, seed=split_seed, task=task,
        engine=engine, out=out,
    )
    table = read_table(loaded)
    xy = _with_sample(extract_data(table, target=target, group=group, time=time), data, drawn, table)
    rec = recommend(table, target=target, task=task, goal=goal, top=top)
    kind = TaskKind.parse(rec.task.kind)
    try:
        metric = judge.normalize_metric(rec.judge_metric)
    except LosslabError:
        metric = None
    q = rec.goal.quantile if rec.goal.quantile is not None else quantile
    goal_choice = resolve_goal(kind, rec.goal.kind, q, metric)
    plan = ExperimentPlan(
        kind="run",
        contenders=advisor_lineup(
            rec, xy.target_values(), extra=losses or (), class_weight=class_weight
        ),
        seeds=seed_list(seeds),
        task=kind,
        task_reasons=tuple(rec.task.reasons) or ("given by the user",),
        classes=ordinal_classes(kind, rec.task.classes),
        goal=goal_choice.kind,
        quantile=goal_choice.quantile,
        primary=goal_choice.primary,
        split=split,
        training=training,
        model=mlp_config(hidden, dropout=dropout),
        recommendation=rec.to_dict(),
    )
    return execute_plan(
        plan, xy, out=out, engine=engine, quiet=quiet, report=report, mlflow=mlflow, tensorboard=tensorboard,
        save_models=save_models, views=views,
    )
