"""The report opens in a real browser (headless Debian chromium), from disk, offline.

Chromium is driven over the DevTools pipe (tests/report/browser.py): console errors,
uncaught exceptions, dialogs and network requests are recorded; every Plotly graph must
have traces drawn into its SVG. Screenshots are kept under test-artifacts/.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from losslab.report import write_report

from .browser import find_chromium, open_page
from .conftest import ARTIFACTS, XSS

pytestmark = pytest.mark.slow


@pytest.fixture(autouse=True)
def _chromium() -> None:
    # not a skip: `make test` installs chromium (scripts/setup-system.sh), so a missing
    # browser is a broken set-up, reported as such
    assert find_chromium() is not None, (
        "chromium is not installed: run scripts/setup-system.sh (Debian package chromium)"
    )


def _check_page(report, expected_plots: list[str]) -> None:
    assert report.exceptions == [], report.exceptions
    assert report.console_errors == [], report.console_errors
    assert report.dialogs == [], f"a script ran: {report.dialogs}"
    # only the file itself and inline data: images (Plotly draws heatmaps as data: PNGs)
    assert all(u.startswith(("file://", "data:")) for u in report.requests), report.requests
    assert [p["name"] for p in report.plots] == expected_plots
    for p in report.plots:
        assert p["traces"] > 0 and p["svgs"] > 0 and p["drawn"] > 0, p
        assert p["width"] > 100 and p["height"] > 100, p
    assert report.screenshot is not None and report.screenshot.stat().st_size > 50_000


def test_regression_report_in_browser(regression_run: Path) -> None:
    html_path = write_report(regression_run)["html"]
    report = open_page(html_path, screenshot=ARTIFACTS / "report-regression.png")
    _check_page(
        report,
        [
            "target",
            "leaderboard",
            "loss-curves",
            "seed-spread",
            "predicted-vs-actual",
            "residuals",
            "tune",
            "tune",
        ],
    )
    # the column named <script>alert(1)</script> is shown as text, not run
    assert XSS in report.body_text
    for section in (
        "Data and task",
        "Recommendations",
        "Leaderboard",
        "Training",
        "Predictions",
        "Tuning",
    ):
        assert section in report.body_text


def test_classification_report_in_browser(binary_run: Path) -> None:
    html_path = write_report(binary_run)["html"]
    report = open_page(html_path, screenshot=ARTIFACTS / "report-binary.png")
    _check_page(
        report, ["target", "leaderboard", "loss-curves", "seed-spread", "calibration", "confusion"]
    )
    assert "<i>benign</i>" in report.body_text  # a class name with markup, shown as text
