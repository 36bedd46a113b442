"""Callbacks that watch the loss: an overfitting monitor and a divergence guard."""

from __future__ import annotations

import math
import warnings
from dataclasses import asdict, dataclass, field
from typing import Any, Literal

import keras

from losslab.callbacks._causes import learning_rate, likely_causes
from losslab.errors import DataError, InvalidParameterError

__all__ = [
    "DivergenceGuard",
    "DivergenceWarning",
    "Event",
    "OverfittingMonitor",
    "OverfittingWarning",
]

Action = Literal["warn", "stop"]


class OverfittingWarning(UserWarning):
    """Issued by :class:`OverfittingMonitor`."""


class DivergenceWarning(UserWarning):
    """Issued by :class:`DivergenceGuard`."""


@dataclass
class Event:
    """One thing a callback noticed.

    Attributes:
        kind: ``"overfitting"``, ``"nonfinite"``, ``"explosion"`` or ``"stuck"``.
        epoch: 0-based epoch where it was noticed.
        batch: 0-based batch within the epoch (``None`` for epoch-level checks).
        message: the full message that was warned.
        details: numbers behind the message (losses, gap, learning rate, causes).
    """

    kind: str
    epoch: int
    batch: int | None
    message: str
    details: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict of the event."""
        return asdict(self)


def _check_action(action: str, owner: str) -> Action:
    if action not in ("warn", "stop"):
        raise InvalidParameterError(
            f"Invalid value for argument `action` of {owner}. Expected one of {{'warn', 'stop'}}. "
            f"Received: action={action!r}."
        )
    return action  # type: ignore[return-value]


def _positive_int(value: Any, name: str, owner: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise InvalidParameterError(
            f"Invalid value for argument `{name}` of {owner}: expected an integer >= 1. "
            f"Received: {name}={value!r}."
        )
    return value


def _float_log(logs: dict[str, Any] | None, key: str) -> float | None:
    if not logs or key not in logs:
        return None
    try:
        return float(logs[key])
    except (TypeError, ValueError):
        return None


class OverfittingMonitor(keras.callbacks.Callback):
    """Warn (or stop) when the validation loss rises for N epochs while the training loss falls.

    After each epoch the monitor compares the validation loss and the training loss with
    the previous epoch. ``patience`` consecutive epochs where the validation loss rose (by
    more than ``min_delta``) while the training loss fell is overfitting: the monitor warns
    with an :class:`OverfittingWarning` that reports the generalisation gap
    (``val_loss - loss``) now and at the best validation epoch, and with ``action="stop"``
    also stops training.

    Args:
        patience: consecutive epochs of rising validation and falling training loss.
            Default 3.
        min_delta: smallest change counted as a rise or a fall. Default 0.
        action: ``"warn"`` (default) or ``"stop"`` (warn and set ``model.stop_training``).
        monitor: validation key in the logs. Default ``"val_loss"``.
        train_monitor: training key in the logs. Default ``"loss"``.
        warn: issue the :class:`OverfittingWarning` (default True). With ``warn=False`` the
            events are only collected in :attr:`events` (nothing is printed).

    Attributes:
        events: the :class:`Event` records issued (kind ``"overfitting"``).
        gaps: generalisation gap per epoch.
        best_epoch: epoch with the lowest validation loss so far.

    Example:
        Pass it to ``model.fit(x, y, validation_split=0.2, callbacks=[mon])``; here its
        epoch hook is fed the logs of four epochs by hand (validation loss up twice while
        the training loss falls):

        >>> from losslab.callbacks import OverfittingMonitor
        >>> mon = OverfittingMonitor(patience=2, warn=False)
        >>> logs = [(1.0, 1.0), (0.8, 0.9), (0.6, 1.0), (0.4, 1.2)]  # (loss, val_loss)
        >>> for epoch, (loss, val_loss) in enumerate(logs):
        ...     mon.on_epoch_end(epoch, {"loss": loss, "val_loss": val_loss})
        >>> [(event.kind, event.epoch) for event in mon.events], mon.best_epoch
        ([('overfitting', 3)], 1)
        >>> mon.events[0].message
        'Overfitting at epoch 4: val_loss rose for 2 epochs in a row (since epoch 3) while loss fell. ...'
        >>> round(mon.events[0].details["gap"], 6)
        0.8
    """

    def __init__(
        self,
        patience: int = 3,
        *,
        min_delta: float = 0.0,
        action: Action = "warn",
        monitor: str = "val_loss",
        train_monitor: str = "loss",
        warn: bool = True,
    ) -> None:
        super().__init__()
        owner = "OverfittingMonitor"
        self.patience = _positive_int(patience, "patience", owner)
        if not isinstance(min_delta, int | float) or not min_delta >= 0:
            raise InvalidParameterError(
                f"Invalid value for argument `min_delta` of {owner}: expected a number >= 0. "
                f"Received: min_delta={min_delta!r}."
            )
        self.min_delta = float(min_delta)
        self.action = _check_action(action, owner)
        self.monitor = monitor
        self.train_monitor = train_monitor
        self.warn = bool(warn)
        self._reset()

    def _reset(self) -> None:
        self.events: list[Event] = []
        self.gaps: list[float] = []
        self.best_epoch: int | None = None
        self._best_val = math.inf
        self._best_gap: float | None = None
        self._prev: tuple[float, float] | None = None
        self._streak = 0
        self._streak_start: int | None = None

    def on_train_begin(self, logs: dict[str, Any] | None = None) -> None:
        self._reset()

    def on_epoch_end(self, epoch: int, logs: dict[str, Any] | None = None) -> None:
        val = _float_log(logs, self.monitor)
        train = _float_log(logs, self.train_monitor)
        if val is None or train is None:
            missing = self.monitor if val is None else self.train_monitor
            raise DataError(
                f"OverfittingMonitor needs {missing!r} in the epoch logs. "
                f"Received keys: {sorted(logs or {})}. "
                "Pass validation_data=... or validation_split=... to model.fit, or set "
                "monitor=/train_monitor= to keys that exist."
            )
        if not (math.isfinite(val) and math.isfinite(train)):
            return  # the divergence guard's business
        gap = val - train
        self.gaps.append(gap)
        if val < self._best_val:
            self._best_val, self.best_epoch, self._best_gap = val, int(epoch), gap
        if self._prev is not None:
            prev_train, prev_val = self._prev
            rising = val > prev_val + self.min_delta
            falling = train < prev_train - self.min_delta
            if rising and falling:
                self._streak += 1
                if self._streak_start is None:
                    self._streak_start = int(epoch)
            else:
                self._streak, self._streak_start = 0, None
        self._prev = (train, val)
        if self._streak >= self.patience:
            self._fire(int(epoch), train, val, gap)
            self._streak, self._streak_start = 0, None

    def _fire(self, epoch: int, train: float, val: float, gap: float) -> None:
        stop = self.action == "stop"
        msg = (
            f"Overfitting at epoch {epoch + 1}: {self.monitor} rose for {self.patience} epochs in a "
            f"row (since epoch {(self._streak_start or epoch) + 1}) while {self.train_monitor} "
            f"fell. Generalisation gap ({self.monitor} - {self.train_monitor}) is {gap:.4g} now "
            f"({self.train_monitor}={train:.4g}, {self.monitor}={val:.4g}) against "
            f"{(self._best_gap or 0.0):.4g} at the best epoch {(self.best_epoch or 0) + 1} "
            f"({self.monitor}={self._best_val:.4g}). "
            + (
                "Training stopped. "
                if stop
                else "Consider EarlyStopping(restore_best_weights=True), "
            )
            + "More data, regularisation (dropout, weight decay) or a smaller model reduce the gap."
        )
        self.events.append(
            Event(
                kind="overfitting",
                epoch=epoch,
                batch=None,
                message=msg,
                details={
                    "loss": train,
                    "val_loss": val,
                    "gap": gap,
                    "best_epoch": self.best_epoch,
                    "best_val_loss": self._best_val,
                    "best_gap": self._best_gap,
                    "stopped": stop,
                },
            )
        )
        if self.warn:
            warnings.warn(msg, OverfittingWarning, stacklevel=2)
        if stop and self.model is not None:
            self.model.stop_training = True


class DivergenceGuard(keras.callbacks.Callback):
    """Catch a loss that goes NaN/inf, explodes, or never moves from its initial value.

    Checks, with the likely causes named in the message (learning rate, logits vs
    probabilities, unscaled target, frozen weights), read from the model itself where
    possible:

    - **nonfinite**: the training loss of a batch (or an epoch) is NaN or inf.
    - **explosion**: an epoch's training loss is more than ``explosion_factor`` times the
      lowest loss seen so far (the first batch's loss counts: it is the loss at the
      initial weights).
    - **stuck**: for ``stuck_epochs`` epochs the training loss stayed within relative
      tolerance ``stuck_rtol`` of the first epoch's loss.

    Each check fires at most once per ``fit``. With ``action="stop"`` (default) training
    stops; with ``"warn"`` only a :class:`DivergenceWarning` is issued.

    Args:
        action: ``"stop"`` (default) or ``"warn"``.
        explosion_factor: growth over the lowest loss that counts as an explosion. Default 10.
        stuck_epochs: epochs without movement that count as stuck. Default 3.
        stuck_rtol: relative change below which the loss "did not move". Default 1e-4.
        monitor: the training key in the logs. Default ``"loss"``.
        warn: issue the :class:`DivergenceWarning` (default True). With ``warn=False`` the
            events are only collected in :attr:`events` (nothing is printed).

    Attributes:
        events: the :class:`Event` records issued; ``details["causes"]`` lists the causes.

    Example:
        Pass it to ``model.fit(x, y, callbacks=[guard])``; attached to a model it reads the
        learning rate, the loss and the last activation from it (``learning rate too high
        (it is 5): ...``). Here its hooks are fed a NaN batch loss by hand, without a model:

        >>> from losslab.callbacks import DivergenceGuard
        >>> guard = DivergenceGuard(warn=False)
        >>> guard.on_epoch_begin(0)
        >>> guard.on_train_batch_end(0, {"loss": 2.3})
        >>> guard.on_train_batch_end(1, {"loss": float("nan")})
        >>> event = guard.events[0]
        >>> event.kind, event.epoch, event.batch
        ('nonfinite', 0, 1)
        >>> event.message
        'The training loss became nan at epoch 1, batch 2. Training stopped. Likely causes: (1) learning rate too high: ...'
    """

    def __init__(
        self,
        *,
        action: Action = "stop",
        explosion_factor: float = 10.0,
        stuck_epochs: int = 3,
        stuck_rtol: float = 1e-4,
        monitor: str = "loss",
        warn: bool = True,
    ) -> None:
        super().__init__()
        owner = "DivergenceGuard"
        self.action = _check_action(action, owner)
        if not isinstance(explosion_factor, int | float) or not explosion_factor > 1:
            raise InvalidParameterError(
                f"Invalid value for argument `explosion_factor` of {owner}: expected a number "
                f"> 1. Received: explosion_factor={explosion_factor!r}."
            )
        self.explosion_factor = float(explosion_factor)
        self.stuck_epochs = _positive_int(stuck_epochs, "stuck_epochs", owner)
        if not isinstance(stuck_rtol, int | float) or not stuck_rtol >= 0:
            raise InvalidParameterError(
                f"Invalid value for argument `stuck_rtol` of {owner}: expected a number >= 0. "
                f"Received: stuck_rtol={stuck_rtol!r}."
            )
        self.stuck_rtol = float(stuck_rtol)
        self.monitor = monitor
        self.warn = bool(warn)
        self._reset()

    def _reset(self) -> None:
        self.events: list[Event] = []
        self._fired: set[str] = set()
        self._epoch = 0
        self._initial: float | None = None  # first batch loss: loss at the initial weights
        self._lowest = math.inf
        self._epoch_losses: list[float] = []

    def on_train_begin(self, logs: dict[str, Any] | None = None) -> None:
        self._reset()

    def on_epoch_begin(self, epoch: int, logs: dict[str, Any] | None = None) -> None:
        self._epoch = int(epoch)

    def on_train_batch_end(self, batch: int, logs: dict[str, Any] | None = None) -> None:
        loss = _float_log(logs, self.monitor)
        if loss is None:
            return
        if not math.isfinite(loss):
            self._fire("nonfinite", batch, loss)
            return
        if self._initial is None:
            self._initial = loss
            self._lowest = min(self._lowest, loss)

    def on_epoch_end(self, epoch: int, logs: dict[str, Any] | None = None) -> None:
        loss = _float_log(logs, self.monitor)
        if loss is None:
            return
        if not math.isfinite(loss):
            self._fire("nonfinite", None, loss)
            return
        if self._initial is None:
            self._initial = loss
        if loss > self.explosion_factor * self._lowest and self._lowest > 0:
            self._fire("explosion", None, loss)
        self._lowest = min(self._lowest, loss)
        self._epoch_losses.append(loss)
        if len(self._epoch_losses) > self.stuck_epochs:
            first = self._epoch_losses[0]
            window = self._epoch_losses[-self.stuck_epochs :]
            tol = self.stuck_rtol * max(abs(first), 1e-12)
            if all(abs(v - first) <= tol for v in window):
                self._fire("stuck", None, loss)

    def _fire(self, kind: str, batch: int | None, loss: float) -> None:
        if kind in self._fired:
            if kind == "nonfinite" and self.action == "stop" and self.model is not None:
                self.model.stop_training = True
            return
        self._fired.add(kind)
        causes = likely_causes(
            self.model,
            "nonfinite" if kind == "nonfinite" else kind,  # type: ignore[arg-type]
            initial_loss=self._initial,
        )
        where = f"epoch {self._epoch + 1}" + (f", batch {batch + 1}" if batch is not None else "")
        if kind == "nonfinite":
            what = f"The training {self.monitor} became {loss} at {where}."
        elif kind == "explosion":
            what = (
                f"The training {self.monitor} exploded at {where}: {loss:.4g}, more than "
                f"{self.explosion_factor:g}x the lowest value so far ({self._lowest:.4g})."
            )
        else:
            what = (
                f"The training {self.monitor} is stuck at its initial value: {loss:.6g} after "
                f"{len(self._epoch_losses)} epochs (first epoch {self._epoch_losses[0]:.6g}, "
                f"relative change <= {self.stuck_rtol:g})."
            )
        stop = self.action == "stop"
        msg = (
            what
            + (" Training stopped." if stop else "")
            + " Likely causes: "
            + "; ".join(f"({i}) {c}" for i, c in enumerate(causes, 1))
            + "."
        )
        self.events.append(
            Event(
                kind=kind,
                epoch=self._epoch,
                batch=batch,
                message=msg,
                details={
                    "loss": loss if math.isfinite(loss) else str(loss),
                    "initial_loss": self._initial,
                    "lowest_loss": self._lowest if math.isfinite(self._lowest) else None,
                    "learning_rate": learning_rate(self.model) if self.model is not None else None,
                    "causes": causes,
                    "stopped": stop,
                },
            )
        )
        if self.warn:
            warnings.warn(msg, DivergenceWarning, stacklevel=2)
        if stop and self.model is not None:
            self.model.stop_training = True
