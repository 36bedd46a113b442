"""Views of catalog entries and stored results: terminal (Rich), JSON, Markdown, HTML.

Public API (imported lazily: ``losslab.report.terminal`` is on the ``--help`` path)::

    from losslab.report import write_report, print_leaderboard
    paths = write_report("losslab-runs/compare-1a2b3c4d")   # report.html, report.md, summary.json
    print_leaderboard("losslab-runs/compare-1a2b3c4d")
    write_recommendation_report(losslab.recommend("data.csv", target="y"), "reports/data")
"""

from __future__ import annotations

import importlib
from typing import Any

__all__ = ["load_run", "print_leaderboard", "write_recommendation_report", "write_report"]

_LAZY = {
    "write_report": "losslab.report._write:write_report",
    "write_recommendation_report": "losslab.report._write:write_recommendation_report",
    "print_leaderboard": "losslab.report.leaderboard:print_leaderboard",
    "load_run": "losslab.report._run:load_run",
}


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        module, _, attr = _LAZY[name].partition(":")
        value = getattr(importlib.import_module(module), attr)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'losslab.report' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted([*__all__, "terminal", "leaderboard", "html"])
