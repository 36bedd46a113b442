"""JSON-lines loss logger: one line per epoch (and optionally per batch), flushed as written."""

from __future__ import annotations

import json
import math
import time
from pathlib import Path
from typing import IO, Any

import keras

from losslab.errors import DataError, InvalidParameterError

__all__ = ["LossLogger", "read_loss_log"]


def _jsonable(logs: dict[str, Any] | None) -> tuple[dict[str, float | None], list[str]]:
    """Floats for every log value; non-finite values become ``None`` and are listed apart."""
    values: dict[str, float | None] = {}
    nonfinite: list[str] = []
    for key, raw in (logs or {}).items():
        try:
            value = float(raw)
        except (TypeError, ValueError):
            continue  # non-scalar logs (rare) are not losses
        if math.isfinite(value):
            values[key] = value
        else:
            values[key] = None
            nonfinite.append(key)
    return values, nonfinite


class LossLogger(keras.callbacks.Callback):
    """Write the training and validation losses to a JSON-lines file as training runs.

    Every line is one JSON object. Epoch lines::

        {"event": "epoch", "epoch": 0, "elapsed_s": 0.41, "loss": 0.52, "val_loss": 0.61}

    and, with ``per_batch=True``, batch lines::

        {"event": "batch", "epoch": 0, "batch": 3, "loss": 0.58}

    Every metric in Keras's ``logs`` is written. A non-finite value (NaN, inf) is written
    as ``null`` and its key is listed under ``"nonfinite"``, so the file stays valid JSON.
    Each line is flushed when written: the file can be followed while training runs.

    Args:
        path: file to write (parent directories are created).
        per_batch: also write one line per training batch. Default ``False``.
        append: append to an existing file instead of replacing it. Default ``False``.
        run: optional label stored in every line (e.g. the loss name or the seed).

    Example:
        Pass it to ``model.fit(x, y, validation_split=0.2, callbacks=[logger])``; here its
        hooks are called by hand for two epochs:

        >>> from losslab.callbacks import LossLogger, read_loss_log
        >>> logger = LossLogger("runs/loss.jsonl", run="huber")
        >>> logger.on_train_begin()
        >>> logger.on_epoch_end(0, {"loss": 0.52, "val_loss": 0.61})
        >>> logger.on_epoch_end(1, {"loss": 0.40, "val_loss": float("nan")})
        >>> logger.on_train_end()
        >>> for row in read_loss_log("runs/loss.jsonl"):
        ...     print(row["epoch"], row["loss"], row["val_loss"], row.get("nonfinite"))
        0 0.52 0.61 None
        1 0.4 None ['val_loss']
    """

    def __init__(
        self,
        path: str | Path,
        *,
        per_batch: bool = False,
        append: bool = False,
        run: str | None = None,
    ) -> None:
        super().__init__()
        if not isinstance(path, str | Path) or str(path) == "":
            raise InvalidParameterError(
                f"LossLogger needs a file path. Received: path={path!r}. "
                "Pass a path such as 'runs/loss.jsonl'."
            )
        self.path = Path(path)
        self.per_batch = bool(per_batch)
        self.append = bool(append)
        self.run = run
        self._fh: IO[str] | None = None
        self._epoch = 0
        self._t0 = 0.0

    def _write(self, record: dict[str, Any]) -> None:
        if self._fh is None:  # used outside fit (e.g. called by hand)
            self._open()
        assert self._fh is not None
        if self.run is not None:
            record = {"run": self.run, **record}
        self._fh.write(json.dumps(record, allow_nan=False) + "\n")
        self._fh.flush()

    def _open(self) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._fh = open(self.path, "a" if self.append else "w", encoding="utf-8")  # noqa: SIM115
        self.append = True  # a second fit on the same logger continues the file
        self._t0 = time.perf_counter()

    def on_train_begin(self, logs: dict[str, Any] | None = None) -> None:
        self._open()

    def on_epoch_begin(self, epoch: int, logs: dict[str, Any] | None = None) -> None:
        self._epoch = int(epoch)

    def on_train_batch_end(self, batch: int, logs: dict[str, Any] | None = None) -> None:
        if not self.per_batch:
            return
        values, nonfinite = _jsonable(logs)
        record: dict[str, Any] = {"event": "batch", "epoch": self._epoch, "batch": int(batch)}
        record.update(values)
        if nonfinite:
            record["nonfinite"] = nonfinite
        self._write(record)

    def on_epoch_end(self, epoch: int, logs: dict[str, Any] | None = None) -> None:
        values, nonfinite = _jsonable(logs)
        record: dict[str, Any] = {
            "event": "epoch",
            "epoch": int(epoch),
            "elapsed_s": round(time.perf_counter() - self._t0, 4),
        }
        record.update(values)
        if nonfinite:
            record["nonfinite"] = nonfinite
        self._write(record)

    def on_train_end(self, logs: dict[str, Any] | None = None) -> None:
        if self._fh is not None:
            self._fh.close()
            self._fh = None


def read_loss_log(path: str | Path, *, event: str | None = "epoch") -> list[dict[str, Any]]:
    """Read a file written by :class:`LossLogger`.

    Args:
        path: the JSON-lines file.
        event: keep only ``"epoch"`` or ``"batch"`` lines; ``None`` keeps every line.

    Returns:
        One dict per line, in file order (``null`` values read back as ``None``).

    Example:
        >>> import json
        >>> rows = [
        ...     {"event": "epoch", "epoch": 0, "loss": 0.5, "val_loss": 0.6},
        ...     {"event": "batch", "epoch": 0, "batch": 0, "loss": 0.7},
        ... ]
        >>> with open("loss.jsonl", "w") as f:
        ...     for row in rows:
        ...         print(json.dumps(row), file=f)
        >>> [r["val_loss"] for r in read_loss_log("loss.jsonl")]
        [0.6]
        >>> [r["event"] for r in read_loss_log("loss.jsonl", event=None)]
        ['epoch', 'batch']
    """
    p = Path(path)
    if not p.is_file():
        raise DataError(
            f"No loss log at this path. Received: {str(p)!r}. "
            "Pass the path given to LossLogger(path=...)."
        )
    rows: list[dict[str, Any]] = []
    with open(p, encoding="utf-8") as fh:
        for lineno, line in enumerate(fh, 1):
            if not line.strip():
                continue
            try:
                row = json.loads(line)
            except json.JSONDecodeError as e:
                raise DataError(
                    f"Line {lineno} of {str(p)!r} is not JSON ({e.msg}). Received: {line[:80]!r}. "
                    "The file must be written by LossLogger (one JSON object per line)."
                ) from None
            if event is None or row.get("event") == event:
                rows.append(row)
    return rows
