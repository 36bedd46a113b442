"""``write_report``: report.html, report.md and summary.json from a run directory alone."""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path
from typing import Any

from losslab.report._run import load_run

__all__ = ["write_recommendation_report", "write_report"]


def _atomic_write_text(path: Path, text: str) -> None:
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(text)
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


def write_report(run_dir: str | os.PathLike[str]) -> dict[str, Path]:
    """Render the report of a run directory from its stored files (no training).

    Writes into ``run_dir``:

    - ``report.html``: one self-contained page (Plotly inlined, opens without network):
      data profile and task with reasons, recommendations, leaderboard with intervals
      and "≈ best" marks, loss curves with best and early-stopping epochs, judge-metric
      spread over seeds, predicted-vs-actual and residuals (regression) or calibration
      and confusion matrices (classification), Optuna's plots (tune);
    - ``report.md``: the leaderboard and key facts in Markdown;
    - ``summary.json``: the same facts, machine-readable.

    Args:
        run_dir: the directory of a ``losslab run/compare/tune`` (``--out``).

    Returns:
        ``{"html": path, "markdown": path, "summary": path}``.

    Raises:
        losslab.errors.DataError: ``run_dir`` is not a losslab run directory.

    Example:
        ``write_report("losslab-runs/compare-1a2b3c4d")`` re-renders the report of a run;
        here a run directory that holds nothing but its manifest (no trial finished yet):

        >>> import json
        >>> from pathlib import Path
        >>> from losslab.report import write_report
        >>> run_dir = Path("runs/empty")
        >>> run_dir.mkdir(parents=True)
        >>> manifest = {"format": "losslab-run", "kind": "compare"}
        >>> _ = (run_dir / "manifest.json").write_text(json.dumps(manifest))
        >>> paths = write_report(run_dir)
        >>> {kind: path.name for kind, path in paths.items()}
        {'html': 'report.html', 'markdown': 'report.md', 'summary': 'summary.json'}
        >>> json.loads(paths["summary"].read_text())["notes"]
        ['No finished trial is stored yet: nothing to compare.']
    """
    from losslab.report._markdown import render_markdown
    from losslab.report._summary import build_summary
    from losslab.report.html import render_html

    run = load_run(run_dir)
    paths = {
        "html": run.path / "report.html",
        "markdown": run.path / "report.md",
        "summary": run.path / "summary.json",
    }
    html_text = render_html(run)  # first: it adds notes about what could not be drawn
    summary = build_summary(run, files={k: p.name for k, p in paths.items()})
    _atomic_write_text(paths["html"], html_text)
    _atomic_write_text(paths["markdown"], render_markdown(run, summary))
    _atomic_write_text(
        paths["summary"], json.dumps(summary, indent=2, default=str, allow_nan=False) + "\n"
    )
    return paths


def write_recommendation_report(
    recommendation: Any, out_dir: str | os.PathLike[str]
) -> dict[str, Path]:
    """The report of ``losslab recommend``: data profile, task with reasons, shortlist.

    No run directory is needed: the page is rendered from the advisor's output alone.

    Args:
        recommendation: a ``losslab.advisor.Recommendation`` or its ``to_dict()``
            (docs/advisor.md).
        out_dir: directory to write report.html, report.md and summary.json into (created).

    Returns:
        ``{"html": path, "markdown": path, "summary": path}``.

    Raises:
        losslab.errors.DataError: ``recommendation`` is not an advisor recommendation.

    Example:
        >>> import json
        >>> import numpy as np
        >>> import pandas as pd
        >>> import losslab
        >>> rng = np.random.default_rng(0)
        >>> df = pd.DataFrame({"x": rng.normal(size=200)})
        >>> df["y"] = 2 * df["x"] + rng.standard_t(2, size=200)  # heavy-tailed noise
        >>> paths = write_recommendation_report(losslab.recommend(df, target="y"), "reports/data")
        >>> sorted(path.name for path in paths.values())
        ['report.html', 'report.md', 'summary.json']
        >>> json.loads(paths["summary"].read_text())["recommendation"]["candidates"][0]["loss"]
        'huber'
    """
    from datetime import UTC, datetime

    from losslab.errors import DataError
    from losslab.report._markdown import render_markdown
    from losslab.report._run import RunData
    from losslab.report._summary import build_summary
    from losslab.report.html import render_html

    rec = recommendation.to_dict() if hasattr(recommendation, "to_dict") else recommendation
    if not isinstance(rec, dict) or "candidates" not in rec or "task" not in rec:
        raise DataError(
            "Not an advisor recommendation. Received: "
            f"{type(recommendation).__name__}. Pass losslab.recommend(...) or its to_dict()."
        )
    profile = rec.get("profile") or {}
    target = rec.get("target")
    manifest = {
        "format": "losslab-run",
        "format_version": 1,
        "kind": "recommend",
        "created": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "data": {
            "source": profile.get("source"),
            "target": ", ".join(map(str, target)) if isinstance(target, list) else target,
            "n_rows": profile.get("n_rows"),
            "n_features": len(profile.get("features") or []),
        },
        "task": rec.get("task") or {},
        "goal": rec.get("goal") or {},
        "primary_metric": rec.get("judge_metric") or "",
        "recommendation": rec,
    }
    path = Path(out_dir)
    path.mkdir(parents=True, exist_ok=True)
    run = RunData(path=path, manifest=manifest, records=[], leaderboard={"rows": []})
    paths = {
        "html": path / "report.html",
        "markdown": path / "report.md",
        "summary": path / "summary.json",
    }
    html_text = render_html(run)
    summary = build_summary(run, files={k: p.name for k, p in paths.items()})
    _atomic_write_text(paths["html"], html_text)
    _atomic_write_text(paths["markdown"], render_markdown(run, summary))
    _atomic_write_text(
        paths["summary"], json.dumps(summary, indent=2, default=str, allow_nan=False) + "\n"
    )
    return paths
