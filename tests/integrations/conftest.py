"""Run directories written by hand through the store (no training): what each exporter must
log is known exactly, so it is the oracle the exports are read back against."""

from __future__ import annotations

import copy
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from losslab.experiment.store import RunStore, atomic_write_json, config_hash

CONFIG: dict[str, Any] = {
    "candidates": [
        {
            "id": "mse",
            "label": "mse",
            "loss": "mean_squared_error",
            "params": {},
            "class_weight": None,
        },
        {
            "id": "huber-delta=2",
            "label": "huber:delta=2",
            "loss": "huber",
            "params": {"delta": 2.0},
            "class_weight": None,
        },
    ],
    "seeds": [0, 1],
    "task": "regression",
    "classes": None,
    "goal": {"kind": "mean", "quantile": None},
    "primary_metric": "rmse",
    "split": {
        "test_size": 0.2,
        "val_size": 0.2,
        "stratify": None,
        "group": None,
        "time": None,
        "seed": 0,
    },
    "model": {"kind": "mlp", "hidden": [8], "activation": "relu", "dropout": 0.0},
    "training": {
        "optimizer": "adam",
        "learning_rate": 0.003,
        "batch_size": 32,
        "max_epochs": 5,
        "early_stopping": {"monitor": "val_loss", "patience": 3},
        "terminate_on_nan": True,
        "scale_target": True,
    },
}


def manifest(
    config: dict[str, Any] | None = None,
    kind: str = "compare",
    fingerprint: str = "sha256:" + "ab" * 32,
) -> dict[str, Any]:
    config = copy.deepcopy(config or CONFIG)
    return {
        "format": "losslab-run",
        "format_version": 1,
        "kind": kind,
        "created": "2026-11-29T05:00:00Z",
        "config_hash": config_hash(config),
        "config": config,
        "data": {
            "fingerprint": fingerprint,
            "source": "table.csv",
            "target": "y",
            "n_rows": 100,
            "n_features": 3,
            "columns": ["a", "b", "c"],
        },
        "task": {
            "kind": "regression",
            "classes": None,
            "reasons": ["the target holds real values", "given by the user"],
        },
        "goal": {"kind": "mean", "quantile": None},
        "primary_metric": "rmse",
        "metric_directions": {"rmse": "min", "mae": "min", "r2": "max"},
        "environment": {"losslab": "0.1.0"},
        "recommendation": None,
    }


def record(
    candidate: dict[str, Any],
    seed: int,
    *,
    loss: list[Any],
    val_loss: list[Any],
    rmse: float | None,
    status: str = "ok",
    events: list[dict[str, Any]] | None = None,
    trial_id: str | None = None,
) -> dict[str, Any]:
    ok = status == "ok"
    return {
        "trial_id": trial_id or f"{candidate['id']}--seed{seed}",
        "candidate_id": candidate["id"],
        "label": candidate["label"],
        "loss": candidate["loss"],
        "params": dict(candidate["params"]),
        "class_weight": None,
        "seed": seed,
        "head": "identity",
        "status": status,
        "error": None if ok else "The training loss became NaN at epoch 2.",
        "metrics": {
            "rmse": rmse,
            "mae": None if rmse is None else rmse * 0.8,
            "r2": None if rmse is None else 1 - rmse / 10,
        }
        if ok
        else {},
        "primary_metric": "rmse",
        "primary": rmse,
        "val_metrics": {"rmse": None if rmse is None else rmse + 0.1},
        "epochs_run": len(loss),
        "best_epoch": len(loss) - 1 if ok else None,
        "max_epochs": 5,
        "stopped_early": ok and len(loss) < 5,
        "history": {"loss": loss, "val_loss": val_loss},
        "train_seconds": 1.5,
        "seconds": 2.0,
        "finished": f"2026-11-29T05:0{seed}:1{len(loss)}Z",
        "events": events or [],
    }


EVENT = {
    "source": "divergence_guard",
    "kind": "explosion",
    "epoch": 2,
    "batch": None,
    "message": "The training loss exploded at epoch 2: 1.2e+02, more than 10x the initial loss.",
    "causes": ["learning rate too high"],
    "details": {"loss": 120.0},
}


def records() -> list[dict[str, Any]]:
    mse, huber = CONFIG["candidates"]
    return [
        record(mse, 0, loss=[1.0, 0.6, 0.4, 0.35], val_loss=[1.1, 0.7, 0.5, 0.52], rmse=0.61),
        record(
            huber, 0, loss=[0.5, 0.3, 0.2], val_loss=[0.55, 0.35, 0.3], rmse=0.58, events=[EVENT]
        ),
        record(
            mse,
            1,
            loss=[1.2, 0.7, 0.45, 0.4, 0.38],
            val_loss=[1.3, 0.8, 0.55, 0.5, 0.49],
            rmse=0.63,
        ),
        record(huber, 1, loss=[0.6, None], val_loss=[0.7, None], rmse=None, status="nan"),
    ]


LEADERBOARD_ROWS = [
    {
        "rank": 1,
        "candidate_id": "huber-delta=2",
        "label": "huber:delta=2",
        "loss": "huber",
        "params": {"delta": 2.0},
        "class_weight": None,
        "n_seeds": 1,
        "n_failed": 1,
        "mean": 0.58,
        "std": 0.0,
        "ci_low": 0.58,
        "ci_high": 0.58,
        "diff_to_best": 0.0,
        "diff_ci_low": None,
        "diff_ci_high": None,
        "p_value": None,
        "is_best": True,
        "indistinguishable_from_best": True,
        "metrics": {"mae": 0.464},
        "epochs_run": 2.5,
    },
    {
        "rank": 2,
        "candidate_id": "mse",
        "label": "mse",
        "loss": "mean_squared_error",
        "params": {},
        "class_weight": None,
        "n_seeds": 2,
        "n_failed": 0,
        "mean": 0.62,
        "std": 0.014,
        "ci_low": 0.49,
        "ci_high": 0.75,
        "diff_to_best": 0.04,
        "diff_ci_low": None,
        "diff_ci_high": None,
        "p_value": None,
        "is_best": False,
        "indistinguishable_from_best": True,
        "metrics": {"mae": 0.496},
        "epochs_run": 4.5,
    },
]


def write_run(
    path: Path, recs: list[dict[str, Any]] | None = None, *, finished: bool = True, **kw: Any
) -> RunStore:
    """A compare run directory with ``recs`` stored (all four by default), its leaderboard and
    a report.html when ``finished``."""
    store = RunStore(path)
    store.open(manifest(**kw))
    for r in records() if recs is None else recs:
        store.append(r)
    if finished:
        atomic_write_json(
            path / "leaderboard.json",
            {"primary_metric": "rmse", "direction": "min", "rows": LEADERBOARD_ROWS},
        )
        (path / "leaderboard.csv").write_text("rank,candidate\n1,huber:delta=2\n2,mse\n")
        (path / "report.html").write_text(
            "<html><body>losslab report of the hand-written run</body></html>"
        )
    return store


@pytest.fixture
def run_dir(tmp_path: Path) -> Path:
    path = tmp_path / "run"
    write_run(path)
    return path


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="session")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A real ``mlflow server`` (sqlite backend, proxied artifacts) on a free loopback port,
    shared by the tests of the session, stopped at the end."""
    pytest.importorskip("mlflow")
    root = tmp_path_factory.mktemp("mlflow-server")
    port = _free_port()
    log = open(root / "server.log", "wb")  # noqa: SIM115 (closed below)
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "mlflow",
            "server",
            "--backend-store-uri",
            f"sqlite:///{root / 'db.sqlite'}",
            "--artifacts-destination",
            str(root / "artifacts"),
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--workers",
            "1",
        ],
        stdout=log,
        stderr=subprocess.STDOUT,
        cwd=root,
        start_new_session=True,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 120
        while True:
            try:
                with urllib.request.urlopen(f"{url}/health", timeout=2) as r:
                    if r.status == 200:
                        break
            except OSError:
                pass
            if proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(
                    f"mlflow server did not start:\n{(root / 'server.log').read_text()[-3000:]}"
                )
            time.sleep(0.5)
        yield url
    finally:
        os.killpg(proc.pid, signal.SIGTERM)  # the server and the workers it started
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
        log.close()
