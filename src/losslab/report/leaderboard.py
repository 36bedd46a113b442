"""The Rich leaderboard printed at the end of every run, compare and tune."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from losslab.errors import DataError

__all__ = ["leaderboard_table", "print_leaderboard"]


def _leaderboard_of(obj: Any) -> tuple[dict[str, Any], str | None]:
    """(leaderboard dict, run directory or None) from a run dir, a Results or a dict."""
    if isinstance(obj, str | Path):
        from losslab.report._run import load_run

        run = load_run(obj)
        return run.leaderboard, str(run.path)
    if isinstance(obj, dict) and "rows" in obj:
        return obj, None
    for attr in ("run_dir", "path", "out"):
        value = getattr(obj, attr, None)
        if isinstance(value, str | Path) and (Path(value) / "manifest.json").exists():
            return _leaderboard_of(value)
    lb = getattr(obj, "leaderboard", None)
    if callable(lb):
        lb = lb()
    if isinstance(lb, dict) and "rows" in lb:
        return lb, None
    raise DataError(
        f"Cannot find a leaderboard in {type(obj).__name__}. Received: {obj!r:.80}. "
        "Pass a run directory, a Results object or a leaderboard.json dict."
    )


_STYLES = {
    "best": "[bold green]{}[/bold green]",
    "best tier": "[blue]{}[/blue]",
    "≈ best": "[blue]{}[/blue]",
    "inconclusive": "[yellow]{}[/yellow]",
    "failed": "[red]{}[/red]",
}


def leaderboard_table(leaderboard: dict[str, Any], *, title: str | None = None) -> Any:
    """A ``rich.table.Table`` of a leaderboard dict (the content of leaderboard.json): mean,
    median, interval, paired difference to the best and verdict per candidate (the p-values
    are in the report and leaderboard.json).

    Args:
        leaderboard: ``{"primary_metric", "direction", "confidence", "rows": [...]}``.
        title: table title (default: names the judge metric and its direction).

    Returns:
        The Rich table (user text escaped for Rich markup).

    Example:
        >>> table = leaderboard_table({"primary_metric": "rmse", "rows": []})
        >>> table.row_count
        0
    """
    from rich.markup import escape
    from rich.table import Table

    from losslab.report._summary import fmt, verdict_mark

    metric = str(leaderboard.get("primary_metric") or "metric")
    direction = "lower" if leaderboard.get("direction", "min") == "min" else "higher"
    conf = leaderboard.get("confidence") or 0.95
    table = Table(
        title=title or f"Leaderboard: {escape(metric)} on the test split ({direction} is better)",
        title_justify="left",
    )
    table.add_column("candidate", style="bold cyan", overflow="fold", min_width=12)
    table.add_column(escape(metric), justify="right", no_wrap=True)
    table.add_column("median", justify="right", no_wrap=True)
    table.add_column(f"{int(conf * 100)}% interval", justify="right", no_wrap=True)
    table.add_column("Δ best", justify="right", no_wrap=True)
    table.add_column("verdict", no_wrap=True)
    table.add_column("seeds", justify="right", no_wrap=True)
    for r in leaderboard.get("rows", []):
        verdict = verdict_mark(r)
        mark = _STYLES[verdict].format(escape(verdict)) if verdict in _STYLES else escape(verdict)
        ci = (
            f"[{fmt(r.get('ci_low'), 3)}, {fmt(r.get('ci_high'), 3)}]"
            if r.get("ci_low") is not None
            else "-"
        )
        seeds = fmt(r.get("n_seeds")) + (f" ({r['n_failed']} failed)" if r.get("n_failed") else "")
        table.add_row(
            escape(str(r.get("label") or r.get("candidate_id"))),
            fmt(r.get("mean")),
            fmt(r.get("median")),
            escape(ci),
            fmt(r.get("diff_to_best"), 3),
            mark,
            seeds,
        )
    return table


def _warning_summary(run_dir: str) -> str:
    """``"2 in 1 trial (explosion, nonfinite)"`` for the stored events of a run, or ``""``."""
    from losslab.report._run import load_run
    from losslab.report._summary import trial_warnings

    per_trial = [trial_warnings(r) for r in load_run(run_dir).records]
    events = [w for ws in per_trial for w in ws]
    if not events:
        return ""
    n_trials = sum(1 for ws in per_trial if ws)
    kinds = ", ".join(sorted({str(w.get("kind")) for w in events}))
    return f"{len(events)} in {n_trials} trial{'s' if n_trials > 1 else ''} ({kinds})"


def print_leaderboard(results_or_run_dir: Any, *, console: Any = None) -> None:
    """Print the leaderboard with intervals, medians and verdicts to the terminal.

    Args:
        results_or_run_dir: a run directory (path), a ``Results`` object (with a
            ``run_dir`` or a ``leaderboard``) or a leaderboard dict.
        console: a ``rich.console.Console`` (default: stdout).

    Example:
        ``print_leaderboard("losslab-runs/compare-1a2b3c4d")`` prints the leaderboard of a
        run; here a leaderboard dict, on a console 80 characters wide:

        >>> from rich.console import Console
        >>> rows = [
        ...     {"rank": 1, "label": "huber:delta=2", "mean": 0.912, "median": 0.91,
        ...      "ci_low": 0.88, "ci_high": 0.94, "n_seeds": 3, "is_best": True},
        ...     {"rank": 2, "label": "mse", "mean": 0.95, "median": 0.94, "ci_low": 0.9,
        ...      "ci_high": 1.0, "diff_to_best": 0.038, "p_value": 0.21, "n_seeds": 3,
        ...      "verdict": "inconclusive", "seeds_to_separate": 9},
        ... ]
        >>> leaderboard = {"primary_metric": "rmse", "direction": "min", "rows": rows,
        ...                "seeds_to_separate_top_two": 9}
        >>> print_leaderboard(leaderboard, console=Console(width=80))  # doctest: +NORMALIZE_WHITESPACE
        Leaderboard: rmse on the test split (lower is better)
        ┏━━━━━━━━━━━━━━┳━━━━━━━┳━━━━━━━━┳━━━━━━━━━━━━━━┳━━━━━━━━┳━━━━━━━━━━━━━━┳━━━━━━━┓
        ┃ candidate    ┃  rmse ┃ median ┃ 95% interval ┃ Δ best ┃ verdict      ┃ seeds ┃
        ┡━━━━━━━━━━━━━━╇━━━━━━━╇━━━━━━━━╇━━━━━━━━━━━━━━╇━━━━━━━━╇━━━━━━━━━━━━━━╇━━━━━━━┩
        │ huber:delta= │ 0.912 │   0.91 │ [0.88, 0.94] │      - │ best         │     3 │
        │ 2            │       │        │              │        │              │       │
        │ mse          │  0.95 │   0.94 │     [0.9, 1] │  0.038 │ inconclusive │     3 │
        └──────────────┴───────┴────────┴──────────────┴────────┴──────────────┴───────┘
        About 9 seeds would separate the top two (paired t-test, 5% level, 80% power).
    """
    from rich.markup import escape

    from losslab.report.terminal import console as make_console

    leaderboard, run_dir = _leaderboard_of(results_or_run_dir)
    c = console if console is not None else make_console()
    c.print(leaderboard_table(leaderboard))
    if leaderboard.get("verdicts"):
        c.print(f"Verdicts: {escape(str(leaderboard['verdicts']))}.")
    elif leaderboard.get("test"):
        c.print(f"≈ best: {escape(str(leaderboard['test']))}.")
    if leaderboard.get("seeds_to_separate_top_two"):
        n = leaderboard["seeds_to_separate_top_two"]
        c.print(f"About {n} seeds would separate the top two (paired t-test, 5% level, 80% power).")
    if run_dir is not None:
        warned = _warning_summary(run_dir)
        if warned:
            c.print(f"[yellow]Training warnings[/yellow]: {escape(warned)} (listed in the report).")
        report = Path(run_dir) / "report.html"
        if report.exists():
            c.print(f"Report: {escape(str(report))}")
