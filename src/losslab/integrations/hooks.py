"""The one call the experiment API makes at the end of a run for its ``mlflow=`` and
``tensorboard=`` options (CLI ``--mlflow URI`` / ``LOSSLAB_MLFLOW_URI`` and
``--tensorboard DIR``).

It runs once, after every trial is stored and the report is written, and exports from the run
directory alone, so it does not depend on the engine that trained the trials. A failing export
warns on stderr and never loses the run: the trials stay stored, and
``losslab export-mlflow RUN_DIR`` / ``losslab export-tensorboard RUN_DIR DIR`` redo it,
logging only what is missing.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

from losslab.integrations.mlflow_tracking import resolve_uri

__all__ = ["export_after_run"]


def export_after_run(
    run_dir: str | Path,
    *,
    mlflow: str | bool | None = None,
    tensorboard: str | Path | None = None,
    quiet: bool = False,
) -> dict[str, Any]:
    """Export a finished run to MLflow and/or TensorBoard (nothing when both are None).

    Args:
        run_dir: the run directory.
        mlflow: a tracking URI, ``True`` (``LOSSLAB_MLFLOW_URI``, else MLflow's own default
            ``MLFLOW_TRACKING_URI``) or None (no MLflow export).
        tensorboard: a TensorBoard log directory, or None.
        quiet: print nothing on success.

    Returns:
        ``{"mlflow": MlflowExport | None, "tensorboard": [trial ids written] | None}``.

    Example:
        >>> export_after_run("runs/demo")
        {'mlflow': None, 'tensorboard': None}
    """
    done: dict[str, Any] = {"mlflow": None, "tensorboard": None}
    uri = resolve_uri(mlflow)
    if uri is not None:
        from losslab.integrations.mlflow_tracking import export_mlflow

        done["mlflow"] = _guard(
            "MLflow",
            run_dir,
            lambda: export_mlflow(run_dir, uri or None),
            f"losslab export-mlflow {run_dir}",
        )
        if done["mlflow"] is not None and not quiet:
            res = done["mlflow"]
            model = f", model {res.model_uri}" if res.model_logged else ""
            sys.stderr.write(
                f"MLflow: run {res.parent_run_id} ({len(res.logged)} trials logged{model}) at {res.tracking_uri}\n"
            )
    if tensorboard is not None:
        from losslab.integrations.tensorboard_logs import export_tensorboard

        done["tensorboard"] = _guard(
            "TensorBoard",
            run_dir,
            lambda: export_tensorboard(run_dir, tensorboard),
            f"losslab export-tensorboard {run_dir} {tensorboard}",
        )
        if done["tensorboard"] is not None and not quiet:
            sys.stderr.write(
                f"TensorBoard: logs in {tensorboard} (tensorboard --logdir {tensorboard})\n"
            )
    return done


def _guard(what: str, run_dir: str | Path, fn: Any, redo: str) -> Any:
    """Run an export; on any error warn (one line) and return None: the run is stored."""
    try:
        return fn()
    except ImportError as e:
        extra = {"MLflow": "mlflow", "TensorBoard": "tensorboard"}[what]
        sys.stderr.write(
            f"Warning: the {what} export needs {e.name or extra} (pip install 'losslab[{extra}]'). "
            f"The run is stored in {run_dir}; export it later with `{redo}`.\n"
        )
    except Exception as e:  # never lose a finished run to an export error
        sys.stderr.write(
            f"Warning: the {what} export failed ({type(e).__name__}: {' '.join(str(e).split())[:300]}). "
            f"The run is stored in {run_dir}; retry with `{redo}`.\n"
        )
    return None
