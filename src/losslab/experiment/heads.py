"""Output heads from the catalog, target encoding per loss, raw output -> prediction, and the
check that a loss fits the task and the targets.

Keras is imported only inside :func:`build_head_layer`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

from losslab._vocab import Requirement, TaskKind
from losslab.catalog import Family, Head, LossSpec, list_losses
from losslab.errors import TaskMismatchError

__all__ = [
    "HeadSpec",
    "QUANTILE_PARAM_NAMES",
    "clip_positive",
    "scaling_rule",
    "target_scaling",
    "build_head_layer",
    "check_fits",
    "effective_head",
    "encode_targets",
    "head_spec",
    "quantile_levels",
    "requirements",
    "to_prediction",
]

QUANTILE_PARAM_NAMES = ("quantile", "quantiles", "tau", "taus", "q")

# which catalog families can serve each task kind
_FAMILIES: dict[TaskKind, tuple[Family, ...]] = {
    TaskKind.REGRESSION: (Family.REGRESSION, Family.PROBABILISTIC_REGRESSION, Family.COUNT),
    TaskKind.COUNT: (Family.COUNT, Family.REGRESSION, Family.PROBABILISTIC_REGRESSION),
    TaskKind.POSITIVE: (Family.REGRESSION, Family.PROBABILISTIC_REGRESSION, Family.COUNT),
    TaskKind.PROPORTION: (Family.REGRESSION, Family.PROBABILISTIC_REGRESSION, Family.BINARY),
    TaskKind.BINARY: (Family.BINARY, Family.MULTICLASS),
    TaskKind.MULTICLASS: (Family.MULTICLASS, Family.ORDINAL),
    TaskKind.ORDINAL: (Family.ORDINAL, Family.MULTICLASS),
    TaskKind.MULTILABEL: (Family.MULTILABEL, Family.BINARY),
}
_UNSUPPORTED_HEADS = (Head.EMBEDDING, Head.SEGMENTATION, Head.BOXES, Head.SEQUENCE)


@dataclass(frozen=True)
class HeadSpec:
    """The last layer a model needs: ``units`` linear outputs followed by ``activation``.

    Attributes:
        head: the catalog :class:`Head` (after a ``from_logits`` flip).
        units: number of outputs.
        activation: Keras activation name (``"linear"``, ``"sigmoid"``, ``"softmax"``).
    """

    head: Head
    units: int
    activation: str

    def to_dict(self) -> dict[str, Any]:
        return {"head": self.head.value, "units": self.units, "activation": self.activation}


def quantile_levels(spec: LossSpec, params: Mapping[str, Any]) -> list[float] | None:
    """The quantile levels of a quantile-type loss (a list even for a single level)."""
    for name in QUANTILE_PARAM_NAMES:
        if name in params:
            v = params[name]
            if isinstance(v, list | tuple | np.ndarray):
                return [float(t) for t in v]
            if isinstance(v, int | float):
                return [float(v)]
    return None


def effective_head(spec: LossSpec, params: Mapping[str, Any]) -> Head:
    """The head for these parameters: the spec's head is the one for the default value of
    ``from_logits_param``; a non-default value flips sigmoid<->binary_logits and
    softmax<->multiclass_logits."""
    head = spec.head
    flp = spec.from_logits_param
    if flp and flp in params and params[flp] != spec.defaults.get(flp):
        flips = {
            Head.SIGMOID: Head.BINARY_LOGITS,
            Head.BINARY_LOGITS: Head.SIGMOID,
            Head.SOFTMAX: Head.MULTICLASS_LOGITS,
            Head.MULTICLASS_LOGITS: Head.SOFTMAX,
        }
        head = flips.get(head, head)
    return head


def head_spec(
    spec: LossSpec,
    params: Mapping[str, Any],
    *,
    task: str,
    target_dim: int = 1,
    n_classes: int | None = None,
    embedding_dim: int = 16,
) -> HeadSpec:
    """Units and activation of the output layer for ``spec`` on this task.

    Args:
        spec: the catalog entry.
        params: the loss's full parameters.
        task: the task kind.
        target_dim: number of target columns D (regression) or labels (multilabel).
        n_classes: K for binary / multiclass / ordinal tasks.
        embedding_dim: d for embedding heads.

    Returns:
        The :class:`HeadSpec`.

    Example:
        >>> from losslab.catalog import get_spec
        >>> head_spec(get_spec("huber"), {"delta": 1.0}, task="regression").units
        1
    """
    task = TaskKind.parse(task)
    head = effective_head(spec, params)
    k = n_classes or 2
    binary_units = 1 if task is TaskKind.BINARY or task.is_regression else target_dim
    table: dict[Head, tuple[int, str]] = {
        Head.IDENTITY: (target_dim, "linear"),
        Head.POSITIVE: (target_dim, "linear" if params.get("log_input", False) is True else "softplus"),
        Head.SIGMOID: (binary_units, "sigmoid"),
        Head.BINARY_LOGITS: (binary_units, "linear"),
        Head.SOFTMAX: (k, "softmax"),
        Head.MULTICLASS_LOGITS: (k, "linear"),
        Head.MEAN_SCALE: (2 * target_dim, "linear"),
        Head.QUANTILES: (len(quantile_levels(spec, params) or [0.5]) * target_dim, "linear"),
        Head.ORDINAL_LOGITS: (max(k - 1, 1), "linear"),
        Head.EMBEDDING: (embedding_dim, "linear"),
    }
    if head not in table:
        raise TaskMismatchError(
            f"Loss '{spec.name}' needs a {head.value} output, which a tabular experiment cannot "
            f"build. Received task={str(task)!r}. Use a loss of the families "
            f"{', '.join(f.value for f in _FAMILIES.get(task, ()))}."
        )
    units, act = table[head]
    return HeadSpec(head, units, act)


def build_head_layer(hs: HeadSpec, *, seed: int, bias: np.ndarray | None = None, name: str = "losslab_head") -> Any:
    """A seeded ``keras.layers.Dense`` for ``hs`` (Glorot-uniform kernel, zero or given bias)."""
    import keras

    bias_init: Any = "zeros" if bias is None else keras.initializers.Constant(np.asarray(bias, dtype="float32"))
    return keras.layers.Dense(
        hs.units,
        activation=hs.activation,
        kernel_initializer=keras.initializers.GlorotUniform(seed=seed),
        bias_initializer=bias_init,
        name=name,
    )


def initial_bias(hs: HeadSpec, spec: LossSpec, params: Mapping[str, Any], y_train: np.ndarray) -> np.ndarray | None:
    """A data-informed starting bias for linear regression-type heads (the training mean for
    point heads, the training quantiles for quantile heads, the logit of the mean proportion
    for sigmoid heads on soft targets); ``None`` elsewhere. The same rule applies to every
    candidate with the same head, so it does not favour a loss."""
    if hs.head == Head.IDENTITY:
        y = y_train.reshape(len(y_train), -1).astype(np.float64)
        return np.resize(y.mean(axis=0), hs.units)
    if hs.head == Head.POSITIVE:
        y = y_train.reshape(len(y_train), -1).astype(np.float64)
        mean = np.maximum(y.mean(axis=0), 1e-3)
        # log link: log(mean); softplus link: its inverse log(expm1(mean))
        b = np.log(mean) if hs.activation == "linear" else np.log(np.expm1(np.minimum(mean, 30.0))) + np.maximum(mean - 30.0, 0.0)
        return np.resize(b, hs.units)
    if hs.head in (Head.SIGMOID, Head.BINARY_LOGITS) and np.any((y_train > 0) & (y_train < 1)):
        m = float(np.clip(np.mean(y_train), 1e-3, 1 - 1e-3))  # soft targets: a proportion
        return np.resize(np.log(m / (1 - m)), hs.units)
    if hs.head == Head.QUANTILES:
        levels = quantile_levels(spec, params) or [0.5]
        y = y_train.reshape(len(y_train), -1).astype(np.float64)
        return np.concatenate([np.quantile(y, q, axis=0) for q in levels])[: hs.units]
    if hs.head == Head.MEAN_SCALE:
        y = y_train.reshape(len(y_train), -1).astype(np.float64)
        return np.concatenate([y.mean(axis=0), np.zeros(y.shape[1])])
    return None


_SIGN_CONSTRAINTS = frozenset({Requirement.NONNEGATIVE, Requirement.POSITIVE, Requirement.NONZERO})


def scaling_rule(hs: HeadSpec, *, task: str, enabled: bool = True, spec: LossSpec | None = None) -> str | None:
    """How the target a head trains on is scaled (the rule of :func:`target_scaling`, also
    read by the streaming fit, which has the statistics but not the rows): ``"standardise"``
    (minus the mean, over the std), ``"mean_abs"`` (over mean(|y|), no shift), or None (as is).

    Example:
        >>> from losslab.catalog import get_spec
        >>> [scaling_rule(head_spec(get_spec(n), {}, task="regression"), task="regression", spec=get_spec(n))
        ...  for n in ("mse", "poisson", "mean_squared_logarithmic_error")]
        ['standardise', 'mean_abs', 'mean_abs']
    """
    if not enabled or not TaskKind.parse(task).is_regression:
        return None
    values = {r for r in (requirements(spec) if spec is not None else ()) if r.is_value_constraint}
    if values - _SIGN_CONSTRAINTS:
        return None
    if hs.head == Head.POSITIVE or values:
        return "mean_abs"
    if hs.head not in (Head.IDENTITY, Head.QUANTILES, Head.MEAN_SCALE):
        return None
    return "standardise"


def target_scaling(
    hs: HeadSpec,
    y_train: np.ndarray,
    *,
    task: str,
    enabled: bool = True,
    spec: LossSpec | None = None,
) -> tuple[np.ndarray, np.ndarray | None]:
    """``(shift, scale)`` per target column for the target a head trains on, or ``(0, None)``
    when the target is used as is (classification, or ``enabled=False``).

    Identity, quantile and mean+scale heads learn the target standardised with the training
    rows' mean and std. Positive heads (log link, softplus), and a loss of ``spec`` whose
    target must keep its sign (``y>=0``, ``y>0``, ``y!=0``: MSLE, MAPE), learn
    ``y / mean(y_train)``: no shift, so the requirement still holds, and one positive factor
    for all columns. The deviances of positive heads are scale-equivariant, so the fitted
    mean is the same in target units; what changes is the scale the last layer works on: a
    softplus head on counts of mean 40 otherwise needs slopes of 40 per standardised
    feature unit, which Adam reaches only after hundreds of epochs. A loss with another
    value requirement (``y in [0,1]``) keeps the raw target.

    Example:
        >>> from losslab.catalog import get_spec
        >>> spec = get_spec("poisson")
        >>> shift, scale = target_scaling(head_spec(spec, {}, task="count"), np.array([0.0, 10.0, 50.0]), task="count")
        >>> shift.tolist(), scale.tolist()
        ([0.0], [20.0])
    """
    rule = scaling_rule(hs, task=task, enabled=enabled, spec=spec)
    if rule is None:
        return np.zeros(1), None
    y = y_train.reshape(len(y_train), -1).astype(np.float64)
    if rule == "mean_abs":
        finite = np.abs(y[np.isfinite(y)])
        m = float(finite.mean()) if finite.size else 0.0
        if not m > 0:
            return np.zeros(1), None
        return np.zeros(y.shape[1]), np.full(y.shape[1], m)
    std = y.std(axis=0)
    std[~(std > 0)] = 1.0
    return y.mean(axis=0), std


def encode_targets(spec: LossSpec, hs: HeadSpec, y: np.ndarray, *, task: str, n_classes: int | None) -> np.ndarray:
    """The ``y_true`` array a loss reads, from the prepared targets.

    Integer class codes become one-hot for losses that require it (``"one-hot"`` in
    ``spec.requires``, or a softmax/logits head on a loss without ``"integer labels"``);
    binary targets become ``(N, 1)`` floats; regression targets ``(N, D)`` floats.
    """
    task = TaskKind.parse(task)
    reqs = requirements(spec)
    signed = Requirement.SIGNED_BINARY in reqs
    if task.has_class_labels:
        codes = y.astype(np.int64).reshape(-1)
        k = n_classes or int(codes.max()) + 1
        wants_int = Requirement.INTEGER_LABELS in reqs or spec.family == Family.ORDINAL
        if hs.head in (Head.SIGMOID, Head.BINARY_LOGITS) and task is TaskKind.BINARY:
            if signed:
                return (2.0 * codes - 1.0).astype(np.float32)[:, None]
            return codes.astype(np.float32)[:, None]
        if Requirement.ONE_HOT in reqs or (hs.head in (Head.SOFTMAX, Head.MULTICLASS_LOGITS) and not wants_int):
            return np.eye(k, dtype=np.float32)[codes]
        return codes.astype(np.int32)
    y = y.astype(np.float32)
    if task is TaskKind.MULTILABEL and signed:
        y = 2.0 * y - 1.0
    return y[:, None] if y.ndim == 1 else y


def to_prediction(
    spec: LossSpec,
    hs: HeadSpec,
    raw: np.ndarray,
    params: Mapping[str, Any],
    *,
    bounds: tuple[float, float] | None = None,
) -> np.ndarray:
    """The prediction judge metrics read (see the Predictions contract).

    ``spec.predict`` when the entry has one; else the raw output, except for logits heads
    where the sigmoid / softmax is applied (a logits head with no predict function still
    produces probabilities for the judge). ``bounds`` (from ``positive_guard.positive_bounds``) caps
    the predictions of a positive head (log link or softplus) to the training targets'
    range widened by a margin (see :mod:`losslab.experiment.positive_guard`).
    """
    raw = np.asarray(raw, dtype=np.float64)
    if spec.predict is not None:
        pred = np.asarray(spec.to_prediction(raw, **params), dtype=np.float64)
        if bounds is not None and hs.head == Head.POSITIVE:
            return clip_positive(pred, bounds)
        return pred
    if bounds is not None and hs.head == Head.POSITIVE:
        return clip_positive(raw, bounds)
    if hs.head == Head.BINARY_LOGITS:
        return 1.0 / (1.0 + np.exp(-raw))
    if hs.head == Head.MULTICLASS_LOGITS:
        z = raw - raw.max(axis=-1, keepdims=True)
        e = np.exp(z)
        return e / e.sum(axis=-1, keepdims=True)
    return raw


def clip_positive(pred: np.ndarray, bounds: tuple[float, float]) -> np.ndarray:
    """``pred`` clipped to ``bounds`` (non-finite values go to the nearest bound).

    Example:
        >>> clip_positive(np.array([1e-9, 2.0, 1e17, np.inf]), (0.5, 30.0)).tolist()
        [0.5, 2.0, 30.0, 30.0]
    """
    low, high = bounds
    p = np.nan_to_num(np.asarray(pred, dtype=np.float64), nan=high, posinf=high, neginf=low)
    return np.clip(p, low, high)


# ---------------------------------------------------------------------------- fit check
def requirements(spec: LossSpec) -> tuple[Requirement, ...]:
    """The spec's ``requires`` as :class:`~losslab._vocab.Requirement` members, in order.

    Example:
        >>> from losslab.catalog import get_spec
        >>> requirements(get_spec("poisson"))
        (<Requirement.NONNEGATIVE: 'y>=0'>,)
    """
    return tuple(Requirement.parse(r) for r in spec.requires)


def _violation(
    spec: LossSpec, y: np.ndarray, task: TaskKind | None = None
) -> tuple[Requirement, tuple[int, str]] | None:
    """The first requirement of ``spec`` that the values ``y`` break, with its count. On a
    proportion, a requirement that allows soft targets (``y in {0,1}`` of a cross-entropy)
    holds for any y in [0, 1]."""
    for r in requirements(spec):
        v = r.violations(y)
        if v and task is TaskKind.PROPORTION and r.allows_soft_targets:
            v = Requirement.UNIT_INTERVAL.violations(y)
        if v:
            return r, v
    return None


_PREFERRED: dict[TaskKind, tuple[str, ...]] = {
    TaskKind.REGRESSION: ("huber", "mean_squared_error", "mean_absolute_error"),
    TaskKind.COUNT: ("poisson", "huber", "mean_squared_error"),
    TaskKind.POSITIVE: ("huber", "mean_squared_error", "gamma"),
    TaskKind.PROPORTION: ("binary_crossentropy", "mean_squared_error"),
    TaskKind.BINARY: ("binary_crossentropy", "binary_focal_crossentropy"),
    TaskKind.MULTICLASS: ("sparse_categorical_crossentropy", "categorical_crossentropy"),
    TaskKind.ORDINAL: ("coral", "sparse_categorical_crossentropy"),
    TaskKind.MULTILABEL: ("binary_crossentropy",),
}


def _suggest(task: TaskKind, y: np.ndarray, exclude: str) -> list[str]:
    fams = _FAMILIES.get(task, ())
    preferred = _PREFERRED.get(task, ())
    fitting = []
    for s in list_losses():
        if s.name == exclude or s.family not in fams or s.head in _UNSUPPORTED_HEADS:
            continue
        if task.is_regression and _violation(s, y, task):
            continue
        fitting.append(s.name)
    ordered = [n for n in preferred if n in fitting] + [n for n in fitting if n not in preferred]
    return ordered[:2]


def check_fits(spec: LossSpec, params: Mapping[str, Any], *, task: TaskKind | str, y: np.ndarray) -> None:
    """Raise :class:`TaskMismatchError` when ``spec`` cannot serve ``task`` on targets ``y``.

    The message says why and suggests losses that fit, e.g. "Loss 'poisson' needs y >= 0;
    your target has 37 negative values. Try huber or mean_squared_error."
    """
    task = TaskKind.parse(task)
    suggestion = _suggest(task, y, spec.name)
    fix = f" Try {' or '.join(suggestion)}." if suggestion else " Run `losslab losses` to pick a loss of this task."
    if spec.head in _UNSUPPORTED_HEADS:
        raise TaskMismatchError(
            f"Loss '{spec.name}' ({spec.family.value}, {spec.head.value} output) does not fit a "
            f"{task} experiment on tabular targets.{fix}"
        )
    if spec.family not in _FAMILIES.get(task, ()):
        raise TaskMismatchError(
            f"Loss '{spec.name}' is a {spec.family.value} loss; the task is {task}. Received "
            f"loss={spec.name!r} for a {task} target.{fix}"
        )
    if task.is_regression or task is TaskKind.MULTILABEL:
        found = _violation(spec, y, task)
        if found:
            r, (count, what) = found
            raise TaskMismatchError(f"Loss '{spec.name}' needs {r.value}; your target has {count} {what}.{fix}")
    levels = quantile_levels(spec, params)
    if levels is not None and spec.head == Head.QUANTILES and not task.is_regression:
        raise TaskMismatchError(f"Loss '{spec.name}' predicts quantiles; the task is {task}.{fix}")


def class_weights(mode: str | Mapping[Any, float] | None, y_codes: np.ndarray, n_classes: int) -> dict[int, float] | None:
    """``"balanced"`` weights n / (K * n_k) (scikit-learn's rule), a given mapping, or None."""
    if mode is None:
        return None
    if isinstance(mode, str):
        if mode != "balanced":
            raise TaskMismatchError(f"class_weight must be 'balanced', a mapping or None. Received: {mode!r}.")
        counts = np.bincount(y_codes.astype(np.int64).reshape(-1), minlength=n_classes).astype(float)
        n = counts.sum()
        return {i: float(n / (n_classes * c)) if c > 0 else 0.0 for i, c in enumerate(counts)}
    return {int(k): float(v) for k, v in mode.items()}

