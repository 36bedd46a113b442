"""What ``doctor`` needs to know about the loss and the model's output: the kind of loss
(from its catalog entry when it has one), its logits switch, the output activation, and
NumPy cross-entropies to quote both readings of the outputs in the evidence."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

import numpy as np

from losslab.errors import DataError, LosslabError

__all__ = ["LossInfo", "LossKind", "identify_loss", "loss_constructor", "numpy_bce", "numpy_ce", "output_activation"]


class LossKind(StrEnum):
    """How ``doctor`` reads a loss: the label layout and output it expects."""

    BCE = "bce"  # binary cross-entropy family: targets in [0, 1] per unit
    CCE = "cce"  # categorical cross-entropy: one-hot rows
    SPARSE = "sparse"  # sparse categorical cross-entropy: integer labels 0..K-1
    REGRESSION = "regression"
    COUNT = "count"
    OTHER = "other"

    @property
    def is_classification(self) -> bool:
        return self in (LossKind.BCE, LossKind.CCE, LossKind.SPARSE)


@dataclass
class LossInfo:
    """The loss as ``doctor`` sees it."""

    kind: LossKind
    from_logits: bool
    name: str
    squared: bool = False
    switch: str = "from_logits"


def kind_from_spec(spec: Any) -> LossKind:
    """The kind of a catalog entry, from its family and target requirements.

    >>> import losslab
    >>> [kind_from_spec(losslab.get_spec(n)).value for n in ("bce", "cce", "scce", "mse", "poisson", "hinge")]
    ['bce', 'cce', 'sparse', 'regression', 'count', 'other']
    """
    from losslab._vocab import Requirement, TaskKind

    requires = {Requirement.parse(r) for r in spec.requires}
    try:
        task = TaskKind.parse(spec.family.value)
    except ValueError:
        return LossKind.OTHER
    if task is TaskKind.REGRESSION:
        return LossKind.REGRESSION
    if task is TaskKind.COUNT:
        return LossKind.COUNT
    if task is TaskKind.MULTICLASS and Requirement.INTEGER_LABELS in requires:
        return LossKind.SPARSE
    if task in (TaskKind.MULTICLASS, TaskKind.ORDINAL) and Requirement.ONE_HOT in requires:
        return LossKind.CCE  # one score per class (ordinal CORAL/CORN logits are not)
    if task in (TaskKind.BINARY, TaskKind.MULTILABEL) and Requirement.BINARY in requires:
        return LossKind.BCE
    return LossKind.OTHER


def _squared(spec: Any) -> bool:
    """A squared error of the target itself (its scale drives the loss)."""
    from losslab.catalog import Family, Robustness

    return spec.family is Family.REGRESSION and spec.statistic == "mean" and spec.robustness is Robustness.NONE


def _norm(text: str) -> str:
    return "".join(ch for ch in text.lower() if ch.isalnum())


def kind_from_name(name: str) -> LossKind | None:
    """A guess from the name, for a user's loss object without a catalog entry.

    >>> kind_from_name("MySparseCategoricalLoss"), kind_from_name("huber_like"), kind_from_name("zzz")
    (<LossKind.SPARSE: 'sparse'>, <LossKind.REGRESSION: 'regression'>, None)
    """
    n = _norm(name)
    if "sparsecategorical" in n:
        return LossKind.SPARSE
    if "categorical" in n:
        return LossKind.CCE
    if "binary" in n:
        return LossKind.BCE
    if n in ("mse", "mae", "l2", "l1", "huber", "huberloss", "logcosh", "msle", "mape") or any(
        k in n for k in ("meansquared", "meanabsolute", "logcosh", "huber")
    ):
        return LossKind.REGRESSION
    if "poisson" in n:
        return LossKind.COUNT
    return None


def _catalog_entry(obj: Any, names: list[str]) -> Any:
    """The catalog entry of a loss object: by its class, then by its names (exact or alias)."""
    import keras

    from losslab.catalog import get_spec
    from losslab.verify._subject import spec_for_class

    if isinstance(obj, keras.losses.Loss):
        spec = spec_for_class(type(obj))
        if spec is not None:
            return spec
    for n in names:
        try:
            return get_spec(n)
        except LosslabError:
            continue
    return None


def _from_logits(obj: Any, switch: str) -> bool:
    cfg: Mapping[str, Any] = {}
    try:
        cfg = obj.get_config() if hasattr(obj, "get_config") else {}
    except Exception:
        cfg = {}
    if switch in cfg:
        return bool(cfg[switch])
    if hasattr(obj, switch):
        return bool(getattr(obj, switch))
    kwargs = getattr(obj, "_fn_kwargs", None)  # keras's LossFunctionWrapper keeps them there
    return bool(kwargs.get(switch, False)) if isinstance(kwargs, dict) else False


def _resolve(loss: Any) -> tuple[Any, Any]:
    """(spec or None, loss object) for a name or an object."""
    import keras

    from losslab.catalog import get_spec

    if not isinstance(loss, str):
        return None, loss
    try:
        spec = get_spec(loss)
    except LosslabError:
        try:
            return None, keras.losses.get(loss)
        except Exception:
            raise DataError(f"Unknown loss {loss!r}. Pass a catalog name (losslab losses) or a Keras loss name.") from None
    return spec, spec.build()


def identify_loss(loss: Any) -> LossInfo:
    """Kind, logits switch and display name of a loss (object or catalog / Keras name).

    Raises:
        DataError: an unknown name or an object that is not a loss.
    """
    spec, obj = _resolve(loss)
    if spec is None and not callable(obj):
        raise DataError(f"Not a loss: {obj!r}. Compile the model with a loss or pass loss=...")
    names = [type(obj).__name__, getattr(obj, "name", "") or "", getattr(obj, "__name__", "") or ""]
    fn = getattr(obj, "fn", None)
    if fn is not None:
        names.append(getattr(fn, "__name__", ""))
    spec = spec or _catalog_entry(obj, [n for n in names if n])
    label = next((n for n in names if n), "loss")
    if spec is not None:
        kind, squared = kind_from_spec(spec), _squared(spec)
    else:
        guesses = [kind_from_name(n) for n in names if n]
        kind = next((k for k in guesses if k is not None), LossKind.OTHER)
        joined = _norm(" ".join(names))
        squared = any(k in joined for k in ("squared", "mse", "l2")) and "log" not in joined
    switch = (spec.from_logits_param if spec is not None else None) or "from_logits"
    return LossInfo(kind, _from_logits(obj, switch), label, squared, switch)


def output_activation(model: Any) -> str:
    """The activation of the model's output (``"linear"`` when there is none)."""
    import keras

    for layer in reversed(model.layers):
        if isinstance(layer, keras.layers.Softmax):
            return "softmax"
        act = getattr(layer, "activation", None)
        if act is not None:
            name = getattr(act, "__name__", None) or str(keras.activations.serialize(act))
            if isinstance(layer, keras.layers.Activation) or name != "linear" or layer.weights:
                return name
        if layer.weights:
            return "linear"
    return "linear"


def numpy_bce(y: np.ndarray, out: np.ndarray, logits: bool) -> float:
    """Mean binary cross-entropy of outputs read as logits or as probabilities."""
    y = y.astype(np.float64).reshape(out.shape)
    if logits:
        z = out.astype(np.float64)
        v = np.maximum(z, 0) - z * y + np.log1p(np.exp(-np.abs(z)))
    else:
        p = np.clip(out.astype(np.float64), 1e-7, 1 - 1e-7)
        v = -(y * np.log(p) + (1 - y) * np.log(1 - p))
    return float(np.mean(v))


def numpy_ce(labels: np.ndarray, out: np.ndarray, logits: bool) -> float:
    """Mean categorical cross-entropy of outputs read as logits or as probabilities."""
    z = out.astype(np.float64)
    idx = np.arange(z.shape[0])
    if logits:
        m = z.max(-1, keepdims=True)
        lse = (m + np.log(np.exp(z - m).sum(-1, keepdims=True)))[:, 0]
        return float(np.mean(lse - z[idx, labels]))
    p = np.clip(z / np.clip(z.sum(-1, keepdims=True), 1e-7, None), 1e-7, 1.0)
    return float(np.mean(-np.log(p[idx, labels])))


def loss_constructor(loss_obj: Any, info: LossInfo) -> str:
    """How to write the loss's constructor in a fix."""
    import keras

    if isinstance(loss_obj, keras.losses.Loss):
        cls = type(loss_obj)
        if cls.__module__.startswith("keras"):
            return f"keras.losses.{cls.__name__}"
        if cls.__module__.startswith("losslab"):
            return f"{cls.__module__}.{cls.__name__}"
        return cls.__name__
    default = {LossKind.BCE: "BinaryCrossentropy", LossKind.CCE: "CategoricalCrossentropy", LossKind.SPARSE: "SparseCategoricalCrossentropy"}
    return f"keras.losses.{default.get(info.kind, 'BinaryCrossentropy')}"
