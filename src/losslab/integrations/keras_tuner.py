"""KerasTuner hypermodels that search the loss: the loss and its hyperparameters come from the
catalog's declared search spaces (``Param.search``, the same spaces ``losslab tune`` uses),
and :func:`head` builds the output layer the chosen loss needs (the catalog's head metadata,
as ``losslab compare`` builds it).

Example (a KerasTuner hypermodel)::

    import keras, keras_tuner
    from losslab.integrations import keras_tuner as lt

    def build(hp):
        inputs = keras.Input((n_features,))
        x = keras.layers.Dense(hp.Int("units", 16, 64, step=16), activation="relu")(inputs)
        outputs = lt.head(hp, task="regression")(x)       # identity, quantiles, positive ...
        model = keras.Model(inputs, outputs)
        model.compile("adam", loss=lt.loss(hp, ["mse", "huber", "pinball:tau=0.9"]))
        return model

    keras_tuner.RandomSearch(build, objective="val_loss", max_trials=10).search(x, y, ...)

Nothing here imports ``keras_tuner``: ``hp`` is the ``keras_tuner.HyperParameters`` the tuner
passes to the hypermodel. The objective should be a judge metric of your own or
``val_loss`` of a single-loss search: training losses of different losses are not comparable
(``losslab tune`` optimises a judge metric on the validation split for that reason).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from losslab.catalog import LossSpec, parse_loss_string
from losslab.errors import InvalidParameterError
from losslab.experiment.heads import build_head_layer, head_spec
from losslab.experiment.tuner import search_space

__all__ = ["chosen", "head", "loss", "param_name"]

_SCALARS = (str, int, float, bool)


def param_name(spec: LossSpec, param: str, label: str, labels: Sequence[str]) -> str:
    """The hyperparameter name of a loss parameter: ``<loss>.<param>`` as ``losslab tune``
    names it, or ``<choice>.<param>`` when two choices are the same loss.

    Example:
        >>> from losslab.catalog import get_spec
        >>> param_name(get_spec("huber"), "delta", "huber", ["mse", "huber"])
        'huber.delta'
    """
    same = [lab for lab in labels if parse_loss_string(lab)[0].name == spec.name]
    return f"{label}.{param}" if len(same) > 1 else f"{spec.name}.{param}"


def _declare(hp: Any, name: str, space: tuple[Any, ...]) -> Any:
    kind = space[0]
    log = bool(space[3]) if len(space) > 3 else False
    if kind == "float":
        return hp.Float(name, float(space[1]), float(space[2]), sampling="log" if log else "linear")
    if kind == "int":
        return hp.Int(name, int(space[1]), int(space[2]), sampling="log" if log else "linear")
    if kind == "categorical":
        values = list(space[1])
        if all(isinstance(v, _SCALARS) for v in values):
            return hp.Choice(name, values)
        picked = hp.Choice(name, [repr(v) for v in values])  # KerasTuner choices are scalars
        return None if picked is None else values[[repr(v) for v in values].index(picked)]
    raise InvalidParameterError(
        f"Unknown search space {space!r} for {name}: expected float, int or categorical."
    )


def _labels(choices: Sequence[str] | str) -> list[str]:
    labels = [choices] if isinstance(choices, str) else [str(c).strip() for c in choices]
    if not labels or len(set(labels)) != len(labels):
        raise InvalidParameterError(
            f"choices must be distinct catalog losses, e.g. ['mse', 'huber', 'pinball:tau=0.9']. Received: {choices!r}."
        )
    for lab in labels:
        parse_loss_string(lab)  # unknown loss or bad parameter: the catalog's error
    return labels


def _resolve(hp: Any, labels: list[str], name: str) -> tuple[LossSpec, dict[str, Any], str]:
    """Declare the choice and every loss's conditional hyperparameters; return the chosen
    loss's spec, its full parameters and its label."""
    label = hp.Choice(name, labels)
    chosen_params: dict[str, Any] = {}
    for lab in labels:
        spec, params = parse_loss_string(lab)
        with hp.conditional_scope(name, [lab]):
            values = {
                p: _declare(hp, param_name(spec, p, lab, labels), sp)
                for p, sp in search_space(spec, params).items()
            }
        if lab == label:
            chosen_params = {**params, **{k: v for k, v in values.items() if v is not None}}
    spec = parse_loss_string(label)[0]
    return spec, spec.validate_params(chosen_params), label


def _declared(hp: Any, name: str) -> tuple[LossSpec, dict[str, Any]]:
    """The loss an earlier :func:`loss` call declared in ``hp`` under ``name``."""
    try:
        label = hp.get(name)
    except (KeyError, ValueError):
        raise InvalidParameterError(
            f"head(hp) needs the loss choice {name!r}: call loss(hp, choices) first, or pass the "
            f"choices: head(hp, choices, ...). Received hyperparameters: {sorted(hp.values)}."
        ) from None
    spec, params = parse_loss_string(str(label))
    for p in search_space(spec, params):
        for key in (f"{spec.name}.{p}", f"{label}.{p}"):
            if key in hp.values:
                params[p] = hp.values[key]
                break
    return spec, spec.validate_params(params)


def loss(hp: Any, choices: Sequence[str] | str, *, name: str = "loss") -> Any:
    """Let a KerasTuner hypermodel choose the loss and its hyperparameters.

    Declares ``hp.Choice(name, choices)`` and, under ``hp.conditional_scope(name, [choice])``,
    one hyperparameter per tunable parameter of each choice (the catalog's search space;
    parameters set in the choice, e.g. ``pinball:tau=0.9``, stay fixed).

    Args:
        hp: the ``keras_tuner.HyperParameters`` passed to the hypermodel.
        choices: catalog losses with optional parameters (``["mse", "huber", "pinball:tau=0.9"]``).
        name: the name of the loss choice (a hypermodel choosing two losses needs two names).

    Returns:
        The Keras loss object of the chosen loss (for ``model.compile(loss=...)``).

    Raises:
        UnknownLossError, InvalidParameterError: a choice the catalog does not accept.

    Example:
        >>> import keras_tuner
        >>> hp = keras_tuner.HyperParameters()
        >>> type(loss(hp, ["huber", "mse"])).__name__, hp.values
        ('Huber', {'loss': 'huber', 'huber.delta': 0.05})
    """
    spec, params, _ = chosen(hp, choices, name=name)
    return spec.build(**params)


def chosen(
    hp: Any, choices: Sequence[str] | str, *, name: str = "loss"
) -> tuple[LossSpec, dict[str, Any], str]:
    """``(spec, full parameters, choice label)`` of the loss ``hp`` chooses (declaring the
    hyperparameters like :func:`loss`)."""
    return _resolve(hp, _labels(choices), name)


def head(
    hp_or_loss: Any,
    choices: Sequence[str] | str | None = None,
    *,
    task: str = "regression",
    n_classes: int | None = None,
    target_dim: int = 1,
    name: str = "loss",
    seed: int | None = None,
) -> Any:
    """The output layer the loss needs, from the catalog's head metadata (identity -> linear
    units, sigmoid/softmax or logits, positive link, one unit per quantile level, K-1 ordinal
    logits ...), as ``losslab compare`` builds it.

    Args:
        hp_or_loss: the ``HyperParameters`` of a hypermodel that calls :func:`loss` (with
            ``choices`` given here too, or :func:`loss` called first), a loss string
            (``"pinball:tau=[0.1,0.9]"``) or a :class:`~losslab.catalog.LossSpec`.
        choices: the same choices as :func:`loss`, when ``hp`` is given and ``head`` is
            called before ``loss``.
        task: regression, count, positive, proportion, binary, multiclass, multilabel or ordinal.
        n_classes: K for binary / multiclass / ordinal tasks.
        target_dim: number of target columns (regression) or labels (multilabel).
        name: the name of the loss choice in ``hp``.
        seed: seed of the layer's Glorot-uniform initializer.

    Returns:
        A ``keras.layers.Dense`` with the units and activation the loss needs.

    Raises:
        TaskMismatchError: a loss whose output a dense head cannot build (embedding, boxes ...).

    Example:
        >>> layer = head("pinball:tau=[0.1,0.5,0.9]")
        >>> layer.units, layer.activation.__name__
        (3, 'linear')
    """
    if isinstance(hp_or_loss, LossSpec):
        spec, params = hp_or_loss, hp_or_loss.validate_params({})
    elif isinstance(hp_or_loss, str):
        spec, params = parse_loss_string(hp_or_loss)
    elif hasattr(hp_or_loss, "conditional_scope"):  # keras_tuner.HyperParameters
        if choices is None:
            spec, params = _declared(hp_or_loss, name)
        else:
            spec, params, _ = chosen(hp_or_loss, choices, name=name)
    else:
        raise InvalidParameterError(
            "head() takes KerasTuner HyperParameters, a loss string or a LossSpec. "
            f"Received: {type(hp_or_loss).__name__}."
        )
    hs = head_spec(spec, params, task=task, target_dim=target_dim, n_classes=n_classes)
    return build_head_layer(hs, seed=0 if seed is None else seed, name=f"losslab_head_{spec.name}")
