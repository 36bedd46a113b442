"""``losslab losses`` and ``losslab explain``: output, JSON, user errors (exit 2, one line,
no traceback) and the promise that they never import Keras or a backend."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from losslab.catalog import Family, list_losses, loss_names
from losslab.cli import main

HEAVY = ("keras", "jax", "torch", "tensorflow", "pyspark", "optuna", "plotly")


@pytest.fixture(autouse=True)
def _wide_terminal(monkeypatch):
    monkeypatch.setenv("COLUMNS", "250")  # Rich wraps cells in narrow terminals


def test_losses_lists_every_loss(capsys):
    assert main(["losses"]) == 0
    out = capsys.readouterr().out
    assert f"losslab catalog ({len(loss_names())} losses)" in out
    for name in ("mean_squared_error", "huber", "binary_crossentropy", "ctc", "circle", "tversky"):
        assert name in out
    assert "losslab explain NAME" in out


def test_losses_family_filter(capsys):
    assert main(["losses", "--family", "segmentation", "--json"]) == 0
    rows = json.loads(capsys.readouterr().out)
    assert [r["name"] for r in rows] == [s.name for s in list_losses("segmentation")]
    assert {"dice", "tversky"} <= {r["name"] for r in rows}
    assert all(r["family"] == "segmentation" for r in rows)


@pytest.mark.parametrize("family", [f.value for f in Family])
def test_every_family_spelling_is_accepted(family, capsys):
    assert main(["losses", "-f", family.replace("-", "_"), "--json"]) == 0
    rows = json.loads(capsys.readouterr().out)
    assert [r["name"] for r in rows] == [s.name for s in list_losses(family)]


def test_losses_json_has_the_catalog_fields(capsys):
    assert main(["losses", "--json"]) == 0
    rows = json.loads(capsys.readouterr().out)
    assert [r["name"] for r in rows] == loss_names()
    huber = next(r for r in rows if r["name"] == "huber")
    assert huber == {
        "name": "huber",
        "title": "Huber",
        "family": "regression",
        "statistic": "mean",
        "head": "identity",
        "aliases": ["Huber", "huber_loss"],
        "params": {"delta": 1.0},
    }


def test_explain_huber(capsys):
    assert main(["explain", "huber"]) == 0
    out = capsys.readouterr().out
    for text in (
        "Huber",
        "Formula",
        "delta",
        "When to use",
        "Pitfalls",
        "Hyperparameters",
        'losslab.get("huber", delta=1.0)',
        "Huber, P. J. (1964)",
    ):
        assert text in out, text


def test_explain_by_alias_and_json(capsys):
    assert main(["explain", "BinaryCrossentropy", "--json"]) == 0
    info = json.loads(capsys.readouterr().out)
    assert info["name"] == "binary_crossentropy"
    assert {p["name"] for p in info["params"]} == {"from_logits", "label_smoothing", "axis"}
    assert info["requires"] == ["y in {0,1}"]


def _one_line_error(capsys) -> str:
    captured = capsys.readouterr()
    err = captured.err.strip()
    assert "\n" not in err, err
    assert "Traceback" not in captured.err + captured.out
    assert err.startswith("Error: ")
    return err


def test_unknown_loss_exits_2_with_one_line(capsys):
    assert main(["explain", "hubr"]) == 2
    err = _one_line_error(capsys)
    assert "Unknown loss 'hubr'" in err and "huber" in err and "losslab losses" in err


def test_bad_family_exits_2_with_one_line(capsys):
    assert main(["losses", "--family", "astrology"]) == 2
    err = _one_line_error(capsys)
    assert "astrology" in err and "regression" in err


def _run_cli_in_fresh_python(args: list[str]) -> tuple[list[str], str]:
    """Run ``losslab ARGS`` in a new interpreter; return the heavy modules it imported."""
    code = (
        "import sys\n"
        "from losslab.cli import main\n"
        f"code = main({args!r})\n"
        f"print('HEAVY=' + ','.join(m for m in {HEAVY!r} if m in sys.modules), file=sys.stderr)\n"
        "sys.exit(code)\n"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    line = next(ln for ln in proc.stderr.splitlines() if ln.startswith("HEAVY="))
    return [m for m in line[len("HEAVY=") :].split(",") if m], proc.stdout


@pytest.mark.parametrize(
    "args", [["--help"], ["losses"], ["explain", "huber"]], ids=["help", "losses", "explain"]
)
def test_catalog_commands_import_no_deep_learning_backend(args):
    heavy, out = _run_cli_in_fresh_python(args)
    assert heavy == [], f"`losslab {' '.join(args)}` imported {heavy}"
    assert out.strip()


def test_cli_help_import_time_is_small():
    """Cumulative import time of the CLI (python -X importtime), measured in a fresh process.
    Well under a second on an idle machine (~0.2 s); the bound leaves room for a busy one."""
    proc = subprocess.run(
        [sys.executable, "-X", "importtime", "-c", "import losslab.cli.app"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 0, proc.stderr
    rows = [
        ln
        for ln in proc.stderr.splitlines()
        if ln.startswith("import time:") and ln.rstrip().endswith("losslab.cli.app")
    ]
    cumulative_us = int(rows[-1].split("|")[1])
    assert cumulative_us < 1_500_000, f"losslab.cli.app took {cumulative_us / 1e6:.2f} s to import"
