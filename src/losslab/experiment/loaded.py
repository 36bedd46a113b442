"""``losslab.load(RUN_DIR)``: a stored run with its leaderboard, its candidates and their
models, ready to predict.

Example:
    >>> run = losslab.load("demo-run/run")              # doctest: +SKIP
    >>> run.leaderboard[["candidate", "rmse"]]           # doctest: +SKIP
    >>> run.predict(new_rows)                            # the exported model (model/)  # doctest: +SKIP
    >>> run.model("huber:delta=1").save("huber.keras")   # any candidate  # doctest: +SKIP
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from losslab.experiment.card import model_card, output_columns
from losslab.experiment.export import (
    candidate_trials,
    inference_model,
    load_schema,
    task_for_record,
)
from losslab.experiment.predict import ModelBundle, load_bundle, predict_frame
from losslab.experiment.results import Results
from losslab.experiment.trial import prepare_trial

__all__ = ["LoadedRun", "load"]


class LoadedRun:
    """A run directory opened for use (nothing is trained on load).

    Attributes:
        path: the run directory.
        results: its :class:`~losslab.experiment.results.Results`.
    """

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self.path = Path(path)
        self.results = Results.load(self.path)
        self._bundles: dict[str | None, ModelBundle] = {}

    def __repr__(self) -> str:
        return f"LoadedRun({str(self.path)!r}, best={self.best!r}, exported={self.has_model})"

    @property
    def leaderboard(self) -> Any:
        """The leaderboard DataFrame (best first)."""
        return self.results.leaderboard

    @property
    def candidates(self) -> list[str]:
        """Candidate labels, in the run's order."""
        return [c["label"] for c in self.results.manifest["config"]["candidates"]]

    @property
    def best(self) -> str | None:
        return self.results.best

    @property
    def has_model(self) -> bool:
        """Whether ``model/`` (a refit, exported model) exists."""
        return (self.path / "model" / "card.json").exists()

    def bundle(self, label: str | None = None) -> ModelBundle:
        """The model with its card: ``model/`` for ``label=None`` when it exists, else the
        raw-column model of the candidate's best seed (the winner for ``None``)."""
        if label is None and self.has_model:
            return load_bundle(self.path)
        if label not in self._bundles:
            rec = candidate_trials(self.path, label)[0]
            setup = prepare_trial(task_for_record(self.path, rec))
            model = inference_model(self.path, rec["trial_id"], setup=setup)
            manifest = self.results.manifest
            outputs = output_columns(
                manifest["task"]["kind"],
                manifest["task"].get("classes"),
                setup.head.head.value,
                setup.levels,
                int(model.output_shape[-1]),
                manifest["data"].get("target"),
            )
            card = model_card(self.path, rec, load_schema(self.path), outputs, levels=setup.levels)
            self._bundles[label] = ModelBundle(
                model, card, self.path / "trials" / f"{rec['trial_id']}.keras"
            )
        return self._bundles[label]

    def model(self, label: str | None = None) -> Any:
        """The raw-column Keras model (see :meth:`bundle`)."""
        return self.bundle(label).model

    def predict(self, df: Any, label: str | None = None, *, id_col: str | None = None) -> Any:
        """Predictions for a pandas DataFrame (columns as in ``losslab predict``)."""
        frame, notes, _ = predict_frame(self.bundle(label), df, id_col=id_col)
        for note in notes:
            import warnings

            warnings.warn(note, stacklevel=2)
        return frame


def load(run_dir: str | os.PathLike[str]) -> LoadedRun:
    """Open a stored run: leaderboard, candidates, ``.model(label)``, ``.predict(df)``."""
    return LoadedRun(run_dir)
