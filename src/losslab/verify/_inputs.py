"""The inputs of the check battery: which generator, the arrays, and what ``y_pred`` holds.

The generator comes from (first match) the user's sample data, ``inputs=``, the loss's
catalog entry, ``family=``, or the regression generator. :class:`ValueKind` says what the
predictions are (probabilities, logits, a simplex, positive values ...); the probes and
checks decide from it and from the catalog entry, never from the loss's name.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import Any

import numpy as np

from losslab.errors import InvalidParameterError, LosslabError

__all__ = ["ELEMENTWISE_INPUTS", "Inputs", "ValueKind", "choose_inputs", "load_sample_data", "value_kind"]

SAMPLE_DATA = "sample data"

# generators whose predictions are probabilities, distributions or logits
_PROB = frozenset({"binary_prob", "binary", "multilabel", "segmentation"})
_SIMPLEX = frozenset({"onehot", "sparse", "distribution"})
_LOGITS = frozenset({"binary_logits", "onehot_logits", "multilabel_logits"})
#: Generators whose columns are independent targets: one column of them is a valid input.
ELEMENTWISE_INPUTS = frozenset(
    {"regression", "positive", "nonnegative", "binary_prob", "binary", "binary_logits", "multilabel", "multilabel_logits", "hinge", SAMPLE_DATA}
)


class ValueKind(StrEnum):
    """What ``y_pred`` holds."""

    LOGITS = "logits"
    PROB = "prob"
    SIMPLEX = "simplex"
    POSITIVE = "positive"
    SCORES = "scores"
    EMBEDDING = "embedding"
    REAL = "real"

    @property
    def shares_target_space(self) -> bool:
        """A prediction can equal its target (real values, positive values, probabilities)."""
        return self in (ValueKind.REAL, ValueKind.POSITIVE, ValueKind.PROB, ValueKind.SIMPLEX)


@dataclass(frozen=True)
class Inputs:
    """The battery's valid inputs: ``y_true``, ``y_pred``, where they came from, their kind."""

    y_true: np.ndarray
    y_pred: np.ndarray
    source: str
    kind: ValueKind
    note: str = ""


def load_sample_data(path: str | os.PathLike[str]) -> tuple[np.ndarray, np.ndarray]:
    """Read user sample data for ``check`` from an ``.npz`` with arrays ``y_true``, ``y_pred``.

    Raises:
        LosslabError: missing file, unreadable file or missing arrays.
    """
    p = Path(path)
    if not p.is_file():
        raise LosslabError(f"Sample data file not found. Received: {str(p)!r}. Pass an existing .npz file.")
    try:
        with np.load(p) as data:
            keys = set(data.files)
            if not {"y_true", "y_pred"} <= keys:
                raise LosslabError(
                    f"Sample data must hold arrays 'y_true' and 'y_pred'. Received arrays: "
                    f"{sorted(keys)} in {str(p)!r}. Save with np.savez(path, y_true=..., y_pred=...)."
                )
            return np.asarray(data["y_true"]), np.asarray(data["y_pred"])
    except LosslabError:
        raise
    except Exception as e:
        raise LosslabError(
            f"Could not read sample data {str(p)!r} ({type(e).__name__}: {e}). "
            "Save it with np.savez(path, y_true=..., y_pred=...)."
        ) from None


def value_kind(gen: str, params: Mapping[str, Any], spec: Any, y_pred: np.ndarray) -> ValueKind:
    """What ``y_pred`` holds, from the generator and the logits switch (else from the values).

    >>> value_kind("binary", {"from_logits": True}, None, np.zeros((2, 1)))
    <ValueKind.LOGITS: 'logits'>
    >>> value_kind(SAMPLE_DATA, {}, None, np.array([[0.2, 0.8], [0.5, 0.5]]))
    <ValueKind.SIMPLEX: 'simplex'>
    """
    switch = getattr(spec, "from_logits_param", None) or "from_logits"
    from_logits = bool(params.get(switch, False))
    if gen in _LOGITS or (from_logits and gen in _PROB | _SIMPLEX):
        return ValueKind.LOGITS
    by_generator = {"positive": ValueKind.POSITIVE, "nonnegative": ValueKind.POSITIVE, "hinge": ValueKind.SCORES, "embedding_labels": ValueKind.EMBEDDING}
    if gen in _PROB:
        return ValueKind.PROB
    if gen in _SIMPLEX:
        return ValueKind.SIMPLEX
    if gen in by_generator:
        return by_generator[gen]
    yp = np.asarray(y_pred, dtype=np.float64)
    if yp.size and yp.min() >= 0 and yp.max() <= 1:
        if yp.ndim >= 2 and yp.shape[-1] > 1 and np.allclose(yp.sum(-1), 1, atol=1e-4):
            return ValueKind.SIMPLEX
        return ValueKind.PROB
    if yp.size and yp.min() > 0:
        return ValueKind.POSITIVE
    return ValueKind.REAL


def _sample(data: tuple[Any, Any] | str | os.PathLike[str]) -> tuple[np.ndarray, np.ndarray]:
    if isinstance(data, str | os.PathLike):
        yt, yp = load_sample_data(data)
    else:
        yt, yp = (np.asarray(a) for a in data)
    if yt.shape[:1] != yp.shape[:1] or yt.ndim == 0 or yt.shape[0] < 4:
        raise LosslabError(
            f"Sample data must have the same number (>= 4) of samples in y_true and y_pred. "
            f"Received: y_true {yt.shape}, y_pred {yp.shape}."
        )
    return yt, yp


def _generator(spec: Any, family: str | None, inputs: str | None) -> tuple[str, str]:
    """The generator's name and a note when it was chosen by default."""
    from losslab.catalog import Family
    from losslab.verify.authoring import DEFAULT_HEAD, default_inputs

    if inputs is not None:
        return inputs, ""
    if spec is not None:
        return spec.inputs, ""
    if family is not None:
        try:
            fam = Family.parse(family)
        except ValueError as e:
            raise InvalidParameterError(str(e)) from None
        return default_inputs(fam, DEFAULT_HEAD.get(fam, next(iter(DEFAULT_HEAD.values())))), ""
    return "regression", (
        "inputs: the regression generator (real y_true and y_pred of shape (N, 3)); "
        "pass family=/inputs=/data= for other kinds of targets"
    )


def choose_inputs(
    spec: Any,
    params: Mapping[str, Any],
    *,
    family: str | None,
    inputs: str | None,
    data: tuple[Any, Any] | str | os.PathLike[str] | None,
    batch: int,
    seed: int,
) -> Inputs:
    """The battery's inputs (see the module docstring for the order of the sources).

    Raises:
        InvalidParameterError: unknown family or generator.
        LosslabError: unreadable or inconsistent sample data.
    """
    from losslab.catalog import inputs as generators
    from losslab.verify.authoring import register_extra_generators

    register_extra_generators()
    note = ""
    if data is not None:
        yt, yp = _sample(data)
        gen = SAMPLE_DATA
    else:
        gen, note = _generator(spec, family, inputs)
        if gen not in generators.input_names():
            raise InvalidParameterError(
                f"Unknown input generator. Received: inputs={gen!r}. Known: {', '.join(generators.input_names())}."
            )
        yt, yp = generators.generate(gen, batch, params, seed)
    yt = np.asarray(yt)
    if not np.issubdtype(yt.dtype, np.integer):
        yt = yt.astype(np.float32)
    yp = np.asarray(yp, dtype=np.float32)
    return Inputs(yt, yp, gen, value_kind(gen, params, spec, yp), note)
