"""Views of catalog entries and stored results: terminal (Rich), JSON, Markdown, HTML.

Public API (imported lazily: ``losslab.report.terminal`` is on the ``--help`` path)::

    from losslab.report import write_report, print_leaderboard
    paths = write_report("losslab-runs/compare-1a2b3c4d")   # report.html, report.md, summary.json
    print_leaderboard("losslab-runs/compare-1a2b3c4d")
    write_recommendation_report(losslab.recommend("data.csv", target="y"), "reports/data")
"""

from __future__ import annotations

from losslab import _lazy

__all__ = ["load_run", "print_leaderboard", "write_recommendation_report", "write_report"]

_LAZY = {
    "write_report": "losslab.report._write:write_report",
    "write_recommendation_report": "losslab.report._write:write_recommendation_report",
    "print_leaderboard": "losslab.report.leaderboard:print_leaderboard",
    "load_run": "losslab.report._run:load_run",
}


__getattr__, __dir__ = _lazy.lazy_attributes(
    __name__, globals(), _LAZY, also_listed=("terminal", "leaderboard", "html")
)
