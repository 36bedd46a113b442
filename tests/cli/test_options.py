"""The option helpers shared by ``compare``, ``run`` and ``tune`` (cli/commands/_options.py)."""

from __future__ import annotations

import pytest

from losslab.cli import main
from losslab.cli.commands._options import (
    check_class_weight,
    common_kwargs,
    early_stopping_setting,
    parse_hidden,
)
from losslab.errors import InvalidParameterError

_OPTIONS = dict(
    task="binary",
    goal=None,
    quantile=None,
    seeds=2,
    max_epochs=5,
    batch_size=16,
    learning_rate=1e-3,
    patience=2,
    monitor="val_loss",
    min_delta=0.01,
    restore_best_weights=False,
    early_stopping=True,
    hidden="8,4",
    class_weight=None,
    scale_target=False,
    test_size=0.3,
    val_size=0.1,
    group=None,
    time="t",
    split_seed=7,
    out="runs/x",
    engine="local",
    master=None,
    quiet=False,
    no_report=True,
)


def test_common_kwargs_translates_every_option():
    kw = common_kwargs({**_OPTIONS, "metric": "pr_auc", "as_json": True})
    assert kw["early_stopping"] == {
        "monitor": "val_loss",
        "patience": 2,
        "min_delta": 0.01,
        "restore_best_weights": False,
    }
    assert kw["hidden"] == (8, 4) and kw["engine"] is None
    assert kw["quiet"] is True  # --json implies quiet
    assert kw["report"] is False and kw["metric"] == "pr_auc" and kw["time"] == "t"
    # `run` has no --metric and no --json of its own here: defaults apply
    kw = common_kwargs(_OPTIONS)
    assert kw["metric"] is None and kw["quiet"] is False


def test_early_stopping_off_and_class_weight_and_hidden_errors():
    assert early_stopping_setting({**_OPTIONS, "early_stopping": False}) is False
    assert check_class_weight("balanced") == "balanced" and check_class_weight(None) is None
    with pytest.raises(
        InvalidParameterError, match="--class-weight must be 'balanced'. Received: 'x'"
    ):
        common_kwargs({**_OPTIONS, "class_weight": "x"})
    with pytest.raises(InvalidParameterError, match="--hidden needs positive widths"):
        parse_hidden("0")
    with pytest.raises(InvalidParameterError, match="--master applies to --engine spark only"):
        common_kwargs({**_OPTIONS, "master": "local[2]"})


@pytest.mark.parametrize("command", ["compare", "run", "tune"])
def test_each_command_refuses_a_bad_class_weight_in_one_line(command, capsys):
    extra = ["--losses", "mse"] if command != "run" else []
    code = main([command, "data.csv", "--target", "y", *extra, "--class-weight", "x"])
    assert code == 2
    err = capsys.readouterr().err
    assert "--class-weight must be 'balanced'. Received: 'x'." in err and "Traceback" not in err
