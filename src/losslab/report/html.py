"""``report.html``: one self-contained file (Plotly's JavaScript and the styles inlined).

The page opens from disk with no network: a Content-Security-Policy forbids every
request but inline scripts, inline styles and ``data:`` images. All user-provided text
(column names, class names, loss labels, reasons) is HTML-escaped.

The skeleton (styles, policy, cells) is :mod:`losslab.report._page`; the sections are
:mod:`losslab.report._sections`, rendered in the order of ``SECTIONS``.
"""

from __future__ import annotations

from losslab.report._page import CSP, CSS, Page, e
from losslab.report._run import RunData
from losslab.report._sections import SECTIONS

__all__ = ["render_html"]


def render_html(run: RunData) -> str:
    """The complete self-contained ``report.html`` of a run.

    Args:
        run: a loaded run directory.

    Returns:
        The HTML text (Plotly's JavaScript inlined; user text escaped).

    Example:
        A run is usually read with ``losslab.report.load_run(run_dir)``; here one without
        any result yet:

        >>> from pathlib import Path
        >>> from losslab.report._run import RunData
        >>> run = RunData(path=Path("demo"), manifest={"kind": "compare"}, records=[],
        ...               leaderboard={"rows": []}, notes=["No finished trial is stored yet."])
        >>> html_text = render_html(run)
        >>> html_text.startswith("<!DOCTYPE html>"), "<title>losslab compare report: demo</title>" in html_text
        (True, True)
        >>> '<section id="notes"><h2>Notes</h2>' in html_text
        True
    """
    from plotly.offline import get_plotlyjs

    page = Page()
    for section in SECTIONS:
        section(page, run)
    if (run.path / "model" / "card.json").exists():  # losslab refit / run --refit
        page.section(
            "model",
            "Model",
            '<p>The refit winner, exported with its preprocessing: <a href="model/model.keras">'
            'model/model.keras</a> (loads with Keras alone); model card <a href="model/card.md">'
            "model/card.md</a>. Predict: <code>losslab predict RUN_DIR new.csv -o preds.parquet</code>.</p>",
        )
    if run.notes:
        page.section(
            "notes", "Notes", "<ul>" + "".join(f"<li>{e(n)}</li>" for n in run.notes) + "</ul>"
        )
    data = run.manifest.get("data") or {}
    env = run.manifest.get("environment") or {}
    title = f"losslab {run.kind} report: {data.get('source') or run.path.name}"
    nav = "".join(f'<a href="#{sid}">{e(name)}</a>' for sid, name in page.nav)
    meta = (
        f"target <b>{e(data.get('target'))}</b> · task <b>{e(run.task_kind)}</b> · "
        f"{len(run.records)} trials · created {e(run.manifest.get('created'))} · run dir {e(run.path.name)}"
    )
    footer = (
        "Rendered from the run directory alone by losslab "
        + e(env.get("losslab", ""))
        + (f" · backend {e(env.get('backend'))} · keras {e(env.get('keras'))}" if env else "")
    )
    return (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        f'<meta http-equiv="Content-Security-Policy" content="{CSP}">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{e(title)}</title><style>{CSS}</style>"
        f'<script type="text/javascript">{get_plotlyjs()}</script></head>\n<body>'
        f'<header><h1>{e(title)}</h1><div class="meta">{meta}</div></header>'
        f"<nav>{nav}</nav><main>\n"
        + "\n".join(page.parts)
        + f"\n</main><footer>{footer}</footer></body></html>\n"
    )
