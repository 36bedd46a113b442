"""Judge metrics: loss-independent scores on held-out data (scikit-learn implementations).

Training losses are not comparable with each other, so every candidate is scored on the
same judge metrics. The primary metric follows the goal: mean -> RMSE, median -> MAE,
quantile q -> pinball(q), probability -> log loss, labels -> accuracy, ranking -> ROC AUC.
No Keras import.
"""

from __future__ import annotations

import math
import warnings

import numpy as np

from losslab._vocab import TaskKind
from losslab.errors import InvalidParameterError

__all__ = [
    "DIRECTIONS",
    "GOALS",
    "better",
    "expected_calibration_error",
    "judge",
    "normalize_metric",
    "point_prediction",
    "primary_metric",
]

REGRESSION_METRICS = ("rmse", "mae", "median_ae", "r2", "pinball", "poisson_deviance")
CLASSIFICATION_METRICS = ("log_loss", "accuracy", "macro_f1", "roc_auc", "pr_auc", "brier", "ece")
DIRECTIONS: dict[str, str] = {
    "rmse": "min",
    "mae": "min",
    "median_ae": "min",
    "r2": "max",
    "pinball": "min",
    "poisson_deviance": "min",
    "log_loss": "min",
    "accuracy": "max",
    "macro_f1": "max",
    "roc_auc": "max",
    "pr_auc": "max",
    "brier": "min",
    "ece": "min",
}
GOALS = ("mean", "median", "quantile", "probability", "labels", "ranking")  # advisor.GOAL_KINDS
_ALIASES = {
    "root_mean_squared_error": "rmse",
    "mean_absolute_error": "mae",
    "median_absolute_error": "median_ae",
    "r2_score": "r2",
    "pinball_loss": "pinball",
    "mean_pinball_loss": "pinball",
    "quantile_loss": "pinball",
    "mean_poisson_deviance": "poisson_deviance",
    "logloss": "log_loss",
    "cross_entropy": "log_loss",
    "f1_macro": "macro_f1",
    "f1": "macro_f1",
    "auc": "roc_auc",
    "roc_auc_score": "roc_auc",
    "average_precision": "pr_auc",
    "ap": "pr_auc",
    "brier_score": "brier",
    "brier_score_loss": "brier",
    "expected_calibration_error": "ece",
}


def normalize_metric(name: str) -> str:
    """Canonical judge metric name (``"RMSE"``, ``"root_mean_squared_error"`` -> ``"rmse"``)."""
    key = name.strip().lower().replace("-", "_").replace(" ", "_")
    key = _ALIASES.get(key, key)
    if key not in DIRECTIONS:
        raise InvalidParameterError(
            f"Unknown judge metric {name!r}. Valid metrics: {', '.join(DIRECTIONS)}."
        )
    return key


def primary_metric(task: str, goal: str | None) -> str:
    """The primary judge metric for a task and goal, from the advisor's one table
    (:data:`losslab.advisor.JUDGE_METRICS`, :data:`losslab.advisor.DEFAULT_GOALS`)."""
    from losslab.advisor import DEFAULT_GOALS, GOALS_FOR_TASK, JUDGE_METRICS

    if goal is None:
        goal = DEFAULT_GOALS.get(task, "mean")
    if goal not in JUDGE_METRICS:
        raise InvalidParameterError(f"Unknown goal {goal!r}. Expected one of {', '.join(GOALS)}.")
    allowed = GOALS_FOR_TASK.get(task)
    if allowed is not None and goal not in allowed:
        raise InvalidParameterError(
            f"Goal {goal!r} does not fit a {task} task. Received: goal={goal!r}. "
            f"Use one of: {', '.join(allowed)}."
        )
    return JUDGE_METRICS[goal][0]


def better(metric: str, a: float, b: float) -> bool:
    """True when value ``a`` is strictly better than ``b`` for ``metric``."""
    return a < b if DIRECTIONS[metric] == "min" else a > b


def _finite(x: float) -> float | None:
    return float(x) if x is not None and math.isfinite(float(x)) else None


def point_prediction(pred: np.ndarray, *, n_targets: int = 1, quantiles: list[float] | None = None, q: float = 0.5) -> np.ndarray:
    """One point prediction per sample and target from a regression-type prediction.

    Quantile outputs ``(N, Q*D)`` give the column whose level is closest to ``q``.
    """
    p = np.asarray(pred, dtype=np.float64)
    if p.ndim == 1:
        return p[:, None]
    if quantiles and p.shape[1] == len(quantiles) * n_targets and len(quantiles) > 1:
        j = int(np.argmin([abs(t - q) for t in quantiles]))
        return p[:, j * n_targets : (j + 1) * n_targets] if n_targets > 1 else p[:, [j]]
    return p[:, :n_targets]


def expected_calibration_error(y: np.ndarray, proba: np.ndarray, n_bins: int = 10) -> float:
    """Top-label ECE with equal-width confidence bins: sum_b (n_b/n) |acc_b - conf_b|.

    Args:
        y: integer class codes, shape (N,).
        proba: class probabilities, shape (N, K).
        n_bins: number of equal-width bins on [0, 1].

    Returns:
        ECE in [0, 1], 0 for a perfectly calibrated model.

    Example:
        >>> import numpy as np
        >>> float(expected_calibration_error(np.array([1, 0]), np.array([[0, 1.0], [1.0, 0]])))
        0.0
    """
    conf = proba.max(axis=1)
    pred = proba.argmax(axis=1)
    correct = (pred == y).astype(float)
    edges = np.linspace(0.0, 1.0, n_bins + 1)
    idx = np.clip(np.digitize(conf, edges[1:-1], right=True), 0, n_bins - 1)
    ece = 0.0
    for b in range(n_bins):
        m = idx == b
        if m.any():
            ece += m.mean() * abs(correct[m].mean() - conf[m].mean())
    return float(ece)


def _class_proba(pred: np.ndarray, k: int) -> np.ndarray:
    p = np.asarray(pred, dtype=np.float64)
    if k == 2 and (p.ndim == 1 or p.shape[1] == 1):
        p1 = np.clip(p.reshape(-1), 0.0, 1.0)
        return np.column_stack([1 - p1, p1])
    p = np.clip(p.reshape(len(p), -1), 0.0, None)
    s = p.sum(axis=1, keepdims=True)
    s[s == 0] = 1.0
    return p / s


def judge(
    task: TaskKind | str,
    y_true: np.ndarray,
    prediction: np.ndarray,
    *,
    n_classes: int | None = None,
    quantile: float | None = None,
    quantiles: list[float] | None = None,
) -> dict[str, float | None]:
    """Every judge metric that applies, on held-out targets.

    Args:
        task: the task kind.
        y_true: prepared targets: real values (N,) / (N, D), class codes (N,), or a 0/1
            matrix (N, K) for multilabel.
        prediction: the loss's prediction (see the Predictions contract).
        n_classes: K for classification.
        quantile: the goal's quantile level for ``pinball`` (0.5 when None).
        quantiles: the output quantile levels when the prediction holds several quantiles.

    Returns:
        ``{metric: value}``; a metric that is undefined here (e.g. ROC AUC with one class in
        the test split, a non-finite prediction) is ``None``.

    Example:
        >>> import numpy as np
        >>> judge("regression", np.array([1.0, 2.0]), np.array([1.0, 3.0]))["mae"]
        0.5
    """
    from sklearn import metrics as skm

    out: dict[str, float | None] = {}
    q = 0.5 if quantile is None else float(quantile)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        kind = TaskKind.parse(task)
        if kind.is_regression:
            yt = np.asarray(y_true, dtype=np.float64).reshape(len(y_true), -1)
            d = yt.shape[1]
            p = np.asarray(prediction, dtype=np.float64)
            if not np.isfinite(p).all():
                return dict.fromkeys(REGRESSION_METRICS)
            point = point_prediction(p, n_targets=d, quantiles=quantiles, q=0.5)
            at_q = point_prediction(p, n_targets=d, quantiles=quantiles, q=q)
            out["rmse"] = _finite(math.sqrt(skm.mean_squared_error(yt, point)))
            out["mae"] = _finite(skm.mean_absolute_error(yt, point))
            out["median_ae"] = _finite(skm.median_absolute_error(yt, point))
            out["r2"] = _finite(skm.r2_score(yt, point))
            out["pinball"] = _finite(skm.mean_pinball_loss(yt, at_q, alpha=q))
            if (yt >= 0).all() and (point > 0).all():
                out["poisson_deviance"] = _finite(skm.mean_poisson_deviance(yt.ravel(), point.ravel()))
            else:
                out["poisson_deviance"] = None
            return out
        if kind is TaskKind.MULTILABEL:
            ym: np.ndarray = np.asarray(y_true, dtype=np.int64).reshape(len(y_true), -1)
            yt = ym
            p = np.clip(np.asarray(prediction, dtype=np.float64).reshape(yt.shape), 0.0, 1.0)
            if not np.isfinite(p).all():
                return dict.fromkeys(CLASSIFICATION_METRICS)
            eps = 1e-15
            pc = np.clip(p, eps, 1 - eps)
            out["log_loss"] = _finite(float(-np.mean(yt * np.log(pc) + (1 - yt) * np.log(1 - pc))))
            labels = (p >= 0.5).astype(int)
            out["accuracy"] = _finite(float((labels == yt).mean()))
            out["macro_f1"] = _finite(skm.f1_score(yt, labels, average="macro", zero_division=0))
            both = [j for j in range(yt.shape[1]) if 0 < yt[:, j].sum() < len(yt)]
            out["roc_auc"] = _finite(skm.roc_auc_score(yt[:, both], p[:, both], average="macro")) if both else None
            out["pr_auc"] = (
                _finite(skm.average_precision_score(yt[:, both], p[:, both], average="macro")) if both else None
            )
            out["brier"] = _finite(float(np.mean((p - yt) ** 2)))
            out["ece"] = _finite(
                float(
                    np.mean(
                        [
                            expected_calibration_error(yt[:, j], np.column_stack([1 - p[:, j], p[:, j]]))
                            for j in range(yt.shape[1])
                        ]
                    )
                )
            )
            return out
        # binary, multiclass, ordinal
        yt = np.asarray(y_true, dtype=np.int64).reshape(-1)  # type: ignore[assignment]
        k = n_classes or int(max(yt.max() + 1, 2))
        raw = np.asarray(prediction, dtype=np.float64)
        if not np.isfinite(raw).all():
            return dict.fromkeys(CLASSIFICATION_METRICS)
        proba = _class_proba(raw, k)
        labels = proba.argmax(axis=1)
        out["log_loss"] = _finite(skm.log_loss(yt, np.clip(proba, 1e-15, 1.0), labels=list(range(k))))
        out["accuracy"] = _finite(skm.accuracy_score(yt, labels))
        out["macro_f1"] = _finite(skm.f1_score(yt, labels, average="macro", labels=list(range(k)), zero_division=0))
        present = np.unique(yt)
        if k == 2:
            ok = len(present) == 2
            out["roc_auc"] = _finite(skm.roc_auc_score(yt, proba[:, 1])) if ok else None
            out["pr_auc"] = _finite(skm.average_precision_score(yt, proba[:, 1])) if ok else None
            out["brier"] = _finite(skm.brier_score_loss(yt, proba[:, 1]))
        else:
            onehot = np.eye(k)[yt]
            cols = [j for j in range(k) if 0 < onehot[:, j].sum() < len(yt)]
            out["roc_auc"] = (
                _finite(skm.roc_auc_score(onehot[:, cols], proba[:, cols], average="macro")) if len(cols) >= 2 else None
            )
            out["pr_auc"] = (
                _finite(skm.average_precision_score(onehot[:, cols], proba[:, cols], average="macro"))
                if len(cols) >= 2
                else None
            )
            out["brier"] = _finite(float(np.mean(np.sum((proba - onehot) ** 2, axis=1))))
        out["ece"] = _finite(expected_calibration_error(yt, proba))
        if kind is TaskKind.ORDINAL:
            # ordered classes: errors of the expected class index (mean goal) and of the
            # median class (median goal)
            expected = proba @ np.arange(k)
            median = (np.cumsum(proba, axis=1) >= 0.5).argmax(axis=1)
            out["rmse"] = _finite(math.sqrt(skm.mean_squared_error(yt, expected)))
            out["mae"] = _finite(skm.mean_absolute_error(yt, median))
        return out
