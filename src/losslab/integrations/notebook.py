"""Rich display in Jupyter: HTML views of results, recommendations, check reports and catalog
entries. The first three live beside their objects (the ``display`` modules of
``experiment``, ``advisor`` and ``verify``, whose ``_repr_html_`` call them) and are re-exported here.

Each function returns one self-contained HTML fragment (inline styles, everything escaped);
no notebook package is needed to build it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from losslab._html import escape, html_list, html_table
from losslab.advisor.display import recommendation_html
from losslab.catalog import LossSpec, get_spec
from losslab.experiment.display import results_html
from losslab.verify.display import check_report_html

__all__ = ["Explanation", "check_report_html", "explain", "recommendation_html", "results_html"]


@dataclass(frozen=True)
class Explanation:
    """One catalog entry explained: formula, when to use it, pitfalls, hyperparameters, an
    example and references. Plain text with ``str()``/``repr()``, HTML in a notebook.

    Attributes:
        spec: the catalog entry.
    """

    spec: LossSpec

    def to_dict(self) -> dict[str, Any]:
        """The entry as ``losslab explain NAME --json`` prints it."""
        from losslab.report.terminal import spec_to_dict

        return spec_to_dict(self.spec)

    def _sections(self) -> list[tuple[str, str]]:
        d = self.to_dict()
        return [
            ("Formula", d["formula"] or "-"),
            ("y_true", d["y_true"]),
            ("y_pred", d["y_pred"]),
            ("When to use", d["when_to_use"] or "-"),
            ("Pitfalls", d["pitfalls"] or "-"),
        ]

    def _summary(self) -> str:
        d = self.to_dict()
        return (
            f"family: {d['family']}   estimates: {d['statistic']}   head: {d['head']}   "
            f"robustness to outliers: {d['robustness']}"
        )

    def __str__(self) -> str:
        d = self.to_dict()
        lines = [f"{d['title']} ({d['name']})", self._summary()]
        if d["aliases"]:
            lines.append(f"aliases: {', '.join(d['aliases'])}")
        for title, text in self._sections():
            lines += ["", f"{title}:", f"  {text}"]
        lines += ["", "Hyperparameters:" if d["params"] else "Hyperparameters: none"]
        for p in d["params"]:
            space = f"; tuning space {tuple(p['search'])}" if p["search"] else ""
            lines.append(
                f"  {p['name']} = {p['default']!r}  ({p['constraint']}{space})  {p['doc']}"
            )
        lines += ["", "Example:", *(f"  {line}" for line in d["example"].splitlines())]
        if d["references"]:
            lines += ["", "References:", *(f"  - {r}" for r in d["references"])]
        return "\n".join(lines)

    __repr__ = __str__

    def _repr_html_(self) -> str:
        d = self.to_dict()
        summary = " &middot; ".join(escape(part) for part in self._summary().split("   "))
        parts = [f"<b>{escape(d['title'])}</b> (<code>{escape(d['name'])}</code>)<br>{summary}"]
        parts += [f"<div><b>{escape(t)}</b>: {escape(text)}</div>" for t, text in self._sections()]
        if d["params"]:
            rows = [
                (
                    f"<code>{escape(p['name'])}</code>",
                    escape(repr(p["default"])),
                    escape(p["constraint"]),
                    escape(p["search"] or "-"),
                    escape(p["doc"]),
                )
                for p in d["params"]
            ]
            parts.append(html_table(["name", "default", "valid", "tuning space", "meaning"], rows))
        parts.append(f'<pre style="margin:4px 0">{escape(d["example"])}</pre>')
        if d["references"]:
            parts.append("References:" + html_list(d["references"]))
        return "<div>" + "".join(parts) + "</div>"


def explain(name: str | LossSpec) -> Explanation:
    """Explain a loss of the catalog (``losslab explain NAME`` as an object): plain text when
    printed, HTML in a notebook.

    Raises:
        UnknownLossError: an unknown name (with suggestions).

    Example:
        >>> print(str(explain("huber")).splitlines()[0])
        Huber (huber)
    """
    return Explanation(get_spec(name))
