"""Evidence benchmark for the advisor: does its top-1 win on real tables?

For each real table bundled with an installed package (scikit-learn ``load_*`` sets,
statsmodels ``sm.datasets`` and ``plotly.express.data``; nothing is downloaded): ``losslab.recommend``, then one
``losslab.compare`` of a broad lineup (the shortlist, the plain default loss of the task and
robust / count / skew alternatives) over 5 seeds. One JSON result per table lands in
``bench/results/advice-runs/`` (the run is resumable: finished tables are skipped), and
``--summarize`` writes ``bench/results/advice-<date>.csv`` and ``advice-<date>.md`` with,
per task kind: the top-1 in the best tier, mean / median regret of the top-1 vs the best
and vs the default loss, catastrophic top-1s (judge metric > 2x the best's) and whether the
shortlist holds a best-tier loss. A fixed third of the tables is held back from
calibration and reported separately (:func:`held_back`).

Because the lineup is broad, another version of the advisor is scored *offline* from the
stored trials (``--summarize`` re-runs ``recommend`` with the current rules): its top-1 is
looked up among the compared candidates, no retraining needed.

Usage (background, with a log)::

    PYTHONPATH=src KERAS_BACKEND=jax nohup .venv/bin/python bench/bench_advice.py \\
        > bench/results/advice-run.log 2>&1 &
    PYTHONPATH=src .venv/bin/python bench/bench_advice.py --summarize
"""

from __future__ import annotations

import argparse
import datetime as _dt
import hashlib
import json
import os
import sys
import time
import warnings
from collections.abc import Callable
from pathlib import Path

import pandas as pd

HERE = Path(__file__).resolve().parent
RUNS = HERE / "results" / "advice-runs"  # --runs DIR writes elsewhere (a re-run, v2)
MAX_ROWS = 1500
SEEDS = 5
MAX_EPOCHS = 40
TOP = 5
CATASTROPHE = 2.0
N_ALTERNATIVES = 4

# the plain default loss of each task kind, and the alternatives compared beside the shortlist
DEFAULTS = {
    "regression": "mean_squared_error",
    "count": "mean_squared_error",
    "positive": "mean_squared_error",
    "proportion": "mean_squared_error",
    "binary": "binary_crossentropy",
    "multiclass": "sparse_categorical_crossentropy",
    "ordinal": "sparse_categorical_crossentropy",
}
ALTERNATIVES = {
    "regression": ["mean_absolute_error", "huber:delta=1.0", "log_cosh", "student_t_nll"],
    "count": ["poisson_nll", "huber:delta=1.0", "tweedie_deviance", "mean_absolute_error"],
    "positive": ["huber:delta=1.0", "gamma_deviance", "tweedie_deviance", "student_t_nll"],
    "proportion": ["binary_crossentropy", "huber:delta=1.0", "mean_absolute_error"],
    "binary": ["binary_focal_crossentropy", "hinge"],
    "multiclass": ["categorical_focal_crossentropy"],
    "ordinal": ["coral", "corn"],
}


# ---------------------------------------------------------------------------- tables
def _sm(name: str) -> pd.DataFrame:
    import importlib

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return importlib.import_module(f"statsmodels.datasets.{name}").load_pandas().data.copy()


def _sk(name: str) -> pd.DataFrame:
    from sklearn import datasets

    d = getattr(datasets, f"load_{name}")(as_frame=True)
    return d.frame.copy()


def _table(
    loader: Callable[[], pd.DataFrame], target: str, drop: tuple[str, ...] = ()
) -> Callable[[], tuple[pd.DataFrame, str]]:
    def load() -> tuple[pd.DataFrame, str]:
        df = loader().drop(columns=list(drop), errors="ignore")
        return df, target

    return load


def _star98() -> pd.DataFrame:
    df = _sm("star98")
    df["share_above"] = df["NABOVE"] / (df["NABOVE"] + df["NBELOW"])
    return df.drop(columns=["NABOVE", "NBELOW"])


def _pct(name: str, col: str) -> Callable[[], pd.DataFrame]:
    def load() -> pd.DataFrame:
        df = _sm(name)
        df[col + "_share"] = df[col] / 100.0
        return df.drop(columns=[col])

    return load


def _elnino() -> pd.DataFrame:
    return _sm("elnino").drop(columns=["YEAR"])


def _px(name: str, drop: tuple[str, ...] = ()) -> Callable[[], pd.DataFrame]:
    """A table bundled with plotly (``plotly.express.data``; no download), text columns as
    categories."""

    def load() -> pd.DataFrame:
        import plotly.express as px

        df = getattr(px.data, name)().drop(columns=list(drop))
        for c in df.columns:
            if not pd.api.types.is_numeric_dtype(df[c]):
                df[c] = df[c].astype(str).astype("category")
        return df

    return load


def _codes(loader: Callable[[], pd.DataFrame], col: str) -> Callable[[], pd.DataFrame]:
    """``col`` replaced by its integer category codes (a class-label target)."""

    def load() -> pd.DataFrame:
        df = loader()
        df[col] = df[col].astype("category").cat.codes.astype("int64")
        return df

    return load


_GAPMINDER = _px("gapminder", ("country", "iso_alpha", "iso_num"))


TABLES: dict[str, Callable[[], tuple[pd.DataFrame, str]]] = {
    # regression
    "sk_diabetes": _table(lambda: _sk("diabetes"), "target"),
    "sk_wine_alcohol": _table(lambda: _sk("wine"), "alcohol", ("target",)),
    "sm_macrodata_unemp": _table(lambda: _sm("macrodata"), "unemp"),
    "sm_macrodata_infl": _table(lambda: _sm("macrodata"), "infl"),
    "sm_nile": _table(lambda: _sm("nile"), "volume"),
    "sm_elnino_dec": _table(_elnino, "DEC"),
    "sm_interest_R": _table(lambda: _sm("interest_inflation"), "R"),
    "sm_anes96_logpopul": _table(lambda: _sm("anes96"), "logpopul", ("popul",)),
    "sm_randhie_lpi": _table(lambda: _sm("randhie"), "lpi"),
    # positive / long-tailed
    "sk_bc_mean_area": _table(
        lambda: _sk("breast_cancer"),
        "mean area",
        ("target", "mean radius", "mean perimeter", "worst area", "area error"),
    ),
    "sm_grunfeld_invest": _table(lambda: _sm("grunfeld"), "invest"),
    "sm_engel_foodexp": _table(lambda: _sm("engel"), "foodexp"),
    "sm_statecrime_violent": _table(lambda: _sm("statecrime"), "violent", ("murder",)),
    "sm_statecrime_murder": _table(lambda: _sm("statecrime"), "murder", ("violent",)),
    "sm_fair_affairs": _table(lambda: _sm("fair"), "affairs"),
    "sm_ccard_avgexp": _table(lambda: _sm("ccard"), "AVGEXP"),
    "sm_strikes_duration": _table(lambda: _sm("strikes"), "duration"),
    "sm_heart_survival": _table(lambda: _sm("heart"), "survival"),
    "sm_sunspots": _table(lambda: _sm("sunspots"), "SUNACTIVITY"),
    "sm_anes96_popul": _table(lambda: _sm("anes96"), "popul", ("logpopul",)),
    "px_tips_tip": _table(_px("tips"), "tip"),
    "px_gapminder_gdp": _table(_GAPMINDER, "gdpPercap"),
    "px_carshare_hours": _table(_px("carshare"), "car_hours"),
    # count
    "sm_randhie_mdvis": _table(lambda: _sm("randhie"), "mdvis"),
    "sm_cancer": _table(lambda: _sm("cancer"), "cancer"),
    "sm_anes96_income": _table(lambda: _sm("anes96"), "income"),
    "sm_star98_nabove": _table(lambda: _sm("star98"), "NABOVE", ("NBELOW",)),
    "px_tips_size": _table(_px("tips"), "size"),
    "px_gapminder_pop": _table(_GAPMINDER, "pop"),
    # proportion
    "sm_star98_share": _table(_star98, "share_above"),
    "sm_scotland_yes": _table(_pct("scotland", "YES"), "YES_share"),
    "sm_statecrime_poverty": _table(_pct("statecrime", "poverty"), "poverty_share"),
    "sm_statecrime_urban": _table(_pct("statecrime", "urban"), "urban_share"),
    "sm_statecrime_hsgrad": _table(_pct("statecrime", "hs_grad"), "hs_grad_share"),
    # binary
    "sk_breast_cancer": _table(lambda: _sk("breast_cancer"), "target"),
    "sm_anes96_vote": _table(lambda: _sm("anes96"), "vote"),
    "sm_spector_grade": _table(lambda: _sm("spector"), "GRADE"),
    "sm_modechoice": _table(lambda: _sm("modechoice"), "choice"),
    "px_tips_smoker": _table(_codes(_px("tips"), "smoker"), "smoker"),
    # multiclass
    "sk_iris": _table(lambda: _sk("iris"), "target"),
    "sk_wine": _table(lambda: _sk("wine"), "target"),
    "sk_digits": _table(lambda: _sk("digits"), "target"),
    "px_gapminder_continent": _table(_codes(_GAPMINDER, "continent"), "continent"),
    # ordinal
    "sm_fair_rate_marriage": _table(lambda: _sm("fair"), "rate_marriage"),
    "sm_fair_religious": _table(lambda: _sm("fair"), "religious"),
    "sm_anes96_selfLR": _table(lambda: _sm("anes96"), "selfLR"),
    "sm_anes96_educ": _table(lambda: _sm("anes96"), "educ"),
}


FIRST_TABLES = (
    "sk_diabetes", "sk_wine_alcohol", "sm_macrodata_unemp", "sm_macrodata_infl", "sm_nile",
    "sm_elnino_dec", "sm_interest_R", "sm_anes96_logpopul", "sm_randhie_lpi", "sk_bc_mean_area",
    "sm_grunfeld_invest", "sm_engel_foodexp", "sm_statecrime_violent", "sm_statecrime_murder",
    "sm_fair_affairs", "sm_ccard_avgexp", "sm_strikes_duration", "sm_heart_survival",
    "sm_sunspots", "sm_anes96_popul", "sm_randhie_mdvis", "sm_cancer", "sm_anes96_income",
    "sm_star98_share", "sm_scotland_yes", "sm_statecrime_poverty", "sm_statecrime_urban",
    "sm_statecrime_hsgrad", "sk_breast_cancer", "sm_anes96_vote", "sm_spector_grade",
    "sm_modechoice", "sk_iris", "sk_wine", "sk_digits", "sm_fair_rate_marriage",
    "sm_fair_religious", "sm_anes96_selfLR", "sm_anes96_educ",
)  # fmt: skip
"""The 39 tables of the first run (2026-12-07); their held-back split is frozen."""


def held_back(name: str) -> bool:
    """A fixed third of the tables, kept out of the advisor's calibration. For the first
    run's tables: every third in the order of the SHA-256 of their names (ranked among
    :data:`FIRST_TABLES` only, so tables added later do not move them); for a table added
    later: its name's SHA-256 is 0 mod 3."""
    if name in FIRST_TABLES:
        ranked = sorted(FIRST_TABLES, key=lambda n: hashlib.sha256(n.encode()).hexdigest())
        return ranked.index(name) % 3 == 0
    return int(hashlib.sha256(name.encode()).hexdigest(), 16) % 3 == 0


GROUPS = {
    "regression": [
        "sk_diabetes",
        "sk_wine_alcohol",
        "sm_macrodata_unemp",
        "sm_macrodata_infl",
        "sm_nile",
        "sm_elnino_dec",
        "sm_interest_R",
        "sm_anes96_logpopul",
        "sm_randhie_lpi",
    ],
    "positive": [
        "sk_bc_mean_area",
        "sm_grunfeld_invest",
        "sm_engel_foodexp",
        "sm_statecrime_violent",
        "sm_statecrime_murder",
        "sm_fair_affairs",
        "sm_ccard_avgexp",
        "sm_strikes_duration",
        "sm_heart_survival",
        "sm_sunspots",
        "sm_anes96_popul",
        "px_tips_tip",
        "px_gapminder_gdp",
        "px_carshare_hours",
    ],
    "count": [
        "sm_randhie_mdvis",
        "sm_cancer",
        "sm_anes96_income",
        "sm_star98_nabove",
        "px_tips_size",
        "px_gapminder_pop",
    ],
    "proportion": [
        "sm_star98_share",
        "sm_scotland_yes",
        "sm_statecrime_poverty",
        "sm_statecrime_urban",
        "sm_statecrime_hsgrad",
    ],
    "binary": [
        "sk_breast_cancer",
        "sm_anes96_vote",
        "sm_spector_grade",
        "sm_modechoice",
        "px_tips_smoker",
    ],
    "multiclass": ["sk_iris", "sk_wine", "sk_digits", "px_gapminder_continent"],
    "ordinal": ["sm_fair_rate_marriage", "sm_fair_religious", "sm_anes96_selfLR", "sm_anes96_educ"],
}
"""The task kind each table was chosen for (the advisor infers the kind itself)."""


def _order(names: list[str]) -> list[str]:
    """Round-robin over the groups so a partial run covers every task kind."""
    queues = {g: [n for n in ns if n in names] for g, ns in GROUPS.items()}
    out: list[str] = []
    while any(queues.values()):
        for q in queues.values():
            if q:
                out.append(q.pop(0))
    # then alternate held-back and calibration tables, so both sets grow together
    held, cal = [n for n in out if held_back(n)], [n for n in out if not held_back(n)]
    mixed: list[str] = []
    while held or cal:
        for part in (held, cal):
            if part:
                mixed.append(part.pop(0))
    return mixed


def prepare_table(df: pd.DataFrame, target: str) -> pd.DataFrame:
    df = df.dropna(subset=[target]).reset_index(drop=True)
    df = df.select_dtypes(include=["number", "bool", "category", "object"])
    if len(df) > MAX_ROWS:
        df = df.sample(MAX_ROWS, random_state=0).reset_index(drop=True)
    return df


# ---------------------------------------------------------------------------- one table
def lineup(rec, kind: str) -> list[str]:
    """The shortlist, the default loss and the kind's alternatives (no duplicates)."""
    out: list[str] = []
    alts = ALTERNATIVES.get(kind, [])[:N_ALTERNATIVES]
    for s in [*(c.loss_string for c in rec.candidates[:TOP]), DEFAULTS[kind], *alts]:
        if s not in out:
            out.append(s)
    return out


def run_table(name: str, *, seeds: int, max_epochs: int) -> dict:
    import losslab
    from losslab.errors import LosslabError

    df, target = TABLES[name]()
    df = prepare_table(df, target)
    rec = losslab.recommend(df, target=target, top=TOP)
    kind = str(rec.task.kind)
    losses = lineup(rec, kind)
    kept, dropped = list(losses), {}
    t0 = time.perf_counter()
    while True:  # a loss that does not fit the target is recorded and dropped, not run
        try:
            res = losslab.compare(
                None,
                df,
                target=target,
                task=kind,
                losses=kept,
                seeds=seeds,
                max_epochs=max_epochs,
                batch_size=64,
                early_stopping={"patience": 3, "restore_best_weights": True},
                out=str(RUNS / "runs" / name),
                quiet=True,
                report=False,
            )
            break
        except LosslabError as exc:
            bad = [s for s in kept if f"'{s.split(':')[0]}'" in str(exc)]
            if not bad:
                raise
            dropped[bad[0]] = str(exc)
            kept.remove(bad[0])
    trials = [
        {
            "label": r["label"],
            "loss": r["loss"],
            "params": r["params"],
            "seed": r["seed"],
            "status": r["status"],
            "primary": r["primary"],
            "events": len(r.get("events") or []),
        }
        for r in res.records
    ]
    cands = [
        {"id": r["candidate_id"], "label": r["label"], "loss": r["loss"], "params": r["params"]}
        for r in res.rows
    ]
    return {
        "table": name,
        "target": target,
        "rows": len(df),
        "kind": kind,
        "held_back": held_back(name),
        "judge_metric": rec.judge_metric,
        "primary_metric": res.primary_metric,
        "shortlist": [c.loss_string for c in rec.candidates[:TOP]],
        "default": DEFAULTS[kind],
        "lineup": kept,
        "dropped": dropped,
        "candidates": cands,
        "trials": trials,
        "seconds": round(time.perf_counter() - t0, 1),
        "seeds": seeds,
        "max_epochs": max_epochs,
    }


def run_all(names: list[str], *, seeds: int, max_epochs: int) -> None:
    RUNS.mkdir(parents=True, exist_ok=True)
    for name in _order(names):
        path = RUNS / f"{name}.json"
        if path.exists():
            continue
        print(f"[{time.strftime('%H:%M:%S')}] {name} ...", flush=True)
        try:
            out = run_table(name, seeds=seeds, max_epochs=max_epochs)
        except Exception as exc:  # a broken table is recorded and skipped
            out = {"table": name, "error": f"{type(exc).__name__}: {exc}"}
        tmp = path.with_suffix(".tmp")
        tmp.write_text(json.dumps(out, indent=1, default=str))
        os.replace(tmp, path)
        print(
            f"[{time.strftime('%H:%M:%S')}] {name}: {out.get('kind')} {out.get('seconds')} s {out.get('error', '')}",
            flush=True,
        )


if __name__ == "__main__":
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument(
        "--summarize",
        action="store_true",
        help="write the CSV + markdown summary from the stored results",
    )
    ap.add_argument("--tables", default="", help="comma-separated table names (default: all)")
    ap.add_argument("--seeds", type=int, default=SEEDS)
    ap.add_argument("--max-epochs", type=int, default=MAX_EPOCHS)
    ap.add_argument("--top", type=int, default=TOP, help="shortlist length compared")
    ap.add_argument(
        "--alternatives", type=int, default=N_ALTERNATIVES, help="alternatives per kind"
    )
    ap.add_argument("--date", default=_dt.date.today().isoformat())
    ap.add_argument("--runs", default=str(RUNS), help="folder of the per-table JSON results")
    args = ap.parse_args()
    RUNS = Path(args.runs)
    if args.summarize:
        from bench_advice_summary import main as summarize  # the script's directory

        summarize(RUNS, HERE / "results", args.date)
        sys.exit(0)
    TOP, N_ALTERNATIVES = args.top, args.alternatives
    names = [n for n in args.tables.split(",") if n] or list(TABLES)
    run_all(names, seeds=args.seeds, max_epochs=args.max_epochs)
