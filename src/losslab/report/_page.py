"""The skeleton of ``report.html``: styles, the security policy, a page of sections, cells.

All user-provided text goes through :func:`e` (HTML-escaped) before it reaches the page.
"""

from __future__ import annotations

import html
from typing import Any

from losslab.report._summary import fmt

__all__ = ["CSP", "CSS", "Page", "card", "e", "table", "td"]

#: Content-Security-Policy of the page: no request but inline scripts, styles and data: images.
CSP = (
    "default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; "
    "img-src data: blob:; font-src data:; connect-src 'none'"
)

CSS = """
:root { --fg:#1f2328; --muted:#59636e; --line:#d1d9e0; --bg:#f6f8fa; --best:#1a7f37; --near:#2f81f7; }
* { box-sizing: border-box; }
body { font: 15px/1.5 -apple-system, "Segoe UI", Helvetica, Arial, sans-serif; color: var(--fg);
       margin: 0; background: #fff; }
header { background: #0d1117; color: #f0f6fc; padding: 18px 32px; }
header h1 { margin: 0 0 4px; font-size: 22px; }
header .meta { color: #9198a1; font-size: 13px; }
nav { position: sticky; top: 0; background: #fff; border-bottom: 1px solid var(--line);
      padding: 8px 32px; z-index: 10; font-size: 14px; }
nav a { margin-right: 16px; color: #0969da; text-decoration: none; }
main { padding: 8px 32px 48px; max-width: 1280px; }
section { margin-top: 28px; }
h2 { font-size: 19px; border-bottom: 1px solid var(--line); padding-bottom: 4px; }
h3 { font-size: 16px; margin-bottom: 6px; }
table { border-collapse: collapse; margin: 8px 0 12px; font-size: 13.5px; }
th, td { border: 1px solid var(--line); padding: 4px 9px; text-align: left; vertical-align: top; }
th { background: var(--bg); }
td.num { text-align: right; font-variant-numeric: tabular-nums; }
tr.best td { background: #dafbe1; }
tr.near td { background: #ddf4ff; }
.badge { display: inline-block; padding: 0 7px; border-radius: 10px; font-size: 12px; color: #fff; }
.badge.best { background: var(--best); } .badge.near { background: var(--near); }
.badge.bad { background: #cf222e; } .badge.unsure { background: #9a6700; }
.cards { display: flex; flex-wrap: wrap; gap: 12px; margin: 10px 0; }
.card { border: 1px solid var(--line); border-radius: 6px; padding: 8px 14px; background: var(--bg); }
.card .k { color: var(--muted); font-size: 12px; } .card .v { font-size: 17px; font-weight: 600; }
.note { color: var(--muted); font-size: 13.5px; }
.warn { border-left: 4px solid #bf8700; background: #fff8c5; padding: 6px 12px; margin: 8px 0; }
figure.plot { margin: 10px 0 18px; border: 1px solid var(--line); border-radius: 6px; padding: 4px; }
details summary { cursor: pointer; color: #0969da; }
code { background: var(--bg); padding: 1px 4px; border-radius: 4px; font-size: 13px; }
footer { color: var(--muted); font-size: 12px; padding: 16px 32px; border-top: 1px solid var(--line); }
"""


def e(value: Any) -> str:
    """HTML-escape any value (``-`` for ``None``).

    Example:
        >>> e("<script>"), e(None)
        ('&lt;script&gt;', '-')
    """
    return "-" if value is None else html.escape(str(value), quote=True)


class Page:
    """Collects sections and figures; figure ids are sequential.

    Example:
        >>> page = Page()
        >>> page.section("notes", "Notes", "<p>none</p>")
        >>> page.nav, page.parts
        ([('notes', 'Notes')], ['<section id="notes"><h2>Notes</h2>\\n<p>none</p>\\n</section>'])
    """

    def __init__(self) -> None:
        self.parts: list[str] = []
        self.nav: list[tuple[str, str]] = []
        self.n_plots = 0

    def section(self, sid: str, title: str, body: str) -> None:
        """Append a section (``body`` is HTML) and its link in the navigation bar."""
        self.nav.append((sid, title))
        self.parts.append(f'<section id="{sid}"><h2>{e(title)}</h2>\n{body}\n</section>')

    def figure(self, fig: Any, name: str) -> str:
        """The HTML of a Plotly figure (its JavaScript is inlined once by the page)."""
        self.n_plots += 1
        div = fig.to_html(
            full_html=False,
            include_plotlyjs=False,
            div_id=f"plot-{self.n_plots}",
            config={"displaylogo": False, "responsive": True},
        )
        return f'<figure class="plot" data-plot="{e(name)}">{div}</figure>'


def table(headers: list[str], rows: list[list[str]], row_classes: list[str] | None = None) -> str:
    """A ``<table>``: cells are already-escaped HTML (see :func:`td`); headers are escaped here.

    Example:
        >>> table(["a<b"], [[td(1, num=True)]], ["best"])
        '<table><thead><tr><th>a&lt;b</th></tr></thead><tbody><tr class="best"><td class="num">1</td></tr></tbody></table>'
    """
    head = "".join(f"<th>{e(h)}</th>" for h in headers)
    body = []
    for i, r in enumerate(rows):
        cls = f' class="{row_classes[i]}"' if row_classes and row_classes[i] else ""
        body.append(f"<tr{cls}>" + "".join(r) + "</tr>")
    return f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table>"


def td(value: Any, num: bool = False) -> str:
    """One cell: a number formatted by :func:`~losslab.report._summary.fmt` or escaped text.

    Example:
        >>> td(0.123456, num=True), td("x & y")
        ('<td class="num">0.1235</td>', '<td>x &amp; y</td>')
    """
    text = fmt(value) if num else e(value)
    return f'<td class="num">{text}</td>' if num else f"<td>{text}</td>"


def card(k: str, v: Any) -> str:
    """A key-value card of the page's summary row (both escaped)."""
    return f'<div class="card"><div class="k">{e(k)}</div><div class="v">{e(v)}</div></div>'
