"""Summary of the advisor benchmark (``bench_advice.py --summarize``): one CSV row per table
and a markdown table per task kind, for the advisor that chose the lineup (``stored``) and
for the advisor of the current source tree (``current``: its top-1 is looked up among the
compared candidates, so no retraining is needed; a top-1 outside the lineup is counted as
not evaluated).

Verdicts are recomputed from the stored per-seed values with
``losslab.experiment.statistics.leaderboard_rows``.
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import pandas as pd

CATASTROPHE = 2.0
SHORTLIST = 3
"""The shortlist scored: the advisor's first 3 candidates (a top-1 and two alternatives)."""


def _parse(loss_string: str) -> tuple[str, dict[str, Any]]:
    from losslab.catalog import get_spec

    name, _, rest = loss_string.partition(":")
    params: dict[str, Any] = {}
    for part in filter(None, rest.replace(";", ",").split(",")):
        k, _, v = part.partition("=")
        try:
            params[k] = float(v)
        except ValueError:
            params[k] = {"true": True, "false": False}.get(v.lower(), v)
    return get_spec(name).name, params


def find_row(rows: list[dict[str, Any]], loss_string: str) -> dict[str, Any] | None:
    """The leaderboard row of the candidate ``loss_string`` names (catalog name + the given
    parameters), or None when it was not compared."""
    name, params = _parse(loss_string)
    for r in rows:
        if r["loss"] != name:
            continue
        ok = True
        for k, v in params.items():
            have = r["params"].get(k)
            if (
                isinstance(v, float)
                and isinstance(have, int | float)
                and not isinstance(have, bool)
            ):
                ok &= math.isclose(float(have), v, rel_tol=1e-3, abs_tol=1e-9)
            else:
                ok &= have == v
        if ok:
            return r
    return None


def _board(result: dict[str, Any]) -> tuple[list[dict[str, Any]], str]:
    from losslab.experiment.judge import DIRECTIONS
    from losslab.experiment.statistics import leaderboard_rows

    cands = result["candidates"]
    recs = [
        {"candidate_id": next(c["id"] for c in cands if c["label"] == t["label"]), "seed": t["seed"],
         "status": t["status"], "primary": t["primary"], "metrics": {}, "epochs_run": 0}
        for t in result["trials"]
    ]  # fmt: skip
    metric = result["primary_metric"]
    return leaderboard_rows(recs, cands, metric), DIRECTIONS[metric]


def _rel(a: float, b: float, direction: str) -> float:
    """How much worse ``a`` is than ``b``, relative to ``|b|`` (negative: better)."""
    sign = 1.0 if direction == "min" else -1.0
    return sign * (a - b) / max(abs(b), 1e-12)


def current_shortlist(result: dict[str, Any]) -> list[str]:
    """The shortlist of the advisor in this source tree on the same table (no training)."""
    from bench_advice import TABLES, prepare_table

    import losslab

    df, target = TABLES[result["table"]]()
    rec = losslab.recommend(prepare_table(df, target), target=target, top=5)
    return [c.loss_string for c in rec.candidates[:SHORTLIST]]


def _holds_best_tier(rows: list[dict[str, Any]], shortlist: list[str]) -> bool:
    """Whether a loss of ``shortlist`` was compared and is in the best tier (a loss that was
    not compared counts as not holding it)."""
    return any(
        (r := find_row(rows, s)) is not None and r["verdict"] == "best tier" for s in shortlist
    )


def table_row(result: dict[str, Any], *, rescore: bool = True) -> dict[str, Any]:
    from bench_advice import held_back

    rows, direction = _board(result)
    best = rows[0]
    default = find_row(rows, result["default"])
    out: dict[str, Any] = {
        "table": result["table"], "kind": result["kind"], "held_back": held_back(result["table"]),
        "rows": result["rows"], "metric": result["primary_metric"], "seeds": result["seeds"],
        "best": best["label"], "best_mean": best["mean"], "default": result["default"],
        "default_verdict": default["verdict"] if default else None,
        "default_regret": _rel(default["mean"], best["mean"], direction) if default and default["mean"] is not None else None,
        "stored_shortlist_best_tier": _holds_best_tier(rows, result["shortlist"][:SHORTLIST]),
        "unstable": ",".join(r["label"] for r in rows if r.get("unstable")),
    }  # fmt: skip
    versions = {"stored": result["shortlist"][0] if result["shortlist"] else None}
    if rescore:
        short = current_shortlist(result)
        versions["current"] = short[0] if short else None
        out["current_shortlist"] = ";".join(short)
        out["current_shortlist_best_tier"] = _holds_best_tier(rows, short)
        out["current_shortlist_compared"] = sum(find_row(rows, s) is not None for s in short)
    for tag, top1 in versions.items():
        r = find_row(rows, top1) if top1 else None
        out[f"{tag}_top1"] = top1
        out[f"{tag}_evaluated"] = r is not None and r["mean"] is not None
        if not out[f"{tag}_evaluated"]:
            continue
        assert r is not None
        ratio = (
            r["mean"] / best["mean"] if direction == "min" else best["mean"] / max(r["mean"], 1e-12)
        )
        out[f"{tag}_verdict"] = r["verdict"]
        out[f"{tag}_regret"] = _rel(r["mean"], best["mean"], direction)
        out[f"{tag}_vs_default"] = (
            _rel(r["mean"], default["mean"], direction)
            if default and default["mean"] is not None
            else None
        )
        out[f"{tag}_catastrophic"] = bool(ratio > CATASTROPHE)
    return out


def per_kind(df: pd.DataFrame, tag: str) -> pd.DataFrame:
    """One row per task kind (and ``all``) for one advisor version."""
    out = []
    for kind, g in [*df.groupby("kind"), ("all", df)]:
        ev = g[g[f"{tag}_evaluated"] == True]  # noqa: E712 - pandas mask
        vs = ev[f"{tag}_vs_default"].dropna()
        out.append(
            {
                "kind": kind,
                "tables": len(g),
                "evaluated": len(ev),
                "top1 best tier": int((ev[f"{tag}_verdict"] == "best tier").sum()),
                "default best tier": int((g["default_verdict"] == "best tier").sum()),
                "top1 regret mean %": 100 * ev[f"{tag}_regret"].mean() if len(ev) else None,
                "top1 regret median %": 100 * ev[f"{tag}_regret"].median() if len(ev) else None,
                "default regret mean %": 100 * g["default_regret"].mean(),
                "default regret median %": 100 * g["default_regret"].median(),
                "top1 beats default": int((vs < 0).sum()),
                "top1 loses to default": int((vs > 0).sum()),
                "catastrophic top1": int(ev[f"{tag}_catastrophic"].sum()),
                "shortlist holds best tier": int(g[f"{tag}_shortlist_best_tier"].sum()),
            }
        )
    return pd.DataFrame(out)


def _md(df: pd.DataFrame) -> str:
    cols = list(df.columns)
    lines = ["| " + " | ".join(cols) + " |", "|" + "---|" * len(cols)]
    for _, r in df.iterrows():
        cells = [
            f"{v:.2f}"
            if isinstance(v, float) and not math.isnan(v)
            else ("-" if isinstance(v, float) else str(v))
            for v in r
        ]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def main(runs: Path, results: Path, date: str) -> None:
    files = sorted(runs.glob("*.json"))
    done = [json.loads(f.read_text()) for f in files]
    errors = [d for d in done if "error" in d]
    rows = [table_row(d) for d in done if "error" not in d and d.get("trials")]
    if not rows:
        print("no finished table yet")
        return
    df = pd.DataFrame(rows)
    df.to_csv(results / f"advice-{date}.csv", index=False)
    parts = [
        f"# Advisor benchmark, {date}",
        "",
        f"{len(df)} real tables finished ({int(df['held_back'].sum())} held back from calibration), "
        f"{len(errors)} failed to load or run. Seeds per table: {sorted(set(df['seeds']))}. "
        "Regret: how much worse than the best candidate's mean judge metric, in % of it. "
        "Best tier: the paired 95% interval to the best within 5% of its mean "
        "(`losslab.experiment.statistics`). Catastrophic: judge metric over 2x the best's.",
        "",
    ]
    for tag, what in (
        ("stored", "advisor that chose the lineup"),
        ("current", "advisor of this source tree"),
    ):
        for name, part in (
            ("calibration tables", df[~df["held_back"]]),
            ("held-back tables", df[df["held_back"]]),
        ):
            if len(part):
                parts += [f"## {what}: {name}", "", _md(per_kind(part, tag)), ""]
    parts += ["## Per table", "", _md(df[["table", "kind", "held_back", "metric", "best", "stored_top1", "stored_verdict",
              "stored_regret", "current_top1", "current_regret", "default_regret", "unstable"]]), ""]  # fmt: skip
    if errors:
        parts += ["## Not run", ""] + [f"- {d['table']}: {d['error'][:200]}" for d in errors]
    (results / f"advice-{date}.md").write_text("\n".join(parts) + "\n")
    print("\n".join(parts))
