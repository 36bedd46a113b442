"""Tiny models and synthetic data for the "the loss falls" training tests, chosen from a
loss's catalog metadata (its head, its input generator, its logits switch), never its name.

- Generic: features that carry the target (a noisy copy of y_true, one-hot for class ids)
  plus pure-noise columns -> Dense(32, relu) -> Dense(output size) -> the head's activation.
- Segmentation (family): a noisy image of the mask -> Conv2D(8, 3) -> Conv2D(channels, 1).
- Boxes (head): a dense net emitting [y1, x1, y1 + softplus(h), x1 + softplus(w)].
- Pair distances (contrastive): a siamese embedding net and the Euclidean distance.
- L2-normalised embeddings (circle): the embedding net with a UnitNormalization layer.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from losslab.catalog import LossSpec
from losslab.catalog.inputs import generate

N = 64  # one full batch: per-batch losses see the same batch every step


def fit_params(spec: LossSpec) -> dict[str, Any]:
    """The spec's declared example parameters (values for None defaults), with the logits
    switch on when the loss has one, so every model can end in a linear layer."""
    params = dict(spec.extra.get("example_params", {})) if spec.extra else {}
    if spec.from_logits_param:
        params[spec.from_logits_param] = True
    return spec.validate_params(params)


def _activation(spec: LossSpec, params: dict[str, Any]) -> str:
    from losslab.catalog import Head

    if spec.from_logits_param and params.get(spec.from_logits_param):
        return "linear"
    if spec.head == Head.SIGMOID:
        return "sigmoid"
    if spec.head == Head.SOFTMAX:
        return "softmax"
    if spec.head == Head.POSITIVE and "log_input" not in params:
        return "softplus"  # Keras's Poisson takes the rate itself
    return "linear"


def _features(rng: np.random.Generator, y_true: np.ndarray) -> np.ndarray:
    y = np.asarray(y_true)
    if np.issubdtype(y.dtype, np.integer) and y.ndim == 1:
        y = np.eye(int(y.max()) + 1)[y]
    y = y.reshape(len(y), -1).astype("float32")
    noise = rng.normal(size=(len(y), 8)).astype("float32")
    return np.concatenate([y + 0.3 * rng.normal(size=y.shape).astype("float32"), noise], axis=1)


def _dense_net(
    keras: Any, n_in: int, out_shape: tuple[int, ...], activation: str, seed: int
) -> Any:
    init = keras.initializers.GlorotUniform(seed=seed)
    x = inp = keras.Input((n_in,))
    x = keras.layers.Dense(32, activation="relu", kernel_initializer=init)(x)
    x = keras.layers.Dense(int(np.prod(out_shape)), kernel_initializer=init)(x)
    x = keras.layers.Reshape(out_shape)(x)
    x = keras.layers.Activation(activation)(x)
    return keras.Model(inp, x)


def _segmentation(keras: Any, rng, y_true, y_pred, activation, seed):
    c = y_pred.shape[-1]
    image = (
        np.eye(c)[y_true]
        if np.issubdtype(y_true.dtype, np.integer)
        else y_true.reshape(y_pred.shape)
    )
    x_img = (image + 0.5 * rng.normal(size=image.shape)).astype("float32")
    init = keras.initializers.GlorotUniform(seed=seed)
    x = inp = keras.Input(x_img.shape[1:])
    x = keras.layers.Conv2D(8, 3, padding="same", activation="relu", kernel_initializer=init)(x)
    x = keras.layers.Conv2D(c, 1, activation=activation, kernel_initializer=init)(x)
    return keras.Model(inp, x), x_img


def _boxes(keras: Any, rng, y_true, seed):
    x_in = _features(rng, y_true)
    init = keras.initializers.GlorotUniform(seed=seed)
    x = inp = keras.Input((x_in.shape[1],))
    x = keras.layers.Dense(32, activation="relu", kernel_initializer=init)(x)
    raw = keras.layers.Dense(4, kernel_initializer=init)(x)

    def to_box(r):
        ops = keras.ops
        y1, x1 = r[:, :1], r[:, 1:2]
        return ops.concatenate(
            [y1, x1, y1 + ops.softplus(r[:, 2:3]), x1 + ops.softplus(r[:, 3:4])], axis=1
        )

    return keras.Model(inp, keras.layers.Lambda(to_box)(raw)), x_in


def _siamese(keras: Any, rng, y_true, seed):
    """Pairs (a, b): similar pairs are noisy copies, dissimilar ones independent points."""
    a = rng.normal(size=(len(y_true), 8))
    b = np.where(
        y_true[:, None] > 0.5, a + 0.2 * rng.normal(size=a.shape), rng.normal(size=a.shape)
    )
    init = keras.initializers.GlorotUniform(seed=seed)
    embed = keras.Sequential(
        [
            keras.layers.Dense(16, activation="relu", kernel_initializer=init),
            keras.layers.Dense(4, kernel_initializer=init),
        ]
    )
    ia, ib = keras.Input((8,)), keras.Input((8,))
    dist = keras.layers.Lambda(
        lambda t: keras.ops.sqrt(keras.ops.sum(keras.ops.square(t[0] - t[1]), axis=1) + 1e-9)
    )([embed(ia), embed(ib)])
    return keras.Model([ia, ib], dist), [a.astype("float32"), b.astype("float32")]


def build(spec: LossSpec, params: dict[str, Any], seed: int = 0) -> tuple[Any, Any, np.ndarray]:
    """(model, x, y_true) for one loss."""
    import keras

    from losslab.catalog import Family, Head

    keras.utils.set_random_seed(seed)
    rng = np.random.default_rng(seed)
    y_true, y_pred = generate(spec.inputs, n=N, params=params, seed=seed)
    activation = _activation(spec, params)
    if spec.family == Family.SEGMENTATION:
        model, x = _segmentation(keras, rng, y_true, y_pred, activation, seed)
    elif spec.head == Head.BOXES:
        model, x = _boxes(keras, rng, y_true, seed)
    elif spec.inputs == "pair_distances":
        model, x = _siamese(keras, rng, y_true, seed)
    else:
        x = _features(rng, y_true)
        model = _dense_net(keras, x.shape[1], tuple(y_pred.shape[1:]), activation, seed)
        if spec.inputs == "unit_embedding_labels":
            model = keras.Sequential([model, keras.layers.UnitNormalization()])
    return model, x, y_true
