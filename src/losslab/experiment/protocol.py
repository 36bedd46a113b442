"""The experiment protocol: one split fixed by seed, preprocessing fit on the training rows
only, targets encoded for the task.

NumPy, pandas and scikit-learn only (no Keras): the prepared split is written to the run
directory and every trial reads it from there.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from losslab._vocab import TaskKind
from losslab.errors import DataError
from losslab.experiment.config import SplitConfig

__all__ = ["PreparedData", "SplitConfig", "encode_target", "fingerprint", "prepare"]

MIN_ROWS = 30
MIN_PER_SPLIT = 5


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
    dates: list[str] = field(default_factory=list)

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

    def arrays(self) -> dict[str, np.ndarray]:
        """The arrays stored in ``data/split.npz``."""
        return {k: getattr(self, k) for k in self.ARRAYS}

    def meta(self) -> dict[str, Any]:
        """What ``data/preprocess.json`` stores."""
        meta = {
            "task": str(self.task),
            "classes": self.classes,
            "features": self.features,
            "numeric": self.numeric,
            "categorical": self.categorical,
            "preprocessing": "numeric: impute(median) + standardize; "
            "categorical: impute(most_frequent) + one-hot; fit on the training rows only",
        }
        if self.dates:  # ISO date text read as days since 1970-01-01, then numeric
            meta["dates"] = list(self.dates)
            meta["preprocessing"] = "dates: days since 1970-01-01; " + str(meta["preprocessing"])
        return meta

    @classmethod
    def from_stored(cls, arrays: Mapping[str, np.ndarray], meta: Mapping[str, Any]) -> PreparedData:
        """Rebuild from :meth:`arrays` and :meth:`meta` (read by ``RunStore.load_prepared``)."""
        return cls(
            **{k: arrays[k] for k in cls.ARRAYS},
            task=meta["task"],
            classes=meta["classes"],
            features=meta["features"],
            numeric=meta["numeric"],
            categorical=meta["categorical"],
            dates=list(meta.get("dates") or []),
        )


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


def encode_target(y: np.ndarray, task: TaskKind | str, classes: list[Any] | None) -> tuple[np.ndarray, list[Any] | None]:
    """Targets as the trials read them, with the class order: class codes 0..K-1 (binary,
    multiclass, ordinal; classes sorted unless given), a 0/1 float matrix (multilabel), or
    float32 values.

    Example:
        >>> encode_target(np.array(["b", "a", "b"]), "binary", None)
        (array([1, 0, 1], dtype=int32), ['a', 'b'])
    """
    task = TaskKind.parse(task)
    if task.has_class_labels:
        flat = y.reshape(-1)
        if classes is None:
            classes = sorted(np.unique(flat).tolist(), key=lambda v: (str(type(v)), v))
        lookup = {c: i for i, c in enumerate(classes)}
        try:
            codes = np.array([lookup[v] for v in flat.tolist()], dtype=np.int32)
        except KeyError as e:
            raise DataError(f"Target value {e.args[0]!r} is not one of the classes {classes}.") from None
        return codes, [c.item() if hasattr(c, "item") else c for c in classes]
    if task is TaskKind.MULTILABEL:
        arr = y.astype(np.float32)
        if arr.ndim == 1:
            arr = arr[:, None]
        return arr, [str(i) for i in range(arr.shape[1])]
    arr = y.astype(np.float64)
    return arr.astype(np.float32), None


def _is_number(v: Any) -> bool:
    try:
        float(v)
    except (TypeError, ValueError):
        return False
    return True


def _plain(v: Any) -> str:
    """A value as a user wrote it (``5``, ``'a'``), not numpy's repr (``np.float64(5.0)``)."""
    v = v.item() if hasattr(v, "item") else v
    if isinstance(v, float) and v.is_integer():
        v = int(v)
    return repr(v)


def _check_target(y: np.ndarray, task: TaskKind) -> None:
    flat = y.reshape(len(y), -1)
    if not task.is_classification:
        try:
            yf = flat.astype(float)
        except (TypeError, ValueError):
            text = next(v for v in flat.reshape(-1) if not _is_number(v))
            raise DataError(
                f"A {task} task needs a numeric target. Received: text values such as {text!r}. "
                "Convert the target to numbers, or use --task binary / multiclass / ordinal."
            ) from None
        bad = int((~np.isfinite(yf)).any(axis=1).sum())
        if bad == len(yf):
            raise DataError(
                f"The target has no values: all {len(y)} rows are missing or infinite. "
                "Choose another target column or fill it in."
            )
        if bad:
            raise DataError(
                f"The target has {bad} missing or infinite values. Received {len(y)} rows. "
                "Drop those rows or impute the target before the experiment."
            )
        if np.ptp(yf, axis=0).max() == 0:
            raise DataError(
                f"The target has a single value ({_plain(flat.reshape(-1)[0])}) in all {len(y)} "
                "rows: there is nothing to learn. Check the target column."
            )
    if task.has_class_labels:
        n = len(np.unique(flat.reshape(-1).astype(str)))
        if n < 2:
            raise DataError(
                f"The target has a single class ({_plain(flat.reshape(-1)[0])}). Received {len(y)} "
                "rows with one distinct value. A classifier needs at least two classes: check the "
                "target column."
            )
        if task is TaskKind.BINARY and n != 2:
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
    except ValueError:
        raise DataError(_stratify_message(strat)) from None
    return np.sort(train), np.sort(val), np.sort(test)


def _stratify_message(strat: np.ndarray | None) -> str:
    """Why a stratified split failed, in one short line (the rarest classes, not all)."""
    values, counts = np.unique(np.asarray(strat).astype(str), return_counts=True)
    rare = [f"{v} ({c})" for c, v in sorted(zip(counts, values, strict=True))[:5] if c < 3]
    more = f" and {int((counts < 3).sum()) - len(rare)} more" if (counts < 3).sum() > len(rare) else ""
    return (
        "Cannot split the rows with stratification: every class needs rows in the train, "
        f"validation and test splits. Received {len(values)} classes, the rarest with "
        f"{int(counts.min())} rows: {', '.join(rare) or 'none'}{more}. Add rows or merge rare "
        "classes; for a numeric target with many values pass --task regression (stratify=False "
        "in Python)."
    )


def prepare(
    x: Any,
    y: Any,
    *,
    task: TaskKind | str,
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
        task: a :class:`~losslab._vocab.TaskKind` (or its name).
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

    task = TaskKind.parse(task)
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
    y_enc, classes = encode_target(y_arr, task, classes)
    strat = split.stratify if split.stratify is not None else task.has_class_labels
    train, val, test = _split_indices(
        n,
        split,
        y_enc if strat and y_enc.ndim == 1 else None,
        None if groups is None else np.asarray(groups),
        None if order is None else np.asarray(order),
    )
    if task.has_class_labels and len(np.unique(y_enc[train])) < 2:
        raise DataError("The training split holds a single class. Add rows of the rare class or change the split.")

    numeric: list[str] = []
    categorical: list[str] = []
    dates: list[str] = []
    if isinstance(x, pd.DataFrame):
        from losslab.data import parse_dates

        # a date column is one number (days), not one one-hot column per distinct date
        x, dates = parse_dates(x)
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
        dates=[str(d) for d in dates],
    )
