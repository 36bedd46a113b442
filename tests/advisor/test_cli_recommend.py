"""``losslab recommend``: output formats and one-line errors with exit code 2."""

from __future__ import annotations

import json
import subprocess
import sys

import numpy as np
import pandas as pd
import pytest

from losslab.cli.app import main


@pytest.fixture(scope="module")
def counts_csv(tmp_path_factory):
    import statsmodels.datasets.randhie as randhie

    path = tmp_path_factory.mktemp("cli") / "randhie.csv"
    randhie.load_pandas().data.to_csv(path, index=False)
    return path


def test_json_output(counts_csv, capsys):
    assert main(["recommend", str(counts_csv), "--target", "mdvis", "--json"]) == 0
    d = json.loads(capsys.readouterr().out)
    assert d["task"]["kind"] == "count" and d["judge_metric"] == "rmse"
    assert d["candidates"] and d["profile"]["n_rows"] == 20190


def test_table_and_markdown_output(counts_csv, capsys):
    assert main(["recommend", str(counts_csv), "--target", "mdvis", "--goal", "quantile:0.9"]) == 0
    out = capsys.readouterr().out
    assert "Task" in out and "count because" in out and "pinball" in out
    assert main(["recommend", str(counts_csv), "-t", "mdvis", "--markdown", "--top", "2"]) == 0
    md = capsys.readouterr().out
    assert md.startswith("# Loss recommendation for `mdvis`")
    assert md.count("\n| ") == 3  # header + 2 rows


def _run_error(args, capsys) -> str:
    code = main(args)
    err = capsys.readouterr().err
    assert code == 2, err
    lines = [ln for ln in err.splitlines() if ln.strip()]
    assert len(lines) == 1 and lines[0].startswith("Error: "), err
    assert "Traceback" not in err
    return lines[0]


def test_missing_target_lists_columns(counts_csv, capsys):
    line = _run_error(["recommend", str(counts_csv), "--target", "visits"], capsys)
    assert "'visits' not found" in line and "mdvis, lncoins" in line


def test_unknown_task_and_goal(counts_csv, capsys):
    line = _run_error(["recommend", str(counts_csv), "-t", "mdvis", "--task", "counts"], capsys)
    assert "Unknown task 'counts'" in line and "regression, count" in line
    line = _run_error(["recommend", str(counts_csv), "-t", "mdvis", "--goal", "average"], capsys)
    assert "Unknown goal 'average'" in line
    line = _run_error(["recommend", str(counts_csv), "-t", "mdvis", "--goal", "labels"], capsys)
    assert "does not fit a count task" in line


def test_bad_files(tmp_path, capsys):
    empty = tmp_path / "empty.csv"
    empty.write_text("")
    assert "is empty" in _run_error(["recommend", str(empty), "-t", "y"], capsys)
    bad = tmp_path / "bad.csv"
    bad.write_text("x,y\n1,2\n3,4\n5,6,7\n")
    assert "line 4" in _run_error(["recommend", str(bad), "-t", "y"], capsys)
    nan = tmp_path / "nan.csv"
    nan.write_text("x,y\n1,\n2,\n3,\n")
    assert "no values" in _run_error(["recommend", str(nan), "-t", "y"], capsys)
    one = tmp_path / "one.csv"
    pd.DataFrame({"x": np.arange(5), "y": ["a"] * 5}).to_csv(one, index=False)
    assert "single value" in _run_error(["recommend", str(one), "-t", "y"], capsys)
    assert "not found" in _run_error(["recommend", str(tmp_path / "nope.csv"), "-t", "y"], capsys)


def test_recommend_does_not_import_a_backend(counts_csv):
    code = (
        "import sys; from losslab.cli.app import main; "
        f"rc = main(['recommend', {str(counts_csv)!r}, '-t', 'mdvis', '--json']); "
        "heavy = [m for m in ('keras', 'jax', 'torch', 'tensorflow', 'pyspark', 'optuna') if m in sys.modules]; "
        "sys.stderr.write(repr(heavy)); sys.exit(rc or (1 if heavy else 0))"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr[-2000:]


def test_table_for_a_class_target(tmp_path, capsys):
    import statsmodels.datasets.spector as spector

    path = tmp_path / "spector.parquet"
    spector.load_pandas().data.to_parquet(path, index=False)
    assert main(["recommend", str(path), "--target", "GRADE", "--goal", "labels"]) == 0
    out = capsys.readouterr().out
    assert "binary because" in out and "accuracy, macro_f1" in out and "GRADE" in out


def test_suggested_compare_command_is_one_line(counts_csv, capsys):
    # The suggested command must survive copy-paste into a shell: a line break inside it
    # (Rich wraps long lines at the console width) would end the command after --losses.
    assert main(["recommend", str(counts_csv), "--target", "mdvis"]) == 0
    out = capsys.readouterr().out
    line = next(ln for ln in out.splitlines() if ln.startswith("Compare them: "))
    assert line.startswith(f'Compare them: losslab compare {counts_csv} --target mdvis --losses "')
    assert line.endswith('"') and line.count('"') == 2
