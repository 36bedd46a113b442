"""The order of ordinal class labels, and date columns turned into numbers.

Text labels have no order of their own: sorting ``bird, cat, dog`` alphabetically and
calling it ordinal would train on an arbitrary ranking. :func:`ordinal_order` accepts an
order only when the labels carry one (numbers, or a numeric rank prefix such as
``1-low, 2-mid, 3-high``) and says which rule it used; otherwise it refuses with the fix.

:func:`parse_dates` finds text columns whose every value is an ISO date (``2024-01-31``,
optionally with a time) and turns them into one number each (days since 1970-01-01),
instead of one one-hot column per distinct date.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

from losslab.errors import DataError

__all__ = ["DATE_PATTERN", "date_columns", "ordinal_order", "parse_dates"]

_RANK = re.compile(r"^\s*(-?\d+(?:\.\d+)?)(?=\D|$)")
#: What counts as a date: ISO 8601 day, optionally a time and a zone.
DATE_PATTERN = re.compile(
    r"^\d{4}-\d{2}-\d{2}([ T]\d{2}:\d{2}(:\d{2}(\.\d+)?)?)?(Z|[+-]\d{2}:?\d{2})?$"
)


def _number(v: Any) -> float | None:
    if isinstance(v, bool):
        return None
    if isinstance(v, int | float):
        return float(v)
    try:
        return float(str(v))
    except ValueError:
        return None


def ordinal_order(labels: Sequence[Any], name: str = "y") -> tuple[list[Any], str]:
    """The order of ordinal labels, and the rule that gave it.

    Args:
        labels: the distinct labels (any order).
        name: the target column, for messages.

    Returns:
        ``(labels in increasing order, rule)``; the rule is ``"numeric values"`` or
        ``"numeric prefix"``.

    Raises:
        DataError: text labels without a numeric rank (their order cannot be guessed).

    Example:
        >>> ordinal_order(["2-mid", "10-top", "1-low"])
        (['1-low', '2-mid', '10-top'], 'numeric prefix')
        >>> ordinal_order([3, 1, 2])
        ([1, 2, 3], 'numeric values')
    """
    values = list(labels)
    nums = [_number(v) for v in values]
    if all(n is not None for n in nums):
        return [v for _, v in sorted(zip(nums, values, strict=True), key=lambda p: p[0])], (
            "numeric values"
        )
    ranks = [_RANK.match(str(v)) for v in values]
    if all(ranks):
        keys = [float(m.group(1)) for m in ranks if m is not None]
        if len(set(keys)) == len(keys):
            pairs = sorted(zip(keys, values, strict=True), key=lambda p: p[0])
            return [v for _, v in pairs], "numeric prefix"
    shown = ", ".join(map(str, sorted(map(str, values))[:10]))
    more = f" ... ({len(values)} labels)" if len(values) > 10 else ""
    raise DataError(
        f"An ordinal target needs an order, and the text labels of {name!r} have none "
        f"(alphabetical order would be arbitrary). Received: {shown}{more}. Prefix each label "
        "with its rank (1-low, 2-mid, 3-high) or use numbers, pass an ordered pandas "
        "Categorical in Python, or use --task multiclass."
    )


def _is_date(v: Any) -> bool:
    """ISO date text, or a date the reader already parsed (CSV readers type such columns)."""
    import datetime

    if isinstance(v, datetime.date):
        return True
    return isinstance(v, str) and DATE_PATTERN.match(v.strip()) is not None


def date_columns(df: Any, exclude: Sequence[str] = ()) -> list[str]:
    """Columns of a pandas DataFrame whose every non-missing value is a date: ISO date text
    or date objects (a CSV reader's date32 columns arrive as ``datetime.date``).

    Example:
        >>> import pandas as pd
        >>> date_columns(pd.DataFrame({"d": ["2024-01-02", None], "s": ["a", "b"]}))
        ['d']
    """
    import pandas as pd

    out = []
    for col in df.columns:
        if col in exclude:
            continue
        s = df[col]
        if pd.api.types.is_datetime64_any_dtype(s):
            out.append(col)
            continue
        if not (pd.api.types.is_object_dtype(s) or pd.api.types.is_string_dtype(s)):
            continue
        values = s.dropna()
        if len(values) and all(_is_date(v) for v in values):
            out.append(col)
    return out


def parse_dates(df: Any, exclude: Sequence[str] = ()) -> tuple[Any, list[str]]:
    """Replace date columns by days since 1970-01-01 (float; missing stays missing).

    Returns:
        ``(a copy of df with the date columns as numbers, their names)``.

    Raises:
        DataError: a date column whose text matches the pattern but is not a real date.

    Example:
        >>> import pandas as pd
        >>> out, names = parse_dates(pd.DataFrame({"d": ["1970-01-02", "1970-01-11"]}))
        >>> names, out["d"].tolist()
        (['d'], [1.0, 10.0])
    """
    import pandas as pd

    names = date_columns(df, exclude)
    if not names:
        return df, []
    out = df.copy()
    for col in names:
        text = out[col].map(lambda v: v.isoformat() if hasattr(v, "isoformat") else v)
        try:
            when = pd.to_datetime(text, utc=True, format="ISO8601")
        except (ValueError, TypeError) as e:
            raise DataError(
                f"Column {col!r} looks like dates but does not parse: {e}. Fix the values or "
                "convert the column to numbers before the experiment."
            ) from None
        epoch = pd.Timestamp("1970-01-01", tz="UTC")
        out[col] = (when - epoch) / pd.Timedelta(days=1)
    return out, names
