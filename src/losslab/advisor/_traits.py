"""What the advisor reads off a catalog spec: traits derived from its metadata, never its name.

Every question the rules ask about a loss ("is it a focal loss?", "a Tweedie loss?") is
answered here from the spec's metadata: family, statistic, head, robustness, declared
parameters, ``requires``, ``tags`` and ``extra``. A loss that is renamed keeps its traits; a
loss added to the catalog with the same metadata gets the same treatment.

Where the catalog does not yet carry a fact the advisor needs, :data:`PENDING_CATALOG_METADATA`
holds it, keyed by catalog name: the one place to empty once the catalog entries carry
the tags / ``extra`` keys listed there.
"""

from __future__ import annotations

from collections.abc import Mapping
from enum import StrEnum
from typing import Any

from losslab._vocab import Requirement
from losslab.catalog import Family, Head, LossSpec, Robustness

__all__ = [
    "CONDITIONAL_ORDINAL_TAG",
    "NEGATIVE_BINOMIAL_TAG",
    "NOISY_LABELS_TAG",
    "ONE_HOT_TWIN_KEY",
    "PENDING_CATALOG_METADATA",
    "PositiveModel",
    "declares",
    "divides_by_target",
    "has_huber_threshold_beta",
    "is_class_balanced",
    "is_conditional_ordinal",
    "is_fixed_shape_redescending",
    "is_focal",
    "is_heavy_tailed_likelihood",
    "is_log_target",
    "is_noise_robust",
    "is_plain_probability",
    "is_reweighted",
    "one_hot_twin",
    "positive_model",
    "requirements",
    "tags",
]

#: Tag of losses made to tolerate wrong labels (symmetric / generalized cross-entropy).
NOISY_LABELS_TAG = "noisy-labels"
#: Tag of an ordinal loss trained on conditional tasks 'y > k given y > k-1' (CORN): rank
#: consistent without CORAL's shared-weight constraint.
CONDITIONAL_ORDINAL_TAG = "conditional-ordinal"
#: Tag of a count loss for over-dispersed counts (negative binomial); none in the catalog yet.
NEGATIVE_BINOMIAL_TAG = "negative-binomial"
#: ``spec.extra`` key naming the one-hot loss that an integer-label loss computes the same
#: values as (``sparse_categorical_crossentropy`` -> ``categorical_crossentropy``).
ONE_HOT_TWIN_KEY = "one_hot_twin"

#: Metadata the advisor needs and the catalog entries do not carry yet, keyed by catalog
#: name: ``tags`` are added to the spec's tags, other keys read like ``spec.extra``. Each
#: line is a catalog change to make (then the line goes).
PENDING_CATALOG_METADATA: Mapping[str, Mapping[str, Any]] = {
    "corn": {"tags": (CONDITIONAL_ORDINAL_TAG,)},
    "poly1_crossentropy": {"tags": (NOISY_LABELS_TAG,)},
    "sparse_categorical_crossentropy": {ONE_HOT_TWIN_KEY: "categorical_crossentropy"},
    "sparse_categorical_focal": {ONE_HOT_TWIN_KEY: "categorical_focal_crossentropy"},
}


def tags(spec: LossSpec) -> frozenset[str]:
    """The spec's tags plus any pending ones."""
    pending = PENDING_CATALOG_METADATA.get(spec.name, {}).get("tags", ())
    return frozenset(spec.tags) | frozenset(pending)


def _extra(spec: LossSpec, key: str) -> Any:
    if key in spec.extra:
        return spec.extra[key]
    return PENDING_CATALOG_METADATA.get(spec.name, {}).get(key)


def declares(spec: LossSpec, *names: str) -> bool:
    """True when the spec declares every one of the hyperparameters ``names``."""
    declared = {p.name for p in spec.params}
    return all(n in declared for n in names)


def requirements(spec: LossSpec) -> tuple[Requirement, ...]:
    """The spec's ``requires`` as :class:`~losslab._vocab.Requirement` members."""
    return tuple(Requirement.parse(r) for r in spec.requires)


# --------------------------------------------------------------------------- classification


def is_focal(spec: LossSpec) -> bool:
    """A probability loss that down-weights easy examples: declares ``gamma`` or is tagged focal."""
    return spec.statistic == "probability" and (declares(spec, "gamma") or "focal" in tags(spec))


def is_class_balanced(spec: LossSpec) -> bool:
    """Re-weights classes by their effective number of samples (declares ``samples_per_class``)."""
    return declares(spec, "samples_per_class")


def is_reweighted(spec: LossSpec) -> bool:
    """Re-weights the rare class(es): declares ``pos_weight`` or ``samples_per_class``."""
    return declares(spec, "pos_weight") or is_class_balanced(spec)


def is_noise_robust(spec: LossSpec) -> bool:
    """Made to tolerate wrong labels (tagged ``noisy-labels``)."""
    return NOISY_LABELS_TAG in tags(spec)


def is_conditional_ordinal(spec: LossSpec) -> bool:
    """An ordinal loss on conditional binary tasks (tagged ``conditional-ordinal``)."""
    return spec.family == Family.ORDINAL and CONDITIONAL_ORDINAL_TAG in tags(spec)


def is_plain_probability(spec: LossSpec) -> bool:
    """Cross-entropy as a likelihood: probabilities, neither focal nor re-weighted.

    Only these take soft targets in [0, 1] (the quasi-binomial likelihood of a proportion).
    """
    return spec.statistic == "probability" and not is_focal(spec) and not is_reweighted(spec)


def one_hot_twin(spec: LossSpec) -> str | None:
    """The one-hot loss this integer-label loss equals (``extra["one_hot_twin"]``), if any."""
    twin = _extra(spec, ONE_HOT_TWIN_KEY)
    return str(twin) if twin else None


# --------------------------------------------------------------------------- regression


class PositiveModel(StrEnum):
    """The variance model of a loss for non-negative targets (a log-link GLM family)."""

    TWEEDIE = "tweedie"  # declares the power p of Var = phi mu^p
    GAMMA = "gamma"  # needs y > 0: constant coefficient of variation
    NEGATIVE_BINOMIAL = "negative_binomial"  # over-dispersed counts
    POISSON = "poisson"  # a count-family mean loss: Var = mu
    OTHER = "other"  # a positive head without one of the above


def positive_model(spec: LossSpec) -> PositiveModel | None:
    """The variance model of a loss for non-negative targets, or None for other losses.

    A loss is "for non-negative targets" when its family is ``count`` or its head is
    ``positive`` (a log link).

    Example:
        >>> import losslab
        >>> str(positive_model(losslab.get_spec("tweedie_deviance")))
        'tweedie'
        >>> positive_model(losslab.get_spec("huber")) is None
        True
    """
    if spec.family != Family.COUNT and spec.head != Head.POSITIVE:
        return None
    if declares(spec, "power"):
        return PositiveModel.TWEEDIE
    if Requirement.POSITIVE in requirements(spec):
        return PositiveModel.GAMMA
    if NEGATIVE_BINOMIAL_TAG in tags(spec):
        return PositiveModel.NEGATIVE_BINOMIAL
    if spec.family == Family.COUNT and spec.statistic == "mean":
        return PositiveModel.POISSON
    return PositiveModel.OTHER


def is_log_target(spec: LossSpec) -> bool:
    """Works on log(1 + y): needs y >= 0 but an identity head (not a log-link loss)."""
    return (
        positive_model(spec) is None
        and spec.head == Head.IDENTITY
        and Requirement.NONNEGATIVE in requirements(spec)
    )


def divides_by_target(spec: LossSpec) -> bool:
    """Relative errors (needs y != 0): values near zero dominate the loss."""
    return Requirement.NONZERO in requirements(spec)


def is_heavy_tailed_likelihood(spec: LossSpec) -> bool:
    """A predictive distribution with heavy tails (a highly robust likelihood, Student's t)."""
    return spec.statistic == "distribution" and spec.robustness == Robustness.HIGH


def is_fixed_shape_redescending(spec: LossSpec) -> bool:
    """A highly robust loss with a ``scale`` and no shape parameter ``alpha`` (Cauchy).

    Its 95%-efficiency scale is 2.3849 robust sigmas; a loss that also declares a shape
    (Barron's ``alpha``) takes the robust sigma itself.
    """
    return (
        spec.robustness == Robustness.HIGH
        and declares(spec, "scale")
        and not declares(spec, "alpha")
    )


def has_huber_threshold_beta(spec: LossSpec) -> bool:
    """A moderately robust regression loss whose quadratic-to-linear threshold is ``beta``
    (smooth L1 = Huber(delta=beta) / beta)."""
    return (
        spec.family == Family.REGRESSION
        and spec.robustness == Robustness.MODERATE
        and declares(spec, "beta")
        and not declares(spec, "delta")
    )
