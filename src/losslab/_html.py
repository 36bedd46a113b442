"""Small HTML building blocks for the notebook views (``_repr_html_``) of results,
recommendations, check reports and catalog entries: escaped text, numbers, tables and
lists with inline styles, so a fragment needs no stylesheet and no notebook package.
"""

from __future__ import annotations

import html
from collections.abc import Iterable, Sequence
from typing import Any

__all__ = ["escape", "html_list", "html_table", "number"]

_STYLE = "border-collapse:collapse;font-size:13px;margin:4px 0"
_CELL = "border:1px solid #ddd;padding:3px 8px;text-align:left;vertical-align:top"


def escape(value: Any) -> str:
    """``str(value)`` escaped for HTML.

    >>> escape("a<b")
    'a&lt;b'
    """
    return html.escape(str(value))


def number(v: Any) -> str:
    """A value for a table cell: ``-`` for None, yes/no for booleans, 4 significant digits
    for floats.

    >>> number(None), number(True), number(0.123456), number(3)
    ('-', 'yes', '0.1235', '3')
    """
    if v is None:
        return "-"
    if isinstance(v, bool):
        return "yes" if v else "no"
    return f"{v:.4g}" if isinstance(v, float) else str(v)


def html_table(header: Sequence[str], rows: Iterable[Sequence[Any]], bold_first_row: bool = False) -> str:
    """A table with an escaped header; the cells are HTML already (escape them first).

    >>> html_table(["a"], [["1"]]).count("<td")
    1
    """
    head = "".join(f'<th style="{_CELL};background:#f4f4f4">{escape(h)}</th>' for h in header)
    body = []
    for i, row in enumerate(rows):
        weight = ";font-weight:bold" if bold_first_row and i == 0 else ""
        body.append("<tr>" + "".join(f'<td style="{_CELL}{weight}">{c}</td>' for c in row) + "</tr>")
    return f'<table style="{_STYLE}"><thead><tr>{head}</tr></thead><tbody>{"".join(body)}</tbody></table>'


def html_list(items: Iterable[Any]) -> str:
    """A bulleted list of escaped items ('' when there are none).

    >>> html_list([]), html_list(["x"]).count("<li>")
    ('', 1)
    """
    out = [f"<li>{escape(i)}</li>" for i in items]
    return f'<ul style="margin:2px 0">{"".join(out)}</ul>' if out else ""
