"""The raw-column schema of a run: which input columns a model reads, their types, and the
preprocessing statistics fit on the training rows (``data/columns.json``).

The protocol (:mod:`losslab.experiment.protocol`) fits a scikit-learn ``ColumnTransformer``
on the training rows: numeric columns ``SimpleImputer(median)`` + ``StandardScaler``, other
columns ``SimpleImputer(most_frequent)`` + ``OneHotEncoder(handle_unknown="ignore")``. The
schema fits the same scikit-learn steps on the same rows and keeps their statistics, so the
exported Keras model (:mod:`losslab.experiment.inference`) reproduces them with Keras
layers. It also checks a new table against the schema before prediction.

No Keras import.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np

from losslab.errors import DataError

__all__ = ["ColumnSchema", "NumericColumn", "CategoricalColumn", "MISSING_TOKEN", "fit_schema"]

MISSING_TOKEN = ""  # how a missing categorical value enters the exported model


@dataclass(frozen=True)
class NumericColumn:
    """A numeric input: missing values become ``median``, then ``(x - mean) / scale``."""

    name: str
    median: float
    mean: float
    scale: float
    dtype: str = "float"


@dataclass(frozen=True)
class CategoricalColumn:
    """A categorical input: missing values become ``mode``, then one-hot over ``categories``
    (a category not seen in training gives all zeros, like ``handle_unknown="ignore"``)."""

    name: str
    categories: list[str]
    mode: str
    dtype: str = "string"


@dataclass(frozen=True)
class ColumnSchema:
    """The input columns of a run, in the order of the prepared feature matrix.

    Example:
        >>> import pandas as pd
        >>> df = pd.DataFrame({"a": [1.0, 2.0, None, 4.0], "c": ["x", "y", "x", None]})
        >>> s = fit_schema(df, np.arange(4))
        >>> s.numeric[0].median, s.categorical[0].categories, s.categorical[0].mode
        (2.0, ['x', 'y'], 'x')
        >>> s.feature_names()
        ['a', 'c_x', 'c_y']
    """

    numeric: list[NumericColumn] = field(default_factory=list)
    categorical: list[CategoricalColumn] = field(default_factory=list)
    table: bool = True  # False: the run's x was a 2-D array (columns named x0, x1, ...)

    @property
    def names(self) -> list[str]:
        return [c.name for c in self.numeric] + [c.name for c in self.categorical]

    def feature_names(self) -> list[str]:
        """Names of the preprocessed features (scikit-learn's ``get_feature_names_out``)."""
        out = [c.name for c in self.numeric]
        for c in self.categorical:
            out += [f"{c.name}_{v}" for v in c.categories]
        return out

    def to_dict(self) -> dict[str, Any]:
        return {
            "table": self.table,
            "numeric": [asdict(c) for c in self.numeric],
            "categorical": [asdict(c) for c in self.categorical],
        }

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> ColumnSchema:
        return cls(
            numeric=[NumericColumn(**c) for c in d.get("numeric", [])],
            categorical=[CategoricalColumn(**c) for c in d.get("categorical", [])],
            table=bool(d.get("table", True)),
        )

    # ------------------------------------------------------------------ new tables
    def model_inputs(
        self, df: Any, *, known: Sequence[str] = ()
    ) -> tuple[dict[str, np.ndarray], list[str]]:
        """The exported model's inputs from a table, after the schema checks.

        Numeric columns become float32 ``(N, 1)`` with missing values imputed with the
        stored median; categorical columns become string ``(N, 1)`` arrays (missing values
        as :data:`MISSING_TOKEN`).

        ``known`` columns (the target, an id) are not reported as extra.

        Returns:
            ``(inputs, notes)``: the named arrays and one-line notes (extra columns ignored,
            categories not seen in training).

        Raises:
            DataError: a missing column, or a numeric column holding text.
        """
        import pandas as pd

        missing = [n for n in self.names if n not in df.columns]
        if missing:
            raise DataError(
                f"The table lacks the model's input column(s) {', '.join(map(repr, missing))}. "
                f"Received columns: {', '.join(map(str, list(df.columns)[:12]))}. Add them (the model "
                f"reads {', '.join(self.names)})."
            )
        notes: list[str] = []
        inputs: dict[str, np.ndarray] = {}
        for c in self.numeric:
            col = df[c.name]
            if not (pd.api.types.is_numeric_dtype(col) or pd.api.types.is_bool_dtype(col)):
                vals = pd.to_numeric(col, errors="coerce")
                bad = col[vals.isna() & col.notna()]
                if len(bad):
                    raise DataError(
                        f"Column {c.name!r} must be numeric; it holds text such as {bad.iloc[0]!r} "
                        f"({len(bad)} rows). Received dtype {col.dtype}. Fix or drop those values."
                    )
                col = vals
            arr = col.to_numpy(dtype=np.float64, na_value=np.nan)
            arr = np.where(np.isfinite(arr), arr, c.median)
            inputs[c.name] = arr.astype(np.float32)[:, None]
        for c in self.categorical:
            col = df[c.name]
            text = np.array(
                [MISSING_TOKEN if pd.isna(v) else str(v) for v in col.tolist()], dtype=object
            )
            seen = set(c.categories) | {MISSING_TOKEN}
            new = sorted({v for v in text.tolist() if v not in seen})
            if new:
                shown = ", ".join(map(repr, new[:5])) + (" ..." if len(new) > 5 else "")
                notes.append(
                    f"warning: column {c.name!r} has {len(new)} categories not seen in training "
                    f"({shown}); they are encoded as unknown (all-zero one-hot)."
                )
            inputs[c.name] = text.astype(str)[:, None]
        extra = [str(n) for n in df.columns if str(n) not in set(self.names) | set(known)]
        if extra:
            notes.append(
                f"note: ignored {len(extra)} column(s) the model does not read: {', '.join(extra[:8])}."
            )
        return inputs, notes


def _mode(values: Sequence[str]) -> str:
    """The most frequent value, ties broken by the smallest (scikit-learn's rule)."""
    from collections import Counter

    counts = Counter(values)
    top = max(counts.values())
    return min(v for v, c in counts.items() if c == top)


def fit_schema(x: Any, idx_train: np.ndarray) -> ColumnSchema:
    """The schema of ``x`` with statistics fit on the rows ``idx_train``.

    Args:
        x: the features as given to the protocol: a pandas DataFrame or a 2-D numeric array.
        idx_train: row positions of the training split.

    Raises:
        DataError: ``x`` is an array of rank > 2 (images, sequences): no raw-column model.
    """
    import pandas as pd
    from sklearn.impute import SimpleImputer
    from sklearn.preprocessing import StandardScaler

    table = isinstance(x, pd.DataFrame)
    if not table:
        xa = np.asarray(x)
        xa = xa[:, None] if xa.ndim == 1 else xa
        if xa.ndim != 2:
            raise DataError(
                f"A raw-column model needs a table or a 2-D array. Received an array of shape {xa.shape}. "
                "Export the trained model (trials/<id>.keras) instead."
            )
        x = pd.DataFrame(xa.astype(np.float64), columns=[f"x{i}" for i in range(xa.shape[1])])
    x = x.copy()
    x.columns = [str(c) for c in x.columns]
    numeric = [
        c
        for c in x.columns
        if pd.api.types.is_numeric_dtype(x[c]) and not pd.api.types.is_bool_dtype(x[c])
    ]
    categorical = [c for c in x.columns if c not in numeric]
    train = x.iloc[np.asarray(idx_train)]
    num_cols: list[NumericColumn] = []
    if numeric:
        imp = SimpleImputer(strategy="median", keep_empty_features=not table).fit(
            train[numeric].astype(np.float64)
        )
        sc = StandardScaler().fit(imp.transform(train[numeric].astype(np.float64)))
        for i, c in enumerate(numeric):
            num_cols.append(
                NumericColumn(c, float(imp.statistics_[i]), float(sc.mean_[i]), float(sc.scale_[i]))
            )
    cat_cols: list[CategoricalColumn] = []
    for c in categorical:
        vals = [str(v) for v in train[c].tolist() if not pd.isna(v)]
        mode = _mode(vals)
        cats = sorted(set(vals) | ({mode} if len(vals) < len(train) else set()))
        cat_cols.append(CategoricalColumn(c, cats, mode))
    return ColumnSchema(num_cols, cat_cols, table)
