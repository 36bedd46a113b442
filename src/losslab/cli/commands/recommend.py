"""``losslab recommend``: profile a table, infer the task, recommend losses with reasons.

No Keras import: the advisor reads data with pyarrow and the catalog's metadata only.
"""

from __future__ import annotations

from typing import Annotated, Any

import typer


def _render_table(rec: Any, data: str) -> None:
    from rich.markup import escape
    from rich.table import Table

    from losslab.report.terminal import console

    con = console()
    p = rec.profile
    t = p.target
    con.print(
        f"[bold]{escape(', '.join(p.target_names))}[/bold] in {escape(p.source)}: "
        f"{p.n_rows:,} rows, {p.n_columns} columns"
        + (f" (sample of {p.sample_size:,} for order statistics)" if p.sampled else "")
    )
    con.print(f"[bold]Task[/bold]: {rec.task.kind} because {escape('; '.join(rec.task.reasons))}")
    if rec.task.classes is not None:
        shown = ", ".join(map(str, rec.task.classes[:20]))
        more = f" ... ({len(rec.task.classes)})" if len(rec.task.classes) > 20 else ""
        con.print(f"[bold]Classes[/bold]: {escape(shown)}{more}")
    con.print(
        f"[bold]Goal[/bold]: {rec.goal}  [bold]judge metric[/bold]: {', '.join(rec.judge_metrics)}"
    )
    if t.kind == "numeric" and t.median is not None:
        stats = [
            f"mean {t.mean:.4g}",
            f"median {t.median:.4g}",
            f"std {t.std:.4g}",
            f"robust sigma {t.robust_sigma:.4g}",
        ]
        if t.skewness is not None:
            stats.append(f"skewness {t.skewness:.2f}")
        if t.excess_kurtosis is not None:
            stats.append(f"excess kurtosis {t.excess_kurtosis:.2f}")
        if t.outlier_share_mad is not None:
            stats.append(
                f"outliers {t.outlier_share_mad:.1%} (MAD) / {t.outlier_share_iqr:.1%} (IQR)"
            )
        if t.zero_share:
            stats.append(f"zeros {t.zero_share:.1%}")
        if t.variance_to_mean is not None:
            stats.append(f"variance/mean {t.variance_to_mean:.3g}")
        con.print("[bold]Target[/bold]: " + ", ".join(stats))
    elif t.value_counts:
        top = list(t.value_counts.items())[:8]
        con.print(
            "[bold]Classes[/bold] (count): "
            + escape(", ".join(f"{k}: {v}" for k, v in top))
            + (f"; imbalance {t.imbalance_ratio:.1f}:1" if t.imbalance_ratio else "")
        )
    table = Table(title="Recommended losses", show_lines=True)
    table.add_column("#", justify="right")
    table.add_column("loss", style="bold cyan", no_wrap=True)
    table.add_column("parameters")
    table.add_column("score", justify="right")
    table.add_column("why")
    for i, c in enumerate(rec.candidates, 1):
        params = ", ".join(f"{k}={v!r}" for k, v in c.params.items()) or "defaults"
        table.add_row(str(i), escape(c.loss), escape(params), f"{c.score:.2f}", escape(c.reason))
    con.print(table)
    if rec.class_weight:
        con.print(
            "[bold]class_weight[/bold] for model.fit: "
            + escape(", ".join(f"{k}: {v:g}" for k, v in rec.class_weight.items()))
        )
    for note in rec.notes:
        con.print(f"[yellow]note[/yellow]: {escape(note)}")
    if rec.candidates:
        con.print(
            f"Compare them: [bold]losslab compare {escape(data)} --target "
            + escape(",".join(p.target_names))
            + ' --losses "'
            + escape(",".join(c.loss_string for c in rec.candidates))
            + '"[/bold]',
            soft_wrap=True,  # one line, so the command can be copied into a shell
        )


def recommend(
    data: Annotated[str, typer.Argument(help="A CSV or Parquet file.")],
    target: Annotated[
        str,
        typer.Option(
            "--target",
            "-t",
            help="The target column (comma-separated 0/1 columns for a multilabel target).",
        ),
    ],
    task: Annotated[
        str | None,
        typer.Option(
            "--task",
            help="Force the task: binary, multiclass, multilabel, regression, count, positive, "
            "proportion, ordinal (inferred when omitted).",
        ),
    ] = None,
    goal: Annotated[
        str | None,
        typer.Option(
            "--goal",
            "-g",
            help="What to predict: mean, median, quantile:Q, probability, labels, ranking "
            "(the task's default when omitted).",
        ),
    ] = None,
    top: Annotated[int, typer.Option("--top", min=1, help="Length of the shortlist.")] = 5,
    sample_size: Annotated[
        int,
        typer.Option(
            "--sample-size", min=10, help="Rows sampled for order statistics, duplicates, leakage."
        ),
    ] = 100_000,
    as_json: Annotated[
        bool, typer.Option("--json", help="Print the JSON document (schema in docs/advisor.md).")
    ] = False,
    markdown: Annotated[bool, typer.Option("--markdown", help="Print Markdown.")] = False,
    report: Annotated[
        str | None,
        typer.Option(
            "--report",
            help="Also write report.html (self-contained), report.md and summary.json of the "
            "recommendation into this directory (created).",
        ),
    ] = None,
) -> None:
    """Profile DATA, infer the task and recommend losses with configured hyperparameters."""
    import sys

    from losslab._vocab import TaskKind
    from losslab.advisor import Goal
    from losslab.advisor import recommend as _recommend

    # validate the cheap options before reading a possibly large file
    if task is not None:
        TaskKind.parse(task)
    if goal is not None:
        Goal.parse(goal)
    if report is not None:
        from pathlib import Path

        from losslab.errors import InvalidParameterError

        if Path(report).exists() and not Path(report).is_dir():
            raise InvalidParameterError(
                f"--report needs a directory. Received: {report!r}, which is a file. "
                "Pass a new or existing directory, e.g. --report reports/data."
            )
        if (Path(report) / "manifest.json").exists():
            raise InvalidParameterError(
                f"--report {report!r} is the run directory of losslab run/compare/tune: writing "
                "the recommendation there would overwrite that run's report. Pass another "
                "directory, e.g. --report reports/data."
            )
    targets = [c.strip() for c in target.split(",") if c.strip()]
    rec = _recommend(
        data,
        target=targets[0] if len(targets) == 1 else targets,
        task=task,
        goal=goal,
        top=top,
        sample_size=sample_size,
    )
    if report is not None:
        from losslab.report import write_recommendation_report

        files = write_recommendation_report(rec, report)
        if not as_json and not markdown:
            sys.stderr.write(f"report: {files['html']}\n")
    if as_json:
        import json

        sys.stdout.write(json.dumps(rec.to_dict(), indent=2, default=str) + "\n")
        return
    if markdown:
        sys.stdout.write(rec.to_markdown())
        return
    _render_table(rec, data)


def register(app: typer.Typer) -> None:
    app.command("recommend")(recommend)
