"""``losslab.doctor(model, x, y)`` and ``losslab doctor MODEL DATA``: find the silent mistakes
between a model, its data and its loss.

Each :class:`Finding` has a severity (``error``: training is wrong; ``warning``: training is
likely poor; ``info``), the evidence (what was observed, with numbers) and the fix as code.

Detected: probabilities fed to a ``from_logits=True`` loss and logits fed to
``from_logits=False`` (from the output activation and the observed output range); a sigmoid
output under categorical cross-entropy; softmax over one unit; integer labels with
categorical CE and one-hot labels with sparse CE; labels 1..K or out of range; BCE targets
outside [0, 1]; a regression target whose scale makes MSE explode; strong class imbalance
with no weights; NaN/inf in features or targets; output shape vs target shape.
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from typing import Any, Literal

import numpy as np

from losslab.errors import DataError

__all__ = ["DoctorReport", "Finding", "doctor"]

Severity = Literal["error", "warning", "info"]


@dataclass
class Finding:
    """One problem found by :func:`doctor`.

    Attributes:
        code: a stable id (``"probabilities_to_logits_loss"``, ``"labels_one_based"`` ...).
        severity: ``"error"``, ``"warning"`` or ``"info"``.
        title: one line.
        evidence: what was observed, with numbers.
        fix: the fix as code.
    """

    code: str
    severity: Severity
    title: str
    evidence: str
    fix: str


@dataclass
class DoctorReport:
    """The outcome of :func:`doctor`.

    Attributes:
        findings: every finding, errors first.
        model: a summary of the model's output (activation, units, loss).
        data: a summary of the data (rows, feature count, target shape).
    """

    findings: list[Finding] = field(default_factory=list)
    model: dict[str, Any] = field(default_factory=dict)
    data: dict[str, Any] = field(default_factory=dict)

    @property
    def codes(self) -> list[str]:
        return [f.code for f in self.findings]

    @property
    def errors(self) -> list[Finding]:
        return [f for f in self.findings if f.severity == "error"]

    @property
    def ok(self) -> bool:
        """True when no error-severity finding exists."""
        return not self.errors

    @property
    def exit_code(self) -> int:
        return 0 if self.ok else 1

    def to_dict(self) -> dict[str, Any]:
        return {
            "ok": self.ok,
            "model": self.model,
            "data": self.data,
            "findings": [asdict(f) for f in self.findings],
        }

    def __str__(self) -> str:
        lines = [f"losslab doctor: {len(self.findings)} finding(s), {len(self.errors)} error(s)"]
        for f in self.findings:
            lines.append(f"  [{f.severity}] {f.code}: {f.title}")
            lines.append(f"      evidence: {f.evidence}")
            lines.append(f"      fix: {f.fix}")
        return "\n".join(lines)


# --------------------------------------------------------------------------- loss identity


@dataclass
class _LossInfo:
    kind: str  # bce, cce, sparse, regression, count, other
    from_logits: bool
    name: str
    squared: bool = False
    switch: str = "from_logits"


def _norm(text: str) -> str:
    return "".join(ch for ch in text.lower() if ch.isalnum())


def _kind_from_name(name: str) -> str | None:
    n = _norm(name)
    if "sparsecategorical" in n:
        return "sparse"
    if "categorical" in n:
        return "cce"
    if "binary" in n:
        return "bce"
    if n in ("mse", "mae", "l2", "l1", "huber", "huberloss", "logcosh", "msle", "mape") or any(
        k in n for k in ("meansquared", "meanabsolute", "logcosh", "huber")
    ):
        return "regression"
    if "poisson" in n:
        return "count"
    return None


def _identify_loss(loss: Any) -> _LossInfo:
    import keras

    from losslab.catalog import get_spec
    from losslab.errors import LosslabError

    spec = None
    obj = loss
    if isinstance(loss, str):
        try:
            spec = get_spec(loss)
        except LosslabError:
            try:
                obj = keras.losses.get(loss)
            except Exception:
                raise DataError(
                    f"Unknown loss {loss!r}. Pass a catalog name (losslab losses) or a Keras loss name."
                ) from None
        else:
            obj = spec.build()
    names = [type(obj).__name__, getattr(obj, "name", "") or "", getattr(obj, "__name__", "") or ""]
    if spec is None and not callable(obj):
        raise DataError(f"Not a loss: {obj!r}. Compile the model with a loss or pass loss=...")
    if spec is None:
        from losslab.verify._subject import _spec_for_class

        spec = _spec_for_class(type(obj)) if isinstance(obj, keras.losses.Loss) else None
    fn = getattr(obj, "fn", None)
    if fn is not None:
        names.append(getattr(fn, "__name__", ""))
    kind = None
    for n in names:
        kind = kind or (_kind_from_name(n) if n else None)
    if spec is not None:
        by_inputs = {"sparse": "sparse", "onehot": "cce", "binary": "bce", "binary_prob": "bce", "binary_logits": "bce", "multilabel": "bce"}
        kind = kind or by_inputs.get(spec.inputs) or {"regression": "regression", "count": "count"}.get(spec.family.value)
        names.append(spec.name)
    switch = (spec.from_logits_param if spec is not None else None) or "from_logits"
    from_logits = False
    cfg: Mapping[str, Any] = {}
    try:
        cfg = obj.get_config() if hasattr(obj, "get_config") else {}
    except Exception:
        cfg = {}
    if switch in cfg:
        from_logits = bool(cfg[switch])
    elif hasattr(obj, switch):
        from_logits = bool(getattr(obj, switch))
    elif isinstance(getattr(obj, "_fn_kwargs", None), dict):
        from_logits = bool(obj._fn_kwargs.get(switch, False))
    label = next((n for n in names if n), "loss")
    squared = any(k in _norm(" ".join(names)) for k in ("squared", "mse", "l2")) and "log" not in _norm(" ".join(names))
    return _LossInfo(kind or "other", from_logits, label, squared, switch)


def _output_activation(model: Any) -> str:
    import keras

    for layer in reversed(model.layers):
        if isinstance(layer, keras.layers.Softmax):
            return "softmax"
        act = getattr(layer, "activation", None)
        if act is not None:
            name = getattr(act, "__name__", None) or str(keras.activations.serialize(act))
            if isinstance(layer, keras.layers.Activation) or name != "linear" or layer.weights:
                return name
        if layer.weights:
            return "linear"
    return "linear"


# --------------------------------------------------------------------------- numpy losses


def _np_bce(y: np.ndarray, out: np.ndarray, logits: bool) -> float:
    y = y.astype(np.float64).reshape(out.shape)
    if logits:
        z = out.astype(np.float64)
        v = np.maximum(z, 0) - z * y + np.log1p(np.exp(-np.abs(z)))
    else:
        p = np.clip(out.astype(np.float64), 1e-7, 1 - 1e-7)
        v = -(y * np.log(p) + (1 - y) * np.log(1 - p))
    return float(np.mean(v))


def _np_ce(labels: np.ndarray, out: np.ndarray, logits: bool) -> float:
    z = out.astype(np.float64)
    idx = np.arange(z.shape[0])
    if logits:
        m = z.max(-1, keepdims=True)
        lse = (m + np.log(np.exp(z - m).sum(-1, keepdims=True)))[:, 0]
        return float(np.mean(lse - z[idx, labels]))
    p = np.clip(z / np.clip(z.sum(-1, keepdims=True), 1e-7, None), 1e-7, 1.0)
    return float(np.mean(-np.log(p[idx, labels])))


def _loss_ctor(loss_obj: Any, info: _LossInfo) -> str:
    """How to write the loss's constructor in a fix."""
    import keras

    if isinstance(loss_obj, keras.losses.Loss):
        cls = type(loss_obj)
        if cls.__module__.startswith("keras"):
            return f"keras.losses.{cls.__name__}"
        if cls.__module__.startswith("losslab"):
            return f"{cls.__module__}.{cls.__name__}"
        return cls.__name__
    default = {"bce": "BinaryCrossentropy", "cce": "CategoricalCrossentropy", "sparse": "SparseCategoricalCrossentropy"}
    return f"keras.losses.{default.get(info.kind, 'BinaryCrossentropy')}"


def _fmtr(a: np.ndarray) -> str:
    return f"[{float(np.min(a)):.4g}, {float(np.max(a)):.4g}]"


# --------------------------------------------------------------------------- doctor


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
    from losslab.verify._io import load_model, read_xy

    m = load_model(model)
    if data is not None:
        x, y = read_xy(data, target)
    if x is None or y is None:
        raise DataError("doctor needs data: pass x and y, or data=PATH with target=COLUMN.")
    x = np.asarray(x)
    y = np.asarray(y)
    if x.shape[0] != y.shape[0]:
        raise DataError(f"x and y have different numbers of rows. Received: x {x.shape}, y {y.shape}. Pass matching arrays.")
    rng = np.random.default_rng(0)
    if x.shape[0] > max_rows:
        idx = np.sort(rng.choice(x.shape[0], size=max_rows, replace=False))
        x, y = x[idx], y[idx]
        if sample_weight is not None:
            sample_weight = np.asarray(sample_weight)[idx]
    if len(getattr(m, "outputs", None) or [None]) > 1:
        raise DataError(
            f"doctor checks single-output models. Received a model with {len(m.outputs)} outputs. "
            "Build a model of the output to check (keras.Model(m.inputs, m.outputs[i])) and pass its loss."
        )
    loss_obj = loss if loss is not None else getattr(m, "loss", None)
    if isinstance(loss_obj, dict | list | tuple):
        raise DataError(
            f"doctor checks one loss. Received {type(loss_obj).__name__} of losses. Pass loss=... for the output to check."
        )
    if loss_obj is None:
        raise DataError("The model is not compiled and no loss was given. Compile it (model.compile(loss=...)) or pass loss=... (CLI: --loss NAME).")
    info = _identify_loss(loss_obj)
    report = DoctorReport()
    add = report.findings.append

    # ---- data hygiene (before the forward pass: NaN features make every output NaN)
    if np.issubdtype(x.dtype, np.number):
        bad_x = ~np.isfinite(x.astype(np.float64))
        if bad_x.any():
            cols = np.where(bad_x.reshape(x.shape[0], -1).any(0))[0][:5].tolist()
            add(Finding("non_finite_features", "error", "NaN or inf in the features",
                        f"{int(bad_x.sum())} non-finite value(s) in {int(bad_x.reshape(x.shape[0], -1).any(1).sum())} row(s); feature column(s) {cols}",
                        "from sklearn.impute import SimpleImputer\nx = np.where(np.isfinite(x), x, np.nan)\nx = SimpleImputer(strategy='median').fit_transform(x)  # or drop the rows"))
    y_num = np.issubdtype(y.dtype, np.number) or y.dtype == bool
    if not y_num:
        raise DataError(f"Targets must be numeric. Received dtype {y.dtype}. Encode labels as integers 0..K-1 (sklearn.preprocessing.LabelEncoder).")
    yf = y.astype(np.float64)
    bad_y = ~np.isfinite(yf)
    if bad_y.any():
        add(Finding("non_finite_target", "error", "NaN or inf in the targets",
                    f"{int(bad_y.sum())} non-finite target value(s) out of {yf.size}",
                    "keep = np.isfinite(y).all(axis=tuple(range(1, y.ndim)))\nx, y = x[keep], y[keep]"))
    finite_rows = np.isfinite(yf.reshape(yf.shape[0], -1)).all(1)
    yf_ok = yf[finite_rows]

    # ---- forward pass
    in_shape = tuple(m.inputs[0].shape[1:]) if getattr(m, "inputs", None) else None
    if in_shape is not None and len(in_shape) == x.ndim - 1:
        mism = [(a, b) for a, b in zip(in_shape, x.shape[1:], strict=True) if a is not None and a != b]
        if mism:
            raise DataError(
                f"The data does not match the model's input: the model expects samples of shape {in_shape}, "
                f"the data has {x.shape[1:]}. Pass the same feature columns the model was built for (without the target)."
            )
    try:
        xin = np.nan_to_num(x.astype(np.float32)) if np.issubdtype(x.dtype, np.number) else x
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # e.g. Keras's own softmax-over-one-unit warning: reported below
            out = np.asarray(m.predict(xin, verbose=0, batch_size=256))
    except Exception as e:
        first = (str(e).strip().splitlines() or [""])[0][:200]
        raise DataError(
            f"The model could not run on the data ({type(e).__name__}: {first}). Received x of shape {x.shape}; "
            f"the model expects {in_shape}. Pass the feature columns the model was built for."
        ) from None
    if out.ndim == 1:
        out = out[:, None]
    units = int(out.shape[-1])
    activation = _output_activation(m)
    report.model = {"loss": info.name, "loss_kind": info.kind, info.switch: info.from_logits,
                    "output_activation": activation, "output_units": units, "output_range": [float(np.nanmin(out)), float(np.nanmax(out))] if out.size else None}
    report.data = {"rows": int(x.shape[0]), "x_shape": list(x.shape[1:]), "y_shape": list(y.shape[1:]), "y_dtype": str(y.dtype)}
    out_f = out[np.isfinite(out).all(-1)] if out.ndim == 2 else out
    in01 = bool(out_f.size) and float(out_f.min()) >= 0.0 and float(out_f.max()) <= 1.0
    sums1 = units > 1 and in01 and bool(np.allclose(out_f.sum(-1), 1.0, atol=1e-3))
    prob_act = activation in ("sigmoid", "softmax")
    y2 = yf_ok.reshape(yf_ok.shape[0], -1)
    integral = bool(yf_ok.size) and bool(np.all(yf_ok == np.round(yf_ok)))
    y_is_onehot = y2.shape[1] > 1 and integral and bool(np.all((y2 == 0) | (y2 == 1))) and bool(np.all(y2.sum(1) == 1))
    y_is_labels = y2.shape[1] == 1 and integral
    classification = info.kind in ("bce", "cce", "sparse")

    # ---- softmax over one unit
    if activation == "softmax" and units == 1:
        add(Finding("softmax_single_unit", "error", "softmax over a single unit always outputs 1.0",
                    f"output layer: 1 unit with softmax; observed outputs {_fmtr(out)}: the gradient is zero and the model cannot learn",
                    "keras.layers.Dense(1, activation='sigmoid')  # binary task, with keras.losses.BinaryCrossentropy()\n# or Dense(K, activation='softmax') for K classes"))

    # ---- logits vs probabilities
    if classification and not (activation == "softmax" and units == 1):
        labels_for_ce = None
        if info.kind == "sparse" and y_is_labels:
            labels_for_ce = yf_ok.reshape(-1).astype(int)
        elif info.kind == "cce" and y_is_onehot and y2.shape[1] == units:
            labels_for_ce = y2.argmax(1)
        out_ok = out[finite_rows]

        def _both() -> tuple[float, float] | None:
            try:
                if info.kind == "bce" and y2.shape[1] == units and bool(np.all((y2 >= 0) & (y2 <= 1))):
                    return _np_bce(y2, out_ok, True), _np_bce(y2, out_ok, False)
                if labels_for_ce is not None and units > 1 and labels_for_ce.min() >= 0 and labels_for_ce.max() < units:
                    return _np_ce(labels_for_ce, out_ok, True), _np_ce(labels_for_ce, out_ok, False)
            except Exception:
                return None
            return None

        if info.from_logits and (prob_act or sums1):
            vals = _both()
            ev = f"output activation {activation!r}; outputs in {_fmtr(out)}; loss {info.name} with {info.switch}=True"
            if vals:
                ev += f": loss as compiled {vals[0]:.4g}, reading the outputs as probabilities {vals[1]:.4g}"
            fix_act = "keras.layers.Dense(units)  # no activation: the loss applies it" if prob_act else ""
            add(Finding("probabilities_to_logits_loss", "error", f"probabilities fed to a {info.switch}=True loss",
                        ev + ". The loss applies a sigmoid/softmax again: gradients shrink and the loss value is wrong (no warning on jax or torch)",
                        (f"# either drop the output activation\n{fix_act}\n# or tell the loss the outputs are probabilities\n" if fix_act else "")
                        + f"model.compile(loss={_loss_ctor(loss_obj, info)}({info.switch}=False), ...)"))
        elif not info.from_logits and not prob_act and not in01:
            vals = _both()
            ev = f"output activation {activation!r}; outputs in {_fmtr(out)} (outside [0, 1]); loss {info.name} with {info.switch}=False"
            if vals:
                ev += f": loss as compiled {vals[1]:.4g}, reading the outputs as logits {vals[0]:.4g}"
            add(Finding("logits_to_probability_loss", "error", f"logits fed to a {info.switch}=False loss",
                        ev + ". The loss clips them into [1e-7, 1 - 1e-7]: gradients vanish for most samples",
                        f"model.compile(loss={_loss_ctor(loss_obj, info)}({info.switch}=True), ...)  # outputs are logits\n# or add the activation: keras.layers.Dense(units, activation='sigmoid' or 'softmax')"))
        elif not info.from_logits and not prob_act and in01:
            add(Finding("linear_output_probability_loss", "warning", f"linear output under a {info.switch}=False loss",
                        f"output activation {activation!r} but the loss expects probabilities; outputs are in {_fmtr(out)} now but nothing keeps them in [0, 1] during training",
                        "keras.layers.Dense(units, activation='sigmoid')  # or 'softmax'; or use from_logits=True"))

    # ---- sigmoid under categorical CE
    if info.kind in ("cce", "sparse") and activation == "sigmoid" and units > 1 and (y_is_onehot or y_is_labels):
        rows = out[finite_rows].sum(-1)
        add(Finding("sigmoid_under_categorical", "error", "sigmoid output under categorical cross-entropy for exclusive classes",
                    f"{units} sigmoid units; one class per sample in y; output rows sum to {_fmtr(rows)} instead of 1: categorical CE renormalises them and the model learns nothing about the other classes",
                    f"keras.layers.Dense({units}, activation='softmax')\n# (sigmoid + BinaryCrossentropy is for multi-label targets only)"))

    # ---- label encodings vs loss
    if info.kind == "cce" and y_is_labels and units > 1:
        add(Finding("integer_labels_categorical", "error", "integer labels with categorical cross-entropy",
                    f"y has shape {tuple(y.shape)} with integer values {sorted(set(np.unique(yf_ok).astype(int).tolist()))[:10]} while the model outputs {units} classes; CategoricalCrossentropy expects one-hot rows",
                    f"model.compile(loss=keras.losses.SparseCategoricalCrossentropy(), ...)\n# or: y = keras.utils.to_categorical(y, num_classes={units})"))
    if info.kind == "sparse" and y_is_onehot:
        add(Finding("onehot_labels_sparse", "error", "one-hot labels with sparse categorical cross-entropy",
                    f"y has shape {tuple(y.shape)} with one-hot rows; SparseCategoricalCrossentropy expects integer labels of shape (N,)",
                    "model.compile(loss=keras.losses.CategoricalCrossentropy(), ...)\n# or: y = y.argmax(axis=-1)"))
    if info.kind == "sparse" and y_is_labels and units > 1 and yf_ok.size:
        lo, hi = int(yf_ok.min()), int(yf_ok.max())
        if lo >= 1 and hi == units:
            add(Finding("labels_one_based", "error", "labels are 1..K instead of 0..K-1",
                        f"labels range over {lo}..{hi} with {units} output units: label {hi} has no output (some backends return NaN or garbage silently) and class 0 is never seen",
                        "y = y - 1  # labels 0..K-1"))
        elif lo < 0 or hi >= units:
            add(Finding("labels_out_of_range", "error", "labels outside 0..K-1",
                        f"labels range over {lo}..{hi} but the model has {units} output units (valid labels 0..{units - 1})",
                        f"# remap the labels to 0..K-1\ny = sklearn.preprocessing.LabelEncoder().fit_transform(y)\n# and build the output layer with K = {len(np.unique(yf_ok))} units"))
    elif info.kind == "sparse" and y_is_labels and units == 1 and yf_ok.size and int(yf_ok.max()) >= 1:
        pass  # reported as shape_mismatch below

    # ---- BCE targets
    if info.kind == "bce" and yf_ok.size and (float(yf_ok.min()) < 0.0 or float(yf_ok.max()) > 1.0):
        seen = np.unique(yf_ok)
        shown = seen[:6].tolist()
        add(Finding("bce_targets_out_of_range", "error", "binary cross-entropy targets outside [0, 1]",
                    f"target values {shown}{' ...' if seen.size > 6 else ''} (range {_fmtr(yf_ok)}); BCE is only defined for targets in [0, 1] and goes negative / unbounded otherwise",
                    "y = (y == positive_label).astype('float32')  # e.g. {-1, 1} -> {0, 1}: y = (y > 0)"))

    # ---- output shape vs target shape
    shape_msg = None
    if info.kind == "sparse":
        if y2.shape[1] != 1 and not y_is_onehot:
            shape_msg = f"sparse labels must be (N,) or (N, 1); received y of shape {tuple(y.shape)}"
        elif units == 1 and y_is_labels:
            shape_msg = f"SparseCategoricalCrossentropy needs one output per class; the model has 1 output unit for {len(np.unique(yf_ok))} label values"
    elif info.kind == "cce":
        if y2.shape[1] > 1 and y2.shape[1] != units:
            shape_msg = f"y has {y2.shape[1]} columns, the model outputs {units}"
    elif info.kind in ("bce", "regression", "count") and y2.shape[1] != units :
        shape_msg = f"y has {y2.shape[1]} column(s) ({tuple(y.shape)}), the model outputs {units} ({tuple(out.shape)})"
    if shape_msg:
        add(Finding("shape_mismatch", "error", "the model's output shape does not match the target",
                    shape_msg + "; Keras broadcasts or errors, and the loss compares the wrong numbers",
                    f"keras.layers.Dense({y2.shape[1] if info.kind != 'sparse' else max(2, len(np.unique(yf_ok)))})  # one output per target column (per class for classification)"))

    # ---- regression target scale
    if info.kind == "regression" and info.squared and yf_ok.size:
        mean, std = float(np.mean(yf_ok)), float(np.std(yf_ok))
        if std > 100.0 or abs(mean) > 1000.0:
            out_ok = out[finite_rows]
            init = float(np.mean((y2 - out_ok.reshape(out_ok.shape[0], -1)[:, : y2.shape[1]]) ** 2)) if out_ok.shape[-1] >= y2.shape[1] else float("nan")
            add(Finding("target_scale", "warning", "the target's scale makes the squared error explode",
                        f"target mean {mean:.4g}, std {std:.4g}: the untrained model's MSE is {init:.3g}; gradients of that size make the optimiser diverge or crawl",
                        "from sklearn.preprocessing import StandardScaler\nscaler = StandardScaler().fit(y_train.reshape(-1, 1))\ny_scaled = scaler.transform(y_train.reshape(-1, 1))\n# predict: scaler.inverse_transform(model.predict(x))  (or log1p for positive skewed targets)"))

    # ---- class imbalance
    label_errors = {"labels_out_of_range", "labels_one_based", "bce_targets_out_of_range"} & set(report.codes)
    if classification and sample_weight is None and not class_weight and yf_ok.size and not label_errors:
        if y_is_onehot:
            counts = y2.sum(0)
        elif y_is_labels and (info.kind == "sparse" or (info.kind == "bce" and set(np.unique(yf_ok).tolist()) <= {0.0, 1.0})):
            _, counts = np.unique(yf_ok, return_counts=True)
        else:
            counts = np.array([])
        counts = counts[counts > 0] if counts.size else counts
        if counts.size >= 2 and counts.max() / counts.min() >= imbalance_ratio:
            share = counts.min() / counts.sum()
            add(Finding("class_imbalance", "warning", "strong class imbalance and no class or sample weights",
                        f"class counts {counts.astype(int).tolist()[:10]}: the rarest class is {share:.1%} of the rows (ratio {counts.max() / counts.min():.0f}:1); an unweighted loss is minimised by predicting the majority",
                        "from sklearn.utils.class_weight import compute_class_weight\nclasses = np.unique(y_labels)\nw = compute_class_weight('balanced', classes=classes, y=y_labels)\nmodel.fit(x, y, class_weight=dict(zip(classes, w)))  # or a focal loss: losslab.get('binary_focal_crossentropy')"))

    order = {"error": 0, "warning": 1, "info": 2}
    report.findings.sort(key=lambda f: order[f.severity])
    return report
