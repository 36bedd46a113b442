"""``compare`` and ``run``: fair loss experiments, stored in a resumable run directory.

Protocol (the same for every candidate): one train/validation/test split fixed by the split
seed; preprocessing fit on the training rows only; per training seed the same body
architecture and the same initial weights (built once, saved in ``init/``, loaded for each
loss); the output head and link from the catalog; EarlyStopping(val_loss) + TerminateOnNaN
under a max-epochs cap; judge metrics on the test split; statistics over seeds.
"""

from __future__ import annotations

import functools
import json
import re
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from losslab.catalog import LossSpec, get_spec, parse_loss_string, split_loss_list
from losslab.errors import DataError, InvalidParameterError, LosslabError
from losslab.experiment import heads, judge, statistics
from losslab.experiment.engine import Engine, LocalEngine, resolve_engine
from losslab.experiment.models import BuildModel, mlp_config
from losslab.experiment.protocol import (
    TASK_KINDS,
    SplitConfig,
    fingerprint,
    infer_task,
    prepare,
    read_table,
)
from losslab.experiment.store import (
    FORMAT_VERSION,
    RunStore,
    atomic_write_json,
    config_hash,
    utc_now,
)

__all__ = ["Candidate", "Results", "compare", "default_early_stopping", "parse_candidate", "run"]

DEFAULT_EARLY_STOPPING: dict[str, Any] = {
    "monitor": "val_loss",
    "patience": 3,
    "restore_best_weights": True,
    "min_delta": 0.0,
    "mode": "auto",
    "start_from_epoch": 0,
}
_ES_KEYS = {*DEFAULT_EARLY_STOPPING, "baseline", "verbose"}


def default_early_stopping(**overrides: Any) -> dict[str, Any]:
    """EarlyStopping arguments: the defaults (val_loss, patience 3, restore best) updated
    with ``overrides`` (any ``keras.callbacks.EarlyStopping`` argument)."""
    unknown = sorted(set(overrides) - _ES_KEYS - {"enabled"})
    if unknown:
        raise InvalidParameterError(
            f"Unknown EarlyStopping argument(s) {', '.join(unknown)}. Valid: {', '.join(sorted(_ES_KEYS))}."
        )
    return {**DEFAULT_EARLY_STOPPING, **overrides}


# ---------------------------------------------------------------------------- candidates
@dataclass(frozen=True)
class Candidate:
    """One loss configuration to compare.

    Attributes:
        id: file-safe unique id (``huber-delta=2``).
        label: display label (``huber:delta=2``).
        spec: the catalog entry.
        params: full validated parameters.
        class_weight: ``"balanced"``, a ``{class: weight}`` mapping or None.
    """

    id: str
    label: str
    spec: LossSpec
    params: dict[str, Any]
    class_weight: Any = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "label": self.label,
            "loss": self.spec.name,
            "params": {k: (list(v) if isinstance(v, tuple) else v) for k, v in self.params.items()},
            "class_weight": self.class_weight,
        }


def _fmt_value(v: Any) -> str:
    if isinstance(v, list | tuple):
        return "[" + ",".join(_fmt_value(x) for x in v) + "]"
    if isinstance(v, float) and v.is_integer():
        return str(int(v))
    return str(v)


def _make_candidate(spec: LossSpec, params: Mapping[str, Any], class_weight: Any, label: str | None = None) -> Candidate:
    full = spec.validate_params(dict(params))
    changed = {k: v for k, v in full.items() if spec.defaults.get(k) != v}
    auto = spec.name + (":" + ",".join(f"{k}={_fmt_value(v)}" for k, v in changed.items()) if changed else "")
    if class_weight is not None:
        auto += "@" + (class_weight if isinstance(class_weight, str) else "weighted")
    label = label or auto
    cid = re.sub(r"[^A-Za-z0-9._=+-]+", "-", auto.replace(":", "-").replace(",", "-").replace("@", "-cw-")).strip("-")
    if len(cid) > 80:
        import hashlib

        cid = cid[:60] + "-" + hashlib.sha256(cid.encode()).hexdigest()[:10]
    return Candidate(cid, label, spec, full, class_weight)


def parse_candidate(item: str | Mapping[str, Any] | LossSpec | Candidate, class_weight: Any = None) -> Candidate:
    """A :class:`Candidate` from ``"huber:delta=2"``, ``"bce@balanced"`` (class weighting),
    ``{"loss": ..., "params": {...}, "class_weight": ...}`` or a :class:`LossSpec`.

    Raises:
        UnknownLossError, InvalidParameterError: from the catalog.
    """
    if isinstance(item, Candidate):
        return item
    if isinstance(item, LossSpec):
        return _make_candidate(item, {}, class_weight)
    if isinstance(item, Mapping):
        unknown = sorted(set(item) - {"loss", "params", "class_weight", "label"})
        if unknown or "loss" not in item:
            raise InvalidParameterError(
                f"A candidate mapping needs 'loss' and may have 'params', 'class_weight', 'label'. "
                f"Received keys: {sorted(item)}."
            )
        spec = get_spec(item["loss"])
        return _make_candidate(spec, item.get("params", {}), item.get("class_weight", class_weight), item.get("label"))
    if not isinstance(item, str):
        raise InvalidParameterError(
            f"A loss must be a name like 'huber:delta=2', a mapping or a LossSpec. Received: {item!r}."
        )
    text, _, cw = item.partition("@")
    cw_value: Any = class_weight
    if cw:
        if cw.strip() != "balanced":
            raise InvalidParameterError(
                f"Unknown class weighting {cw.strip()!r} in {item!r}. Write '{text}@balanced' or leave it out."
            )
        cw_value = "balanced"
    spec, params = parse_loss_string(text)
    return _make_candidate(spec, params, cw_value)


def _candidates(losses: Sequence[Any], class_weight: Any) -> list[Candidate]:
    if isinstance(losses, str):
        losses = [s for s in _split_top(losses) if s.strip()]
    if not losses:
        raise InvalidParameterError("No losses to compare. Received an empty list. Pass e.g. losses=['mse', 'mae'].")
    cands = [parse_candidate(x, class_weight) for x in losses]
    seen: dict[str, str] = {}
    for c in cands:
        if c.id in seen:
            raise InvalidParameterError(
                f"Loss {c.label!r} is listed twice (as {seen[c.id]!r}). Remove the duplicate."
            )
        seen[c.id] = c.label
    return cands


_split_top = split_loss_list  # the CLI's --losses splitting, one implementation


# ---------------------------------------------------------------------------- results
@dataclass
class Results:
    """What an experiment produced, read from its run directory.

    Attributes:
        run_dir: the run directory.
        manifest: the stored manifest.
        records: finished trial records (dicts, see docs/run-directory.md).
        rows: leaderboard rows (best first).
        report_files: files written by the report (``{"html": Path, ...}``), when it ran.
    """

    run_dir: Path
    manifest: dict[str, Any]
    records: list[dict[str, Any]]
    rows: list[dict[str, Any]]
    report_files: dict[str, Path] = field(default_factory=dict)

    @property
    def primary_metric(self) -> str:
        return str(self.manifest["primary_metric"])

    @property
    def task(self) -> str:
        return str(self.manifest["task"]["kind"])

    @property
    def best(self) -> str | None:
        """Label of the best candidate (None when every trial failed)."""
        return self.rows[0]["label"] if self.rows and self.rows[0]["mean"] is not None else None

    @property
    def leaderboard(self) -> Any:
        """A pandas DataFrame, best first: mean and 95% t-interval of the primary metric,
        paired difference to the best with its p-value, whether it is indistinguishable from
        the best, and the mean of every other judge metric."""
        import pandas as pd

        table = []
        for r in self.rows:
            row = {
                "rank": r["rank"],
                "candidate": r["label"],
                "loss": r["loss"],
                self.primary_metric: r["mean"],
                "ci_low": r["ci_low"],
                "ci_high": r["ci_high"],
                "diff_to_best": r["diff_to_best"],
                "p_value": r["p_value"],
                "indistinguishable_from_best": r["indistinguishable_from_best"],
                "n_seeds": r["n_seeds"],
                "n_failed": r["n_failed"],
                "epochs_run": r["epochs_run"],
            }
            for k, v in r["metrics"].items():
                if k != self.primary_metric:
                    row[k] = v
            table.append(row)
        return pd.DataFrame(table)

    @property
    def trials(self) -> Any:
        """One row per finished trial: candidate, seed, status, epochs, judge metrics."""
        import pandas as pd

        return pd.DataFrame(
            [
                {
                    "trial_id": r["trial_id"],
                    "candidate": r["label"],
                    "seed": r["seed"],
                    "status": r["status"],
                    "epochs_run": r["epochs_run"],
                    "best_epoch": r["best_epoch"],
                    "seconds": r["seconds"],
                    **(r.get("metrics") or {}),
                }
                for r in self.records
            ]
        )

    @property
    def histories(self) -> dict[str, dict[str, list[float | None]]]:
        """Keras training histories per trial id."""
        return {r["trial_id"]: r["history"] for r in self.records}

    def to_dict(self) -> dict[str, Any]:
        return {
            "run_dir": str(self.run_dir),
            "task": self.task,
            "primary_metric": self.primary_metric,
            "best": self.best,
            "leaderboard": self.rows,
        }

    @classmethod
    def load(cls, run_dir: str | Path) -> Results:
        """Rebuild results from a run directory alone (no training)."""
        store = RunStore(run_dir)
        manifest = store.read_manifest()
        if manifest is None:
            raise DataError(f"No losslab run in {str(run_dir)!r} (manifest.json missing). Pass a run directory.")
        records = store.records()
        rows = statistics.leaderboard_rows(records, manifest["config"]["candidates"], manifest["primary_metric"])
        return cls(Path(run_dir), manifest, records, rows)

    def __repr__(self) -> str:
        return f"Results(run_dir={str(self.run_dir)!r}, best={self.best!r}, trials={len(self.records)})"


def write_leaderboard(store: RunStore, manifest: Mapping[str, Any], rows: list[dict[str, Any]]) -> None:
    primary = manifest["primary_metric"]
    atomic_write_json(
        store.path / "leaderboard.json",
        {
            "primary_metric": primary,
            "direction": judge.DIRECTIONS[primary],
            "confidence": statistics.CONFIDENCE,
            "interval": "Student t interval over seeds",
            "test": "two-sided paired t-test over seeds against the best candidate (alpha 0.05)",
            "rows": rows,
        },
    )
    res = Results(store.path, dict(manifest), [], rows)
    tmp = store.path / ".leaderboard.csv.tmp"
    res.leaderboard.to_csv(tmp, index=False)
    tmp.replace(store.path / "leaderboard.csv")


# ---------------------------------------------------------------------------- core
@dataclass
class _Plan:
    kind: str
    candidates: list[Candidate]
    seeds: list[int]
    task: str
    classes: list[Any] | None
    goal: str | None
    quantile: float | None
    primary: str
    split: SplitConfig
    model: Any
    training: dict[str, Any]
    recommendation: dict[str, Any] | None = None
    task_reasons: list[str] = field(default_factory=list)


def _seeds(seeds: int | Sequence[int]) -> list[int]:
    if isinstance(seeds, int):
        if seeds < 1:
            raise InvalidParameterError(f"seeds must be >= 1. Received: seeds={seeds}. Use 3 (the default) or more.")
        return list(range(seeds))
    out = [int(s) for s in seeds]
    if not out or len(set(out)) != len(out):
        raise InvalidParameterError(f"seeds must be a non-empty list of distinct integers. Received: {list(seeds)!r}.")
    return out


def _training(
    *,
    optimizer: str,
    learning_rate: float,
    batch_size: int,
    max_epochs: int,
    early_stopping: Mapping[str, Any] | bool | None,
    terminate_on_nan: bool,
    scale_target: bool = True,
) -> dict[str, Any]:
    if not (learning_rate > 0):
        raise InvalidParameterError(f"learning_rate must be > 0. Received: learning_rate={learning_rate!r}.")
    if int(batch_size) < 1 or int(max_epochs) < 1:
        raise InvalidParameterError(
            f"batch_size and max_epochs must be >= 1. Received: batch_size={batch_size!r}, max_epochs={max_epochs!r}."
        )
    if early_stopping is False:
        es: dict[str, Any] = {"enabled": False}
    elif early_stopping is None or early_stopping is True:
        es = default_early_stopping()
    else:
        es = default_early_stopping(**dict(early_stopping))
    return {
        "optimizer": optimizer,
        "learning_rate": float(learning_rate),
        "batch_size": int(batch_size),
        "max_epochs": int(max_epochs),
        "early_stopping": es,
        "terminate_on_nan": bool(terminate_on_nan),
        "scale_target": bool(scale_target),
    }


def _xy(
    x: Any, y: Any, target: str | Sequence[str] | None, group: Any, time_col: Any
) -> tuple[Any, Any, Any, Any, str, list[str]]:
    """Features, target, groups, order, a source description and column names."""
    import pandas as pd

    source = "arrays"
    if isinstance(x, str | Path) or type(x).__module__.startswith("pyarrow"):
        source = str(x) if isinstance(x, str | Path) else "pyarrow.Table"
        x = read_table(x)
    if isinstance(x, pd.DataFrame):
        if source == "arrays":
            source = "pandas.DataFrame"
        if y is None:
            if target is None:
                raise DataError("A table needs a target column. Received target=None. Pass target='column name'.")
            cols = [target] if isinstance(target, str) else list(target)
            missing = [c for c in cols if c not in x.columns]
            if missing:
                raise DataError(
                    f"Target column {missing[0]!r} is not in the table. Received columns: "
                    f"{', '.join(map(str, list(x.columns)[:12]))}{' ...' if len(x.columns) > 12 else ''}. "
                    "Pass --target with one of them."
                )
            y = x[cols[0]] if len(cols) == 1 else x[cols]
            x = x.drop(columns=cols)
        groups = order = None
        for name, col in (("group", group), ("time", time_col)):
            if isinstance(col, str):
                if col not in x.columns:
                    raise DataError(f"The {name} column {col!r} is not in the table. Pass an existing column.")
                vals = x[col].to_numpy()
                x = x.drop(columns=[col])
                if name == "group":
                    groups = vals
                else:
                    order = pd.to_datetime(vals).asi8 if not np.issubdtype(vals.dtype, np.number) else vals
            elif col is not None:
                if name == "group":
                    groups = np.asarray(col)
                else:
                    order = np.asarray(col)
        return x, y, groups, order, source, [str(c) for c in x.columns]
    if y is None:
        raise DataError("y is missing. Pass y (an array of targets) with an array x, or a table with target=.")
    groups = None if group is None else np.asarray(group)
    order = None if time_col is None else np.asarray(time_col)
    return x, y, groups, order, source, []


def _default_out(kind: str, chash: str, fp: str) -> Path:
    return Path("losslab-runs") / f"{kind}-{config_hash({'c': chash, 'd': fp})[:10]}"


def _setup(
    plan: _Plan,
    x: Any,
    y: Any,
    groups: Any,
    order: Any,
    *,
    source: str,
    columns: list[str],
    target: Any,
    out: str | Path | None,
    extra_config: Mapping[str, Any] | None = None,
) -> tuple[RunStore, Any, dict[str, Any]]:
    """Validate everything, then open (or resume) the run directory and write the prepared
    split and the initial weights once. Returns ``(store, prepared, manifest)``."""
    # everything that can fail on user input happens before the run directory is touched
    prepared = prepare(x, y, task=plan.task, split=plan.split, classes=plan.classes, groups=groups, order=order)
    for c in plan.candidates:
        heads.check_fits(c.spec, c.params, task=plan.task, y=np.concatenate([prepared.y_train, prepared.y_val]))
        heads.head_spec(c.spec, c.params, task=plan.task, target_dim=prepared.target_dim, n_classes=prepared.n_classes)
    fp = fingerprint(x, y, columns)
    config = {
        "candidates": [c.to_dict() for c in plan.candidates],
        "seeds": plan.seeds,
        "task": plan.task,
        "classes": prepared.classes,
        "goal": {"kind": plan.goal, "quantile": plan.quantile},
        "primary_metric": plan.primary,
        "split": plan.split.to_dict(),
        "model": plan.model
        if isinstance(plan.model, dict)
        else {"kind": "custom", "name": getattr(plan.model, "__qualname__", repr(plan.model))},
        "training": plan.training,
        **dict(extra_config or {}),
    }
    chash = config_hash(config)
    from losslab.experiment.store import environment

    manifest = {
        "format": "losslab-run",
        "format_version": FORMAT_VERSION,
        "kind": plan.kind,
        "created": utc_now(),
        "config_hash": chash,
        "config": config,
        "data": {
            "fingerprint": fp,
            "source": source,
            "target": target if isinstance(target, str | None) else list(target),
            "n_rows": int(len(prepared.idx_train) + len(prepared.idx_val) + len(prepared.idx_test)),
            "n_features": int(np.prod(prepared.input_shape)),
            "columns": columns,
        },
        "task": {"kind": plan.task, "classes": prepared.classes, "reasons": plan.task_reasons},
        "goal": {"kind": plan.goal, "quantile": plan.quantile},
        "primary_metric": plan.primary,
        "metric_directions": dict(judge.DIRECTIONS),
        "environment": environment(),
        "recommendation": plan.recommendation,
    }
    store = RunStore(out if out is not None else _default_out(plan.kind, chash, fp))
    resumed = store.open(manifest)
    manifest = store.read_manifest() or manifest
    if not resumed or not (store.data_dir / "split.npz").exists():
        prepared.save(store.data_dir)
    from losslab.experiment.models import build_body, save_initial_weights

    for s in plan.seeds:
        p = store.init_weights_path(s)
        if not p.exists():
            save_initial_weights(build_body(plan.model, prepared.input_shape, s), p)
    return store, prepared, manifest


def _execute(
    plan: _Plan,
    x: Any,
    y: Any,
    groups: Any,
    order: Any,
    *,
    source: str,
    columns: list[str],
    target: Any,
    out: str | Path | None,
    engine: Engine | str | None,
    quiet: bool,
    report: bool,
    resume: bool = True,
) -> Results:
    store, prepared, manifest = _setup(
        plan, x, y, groups, order, source=source, columns=columns, target=target, out=out
    )
    config = manifest["config"]

    # 2. trials: skip the finished ones, store each as it completes
    from losslab.experiment.trial import TrialTask, run_trial

    done = store.finished_ids() if resume else set()
    tasks = [
        TrialTask(
            run_dir=str(store.path),
            trial_id=f"{c.id}--seed{s}",
            candidate=c.to_dict(),
            seed=s,
            task=plan.task,
            n_classes=prepared.n_classes,
            primary_metric=plan.primary,
            goal_quantile=plan.quantile,
            model=plan.model,
            training=plan.training,
        )
        for s in plan.seeds
        for c in plan.candidates
    ]
    todo = [t for t in tasks if t.trial_id not in done]
    eng = resolve_engine(engine)
    with _Progress(quiet, total=len(tasks), done=len(tasks) - len(todo), max_epochs=plan.training["max_epochs"]) as prog:
        fn: Callable[[Any], Any] = run_trial
        if isinstance(eng, LocalEngine):
            fn = functools.partial(_run_with_progress, prog=prog)
        for rec in eng.map(fn, todo):
            store.append(rec.to_dict(), rec.arrays)
            prog.trial_done(rec)

    # 3. statistics, leaderboard, report
    records = store.records()
    rows = statistics.leaderboard_rows(records, config["candidates"], plan.primary)
    write_leaderboard(store, manifest, rows)
    results = Results(store.path, manifest, records, rows)
    if report:
        results.report_files = _report(results, quiet)
    elif not quiet:
        _print_leaderboard(results)
    return results


def _run_with_progress(task: Any, *, prog: _Progress) -> Any:
    from losslab.experiment.trial import run_trial

    prog.trial_start(task)
    return run_trial(task, on_epoch=prog.epoch if prog.active else None)


def _report(results: Results, quiet: bool) -> dict[str, Path]:
    files: dict[str, Path] = {}
    try:
        from losslab.report import write_report  # type: ignore[attr-defined]
    except ImportError:
        write_report = None
    if write_report is not None:
        try:
            files = dict(write_report(results.run_dir))
        except Exception as e:  # the trials are stored: never lose the run to a rendering error
            import sys

            sys.stderr.write(
                f"Warning: the report could not be written ({type(e).__name__}: {e}). The results are "
                f"stored in {results.run_dir}; re-render with `losslab report {results.run_dir}`.\n"
            )
    if not quiet:
        _print_leaderboard(results)
    return files


def _print_leaderboard(results: Results) -> None:
    printer: Any = None
    try:
        from losslab.report.leaderboard import print_leaderboard as printer
    except ImportError:
        printer = None
    if printer is not None:
        printer(results)
        return
    from rich.console import Console
    from rich.table import Table

    m = results.primary_metric
    t = Table(title=f"losslab leaderboard ({m}, {judge.DIRECTIONS[m]} is better; 95% t-interval over seeds)")
    for col in ("rank", "candidate", m, "95% CI", "diff to best", "paired p", "~best", "epochs"):
        t.add_column(col)

    def f(v: Any) -> str:
        return "-" if v is None else f"{v:.4g}"

    for r in results.rows:
        t.add_row(
            str(r["rank"] or "-"),
            r["label"],
            f(r["mean"]),
            f"[{f(r['ci_low'])}, {f(r['ci_high'])}]",
            f(r["diff_to_best"]),
            f(r["p_value"]),
            "yes" if r["indistinguishable_from_best"] else "no",
            f(r["epochs_run"]),
        )
    Console().print(t)
    Console().print(f"run directory: {results.run_dir}")


class _Progress:
    """Rich progress bars (trials, epochs of the current trial); silent when quiet."""

    def __init__(self, quiet: bool, *, total: int, done: int, max_epochs: int) -> None:
        self.active = not quiet
        self.total, self.done, self.max_epochs = total, done, max_epochs
        self._p: Any = None

    def __enter__(self) -> _Progress:
        if self.active:
            from rich.console import Console
            from rich.progress import (
                BarColumn,
                MofNCompleteColumn,
                Progress,
                TextColumn,
                TimeElapsedColumn,
            )

            self._p = Progress(
                TextColumn("{task.description}"),
                BarColumn(),
                MofNCompleteColumn(),
                TimeElapsedColumn(),
                console=Console(stderr=True),
                transient=False,
            )
            self._p.__enter__()
            self._trials = self._p.add_task("trials", total=self.total, completed=self.done)
            self._epochs = self._p.add_task("epochs", total=self.max_epochs)
        return self

    def __exit__(self, *exc: Any) -> None:
        if self._p is not None:
            self._p.__exit__(*exc)

    def trial_start(self, task: Any) -> None:
        if self._p is not None:
            self._p.update(self._epochs, completed=0, description=f"epochs  {task.trial_id}")

    def epoch(self, epoch: int, logs: Mapping[str, Any]) -> None:
        if self._p is not None:
            self._p.update(self._epochs, completed=epoch + 1)

    def trial_done(self, rec: Any) -> None:
        if self._p is not None:
            self._p.advance(self._trials)


def _resolve_task_goal(
    task: str | None, goal: str | None, quantile: float | None, metric: str | None, y: Any
) -> tuple[str, list[str], str | None, float | None, str]:
    import pandas as pd

    reasons: list[str] = []
    if task is None:
        yv = y.to_numpy() if isinstance(y, pd.Series | pd.DataFrame) else np.asarray(y)
        task, reasons = infer_task(yv)
    elif task not in TASK_KINDS:
        raise InvalidParameterError(f"Unknown task {task!r}. Expected one of {', '.join(TASK_KINDS)}.")
    else:
        reasons = ["given by the user"]
    if goal == "quantile" and quantile is None:
        raise InvalidParameterError("goal='quantile' needs a quantile level. Received quantile=None. Pass e.g. quantile=0.9.")
    if quantile is not None and not 0 < float(quantile) < 1:
        raise InvalidParameterError(f"quantile must be in (0, 1). Received: quantile={quantile!r}.")
    if quantile is not None and goal is None:
        goal = "quantile"
    primary = judge.normalize_metric(metric) if metric else judge.primary_metric(task, goal)
    classification = task in ("binary", "multiclass", "multilabel", "ordinal")
    ordinal_ok = task == "ordinal" and primary in ("rmse", "mae")
    if (primary in judge.CLASSIFICATION_METRICS) != classification and not ordinal_ok:
        raise InvalidParameterError(
            f"Judge metric {primary!r} does not fit a {task} task. Received metric={primary!r}. "
            f"Use one of {', '.join(judge.CLASSIFICATION_METRICS if classification else judge.REGRESSION_METRICS)}."
        )
    return task, reasons, goal, (None if quantile is None else float(quantile)), primary


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
    _kind: str = "compare",
    _recommendation: Mapping[str, Any] | None = None,
    _classes: list[Any] | None = None,
    _source: str | None = None,
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
            ordinal (inferred from ``y`` when None).
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
            the advisor sets them; predictions are mapped back before judging.
        hidden, dropout: the default MLP's layer widths and dropout.
        class_weight: ``"balanced"`` or a mapping applied to every classification candidate.
        test_size, val_size, stratify, group, time, split_seed: the split (stratified for
            classification by default; ``group`` / ``time`` are column names of a table or
            arrays with one value per row).
        out: the run directory (default ``losslab-runs/compare-<hash>``); re-running the same
            call resumes it and skips finished trials.
        engine: where trials run: ``None`` (default) trains every trial as one fused JAX
            program under the JAX backend (``LocalEngine()`` on other backends);
            ``"sequential"`` runs one ``fit`` per trial; or an engine object.
        quiet: no progress bars or leaderboard printing.
        report: write report.html / report.md / summary.json and print the leaderboard.

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
    x, y, groups, order, source, columns = _xy(x, y, target, group, time)
    source = _source or source
    kind, reasons, goal, quantile, primary = _resolve_task_goal(task, goal, quantile, metric, y)
    if _recommendation is not None:  # `run`: the advisor inferred the task, keep its reasons
        reasons = list(_recommendation.get("task", {}).get("reasons") or reasons)
    split = SplitConfig(test_size=test_size, val_size=val_size, stratify=stratify, group=group if isinstance(group, str) else None, time=time if isinstance(time, str) else None, seed=split_seed)
    if not (0 < test_size < 1 and 0 < val_size < 1 and test_size + val_size < 1):
        raise InvalidParameterError(
            f"test_size and val_size must be in (0, 1) with a sum below 1. Received: test_size={test_size}, val_size={val_size}."
        )
    plan = _Plan(
        kind=_kind,
        candidates=_candidates(losses, class_weight),
        seeds=_seeds(seeds),
        task=kind,
        classes=_classes,
        goal=goal,
        quantile=quantile,
        primary=primary,
        split=split,
        model=build_model if build_model is not None else mlp_config(hidden, dropout=dropout),
        training=_training(
            optimizer=optimizer,
            learning_rate=learning_rate,
            batch_size=batch_size,
            max_epochs=max_epochs,
            early_stopping=early_stopping,
            terminate_on_nan=terminate_on_nan,
            scale_target=scale_target,
        ),
        recommendation=dict(_recommendation) if _recommendation is not None else None,
        task_reasons=reasons,
    )
    return _execute(
        plan, x, y, groups, order, source=source, columns=columns, target=target, out=out, engine=engine, quiet=quiet, report=report
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
    **kwargs: Any,
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
        **kwargs: any :func:`compare` option (seeds, max_epochs, out, quiet, ...).

    Returns:
        :class:`Results`; ``results.manifest["recommendation"]`` holds the advisor's output.

    Example:
        >>> res = losslab.run("data.csv", target="y", seeds=3)  # doctest: +SKIP
    """
    from losslab.advisor import recommend

    table = read_table(data)
    if target not in table.columns:
        raise DataError(
            f"Target column {target!r} is not in the table. Received columns: "
            f"{', '.join(map(str, list(table.columns)[:12]))}. Pass --target with one of them."
        )
    rec = recommend(table, target=target, task=task, goal=goal, top=top)
    kind = rec.task.kind
    goal_kind = rec.goal.kind
    q = rec.goal.quantile if rec.goal.quantile is not None else quantile
    metric = None
    try:
        metric = judge.normalize_metric(rec.judge_metric)
    except LosslabError:
        metric = None
    items: list[Any] = []
    for c in rec.candidates:
        items.append({"loss": c.loss, "params": dict(c.params or {})})
    for extra in losses or []:
        items.append(extra)
    # keep the recommended losses that fit this experiment's targets (the advisor's list is
    # for the task; a tabular experiment cannot train e.g. a per-batch loss)
    y = table[target].to_numpy()
    weights = _advisor_class_weight(rec.class_weight, y, kind)
    fitting: list[Any] = []
    for it in items:
        cand = parse_candidate(it, kwargs.get("class_weight"))
        try:
            heads.check_fits(cand.spec, cand.params, task=kind, y=np.asarray(y) if kind not in ("binary", "multiclass", "ordinal") else np.zeros(1))
        except LosslabError:
            continue
        if cand.id not in {f.id for f in fitting}:
            fitting.append(cand)
        # the advisor's class weights (imbalanced classes) go with plain cross-entropy, as its
        # note says; the unweighted candidate stays (it keeps probabilities calibrated), so the
        # leaderboard shows whether weighting helps. A --class-weight of the user wins.
        if weights is not None and cand.class_weight is None and cand.spec.name in _PLAIN_CROSS_ENTROPY:
            twin = _make_candidate(cand.spec, cand.params, weights)
            if twin.id not in {f.id for f in fitting}:
                fitting.append(twin)
    if not fitting:
        raise DataError(
            f"None of the recommended losses ({', '.join(c.loss for c in rec.candidates)}) fits a tabular "
            f"{kind} experiment on this target. Use `losslab compare --losses ...` with losses of your choice."
        )
    return compare(
        None,
        table,
        target=target,
        losses=fitting,
        task=kind,
        goal=goal_kind,
        quantile=q,
        metric=metric,
        _kind="run",
        _recommendation=rec.to_dict(),
        _source=str(data) if isinstance(data, str | Path) else None,
        **kwargs,
    )


_PLAIN_CROSS_ENTROPY = frozenset({"binary_crossentropy", "categorical_crossentropy", "sparse_categorical_crossentropy"})


def _advisor_class_weight(weights: Mapping[Any, float] | None, y: np.ndarray, kind: str) -> dict[int, float] | None:
    """The advisor's ``{class label: weight}`` as ``{class code: weight}`` in the class order
    of the experiment (the protocol's sorted labels), or None when it gives none or a label
    cannot be matched."""
    if not weights or kind not in ("binary", "multiclass", "ordinal"):
        return None
    from losslab.experiment.protocol import _encode_target

    try:
        _, classes = _encode_target(np.asarray(y), kind, None)
    except LosslabError:
        return None
    out: dict[int, float] = {}
    for i, c in enumerate(classes or []):
        match = [w for k, w in weights.items() if k == c or str(k) == str(c)]
        if not match:
            return None
        out[i] = float(match[0])
    return out


def iter_records(run_dir: str | Path) -> Iterator[dict[str, Any]]:
    """Finished trial records of a run directory, in completion order."""
    yield from RunStore(run_dir).records()


def load_manifest(run_dir: str | Path) -> dict[str, Any]:
    m = RunStore(run_dir).read_manifest()
    if m is None:
        raise DataError(f"No losslab run in {str(run_dir)!r}. Pass a run directory (it holds manifest.json).")
    return json.loads(json.dumps(m))
