"""Fixture run directories written through the experiment store API.

The stored files follow docs/run-directory.md and are written with the same functions a
real run uses (``RunStore.append``, ``statistics.leaderboard_rows``,
``api.write_leaderboard``, the advisor's ``Recommendation.to_dict``). Predictions come from
scikit-learn models fitted on bundled data sets (bootstrap resamples per seed), so the
plots show real data without training a Keras model; histories are decaying curves with
the best epoch and early stop placed where the record says.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import numpy as np
import pytest

XSS = "<script>alert(1)</script>"
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"


def _history(
    seed: int, best: int, patience: int, scale: float, rng: np.random.Generator
) -> dict[str, list[float]]:
    n = best + patience
    ep = np.arange(1, n + 1, dtype=float)
    train = scale * (0.4 + 0.6 * np.exp(-ep / 3.0)) * (1 + 0.01 * rng.normal(size=n))
    val = scale * (0.5 + 0.6 * np.exp(-ep / 3.0)) + scale * 0.02 * np.maximum(ep - best, 0) ** 1.5
    val[best - 1] = val.min() - 0.01 * scale  # the best epoch is the minimum by construction
    return {"loss": train.tolist(), "val_loss": val.tolist()}


def _manifest(kind: str, task: dict[str, Any], goal: dict[str, Any], primary: str, candidates: list[dict[str, Any]],
              data: dict[str, Any], recommendation: dict[str, Any] | None) -> dict[str, Any]:  # fmt: skip
    from losslab.experiment import judge
    from losslab.experiment.store import config_hash

    config = {
        "candidates": candidates,
        "seeds": [0, 1, 2],
        "task": task["kind"],
        "goal": goal,
        "primary_metric": primary,
        "split": {
            "test_size": 0.2,
            "val_size": 0.2,
            "stratify": task["kind"] != "regression",
            "group": None,
            "time": None,
        },
        "model": {"kind": "mlp", "hidden": [32, 32], "activation": "relu"},
        "training": {
            "optimizer": "adam",
            "learning_rate": 0.003,
            "batch_size": 32,
            "max_epochs": 100,
        },
    }
    return {
        "format": "losslab-run",
        "format_version": 1,
        "kind": kind,
        "created": "2026-11-29T05:00:00Z",
        "config_hash": config_hash(config),
        "config": config,
        "data": data,
        "task": task,
        "goal": goal,
        "primary_metric": primary,
        "metric_directions": dict(judge.DIRECTIONS),
        "environment": {"losslab": "0.1.0", "backend": "jax", "keras": "3.15.1"},
        "recommendation": recommendation,
    }


def _finish(store: Any, manifest: dict[str, Any]) -> None:
    from losslab.experiment import statistics
    from losslab.experiment.api import write_leaderboard

    rows = statistics.leaderboard_rows(
        store.records(), manifest["config"]["candidates"], manifest["primary_metric"]
    )
    write_leaderboard(store, manifest, rows)


def build_regression_run(path: Path, *, tune: bool = True, finish: bool = True) -> Path:
    """Diabetes data, a feature column renamed to a script tag, three candidates x 3 seeds.

    With ``tune=True`` an Optuna journal and best.json laid out like ``losslab.tune``'s are
    added, so one page holds every section (the run stays a seeds comparison).
    """
    from sklearn.datasets import load_diabetes
    from sklearn.linear_model import HuberRegressor, Ridge
    from sklearn.metrics import mean_absolute_error, mean_squared_error, r2_score
    from sklearn.model_selection import train_test_split

    import losslab
    from losslab.experiment.store import RunStore, atomic_write_json, atomic_write_npz

    df = load_diabetes(as_frame=True).frame.rename(columns={"bmi": XSS})
    rec = losslab.recommend(df, target="target").to_dict()
    x = df.drop(columns="target").to_numpy("float32")
    y = df["target"].to_numpy("float32")
    idx = np.arange(len(df))
    i_rest, i_test = train_test_split(idx, test_size=0.2, random_state=0)
    i_train, i_val = train_test_split(i_rest, test_size=0.25, random_state=0)
    mu, sd = x[i_train].mean(0), x[i_train].std(0)
    xs = (x - mu) / sd
    candidates = [
        {"id": "mean_squared_error", "label": "mean_squared_error", "loss": "mean_squared_error", "params": {}, "class_weight": None},
        {"id": "huber-delta=2", "label": "huber:delta=2", "loss": "huber", "params": {"delta": 2.0}, "class_weight": None},
        {"id": "log_cosh", "label": "log_cosh", "loss": "log_cosh", "params": {}, "class_weight": None},
    ]  # fmt: skip
    task = {
        "kind": "regression",
        "classes": None,
        "reasons": ["the target is real-valued with many distinct values"],
    }
    goal = {"kind": "mean", "quantile": None}
    data = {"fingerprint": "sha256:" + "0" * 64, "source": "diabetes.csv", "target": "target",
            "n_rows": len(df), "n_features": x.shape[1], "columns": list(df.columns)}  # fmt: skip
    manifest = _manifest("run", task, goal, "rmse", candidates, data, rec)
    store = RunStore(path)
    store.open(manifest)
    atomic_write_npz(
        store.data_dir / "split.npz",
        {"x_train": xs[i_train], "y_train": y[i_train], "x_val": xs[i_val], "y_val": y[i_val],
         "x_test": xs[i_test], "y_test": y[i_test], "idx_train": i_train, "idx_val": i_val, "idx_test": i_test},
    )  # fmt: skip
    atomic_write_json(
        store.data_dir / "preprocess.json",
        {"features": list(df.columns[:-1]), "classes": None, "numeric": list(df.columns[:-1]),
         "categorical": [], "preprocessing": "impute(median)+standardize"},
    )  # fmt: skip
    models = {
        "mean_squared_error": lambda: Ridge(alpha=1.0),
        "huber-delta=2": lambda: HuberRegressor(epsilon=1.35, max_iter=500),
        "log_cosh": lambda: Ridge(alpha=30.0),
    }
    for cand in candidates:
        for seed in (0, 1, 2):
            rng = np.random.default_rng(seed)
            boot = rng.choice(i_train, len(i_train), replace=True)
            model = models[cand["id"]]().fit(xs[boot], y[boot])
            pred = model.predict(xs[i_test]).astype("float32")
            rmse = math.sqrt(mean_squared_error(y[i_test], pred))
            best = 6 + seed
            store.append(
                {
                    "trial_id": f"{cand['id']}--seed{seed}", "candidate_id": cand["id"], "label": cand["label"],
                    "loss": cand["loss"], "params": cand["params"], "class_weight": None, "seed": seed,
                    "head": "identity", "status": "ok", "error": None,
                    "metrics": {"rmse": rmse, "mae": mean_absolute_error(y[i_test], pred), "r2": r2_score(y[i_test], pred)},
                    "primary_metric": "rmse", "primary": rmse, "val_metrics": {"rmse": rmse * 1.05},
                    "epochs_run": best + 3, "best_epoch": best, "max_epochs": 100, "stopped_early": True,
                    "history": _history(seed, best, 3, 3000.0, rng),
                    "train_seconds": 0.5, "seconds": 0.6, "finished": "2026-11-29T05:00:10Z",
                },
                {"raw": pred[:, None], "prediction": pred[:, None]},
            )  # fmt: skip
    if tune:
        _write_journal(store.path)
    if finish:
        _finish(store, manifest)
    return store.path


def _write_journal(run_dir: Path) -> None:
    """An Optuna journal laid out like losslab.tune's: one study, the loss a parameter."""
    import json

    import optuna
    from optuna.storages import JournalStorage
    from optuna.storages.journal import JournalFileBackend

    optuna.logging.set_verbosity(optuna.logging.ERROR)
    (run_dir / "tune").mkdir(parents=True, exist_ok=True)
    storage = JournalStorage(JournalFileBackend(str(run_dir / "tune" / "journal.log")))
    study = optuna.create_study(
        study_name="losslab-tune", storage=storage, sampler=optuna.samplers.TPESampler(seed=0)
    )

    def objective(trial: optuna.Trial) -> float:
        loss = trial.suggest_categorical("loss", ["huber:delta=2", "log_cosh"])
        lr = trial.suggest_float("learning_rate", 1e-4, 3e-2, log=True)
        value = 55.0 + 0.1 * (math.log10(lr) + 2.5) ** 2
        if loss == "huber:delta=2":
            delta = trial.suggest_float("huber.delta", 0.1, 10.0, log=True)
            trial.set_user_attr("loss_params", {"delta": delta})
            return value + (math.log(delta) - 0.5) ** 2
        trial.set_user_attr("loss_params", {})
        return value + 0.8

    study.optimize(objective, n_trials=10)
    best: dict[str, Any] = {}
    for tr in study.trials:
        label = tr.params["loss"]
        if label not in best or tr.value < best[label]["value"]:
            best[label] = {
                "value": tr.value,
                "trial": tr.number,
                "learning_rate": tr.params["learning_rate"],
                "batch_size": 32,
                "loss_params": tr.user_attrs["loss_params"],
                "params": tr.params,
            }
    (run_dir / "tune" / "best.json").write_text(
        json.dumps(
            {
                "primary_metric": "rmse",
                "direction": "min",
                "objective": "validation split",
                "best": best,
            }
        )
    )


def build_classification_run(path: Path, kind: str = "binary") -> Path:
    """Breast cancer (binary), wine (multiclass) or a two-label target built from wine."""
    from sklearn.datasets import load_breast_cancer, load_wine
    from sklearn.linear_model import LogisticRegression
    from sklearn.metrics import accuracy_score, log_loss
    from sklearn.model_selection import train_test_split

    from losslab.experiment.store import RunStore, atomic_write_json, atomic_write_npz

    if kind == "binary":
        ds = load_breast_cancer()
        classes: list[Any] = ["malignant", "<i>benign</i>"]
        y = ds.target.astype("int64")
    else:
        ds = load_wine()
        classes = ["class_0", "<i>class_1</i>", "class_2"]
        y = ds.target.astype("int64")
        if kind == "multilabel":
            y = np.column_stack([y == 0, y == 1]).astype("int64")
            classes = ["is_0", "is_1"]
    x = ds.data.astype("float32")
    idx = np.arange(len(x))
    strat = y if y.ndim == 1 else None
    i_rest, i_test = train_test_split(idx, test_size=0.3, random_state=0, stratify=strat)
    i_train, i_val = train_test_split(
        i_rest, test_size=0.25, random_state=0, stratify=None if strat is None else y[i_rest]
    )
    mu, sd = x[i_train].mean(0), x[i_train].std(0)
    xs = (x - mu) / sd
    loss = {
        "binary": "binary_crossentropy",
        "multiclass": "sparse_categorical_crossentropy",
        "multilabel": "binary_crossentropy",
    }[kind]
    candidates = [
        {"id": loss, "label": loss, "loss": loss, "params": {}, "class_weight": None},
        {
            "id": "focal",
            "label": "focal:gamma=2",
            "loss": "focal",
            "params": {"gamma": 2.0},
            "class_weight": None,
        },
        # its only trial hits NaN: listed last, shown as failed
        {"id": "hinge", "label": "hinge", "loss": "hinge", "params": {}, "class_weight": None},
    ]
    task = {"kind": kind, "classes": classes, "reasons": [f"the target is {kind}"]}
    goal = {"kind": "probability", "quantile": None}
    data = {"fingerprint": "sha256:" + "1" * 64, "source": f"{kind}.parquet", "target": "label",
            "n_rows": len(x), "n_features": x.shape[1], "columns": [str(c) for c in range(x.shape[1])]}  # fmt: skip
    manifest = _manifest("compare", task, goal, "log_loss", candidates, data, None)
    store = RunStore(path)
    store.open(manifest)
    atomic_write_npz(
        store.data_dir / "split.npz",
        {"x_train": xs[i_train], "y_train": y[i_train], "x_val": xs[i_val], "y_val": y[i_val],
         "x_test": xs[i_test], "y_test": y[i_test], "idx_train": i_train, "idx_val": i_val, "idx_test": i_test},
    )  # fmt: skip
    atomic_write_json(
        store.data_dir / "preprocess.json", {"features": data["columns"], "classes": classes}
    )
    for cand, c_reg in zip(candidates[:2], (1.0, 0.01), strict=True):
        for seed in (0, 1, 2):
            rng = np.random.default_rng(seed)
            boot = rng.choice(i_train, len(i_train), replace=True)
            if kind == "multilabel":
                prob = np.column_stack(
                    [
                        LogisticRegression(C=c_reg, max_iter=2000)
                        .fit(xs[boot], y[boot, j])
                        .predict_proba(xs[i_test])[:, 1]
                        for j in range(2)
                    ]
                )
                ll = float(
                    np.mean([log_loss(y[i_test, j], prob[:, j], labels=[0, 1]) for j in range(2)])
                )
                acc = float(((prob >= 0.5) == y[i_test]).mean())
            else:
                m = LogisticRegression(C=c_reg, max_iter=2000).fit(xs[boot], y[boot])
                full = m.predict_proba(xs[i_test])
                prob = full[:, 1:2] if kind == "binary" else full
                ll = float(log_loss(y[i_test], full, labels=m.classes_))
                acc = float(accuracy_score(y[i_test], full.argmax(1)))
            status = "ok"
            best = 5 + seed
            store.append(
                {
                    "trial_id": f"{cand['id']}--seed{seed}", "candidate_id": cand["id"], "label": cand["label"],
                    "loss": cand["loss"], "params": cand["params"], "class_weight": None, "seed": seed,
                    "head": "sigmoid", "status": status, "error": None,
                    "metrics": {"log_loss": ll, "accuracy": acc}, "primary_metric": "log_loss", "primary": ll,
                    "val_metrics": {"log_loss": ll}, "epochs_run": best + 3, "best_epoch": best, "max_epochs": 100,
                    "stopped_early": True, "history": _history(seed, best, 3, 0.7, rng),
                    "train_seconds": 0.5, "seconds": 0.6, "finished": "2026-11-29T05:00:10Z",
                },
                {"raw": prob.astype("float32"), "prediction": prob.astype("float32")},
            )  # fmt: skip
    store.append(
        {"trial_id": "hinge--seed0", "candidate_id": "hinge", "label": "hinge", "loss": "hinge", "params": {},
         "class_weight": None, "seed": 0, "head": "identity", "status": "nan",
         "error": "the training loss became NaN at epoch 2", "metrics": None, "primary_metric": "log_loss",
         "primary": None, "epochs_run": 2, "best_epoch": None, "max_epochs": 100, "stopped_early": False,
         "history": {"loss": [0.9, None], "val_loss": [0.95, None]}, "train_seconds": 0.1, "seconds": 0.1,
         "finished": "2026-11-29T05:00:20Z"},
    )  # fmt: skip
    _finish(store, manifest)
    return store.path


@pytest.fixture(scope="session")
def regression_run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_regression_run(tmp_path_factory.mktemp("runs") / "regression")


@pytest.fixture(scope="session")
def binary_run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_classification_run(tmp_path_factory.mktemp("runs") / "binary", "binary")


@pytest.fixture(scope="session")
def multiclass_run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_classification_run(tmp_path_factory.mktemp("runs") / "multiclass", "multiclass")


@pytest.fixture(scope="session")
def multilabel_run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_classification_run(tmp_path_factory.mktemp("runs") / "multilabel", "multilabel")
