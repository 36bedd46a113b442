"""Notebook display: the HTML of results, recommendations, check reports and catalog entries,
and the example notebook docs/examples/workbench.ipynb executed with nbclient."""

from __future__ import annotations

import html
import os
import re
from pathlib import Path
from types import SimpleNamespace

import pandas as pd
import pytest

import losslab
from losslab.errors import UnknownLossError
from losslab.experiment import Results
from losslab.integrations import check_report_html, explain, results_html
from tests.integrations.conftest import LEADERBOARD_ROWS

NOTEBOOK = Path(__file__).resolve().parents[2] / "docs" / "examples" / "workbench.ipynb"


def _cells(fragment: str) -> list[list[str]]:
    """The table rows of an HTML fragment as lists of cell texts (tags stripped)."""
    rows = re.findall(r"<tr>(.*?)</tr>", fragment, flags=re.S)
    return [
        [
            html.unescape(re.sub(r"<[^>]+>", "", c))
            for c in re.findall(r"<t[dh][^>]*>(.*?)</t[dh]>", r, flags=re.S)
        ]
        for r in rows
    ]


def test_results_render_the_stored_leaderboard(run_dir: Path) -> None:
    res = Results.load(run_dir)
    fragment = res._repr_html_()
    assert fragment == results_html(res)
    header, *rows = _cells(fragment)
    assert header[:4] == ["rank", "candidate", "rmse (mean)", "95% t-interval"]
    # the leaderboard the statistics module computes from the four stored trials, best first
    assert [r[1] for r in rows] == [r["label"] for r in res.rows]
    for cells, row in zip(rows, res.rows, strict=True):
        assert (
            cells[2] == f"{row['mean']:.4g}"
            and cells[3] == f"[{row['ci_low']:.4g}, {row['ci_high']:.4g}]"
        )
    assert (
        "4 trials" in fragment and "regression task" in fragment and "lower is better" in fragment
    )


def test_text_is_escaped() -> None:
    row = {**LEADERBOARD_ROWS[0], "label": "<script>alert(1)</script>"}
    res = SimpleNamespace(
        run_dir="runs/<x>", records=[], rows=[row], manifest={"primary_metric": "rmse"}
    )
    fragment = results_html(res)
    assert (
        "<script>" not in fragment and "&lt;script&gt;" in fragment and "runs/&lt;x&gt;" in fragment
    )


def test_recommendation_html_lists_the_shortlist() -> None:
    table = pd.DataFrame(
        {
            "x": range(60),
            "y": [float(i % 9) * 1.5 + (40.0 if i % 17 == 0 else 0.0) for i in range(60)],
        }
    )
    rec = losslab.recommend(table, target="y")
    fragment = rec._repr_html_()
    rows = _cells(fragment)[1:]
    assert [r[1] for r in rows] == rec.losses
    assert [r[4] for r in rows] == [c.reason for c in rec.candidates]
    assert f"Task: {rec.task.kind}" in re.sub(r"<[^>]+>", "", fragment)


def test_check_report_html() -> None:
    from losslab.verify.check import CheckReport, CheckResult

    report = CheckReport(
        loss="my_loss",
        backend="jax",
        inputs="regression",
        results=[
            CheckResult("per_sample", "one value per sample", "pass", "shape (8,)"),
            CheckResult(
                "minimum",
                "minimum at the perfect prediction",
                "fail",
                "value 0.3 > 0 at y_pred = y_true",
                "subtract the value at the truth",
            ),
        ],
        notes=["inputs chosen by default"],
    )
    fragment = report._repr_html_()
    assert fragment == check_report_html(report)
    assert "1 check(s) failed" in fragment
    rows = _cells(fragment)[1:]
    assert rows == [
        ["pass", "per_sample", "shape (8,)", ""],
        ["fail", "minimum", "value 0.3 > 0 at y_pred = y_true", "subtract the value at the truth"],
    ]


def test_explain_plain_text_and_html() -> None:
    spec = losslab.get_spec("huber")
    ex = losslab.explain("huber")
    assert ex is not None and ex.spec is spec and explain("Huber").spec is spec  # aliases too
    text = str(ex)
    assert text == repr(ex)
    assert text.splitlines()[0] == f"{spec.title} ({spec.name})"
    assert spec.formula in text and spec.when_to_use in text and spec.pitfalls in text
    assert "delta = 1.0" in text and 'losslab.get("huber", delta=1.0)' in text
    fragment = ex._repr_html_()
    assert html.escape(spec.formula) in fragment and "<table" in fragment
    assert [r[0] for r in _cells(fragment)[1:]] == [p.name for p in spec.params]
    with pytest.raises(UnknownLossError):
        losslab.explain("no_such_loss")


@pytest.mark.slow
def test_example_notebook_runs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """docs/examples/workbench.ipynb executes top to bottom (nbclient, a real kernel)."""
    nbformat = pytest.importorskip("nbformat")
    nbclient = pytest.importorskip("nbclient")
    pytest.importorskip("ipykernel")

    nb = nbformat.read(NOTEBOOK, as_version=4)
    here = str(Path(losslab.__file__).parents[1])  # the kernel imports this losslab
    monkeypatch.setenv(
        "PYTHONPATH", os.pathsep.join(filter(None, [here, os.environ.get("PYTHONPATH")]))
    )
    client = nbclient.NotebookClient(
        nb, timeout=600, kernel_name="python3", resources={"metadata": {"path": str(tmp_path)}}
    )
    client.execute()
    code = [c for c in nb.cells if c.cell_type == "code"]
    assert all(o.get("output_type") != "error" for c in code for o in c.outputs)
    html_of = {
        i: "".join(o.get("data", {}).get("text/html", "") for o in c.outputs)
        for i, c in enumerate(code)
    }
    assert "Loss recommendation for target" in html_of[1]
    assert "losslab compare" in html_of[2] and "4 trials" in html_of[2]
    assert "<table" in html_of[3] and "ci_low" in html_of[3]  # the leaderboard DataFrame
    assert code[4].outputs  # the plotly figure
    # the export: the refit model directory, and predictions of 5 new rows through losslab.load
    text = "".join(o.get("text", "") for o in code[5].outputs if o.get("output_type") == "stream")
    assert "['card.json', 'card.md', 'model.keras']" in text
    assert "prediction" in html_of[5] and len(re.findall(r"<tr[ >]", html_of[5])) == 1 + 5
    assert "Formula" in html_of[6]
