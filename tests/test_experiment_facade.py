"""``losslab.compare`` / ``run`` / ``tune``: the experiment functions with the report and the
exports wired in by the top-level facade (the experiment layer imports neither)."""

from __future__ import annotations

import inspect
from pathlib import Path

import numpy as np
import pytest

import losslab
from losslab.errors import InvalidParameterError
from losslab.experiment import api, tuner


@pytest.mark.parametrize(("public", "inner"), [("compare", api.compare), ("run", api.run), ("tune", tuner.tune)])
def test_public_signature_is_the_experiment_functions_without_views(public, inner) -> None:  # noqa: ANN001
    outer = inspect.signature(getattr(losslab, public))
    params = [p for p in inspect.signature(inner).parameters.values() if p.name != "views"]
    assert list(outer.parameters.values()) == params
    assert getattr(losslab, public).__doc__ == inner.__doc__


def _xy() -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(0)
    x = rng.normal(size=(80, 2))
    return x, x @ np.array([1.0, -1.0]) + 0.1 * rng.normal(size=80)


def test_exports_without_the_integrations_are_refused_before_training(tmp_path: Path) -> None:
    x, y = _xy()
    with pytest.raises(InvalidParameterError, match=r"mlflow= / tensorboard= need the integrations.*losslab\.compare"):
        api.compare(None, x, y, losses=["mse"], seeds=1, max_epochs=1, out=tmp_path / "r", quiet=True,
                    tensorboard=tmp_path / "tb")  # fmt: skip
    assert not (tmp_path / "r").exists() and not (tmp_path / "tb").exists()


def test_the_facade_writes_the_report_the_experiment_alone_does_not(tmp_path: Path, capsys) -> None:  # noqa: ANN001
    x, y = _xy()
    kw = dict(losses=["mse"], seeds=1, max_epochs=1, engine="sequential")
    bare = api.compare(None, x, y, out=tmp_path / "bare", **kw)
    assert (bare.run_dir / "leaderboard.json").exists() and not (bare.run_dir / "report.html").exists()
    assert "Leaderboard:" not in capsys.readouterr().out  # no leaderboard printed
    full = losslab.compare(None, x, y, out=tmp_path / "full", **kw)
    assert set(full.report_files) >= {"html"} and (full.run_dir / "report.html").exists()
    assert "Leaderboard:" in capsys.readouterr().out
