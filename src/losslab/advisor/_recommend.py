"""From a data profile to a ranked shortlist of catalog losses, each with its reasons.

Candidates come from the catalog alone (``losslab.list_losses()``): a loss qualifies by its
metadata (family, statistic, head, ``requires``) and is scored by rules that read the
profile (outliers, skewness, zeros, dispersion, imbalance, label noise). A rule names a
specific loss only where that loss is meant (Tweedie, Gamma, Poisson, focal, ...), by
matching words in its name and aliases, so a loss that is not in the catalog yet is simply
not proposed. Hyperparameters are configured from the data by parameter name (``delta``,
``tau``, ``power``, ``gamma``, ``alpha``, ``pos_weight``, ``beta``, ...), validated against
the spec, and explained.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from losslab.advisor._goal import Goal, resolve_goal
from losslab.catalog import Family, Head, LossSpec, Robustness, list_losses
from losslab.data import DataProfile, TaskInfo, infer_task, profile_table
from losslab.data._profile import DEFAULT_SAMPLE_SIZE
from losslab.errors import LosslabError

__all__ = ["Candidate", "Recommendation", "profile", "recommend"]

#: Task -> catalog families whose losses can serve it.
TASK_FAMILIES: dict[str, tuple[Family, ...]] = {
    "regression": (Family.REGRESSION, Family.PROBABILISTIC_REGRESSION),
    "positive": (Family.REGRESSION, Family.PROBABILISTIC_REGRESSION, Family.COUNT),
    "count": (Family.COUNT, Family.PROBABILISTIC_REGRESSION, Family.REGRESSION),
    "proportion": (Family.REGRESSION, Family.PROBABILISTIC_REGRESSION, Family.BINARY),
    "binary": (Family.BINARY,),
    "multiclass": (Family.MULTICLASS,),
    "multilabel": (Family.MULTILABEL, Family.BINARY),
    "ordinal": (Family.ORDINAL, Family.MULTICLASS),
}

#: Goal -> how well each statistic a loss estimates serves it (absent = not proposed).
GOAL_STATISTICS: dict[str, dict[str, float]] = {
    "mean": {"mean": 1.0, "distribution": 0.85, "median": 0.45},
    "median": {"median": 1.0, "quantile": 0.95, "distribution": 0.4, "mean": 0.35},
    "quantile": {"quantile": 1.0},
    "probability": {"probability": 1.0, "distribution": 0.8, "margin": 0.15},
    "labels": {"probability": 1.0, "margin": 0.8, "rank": 0.5, "distribution": 0.6},
    "ranking": {"probability": 1.0, "margin": 0.85, "rank": 0.9, "distribution": 0.6},
}

_UNUSABLE_HEADS = (Head.EMBEDDING, Head.SEGMENTATION, Head.BOXES, Head.SEQUENCE)
_REGRESSION_TASKS = ("regression", "positive", "count", "proportion")
_CLASS_TASKS = ("binary", "multiclass", "multilabel", "ordinal")


@dataclass
class Candidate:
    """One recommended loss.

    Attributes:
        loss: catalog name (``losslab.get(loss, **params)`` builds it).
        params: configured hyperparameters (only those that differ from the defaults or
            were set from the data).
        reason: why this loss, and why these hyperparameters.
        score: ranking score (higher is better; comparable within one recommendation).
        family, statistic, head: the spec's metadata, for display.
    """

    loss: str
    params: dict[str, Any]
    reason: str
    score: float
    family: str = ""
    statistic: str = ""
    head: str = ""

    @property
    def loss_string(self) -> str:
        """``name:param=value;...`` as accepted by ``parse_loss_string`` (``;`` between
        parameters, so a comma-separated ``--losses`` list stays unambiguous)."""
        if not self.params:
            return self.loss
        return self.loss + ":" + ";".join(f"{k}={_short(v)}" for k, v in self.params.items())

    def to_dict(self) -> dict[str, Any]:
        return {
            "loss": self.loss,
            "params": dict(self.params),
            "loss_string": self.loss_string,
            "reason": self.reason,
            "score": round(self.score, 4),
            "family": self.family,
            "statistic": self.statistic,
            "head": self.head,
        }


def _short(v: Any) -> str:
    if isinstance(v, float):
        return f"{v:.6g}"
    if isinstance(v, list | tuple):
        return "[" + ",".join(_short(x) for x in v) + "]"
    return repr(v) if isinstance(v, str) else str(v)


SCHEMA_VERSION = 1


@dataclass
class Recommendation:
    """The advisor's answer (JSON schema: docs/advisor.md).

    Attributes:
        task: the inferred (or forced) :class:`~losslab.data.TaskInfo`.
        profile: the :class:`~losslab.data.DataProfile` it was read from.
        goal: the :class:`Goal`.
        judge_metric: the primary judge metric (``JUDGE_METRICS[goal.kind][0]``).
        judge_metrics: every judge metric of the goal.
        candidates: ranked :class:`Candidate` list (best first).
        class_weight: label -> weight for ``model.fit(class_weight=...)`` when classes are
            imbalanced (inverse frequency, mean weight 1), else ``None``.
        notes: diagnostics and advice that are not tied to one loss.
    """

    task: TaskInfo
    profile: DataProfile
    goal: Goal
    judge_metric: str
    judge_metrics: tuple[str, ...]
    candidates: list[Candidate]
    class_weight: dict[Any, float] | None = None
    notes: list[str] = field(default_factory=list)

    @property
    def losses(self) -> list[str]:
        """The shortlist as ``name:param=value`` strings (what ``losslab run`` compares)."""
        return [c.loss_string for c in self.candidates]

    def to_dict(self) -> dict[str, Any]:
        """The stable JSON document (``schema_version`` 1, see docs/advisor.md)."""
        return {
            "schema_version": SCHEMA_VERSION,
            "target": self.profile.target_names[0]
            if len(self.profile.targets) == 1
            else self.profile.target_names,
            "task": self.task.to_dict(),
            "goal": self.goal.to_dict(),
            "judge_metric": self.judge_metric,
            "judge_metrics": list(self.judge_metrics),
            "candidates": [c.to_dict() for c in self.candidates],
            "class_weight": {str(k): v for k, v in self.class_weight.items()}
            if self.class_weight
            else None,
            "notes": list(self.notes),
            "profile": self.profile.to_dict(),
        }

    def to_markdown(self) -> str:
        """A Markdown summary: task, goal, judge metric, shortlist table, notes."""
        from losslab.advisor._render import to_markdown

        return to_markdown(self)


# --------------------------------------------------------------------------- context


@dataclass
class _Ctx:
    prof: DataProfile
    task: TaskInfo
    goal: Goal

    @property
    def t(self) -> Any:
        return self.prof.target

    # ---- regression facts
    @property
    def heavy(self) -> bool:
        t = self.t
        return bool(
            (t.outlier_share_mad or 0) > 0.01
            or (t.excess_kurtosis or 0) > 3.0
            or (t.tail_ratio or 0) > 1.6
        )

    @property
    def skewed(self) -> bool:
        return abs(self.t.skewness or 0.0) > 1.0

    @property
    def zero_share(self) -> float:
        return float(self.t.zero_share or 0.0)

    @property
    def vmr(self) -> float | None:
        return self.t.variance_to_mean

    def outlier_text(self) -> str:
        t = self.t
        parts = []
        if t.outlier_share_mad is not None:
            parts.append(f"{t.outlier_share_mad:.1%} of the target are outliers (robust z > 3.5)")
        if t.excess_kurtosis is not None:
            parts.append(f"excess kurtosis {t.excess_kurtosis:.1f}")
        return ", ".join(parts) or "heavy tails"

    # ---- classification facts
    @property
    def counts(self) -> list[tuple[Any, int]]:
        if self.task.kind == "multilabel":
            out = []
            for tp in self.prof.targets:
                vc = tp.value_counts or {}
                pos = sum(c for k, c in vc.items() if k in (1, True))
                out.append((tp.name, pos))
            return out
        vc = self.t.value_counts or {}
        labels = self.task.classes or list(vc)
        return [(k, int(vc.get(k, 0))) for k in labels]

    @property
    def imbalance(self) -> float:
        if self.task.kind == "multilabel":
            n = self.prof.target.count or 1
            prev = [c / n for _, c in self.counts]
            low = min(min(p, 1 - p) for p in prev) if prev else 0.5
            return (1 - low) / low if low > 0 else math.inf
        c = [n for _, n in self.counts if n > 0]
        return max(c) / min(c) if len(c) >= 2 else 1.0

    @property
    def noisy(self) -> bool:
        return (self.prof.duplicate_conflict_share or 0.0) > 0.05


# --------------------------------------------------------------------------- rules


def _words(spec: LossSpec) -> str:
    text = " ".join([spec.name, *spec.aliases, *spec.tags]).lower()
    return text.replace("-", "_")


def _is(spec: LossSpec, *words: str) -> bool:
    w = _words(spec)
    return any(x in w for x in words)


def _requires_ok(spec: LossSpec, ctx: _Ctx) -> tuple[bool, str]:
    t = ctx.t
    kind = ctx.task.kind
    for req in spec.requires:
        r = req.replace(" ", "").lower()
        if kind in _REGRESSION_TASKS:
            if r in ("y>=0", "y≥0") and (t.min is None or t.min < 0):
                return False, f"needs y >= 0 (min is {t.min})"
            if r == "y>0" and (t.min is None or t.min <= 0):
                return False, f"needs y > 0 (min is {t.min})"
            if r in ("y!=0", "y≠0") and (t.zero_share or 0) > 0:
                return False, f"needs y != 0 ({t.zero_share:.0%} zeros)"
            if r in ("yin[0,1]",) and not t.unit_interval:
                return False, "needs y in [0, 1]"
            if r in ("yin{0,1}",):
                # cross-entropy with soft targets in [0, 1] is the quasi-binomial likelihood
                # of a proportion; focal and re-weighted variants are meant for labels
                soft_ok = (
                    kind == "proportion"
                    and spec.statistic == "probability"
                    and not _is(spec, "focal", "balanced", "pos_weight", "weighted")
                )
                if not soft_ok:
                    return False, "needs 0/1 labels"
            if "integer" in r and not t.integer_valued and "label" not in r:
                return False, "needs integer targets"
            if r in ("integerlabels", "one-hot", "onehot"):
                return False, "needs class labels"
    return True, ""


def _base(spec: LossSpec, ctx: _Ctx) -> tuple[float, str] | None:
    """Fit of the spec's statistic to the goal, or None when it does not serve the task."""
    if spec.family not in TASK_FAMILIES[ctx.task.kind]:
        return None
    if spec.head in _UNUSABLE_HEADS or spec.per_batch:
        return None
    stat = spec.statistic
    goal = ctx.goal.kind
    table = GOAL_STATISTICS[goal]
    if ctx.task.kind == "proportion" and spec.family == Family.BINARY:
        if stat != "probability" or goal != "mean":
            return None
        return 1.0, "cross-entropy with soft [0, 1] targets estimates the mean proportion"
    if ctx.task.kind == "ordinal" and goal in ("mean", "median"):
        table = {"probability": 0.8, "distribution": 0.8, "mean": 1.0, "median": 1.0}
    if stat not in table:
        return None
    if ctx.task.kind in _REGRESSION_TASKS and spec.family == Family.BINARY:
        return None
    what = {
        "mean": "estimates the conditional mean",
        "median": "estimates the conditional median",
        "quantile": "estimates conditional quantiles",
        "probability": "gives class probabilities",
        "distribution": "fits a full predictive distribution (mean and spread)",
        "margin": "maximises the margin (labels, no calibrated probabilities)",
        "rank": "optimises the ranking",
    }.get(stat, f"estimates the {stat}")
    return table[stat], what


def _score_regression(spec: LossSpec, ctx: _Ctx, why: list[str]) -> float:
    s = 0.0
    t = ctx.t
    kind = ctx.task.kind
    rob = spec.robustness
    positive_loss = _is(spec, "poisson", "tweedie", "gamma", "negative_binomial", "negbin") or (
        spec.family == Family.COUNT
    )
    if kind in ("positive", "count"):
        # a long right tail is the shape of these targets, not contamination: a robust loss
        # would shrink the estimate toward the median
        if (
            not positive_loss
            and rob in (Robustness.MODERATE, Robustness.HIGH)
            and ctx.skewed
            and ctx.goal.kind == "mean"
        ):
            s -= 0.15
            why.append(
                f"but it down-weights the long right tail (skewness {t.skewness:.2f}), which biases "
                "the mean downward"
            )
    elif ctx.heavy:
        if rob == Robustness.MODERATE:
            s += 0.35
            why.append(f"robust to outliers ({ctx.outlier_text()}) while quadratic near zero")
        elif rob == Robustness.HIGH:
            s += 0.25
            why.append(f"strongly robust to outliers ({ctx.outlier_text()})")
        elif rob == Robustness.NONE:
            s -= 0.3
            why.append(f"squared errors let outliers dominate ({ctx.outlier_text()})")
    elif ctx.goal.kind == "mean":
        if rob == Robustness.NONE:
            s += 0.15
            why.append("efficient when errors are near Gaussian; no marked outliers found")
        elif rob == Robustness.HIGH:
            s -= 0.1
    if spec.statistic == "median" and ctx.goal.kind == "mean" and ctx.skewed:
        s -= 0.2
        why.append(
            f"but the median differs from the mean for a skewed target (skewness {t.skewness:.2f})"
        )
    if kind in ("positive", "count"):
        if _is(spec, "tweedie"):
            if ctx.zero_share > 0.05 and kind == "positive":
                s += 0.6
                why.append(
                    f"{ctx.zero_share:.0%} exact zeros plus a continuous positive tail: the "
                    "compound Poisson-Gamma (Tweedie, 1 < p < 2) shape"
                )
            elif ctx.zero_share > 0.05:
                s += 0.35
                why.append(f"handles {ctx.zero_share:.0%} zeros and over-dispersion")
            else:
                s += 0.2
                why.append("variance grows as a power of the mean")
        elif _is(spec, "gamma"):
            if (t.min or 0) > 0 and kind == "positive":
                s += 0.5
                why.append(
                    f"strictly positive, right-skewed target (skewness {t.skewness:.2f}): constant "
                    "coefficient of variation"
                )
            else:
                s -= 0.2
        elif _is(spec, "negative_binomial", "negbin"):
            if kind == "count" and (ctx.vmr or 0) > 1.5:
                s += 0.55
                why.append(f"over-dispersed counts (variance/mean = {ctx.vmr:.2f})")
        elif _is(spec, "poisson"):
            if kind == "count":
                vmr = ctx.vmr or 1.0
                if vmr <= 1.5:
                    s += 0.55
                    why.append(f"counts with variance/mean = {vmr:.2f}, close to Poisson's 1")
                else:
                    s += 0.35
                    why.append(
                        f"counts: still estimates the mean consistently under over-dispersion "
                        f"(variance/mean = {vmr:.2f})"
                    )
            else:
                s += 0.15
                why.append("log-link mean for a non-negative target")
        elif positive_loss:
            s += 0.2
            why.append("made for non-negative targets")
        elif _is(spec, "logarithmic", "msle", "log_error"):
            s += 0.1
            why.append("works on log(1 + y), tempering the long right tail")
        elif rob == Robustness.NONE and ctx.skewed:
            s -= 0.1
            why.append(f"a few large values dominate squared errors (skewness {t.skewness:.2f})")
    elif positive_loss:
        s -= 0.4  # count / positive losses on a signed target: excluded by requires usually
    if _is(spec, "percentage", "mape") and (
        (t.negative_share or 0) > 0
        or (t.zero_share or 0) > 0
        or (t.q01 or 0) < 0.05 * abs(t.median or 1)
    ):
        s -= 0.5
        why.append(
            f"divides by |y|, and the target has values at or near zero (1% quantile {t.q01 if t.q01 is not None else float('nan'):.3g}), "
            "which would dominate"
        )
    if kind == "proportion" and spec.family == Family.BINARY:
        s += 0.3
        why.append("a sigmoid head keeps predictions inside [0, 1]")
    if spec.statistic == "distribution" and ctx.heavy and _is(spec, "student", "cauchy", "laplace"):
        s += 0.2
        why.append("heavy-tailed likelihood")
    return s


def _score_classification(spec: LossSpec, ctx: _Ctx, why: list[str]) -> float:
    s = 0.0
    ir = ctx.imbalance
    goal = ctx.goal.kind
    focal = _is(spec, "focal")
    balanced = _is(spec, "balanced", "pos_weight", "weighted_cross", "weighted_bce")
    noise_robust = _is(spec, "symmetric", "generalized", "gce", "sce", "poly")
    if ir >= 3:
        if focal or balanced:
            gain = 0.35 if goal != "probability" else 0.05
            s += gain
            why.append(
                f"classes are imbalanced ({ir:.1f}:1): "
                + (
                    "focal down-weights the many easy examples"
                    if focal
                    else "re-weights the rare classes"
                )
                + ("" if goal != "probability" else "; note it distorts probability calibration")
            )
        elif spec.statistic == "probability" and goal == "probability":
            s += 0.2
            why.append("keeps probabilities calibrated despite the imbalance")
    elif focal and ir < 1.5:
        s -= 0.1
        why.append("classes are balanced, so focal re-weighting brings little")
    if ctx.noisy:
        dup = ctx.prof.duplicate_conflict_share or 0
        if noise_robust:
            s += 0.3
            why.append(f"robust to label noise ({dup:.0%} of rows conflict with an identical row)")
    if ctx.task.kind == "ordinal":
        if spec.family == Family.ORDINAL:
            s += 0.5
            why.append(f"uses the order of the {ctx.task.n_classes} levels")
        else:
            why.append("ignores the order of the levels")
    if ctx.task.kind == "multilabel" and spec.family == Family.MULTILABEL and ir >= 3:
        s += 0.2
        why.append("made for multilabel targets with rare positive labels")
    if ctx.task.kind == "multiclass" and spec.name.startswith("sparse_"):
        s += 0.02
        why.append("takes integer labels directly")
    return s


# --------------------------------------------------------------------------- parameters


def _sig(x: float, digits: int = 4) -> float:
    if x == 0 or not math.isfinite(x):
        return x
    return float(f"{x:.{digits}g}")


def tweedie_power(zero_share: float, mean: float, var: float) -> float | None:
    """Method-of-moments Tweedie power from the zero share and the mean-variance relation.

    For a compound Poisson-Gamma variable (N ~ Poisson(lam) jumps of Gamma(a, theta)):
    P(Y = 0) = exp(-lam), E[Y] = lam a theta, Var[Y] = lam a (a + 1) theta^2, so
    Var lam / E^2 = 1 + 1/a and the power is p = (a + 2) / (a + 1). Returns ``None`` without
    zeros (no Tweedie signal). Clipped to [1.05, 1.95]. This is the marginal relation, a
    starting point: the tuner refines it.

    Args:
        zero_share: share of exact zeros, in (0, 1).
        mean, var: mean and variance of the target.

    Returns:
        The power p in [1.05, 1.95], or ``None`` when there are no zeros (or no spread).

    Example:
        >>> import math
        >>> round(tweedie_power(math.exp(-1.0), 1.0, 2.0), 3)  # lam = 1, a = 1 -> p = 1.5
        1.5
    """
    if not (0.0 < zero_share < 1.0) or mean <= 0 or var <= 0:
        return None
    lam = -math.log(zero_share)
    ratio = var * lam / mean**2 - 1.0
    if ratio <= 0:
        return 1.05
    a = 1.0 / ratio
    return min(max((a + 2.0) / (a + 1.0), 1.05), 1.95)


def _configure(spec: LossSpec, ctx: _Ctx) -> tuple[dict[str, Any], list[str]]:
    """Data-driven hyperparameters for ``spec`` (only valid ones are kept)."""
    t = ctx.t
    kind = ctx.task.kind
    names = {p.name for p in spec.params}
    want: dict[str, Any] = {}
    why: dict[str, str] = {}
    std = t.std or 0.0
    rsig = t.robust_sigma or 0.0
    if kind in _REGRESSION_TASKS or (kind == "ordinal" and ctx.goal.kind in ("mean", "median")):
        z_sigma = rsig / std if std > 0 and rsig > 0 else None
        delta_key = "delta" if "delta" in names else None
        if delta_key is None and _is(spec, "smooth_l1") and "beta" in names:
            delta_key = "beta"  # smooth L1 with threshold beta is Huber(delta=beta) / beta
        if delta_key == "beta" and z_sigma is not None:
            want["beta"] = _sig(1.345 * z_sigma)
            why["beta"] = (
                f"beta = 1.345 x robust sigma of the standardized target = {want['beta']:g}"
            )
        if "delta" in names and z_sigma is not None:
            want["delta"] = _sig(1.345 * z_sigma)
            why["delta"] = (
                f"delta = 1.345 x robust sigma of the standardized target "
                f"(1.4826 MAD / std = {z_sigma:.3g}) = {want['delta']:g} "
                f"(x std {std:.4g} = {1.345 * rsig:.4g} in target units; 95% Gaussian efficiency)"
            )
        if _is(spec, "cauchy") and z_sigma is not None:
            for key in ("c", "scale"):
                if key in names:
                    want[key] = _sig(2.3849 * z_sigma)
                    why[key] = (
                        f"{key} = 2.3849 x robust sigma of the standardized target (95% efficiency)"
                    )
                    break
        elif "scale" in names and z_sigma is not None and spec.robustness != Robustness.NONE:
            want["scale"] = _sig(z_sigma)
            why["scale"] = f"scale = robust sigma of the standardized target ({z_sigma:.3g})"
        if _is(spec, "tweedie"):
            pkey: str | None = "power" if "power" in names else ("p" if "p" in names else None)
            p = tweedie_power(ctx.zero_share, t.mean or 0.0, (t.std or 0.0) ** 2)
            if pkey and p is not None:
                want[pkey] = round(p, 2)
                why[pkey] = (
                    f"power {want[pkey]:g} from {ctx.zero_share:.0%} zeros and variance/mean^2 "
                    f"(compound Poisson-Gamma moments)"
                )
            elif pkey and kind == "count":
                want[pkey] = 1.2 if (ctx.vmr or 1) > 1.5 else 1.05
                why[pkey] = f"power {want[pkey]:g}: counts, variance/mean = {ctx.vmr or 1:.2f}"
    for key in ("tau", "quantile", "quantiles"):
        if key in names and spec.statistic == "quantile":
            q = ctx.goal.quantile if ctx.goal.kind == "quantile" else 0.5
            want[key] = q
            why[key] = (
                f"{key} = {q:g} for the {'quantile' if ctx.goal.kind == 'quantile' else 'median'} goal"
            )
            break
    if kind in _CLASS_TASKS:
        counts = ctx.counts
        total = sum(c for _, c in counts) or 1
        ir = ctx.imbalance
        if _is(spec, "focal") and "gamma" in names and ir >= 3:
            gamma = 1.0 if ir < 5 else (2.0 if ir < 50 else 3.0)
            want["gamma"] = gamma
            why["gamma"] = f"gamma = {gamma:g} for a {ir:.1f}:1 imbalance"
        if kind == "binary" and len(counts) == 2 and counts[1][1] > 0:
            n_neg, n_pos = counts[0][1], counts[1][1]
            if _is(spec, "focal") and "alpha" in names and ir >= 3:
                alpha = round(min(max(n_neg / (n_neg + n_pos), 0.1), 0.9), 3)
                want["alpha"] = alpha
                why["alpha"] = (
                    f"alpha = {alpha:g}, the share of the other class (inverse frequency)"
                )
                if "apply_class_balancing" in names:
                    want["apply_class_balancing"] = True
                    why["apply_class_balancing"] = "apply_class_balancing=True so alpha is used"
            if "pos_weight" in names and ir >= 1.5:
                want["pos_weight"] = _sig(n_neg / n_pos, 3)
                why["pos_weight"] = f"pos_weight = negatives / positives = {want['pos_weight']:g}"
        elif _is(spec, "focal") and "alpha" in names and ir >= 3 and kind != "multilabel":
            inv = [total / (len(counts) * c) if c else 0.0 for _, c in counts]
            s = sum(inv) or 1.0
            want["alpha"] = [round(v / s, 4) for v in inv]
            why["alpha"] = "per-class alpha proportional to inverse class frequency"
        if _is(spec, "balanced") and ir >= 1.5:
            n_max = max(c for _, c in counts)
            target_beta = 1.0 - 1.0 / max(n_max, 2)
            beta = min((0.9, 0.99, 0.999, 0.9999), key=lambda b: abs(b - target_beta))
            if "beta" in names:
                want["beta"] = beta
                why["beta"] = (
                    f"beta = {beta:g} (effective number of samples, largest class n = {n_max})"
                )
            for key in ("samples_per_class", "class_counts", "counts"):
                if key in names:
                    want[key] = [int(c) for _, c in counts]
                    why[key] = f"{key} from the label counts"
                    break
        if "label_smoothing" in names and ctx.noisy:
            want["label_smoothing"] = 0.1
            why["label_smoothing"] = "label_smoothing = 0.1 against the label noise hint"
        for key in ("num_classes", "n_classes"):
            if key in names and ctx.task.n_classes:
                want[key] = ctx.task.n_classes
                why[key] = f"{key} = {ctx.task.n_classes}"
    # keep only values the spec accepts (one by one, so one bad value does not drop others)
    params: dict[str, Any] = {}
    notes: list[str] = []
    for k, v in want.items():
        try:
            spec.validate_params({**params, k: v})
        except LosslabError:
            continue
        params[k] = v
        notes.append(why.get(k, f"{k} = {v!r}"))
    return params, notes


# --------------------------------------------------------------------------- main


def _dedupe_key(spec: LossSpec) -> str:
    """Losses that differ only by label encoding share a key (sparse vs one-hot CE)."""
    key = spec.name.replace("sparse_", "")
    for suffix in ("_crossentropy", "_cross_entropy"):
        key = key.replace(suffix, "")
    return key


def _rank(ctx: _Ctx, specs: Sequence[LossSpec]) -> list[Candidate]:
    out: dict[str, Candidate] = {}
    robustness = {s.name: s.robustness.value for s in specs}
    for spec in specs:
        base = _base(spec, ctx)
        if base is None:
            continue
        ok, _why_not = _requires_ok(spec, ctx)
        if not ok:
            continue
        score, what = base
        why: list[str] = []
        scorer: Callable[[LossSpec, _Ctx, list[str]], float]
        if ctx.task.kind in _REGRESSION_TASKS or spec.family in (
            Family.REGRESSION,
            Family.PROBABILISTIC_REGRESSION,
            Family.COUNT,
        ):
            scorer = _score_regression
        else:
            scorer = _score_classification
        score = round(score + scorer(spec, ctx, why), 6)  # exact ties break by name
        params, pnotes = _configure(spec, ctx)
        reason = what[0].upper() + what[1:]
        if why:
            reason += "; " + "; ".join(why)
        reason += "."
        if pnotes:
            reason += " Set " + "; ".join(pnotes) + "."
        cand = Candidate(
            loss=spec.name,
            params=params,
            reason=reason,
            score=score,
            family=spec.family.value,
            statistic=spec.statistic,
            head=spec.head.value,
        )
        key = _dedupe_key(spec)
        if key not in out or out[key].score < cand.score:
            out[key] = cand
    return _diversify(sorted(out.values(), key=lambda c: (-c.score, c.loss)), robustness)


#: Score taken off a candidate for each better-ranked one of the same kind (family,
#: statistic, robustness, head), so the shortlist compares different ideas, not four
#: variants of one.
SIMILARITY_PENALTY = 0.1


def _diversify(cands: list[Candidate], robustness: dict[str, str]) -> list[Candidate]:
    def kind(c: Candidate) -> tuple[str, str, str, str]:
        return (c.family, c.statistic, robustness.get(c.loss, ""), c.head)

    pool = list(cands)
    chosen: list[Candidate] = []
    while pool:

        def adjusted(c: Candidate) -> float:
            return round(c.score - SIMILARITY_PENALTY * sum(kind(x) == kind(c) for x in chosen), 6)

        best = max(pool, key=lambda c: (adjusted(c), -pool.index(c)))
        similar = [x.loss for x in chosen if kind(x) == kind(best)]
        if similar:
            best.score = adjusted(best)
            best.reason += f" (Ranked after the similar {', '.join(similar[:3])} for variety.)"
        chosen.append(best)
        pool.remove(best)
    return chosen


def _class_weight(ctx: _Ctx) -> dict[Any, float] | None:
    if ctx.task.kind not in ("binary", "multiclass", "ordinal") or ctx.imbalance < 3:
        return None
    counts = [(k, c) for k, c in ctx.counts if c > 0]
    total = sum(c for _, c in counts)
    return {k: round(total / (len(counts) * c), 4) for k, c in counts}


def _notes(ctx: _Ctx, cw: dict[Any, float] | None) -> list[str]:
    notes = list(ctx.prof.warnings)
    t = ctx.t
    if cw:
        notes.append(
            f"Classes are imbalanced ({ctx.imbalance:.1f}:1): pass class_weight to model.fit "
            "with plain cross-entropy, or use a focal / class-balanced loss."
        )
    if t.rare_classes and ctx.task.kind in _CLASS_TASKS:
        notes.append(
            f"Rare classes (< 1% of rows): {', '.join(map(str, t.rare_classes[:10]))}; "
            "use a stratified split."
        )
    if ctx.task.kind in _REGRESSION_TASKS and t.std and abs(t.mean or 0) + t.std > 1e3:
        notes.append(
            f"The target's scale is large (mean {t.mean:.4g}, std {t.std:.4g}): standardize it "
            "(or predict log-rates) before MSE-type losses."
        )
    if ctx.prof.sampled:
        notes.append(
            f"Order statistics, duplicates and leakage were computed on a random sample of "
            f"{ctx.prof.sample_size:,} of {ctx.prof.n_rows:,} rows."
        )
    return notes


def profile(
    data: Any,
    target: str | Sequence[str],
    *,
    task: str | None = None,
    sample_size: int = DEFAULT_SAMPLE_SIZE,
) -> DataProfile:
    """Profile ``data`` for ``target`` and infer the task (``profile.task``).

    Args:
        data: a CSV/Parquet path, a pandas DataFrame or a pyarrow Table.
        target: the target column (several 0/1 columns for multilabel).
        task: force the task kind instead of inferring it.
        sample_size: rows sampled for order statistics, duplicates and leakage.

    Returns:
        A :class:`~losslab.data.DataProfile` with ``task`` set.

    Raises:
        DataError: missing target (columns listed), empty data, all-missing target, a
            single class, unknown task.

    Example:
        >>> import pandas as pd
        >>> p = profile(pd.DataFrame({"x": [1, 2, 3, 4], "y": [0, 1, 0, 1]}), target="y")
        >>> p.task.kind
        'binary'
    """
    prof = profile_table(data, target, sample_size=sample_size)
    prof.task = infer_task(prof, task)
    return prof


def recommend(
    data: Any,
    target: str | Sequence[str] | None = None,
    task: str | None = None,
    goal: str | Goal | None = None,
    top: int | None = 5,
    *,
    quantile: float | None = None,
    sample_size: int = DEFAULT_SAMPLE_SIZE,
    catalog: Sequence[LossSpec] | None = None,
) -> Recommendation:
    """Recommend catalog losses for predicting ``target`` from ``data``, with reasons.

    Args:
        data: a CSV/Parquet path, a pandas DataFrame, a pyarrow Table, or a
            :class:`~losslab.data.DataProfile` from :func:`profile` (then ``target`` may be
            omitted).
        target: the target column (several 0/1 columns for multilabel).
        task: force the task (``binary``, ``multiclass``, ``multilabel``, ``regression``,
            ``count``, ``positive``, ``proportion``, ``ordinal``); inferred when ``None``.
        goal: ``mean``, ``median``, ``quantile:Q`` (or a :class:`Goal`), ``probability``,
            ``labels``, ``ranking``; the task's default when ``None``.
        top: length of the shortlist (``None`` for every fitting loss).
        quantile: the level when ``goal="quantile"`` is given without one (``quantile:Q``
            carries its own level).
        sample_size: rows sampled for order statistics, duplicates and leakage.
        catalog: the specs to choose from (default: ``losslab.list_losses()``).

    Returns:
        A :class:`Recommendation` (``.task``, ``.goal``, ``.judge_metric``, ``.candidates``).

    Raises:
        DataError: bad data or target, unknown task or goal.
        TaskMismatchError: a goal that does not fit the task.

    Example:
        >>> import numpy as np, pandas as pd
        >>> rng = np.random.default_rng(0)
        >>> df = pd.DataFrame({"x": rng.normal(size=500)})
        >>> df["y"] = rng.poisson(np.exp(0.3 * df.x + 1.0))
        >>> rec = recommend(df, target="y")
        >>> rec.task.kind, rec.judge_metric
        ('count', 'rmse')
    """
    if isinstance(data, DataProfile):
        prof = data
        if task is not None or prof.task is None:
            prof.task = infer_task(prof, task)
    else:
        if target is None:
            from losslab.errors import DataError

            raise DataError("recommend() needs target='column'. Received: target=None.")
        prof = profile(data, target, task=task, sample_size=sample_size)
    info: TaskInfo = prof.task
    if quantile is not None and isinstance(goal, str) and goal.strip().lower() in ("quantile", "q"):
        goal = f"quantile:{quantile}"
    g = resolve_goal(goal, info.kind)
    ctx = _Ctx(prof, info, g)
    specs = list(catalog) if catalog is not None else list_losses()
    cands = _rank(ctx, specs)
    if top is not None:
        if top < 1:
            from losslab.errors import DataError

            raise DataError(f"top must be >= 1. Received: top={top}.")
        cands = cands[:top]
    cw = _class_weight(ctx)
    notes = _notes(ctx, cw)
    if not cands:
        notes.append(
            f"No loss in the catalog fits a {info.kind} task with goal {g} yet "
            f"({len(specs)} losses searched). Run `losslab losses` to see them."
        )
    return Recommendation(
        task=info,
        profile=prof,
        goal=g,
        judge_metric=g.judge_metric,
        judge_metrics=g.judge_metrics,
        candidates=cands,
        class_weight=cw,
        notes=notes,
    )
