"""The positive heads' guard and the way back to target units, shared by both engines.

A positive head (log link, softplus) trains on ``y / mean(y_train)``
(:func:`losslab.experiment.heads.target_scaling`); its prediction is mapped back to the
target's units and capped to the raw training targets' range widened by
:data:`POSITIVE_LOG_MARGIN` in log units (:func:`positive_bounds`); the cap on validation /
test rows is recorded as a training warning (:func:`extrapolation_events`). The exported
model applies the same steps in the same order.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

from losslab.catalog import Head, LossSpec
from losslab.experiment.heads import HeadSpec, clip_positive, to_prediction

__all__ = [
    "POSITIVE_LOG_MARGIN",
    "extrapolation_events",
    "positive_bounds",
    "prediction_in_target_units",
]

def prediction_in_target_units(
    spec: LossSpec,
    hs: HeadSpec,
    raw: np.ndarray,
    params: Mapping[str, Any],
    *,
    shift: np.ndarray,
    scale: np.ndarray | None,
    target_dim: int,
    bounds: tuple[float, float] | None = None,
) -> np.ndarray:
    """:func:`~losslab.experiment.heads.to_prediction`, mapped back from the scale the head trained on
    (:func:`~losslab.experiment.heads.target_scaling`) to the target's units, then a positive head's cap ``bounds``
    (from the raw training targets): the order the exported model follows, used by both
    engines.

    Example:
        >>> from losslab.catalog import get_spec
        >>> from losslab.experiment.heads import head_spec
        >>> spec = get_spec("poisson_nll")
        >>> hs = head_spec(spec, spec.defaults, task="count")
        >>> raw = np.log(np.array([[0.5], [2.0], [1e9]]))
        >>> prediction_in_target_units(spec, hs, raw, spec.defaults, shift=np.zeros(1),
        ...     scale=np.array([20.0]), target_dim=1, bounds=(1.0, 100.0)).ravel().tolist()
        [10.0, 40.0, 100.0]
    """
    pred = to_prediction(spec, hs, raw, params)
    if scale is not None:
        if pred.ndim > 1:  # D columns (point) or Q*D columns (quantiles, level-major)
            reps = pred.shape[-1] // target_dim
            pred = pred * np.tile(scale, reps) + np.tile(shift, reps)
        else:
            pred = pred * scale[0] + shift[0]
    if bounds is not None and hs.head == Head.POSITIVE:
        return clip_positive(pred, bounds)
    return pred


# ---------------------------------------------------------------------------- positive guard
_EXTRAPOLATION_CAUSE = "the link extrapolates exp(raw) on rows with unusual feature values"
POSITIVE_LOG_MARGIN = 1.0
"""Margin, in log units, around the training targets' range that a positive head's
prediction may reach: ``[min positive y / e, max y * e]`` (the log-rate capped to
``[log(min positive y) - 1, log(max y) + 1]``)."""


def positive_bounds(y_train: np.ndarray, *, margin: float = POSITIVE_LOG_MARGIN) -> tuple[float, float] | None:
    """``(low, high)`` a positive head's prediction is capped to, from the training targets.

    A log-link head predicts ``exp(raw)``: rows with unusual feature values can reach
    values far outside anything seen in training (1e17 where targets are below 1e3). The cap
    is ``[exp(log(min positive y) - margin), exp(log(max y) + margin)]``; the exported model
    applies the same bounds (stored with the run's preprocessing).

    Returns None when the training targets hold no positive finite value.

    Example:
        >>> low, high = positive_bounds(np.array([0.0, 1.0, 10.0]))
        >>> round(low, 4), round(high, 3)   # 1 / e, 10 e
        (0.3679, 27.183)
    """
    y = np.asarray(y_train, dtype=np.float64).reshape(-1)
    pos = y[np.isfinite(y) & (y > 0)]
    if pos.size == 0:
        return None
    return float(np.exp(np.log(pos.min()) - margin)), float(np.exp(np.log(pos.max()) + margin))


def extrapolation_events(
    hs: HeadSpec,
    spec: LossSpec,
    params: Mapping[str, Any],
    raw_by_split: Mapping[str, np.ndarray],
    bounds: tuple[float, float] | None,
    *,
    epoch: int,
    scale: np.ndarray | None = None,
) -> list[dict[str, Any]]:
    """Training-warning events (trial record format) for the rows of each split whose
    positive-head prediction ``clip_positive`` had to cap; ``[]`` when none was capped.
    ``scale``: the head's target scale (``heads.target_scaling``), so predictions are
    compared with ``bounds`` in the target's units.

    Example:
        >>> from losslab.catalog import get_spec
        >>> from losslab.experiment.heads import head_spec
        >>> spec = get_spec("poisson_nll")
        >>> hs = head_spec(spec, spec.defaults, task="count")
        >>> ev = extrapolation_events(hs, spec, spec.defaults, {"test": np.array([[0.0], [40.0]])},
        ...                           (0.5, 30.0), epoch=3)
        >>> ev[0]["kind"], ev[0]["details"]["rows"], ev[0]["details"]["max_uncapped"] > 1e17
        ('extrapolation', 1, True)
    """
    out: list[dict[str, Any]] = []
    if bounds is None or hs.head != Head.POSITIVE:
        return out
    low, high = bounds
    for split, raw in raw_by_split.items():
        pred = to_prediction(spec, hs, raw, params) * (1.0 if scale is None else float(scale[0]))
        n = int((~np.isfinite(pred) | (pred < low) | (pred > high)).sum())
        if not n:
            continue
        top = float(np.nanmax(np.where(np.isfinite(pred), pred, np.inf)))
        out.append(
            {
                "source": "positive_guard",
                "kind": "extrapolation",
                "epoch": int(epoch),
                "batch": None,
                "message": (
                    f"{n} of {pred.size} {split} predictions fell outside [{low:.4g}, {high:.4g}] "
                    f"(training targets widened by a factor e; largest {top:.3g}) and were capped."
                ),
                "causes": [_EXTRAPOLATION_CAUSE, "try an identity-head loss (huber, mse)"],
                "details": {"split": split, "rows": n, "of": int(pred.size), "max_uncapped": top},
            }
        )
    return out
