"""``losslab recommend ... --report DIR`` writes the advisor-only report (HTML, Markdown, JSON)."""

from __future__ import annotations

import html
import json

import numpy as np
import pandas as pd
import pytest

from losslab.cli.app import main


@pytest.fixture
def imbalanced_csv(tmp_path):
    # about 8% positives from a logistic model: the advisor sees a binary, imbalanced target
    rng = np.random.default_rng(0)
    x = rng.normal(size=(300, 3))
    y = (rng.random(300) < 1 / (1 + np.exp(-(2 * x[:, 0] - 3.5)))).astype(int)
    df = pd.DataFrame(x, columns=["a", "b", "c"])
    df["label"] = y
    path = tmp_path / "imb.csv"
    df.to_csv(path, index=False)
    return path, y


def test_report_dir_holds_the_recommendation(imbalanced_csv, tmp_path, capsys):
    path, y = imbalanced_csv
    out = tmp_path / "reports" / "imb"
    assert main(["recommend", str(path), "--target", "label", "--json", "--report", str(out)]) == 0
    printed = json.loads(capsys.readouterr().out)
    assert {p.name for p in out.iterdir()} >= {"report.html", "report.md", "summary.json"}

    page = (out / "report.html").read_text(encoding="utf-8")
    assert page.lstrip().lower().startswith("<!doctype html")
    # self-contained: no script or stylesheet fetched from the network
    assert '<script src="http' not in page and '<link rel="stylesheet" href="http' not in page
    text = html.unescape(page)
    assert printed["task"]["kind"] == "binary"
    for cand in printed["candidates"]:  # every recommended loss is shown
        assert cand["loss"] in text

    summary = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    assert summary["kind"] == "recommend"
    md = (out / "report.md").read_text(encoding="utf-8")
    assert printed["candidates"][0]["loss"] in md
    # the profile the report was rendered from covers every row of the file
    assert printed["profile"]["n_rows"] == len(y)


def test_report_in_table_mode_names_the_file(imbalanced_csv, tmp_path, capsys):
    path, _ = imbalanced_csv
    out = tmp_path / "rep"
    assert main(["recommend", str(path), "--target", "label", "--report", str(out)]) == 0
    captured = capsys.readouterr()
    assert f"report: {out / 'report.html'}" in captured.err
    assert "Recommended losses" in captured.out
    assert (out / "report.html").stat().st_size > 1000


def test_report_path_that_is_a_file_is_one_line_exit_2(imbalanced_csv, tmp_path, capsys):
    path, _ = imbalanced_csv
    clash = tmp_path / "taken.txt"
    clash.write_text("not a directory")
    assert main(["recommend", str(path), "--target", "label", "--report", str(clash)]) == 2
    err = capsys.readouterr().err
    lines = [ln for ln in err.splitlines() if ln.startswith("Error:")]
    assert len(lines) == 1 and "Traceback" not in err
    assert "--report needs a directory" in lines[0] and "taken.txt" in lines[0]
