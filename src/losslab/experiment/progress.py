"""Rich progress bars of ``compare``, ``run`` and ``tune``: trials done out of the total and,
for trials running in this process, the epochs of the current trial. Silent when quiet.

Example:
    >>> with TrialProgress(quiet=True, total=3, done=1) as bar:
    ...     bar.trial_done()
    ...     bar.completed
    2
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

__all__ = ["TrialProgress"]


class TrialProgress:
    """Progress of an experiment's trials (Rich bars on stderr unless ``quiet``).

    Args:
        quiet: show nothing.
        total: trials in the experiment.
        done: trials already finished (a resumed run).
        max_epochs: the epoch cap; when given, a second bar follows the current trial's epochs.
        description: label of the trials bar.
    """

    def __init__(
        self,
        *,
        quiet: bool,
        total: int,
        done: int = 0,
        max_epochs: int | None = None,
        description: str = "trials",
    ) -> None:
        self.active = not quiet
        self.total, self.completed, self.max_epochs = total, done, max_epochs
        self.description = description
        self._p: Any = None
        self._trials: Any = None
        self._epochs: Any = None

    def __enter__(self) -> TrialProgress:
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
            self._trials = self._p.add_task(
                self.description, total=self.total, completed=self.completed
            )
            if self.max_epochs is not None:
                self._epochs = self._p.add_task("epochs", total=self.max_epochs)
        return self

    def __exit__(self, *exc: Any) -> None:
        if self._p is not None:
            self._p.__exit__(*exc)
            self._p = None

    @property
    def follows_epochs(self) -> bool:
        """True when an epochs bar is shown (pass :meth:`epoch` to in-process trials)."""
        return self._epochs is not None

    def trial_start(self, trial_id: str) -> None:
        if self._epochs is not None:
            self._p.update(self._epochs, completed=0, description=f"epochs  {trial_id}")

    def epoch(self, epoch: int, logs: Mapping[str, Any]) -> None:
        if self._epochs is not None:
            self._p.update(self._epochs, completed=epoch + 1)

    def trial_done(self) -> None:
        """One more trial finished."""
        self.set_completed(self.completed + 1)

    def set_completed(self, n: int) -> None:
        self.completed = n
        if self._p is not None:
            self._p.update(self._trials, completed=n)
