"""The raw-column model of a ``losslab fit`` (streamed or data-parallel): ``OUT/model/``.

A fit's own ``model.keras`` takes the preprocessed features (``preprocessing.json``). Next to
it, :func:`export_fit` writes the same exported format as a run's refit (``model.keras``
taking the raw table columns, ``card.json``, ``card.md``), so ``losslab predict OUT TABLE``,
``losslab.load(OUT)`` and ``predict --engine spark`` work on a fit as on a run. The layers
are the ones :mod:`losslab.experiment.inference` builds for a run, fed with the fit's
streamed statistics: numeric columns standardised with the training rows' mean and std
(a missing value becomes the mean, i.e. 0 after standardisation, as in the fit), categories
one-hot (a missing or unseen category: all zeros, as in the fit), and the target scaling of
the loss undone (``output * target_scale + target_shift``).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from losslab.errors import InvalidParameterError
from losslab.experiment.card import build_card, card_markdown, output_columns
from losslab.experiment.columns import MISSING_TOKEN, CategoricalColumn, ColumnSchema, NumericColumn
from losslab.experiment.streaming import StreamStats

__all__ = ["export_fit", "fit_card", "schema_of"]


def schema_of(stats: StreamStats) -> ColumnSchema:
    """The exported model's column schema from a fit's statistics.

    Example:
        >>> from losslab.experiment.streaming import FeatureStat
        >>> s = StreamStats("y", [FeatureStat("a", "numeric", 2.0, 0.5), FeatureStat("c", "categorical", categories=["u", "v"])],
        ...                 0.0, 1.0, None, 10, 0, 0.0, None)
        >>> schema = schema_of(s)
        >>> schema.feature_names(), schema.numeric[0].median, schema.categorical[0].mode
        (['a', 'c_u', 'c_v'], 2.0, '')
    """
    numeric = [NumericColumn(f.name, f.mean, f.mean, f.std) for f in stats.features if f.kind == "numeric"]
    categorical = [
        CategoricalColumn(f.name, [str(c) for c in f.categories], MISSING_TOKEN)
        for f in stats.features
        if f.kind != "numeric"
    ]
    return ColumnSchema(numeric, categorical)


def _fit_columns(stats: StreamStats) -> list[str]:
    """The fit's input columns in its own order (``encode_batch``: features as listed)."""
    out: list[str] = []
    for f in stats.features:
        out += [f.name] if f.kind == "numeric" else [f"{f.name}_{c}" for c in f.categories]
    return out


def fit_card(stats: StreamStats, loss: str, schema: ColumnSchema, outputs: dict[str, Any], info: dict[str, Any]) -> dict[str, Any]:
    """The model card of a fit (the keys of a run's card; no judge metrics, a ``fit`` entry)."""
    from losslab.catalog import parse_loss_string

    spec, params = parse_loss_string(loss)
    return build_card(
        candidate={"id": loss, "label": loss, "loss": spec.name, "params": dict(params),
                   "class_weight": info.get("class_weight"), "head": str(spec.head.value)},  # fmt: skip
        task={"kind": stats.task, "classes": stats.classes, "target": stats.target, "quantile_levels": None},
        goal=None,
        data={"fingerprint": None, "source": info.get("source"), "n_rows": stats.n_train + stats.n_val},
        judge_metrics={},
        fit={k: v for k, v in info.items() if k != "source"},
        schema=schema,
        preprocessing="streamed statistics of the training rows: numeric standardisation (missing -> mean), "
        "categorical one-hot (missing or unknown categories: all zeros)",
        outputs=outputs,
        environment=None,
    )


def export_fit(network: Any, stats: StreamStats, loss: str, folder: Path, info: dict[str, Any]) -> Path:
    """Write ``folder/model.keras`` (raw columns in, predictions out), ``card.json`` and
    ``card.md`` for a fit's trained ``network`` (``info``: source, rows, epochs ...)."""
    from losslab.catalog import parse_loss_string
    from losslab.experiment.export import save_keras_atomic
    from losslab.experiment.heads import head_spec
    from losslab.experiment.inference import build_inference_model, output_transform
    from losslab.experiment.store import atomic_write_json

    spec, params = parse_loss_string(loss)
    n_classes = len(stats.classes) if stats.classes is not None else None
    task = stats.task or "regression"
    hs = head_spec(spec, params, task=task, n_classes=n_classes)
    scale = None if stats.target_scale is None or stats.classes is not None else np.array([stats.target_scale])
    transform = output_transform(spec, hs, params, np.array([stats.target_shift or 0.0]), scale)
    schema = schema_of(stats)
    if schema.feature_names() != _fit_columns(stats):
        raise InvalidParameterError(
            "The fit's input columns are not numeric first, as the exported model reads them. "
            f"Received features {[f.name for f in stats.features]}. Refit with this version's compute_stats."
        )
    if schema.categorical:  # string lookups run on TensorFlow: import it without its start-up lines
        from losslab.experiment.predict import import_tensorflow_quietly

        import_tensorflow_quietly()
    model = build_inference_model(network, schema, transform, name="losslab_fit")
    outputs = output_columns(task, stats.classes, hs.head.value, None, int(model.output_shape[-1]), stats.target)
    card = fit_card(stats, loss, schema, outputs, info)
    folder.mkdir(parents=True, exist_ok=True)
    save_keras_atomic(model, folder / "model.keras")
    atomic_write_json(folder / "card.json", card)
    (folder / "card.md").write_text(card_markdown(card), encoding="utf-8")
    return folder
