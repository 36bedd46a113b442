"""Small readers for ``doctor``: a model (``.keras`` file, ``module:factory`` or object) and
data (CSV, Parquet, NPZ, arrays, DataFrames). User mistakes raise :class:`DataError`."""

from __future__ import annotations

import os
import warnings
from pathlib import Path
from typing import Any

import numpy as np

from losslab.errors import DataError

__all__ = ["load_model", "read_xy"]


def load_model(model: Any) -> Any:
    """A ``keras.Model`` from a model object, a ``.keras``/``.h5`` path or ``"module:factory"``.

    Raises:
        DataError: missing or unreadable file; a factory that fails or returns no model.
    """
    import keras

    if isinstance(model, keras.Model):
        return model
    if not isinstance(model, str | os.PathLike):
        raise DataError(
            f"Expected a keras.Model, a .keras file or 'module:factory'. Received: {type(model).__name__}."
        )
    text = str(model)
    if ":" in text and not Path(text).exists() and not text.endswith((".keras", ".h5")):
        from losslab.verify._subject import NotALossError, load_target

        try:
            factory = load_target(text)
        except NotALossError as e:
            raise DataError(str(e).replace("losslab check", "losslab doctor")) from None
        try:
            built = factory() if callable(factory) and not isinstance(factory, keras.Model) else factory
        except Exception as e:
            raise DataError(
                f"The model factory {text!r} raised {type(e).__name__}: {e}. It must build and "
                "compile a keras.Model when called with no arguments."
            ) from None
        if not isinstance(built, keras.Model):
            raise DataError(
                f"{text!r} did not give a keras.Model. Received: {type(built).__name__}. "
                "Point to a function returning a compiled keras.Model."
            )
        return built
    path = Path(text)
    if not path.is_file():
        raise DataError(f"Model file not found. Received: {text!r}. Pass a saved .keras file or 'module:factory'.")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # optimizer-variable notices; doctor never trains
            return keras.saving.load_model(path)
    except Exception as e:
        first = (str(e).strip().splitlines() or [""])[0][:200]
        raise DataError(
            f"Could not load the model file {text!r} ({type(e).__name__}: {first}). Is it a model "
            "saved with model.save('model.keras')? If it uses a custom loss, import its module "
            "first (or use 'module:factory')."
        ) from None


def _frame_xy(df: Any, target: str | None, source: str) -> tuple[np.ndarray, np.ndarray]:
    import pandas as pd

    if target is None:
        raise DataError(f"Which column is the target? Received no --target for {source}. Pass --target COLUMN.")
    if target not in df.columns:
        cols = ", ".join(map(str, list(df.columns)[:20]))
        raise DataError(f"Target column {target!r} not found in {source}. Received columns: {cols}. Pass --target with one of them.")
    y_col = df[target]
    x_df = df.drop(columns=[target])
    bad = [c for c in x_df.columns if not pd.api.types.is_numeric_dtype(x_df[c]) and not pd.api.types.is_bool_dtype(x_df[c])]
    if bad:
        raise DataError(
            f"Feature column(s) {', '.join(map(repr, bad[:5]))} of {source} are not numeric. "
            "Encode them (one-hot or ordinal) before feeding the model."
        )
    if not pd.api.types.is_numeric_dtype(y_col) and not pd.api.types.is_bool_dtype(y_col):
        raise DataError(
            f"Target column {target!r} of {source} is not numeric (e.g. {y_col.iloc[0]!r}). "
            "Encode labels as integers 0..K-1 first (sklearn.preprocessing.LabelEncoder)."
        )
    return x_df.to_numpy(dtype=np.float32), y_col.to_numpy()


def read_xy(
    data: Any, target: str | None = None, *, x_key: str = "x"
) -> tuple[np.ndarray, np.ndarray]:
    """Features and targets from a path (CSV, Parquet, NPZ), a DataFrame or an ``(x, y)`` pair.

    Raises:
        DataError: missing/unreadable file, unknown format, missing target or arrays.
    """
    import pandas as pd

    if isinstance(data, tuple) and len(data) == 2:
        return np.asarray(data[0]), np.asarray(data[1])
    if isinstance(data, pd.DataFrame):
        return _frame_xy(data, target, "the DataFrame")
    if not isinstance(data, str | os.PathLike):
        raise DataError(f"Expected a CSV/Parquet/NPZ path, a DataFrame or (x, y). Received: {type(data).__name__}.")
    path = Path(data)
    if not path.is_file():
        raise DataError(f"Data file not found. Received: {str(path)!r}. Pass an existing CSV, Parquet or NPZ file.")
    suffix = path.suffix.lower()
    try:
        if suffix == ".npz":
            with np.load(path) as z:
                y_key = target or "y"
                keys = list(z.files)
                xk = x_key if x_key in keys else ("X" if "X" in keys else x_key)
                if xk not in keys or y_key not in keys:
                    raise DataError(
                        f"{str(path)!r} must hold a feature array {x_key!r} and a target array {y_key!r}. "
                        f"Received arrays: {keys}. Save with np.savez(path, x=X, y=y) or pass --target NAME."
                    )
                return np.asarray(z[xk]), np.asarray(z[y_key])
        if suffix in (".csv", ".txt", ".tsv"):
            df = pd.read_csv(path, sep="\t" if suffix == ".tsv" else ",")
        elif suffix in (".parquet", ".pq"):
            df = pd.read_parquet(path)
        else:
            raise DataError(f"Unknown data format {suffix!r} of {str(path)!r}. Use .csv, .parquet or .npz.")
    except DataError:
        raise
    except Exception as e:
        first = (str(e).strip().splitlines() or [""])[0][:200]
        raise DataError(f"Could not read {str(path)!r} ({type(e).__name__}: {first}). Is the file complete and in the format its extension says?") from None
    return _frame_xy(df, target, repr(str(path)))
