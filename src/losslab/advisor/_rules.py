"""Scoring rules: small functions that read the data context and the spec's metadata.

A rule is ``rule(spec, ctx) -> Effect | None``: a change of score with the reason in words,
or None when it does not apply. Rules are registered in order (the reasons read in that
order) by one ``yield`` line in :func:`yield_regression_rules` or
:func:`yield_classification_rules`, in the style of scikit-learn's ``_yield_*_checks``.
Adding a rule is one function and one line; a rule decides by metadata (family,
statistic, robustness, head, declared parameters, ``requires``, tags) through
:mod:`losslab.advisor._traits`, never by the loss's name.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import NamedTuple

from losslab._vocab import TaskKind
from losslab.advisor._context import Context
from losslab.advisor._traits import (
    PositiveModel,
    declares,
    divides_by_target,
    is_conditional_ordinal,
    is_focal,
    is_heavy_tailed_likelihood,
    is_log_target,
    is_noise_robust,
    is_reweighted,
    one_hot_twin,
    positive_model,
)
from losslab.catalog import Family, Head, LossSpec, Robustness

__all__ = [
    "CONDITIONAL_ORDINAL_BONUS",
    "Effect",
    "FOCAL_PROBABILITY_PENALTY",
    "Rule",
    "THRESHOLD_ON_COUNTS_BONUS",
    "score_rules",
    "yield_classification_rules",
    "yield_regression_rules",
]


class Effect(NamedTuple):
    """What a rule does to a candidate: a score change and, optionally, the reason."""

    score: float
    reason: str | None = None


Rule = Callable[[LossSpec, Context], Effect | None]

_ROBUST = (Robustness.MODERATE, Robustness.HIGH)

# --------------------------------------------------------------------------- regression


def tail_is_the_shape(spec: LossSpec, ctx: Context) -> Effect | None:
    """Positive / count targets: a long right tail is their shape, not contamination, so a
    strongly robust loss would shrink the estimate toward the median under a mean goal (Huber:
    :func:`threshold_loss_on_counts_and_positives`)."""
    if not ctx.kind.is_positive or positive_model(spec) is not None:
        return None
    if spec.robustness != Robustness.HIGH or not ctx.skewed or ctx.goal.kind != "mean":
        return None
    return Effect(
        -0.15,
        f"but it down-weights the long right tail (skewness {ctx.target.skewness:.2f}), which "
        "biases the mean downward",
    )


def outliers(spec: LossSpec, ctx: Context) -> Effect | None:
    """Outliers or heavy tails in a signed target favour robust losses."""
    if ctx.kind.is_positive or not ctx.heavy:
        return None
    if spec.robustness == Robustness.MODERATE:
        return Effect(0.35, f"robust to outliers ({ctx.outlier_text()}) while quadratic near zero")
    if spec.robustness == Robustness.HIGH:
        return Effect(0.25, f"strongly robust to outliers ({ctx.outlier_text()})")
    if spec.robustness == Robustness.NONE:
        return Effect(-0.3, f"squared errors let outliers dominate ({ctx.outlier_text()})")
    return None


def clean_errors(spec: LossSpec, ctx: Context) -> Effect | None:
    """Without outliers, squared errors are efficient for the mean."""
    if ctx.kind.is_positive or ctx.heavy or ctx.goal.kind != "mean":
        return None
    if spec.robustness == Robustness.NONE:
        return Effect(0.15, "efficient when errors are near Gaussian; no marked outliers found")
    if spec.robustness == Robustness.HIGH:
        return Effect(-0.1)
    return None


def median_of_skewed_target(spec: LossSpec, ctx: Context) -> Effect | None:
    """The median is not the mean of a skewed target."""
    if spec.statistic != "median" or ctx.goal.kind != "mean" or not ctx.skewed:
        return None
    return Effect(
        -0.2,
        f"but the median differs from the mean for a skewed target "
        f"(skewness {ctx.target.skewness:.2f})",
    )


def _positive_target_model(spec: LossSpec, ctx: Context, model: PositiveModel) -> bool:
    return ctx.kind.is_positive and positive_model(spec) is model


def tweedie_shape(spec: LossSpec, ctx: Context) -> Effect | None:
    """Exact zeros plus a continuous tail: the compound Poisson-Gamma (Tweedie) shape."""
    if not _positive_target_model(spec, ctx, PositiveModel.TWEEDIE):
        return None
    if ctx.zero_share > 0.05 and ctx.kind is TaskKind.POSITIVE:
        return Effect(
            0.6,
            f"{ctx.zero_share:.0%} exact zeros plus a continuous positive tail: the compound "
            "Poisson-Gamma (Tweedie, 1 < p < 2) shape",
        )
    if ctx.zero_share > 0.05:
        return Effect(0.35, f"handles {ctx.zero_share:.0%} zeros and over-dispersion")
    return Effect(0.2, "variance grows as a power of the mean")


def gamma_shape(spec: LossSpec, ctx: Context) -> Effect | None:
    """A strictly positive skewed target: the Gamma deviance (constant coefficient of variation)."""
    if not _positive_target_model(spec, ctx, PositiveModel.GAMMA):
        return None
    if (ctx.target.min or 0) > 0 and ctx.kind is TaskKind.POSITIVE:
        return Effect(
            GAMMA_BONUS,
            f"strictly positive, right-skewed target (skewness {ctx.target.skewness:.2f}): "
            "constant coefficient of variation",
        )
    return Effect(-0.2)


GAMMA_BONUS = 0.25
"""Gamma's bonus on a strictly positive skewed target (0.5 before the advisor benchmark: a
log-link top-1 lost to the plain MSE on such tables and could extrapolate exp(raw) far out)."""
PLAIN_MEAN_BONUS = 0.45
"""MSE's bonus under a mean goal on a positive target without many zeros (see
:func:`plain_mean_on_positive_target`)."""


def plain_mean_on_positive_target(spec: LossSpec, ctx: Context) -> Effect | None:
    """Under a mean goal on a positive target without the Tweedie zeros, the plain squared
    error (identity head, standardized target) was the safer first choice on real tables: the
    log-link losses train on the raw target, and their exp(raw) extrapolates on unusual rows
    (RMSE of 1e5..1e17 on every seed reported for a long-tailed real table; in losslab's
    benchmark, bench/bench_advice.py, the log-link top-1 lost to MSE on positive tables).
    Since the second run, MSE follows Huber (:func:`threshold_loss_on_counts_and_positives`)."""
    if ctx.kind is not TaskKind.POSITIVE or ctx.goal.kind != "mean" or ctx.zero_share > 0.05:
        return None
    if spec.head != Head.IDENTITY or spec.statistic != "mean" or spec.robustness != Robustness.NONE:
        return None
    if positive_model(spec) is not None or is_log_target(spec):
        return None
    return Effect(
        PLAIN_MEAN_BONUS,
        "the plain mean on the standardized target: log-link losses extrapolate exp(raw) on "
        "unusual rows, and lost to it on long-tailed real tables",
    )


THRESHOLD_ON_COUNTS_BONUS = 0.5
"""The bonus of a moderately robust loss with a declared ``delta`` threshold (Huber) under a
mean goal on count and positive targets, from the advisor benchmark's calibration tables
(2026-12-07, second run): its mean RMSE regret to the best was 1.0% on 4 count tables (Poisson
5.3%, MSE 5.4%) and 9.9% on 4 positive tables without zeros (MSE 24%, Poisson 14%, Gamma 26%)."""


def threshold_loss_on_counts_and_positives(spec: LossSpec, ctx: Context) -> Effect | None:
    """Under a mean goal on a count or positive target without many zeros, Huber with delta =
    one standard deviation was the safest first choice on real tables."""
    if not ctx.kind.is_positive or ctx.goal.kind != "mean" or ctx.zero_share > 0.05:
        return None
    if spec.robustness != Robustness.MODERATE or spec.head != Head.IDENTITY:
        return None
    if spec.statistic != "mean" or not declares(spec, "delta") or is_log_target(spec):
        return None
    if spec.keras_builtin is None:  # the evidence is for Keras' Huber, not its smooth variants
        return None
    return Effect(
        THRESHOLD_ON_COUNTS_BONUS,
        "quadratic up to one standard deviation, linear beyond: the smallest mean regret on "
        "count and positive tables in losslab's benchmark (1.0% on 4 count, 9.9% on 4 positive "
        "tables, vs 5.4% and 24% for MSE)",
    )


def over_dispersed_counts(spec: LossSpec, ctx: Context) -> Effect | None:
    """Over-dispersed counts (variance/mean > 1.5) favour a negative binomial loss."""
    if not _positive_target_model(spec, ctx, PositiveModel.NEGATIVE_BINOMIAL):
        return None
    if ctx.kind is TaskKind.COUNT and (ctx.vmr or 0) > 1.5:
        return Effect(0.55, f"over-dispersed counts (variance/mean = {ctx.vmr:.2f})")
    return None


def poisson_dispersion(spec: LossSpec, ctx: Context) -> Effect | None:
    """Counts with variance close to the mean are Poisson; the Poisson mean stays consistent."""
    if not _positive_target_model(spec, ctx, PositiveModel.POISSON):
        return None
    if ctx.kind is not TaskKind.COUNT:
        return Effect(0.15, "log-link mean for a non-negative target")
    vmr = ctx.vmr or 1.0
    if vmr <= 1.5:
        return Effect(0.55, f"counts with variance/mean = {vmr:.2f}, close to Poisson's 1")
    return Effect(
        0.35,
        f"counts: still estimates the mean consistently under over-dispersion "
        f"(variance/mean = {vmr:.2f})",
    )


def other_positive_loss(spec: LossSpec, ctx: Context) -> Effect | None:
    """Another loss with a log link, for a non-negative target."""
    if not _positive_target_model(spec, ctx, PositiveModel.OTHER):
        return None
    return Effect(0.2, "made for non-negative targets")


def log_target(spec: LossSpec, ctx: Context) -> Effect | None:
    """A loss on log(1 + y) tempers the long right tail of a non-negative target."""
    if not ctx.kind.is_positive or not is_log_target(spec):
        return None
    return Effect(0.1, "works on log(1 + y), tempering the long right tail")


def squared_errors_on_skew(spec: LossSpec, ctx: Context) -> Effect | None:
    """Squared errors of a skewed non-negative target are dominated by a few large values."""
    if not ctx.kind.is_positive or positive_model(spec) is not None or is_log_target(spec):
        return None
    if spec.robustness != Robustness.NONE or not ctx.skewed:
        return None
    return Effect(
        -0.1,
        f"a few large values dominate squared errors (skewness {ctx.target.skewness:.2f})",
    )


def positive_loss_on_other_target(spec: LossSpec, ctx: Context) -> Effect | None:
    """A log-link loss on a target that is not a count or positive quantity."""
    if ctx.kind.is_positive or positive_model(spec) is None:
        return None
    return Effect(-0.4)


def relative_error_near_zero(spec: LossSpec, ctx: Context) -> Effect | None:
    """A loss that divides by |y| is dominated by targets at or near zero."""
    t = ctx.target
    if not divides_by_target(spec):
        return None
    near_zero = (
        (t.negative_share or 0) > 0
        or (t.zero_share or 0) > 0
        or (t.q01 or 0) < 0.05 * abs(t.median or 1)
    )
    if not near_zero:
        return None
    q01 = t.q01 if t.q01 is not None else float("nan")
    return Effect(
        -0.5,
        f"divides by |y|, and the target has values at or near zero (1% quantile {q01:.3g}), "
        "which would dominate",
    )


def sigmoid_for_proportion(spec: LossSpec, ctx: Context) -> Effect | None:
    """Cross-entropy on a proportion: the sigmoid head keeps predictions in [0, 1]."""
    if ctx.kind is not TaskKind.PROPORTION or spec.family != Family.BINARY:
        return None
    return Effect(SIGMOID_PROPORTION_BONUS, "a sigmoid head keeps predictions inside [0, 1]")


SIGMOID_PROPORTION_BONUS = 0.05
"""Cross-entropy's bonus on a proportion (0.3 before the advisor benchmark, where it lost to
the plain MSE on both calibration proportion tables: it now follows MSE in the shortlist)."""


def heavy_tailed_likelihood(spec: LossSpec, ctx: Context) -> Effect | None:
    """Heavy tails in the target favour a heavy-tailed predictive distribution."""
    if not ctx.heavy or not is_heavy_tailed_likelihood(spec):
        return None
    return Effect(0.2, "heavy-tailed likelihood")


def yield_regression_rules() -> Iterator[Rule]:
    """The rules for numeric targets (regression, count, positive, proportion), in order."""
    yield tail_is_the_shape
    yield outliers
    yield clean_errors
    yield median_of_skewed_target
    yield tweedie_shape
    yield gamma_shape
    yield plain_mean_on_positive_target
    yield threshold_loss_on_counts_and_positives
    yield over_dispersed_counts
    yield poisson_dispersion
    yield other_positive_loss
    yield log_target
    yield squared_errors_on_skew
    yield positive_loss_on_other_target
    yield relative_error_near_zero
    yield sigmoid_for_proportion
    yield heavy_tailed_likelihood


# --------------------------------------------------------------------------- classification


def imbalance_reweighting(spec: LossSpec, ctx: Context) -> Effect | None:
    """Imbalanced classes (3:1 or more): focal and re-weighted losses, mostly for labels."""
    focal = is_focal(spec)
    if ctx.imbalance < 3 or not (focal or is_reweighted(spec)):
        return None
    if ctx.kind is TaskKind.ORDINAL:
        return None  # they lost accuracy on 5 of 5 ordinal tables of the benchmark (11%..88%)
    probability = ctx.goal.kind == "probability"
    how = "focal down-weights the many easy examples" if focal else "re-weights the rare classes"
    return Effect(
        0.05 if probability else 0.35,
        f"classes are imbalanced ({ctx.imbalance:.1f}:1): {how}"
        + ("; note it distorts probability calibration" if probability else ""),
    )


def calibration_under_imbalance(spec: LossSpec, ctx: Context) -> Effect | None:
    """Under a probability goal, plain cross-entropy keeps imbalanced probabilities calibrated."""
    if ctx.imbalance < 3 or is_focal(spec) or is_reweighted(spec):
        return None
    if spec.statistic != "probability" or ctx.goal.kind != "probability":
        return None
    return Effect(0.2, "keeps probabilities calibrated despite the imbalance")


FOCAL_PROBABILITY_PENALTY = 0.3
"""Focal losses under a probability goal (log-loss judge): in losslab's benchmark (2026-12-07,
second run) binary focal cross-entropy was worse than plain cross-entropy on 4 of 4 binary
calibration tables (log-loss regret 3% to 35%)."""


def focal_under_probability_goal(spec: LossSpec, ctx: Context) -> Effect | None:
    """Focal weighting distorts probabilities: it loses log-loss to plain cross-entropy."""
    if ctx.goal.kind != "probability" or not is_focal(spec):
        return None
    return Effect(
        -FOCAL_PROBABILITY_PENALTY,
        "but focal weighting distorts probabilities: worse log-loss than cross-entropy on 4 of "
        "4 binary tables in losslab's benchmark",
    )


def focal_on_balanced_classes(spec: LossSpec, ctx: Context) -> Effect | None:
    """Focal re-weighting brings little when classes are balanced (below 1.5:1)."""
    if ctx.imbalance >= 1.5 or not is_focal(spec):
        return None
    return Effect(-0.1, "classes are balanced, so focal re-weighting brings little")


def label_noise(spec: LossSpec, ctx: Context) -> Effect | None:
    """Conflicting duplicate rows hint at label noise: noise-robust losses."""
    if not ctx.noisy or not is_noise_robust(spec):
        return None
    dup = ctx.profile.duplicate_conflict_share or 0
    return Effect(0.3, f"robust to label noise ({dup:.0%} of rows conflict with an identical row)")


CONDITIONAL_ORDINAL_BONUS = 0.05
"""CORN's edge over CORAL on ordinal targets: in losslab's benchmark (2026-12-07, second run)
CORN was in the best tier on 3 of 5 ordinal calibration tables (mean accuracy regret 0.7%),
CORAL on none (2.4%)."""


def ordinal_levels(spec: LossSpec, ctx: Context) -> Effect | None:
    """Ordinal targets: losses of the ordinal family use the order of the levels."""
    if ctx.kind is not TaskKind.ORDINAL:
        return None
    if spec.family == Family.ORDINAL and is_conditional_ordinal(spec):
        return Effect(
            0.5 + CONDITIONAL_ORDINAL_BONUS,
            f"uses the order of the {ctx.task.n_classes} levels; conditional training had the "
            "best tier on 3 of 5 ordinal tables in losslab's benchmark (CORAL on none)",
        )
    if spec.family == Family.ORDINAL:
        return Effect(0.5, f"uses the order of the {ctx.task.n_classes} levels")
    return Effect(0.0, "ignores the order of the levels")


def rare_labels(spec: LossSpec, ctx: Context) -> Effect | None:
    """Multilabel targets with rare positive labels: multilabel losses (ASL)."""
    if ctx.kind is not TaskKind.MULTILABEL or spec.family != Family.MULTILABEL:
        return None
    if ctx.imbalance < 3:
        return None
    return Effect(0.2, "made for multilabel targets with rare positive labels")


def integer_labels(spec: LossSpec, ctx: Context) -> Effect | None:
    """Of two multiclass losses that differ only by label encoding, the integer-label one
    (it declares its ``one_hot_twin``) takes the labels as they are: a small edge, so it is
    the one listed."""
    if ctx.kind not in (TaskKind.MULTICLASS, TaskKind.ORDINAL) or one_hot_twin(spec) is None:
        return None
    return Effect(0.02, "takes integer labels directly")


def yield_classification_rules() -> Iterator[Rule]:
    """The rules for class targets (binary, multiclass, multilabel, ordinal), in order."""
    yield imbalance_reweighting
    yield calibration_under_imbalance
    yield focal_under_probability_goal
    yield focal_on_balanced_classes
    yield label_noise
    yield ordinal_levels
    yield rare_labels
    yield integer_labels


def score_rules(spec: LossSpec, ctx: Context) -> tuple[float, list[str]]:
    """The sum of the applicable rules' score changes and their reasons, in rule order.

    Example:
        >>> import numpy as np, pandas as pd
        >>> import losslab
        >>> from losslab.advisor._goal import Goal
        >>> y = np.r_[np.random.default_rng(0).normal(size=300), 40.0, -35.0, 50.0, 60.0]
        >>> prof = losslab.profile(pd.DataFrame({"y": y}), target="y")
        >>> ctx = Context.build(prof, prof.task, Goal("mean"))
        >>> s, why = score_rules(losslab.get_spec("huber"), ctx)
        >>> s, why[0].startswith("robust to outliers")
        (0.35, True)
    """
    rules = yield_regression_rules() if ctx.kind.is_regression else yield_classification_rules()
    total = 0.0
    why: list[str] = []
    for rule in rules:
        effect = rule(spec, ctx)
        if effect is None:
            continue
        total += effect.score
        if effect.reason:
            why.append(effect.reason)
    return total, why
