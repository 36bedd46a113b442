"""losslab: the loss-function workbench for Keras 3.

Public API (imported lazily, so ``import losslab`` stays fast and never imports Keras,
Optuna or Spark until they are needed)::

    losslab.get("huber", delta=2.0)      # a ready Keras loss
    losslab.list_losses(family="count")  # catalog entries
    losslab.loss(...)                    # decorator: author a custom loss
    losslab.check(loss)                  # custom-loss test battery
    losslab.doctor(model, x, y)          # silent-mistake finder
    losslab.recommend(data, target="y")  # the advisor
    losslab.compare(build_model, x, y, losses=[...])
    losslab.tune(...), losslab.run(...)
    losslab.explain("huber")             # a catalog entry (plain text, HTML in a notebook)
    losslab.keras_tuner.loss(hp, [...])  # KerasTuner: search the loss (docs/integrations.md)
    losslab.load(run_dir)                # a stored run: leaderboard, models, predict

Example:
    >>> import losslab
    >>> spec = losslab.get_spec("mae")
    >>> spec.statistic, spec.robustness.value
    ('median', 'high')
    >>> [spec.name for spec in losslab.list_losses(family="ordinal")]
    ['coral', 'corn', 'weighted_kappa']
"""

from __future__ import annotations

from losslab import _lazy

__version__ = "0.1.0"

# public name -> "module:attribute"
_LAZY: dict[str, str] = {
    "get": "losslab.catalog:get",
    "get_spec": "losslab.catalog:get_spec",
    "list_losses": "losslab.catalog:list_losses",
    "register": "losslab.catalog:register",
    "LossSpec": "losslab.catalog:LossSpec",
    "Family": "losslab.catalog:Family",
    "Head": "losslab.catalog:Head",
    "Param": "losslab.catalog:Param",
    "loss": "losslab.verify.authoring:loss",
    "check": "losslab.verify.check:check",
    "doctor": "losslab.verify.doctor:doctor",
    "profile": "losslab.advisor:profile",
    "recommend": "losslab.advisor:recommend",
    "compare": "losslab._experiment:compare",
    "tune": "losslab._experiment:tune",
    "run": "losslab._experiment:run",
    "load": "losslab.experiment:load",
    "evaluate": "losslab._evaluate:evaluate",
    "explain": "losslab.integrations.notebook:explain",
    "keras_tuner": "losslab.integrations:keras_tuner",
    "LosslabError": "losslab.errors:LosslabError",
    "UnknownLossError": "losslab.errors:UnknownLossError",
    "InvalidParameterError": "losslab.errors:InvalidParameterError",
    "DataError": "losslab.errors:DataError",
    "TaskMismatchError": "losslab.errors:TaskMismatchError",
}
_SUBMODULES = {"catalog", "losses", "reference", "callbacks", "spark", "data", "advisor", "verify", "experiment", "report", "integrations"}

__all__ = sorted([*_LAZY, "__version__"])


__getattr__, __dir__ = _lazy.lazy_attributes(__name__, globals(), _LAZY, submodules=_SUBMODULES)
