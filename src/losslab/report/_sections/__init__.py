"""The sections of ``report.html``, in page order; each is ``section(page, run) -> None``.

A section that has nothing to show adds nothing to the page.
"""

from __future__ import annotations

from losslab.report._sections.data import section_data, section_recommendations
from losslab.report._sections.results import (
    section_diagnostics,
    section_leaderboard,
    section_training,
)
from losslab.report._sections.tune import section_tune

__all__ = ["SECTIONS"]

#: The section renderers in the order of the page.
SECTIONS = (
    section_data,
    section_recommendations,
    section_leaderboard,
    section_training,
    section_diagnostics,
    section_tune,
)
