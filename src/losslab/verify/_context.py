"""What every check function receives: the loss under test, its inputs and the means to
evaluate it (values with any reduction, gradients), plus small formatting helpers."""

from __future__ import annotations

import contextlib
import warnings
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from losslab.verify._inputs import Inputs, ValueKind

__all__ = ["CheckContext", "close", "fmt", "quiet"]


def close(a: Any, b: Any, rtol: float = 1e-4, atol: float = 1e-5) -> bool:
    """Same shape and ``allclose`` with an absolute tolerance scaled by ``b``'s magnitude.

    >>> close([1.0, 2.0], [1.0, 2.00001]), close([1.0], [1.0, 1.0]), close([float("nan")], [1.0])
    (True, False, False)
    """
    a, b = np.asarray(a, np.float64), np.asarray(b, np.float64)
    if a.shape != b.shape:
        return False
    scale = max(1.0, float(np.nanmax(np.abs(b))) if b.size else 1.0)
    return bool(np.allclose(a, b, rtol=rtol, atol=atol * scale, equal_nan=False))


def fmt(x: Any, n: int = 4) -> str:
    """A short display of numbers.

    >>> fmt(0.5), fmt([1, 2, 3, 4, 5])
    ('0.5', '[1, 2, 3, 4, ...]')
    """
    a = np.asarray(x, dtype=np.float64).reshape(-1)
    shown = ", ".join(f"{v:.6g}" for v in a[:n])
    return f"[{shown}{', ...' if a.size > n else ''}]" if a.size != 1 else f"{a[0]:.6g}"


@contextlib.contextmanager
def quiet() -> Iterator[None]:
    """No Python warnings and no NumPy floating-point messages (edges are meant to overflow)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with np.errstate(all="ignore"):
            yield


@dataclass
class CheckContext:
    """The loss under test and its inputs.

    Attributes:
        subject: the normalised loss (``losslab.verify._subject.Subject``).
        inputs: the valid inputs and their kind.
        rng: random numbers of the probes (seeded).
        direction: the labels are prediction targets, so "toward the truth" is meaningful
            (``direction=False`` for critics: Wasserstein, ranking scores ...).
        base: per-sample values on the valid inputs (set by the driver), or None.
        base_error: why ``base`` is missing.
        remote: per-backend results of the subprocess workers (``None``: not run).
        remote_reason: why ``remote`` is None.
    """

    subject: Any
    inputs: Inputs
    rng: np.random.Generator
    direction: bool = True
    base: np.ndarray | None = None
    base_error: str = ""
    remote: dict[str, dict[str, Any]] | None = None
    remote_reason: str = ""
    none: Any = field(init=False)

    def __post_init__(self) -> None:
        from losslab.verify._subject import with_reduction

        self.none = with_reduction(self.subject.obj, "none")

    # ------------------------------------------------------------------ facts
    @property
    def yt(self) -> np.ndarray:
        return self.inputs.y_true

    @property
    def yp(self) -> np.ndarray:
        return self.inputs.y_pred

    @property
    def kind(self) -> ValueKind:
        return self.inputs.kind

    @property
    def spec(self) -> Any:
        """The catalog entry (or the declaration made from ``family=``/``minimum_at_truth=``)."""
        return self.subject.spec

    @property
    def per_batch(self) -> bool:
        return bool(getattr(self.spec, "per_batch", False))

    @property
    def coupled(self) -> bool:
        """Metric-learning losses give one value per anchor computed against the whole batch."""
        from losslab.catalog import Family

        return getattr(self.spec, "family", None) is Family.METRIC_LEARNING

    @property
    def quantiles(self) -> bool:
        from losslab.catalog import Head

        return getattr(self.spec, "head", None) is Head.QUANTILES

    def truth(self) -> np.ndarray | None:
        """The perfect prediction, where "the truth" has a meaning for this loss's outputs."""
        from losslab.catalog import Head
        from losslab.verify._probes import perfect

        spec = self.spec
        if spec is not None and spec.head is Head.POSITIVE and not spec.minimum_at_truth:
            return None  # the output may be a log-rate
        return perfect(self.kind, self.yt, self.yp, quantiles=self.quantiles)

    def truth_target(self) -> np.ndarray | None:
        """The perfect prediction, when descending "toward the truth" is meaningful."""
        from losslab.catalog import Head

        truth_heads = {Head.IDENTITY, Head.POSITIVE, Head.SIGMOID, Head.BINARY_LOGITS, Head.SOFTMAX, Head.MULTICLASS_LOGITS, Head.QUANTILES, Head.SEGMENTATION}
        spec = self.spec
        if spec is not None and (spec.head not in truth_heads or spec.per_batch):
            return None
        if self.kind in (ValueKind.EMBEDDING, ValueKind.POSITIVE) and not getattr(spec, "minimum_at_truth", False):
            return None
        return self.truth()

    # ------------------------------------------------------------------ evaluation
    def values(self, yt: np.ndarray, yp: np.ndarray, obj: Any = None) -> np.ndarray:
        """Per-sample values (reduction none) as NumPy float64."""
        from losslab.verify._backend import to_numpy

        with quiet():
            return np.asarray(to_numpy((obj or self.none)(yt, yp)), dtype=np.float64)

    def reduced(self, reduction: str, yt: np.ndarray, yp: np.ndarray, w: np.ndarray | None = None) -> float:
        """The loss with a Keras reduction (and sample weights) as a float."""
        from losslab.verify._backend import to_numpy
        from losslab.verify._subject import with_reduction

        obj = with_reduction(self.subject.obj, reduction)
        with quiet():
            out = obj(yt, yp) if w is None else obj(yt, yp, sample_weight=w)
            return float(np.asarray(to_numpy(out), dtype=np.float64))

    def grad(self, yt: np.ndarray, yp: np.ndarray, reduction: str = "sum") -> tuple[float, np.ndarray]:
        """The reduced loss and its gradient with respect to ``y_pred``."""
        from losslab.verify._backend import tensor, value_and_grad
        from losslab.verify._subject import with_reduction

        obj = with_reduction(self.subject.obj, reduction)
        yt_t = tensor(yt)
        with quiet():
            return value_and_grad(lambda p: obj(yt_t, p), yp)
