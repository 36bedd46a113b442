"""The self-contained inference model: raw table columns in, predictions in the target's
units out, saved as one ``.keras`` file that loads with Keras alone (no losslab).

Layout of the model::

    {column: Input}  ->  numeric: Concatenate -> Normalization(mean, variance)
                         categorical: StringLookup(vocabulary, one OOV bucket, one_hot)
                                      -> frozen Dense (drops the OOV column, routes the
                                         missing-value token to the training mode)
                     ->  Concatenate (the protocol's feature order)
                     ->  the trained network (body + head)
                     ->  the catalog's predict transform (frozen layers, below)
                     ->  "prediction"

Why the layers directly and not ``keras.utils.FeatureSpace``: FeatureSpace learns its own
statistics with ``adapt`` and has no median imputation; the protocol's statistics are
already fit (scikit-learn, training rows only, :mod:`losslab.experiment.columns`) and the
layers take them as constructor arguments, so the exported model reproduces the trial's
preprocessing exactly. Only Keras built-in layers are used (no ``Lambda``): every affine
step (selection, de-standardisation, differences, cumulative sums) is a ``Dense`` layer with
fixed, non-trainable weights, every non-linear step an ``Activation`` / ``ReLU`` /
``Softmax``.

Limits (stated in the model card): string inputs (categorical columns) need the TensorFlow
backend, as Keras's lookup layers are tf.data layers; numeric-only models run on every
backend. Missing numeric values must be filled before calling the model (``losslab predict``
fills them with the stored medians, listed in ``card.json``): Keras has no built-in layer
that replaces NaN. CORAL's clip-and-renormalise of crossed thresholds is not reproduced (the
exported probabilities equal the catalog's whenever the K-1 cumulative probabilities are
ordered).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

from losslab.catalog import Head, LossSpec
from losslab.errors import InvalidParameterError
from losslab.experiment.columns import MISSING_TOKEN, ColumnSchema
from losslab.experiment.heads import HeadSpec

__all__ = ["OutputTransform", "build_inference_model", "clip_layers", "output_transform"]


@dataclass(frozen=True)
class OutputTransform:
    """What turns the raw output into the prediction.

    Attributes:
        steps: ``("sigmoid" | "softmax" | "exponential" | "clip01" | "sparsemax" | "coral"
            | "corn" | "first_half", ...)`` applied in order.
        shift, scale: target de-standardisation per target column (``scale`` None: none).
        bounds: ``(low, high)`` a positive head's prediction is capped to
            (:func:`losslab.experiment.positive_guard.positive_bounds`), as in the trial; None: no cap.
    """

    steps: tuple[str, ...]
    shift: np.ndarray | None = None
    scale: np.ndarray | None = None
    bounds: tuple[float, float] | None = None


def _predict_name(spec: LossSpec) -> str | None:
    return None if spec.predict is None else str(spec.predict).rsplit(":", 1)[-1]


def output_transform(
    spec: LossSpec,
    hs: HeadSpec,
    params: Mapping[str, Any],
    shift: np.ndarray,
    scale: np.ndarray | None,
    *,
    bounds: tuple[float, float] | None = None,
) -> OutputTransform:
    """The transform equal to :func:`losslab.experiment.heads.to_prediction` followed by the
    trial's target de-standardisation, chosen from the entry's predict function and head.

    Raises:
        InvalidParameterError: a predict function with no Keras-layer equivalent.

    Example:
        >>> from losslab.catalog import get_spec
        >>> from losslab.experiment.heads import head_spec
        >>> s = get_spec("poisson_nll")
        >>> output_transform(s, head_spec(s, {}, task="count"), {}, np.zeros(1), None).steps
        ('exponential',)
    """
    full = {**spec.defaults, **dict(params)}
    logits = bool(full.get("from_logits", False))
    name = _predict_name(spec)
    table: dict[str | None, tuple[str, ...]] = {
        "predict_binary": ("sigmoid",) if logits else ("clip01",),
        "predict_hinge": ("sigmoid",),
        "predict_probability": ("sigmoid",) if logits else (),
        # a softmax output already sums to one: the renormalisation is the identity
        "predict_class_probabilities": ("softmax",) if logits else (),
        "predict_categorical": ("softmax",) if logits else (),
        "predict_sparse": ("softmax",) if logits else (),
        "predict_multiclass_scores": ("softmax",),
        "predict_sparsemax": ("sparsemax",),
        "predict_coral": ("coral",),
        "predict_corn": ("corn",),
        "predict_mean": ("exponential",) if full.get("log_input", True) is True else (),
        "predict_mean_scale": ("first_half",),
    }
    if name is None:
        steps = {Head.BINARY_LOGITS: ("sigmoid",), Head.MULTICLASS_LOGITS: ("softmax",)}.get(
            hs.head, ()
        )
    elif name in table:
        steps = table[name]
    else:
        raise InvalidParameterError(
            f"Loss '{spec.name}' turns outputs into predictions with {spec.predict!r}, which has no "
            "Keras-layer form. Received a candidate of this loss. Use the trained model "
            "(trials/<id>.keras) and the catalog's predict function instead."
        )
    return OutputTransform(
        steps,
        None if scale is None else np.asarray(shift, float),
        None if scale is None else np.asarray(scale, float),
        bounds if hs.head == Head.POSITIVE else None,
    )


def clip_layers(x: Any, bounds: tuple[float, float]) -> Any:
    """``min(max(x, low), high)`` from built-in layers: shift by -low, ReLU capped at
    high - low, shift back (an infinite value lands on ``high``, as in the trial)."""
    import keras

    low, high = (float(b) for b in bounds)
    x = keras.layers.Rescaling(1.0, offset=-low, name="cap_shift")(x)
    x = keras.layers.ReLU(max_value=high - low, name="cap")(x)
    return keras.layers.Rescaling(1.0, offset=low, name="cap_unshift")(x)


def _frozen_dense(x: Any, kernel: np.ndarray, bias: np.ndarray | None, name: str) -> Any:
    import keras

    layer = keras.layers.Dense(
        kernel.shape[1], use_bias=bias is not None, trainable=False, name=name
    )
    y = layer(x)
    layer.set_weights(
        [kernel.astype("float32")] + ([] if bias is None else [bias.astype("float32")])
    )
    return y


def _levels_to_probs(x: Any, k1: int, name: str) -> Any:
    """``[1, P(y>0), .., P(y>K-2), 0]`` differences, clipped at 0."""
    import keras

    kernel = np.zeros((k1, k1 + 1))
    for j in range(k1):
        kernel[j, j] -= 1.0
        kernel[j, j + 1] += 1.0
    bias = np.zeros(k1 + 1)
    bias[0] = 1.0
    return keras.layers.ReLU(name=f"{name}_clip")(
        _frozen_dense(x, kernel, bias, f"{name}_differences")
    )


def _apply_step(x: Any, step: str, i: int) -> Any:
    import keras

    name = f"predict_{i}_{step}"
    width = int(x.shape[-1])
    if step in ("sigmoid", "exponential", "sparsemax"):
        return keras.layers.Activation(step, name=name)(x)
    if step == "softmax":
        return keras.layers.Softmax(name=name)(x)
    if step == "clip01":
        return keras.layers.ReLU(max_value=1.0, name=name)(x)
    if step == "coral":
        return _levels_to_probs(keras.layers.Activation("sigmoid", name=name)(x), width, name)
    if step == "corn":
        logp = keras.layers.Activation("log_sigmoid", name=name)(x)
        cum = _frozen_dense(logp, np.triu(np.ones((width, width))), None, f"{name}_cumsum")
        return _levels_to_probs(
            keras.layers.Activation("exponential", name=f"{name}_exp")(cum), width, name
        )
    if step == "first_half":
        return _frozen_dense(x, np.eye(width)[:, : width // 2], None, name)
    raise InvalidParameterError(f"Unknown output step {step!r}.")


def _destandardise(x: Any, t: OutputTransform) -> Any:
    width = int(x.shape[-1])
    d = len(t.scale)  # type: ignore[arg-type]
    reps = width // d
    return _frozen_dense(x, np.diag(np.tile(t.scale, reps)), np.tile(t.shift, reps), "target_units")


def _encoded_inputs(schema: ColumnSchema) -> tuple[dict[str, Any], Any]:
    import keras

    inputs: dict[str, Any] = {}
    parts = []
    if schema.numeric:
        for c in schema.numeric:
            inputs[c.name] = keras.Input(shape=(1,), dtype="float32", name=c.name)
        num = [inputs[c.name] for c in schema.numeric]
        x = keras.layers.Concatenate(name="numeric")(num) if len(num) > 1 else num[0]
        norm = keras.layers.Normalization(
            mean=[c.mean for c in schema.numeric],
            variance=[c.scale**2 for c in schema.numeric],
            name="standardize",
        )
        parts.append(norm(x))
    for j, c in enumerate(schema.categorical):
        inp = keras.Input(shape=(1,), dtype="string", name=c.name)
        inputs[c.name] = inp
        vocab = list(c.categories) + ([MISSING_TOKEN] if MISSING_TOKEN not in c.categories else [])
        oh = keras.layers.StringLookup(
            vocabulary=vocab, num_oov_indices=1, output_mode="one_hot", name=f"lookup_{j}"
        )(inp)
        sel = np.zeros((len(vocab) + 1, len(c.categories)))
        for i in range(len(c.categories)):
            sel[i + 1, i] = 1.0
        if MISSING_TOKEN not in c.categories and c.mode in c.categories:  # else: all zeros
            sel[len(vocab), c.categories.index(c.mode)] = 1.0
        parts.append(_frozen_dense(oh, sel, None, f"onehot_{j}"))
    x = keras.layers.Concatenate(name="features")(parts) if len(parts) > 1 else parts[0]
    return inputs, x


def build_inference_model(
    network: Any, schema: ColumnSchema, transform: OutputTransform, *, name: str = "losslab_model"
) -> Any:
    """The raw-column model around a trained ``network`` (preprocessed features -> raw output).

    Args:
        network: the trained Keras model of a trial or a refit (body + head).
        schema: the run's :class:`~losslab.experiment.columns.ColumnSchema`.
        transform: the :func:`output_transform` of the candidate.
        name: the model's name.

    Returns:
        An uncompiled ``keras.Model`` taking a dict of named columns and returning one tensor
        named ``prediction``.

    Example:
        >>> m = build_inference_model(network, schema, transform)  # doctest: +SKIP
        >>> m.save("model.keras")  # loads with keras.saving.load_model alone  # doctest: +SKIP
    """
    import keras

    inputs, x = _encoded_inputs(schema)
    # an uncompiled view of the trained layers: a compiled network would carry its loss
    # (a losslab class) into the file, and the file must load without losslab
    net = keras.Model(network.inputs, network.outputs, name="network")
    y = net(x)
    if isinstance(y, list | tuple):  # a loaded functional model returns its outputs as a list
        y = y[0]
    for i, step in enumerate(transform.steps):
        y = _apply_step(y, step, i)
    if transform.scale is not None:
        y = _destandardise(y, transform)
    if transform.bounds is not None:
        y = clip_layers(y, transform.bounds)
    y = keras.layers.Identity(name="prediction")(y)
    return keras.Model(inputs, y, name=name)
