"""Typed configuration of an experiment, validated on construction.

Each object is a frozen dataclass whose ``__post_init__`` rejects a bad value with an
:class:`~losslab.errors.InvalidParameterError` ("what is wrong. Received: ... . How to fix
it."), so a mistake surfaces before any data is read or any directory is written. Their
``to_dict()`` forms are what the run directory stores (``manifest.json`` ``config``).

Example:
    >>> TrainingConfig(learning_rate=0.01).to_dict()["early_stopping"]["patience"]
    3
    >>> SplitConfig(test_size=0.6, val_size=0.5)
    Traceback (most recent call last):
    ...
    losslab.errors.InvalidParameterError: test_size and val_size must be in (0, 1) with a sum below 1. Received: test_size=0.6, val_size=0.5. Pass e.g. test_size=0.2, val_size=0.2.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, fields
from typing import Any, Literal

from losslab._vocab import TaskKind
from losslab.errors import InvalidParameterError
from losslab.experiment.lineup import Contender

__all__ = ["EarlyStoppingConfig", "ExperimentPlan", "SplitConfig", "TrainingConfig", "seed_list"]

_MODES = ("auto", "min", "max")


#: What every trial's history records, so what EarlyStopping can watch.
MONITORS = ("val_loss", "loss")


@dataclass(frozen=True)
class EarlyStoppingConfig:
    """``keras.callbacks.EarlyStopping`` arguments of every trial (``enabled=False``: none).

    Attributes:
        enabled: use EarlyStopping at all.
        monitor, patience, restore_best_weights, min_delta, mode, start_from_epoch,
            baseline, verbose: the Keras arguments (defaults: ``val_loss``, 3, True, 0.0,
            ``auto``, 0, None, 0).
    """

    enabled: bool = True
    monitor: str = "val_loss"
    patience: int = 3
    restore_best_weights: bool = True
    min_delta: float = 0.0
    mode: Literal["auto", "min", "max"] = "auto"
    start_from_epoch: int = 0
    baseline: float | None = None
    verbose: int = 0

    def __post_init__(self) -> None:
        if (
            isinstance(self.patience, bool)
            or not isinstance(self.patience, int)
            or self.patience < 0
        ):
            raise InvalidParameterError(
                f"EarlyStopping patience must be an integer >= 0. Received: patience={self.patience!r}."
            )
        if not self.min_delta >= 0:
            raise InvalidParameterError(
                f"EarlyStopping min_delta must be >= 0. Received: min_delta={self.min_delta!r}."
            )
        if self.monitor not in MONITORS:
            raise InvalidParameterError(
                f"EarlyStopping monitor must be one of {', '.join(MONITORS)} (what every trial's "
                f"history records). Received: monitor={self.monitor!r}."
            )
        if self.mode not in _MODES:
            raise InvalidParameterError(
                f"EarlyStopping mode must be one of {', '.join(_MODES)}. Received: mode={self.mode!r}."
            )
        if int(self.start_from_epoch) < 0:
            raise InvalidParameterError(
                f"EarlyStopping start_from_epoch must be >= 0. Received: start_from_epoch={self.start_from_epoch!r}."
            )

    @classmethod
    def from_setting(
        cls, setting: EarlyStoppingConfig | Mapping[str, Any] | bool | None
    ) -> EarlyStoppingConfig:
        """The config for the ``early_stopping=`` argument of ``compare`` / ``tune``: None or
        True (the defaults), False (disabled), or a mapping of EarlyStopping arguments.

        Example:
            >>> EarlyStoppingConfig.from_setting({"patience": 5}).patience
            5
            >>> EarlyStoppingConfig.from_setting({"wait": 5})
            Traceback (most recent call last):
            ...
            losslab.errors.InvalidParameterError: Unknown EarlyStopping argument(s) wait. Valid: baseline, enabled, min_delta, mode, monitor, patience, restore_best_weights, start_from_epoch, verbose.
        """
        if isinstance(setting, EarlyStoppingConfig):
            return setting
        if setting is None or setting is True:
            return cls()
        if setting is False:
            return cls(enabled=False)
        valid = sorted(f.name for f in fields(cls))
        unknown = sorted(set(setting) - set(valid))
        if unknown:
            raise InvalidParameterError(
                f"Unknown EarlyStopping argument(s) {', '.join(unknown)}. Valid: {', '.join(valid)}."
            )
        return cls(**dict(setting))

    def to_dict(self) -> dict[str, Any]:
        """The stored form: ``{"enabled": False}`` when off, else the Keras arguments."""
        if not self.enabled:
            return {"enabled": False}
        out: dict[str, Any] = {
            "monitor": self.monitor,
            "patience": int(self.patience),
            "restore_best_weights": bool(self.restore_best_weights),
            "min_delta": float(self.min_delta),
            "mode": self.mode,
            "start_from_epoch": int(self.start_from_epoch),
        }
        if self.baseline is not None:
            out["baseline"] = float(self.baseline)
        if self.verbose:
            out["verbose"] = int(self.verbose)
        return out


@dataclass(frozen=True)
class TrainingConfig:
    """How every trial of an experiment trains (the same for every candidate).

    Attributes:
        optimizer: Keras optimizer name.
        learning_rate: > 0.
        batch_size, max_epochs: >= 1.
        early_stopping: the :class:`EarlyStoppingConfig`.
        terminate_on_nan: stop a trial at the first NaN loss.
        scale_target: train regression-type heads on the standardised target (positive heads
            on ``y / mean(y)``).
    """

    optimizer: str = "adam"
    learning_rate: float = 3e-3
    batch_size: int = 32
    max_epochs: int = 100
    early_stopping: EarlyStoppingConfig = field(default_factory=EarlyStoppingConfig)
    terminate_on_nan: bool = True
    scale_target: bool = True

    def __post_init__(self) -> None:
        if not (self.learning_rate > 0):
            raise InvalidParameterError(
                f"learning_rate must be > 0. Received: learning_rate={self.learning_rate!r}."
            )
        if int(self.batch_size) < 1 or int(self.max_epochs) < 1:
            raise InvalidParameterError(
                f"batch_size and max_epochs must be >= 1. Received: batch_size={self.batch_size!r}, "
                f"max_epochs={self.max_epochs!r}."
            )
        if not isinstance(self.early_stopping, EarlyStoppingConfig):
            object.__setattr__(
                self, "early_stopping", EarlyStoppingConfig.from_setting(self.early_stopping)
            )

    def to_dict(self) -> dict[str, Any]:
        """The stored form (``manifest.json`` ``config.training``, ``TrialTask.training``)."""
        return {
            "optimizer": self.optimizer,
            "learning_rate": float(self.learning_rate),
            "batch_size": int(self.batch_size),
            "max_epochs": int(self.max_epochs),
            "early_stopping": self.early_stopping.to_dict(),
            "terminate_on_nan": bool(self.terminate_on_nan),
            "scale_target": bool(self.scale_target),
        }


@dataclass(frozen=True)
class SplitConfig:
    """How rows are split into train / validation / test.

    Attributes:
        test_size: fraction of rows in the test split.
        val_size: fraction of rows in the validation split.
        stratify: stratify by class (classification tasks); ``None`` means "when the task
            is binary, multiclass or ordinal".
        group: column whose values never straddle two splits (table input only).
        time: column ordering the rows in time: train is the oldest rows, test the newest.
        seed: the split seed (the same for every candidate and every training seed).
    """

    test_size: float = 0.2
    val_size: float = 0.2
    stratify: bool | None = None
    group: str | None = None
    time: str | None = None
    seed: int = 0

    def __post_init__(self) -> None:
        t, v = self.test_size, self.val_size
        if not (0 < t < 1 and 0 < v < 1 and t + v < 1):
            raise InvalidParameterError(
                f"test_size and val_size must be in (0, 1) with a sum below 1. Received: test_size={t}, "
                f"val_size={v}. Pass e.g. test_size=0.2, val_size=0.2."
            )

    def to_dict(self) -> dict[str, Any]:
        return {
            "test_size": self.test_size,
            "val_size": self.val_size,
            "stratify": self.stratify,
            "group": self.group,
            "time": self.time,
            "seed": self.seed,
        }


#: The most training seeds an experiment accepts: each seed's initial weights are stored
#: before the first trial, and more repeats than this add no precision worth the disk and time.
MAX_SEEDS = 1000


def seed_list(seeds: int | Sequence[int]) -> tuple[int, ...]:
    """Training seeds: ``R`` means ``0 .. R-1``; a list must hold distinct integers; at most
    :data:`MAX_SEEDS` of them.

    Example:
        >>> seed_list(3), seed_list([7, 1])
        ((0, 1, 2), (7, 1))
    """
    if isinstance(seeds, int):
        if seeds < 1:
            raise InvalidParameterError(
                f"seeds must be >= 1. Received: seeds={seeds}. Use 3 (the default) or more."
            )
        out = tuple(range(min(seeds, MAX_SEEDS + 1)))
    else:
        out = tuple(int(s) for s in seeds)
    if len(out) > MAX_SEEDS:
        raise InvalidParameterError(
            f"seeds must be at most {MAX_SEEDS}. Received: seeds="
            f"{seeds if isinstance(seeds, int) else len(out)} (each seed stores initial weights "
            "and trains every loss). Use 3 to 30 seeds."
        )
    if not out or len(set(out)) != len(out):
        raise InvalidParameterError(
            f"seeds must be a non-empty list of distinct integers. Received: {list(seeds)!r}."
        )
    return out


@dataclass(frozen=True)
class ExperimentPlan:
    """Everything an experiment runs, decided before the run directory is touched.

    Attributes:
        kind: ``compare``, ``run`` or ``tune`` (the run directory's ``kind``).
        contenders: the loss configurations (:class:`~losslab.experiment.lineup.Contender`).
        seeds: training seeds.
        task: the :class:`~losslab._vocab.TaskKind`.
        task_reasons: why (the advisor's inference, or "given by the user").
        goal, quantile, primary: the goal and the primary judge metric.
        split, training: the :class:`SplitConfig` and :class:`TrainingConfig`.
        model: the default MLP's config dict or a user's ``build_model``.
        classes: class order for classification (None: sorted labels).
        recommendation: the advisor's output (``run``), stored in the manifest.
    """

    kind: Literal["compare", "run", "tune"]
    contenders: tuple[Contender, ...]
    seeds: tuple[int, ...]
    task: TaskKind
    task_reasons: tuple[str, ...]
    goal: str | None
    quantile: float | None
    primary: str
    split: SplitConfig
    training: TrainingConfig
    model: Any
    classes: tuple[Any, ...] | None = None
    recommendation: Mapping[str, Any] | None = None

    def __post_init__(self) -> None:
        if self.kind not in ("compare", "run", "tune"):
            raise InvalidParameterError(
                f"Unknown experiment kind {self.kind!r}. Expected compare, run or tune."
            )
        if not self.contenders:
            raise InvalidParameterError(
                "No losses to compare. Received an empty list. Pass e.g. losses=['mse', 'mae']."
            )
        object.__setattr__(self, "seeds", seed_list(list(self.seeds)))
        object.__setattr__(self, "task", TaskKind.parse(self.task))

    def config_dict(self, classes: list[Any] | None) -> dict[str, Any]:
        """``manifest.json`` ``config`` (what the config hash covers), with the prepared classes."""
        model = (
            self.model
            if isinstance(self.model, dict)
            else {
                "kind": "custom",
                "name": getattr(self.model, "__qualname__", repr(self.model)),
            }
        )
        return {
            "candidates": [c.to_dict() for c in self.contenders],
            "seeds": list(self.seeds),
            "task": str(self.task),
            "classes": classes,
            "goal": {"kind": self.goal, "quantile": self.quantile},
            "primary_metric": self.primary,
            "split": self.split.to_dict(),
            "model": model,
            "training": self.training.to_dict(),
        }
