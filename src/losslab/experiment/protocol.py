"""The experiment protocol: task inference, one split fixed by seed, preprocessing fit on the
training rows only.

NumPy, pandas and scikit-learn only (no Keras): the prepared split is written to the run
directory and every trial reads it from there.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from losslab.errors import DataError

__all__ = [
    "TASK_KINDS",
    "CLASSIFICATION_TASKS",
    "PreparedData",
    "SplitConfig",
    "fingerprint",
    "infer_task",
    "prepare",
    "read_table",
]

TASK_KINDS = ("regression", "count", "positive", "proportion", "binary", "multiclass", "multilabel", "ordinal")
CLASSIFICATION_TASKS = ("binary", "multiclass", "multilabel", "ordinal")
MIN_ROWS = 30
MIN_PER_SPLIT = 5


@dataclass(frozen=True)
class SplitConfig:
    """How rows are split into train / validation / test.

    Attributes:
        test_size: fraction of rows in the test split.
        val_size: fraction of rows in the validation split.
        stratify: stratify by class (classification tasks); ``None`` means "when the task
            is binary, multiclass or ordinal".
        group: column whose values never straddle two splits (table input only).
        time: column ordering the rows in time: train is the oldest rows, test the newest.
        seed: the split seed (the same for every candidate and every training seed).
    """

    test_size: float = 0.2
    val_size: float = 0.2
    stratify: bool | None = None
    group: str | None = None
    time: str | None = None
    seed: int = 0

    def to_dict(self) -> dict[str, Any]:
        return {
            "test_size": self.test_size,
            "val_size": self.val_size,
            "stratify": self.stratify,
            "group": self.group,
            "time": self.time,
            "seed": self.seed,
        }


@dataclass
class PreparedData:
    """The split after preprocessing (features float32, targets encoded for the task)."""

    x_train: np.ndarray
    y_train: np.ndarray
    x_val: np.ndarray
    y_val: np.ndarray
    x_test: np.ndarray
    y_test: np.ndarray
    idx_train: np.ndarray
    idx_val: np.ndarray
    idx_test: np.ndarray
    task: str
    classes: list[Any] | None = None
    features: list[str] = field(default_factory=list)
    numeric: list[str] = field(default_factory=list)
    categorical: list[str] = field(default_factory=list)

    ARRAYS = ("x_train", "y_train", "x_val", "y_val", "x_test", "y_test", "idx_train", "idx_val", "idx_test")

    @property
    def input_shape(self) -> tuple[int, ...]:
        return tuple(int(d) for d in self.x_train.shape[1:])

    @property
    def n_classes(self) -> int | None:
        return None if self.classes is None else len(self.classes)

    @property
    def target_dim(self) -> int:
        """Number of target columns (regression / multilabel); 1 for a single target."""
        return 1 if self.y_train.ndim == 1 else int(self.y_train.shape[1])

    def save(self, directory: Path) -> None:
        """Write ``split.npz`` and ``preprocess.json`` into ``directory`` (atomically)."""
        from losslab.experiment.store import atomic_write_json, atomic_write_npz

        atomic_write_npz(directory / "split.npz", {k: getattr(self, k) for k in self.ARRAYS})
        atomic_write_json(
            directory / "preprocess.json",
            {
                "task": self.task,
                "classes": self.classes,
                "features": self.features,
                "numeric": self.numeric,
                "categorical": self.categorical,
                "preprocessing": "numeric: impute(median) + standardize; "
                "categorical: impute(most_frequent) + one-hot; fit on the training rows only",
            },
        )

    @classmethod
    def load(cls, directory: Path) -> PreparedData:
        import json

        with np.load(directory / "split.npz", allow_pickle=False) as z:
            arrays = {k: z[k] for k in cls.ARRAYS}
        meta = json.loads((directory / "preprocess.json").read_text())
        return cls(
            **arrays,
            task=meta["task"],
            classes=meta["classes"],
            features=meta["features"],
            numeric=meta["numeric"],
            categorical=meta["categorical"],
        )


# ---------------------------------------------------------------------------- reading
def read_table(data: Any) -> Any:
    """Read a CSV/Parquet path, a pandas DataFrame or a pyarrow Table into a DataFrame.

    Uses :func:`losslab.data.read_table` when that module provides it.
    """
    shared: Any = None
    try:
        from losslab.data import read_table as shared
    except ImportError:
        shared = None
    if shared is not None:
        return shared(data)
    import pandas as pd

    if isinstance(data, pd.DataFrame):
        return data
    if type(data).__module__.startswith("pyarrow"):
        return data.to_pandas()
    path = Path(data)
    if not path.exists():
        raise DataError(f"Data file not found. Received: {str(path)!r}. Pass an existing CSV or Parquet file.")
    suffix = path.suffix.lower()
    try:
        if suffix in (".parquet", ".pq"):
            return pd.read_parquet(path)
        return pd.read_csv(path)
    except Exception as e:  # pandas raises many types
        raise DataError(
            f"Could not read {str(path)!r} as {'Parquet' if suffix in ('.parquet', '.pq') else 'CSV'}: "
            f"{' '.join(str(e).split())}. Pass a valid CSV or Parquet file."
        ) from None


def fingerprint(x: Any, y: Any, columns: Sequence[str] = ()) -> str:
    """SHA-256 of feature and target values (row order included) and column names."""
    import pandas as pd

    h = hashlib.sha256()
    h.update(repr(list(columns)).encode())
    for part in (x, y):
        if isinstance(part, pd.DataFrame | pd.Series):
            h.update(pd.util.hash_pandas_object(part, index=False).to_numpy().tobytes())
        else:
            arr = np.ascontiguousarray(np.asarray(part))
            h.update(str(arr.dtype).encode() + str(arr.shape).encode())
            if arr.dtype == object:
                h.update(repr(arr.tolist()).encode())
            else:
                h.update(arr.tobytes())
    return "sha256:" + h.hexdigest()


# ---------------------------------------------------------------------------- task
def infer_task(y: Any) -> tuple[str, list[str]]:
    """A simple task guess from the target values: ``(kind, reasons)``.

    ``losslab run`` uses the advisor's richer inference; this one serves ``compare`` when no
    task is given.
    """
    arr = np.asarray(y)
    if arr.ndim == 2 and arr.shape[1] > 1:
        if np.isin(arr, (0, 1)).all():
            return "multilabel", [f"the target has {arr.shape[1]} columns of 0/1 values"]
        return "regression", [f"the target has {arr.shape[1]} real-valued columns"]
    arr = arr.reshape(-1)
    if arr.dtype.kind in "OUSb":
        n = len(np.unique(arr.astype(str)))
        kind = "binary" if n == 2 else "multiclass"
        return kind, [f"the target is categorical with {n} distinct values"]
    finite = arr[np.isfinite(arr.astype(float))].astype(float)
    uniq = np.unique(finite)
    integer = bool(np.all(np.equal(np.mod(finite, 1), 0)))
    if len(uniq) == 2 and set(uniq.tolist()) <= {0.0, 1.0}:
        return "binary", ["the target takes only the values 0 and 1"]
    if integer and len(uniq) <= 10 and uniq.min() >= 0:
        return "multiclass", [f"the target has {len(uniq)} distinct integer values"]
    if integer and uniq.min() >= 0:
        return "count", ["the target holds non-negative integers with many distinct values"]
    return "regression", ["the target holds real values"]


def _encode_target(y: np.ndarray, task: str, classes: list[Any] | None) -> tuple[np.ndarray, list[Any] | None]:
    if task in ("binary", "multiclass", "ordinal"):
        flat = y.reshape(-1)
        if classes is None:
            classes = sorted(np.unique(flat).tolist(), key=lambda v: (str(type(v)), v))
        lookup = {c: i for i, c in enumerate(classes)}
        try:
            codes = np.array([lookup[v] for v in flat.tolist()], dtype=np.int32)
        except KeyError as e:
            raise DataError(f"Target value {e.args[0]!r} is not one of the classes {classes}.") from None
        return codes, [c.item() if hasattr(c, "item") else c for c in classes]
    if task == "multilabel":
        arr = y.astype(np.float32)
        if arr.ndim == 1:
            arr = arr[:, None]
        return arr, [str(i) for i in range(arr.shape[1])]
    arr = y.astype(np.float64)
    return arr.astype(np.float32), None


def _check_target(y: np.ndarray, task: str) -> None:
    flat = y.reshape(len(y), -1)
    if task not in CLASSIFICATION_TASKS:
        yf = flat.astype(float)
        bad = int((~np.isfinite(yf)).any(axis=1).sum())
        if bad:
            raise DataError(
                f"The target has {bad} missing or infinite values. Received {len(y)} rows. "
                "Drop those rows or impute the target before the experiment."
            )
    if task in ("binary", "multiclass", "ordinal"):
        n = len(np.unique(flat.reshape(-1).astype(str)))
        if n < 2:
            raise DataError(
                f"The target has a single class ({flat.reshape(-1)[0]!r}). Received {len(y)} rows with "
                "one distinct value. A classifier needs at least two classes: check the target column."
            )
        if task == "binary" and n != 2:
            raise DataError(
                f"A binary task needs exactly two classes. Received {n} distinct target values. "
                "Use task='multiclass' or check the target column."
            )


def _split_indices(
    n: int,
    cfg: SplitConfig,
    strat: np.ndarray | None,
    groups: np.ndarray | None,
    order: np.ndarray | None,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    from sklearn.model_selection import GroupShuffleSplit, train_test_split

    idx = np.arange(n)
    n_test = int(round(n * cfg.test_size))
    n_val = int(round(n * cfg.val_size))
    if min(n_test, n_val, n - n_test - n_val) < MIN_PER_SPLIT:
        raise DataError(
            f"Too few rows to split: {n} rows give {n - n_test - n_val} train / {n_val} validation / "
            f"{n_test} test rows (at least {MIN_PER_SPLIT} each needed). Use at least {MIN_ROWS} rows "
            "or change test_size / val_size."
        )
    if order is not None:
        ordered = idx[np.argsort(order, kind="stable")]
        return ordered[: n - n_test - n_val], ordered[n - n_test - n_val : n - n_test], ordered[n - n_test :]
    if groups is not None:
        outer = GroupShuffleSplit(n_splits=1, test_size=cfg.test_size, random_state=cfg.seed)
        rest, test = next(outer.split(idx, groups=groups))
        inner = GroupShuffleSplit(
            n_splits=1, test_size=cfg.val_size / (1 - cfg.test_size), random_state=cfg.seed + 1
        )
        tr, va = next(inner.split(rest, groups=groups[rest]))
        return np.sort(rest[tr]), np.sort(rest[va]), np.sort(test)
    try:
        rest, test = train_test_split(idx, test_size=n_test, random_state=cfg.seed, stratify=strat)
        train, val = train_test_split(
            rest, test_size=n_val, random_state=cfg.seed + 1, stratify=None if strat is None else strat[rest]
        )
    except ValueError as e:
        raise DataError(
            f"Cannot split the rows with stratification: {' '.join(str(e).split())}. "
            "Every class needs at least 2 rows in each split: add rows, merge rare classes or "
            "pass stratify=False."
        ) from None
    return np.sort(train), np.sort(val), np.sort(test)


def prepare(
    x: Any,
    y: Any,
    *,
    task: str,
    split: SplitConfig,
    classes: list[Any] | None = None,
    groups: Any = None,
    order: Any = None,
) -> PreparedData:
    """Split rows once (fixed by ``split.seed``) and preprocess features fit on train only.

    Args:
        x: a pandas DataFrame (numeric columns imputed and standardised, other columns
            imputed and one-hot encoded), a 2-D numeric array (imputed and standardised) or
            an array of higher rank (images, sequences: passed through as float32).
        y: target values, shape (N,) or (N, D).
        task: one of :data:`TASK_KINDS`.
        split: the split configuration.
        classes: class order for classification (default: sorted unique values).
        groups: group labels per row (optional).
        order: time stamps per row (optional): the split becomes time-ordered.

    Returns:
        The :class:`PreparedData`.

    Raises:
        DataError: too few rows, one class, missing targets, mismatched lengths.

    Example:
        >>> import numpy as np
        >>> d = prepare(np.random.rand(100, 3), np.random.rand(100), task="regression",
        ...             split=SplitConfig(seed=0))
        >>> d.x_train.shape
        (60, 3)
    """
    import pandas as pd

    if task not in TASK_KINDS:
        raise DataError(f"Unknown task {task!r}. Expected one of {', '.join(TASK_KINDS)}.")
    y_arr = y.to_numpy() if isinstance(y, pd.Series | pd.DataFrame) else np.asarray(y)
    n = len(y_arr)
    if len(x) != n:
        raise DataError(f"x and y have different lengths. Received len(x)={len(x)}, len(y)={n}. Pass one target per row.")
    if n < MIN_ROWS:
        raise DataError(
            f"Too few rows for a train/validation/test split. Received {n} rows; at least {MIN_ROWS} are "
            "needed. Add data or use the NumPy references (losslab evaluate) instead of an experiment."
        )
    _check_target(y_arr, task)
    y_enc, classes = _encode_target(y_arr, task, classes)
    strat = split.stratify if split.stratify is not None else task in ("binary", "multiclass", "ordinal")
    train, val, test = _split_indices(
        n,
        split,
        y_enc if strat and y_enc.ndim == 1 else None,
        None if groups is None else np.asarray(groups),
        None if order is None else np.asarray(order),
    )
    if task in ("binary", "multiclass", "ordinal") and len(np.unique(y_enc[train])) < 2:
        raise DataError("The training split holds a single class. Add rows of the rare class or change the split.")

    numeric: list[str] = []
    categorical: list[str] = []
    if isinstance(x, pd.DataFrame):
        from sklearn.compose import ColumnTransformer
        from sklearn.impute import SimpleImputer
        from sklearn.pipeline import make_pipeline
        from sklearn.preprocessing import OneHotEncoder, StandardScaler

        numeric = [str(c) for c in x.columns if pd.api.types.is_numeric_dtype(x[c]) and not pd.api.types.is_bool_dtype(x[c])]
        categorical = [str(c) for c in x.columns if str(c) not in numeric]
        x = x.copy()
        x.columns = [str(c) for c in x.columns]
        for c in categorical:
            x[c] = x[c].map(lambda v: np.nan if pd.isna(v) else str(v)).astype(object)
        steps = []
        if numeric:
            steps.append(("num", make_pipeline(SimpleImputer(strategy="median"), StandardScaler()), numeric))
        if categorical:
            steps.append(
                (
                    "cat",
                    make_pipeline(
                        SimpleImputer(strategy="most_frequent"),
                        OneHotEncoder(handle_unknown="ignore", sparse_output=False),
                    ),
                    categorical,
                )
            )
        if not steps:
            raise DataError("No feature columns left besides the target. Pass a table with at least one feature column.")
        ct = ColumnTransformer(steps, verbose_feature_names_out=False)
        ct.fit(x.iloc[train])
        xt = np.asarray(ct.transform(x), dtype=np.float32)
        features = [str(f) for f in ct.get_feature_names_out()]
    else:
        xa = np.asarray(x)
        if xa.ndim == 1:
            xa = xa[:, None]
        if xa.ndim == 2:
            from sklearn.impute import SimpleImputer
            from sklearn.pipeline import make_pipeline
            from sklearn.preprocessing import StandardScaler

            pipe = make_pipeline(SimpleImputer(strategy="median", keep_empty_features=True), StandardScaler())
            pipe.fit(xa[train].astype(np.float64))
            xt = np.asarray(pipe.transform(xa.astype(np.float64)), dtype=np.float32)
            features = [f"x{i}" for i in range(xa.shape[1])]
            numeric = list(features)
        else:
            xt = xa.astype(np.float32)
            features = []
    return PreparedData(
        x_train=xt[train],
        y_train=y_enc[train],
        x_val=xt[val],
        y_val=y_enc[val],
        x_test=xt[test],
        y_test=y_enc[test],
        idx_train=train,
        idx_val=val,
        idx_test=test,
        task=task,
        classes=classes,
        features=features,
        numeric=numeric,
        categorical=categorical,
    )
