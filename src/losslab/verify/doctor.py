"""``losslab.doctor(model, x, y)`` and ``losslab doctor MODEL DATA``: find the silent mistakes
between a model, its data and its loss.

Each :class:`Finding` has a severity (``error``: training is wrong; ``warning``: training is
likely poor; ``info``), the evidence (what was observed, with numbers) and the fix as code.

Detected (one rule each, registered in ``losslab.verify._doctor_rules``): probabilities fed
to a ``from_logits=True`` loss and logits fed to ``from_logits=False`` (from the output
activation and the observed output range); a sigmoid output under categorical cross-entropy;
softmax over one unit; integer labels with categorical CE and one-hot labels with sparse CE;
labels 1..K or out of range; BCE targets outside [0, 1]; a regression target whose scale
makes MSE explode; strong class imbalance with no weights; NaN/inf in features or targets;
output shape vs target shape. This module is the driver.
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping
from typing import Any

import numpy as np

from losslab.errors import DataError
from losslab.verify._doctor_report import DoctorReport, Finding
from losslab.verify._doctor_rules import RULES, Facts

__all__ = ["DoctorReport", "Finding", "doctor"]


def _data(model: Any, x: Any, y: Any, data: Any, target: str | None) -> tuple[Any, np.ndarray, np.ndarray]:
    from losslab.verify._io import load_model, read_xy

    m = load_model(model)
    if data is not None:
        x, y = read_xy(data, target)
    if x is None or y is None:
        raise DataError("doctor needs data: pass x and y, or data=PATH with target=COLUMN.")
    x, y = np.asarray(x), np.asarray(y)
    if x.shape[0] != y.shape[0]:
        raise DataError(f"x and y have different numbers of rows. Received: x {x.shape}, y {y.shape}. Pass matching arrays.")
    if not (np.issubdtype(y.dtype, np.number) or y.dtype == bool):
        raise DataError(f"Targets must be numeric. Received dtype {y.dtype}. Encode labels as integers 0..K-1 (sklearn.preprocessing.LabelEncoder).")
    return m, x, y


def _loss_of(m: Any, loss: Any) -> Any:
    if len(getattr(m, "outputs", None) or [None]) > 1:
        raise DataError(
            f"doctor checks single-output models. Received a model with {len(m.outputs)} outputs. "
            "Build a model of the output to check (keras.Model(m.inputs, m.outputs[i])) and pass its loss."
        )
    loss_obj = loss if loss is not None else getattr(m, "loss", None)
    if isinstance(loss_obj, dict | list | tuple):
        raise DataError(f"doctor checks one loss. Received {type(loss_obj).__name__} of losses. Pass loss=... for the output to check.")
    if loss_obj is None:
        raise DataError("The model is not compiled and no loss was given. Compile it (model.compile(loss=...)) or pass loss=... (CLI: --loss NAME).")
    return loss_obj


def _forward(m: Any, x: np.ndarray) -> np.ndarray:
    """The model's outputs on x, as (N, units) (NaN features are zeroed: reported apart)."""
    in_shape = tuple(m.inputs[0].shape[1:]) if getattr(m, "inputs", None) else None
    fits = in_shape is None or len(in_shape) != x.ndim - 1 or all(a is None or a == b for a, b in zip(in_shape, x.shape[1:], strict=True))
    if not fits:
        raise DataError(
            f"The data does not match the model's input: the model expects samples of shape {in_shape}, "
            f"the data has {x.shape[1:]}. Pass the same feature columns the model was built for (without the target)."
        )
    try:
        xin = np.nan_to_num(x.astype(np.float32)) if np.issubdtype(x.dtype, np.number) else x
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # e.g. Keras's own softmax-over-one-unit warning: reported by a rule
            out = np.asarray(m.predict(xin, verbose=0, batch_size=256))
    except Exception as e:
        first = (str(e).strip().splitlines() or [""])[0][:200]
        raise DataError(
            f"The model could not run on the data ({type(e).__name__}: {first}). Received x of shape {x.shape}; "
            f"the model expects {in_shape}. Pass the feature columns the model was built for."
        ) from None
    return out[:, None] if out.ndim == 1 else out


def doctor(
    model: Any,
    x: Any = None,
    y: Any = None,
    *,
    data: Any = None,
    target: str | None = None,
    loss: Any = None,
    sample_weight: Any = None,
    class_weight: Mapping[int, float] | None = None,
    max_rows: int = 4096,
    imbalance_ratio: float = 10.0,
) -> DoctorReport:
    """Find silent mistakes between a model, its data and its loss.

    Args:
        model: a ``keras.Model`` (compiled, or pass ``loss``), a ``.keras`` path or
            ``"module:factory"``.
        x, y: features and targets (arrays); or ``data`` (CSV/Parquet/NPZ path or DataFrame)
            with ``target``.
        loss: the loss to check instead of the model's compiled one (an object or a name).
        sample_weight, class_weight: the weights you train with (silence the imbalance
            warning).
        max_rows: rows used for the forward pass and statistics.
        imbalance_ratio: majority/minority count ratio from which imbalance is reported.

    Returns:
        A :class:`DoctorReport`; ``report.ok`` is False when an error-severity finding exists.

    Raises:
        DataError: unreadable model or data, data that does not match the model's input,
            a model without a loss.

    Example:
        >>> report = losslab.doctor(model, x_train, y_train)  # doctest: +SKIP
        >>> [f.code for f in report.findings]  # doctest: +SKIP
        ['probabilities_to_logits_loss']
    """
    from losslab.verify._doctor_loss import identify_loss, output_activation

    m, x, y = _data(model, x, y, data, target)
    if x.shape[0] > max_rows:
        idx = np.sort(np.random.default_rng(0).choice(x.shape[0], size=max_rows, replace=False))
        x, y = x[idx], y[idx]
        sample_weight = None if sample_weight is None else np.asarray(sample_weight)[idx]
    loss_obj = _loss_of(m, loss)
    info = identify_loss(loss_obj)
    out = _forward(m, x)
    facts = Facts(x, y, out, output_activation(m), info, loss_obj, sample_weight, class_weight, imbalance_ratio)
    report = DoctorReport()
    report.model = {
        "loss": info.name, "loss_kind": info.kind.value, info.switch: info.from_logits, "output_activation": facts.activation,
        "output_units": facts.units, "output_range": [float(np.nanmin(out)), float(np.nanmax(out))] if out.size else None,
    }
    report.data = {"rows": int(x.shape[0]), "x_shape": list(x.shape[1:]), "y_shape": list(y.shape[1:]), "y_dtype": str(y.dtype)}
    for rule in RULES:
        if rule.kinds and info.kind not in rule.kinds:
            continue
        symptom = rule.fn(facts)
        if symptom is not None:
            report.findings.append(Finding(rule.code, rule.severity, rule.title.format(switch=info.switch), symptom.evidence, symptom.fix))
            facts.found.append(rule.code)
    report.sort()
    return report
