"""Exceptions a user can act on.

Every message follows one format: what is wrong, what was received, how to fix it.
The CLI prints ``str(error)`` on one line and exits with code 2 for these.
"""

from __future__ import annotations

__all__ = ["LosslabError", "UnknownLossError", "InvalidParameterError", "DataError", "TaskMismatchError"]


class LosslabError(ValueError):
    """Base class for mistakes in a user's input (a ValueError, so generic handlers catch it)."""


class UnknownLossError(LosslabError, KeyError):
    """A loss name that is not in the catalog."""

    def __str__(self) -> str:  # KeyError would quote the message
        return str(self.args[0]) if self.args else ""


class InvalidParameterError(LosslabError):
    """A hyperparameter outside its valid range, of the wrong type, or unknown."""


class DataError(LosslabError):
    """Data that cannot be read or does not fit what was asked of it."""


class TaskMismatchError(LosslabError):
    """A loss that does not fit the task or the target's values."""
