"""The model card of an exported model (``model/card.json`` and ``model/card.md``): the
loss and its parameters, the task and target, the data fingerprint, the judge metrics with
their intervals, the column schema, the output columns and how to load the model.

No Keras import.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from losslab._vocab import TaskKind
from losslab.catalog import Head
from losslab.experiment.columns import ColumnSchema
from losslab.experiment.store import RunStore

__all__ = ["CARD_FORMAT", "build_card", "card_markdown", "model_card", "output_columns"]

CARD_FORMAT = "losslab-model-card"


def output_columns(
    task: str,
    classes: list[Any] | None,
    head: str,
    levels: list[float] | None,
    width: int,
    target: Any,
) -> dict[str, Any]:
    """How the model's output columns are named in ``losslab predict``.

    Example:
        >>> output_columns("regression", None, "quantiles", [0.1, 0.9], 2, "y")["columns"]
        ['q0.1', 'q0.9']
        >>> output_columns("binary", ["no", "yes"], "sigmoid", None, 1, "y")
        {'kind': 'probabilities', 'columns': ['p_no', 'p_yes'], 'label': True}
    """
    kind = TaskKind.parse(task)
    if kind.has_class_labels:
        return {
            "kind": "probabilities",
            "columns": [f"p_{c}" for c in classes or []],
            "label": True,
        }
    if kind is TaskKind.MULTILABEL:
        return {
            "kind": "probabilities",
            "columns": [f"p_{c}" for c in classes or range(width)],
            "label": False,
        }
    targets = target if isinstance(target, list) else [target]
    if head == Head.QUANTILES.value and levels:
        if len(targets) == 1:
            return {"kind": "quantiles", "columns": [f"q{q:g}" for q in levels], "label": False}
        return {
            "kind": "quantiles",
            "columns": [f"q{q:g}_{t}" for q in levels for t in targets],
            "label": False,
        }
    if width == 1:
        return {"kind": "point", "columns": ["prediction"], "label": False}
    return {"kind": "point", "columns": [f"prediction_{t}" for t in targets], "label": False}


def _metrics(run_dir: Path, candidate_id: str) -> dict[str, Any]:
    board = RunStore(run_dir).read_leaderboard() or {}
    row = next((r for r in board.get("rows", []) if r.get("candidate_id") == candidate_id), None)
    if row is None:
        return {}
    return {
        "split": "test (one split, fixed by the split seed)",
        "primary_metric": board.get("primary_metric"),
        "direction": board.get("direction"),
        "mean": row.get("mean"),
        "ci_low": row.get("ci_low"),
        "ci_high": row.get("ci_high"),
        "confidence": board.get("confidence"),
        "interval": board.get("interval"),
        "n_seeds": row.get("n_seeds"),
        "rank": row.get("rank"),
        "is_best": row.get("is_best"),
        "means": row.get("metrics", {}),
    }


_LIMITS = (
    "numeric inputs must be finite: fill missing values with the columns' `median` "
    "(losslab predict does it)",
    "categorical (string) inputs need the TensorFlow backend; missing values as ''",
)
_LOAD = "keras.saving.load_model('model.keras'); model.predict({column: array of shape (N, 1)})"


def build_card(
    *,
    candidate: Mapping[str, Any],
    task: Mapping[str, Any],
    goal: Any,
    data: Mapping[str, Any],
    judge_metrics: Mapping[str, Any],
    schema: ColumnSchema,
    preprocessing: str,
    outputs: Mapping[str, Any],
    environment: Any,
    refit: Mapping[str, Any] | None = None,
    fit: Mapping[str, Any] | None = None,
    trial: str | None = None,
) -> dict[str, Any]:
    """The one layout of ``card.json``, for a run's model (:func:`model_card`) and a fit's
    (:func:`losslab.experiment.fit_export.fit_card`); ``fit`` is written only when given.

    Example:
        >>> from losslab.experiment.columns import ColumnSchema
        >>> card = build_card(candidate={"id": "mse"}, task={}, goal=None, data={}, judge_metrics={},
        ...                   schema=ColumnSchema([], []), preprocessing="none", outputs={}, environment=None)
        >>> card["format"], card["model_file"], "fit" in card
        ('losslab-model-card', 'model.keras', False)
    """
    card: dict[str, Any] = {
        "format": CARD_FORMAT,
        "format_version": 1,
        "model_file": "model.keras",
        "candidate": dict(candidate),
        "task": dict(task),
        "goal": goal,
        "data": dict(data),
        "judge_metrics": dict(judge_metrics),
        "refit": dict(refit) if refit is not None else None,
    }
    if fit is not None:
        card["fit"] = dict(fit)
    card.update(
        {
            "trial": trial,
            "columns": schema.to_dict(),
            "preprocessing": preprocessing,
            "outputs": dict(outputs),
            "limits": list(_LIMITS),
            "load": _LOAD,
            "environment": environment,
        }
    )
    return card


def model_card(
    run_dir: str | Path,
    record: Mapping[str, Any],
    schema: ColumnSchema,
    outputs: Mapping[str, Any],
    *,
    levels: list[float] | None,
    refit: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """The card of a candidate's model (``record``: one of its trial records)."""
    manifest = RunStore(run_dir).read_manifest() or {}
    data = manifest.get("data", {})
    cand_id = str(record["candidate_id"])
    return build_card(
        candidate={
            "id": cand_id,
            "label": record["label"],
            "loss": record["loss"],
            "params": record["params"],
            "class_weight": record.get("class_weight"),
            "head": record.get("head"),
        },
        task={
            "kind": manifest.get("task", {}).get("kind"),
            "classes": manifest.get("task", {}).get("classes"),
            "target": data.get("target"),
            "quantile_levels": levels,
        },
        goal=manifest.get("goal"),
        data={
            "fingerprint": data.get("fingerprint"),
            "source": data.get("source"),
            "n_rows": data.get("n_rows"),
        },
        judge_metrics=_metrics(Path(run_dir), cand_id),
        refit=refit,
        trial=None if refit is not None else record["trial_id"],
        schema=schema,
        preprocessing="fit on the training rows: numeric median imputation + standardisation, "
        "categorical most-frequent imputation + one-hot (unknown categories: all zeros)",
        outputs=outputs,
        environment=manifest.get("environment"),
    )


def _fmt(v: Any) -> str:
    return "n/a" if v is None else (f"{v:.4g}" if isinstance(v, float) else str(v))


def card_markdown(card: Mapping[str, Any]) -> str:
    """``card.md``: the card for a reader."""
    c, t, m = card["candidate"], card["task"], card.get("judge_metrics") or {}
    lines = [
        f"# Model card: {c['label']}",
        "",
        f"- loss: `{c['loss']}` with parameters `{c['params']}`"
        + (f", class weight `{c['class_weight']}`" if c.get("class_weight") else ""),
        f"- task: {t['kind']}; target `{t['target']}`"
        + (f"; classes {t['classes']}" if t.get("classes") else ""),
        f"- data fingerprint: `{card['data']['fingerprint']}` ({card['data']['n_rows']} rows, {card['data']['source']})",
    ]
    if m:
        lines.append(
            f"- judge metric {m['primary_metric']} on the test split: {_fmt(m['mean'])} "
            f"[{_fmt(m['ci_low'])}, {_fmt(m['ci_high'])}] ({m['interval']}, {m['n_seeds']} seeds, rank {m['rank']})"
        )
        lines.append(
            "- other metrics (mean over seeds): "
            + ", ".join(f"{k} {_fmt(v)}" for k, v in sorted((m.get("means") or {}).items()))
        )
    r = card.get("refit")
    if r:
        where = (
            f"out of core on every row of {r.get('source')} but the sample's test rows"
            if r.get("out_of_core")
            else "on train + validation rows"
        )
        lines.append(
            f"- refit {where} ({r['rows']} rows) for {r['epochs']} epochs (median best epoch over seeds {r['best_epochs']})"
        )
        if r.get("test_metrics"):
            lines.append(
                "- refit model on the test split: "
                + ", ".join(f"{k} {_fmt(v)}" for k, v in sorted(r["test_metrics"].items()))
            )
    lines += ["", "## Columns", "", "| column | type | statistics |", "|---|---|---|"]
    for col in card["columns"]["numeric"]:
        lines.append(
            f"| {col['name']} | number | median {_fmt(col['median'])}, mean {_fmt(col['mean'])}, scale {_fmt(col['scale'])} |"
        )
    for col in card["columns"]["categorical"]:
        lines.append(
            f"| {col['name']} | string | categories {', '.join(col['categories'][:20])}; missing -> {col['mode']} |"
        )
    out = card["outputs"]
    lines += [
        "",
        "## Outputs",
        "",
        f"{out['kind']}: {', '.join(out['columns'])}"
        + (" and `label`" if out.get("label") else ""),
        "",
    ]
    lines += [
        "## Load",
        "",
        "```python",
        "import keras",
        "model = keras.saving.load_model('model.keras')",
        "pred = model.predict({name: values.reshape(-1, 1) for name, values in columns.items()})",
        "```",
        "",
    ]
    lines += ["Limits: " + "; ".join(card["limits"]) + ".", ""]
    return "\n".join(lines)
