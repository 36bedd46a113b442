"""The rules of ``losslab.doctor``: one function per finding, one registration line each.

A rule reads the :class:`Facts` (what was observed of the model's output, the targets and
the loss) and returns a :class:`Symptom` (evidence and fix) or None. Its :class:`Rule` line
carries the finding's code, severity, title and the loss kinds it applies to; the driver
runs the rules in order and turns symptoms into findings.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from losslab.verify._doctor_loss import LossInfo, LossKind, loss_constructor, numpy_bce, numpy_ce
from losslab.verify._doctor_report import Severity

__all__ = ["RULES", "Facts", "Rule", "Symptom"]


@dataclass
class Facts:
    """What doctor observed: data, the model's outputs and the loss."""

    x: np.ndarray
    y: np.ndarray
    out: np.ndarray  # model outputs, (N, units)
    activation: str
    info: LossInfo
    loss_obj: Any
    sample_weight: Any = None
    class_weight: Mapping[int, float] | None = None
    imbalance_ratio: float = 10.0
    found: list[str] = field(default_factory=list)  # codes found so far

    def __post_init__(self) -> None:
        yf = self.y.astype(np.float64)
        self.finite_rows = np.isfinite(yf.reshape(yf.shape[0], -1)).all(1)
        self.yf_ok = yf[self.finite_rows]
        self.y2 = self.yf_ok.reshape(self.yf_ok.shape[0], -1)
        self.units = int(self.out.shape[-1])
        out_f = self.out[np.isfinite(self.out).all(-1)] if self.out.ndim == 2 else self.out
        self.in01 = bool(out_f.size) and float(out_f.min()) >= 0.0 and float(out_f.max()) <= 1.0
        self.sums1 = self.units > 1 and self.in01 and bool(np.allclose(out_f.sum(-1), 1.0, atol=1e-3))
        self.prob_act = self.activation in ("sigmoid", "softmax")
        integral = bool(self.yf_ok.size) and bool(np.all(self.yf_ok == np.round(self.yf_ok)))
        y2 = self.y2
        self.y_is_onehot = y2.shape[1] > 1 and integral and bool(np.all((y2 == 0) | (y2 == 1))) and bool(np.all(y2.sum(1) == 1))
        self.y_is_labels = y2.shape[1] == 1 and integral

    @property
    def softmax_one_unit(self) -> bool:
        return self.activation == "softmax" and self.units == 1

    def both_readings(self) -> tuple[float, float] | None:
        """The loss with the outputs read as logits and as probabilities (NumPy)."""
        out_ok, y2, kind = self.out[self.finite_rows], self.y2, self.info.kind
        labels = None
        if kind is LossKind.SPARSE and self.y_is_labels:
            labels = self.yf_ok.reshape(-1).astype(int)
        elif kind is LossKind.CCE and self.y_is_onehot and y2.shape[1] == self.units:
            labels = y2.argmax(1)
        try:
            if kind is LossKind.BCE and y2.shape[1] == self.units and bool(np.all((y2 >= 0) & (y2 <= 1))):
                return numpy_bce(y2, out_ok, True), numpy_bce(y2, out_ok, False)
            if labels is not None and self.units > 1 and labels.min() >= 0 and labels.max() < self.units:
                return numpy_ce(labels, out_ok, True), numpy_ce(labels, out_ok, False)
        except Exception:
            return None
        return None


@dataclass(frozen=True)
class Symptom:
    """What a rule saw: the evidence (numbers) and the fix (code)."""

    evidence: str
    fix: str


@dataclass(frozen=True)
class Rule:
    """One finding: its code, severity, title (``{switch}`` is the loss's logits switch),
    the loss kinds it applies to (empty: any) and the function that looks for it."""

    code: str
    severity: Severity
    title: str
    fn: Callable[[Facts], Symptom | None]
    kinds: frozenset[LossKind] = frozenset()


def _range(a: np.ndarray) -> str:
    return f"[{float(np.min(a)):.4g}, {float(np.max(a)):.4g}]"


def non_finite_features(f: Facts) -> Symptom | None:
    if not np.issubdtype(f.x.dtype, np.number):
        return None
    bad = ~np.isfinite(f.x.astype(np.float64)).reshape(f.x.shape[0], -1)
    if not bad.any():
        return None
    cols = np.where(bad.any(0))[0][:5].tolist()
    return Symptom(
        f"{int(bad.sum())} non-finite value(s) in {int(bad.any(1).sum())} row(s); feature column(s) {cols}",
        "from sklearn.impute import SimpleImputer\nx = np.where(np.isfinite(x), x, np.nan)\nx = SimpleImputer(strategy='median').fit_transform(x)  # or drop the rows",
    )


def non_finite_target(f: Facts) -> Symptom | None:
    bad = ~np.isfinite(f.y.astype(np.float64))
    if not bad.any():
        return None
    return Symptom(f"{int(bad.sum())} non-finite target value(s) out of {f.y.size}", "keep = np.isfinite(y).all(axis=tuple(range(1, y.ndim)))\nx, y = x[keep], y[keep]")


def softmax_single_unit(f: Facts) -> Symptom | None:
    if not f.softmax_one_unit:
        return None
    return Symptom(
        f"output layer: 1 unit with softmax; observed outputs {_range(f.out)}: the gradient is zero and the model cannot learn",
        "keras.layers.Dense(1, activation='sigmoid')  # binary task, with keras.losses.BinaryCrossentropy()\n# or Dense(K, activation='softmax') for K classes",
    )


def probabilities_to_logits_loss(f: Facts) -> Symptom | None:
    info = f.info
    if f.softmax_one_unit or not info.from_logits or not (f.prob_act or f.sums1):
        return None
    ev = f"output activation {f.activation!r}; outputs in {_range(f.out)}; loss {info.name} with {info.switch}=True"
    vals = f.both_readings()
    if vals:
        ev += f": loss as compiled {vals[0]:.4g}, reading the outputs as probabilities {vals[1]:.4g}"
    drop = "# either drop the output activation\nkeras.layers.Dense(units)  # no activation: the loss applies it\n# or tell the loss the outputs are probabilities\n"
    return Symptom(
        ev + ". The loss applies a sigmoid/softmax again: gradients shrink and the loss value is wrong (no warning on jax or torch)",
        (drop if f.prob_act else "") + f"model.compile(loss={loss_constructor(f.loss_obj, info)}({info.switch}=False), ...)",
    )


def logits_to_probability_loss(f: Facts) -> Symptom | None:
    info = f.info
    if f.softmax_one_unit or info.from_logits or f.prob_act or f.in01:
        return None
    ev = f"output activation {f.activation!r}; outputs in {_range(f.out)} (outside [0, 1]); loss {info.name} with {info.switch}=False"
    vals = f.both_readings()
    if vals:
        ev += f": loss as compiled {vals[1]:.4g}, reading the outputs as logits {vals[0]:.4g}"
    return Symptom(
        ev + ". The loss clips them into [1e-7, 1 - 1e-7]: gradients vanish for most samples",
        f"model.compile(loss={loss_constructor(f.loss_obj, info)}({info.switch}=True), ...)  # outputs are logits\n# or add the activation: keras.layers.Dense(units, activation='sigmoid' or 'softmax')",
    )


def linear_output_probability_loss(f: Facts) -> Symptom | None:
    if f.softmax_one_unit or f.info.from_logits or f.prob_act or not f.in01:
        return None
    return Symptom(
        f"output activation {f.activation!r} but the loss expects probabilities; outputs are in {_range(f.out)} now but nothing keeps them in [0, 1] during training",
        "keras.layers.Dense(units, activation='sigmoid')  # or 'softmax'; or use from_logits=True",
    )


def sigmoid_under_categorical(f: Facts) -> Symptom | None:
    if f.activation != "sigmoid" or f.units <= 1 or not (f.y_is_onehot or f.y_is_labels):
        return None
    rows = f.out[f.finite_rows].sum(-1)
    return Symptom(
        f"{f.units} sigmoid units; one class per sample in y; output rows sum to {_range(rows)} instead of 1: categorical CE renormalises them and the model learns nothing about the other classes",
        f"keras.layers.Dense({f.units}, activation='softmax')\n# (sigmoid + BinaryCrossentropy is for multi-label targets only)",
    )


def integer_labels_categorical(f: Facts) -> Symptom | None:
    if not f.y_is_labels or f.units <= 1:
        return None
    values = sorted(set(np.unique(f.yf_ok).astype(int).tolist()))[:10]
    return Symptom(
        f"y has shape {tuple(f.y.shape)} with integer values {values} while the model outputs {f.units} classes; CategoricalCrossentropy expects one-hot rows",
        f"model.compile(loss=keras.losses.SparseCategoricalCrossentropy(), ...)\n# or: y = keras.utils.to_categorical(y, num_classes={f.units})",
    )


def onehot_labels_sparse(f: Facts) -> Symptom | None:
    if not f.y_is_onehot:
        return None
    return Symptom(
        f"y has shape {tuple(f.y.shape)} with one-hot rows; SparseCategoricalCrossentropy expects integer labels of shape (N,)",
        "model.compile(loss=keras.losses.CategoricalCrossentropy(), ...)\n# or: y = y.argmax(axis=-1)",
    )


def _label_range(f: Facts) -> tuple[int, int] | None:
    if not (f.y_is_labels and f.units > 1 and f.yf_ok.size):
        return None
    return int(f.yf_ok.min()), int(f.yf_ok.max())


def labels_one_based(f: Facts) -> Symptom | None:
    span = _label_range(f)
    if span is None or not (span[0] >= 1 and span[1] == f.units):
        return None
    lo, hi = span
    return Symptom(
        f"labels range over {lo}..{hi} with {f.units} output units: label {hi} has no output (some backends return NaN or garbage silently) and class 0 is never seen",
        "y = y - 1  # labels 0..K-1",
    )


def labels_out_of_range(f: Facts) -> Symptom | None:
    span = _label_range(f)
    if span is None or (span[0] >= 1 and span[1] == f.units) or not (span[0] < 0 or span[1] >= f.units):
        return None
    return Symptom(
        f"labels range over {span[0]}..{span[1]} but the model has {f.units} output units (valid labels 0..{f.units - 1})",
        f"# remap the labels to 0..K-1\ny = sklearn.preprocessing.LabelEncoder().fit_transform(y)\n# and build the output layer with K = {len(np.unique(f.yf_ok))} units",
    )


def bce_targets_out_of_range(f: Facts) -> Symptom | None:
    if not f.yf_ok.size or (float(f.yf_ok.min()) >= 0.0 and float(f.yf_ok.max()) <= 1.0):
        return None
    seen = np.unique(f.yf_ok)
    return Symptom(
        f"target values {seen[:6].tolist()}{' ...' if seen.size > 6 else ''} (range {_range(f.yf_ok)}); BCE is only defined for targets in [0, 1] and goes negative / unbounded otherwise",
        "y = (y == positive_label).astype('float32')  # e.g. {-1, 1} -> {0, 1}: y = (y > 0)",
    )


def _shape_message(f: Facts) -> str | None:
    kind, y2 = f.info.kind, f.y2
    if kind is LossKind.SPARSE:
        if y2.shape[1] != 1 and not f.y_is_onehot:
            return f"sparse labels must be (N,) or (N, 1); received y of shape {tuple(f.y.shape)}"
        if f.units == 1 and f.y_is_labels:
            return f"SparseCategoricalCrossentropy needs one output per class; the model has 1 output unit for {len(np.unique(f.yf_ok))} label values"
        return None
    if kind is LossKind.CCE:
        return f"y has {y2.shape[1]} columns, the model outputs {f.units}" if y2.shape[1] > 1 and y2.shape[1] != f.units else None
    if kind in (LossKind.BCE, LossKind.REGRESSION, LossKind.COUNT) and y2.shape[1] != f.units:
        return f"y has {y2.shape[1]} column(s) ({tuple(f.y.shape)}), the model outputs {f.units} ({tuple(f.out.shape)})"
    return None


def shape_mismatch(f: Facts) -> Symptom | None:
    msg = _shape_message(f)
    if msg is None:
        return None
    units = f.y2.shape[1] if f.info.kind is not LossKind.SPARSE else max(2, len(np.unique(f.yf_ok)))
    return Symptom(msg + "; Keras broadcasts or errors, and the loss compares the wrong numbers", f"keras.layers.Dense({units})  # one output per target column (per class for classification)")


def target_scale(f: Facts) -> Symptom | None:
    if not (f.info.squared and f.yf_ok.size):
        return None
    mean, std = float(np.mean(f.yf_ok)), float(np.std(f.yf_ok))
    if std <= 100.0 and abs(mean) <= 1000.0:
        return None
    out_ok = f.out[f.finite_rows]
    cols = f.y2.shape[1]
    init = float(np.mean((f.y2 - out_ok.reshape(out_ok.shape[0], -1)[:, :cols]) ** 2)) if out_ok.shape[-1] >= cols else float("nan")
    return Symptom(
        f"target mean {mean:.4g}, std {std:.4g}: the untrained model's MSE is {init:.3g}; gradients of that size make the optimiser diverge or crawl",
        "from sklearn.preprocessing import StandardScaler\nscaler = StandardScaler().fit(y_train.reshape(-1, 1))\ny_scaled = scaler.transform(y_train.reshape(-1, 1))\n# predict: scaler.inverse_transform(model.predict(x))  (or log1p for positive skewed targets)",
    )


def class_imbalance(f: Facts) -> Symptom | None:
    label_errors = {"labels_out_of_range", "labels_one_based", "bce_targets_out_of_range"} & set(f.found)
    if f.sample_weight is not None or f.class_weight or not f.yf_ok.size or label_errors:
        return None
    counts = np.array([])
    if f.y_is_onehot:
        counts = f.y2.sum(0)
    elif f.y_is_labels and (f.info.kind is LossKind.SPARSE or (f.info.kind is LossKind.BCE and set(np.unique(f.yf_ok).tolist()) <= {0.0, 1.0})):
        counts = np.unique(f.yf_ok, return_counts=True)[1]
    counts = counts[counts > 0]
    if counts.size < 2 or counts.max() / counts.min() < f.imbalance_ratio:
        return None
    share = counts.min() / counts.sum()
    return Symptom(
        f"class counts {counts.astype(int).tolist()[:10]}: the rarest class is {share:.1%} of the rows (ratio {counts.max() / counts.min():.0f}:1); an unweighted loss is minimised by predicting the majority",
        "from sklearn.utils.class_weight import compute_class_weight\nclasses = np.unique(y_labels)\nw = compute_class_weight('balanced', classes=classes, y=y_labels)\nmodel.fit(x, y, class_weight=dict(zip(classes, w)))  # or a focal loss: losslab.get('binary_focal_crossentropy')",
    )


_CLASSIFICATION = frozenset(k for k in LossKind if k.is_classification)
_CATEGORICAL = frozenset({LossKind.CCE, LossKind.SPARSE})
_SPARSE = frozenset({LossKind.SPARSE})

RULES: tuple[Rule, ...] = (
    Rule("non_finite_features", "error", "NaN or inf in the features", non_finite_features),
    Rule("non_finite_target", "error", "NaN or inf in the targets", non_finite_target),
    Rule("softmax_single_unit", "error", "softmax over a single unit always outputs 1.0", softmax_single_unit),
    Rule("probabilities_to_logits_loss", "error", "probabilities fed to a {switch}=True loss", probabilities_to_logits_loss, _CLASSIFICATION),
    Rule("logits_to_probability_loss", "error", "logits fed to a {switch}=False loss", logits_to_probability_loss, _CLASSIFICATION),
    Rule("linear_output_probability_loss", "warning", "linear output under a {switch}=False loss", linear_output_probability_loss, _CLASSIFICATION),
    Rule("sigmoid_under_categorical", "error", "sigmoid output under categorical cross-entropy for exclusive classes", sigmoid_under_categorical, _CATEGORICAL),
    Rule("integer_labels_categorical", "error", "integer labels with categorical cross-entropy", integer_labels_categorical, frozenset({LossKind.CCE})),
    Rule("onehot_labels_sparse", "error", "one-hot labels with sparse categorical cross-entropy", onehot_labels_sparse, _SPARSE),
    Rule("labels_one_based", "error", "labels are 1..K instead of 0..K-1", labels_one_based, _SPARSE),
    Rule("labels_out_of_range", "error", "labels outside 0..K-1", labels_out_of_range, _SPARSE),
    Rule("bce_targets_out_of_range", "error", "binary cross-entropy targets outside [0, 1]", bce_targets_out_of_range, frozenset({LossKind.BCE})),
    Rule("shape_mismatch", "error", "the model's output shape does not match the target", shape_mismatch),
    Rule("target_scale", "warning", "the target's scale makes the squared error explode", target_scale, frozenset({LossKind.REGRESSION})),
    Rule("class_imbalance", "warning", "strong class imbalance and no class or sample weights", class_imbalance, _CLASSIFICATION),
)
