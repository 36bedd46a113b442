"""`losslab check` and `losslab doctor`: exit codes 0 / 1 / 2, JSON output, one-line errors."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from losslab.cli.app import main
from tests.verify.corpus import setups


def _run(capsys, args: list[str]) -> tuple[int, str, str]:
    code = main(args)
    out, err = capsys.readouterr()
    return code, out, err


def test_check_passes_a_correct_loss_as_json(capsys) -> None:
    code, out, err = _run(capsys, ["check", "tests.verify.corpus.good_losses:GoodFocal", "--family", "binary", "--param", "gamma=1.5", "--backends", "none", "--json"])
    assert code == 0, err
    d = json.loads(out)
    assert d["passed"] is True and d["loss"] == "GoodFocal"
    assert {r["name"] for r in d["results"]} >= {"per_sample", "edges", "save_load"}


def test_check_fails_a_broken_loss_with_exit_1_and_a_table(capsys) -> None:
    code, out, err = _run(capsys, ["check", "tests.verify.corpus.broken_losses:wrong_sign", "--backends", "none", "--skip", "save_load,half_precision"])
    assert code == 1
    flat = " ".join(out.replace("│", " ").split())
    assert "gradients fail" in flat, out
    assert "1 check(s) failed." in flat


@pytest.mark.parametrize(
    ("args", "match"),
    [
        (["check", "no_such_module_xyz:loss"], "Could not import module 'no_such_module_xyz'"),
        (["check", "tests.verify.corpus.setups:N"], "is not a loss"),
        (["check", "huberr"], "Unknown loss 'huberr'"),
        (["check", "huber", "--param", "delta"], "--param must be name=value"),
        (["check", "huber", "--param", "delta=-2"], "delta must be > 0"),
        (["check", "huber", "--backends", "theano"], "Unknown backend"),
    ],
)
def test_check_bad_arguments_exit_2_with_one_line(capsys, args: list[str], match: str) -> None:
    code, out, err = _run(capsys, args)
    assert code == 2
    assert err.startswith("Error: ") and err.count("\n") == 1, err
    assert match in err
    assert "Traceback" not in err + out


def test_doctor_finds_a_planted_mistake_exit_1(capsys, tmp_path) -> None:
    model, x, y = setups.probs_to_logits_loss()
    model.save(tmp_path / "m.keras")
    np.savez(tmp_path / "d.npz", x=x, y=y)
    code, out, err = _run(capsys, ["doctor", str(tmp_path / "m.keras"), str(tmp_path / "d.npz"), "--json"])
    assert code == 1, err
    d = json.loads(out)
    assert [f["code"] for f in d["findings"]] == ["probabilities_to_logits_loss"]
    assert d["model"]["output_activation"] == "sigmoid" and d["model"]["from_logits"] is True


def test_doctor_factory_and_csv_clean_exit_0(capsys, tmp_path) -> None:
    model, x, y = setups.good_binary_probs()
    pd.DataFrame(x, columns=list("abcde")).assign(target=y).to_csv(tmp_path / "d.csv", index=False)
    code, out, err = _run(capsys, ["doctor", "tests.verify.corpus.setups:factory_good_binary", str(tmp_path / "d.csv"), "--target", "target"])
    assert code == 0, err
    assert "No problems found." in out


def test_doctor_bad_inputs_exit_2(capsys, tmp_path) -> None:
    model, x, y = setups.good_binary_probs()
    model.save(tmp_path / "m.keras")
    (tmp_path / "corrupt.keras").write_bytes(b"\x00not a model")
    pd.DataFrame(x[:, :3], columns=list("abc")).assign(target=y).to_csv(tmp_path / "narrow.csv", index=False)
    pd.DataFrame(x, columns=list("abcde")).assign(target=y).to_csv(tmp_path / "d.csv", index=False)
    cases = [
        (["doctor", str(tmp_path / "missing.keras"), str(tmp_path / "d.csv"), "--target", "target"], "Model file not found"),
        (["doctor", str(tmp_path / "corrupt.keras"), str(tmp_path / "d.csv"), "--target", "target"], "Could not load the model file"),
        (["doctor", str(tmp_path / "m.keras"), str(tmp_path / "narrow.csv"), "--target", "target"], "does not match the model's input"),
        (["doctor", str(tmp_path / "m.keras"), str(tmp_path / "d.csv"), "--target", "nope"], "Target column 'nope' not found"),
        (["doctor", str(tmp_path / "m.keras"), str(tmp_path / "nothing.csv"), "--target", "target"], "Data file not found"),
        (["doctor", "no_such_module_xyz:build", str(tmp_path / "d.csv"), "--target", "target"], "Could not import module"),
    ]
    for args, match in cases:
        code, out, err = _run(capsys, args)
        assert code == 2, (args, out, err)
        assert err.startswith("Error: ") and err.count("\n") == 1 and match in err, (args, err)
