"""losslab.check on custom losses as people write them: each broken one fails for its
reason (and only that), correct ones pass, user code that prints, exits or hangs cannot
break the checker, warnings are not failures unless strict."""

from __future__ import annotations

import json
import subprocess
import sys
import time

import pytest

import losslab
from losslab.cli.app import main
from tests.verify.corpus import realworld_losses as rw

pytestmark = pytest.mark.backends


@pytest.mark.parametrize("name", sorted(rw.EXPECTED))
def test_real_world_broken_loss_fails_for_its_reason(name: str) -> None:
    check_name, kwargs, phrase = rw.EXPECTED[name]
    report = losslab.check(getattr(rw, name), backends=None, **kwargs)
    failed = {r.name for r in report.failures}
    assert check_name in failed, str(report)
    assert phrase in report[check_name].evidence, str(report)
    assert report[check_name].fix, "a failure must come with a fix"
    assert failed <= {check_name} | rw.ALSO_FAILS.get(name, set()), str(report)
    assert report.exit_code == 1


def test_unregistered_function_is_a_warning_unless_strict() -> None:
    report = losslab.check(rw.unregistered_mse, backends=None)
    row = report["save_load"]
    assert row.status == "warn", str(report)
    assert "'unregistered_mse' is not registered" in row.evidence
    assert "register_keras_serializable()" in row.fix and "@losslab.loss" in row.fix
    assert report.passed and report.exit_code == 0 and not report.failures, str(report)
    assert [r.name for r in report.warnings] == ["save_load"]
    strict = losslab.check(rw.unregistered_mse, backends=None, strict=True, only=["save_load"])
    assert strict["save_load"].status == "fail" and strict.exit_code == 1 and strict.to_dict()["strict"] is True


def test_unregistered_function_cli_exit_codes(capsys) -> None:
    target = "tests.verify.corpus.realworld_losses:unregistered_mse"
    assert main(["check", target, "--backends", "none", "--only", "save_load", "--json"]) == 0
    d = json.loads(capsys.readouterr().out)
    assert d["passed"] is True and {r["name"]: r["status"] for r in d["results"]}["save_load"] == "warn"
    assert main(["check", target, "--backends", "none", "--only", "save_load", "--strict"]) == 1
    flat = " ".join(capsys.readouterr().out.replace("│", " ").split())
    assert "save_load fail" in flat, flat


def test_loss_that_prints_keeps_json_valid_and_shows_the_output(capsys) -> None:
    code = main(["check", "tests.verify.corpus.realworld_losses:chatty_mse", "--backends", "none", "--only", "per_sample,gradients", "--json"])
    captured = capsys.readouterr()
    d = json.loads(captured.out)  # nothing but the JSON document on stdout
    assert code == 0 and d["passed"] is True
    rows = {r["name"]: r for r in d["results"]}
    assert "computing the loss on a batch" in rows["per_sample"]["output"]
    assert "debug: still here" in rows["per_sample"]["output"]
    assert any("computing the loss on a batch" in n for n in d["notes"])
    assert "computing the loss" not in captured.err


def test_sys_exit_inside_the_loss_fails_the_checks(capsys) -> None:
    report = losslab.check(rw.exits, backends=None, only=["per_sample", "edges"])
    assert report["per_sample"].status == "fail" and "sys.exit(0)" in report["per_sample"].evidence
    assert report["edges"].status == "fail" and "sys.exit(0)" in report["edges"].evidence, str(report)
    code = main(["check", "tests.verify.corpus.realworld_losses:exits", "--backends", "none", "--only", "edges", "--json"])
    d = json.loads(capsys.readouterr().out)
    assert code == 1 and d["passed"] is False


def test_a_check_that_hangs_times_out() -> None:
    rw.RELEASE.clear()
    try:
        start = time.monotonic()
        report = losslab.check(rw.never_returns_until_released, backends=None, timeout=2.0)
        elapsed = time.monotonic() - start
    finally:
        rw.RELEASE.set()  # let the abandoned thread finish
    assert all(r.status in ("fail", "n/a") for r in report.results), str(report)
    assert "timed out after 2 s" in report["per_sample"].evidence, str(report)
    assert report.exit_code == 1
    assert elapsed < 60, elapsed


@pytest.mark.slow
def test_cli_exits_despite_a_loss_that_never_returns() -> None:
    code = (
        "import sys; from losslab.cli import main; "
        "sys.argv = ['losslab', 'check', 'tests.verify.corpus.realworld_losses:never_returns', "
        "'--backends', 'none', '--timeout', '20', '--json']; main()"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=240)
    assert proc.returncode == 1, proc.stderr[-2000:]
    d = json.loads(proc.stdout)
    assert "timed out after 20 s" in {r["name"]: r for r in d["results"]}["gradients"]["evidence"]


def test_critic_labels_turn_off_the_direction_test_only() -> None:
    # gradient descent on y_true * y_pred moves y_pred against the sign of y_true: the
    # default check reports it; direction=False keeps the other gradient checks
    default = losslab.check(rw.wasserstein_critic, backends=None, only=["gradients"])
    assert default["gradients"].status == "fail" and "away from the truth" in default["gradients"].evidence
    report = losslab.check(rw.wasserstein_critic, backends=None, direction=False)
    assert report.passed, str(report)
    assert report["gradients"].status == "pass" and "lowers the loss" in report["gradients"].evidence
    assert "direction=False" in report["gradients"].evidence
    assert report["argument_order"].status == "n/a"


def test_no_direction_cli_flag(capsys) -> None:
    target = "tests.verify.corpus.realworld_losses:wasserstein_critic"
    assert main(["check", target, "--backends", "none", "--only", "gradients", "--json"]) == 1
    capsys.readouterr()
    assert main(["check", target, "--backends", "none", "--only", "gradients", "--no-direction", "--json"]) == 0


def test_rich_table_keeps_brackets_in_fix_text(capsys, monkeypatch) -> None:
    monkeypatch.setenv("COLUMNS", "2000")  # one table line per row: no wrapping of the fix
    code = main(["check", "tests.verify.corpus.broken_losses:nan_at_edges", "--family", "binary", "--backends", "none", "--only", "edges"])
    out = capsys.readouterr().out
    assert code == 1
    assert "clip probabilities to [eps, 1 - eps]" in out, out
