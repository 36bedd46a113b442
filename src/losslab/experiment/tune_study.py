"""Tuning steps around the Optuna study: the search settings, creating or resuming the study
in the run directory's journal, and each loss's trial budget.

Optuna is imported inside the functions only.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal

from losslab.errors import InvalidParameterError
from losslab.experiment import judge
from losslab.experiment.engine import Engine, LocalEngine, default_engine_name, resolve_engine
from losslab.experiment.store import RunDirectoryError, RunStore

__all__ = [
    "VAL_JUDGE",
    "LossBudget",
    "SearchSettings",
    "enqueue_next",
    "enqueue_retry",
    "open_study",
    "pending_retries",
    "reseed",
    "sampler_seed",
    "takes_epoch_end",
    "tune_engine",
    "tuning_sampler",
]

#: The per-epoch validation judge metric that pruning watches.
VAL_JUDGE = "val_judge"


@dataclass(frozen=True)
class SearchSettings:
    """What ``tune`` searches, validated on construction.

    Attributes:
        n_trials: trials per loss (>= 1).
        learning_rate: log-uniform search range ``(low, high)``, ``0 < low <= high``.
        batch_sizes: sorted distinct batch size choices (>= 1).
        tune_loss_params: search the losses' own hyperparameters.
        pruning: median pruner on ``val_judge``.
        seed: sampler, initial weights and training seed.

    Example:
        >>> SearchSettings(n_trials=5, learning_rate=(1e-3, 1e-2), batch_sizes=(64, 32)).batch_sizes
        (32, 64)
    """

    n_trials: int = 10
    learning_rate: tuple[float, float] = (1e-4, 3e-2)
    batch_sizes: tuple[int, ...] = (16, 32, 64, 128)
    tune_loss_params: bool = True
    pruning: bool = True
    seed: int = 0

    def __post_init__(self) -> None:
        if self.n_trials < 1:
            raise InvalidParameterError(
                f"n_trials must be >= 1. Received: n_trials={self.n_trials}."
            )
        lo, hi = (float(v) for v in self.learning_rate)
        if not 0 < lo <= hi:
            raise InvalidParameterError(
                f"learning_rate must be a range (low, high) with 0 < low <= high. Received: {self.learning_rate!r}."
            )
        object.__setattr__(self, "learning_rate", (lo, hi))
        bss = tuple(sorted({int(b) for b in self.batch_sizes}))
        if not bss or bss[0] < 1:
            raise InvalidParameterError(
                f"batch_sizes must be positive integers. Received: {list(self.batch_sizes)!r}."
            )
        object.__setattr__(self, "batch_sizes", bss)

    def to_config(self, primary: str, engine: Engine | None, width: int) -> dict[str, Any]:
        """The ``tune`` part of the run's config (what the config hash covers)."""
        cfg: dict[str, Any] = {
            "n_trials_per_loss": int(self.n_trials),
            "learning_rate": list(self.learning_rate),
            "batch_sizes": list(self.batch_sizes),
            "tune_loss_params": bool(self.tune_loss_params),
            "pruning": bool(self.pruning),
            "objective": f"{primary} on the validation split",
            "pruning_monitor": VAL_JUDGE,
        }
        if engine is not None:
            # the batch width decides which trials the sampler has seen when it asks (part of
            # what the study computes); the engine itself is not (it only decides where)
            cfg["trials_per_batch"] = width
            live = "live, epoch by epoch within each batch" if takes_epoch_end(engine) else "reported after each trial (nothing pruned)"
            cfg["pruning_mode"] = live if self.pruning else "off"
        return {"tune": cfg}


def takes_epoch_end(engine: Engine) -> bool:
    """Whether ``engine.map`` accepts ``epoch_end=`` (live pruning in a batch)."""
    import inspect

    try:
        return "epoch_end" in inspect.signature(engine.map).parameters
    except (TypeError, ValueError):
        return False


def tune_engine(engine: Engine | str | None, trials_per_batch: int | None) -> tuple[Engine | None, int]:
    """Where ``tune``'s trials run and how many are asked before any is told.

    Args:
        engine: ``None`` (the default): the fused engine under the JAX backend
            (:meth:`FusedEngine.for_tune <losslab.experiment.fused.FusedEngine.for_tune>`),
            else this process. ``"sequential"`` (or ``"local"``): this process, one Keras
            ``fit`` per trial. ``"fused"``: the fused engine with tune's settings. An engine
            object: as given.
        trials_per_batch: the batch width (default: the engine's ``parallelism``, the Spark
            cluster's default parallelism, 1 for ``LocalEngine``). In this process, a width
            asks batches through ``LocalEngine`` (the same study as a Spark engine of that width).

    Returns:
        ``(None, 1)`` for this process's loop (one trial after another, pruned live by
        Keras's pruning callback), else ``(engine, width)``.

    Example:
        >>> tune_engine("sequential", None)
        (None, 1)
        >>> tune_engine("sequential", 4)
        (LocalEngine(), 4)
    """
    if trials_per_batch is not None and (
        isinstance(trials_per_batch, bool) or not isinstance(trials_per_batch, int) or trials_per_batch < 1
    ):
        raise InvalidParameterError(
            f"trials_per_batch must be an integer >= 1 or None. Received: trials_per_batch={trials_per_batch!r}."
        )
    if engine is None:
        engine = default_engine_name()
    if engine in ("sequential", "local"):
        return (None, 1) if trials_per_batch is None else (LocalEngine(), trials_per_batch)
    if engine == "fused":
        from losslab.experiment.fused import FusedEngine

        engine = FusedEngine.for_tune()
    engine = resolve_engine(engine)  # an engine object as given; anything else refused
    if trials_per_batch is not None:
        return engine, trials_per_batch
    if isinstance(engine, LocalEngine):
        return engine, 1
    width = getattr(engine, "parallelism", None)
    if width is None and getattr(engine, "spark", None) is not None:
        width = int(engine.spark.sparkContext.defaultParallelism)  # type: ignore[attr-defined]
    return engine, max(1, int(width or 1))


def tuning_sampler(seed: int) -> Any:
    """The study's sampler: Optuna's TPE seeded ``seed``, with the constant liar (a trial
    still running counts as a bad result, so the trials of one batch, asked before any is
    told, do not all sample the same point; Optuna >= 5 has it on by default, 4.x off).

    Example:
        >>> type(tuning_sampler(0)).__name__
        'TPESampler'
    """
    import optuna

    return optuna.samplers.TPESampler(seed=seed, constant_liar=True)


def open_study(store: RunStore, *, primary: str, settings: SearchSettings, quiet: bool) -> Any:
    """Create the study in ``RUN_DIR/tune/journal.log`` or resume it; a trial left RUNNING by
    a killed process is marked failed (user attribute ``interrupted``) so it is redone."""
    import optuna
    from optuna.storages import JournalStorage
    from optuna.storages.journal import JournalFileBackend
    from optuna.trial import TrialState

    journal = (store.path / "tune" / "journal.log").absolute()
    journal.parent.mkdir(parents=True, exist_ok=True)
    # Optuna's own lock on the journal (a symlink) is left behind when a process is killed
    # while writing; this process holds the run directory's lock, so no other writer can be
    # using the journal: a leftover journal lock is stale by construction (waiting for it
    # would hang, for ever when its link dangles)
    stale = journal.with_name(journal.name + ".lock")
    if stale.is_symlink() or stale.exists():
        stale.unlink()
    storage = JournalStorage(JournalFileBackend(str(journal)))
    direction: Literal["minimize", "maximize"] = (
        "minimize" if judge.DIRECTIONS[primary] == "min" else "maximize"
    )
    if quiet:
        optuna.logging.set_verbosity(optuna.logging.WARNING)
    pruner = (
        optuna.pruners.MedianPruner(n_startup_trials=3, n_warmup_steps=2)
        if settings.pruning
        else optuna.pruners.NopPruner()
    )
    try:
        study = optuna.create_study(
            study_name="losslab-tune",
            storage=storage,
            direction=direction,
            sampler=tuning_sampler(settings.seed),
            pruner=pruner,
            load_if_exists=True,
        )
    except Exception as e:  # a damaged journal: Optuna cannot replay it
        raise RunDirectoryError(
            f"Cannot read the study journal {str(journal)!r}: {type(e).__name__}: "
            f"{' '.join(str(e).split())[:200]}. Restore it, or re-run into a new --out directory."
        ) from None
    for t in study.get_trials(deepcopy=False, states=(TrialState.RUNNING,)):
        storage.set_trial_user_attr(t._trial_id, "interrupted", True)
        storage.set_trial_state_values(t._trial_id, state=TrialState.FAIL)
    return study


def sampler_seed(seed: int, n_trials: int) -> int:
    """The sampler's seed before asking trial ``n_trials + 1`` of a study seeded ``seed``.

    Example:
        >>> sampler_seed(0, 5) == sampler_seed(0, 5) != sampler_seed(0, 6)
        True
    """
    import numpy as np

    return int(np.random.SeedSequence([int(seed), int(n_trials)]).generate_state(1)[0])


def reseed(study: Any, seed: int) -> None:
    """Seed the sampler from ``(seed, trials asked so far)`` before each ask.

    Trials asked so far are those not waiting in the queue and not cut short by a killed
    process. A resumed study therefore asks with the very sampler state an uninterrupted
    one had at the same point (the sampler never restarts from its seed, which repeated the
    first configurations), and TPE sees the same finished trials (it ignores failed ones).
    """
    from optuna.trial import TrialState

    asked = sum(
        1
        for t in study.get_trials(deepcopy=False)
        if t.state is not TrialState.WAITING and not t.user_attrs.get("interrupted")
    )
    study.sampler = tuning_sampler(sampler_seed(seed, asked))


def pending_retries(study: Any) -> list[tuple[int, dict[str, Any]]]:
    """``(number, params)`` of the trials a killed process cut short and that no later trial
    has redone yet (a redo carries the user attribute ``retry_of``), oldest first."""
    trials = study.get_trials(deepcopy=False)
    redone = {t.user_attrs.get("retry_of") for t in trials}
    return [
        (t.number, dict(t.params))
        for t in trials
        if t.user_attrs.get("interrupted") and t.number not in redone and t.params
    ]


def enqueue_next(study: Any, label: str, seed: int) -> None:
    """Queue the next trial of loss ``label``: the oldest cut-short trial of that loss with
    its own parameters (it is redone exactly), else a new one; then reseed the sampler."""
    for number, params in pending_retries(study):
        if params.get("loss") == label:
            enqueue_retry(study, number, params, seed)
            return
    study.enqueue_trial({"loss": label}, skip_if_exists=False)
    reseed(study, seed)


def enqueue_retry(study: Any, number: int, params: dict[str, Any], seed: int) -> None:
    """Queue the redo of cut-short trial ``number`` with its parameters; reseed the sampler."""
    study.enqueue_trial(params, user_attrs={"retry_of": number}, skip_if_exists=False)
    reseed(study, seed)


class LossBudget:
    """Equal budget: every loss label gets ``n_trials`` finished trials (an interrupted
    trial does not count); the next loss is the one with the fewest, in line-up order."""

    def __init__(self, study: Any, labels: Sequence[str], n_trials: int) -> None:
        self.study, self.labels, self.n_trials = study, list(labels), n_trials

    @property
    def total(self) -> int:
        return self.n_trials * len(self.labels)

    def counts(self) -> dict[str, int]:
        from optuna.trial import TrialState

        c = dict.fromkeys(self.labels, 0)
        finished = (TrialState.COMPLETE, TrialState.PRUNED, TrialState.FAIL)
        for t in self.study.get_trials(deepcopy=False):
            if t.user_attrs.get("interrupted"):  # killed mid-trial: it does not use the budget
                continue
            if t.state in finished and t.params.get("loss") in c:
                c[t.params["loss"]] += 1
        return c

    def used(self) -> int:
        return sum(self.counts().values())

    def next_label(self, counts: dict[str, int]) -> str | None:
        remaining = [lab for lab in self.labels if counts[lab] < self.n_trials]
        if not remaining:
            return None
        return min(remaining, key=lambda lab: (counts[lab], self.labels.index(lab)))
