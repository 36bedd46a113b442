"""Fair loss experiments: ``compare``, ``run`` and ``tune``.

Public API (the facade :mod:`losslab._experiment`, which wires in the report and the
MLflow / TensorBoard exports that live in higher layers)::

    losslab.compare(build_model_or_None, x, y, losses=["mse", "huber:delta=2"], seeds=3)
    losslab.run("data.csv", target="y")
    losslab.tune(None, x, y, losses=["huber"], n_trials=20)

``api`` (``compare``, ``run``) and ``tuner`` (``tune``) are facades over the steps:
``lineup`` (the losses that compete), ``config`` (typed settings validated on construction),
``preparation`` (data, task, goal), ``execution`` (run directory, trials through an engine),
``results`` (leaderboard; the report through the ``RunViews`` callbacks it is given),
``progress``; the tuner adds ``tune_study``, ``tune_trials`` and ``tune_summary``. A trial
(``trial.run_trial``) is a pure function of its ``TrialTask`` in steps (``prepare_trial``,
``build_trial_model``, ``trial_record``) that an engine training several trials together can
reuse; ``store`` is the one reader and writer of the run directory. ``streaming`` and
``streaming_fit`` train one model on a table larger than memory (``losslab fit``, options in
``fit_options``). The protocol, the run-directory format and the statistics are described in
docs/experiments.md and docs/run-directory.md.
"""

from __future__ import annotations

from losslab import _lazy

__all__ = [
    "Candidate",
    "Contender",
    "EarlyStoppingConfig",
    "Engine",
    "LoadedRun",
    "FitResult",
    "LocalEngine",
    "Results",
    "SplitConfig",
    "TrainingConfig",
    "TuneResult",
    "default_engine",
    "export_candidate",
    "load",
    "refit",
    "fit_in_memory",
    "fit_streaming",
    "save_trial_model",
]

_LAZY = {
    "Candidate": "losslab.experiment.lineup:Candidate",
    "Contender": "losslab.experiment.lineup:Contender",
    "EarlyStoppingConfig": "losslab.experiment.config:EarlyStoppingConfig",
    "SplitConfig": "losslab.experiment.config:SplitConfig",
    "TrainingConfig": "losslab.experiment.config:TrainingConfig",
    "Results": "losslab.experiment.results:Results",
    "default_engine": "losslab.experiment.engine:default_engine",
    "TuneResult": "losslab.experiment.tuner:TuneResult",
    "Engine": "losslab.experiment.engine:Engine",
    "LocalEngine": "losslab.experiment.engine:LocalEngine",
    "LoadedRun": "losslab.experiment.loaded:LoadedRun",
    "load": "losslab.experiment.loaded:load",
    "refit": "losslab.experiment.refit:refit",
    "export_candidate": "losslab.experiment.export:export_candidate",
    "save_trial_model": "losslab.experiment.export:save_trial_model",
    "FitResult": "losslab.experiment.streaming_fit:FitResult",
    "fit_streaming": "losslab.experiment.streaming_fit:fit_streaming",
    "fit_in_memory": "losslab.experiment.streaming_fit:fit_in_memory",
}


__getattr__, __dir__ = _lazy.lazy_attributes(__name__, globals(), _LAZY)
