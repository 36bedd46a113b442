"""Ranking: eligible specs -> scored candidates, one per label encoding, diversified;
plus the class weights and the notes of a recommendation."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from losslab.advisor._configure import configure
from losslab.advisor._context import Context
from losslab.advisor._eligibility import base_fit, unmet_requirement
from losslab.advisor._result import Candidate
from losslab.advisor._rules import score_rules
from losslab.advisor._traits import one_hot_twin
from losslab.catalog import LossSpec

__all__ = ["SIMILARITY_PENALTY", "class_weight", "diversify", "notes", "rank"]

#: Score taken off a candidate for each better-ranked one of the same kind (family,
#: statistic, robustness, head), so the shortlist compares different ideas, not four
#: variants of one.
SIMILARITY_PENALTY = 0.1

_Kind = tuple[str, str, str, str]


def _candidate(spec: LossSpec, ctx: Context) -> Candidate | None:
    base = base_fit(spec, ctx)
    if base is None or unmet_requirement(spec, ctx) is not None:
        return None
    score, what = base
    delta, why = score_rules(spec, ctx)
    params, pnotes = configure(spec, ctx)
    reason = what[0].upper() + what[1:]
    if why:
        reason += "; " + "; ".join(why)
    reason += "."
    if pnotes:
        reason += " Set " + "; ".join(pnotes) + "."
    return Candidate(
        loss=spec.name,
        params=params,
        reason=reason,
        score=round(score + delta, 6),  # exact ties break by name
        family=spec.family.value,
        statistic=spec.statistic,
        head=spec.head.value,
    )


def rank(ctx: Context, specs: Sequence[LossSpec]) -> list[Candidate]:
    """Every eligible spec as a scored :class:`Candidate`, best first.

    Losses that differ only by label encoding (an integer-label loss and its
    ``one_hot_twin``) are listed once, the better scored (the first on a tie).
    """
    best: dict[str, Candidate] = {}
    kinds: dict[str, _Kind] = {}
    for spec in specs:
        cand = _candidate(spec, ctx)
        if cand is None:
            continue
        kinds[spec.name] = (
            spec.family.value,
            spec.statistic,
            spec.robustness.value,
            spec.head.value,
        )
        key = one_hot_twin(spec) or spec.name
        if key not in best or best[key].score < cand.score:
            best[key] = cand
    ordered = sorted(best.values(), key=lambda c: (-c.score, c.loss))
    return diversify(ordered, kinds)


def diversify(cands: list[Candidate], kinds: dict[str, _Kind]) -> list[Candidate]:
    """Re-rank so that each candidate loses :data:`SIMILARITY_PENALTY` per better-ranked
    candidate of the same kind (``kinds[name]``); its reason says so."""
    pool = list(cands)
    chosen: list[Candidate] = []

    def adjusted(c: Candidate) -> float:
        same = sum(kinds.get(x.loss) == kinds.get(c.loss) for x in chosen)
        return round(c.score - SIMILARITY_PENALTY * same, 6)

    while pool:
        top = max(pool, key=lambda c: (adjusted(c), -pool.index(c)))
        similar = [x.loss for x in chosen if kinds.get(x.loss) == kinds.get(top.loss)]
        if similar:
            top.score = adjusted(top)
            top.reason += f" (Ranked after the similar {', '.join(similar[:3])} for variety.)"
        chosen.append(top)
        pool.remove(top)
    return chosen


def class_weight(ctx: Context) -> dict[Any, float] | None:
    """Inverse-frequency weights n / (K n_k) for ``model.fit`` when classes are imbalanced
    3:1 or more (one label per row), else None."""
    if not ctx.kind.has_class_labels or ctx.imbalance < 3:
        return None
    counts = [(k, c) for k, c in ctx.counts if c > 0]
    total = sum(c for _, c in counts)
    return {k: round(total / (len(counts) * c), 4) for k, c in counts}


def notes(ctx: Context, weights: dict[Any, float] | None) -> list[str]:
    """Diagnostics and advice not tied to one loss (the profile's warnings first)."""
    out = list(ctx.profile.warnings)
    t = ctx.target
    if weights:
        out.append(
            f"Classes are imbalanced ({ctx.imbalance:.1f}:1): pass class_weight to model.fit "
            "with plain cross-entropy, or use a focal / class-balanced loss."
        )
    if t.rare_classes and ctx.kind.is_classification:
        out.append(
            f"Rare classes (< 1% of rows): {', '.join(map(str, t.rare_classes[:10]))}; "
            "use a stratified split."
        )
    if ctx.kind.is_regression and t.std and abs(t.mean or 0) + t.std > 1e3:
        out.append(
            f"The target's scale is large (mean {t.mean:.4g}, std {t.std:.4g}): standardize it "
            "(or predict log-rates) before MSE-type losses."
        )
    if ctx.profile.sampled:
        out.append(
            f"Order statistics, duplicates and leakage were computed on a random sample of "
            f"{ctx.profile.sample_size:,} of {ctx.profile.n_rows:,} rows."
        )
    return out
