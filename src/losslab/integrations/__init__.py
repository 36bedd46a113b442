"""Integrations with the tools Keras users already work in: MLflow, TensorBoard, KerasTuner,
Jupyter notebooks, optuna-dashboard (docs/integrations.md).

The exporters read a stored run directory (docs/run-directory.md), so they work for every
engine and for past runs; heavy libraries (mlflow, tensorboard, keras_tuner) are imported
inside the functions that need them.

Public API::

    export_mlflow(run_dir, "http://127.0.0.1:5000")   # parent run + one nested run per trial
                                                      # + RUN_DIR/model/ as an mlflow.pyfunc model
    export_tensorboard(run_dir, "tb-logs")            # DIR/<trial_id>/{train,validation}
    keras_tuner.loss(hp, ["mse", "huber"]); keras_tuner.head(hp, task="regression")
    results_html(results); recommendation_html(rec); check_report_html(report); explain("huber")
"""

from __future__ import annotations

from losslab import _lazy

__all__ = [
    "Explanation",
    "LosslabPyfunc",
    "MlflowExport",
    "check_report_html",
    "explain",
    "export_after_run",
    "export_mlflow",
    "export_tensorboard",
    "log_exported_model",
    "recommendation_html",
    "results_html",
]

_LAZY = {
    "MlflowExport": "losslab.integrations.mlflow_tracking:MlflowExport",
    "export_mlflow": "losslab.integrations.mlflow_tracking:export_mlflow",
    "export_tensorboard": "losslab.integrations.tensorboard_logs:export_tensorboard",
    "LosslabPyfunc": "losslab.integrations.mlflow_model:LosslabPyfunc",
    "log_exported_model": "losslab.integrations.mlflow_model:log_exported_model",
    "export_after_run": "losslab.integrations.hooks:export_after_run",
    "Explanation": "losslab.integrations.notebook:Explanation",
    "explain": "losslab.integrations.notebook:explain",
    "results_html": "losslab.integrations.notebook:results_html",
    "recommendation_html": "losslab.integrations.notebook:recommendation_html",
    "check_report_html": "losslab.integrations.notebook:check_report_html",
}

__getattr__, __dir__ = _lazy.lazy_attributes(__name__, globals(), _LAZY, submodules={"keras_tuner"})
