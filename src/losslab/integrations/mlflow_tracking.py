"""Export a stored losslab run to MLflow tracking: one parent run per experiment, one nested
run per trial.

The exporter reads the run directory alone (docs/run-directory.md), so it works for every
engine, after the run or long after it (``losslab export-mlflow RUN_DIR``), and it is
idempotent: every MLflow run it creates is tagged with the losslab run's config hash and data
fingerprint (and a trial's run with its trial id), and what is already in MLflow is skipped.
A trial run left unfinished by an interrupted export is deleted and logged again.

What is logged:

- parent run (``losslab.role=experiment``): the config as parameters (candidates, seeds,
  task, goal, primary metric, split, model, training), the data fingerprint and source, the
  task's reasons as a tag, the best candidate's mean primary metric, and as artifacts the
  leaderboard (``leaderboard.json`` as an MLflow table, ``leaderboard.csv``), ``report.html``,
  the advisor's recommendation, ``tune/best.json`` of a tune run;
- one nested run per trial (``losslab.role=trial``, named by its trial id): loss and its
  parameters, seed, learning rate, batch size (a tune trial's sampled ones), the per-epoch
  ``history`` (``loss``, ``val_loss``, a tune trial's ``val_judge``) as metrics with
  ``step = epoch - 1`` (as Keras's callbacks count epochs), the judge metrics
  (``test_<metric>``, ``val_<metric>``), ``best_epoch`` and ``epochs_run``, the status (MLflow
  ``FINISHED`` for ``ok``, ``FAILED`` for ``nan``/``failed``, ``KILLED`` for a pruned tune
  trial) and the training watchers' events as ``losslab.warning.<i>`` tags;
- the run's exported model (``RUN_DIR/model/``, from ``losslab refit`` / ``run --refit``),
  once, as an ``mlflow.pyfunc`` model of the parent run with its signature
  (:mod:`losslab.integrations.mlflow_model`).

Extension point: ``export_mlflow(..., on_trial=fn)`` calls ``fn(client, run_id, record,
run_dir)`` after each trial's run is logged, before it is closed (e.g. to log a trial's own
stored network, ``trials/<trial_id>.keras``).
"""

from __future__ import annotations

import json
import math
import os
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from losslab.errors import InvalidParameterError
from losslab.integrations._stored import StoredRun, finished_ms, load_run

__all__ = ["DEFAULT_EXPERIMENT", "MlflowExport", "export_mlflow", "resolve_uri"]

DEFAULT_EXPERIMENT = "losslab"
ENV_URI = "LOSSLAB_MLFLOW_URI"
ENV_EXPERIMENT = "LOSSLAB_MLFLOW_EXPERIMENT"
_STATUS = {"ok": "FINISHED", "nan": "FAILED", "failed": "FAILED", "pruned": "KILLED"}
_MAX_PARAM = 6000  # MLflow's limits (mlflow.utils.validation)
_MAX_TAG = 8000
_MAX_WARNING_TAGS = 20


@dataclass
class MlflowExport:
    """What one export did.

    Attributes:
        tracking_uri: the MLflow tracking URI written to.
        experiment_id: the MLflow experiment.
        parent_run_id: the run of the losslab experiment.
        logged: trial ids logged by this export.
        skipped: trial ids already in MLflow (not logged again).
        finished: the parent run was closed (the losslab run had finished).
        model_uri: the MLflow model of the run's exported model (``RUN_DIR/model/``), or None.
        model_logged: that model was logged by this export (False: it was there already).
    """

    tracking_uri: str
    experiment_id: str
    parent_run_id: str
    logged: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)
    finished: bool = False
    model_uri: str | None = None
    model_logged: bool = False


def resolve_uri(uri: str | bool | None) -> str | None:
    """The tracking URI of an ``mlflow=`` option: a URI as given; ``True`` reads
    ``LOSSLAB_MLFLOW_URI``, else MLflow's own default (``MLFLOW_TRACKING_URI``); ``None`` /
    ``False`` mean no export.

    Example:
        >>> resolve_uri("sqlite:///mlflow.db"), resolve_uri(None)
        ('sqlite:///mlflow.db', None)
    """
    if uri is None or uri is False:
        return None
    if uri is True:
        return os.environ.get(ENV_URI) or ""
    if not isinstance(uri, str) or not uri.strip():
        raise InvalidParameterError(
            f"mlflow must be a tracking URI (e.g. 'http://127.0.0.1:5000' or 'sqlite:///mlflow.db') "
            f"or True. Received: mlflow={uri!r}."
        )
    return uri.strip()


def _text(value: Any, limit: int) -> str:
    s = value if isinstance(value, str) else json.dumps(value, sort_keys=True, default=str)
    return s if len(s) <= limit else s[: limit - 3] + "..."


def _flatten(prefix: str, obj: Any, out: dict[str, Any]) -> None:
    if isinstance(obj, Mapping):
        for k, v in obj.items():
            _flatten(f"{prefix}.{k}" if prefix else str(k), v, out)
    else:
        out[prefix] = obj


def _params(values: Mapping[str, Any]) -> dict[str, str]:
    return {k: _text(v, _MAX_PARAM) for k, v in values.items()}


def _experiment_params(run: StoredRun) -> dict[str, str]:
    m, cfg = run.manifest, run.manifest.get("config", {})
    flat: dict[str, Any] = {
        "kind": run.kind,
        "candidates": ", ".join(c["label"] for c in cfg.get("candidates", [])),
        "seeds": cfg.get("seeds"),
        "task": m.get("task", {}).get("kind"),
        "primary_metric": run.primary_metric,
    }
    for key in ("goal", "split", "model", "training", "tune"):
        if cfg.get(key) is not None:
            _flatten(key, cfg[key], flat)
    data = m.get("data", {})
    for key in ("fingerprint", "source", "target", "n_rows", "n_features"):
        flat[f"data.{key}"] = data.get(key)
    return _params(flat)


def _key_tags(run: StoredRun, role: str) -> dict[str, str]:
    return {
        "losslab.role": role,
        "losslab.config_hash": run.config_hash,
        "losslab.data_fingerprint": run.fingerprint,
        "losslab.kind": run.kind,
    }


def _search(client: Any, experiment_id: str, tags: Mapping[str, str]) -> list[Any]:
    """Every active run of the experiment carrying all of ``tags``."""
    filt = " and ".join(f"tags.`{k}` = '{v}'" for k, v in tags.items())
    runs, token = [], None
    while True:
        page = client.search_runs(
            [experiment_id], filter_string=filt, max_results=1000, page_token=token
        )
        runs.extend(page)
        token = page.token
        if not token:
            return runs


def _experiment_id(client: Any, name: str) -> str:
    exp = client.get_experiment_by_name(name)
    if exp is None:
        return str(client.create_experiment(name))
    if exp.lifecycle_stage == "deleted":
        client.restore_experiment(exp.experiment_id)
    return str(exp.experiment_id)


def _parent(client: Any, experiment_id: str, run: StoredRun) -> Any:
    found = _search(client, experiment_id, _key_tags(run, "experiment"))
    if found:
        return min(found, key=lambda r: r.info.start_time or 0)
    tags = {
        **_key_tags(run, "experiment"),
        "losslab.run_dir": str(run.path.resolve()),
        "losslab.task_reasons": _text(
            "\n".join(run.manifest.get("task", {}).get("reasons") or []), _MAX_TAG
        ),
    }
    created = run.manifest.get("created")
    start = finished_ms({"finished": created})[1] if created else None
    return client.create_run(
        experiment_id, start_time=start or None, tags=tags, run_name=f"{run.kind} {run.path.name}"
    )


def _history_metrics(record: Mapping[str, Any], ts: int) -> list[Any]:
    from mlflow.entities import Metric

    out = []
    for key, values in (record.get("history") or {}).items():
        for step, v in enumerate(values or []):
            out.append(Metric(str(key), float("nan") if v is None else float(v), ts, step))
    return out


def _trial_metrics(record: Mapping[str, Any], ts: int) -> list[Any]:
    from mlflow.entities import Metric

    values: dict[str, Any] = {f"test_{k}": v for k, v in (record.get("metrics") or {}).items()}
    values.update({f"val_{k}": v for k, v in (record.get("val_metrics") or {}).items()})
    values["epochs_run"] = record.get("epochs_run")
    values["best_epoch"] = record.get("best_epoch")
    values["train_seconds"] = record.get("train_seconds")
    out = [
        Metric(k, float(v), ts, 0)
        for k, v in values.items()
        if isinstance(v, int | float) and not isinstance(v, bool) and math.isfinite(v)
    ]
    return out + _history_metrics(record, ts)


def _trial_tags(run: StoredRun, record: Mapping[str, Any], parent_id: str) -> dict[str, str]:
    tags = {
        **_key_tags(run, "trial"),
        "losslab.trial_id": str(record["trial_id"]),
        "mlflow.parentRunId": parent_id,
        "losslab.status": str(record.get("status")),
        "losslab.candidate": str(record.get("label")),
        "losslab.stopped_early": str(bool(record.get("stopped_early"))).lower(),
    }
    if record.get("head"):
        tags["losslab.head"] = str(record["head"])
    if record.get("error"):
        tags["losslab.error"] = _text(str(record["error"]), _MAX_TAG)
    events = list(record.get("events") or [])
    tags["losslab.warnings"] = str(len(events))
    for i, ev in enumerate(events[:_MAX_WARNING_TAGS]):
        where = f"epoch {ev.get('epoch')}" + (f", batch {ev['batch']}" if ev.get("batch") else "")
        tags[f"losslab.warning.{i}"] = _text(
            f"{ev.get('kind')} ({ev.get('source')}, {where}): {ev.get('message')}", _MAX_TAG
        )
    return tags


def _trial_params(run: StoredRun, record: Mapping[str, Any]) -> dict[str, str]:
    training = run.training.get(str(record["trial_id"]), {})
    flat: dict[str, Any] = {
        "loss": record.get("loss"),
        "candidate": record.get("label"),
        "seed": record.get("seed"),
    }
    flat.update({f"loss.{k}": v for k, v in (record.get("params") or {}).items()})
    if record.get("class_weight") is not None:
        flat["class_weight"] = record["class_weight"]
    for key in ("optimizer", "learning_rate", "batch_size", "max_epochs"):
        if key in training:
            flat[key] = training[key]
    return _params(flat)


def _chunks(items: list[Any], n: int) -> Iterable[list[Any]]:
    for i in range(0, len(items), n):
        yield items[i : i + n]


def _log(
    client: Any,
    run_id: str,
    *,
    params: Mapping[str, str] | None = None,
    tags: Mapping[str, str] | None = None,
    metrics: list[Any] | None = None,
) -> None:
    """``log_batch`` within MLflow's per-call limits (100 params + tags, 1000 entities)."""
    from mlflow.entities import Param, RunTag

    for chunk in _chunks([Param(k, v) for k, v in (params or {}).items()], 100):
        client.log_batch(run_id, params=chunk)
    for chunk in _chunks([RunTag(k, v) for k, v in (tags or {}).items()], 100):
        client.log_batch(run_id, tags=chunk)
    for chunk in _chunks(list(metrics or []), 1000):
        client.log_batch(run_id, metrics=chunk)


def _log_trial(
    client: Any,
    experiment_id: str,
    run: StoredRun,
    record: Mapping[str, Any],
    parent_id: str,
    on_trial: Callable[[Any, str, Mapping[str, Any], Path], None] | None,
) -> None:
    start, end = finished_ms(record)
    tags = _trial_tags(run, record, parent_id)
    child = client.create_run(
        experiment_id, start_time=start or None, tags=tags, run_name=str(record["trial_id"])
    )
    run_id = child.info.run_id
    _log(
        client,
        run_id,
        params=_trial_params(run, record),
        metrics=_trial_metrics(record, end or start),
    )
    if on_trial is not None:
        on_trial(client, run_id, record, run.path)
    client.set_terminated(
        run_id, status=_STATUS.get(str(record.get("status")), "FAILED"), end_time=end or None
    )


def _best(run: StoredRun) -> tuple[str, str, float] | None:
    """``(label, metric key, value)`` of the best candidate: the leaderboard's mean primary
    metric on the test split (``best_<metric>``), or for a tune run the best validation value
    over losses (``best_val_<metric>``)."""
    rows = (run.leaderboard or {}).get("rows") or []
    if rows and rows[0].get("mean") is not None:
        return str(rows[0]["label"]), f"best_{run.primary_metric}", float(rows[0]["mean"])
    per_loss = (run.tune_best or {}).get("best") or {}
    if per_loss:
        sign = -1.0 if (run.tune_best or {}).get("direction") == "max" else 1.0
        label, b = min(per_loss.items(), key=lambda kv: sign * kv[1]["value"])
        return str(label), f"best_val_{run.primary_metric}", float(b["value"])
    return None


def _finish_parent(client: Any, parent: Any, run: StoredRun) -> None:
    """Artifacts and the best value, once the losslab run has finished (idempotent)."""
    run_id = parent.info.run_id
    rows = (run.leaderboard or {}).get("rows") or []
    best = _best(run)
    if best is not None:
        label, key, value = best
        if key not in parent.data.metrics:
            from mlflow.entities import Metric

            _log(client, run_id, metrics=[Metric(key, value, 0, 0)])
        _log(client, run_id, tags={"losslab.best": label})
    if parent.data.tags.get("losslab.artifacts") != str(len(run.records)):
        if rows:  # log_table appends to an existing table: logged once per set of trials
            import pandas as pd

            table = pd.DataFrame(
                [
                    {k: v for k, v in r.items() if k not in ("params", "metrics", "class_weight")}
                    for r in rows
                ]
            )
            client.log_table(
                run_id, data=table, artifact_file=f"leaderboard-{len(run.records)}-trials.json"
            )
        for name in (
            "leaderboard.json",
            "leaderboard.csv",
            "report.html",
            "report.md",
            "summary.json",
            "tune/best.json",
        ):
            p = run.file(name)
            if p is not None:
                client.log_artifact(
                    run_id, str(p), artifact_path=str(Path(name).parent) if "/" in name else None
                )
        if run.manifest.get("recommendation"):
            client.log_dict(run_id, run.manifest["recommendation"], "recommendation.json")
        client.log_dict(run_id, run.manifest, "manifest.json")
        _log(client, run_id, tags={"losslab.artifacts": str(len(run.records))})
    client.set_terminated(run_id, status="FINISHED")


def _log_model(client: Any, parent_id: str, run: StoredRun, result: MlflowExport) -> None:
    """The exported model as an MLflow pyfunc model of the parent run, and the report again
    (the refit re-rendered it with the model's section)."""
    from losslab.integrations.mlflow_model import log_exported_model

    result.model_uri, result.model_logged = log_exported_model(
        client, parent_id, run.path / "model"
    )
    if result.model_logged:
        for name in ("report.html", "report.md"):
            p = run.file(name)
            if p is not None:
                client.log_artifact(parent_id, str(p))


def export_mlflow(
    run_dir: str | Path,
    tracking_uri: str | None = None,
    *,
    experiment: str | None = None,
    on_trial: Callable[[Any, str, Mapping[str, Any], Path], None] | None = None,
) -> MlflowExport:
    """Log a stored losslab run to MLflow; what is already there is skipped.

    Args:
        run_dir: a run directory written by ``losslab run``/``compare``/``tune``.
        tracking_uri: MLflow tracking URI (``http://host:5000``, ``sqlite:///mlflow.db``,
            ``file:./mlruns``); None uses ``LOSSLAB_MLFLOW_URI``, else MLflow's default.
        experiment: MLflow experiment name (default ``LOSSLAB_MLFLOW_EXPERIMENT`` or ``"losslab"``).
        on_trial: extension point, ``fn(client, run_id, record, run_dir)`` called for each
            newly logged trial before its MLflow run is closed (e.g. to log a model).

    Returns:
        :class:`MlflowExport` (parent run id, trial ids logged and skipped, the exported
        model's MLflow URI when the run has one).

    Raises:
        DataError: ``run_dir`` holds no losslab run.

    Example:
        >>> export_mlflow("runs/demo", "sqlite:///mlflow.db")  # doctest: +SKIP
    """
    from mlflow.tracking import MlflowClient

    run = load_run(run_dir)
    uri = tracking_uri or os.environ.get(ENV_URI) or None
    client = MlflowClient(tracking_uri=uri)
    experiment_id = _experiment_id(
        client, experiment or os.environ.get(ENV_EXPERIMENT) or DEFAULT_EXPERIMENT
    )
    parent = _parent(client, experiment_id, run)
    parent_id = parent.info.run_id
    params = _experiment_params(run)  # MLflow params are write-once: log the missing ones
    _log(client, parent_id, params={k: v for k, v in params.items() if k not in parent.data.params})
    done: dict[str, Any] = {}
    for r in _search(
        client, experiment_id, {**_key_tags(run, "trial"), "mlflow.parentRunId": parent_id}
    ):
        tid = r.data.tags.get("losslab.trial_id")
        if r.info.status == "RUNNING" or tid in done:  # an export cut short, or a duplicate
            client.delete_run(r.info.run_id)
        else:
            done[tid] = r
    result = MlflowExport(str(client.tracking_uri), experiment_id, parent_id)
    for record in run.records:
        tid = str(record["trial_id"])
        if tid in done:
            result.skipped.append(tid)
            continue
        _log_trial(client, experiment_id, run, record, parent_id, on_trial)
        result.logged.append(tid)
    if run.finished:
        _finish_parent(client, client.get_run(parent_id), run)
        result.finished = True
        if (run.path / "model" / "card.json").is_file():  # losslab refit / run --refit
            _log_model(client, parent_id, run, result)
    refit = run.path / "refit"  # tune --refit-seeds: its comparison is a run of its own
    if (refit / "manifest.json").is_file():
        export_mlflow(refit, uri, experiment=experiment, on_trial=on_trial)
    return result
