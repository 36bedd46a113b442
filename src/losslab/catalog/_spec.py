"""The :class:`LossSpec`: everything losslab knows about one loss, in one record.

Nothing here imports Keras. The Keras factory and the NumPy oracle are named by
``"module:attr"`` strings and imported only when asked for, so listing and explaining
losses stays fast.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, Literal

from losslab._params import Param, validate_all

__all__ = ["Family", "Head", "LossSpec", "Robustness", "resolve"]


class Family(StrEnum):
    """Task family a loss serves. CLI spelling uses hyphens (``metric-learning``)."""

    REGRESSION = "regression"
    PROBABILISTIC_REGRESSION = "probabilistic-regression"
    COUNT = "count"
    BINARY = "binary"
    MULTICLASS = "multiclass"
    MULTILABEL = "multilabel"
    ORDINAL = "ordinal"
    SEGMENTATION = "segmentation"
    METRIC_LEARNING = "metric-learning"
    SEQUENCE = "sequence"
    BOXES = "boxes"

    @classmethod
    def parse(cls, text: str | Family) -> Family:
        """The member named by ``text``: case, ``_`` and spaces for ``-`` accepted.

        Example:
            >>> Family.parse("Metric_Learning")
            <Family.METRIC_LEARNING: 'metric-learning'>
        """
        if isinstance(text, Family):
            return text
        key = str(text).strip().lower().replace("_", "-").replace(" ", "-")
        for f in cls:
            if f.value == key:
                return f
        raise ValueError(
            f"Unknown family {text!r}. Expected one of: {', '.join(f.value for f in cls)}."
        )


class Head(StrEnum):
    """The output layer a model needs for a loss, and how its raw output is read.

    - ``identity``: linear outputs, the prediction itself (regression).
    - ``positive``: a positive value; the model emits a linear value and the loss (or the
      head) applies ``exp`` / softplus. ``log_input`` losses take the log-rate directly.
    - ``sigmoid``: probabilities in (0, 1) per unit (binary / multilabel with
      ``from_logits=False``).
    - ``binary_logits``: linear logits per unit, the loss applies the sigmoid.
    - ``softmax``: class probabilities (``from_logits=False``).
    - ``multiclass_logits``: linear logits over K classes.
    - ``mean_scale``: two outputs per target: mean and a positive scale/variance.
    - ``quantiles``: one linear output per quantile level.
    - ``ordinal_logits``: K-1 logits of cumulative / conditional binary tasks (CORAL/CORN).
    - ``embedding``: an embedding vector (metric learning), usually L2-normalised.
    - ``segmentation``: per-pixel probabilities or logits.
    - ``boxes``: ``[y1, x1, y2, x2]`` coordinates.
    - ``sequence``: per-timestep class scores (CTC, sequence losses).
    """

    IDENTITY = "identity"
    POSITIVE = "positive"
    SIGMOID = "sigmoid"
    BINARY_LOGITS = "binary_logits"
    SOFTMAX = "softmax"
    MULTICLASS_LOGITS = "multiclass_logits"
    MEAN_SCALE = "mean_scale"
    QUANTILES = "quantiles"
    ORDINAL_LOGITS = "ordinal_logits"
    EMBEDDING = "embedding"
    SEGMENTATION = "segmentation"
    BOXES = "boxes"
    SEQUENCE = "sequence"


class Robustness(StrEnum):
    """How much a few gross outliers in y_true pull the fit."""

    NONE = "none"  # quadratic or worse growth (MSE, MSLE on large values)
    MODERATE = "moderate"  # linear growth beyond a threshold (Huber, pseudo-Huber)
    HIGH = "high"  # bounded or logarithmic growth (Cauchy, Barron alpha<0, MAE is linear)
    NOT_APPLICABLE = "n/a"


Statistic = Literal[
    "mean",
    "median",
    "quantile",
    "probability",
    "distribution",
    "direction",
    "margin",
    "overlap",
    "embedding",
    "rank",
    "sequence",
]


def resolve(path: str) -> Any:
    """Import ``"package.module:attr"`` and return the attribute (dots in ``attr`` walk attributes).

    Example:
        >>> resolve("math:sqrt")(9.0)
        3.0
        >>> resolve("os:path.join")("a", "b") == __import__("os").path.join("a", "b")
        True
    """
    module, _, attr = path.partition(":")
    obj: Any = importlib.import_module(module)
    for part in attr.split("."):
        obj = getattr(obj, part)
    return obj


@dataclass(frozen=True)
class LossSpec:
    """One loss in the catalog.

    Attributes:
        name: canonical snake_case name (``"huber"``).
        title: human name (``"Huber"``).
        family: the task family.
        statistic: what the loss makes the model estimate (mean, median, quantile, ...).
        y_true: what the targets must look like (shape, range, dtype).
        y_pred: what the model output must look like (shape, range, logits or probabilities).
        head: the output head the model needs (:class:`Head`), for the default parameters.
        keras: ``"module:attr"`` of the Keras factory (a Loss class) losslab returns.
        reference: ``"module:attr"`` of the NumPy float64 oracle returning one value per
            sample (or one per batch for ``per_batch`` losses); signature
            ``f(y_true, y_pred, **params)``.
        params: the hyperparameters (defaults, ranges, search spaces).
        aliases: other names that find this loss (Keras class name, short names).
        robustness: robustness to outliers in y_true.
        formula: the formula in plain text / LaTeX-ish notation.
        when_to_use, pitfalls: practitioner's text.
        references: citations in one format: ``Author et al. (Year). Title. Venue.``
        per_batch: True when the loss is defined on the whole batch (Dice with a global
            reduction, triplet mining, ...): the oracle returns a scalar.
        inputs: name of the valid-input generator in :mod:`losslab.catalog.inputs`.
        requires: assumptions on y_true (``"y>=0"``, ``"y>0"``, ``"y in {0,1}"``,
            ``"integer labels"``, ``"one-hot"``, ``"y in [0,1]"``) for the advisor and doctor.
        minimum_at_truth: the loss is minimal when y_pred equals the (transformed) truth.
        from_logits_param: the name of the logits switch, when the loss has one.
        predict: ``"module:attr"`` of ``f(raw_output, **params) -> prediction`` turning the
            model's raw output into what judge metrics read (class probabilities, the
            mean, quantiles); ``None`` means the raw output is the prediction.
        keras_builtin: the Keras 3 class this entry covers, if any.
        tags: free-form labels (``"tfa"``, ``"keras"``, ``"robust"``, ...).
    """

    name: str
    title: str
    family: Family
    statistic: Statistic
    y_true: str
    y_pred: str
    head: Head
    keras: str
    reference: str
    params: tuple[Param, ...] = ()
    aliases: tuple[str, ...] = ()
    robustness: Robustness = Robustness.NOT_APPLICABLE
    formula: str = ""
    when_to_use: str = ""
    pitfalls: str = ""
    references: tuple[str, ...] = ()
    per_batch: bool = False
    inputs: str = "regression"
    requires: tuple[str, ...] = ()
    minimum_at_truth: bool = False
    from_logits_param: str | None = None
    predict: str | None = None
    keras_builtin: str | None = None
    tags: tuple[str, ...] = ()
    extra: Mapping[str, Any] = field(default_factory=dict)

    # ------------------------------------------------------------------ params
    def param(self, name: str) -> Param:
        for p in self.params:
            if p.name == name:
                return p
        raise KeyError(name)

    @property
    def defaults(self) -> dict[str, Any]:
        return {p.name: p.default for p in self.params}

    def validate_params(self, given: Mapping[str, Any]) -> dict[str, Any]:
        """Full parameter dict (defaults filled in) or :class:`InvalidParameterError`.

        Example:
            >>> import losslab
            >>> spec = losslab.get_spec("huber")
            >>> spec.validate_params({}), spec.validate_params({"delta": 3})
            ({'delta': 1.0}, {'delta': 3})
            >>> spec.validate_params({"dleta": 3})
            Traceback (most recent call last):
            ...
            losslab.errors.InvalidParameterError: Loss 'huber' got unknown keyword argument(s) 'dleta'. Valid arguments: delta.
        """
        return validate_all(f"Loss '{self.name}'", self.params, given)

    # ------------------------------------------------------------------ bound objects
    def keras_class(self) -> type:
        """The Keras ``Loss`` subclass (imports Keras)."""
        return resolve(self.keras)

    def build(
        self, reduction: str | None = "sum_over_batch_size", name: str | None = None, **params: Any
    ) -> Any:
        """A ready Keras loss object with validated hyperparameters."""
        full = self.validate_params(params)
        kwargs: dict[str, Any] = dict(full)
        kwargs["reduction"] = reduction
        if name is not None:
            kwargs["name"] = name
        return self.keras_class()(**kwargs)

    def oracle(self) -> Callable[..., Any]:
        """The NumPy float64 reference ``f(y_true, y_pred, **params)``."""
        return resolve(self.reference)

    def reference_values(self, y_true: Any, y_pred: Any, **params: Any) -> Any:
        """Per-sample (or per-batch) reference values in float64.

        Example:
            Huber with delta = 1 on errors 3 and 0: 1 * (3 - 0.5) = 2.5 and 0.

            >>> import numpy as np
            >>> import losslab
            >>> losslab.get_spec("huber").reference_values(np.array([[0.0], [1.0]]), np.array([[3.0], [1.0]]))
            array([2.5, 0. ])
        """
        full = self.validate_params(params)
        return self.oracle()(y_true, y_pred, **full)

    def to_prediction(self, raw: Any, **params: Any) -> Any:
        """Turn the model's raw output into the prediction judge metrics read."""
        if self.predict is None:
            return raw
        full = self.validate_params(params)
        return resolve(self.predict)(raw, **full)

    @property
    def all_names(self) -> tuple[str, ...]:
        return (self.name, *self.aliases)
