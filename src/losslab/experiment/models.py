"""Model bodies: the default tabular MLP or a user's ``build_model``, the seeded initial
weights shared by every candidate, and the full model (body + catalog head).

A *body* maps the inputs to a feature vector; losslab appends the output head the loss
needs. A user's ``build_model(input_shape) -> keras.Model`` returns such a body (a Keras
model WITHOUT the output layer), e.g.::

    def build_model(input_shape):
        inputs = keras.Input(input_shape)
        x = keras.layers.Conv1D(16, 3, activation="relu")(inputs)
        x = keras.layers.GlobalAveragePooling1D()(x)
        return keras.Model(inputs, x)
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

import numpy as np

from losslab.errors import InvalidParameterError

__all__ = ["BuildModel", "build_body", "set_seed", "build_full_model", "load_initial_weights", "mlp_config", "save_initial_weights"]

BuildModel = Callable[[tuple[int, ...]], Any]


def mlp_config(hidden: Sequence[int] = (32, 32), activation: str = "relu", dropout: float = 0.0) -> dict[str, Any]:
    """The JSON description of the default tabular MLP."""
    hidden = [int(h) for h in hidden]
    if not hidden or any(h < 1 for h in hidden):
        raise InvalidParameterError(
            f"hidden must be a non-empty list of positive layer widths. Received: hidden={hidden!r}. "
            "Pass e.g. hidden=(32, 32)."
        )
    if not 0.0 <= float(dropout) < 1.0:
        raise InvalidParameterError(f"dropout must be in [0, 1). Received: dropout={dropout!r}.")
    return {"kind": "mlp", "hidden": hidden, "activation": activation, "dropout": float(dropout)}


def set_seed(seed: int) -> None:
    """``keras.utils.set_random_seed`` without importing TensorFlow on other backends.

    Keras's helper imports TensorFlow (seconds) to seed ``tf.data`` even under JAX or torch;
    losslab feeds NumPy arrays, so on those backends Python, NumPy, the Keras global seed
    generator (and torch) are seeded directly. Under TensorFlow, or when TensorFlow is
    already imported, Keras's own helper runs.
    """
    import sys

    import keras

    if keras.backend.backend() == "tensorflow" or "tensorflow" in sys.modules:
        keras.utils.set_random_seed(seed)
        return
    try:
        import random

        from keras.src.backend.common import global_state
        from keras.src.random import seed_generator
        from keras.src.utils import rng_utils
    except ImportError:  # a Keras layout change: fall back to the public helper
        keras.utils.set_random_seed(seed)
        return
    global_state.set_global_attribute(rng_utils.GLOBAL_RANDOM_SEED, seed)
    global_state.set_global_attribute(seed_generator.GLOBAL_SEED_GENERATOR, None)
    random.seed(seed)
    np.random.seed(seed)
    if keras.backend.backend() == "torch":
        import torch

        torch.manual_seed(seed)


def build_body(model: Mapping[str, Any] | BuildModel, input_shape: tuple[int, ...], seed: int) -> Any:
    """Build the body (inputs -> features) with seeded initialisers.

    Args:
        model: an :func:`mlp_config` dict or a user's ``build_model(input_shape)``.
        input_shape: shape of one sample.
        seed: the training seed.

    Returns:
        A ``keras.Model`` whose output is the feature tensor (rank 2: ``(batch, features)``).
    """
    import keras

    set_seed(seed)
    if callable(model):
        body = model(tuple(input_shape))
        if not isinstance(body, keras.Model):
            raise InvalidParameterError(
                "build_model must return a keras.Model (the body, without the output layer). "
                f"Received: {type(body).__name__}. Return keras.Model(inputs, features)."
            )
        if len(body.outputs) != 1 or len(body.outputs[0].shape) != 2:
            raise InvalidParameterError(
                "build_model must return one output of shape (batch, features). Received outputs "
                f"{[tuple(o.shape) for o in body.outputs]}. Add a Flatten or pooling layer at the end."
            )
        return body
    if model.get("kind") != "mlp":
        raise InvalidParameterError(f"Unknown model kind {model.get('kind')!r}. Use an MLP config or a build_model callable.")
    inputs = keras.Input(shape=tuple(input_shape), name="features")
    x = inputs
    if len(input_shape) > 1:
        x = keras.layers.Flatten()(x)
    for i, width in enumerate(model["hidden"]):
        x = keras.layers.Dense(
            width,
            activation=model.get("activation", "relu"),
            kernel_initializer=keras.initializers.GlorotUniform(seed=seed * 7919 + i),
            name=f"dense_{i}",
        )(x)
        if model.get("dropout"):
            x = keras.layers.Dropout(model["dropout"], seed=seed * 7919 + 100 + i)(x)
    return keras.Model(inputs, x, name="losslab_mlp_body")


def save_initial_weights(body: Any, store: Any, seed: int) -> None:
    """Store ``body``'s weights as the initial weights of ``seed`` (``init/seed-<S>.npz``)."""
    store.write_initial_weights(seed, body.get_weights())


def load_initial_weights(body: Any, store: Any, seed: int) -> None:
    """Set ``body``'s weights to the stored initial weights of ``seed`` (a :class:`RunStore`)."""
    weights = store.read_initial_weights(seed)
    current = body.get_weights()
    if len(weights) != len(current) or any(a.shape != b.shape for a, b in zip(weights, current, strict=True)):
        raise InvalidParameterError(
            f"The stored initial weights in {store.init_weights_path(seed)} do not match the model body. "
            "The model changed since the run started: use another run directory."
        )
    body.set_weights(weights)


def build_full_model(body: Any, head_layer: Any) -> Any:
    """``keras.Model(body.inputs, head_layer(body.output))``."""
    import keras

    inputs = body.inputs[0] if len(body.inputs) == 1 else body.inputs
    return keras.Model(inputs, head_layer(body.outputs[0]))
