"""Name the likely causes of a training problem from what the model itself shows.

The callbacks only see the model and the logs, not the data. They read the optimizer's
learning rate, the compiled loss (``from_logits``), the last layer's activation and the
number of trainable weights, and order the usual suspects by the evidence found.
"""

from __future__ import annotations

import math
from typing import Any, Literal

from losslab.catalog import Family, Head, LossSpec, get_spec
from losslab.errors import LosslabError

Problem = Literal["nonfinite", "explosion", "stuck"]

_PROB_ACTIVATIONS = {"sigmoid", "softmax"}


def _catalog_spec(*names: str) -> LossSpec | None:
    """The catalog entry of the first of ``names`` the catalog knows (name or alias), or None."""
    for name in names:
        if not name:
            continue
        try:
            return get_spec(name)
        except LosslabError:
            continue
    return None


def _reads_linked_outputs(spec: LossSpec | None) -> bool:
    """The loss reads probabilities, logits or rates (a link between output and target).

    Decided by the catalog entry: a sigmoid/softmax/logits head, or a count loss (rates).
    A loss the catalog does not know counts as a plain regression loss.
    """
    if spec is None:
        return False
    linked_heads = {
        Head.SIGMOID,
        Head.BINARY_LOGITS,
        Head.SOFTMAX,
        Head.MULTICLASS_LOGITS,
        Head.ORDINAL_LOGITS,
        Head.SEGMENTATION,
    }
    return spec.head in linked_heads or spec.family == Family.COUNT


def learning_rate(model: Any) -> float | None:
    """The optimizer's current learning rate as a float, or ``None`` if it cannot be read."""
    opt = getattr(model, "optimizer", None)
    if opt is None:
        return None
    try:
        import keras

        lr = opt.learning_rate
        if callable(lr) and not hasattr(lr, "numpy"):
            lr = lr(opt.iterations)
        return float(keras.ops.convert_to_numpy(lr))
    except Exception:  # schedules or custom optimizers without a readable rate
        return None


def _loss_config(model: Any) -> tuple[str, LossSpec | None, bool | None]:
    """(lower-case loss name, its catalog entry or None, from_logits or None) of the compiled loss."""
    loss = getattr(model, "loss", None)
    if loss is None:
        return "", None, None
    if isinstance(loss, str):  # Keras builds the loss with its default arguments
        spec = _catalog_spec(loss)
        from_logits = None
        if spec is not None and spec.from_logits_param is not None:
            from_logits = bool(spec.param(spec.from_logits_param).default)
        return loss.lower(), spec, from_logits
    name = getattr(loss, "name", None) or getattr(loss, "__name__", "") or type(loss).__name__
    spec = _catalog_spec(str(name), type(loss).__name__)
    from_logits = None
    get_config = getattr(loss, "get_config", None)
    if callable(get_config):
        try:
            cfg = get_config()
            if isinstance(cfg, dict) and "from_logits" in cfg:
                from_logits = bool(cfg["from_logits"])
        except Exception:
            from_logits = None
    return str(name).lower(), spec, from_logits


def _last_activation(model: Any) -> tuple[str | None, str | None]:
    """(last layer name, its activation name) when the last layer has an activation."""
    layers = getattr(model, "layers", None) or []
    for layer in reversed(layers):
        try:
            cfg = layer.get_config()
        except Exception:
            continue
        act = cfg.get("activation")
        if isinstance(act, str):
            return layer.name, act
        if isinstance(act, dict):
            return layer.name, str(act.get("config", {}).get("name", act.get("class_name")))
        if type(layer).__name__ in ("Softmax", "Activation"):
            return layer.name, str(cfg.get("activation", "softmax")).lower()
        return layer.name, None
    return None, None


def likely_causes(
    model: Any,
    problem: Problem,
    *,
    initial_loss: float | None = None,
) -> list[str]:
    """The likely causes of ``problem``, most likely first, each with how to fix it.

    Args:
        model: the Keras model being trained (may be ``None``: generic causes only).
        problem: ``"nonfinite"`` (NaN/inf loss), ``"explosion"`` (the loss grew many-fold)
            or ``"stuck"`` (the loss does not move from its initial value).
        initial_loss: the loss measured at the start of training, if known.

    Returns:
        Sentences naming a cause and its fix; evidence found on the model comes first.

    Example:
        >>> likely_causes(None, "stuck")[0]  # doctest: +ELLIPSIS
        'learning rate ...'
    """
    lr = learning_rate(model) if model is not None else None
    loss_name, spec, from_logits = _loss_config(model) if model is not None else ("", None, None)
    layer, act = _last_activation(model) if model is not None else (None, None)
    n_trainable = len(getattr(model, "trainable_weights", []) or []) if model is not None else None
    prob_loss = _reads_linked_outputs(spec)
    lr_text = f" (it is {lr:g})" if lr is not None else ""

    evidence = _logits_evidence(prob_loss, from_logits, loss_name, layer, act)
    if problem == "stuck":
        evidence, generic = _stuck_causes(evidence, lr, lr_text, n_trainable)
    else:
        evidence, generic = _diverging_causes(
            evidence, problem, lr, lr_text, initial_loss, prob_loss
        )
    if prob_loss or not loss_name:  # a probability loss, or a loss we cannot read
        generic.insert(
            1,
            "logits vs probabilities: probabilities fed to a loss that expects logits "
            "(or the reverse) flatten the gradient"
            if problem == "stuck"
            else "logits vs probabilities: log(0) when probabilities reach 0 or 1 with "
            "from_logits=False, or logits passed where probabilities are expected",
        )
    return _merge(evidence, generic)


def _logits_evidence(
    prob_loss: bool, from_logits: bool | None, loss_name: str, layer: str | None, act: str | None
) -> list[str]:
    """Logits vs probabilities, from the compiled loss and the last layer."""
    if prob_loss and from_logits is False and act is not None and act not in _PROB_ACTIVATIONS:
        return [
            f"logits vs probabilities: the loss {loss_name!r} expects probabilities "
            f"(from_logits=False) but the last layer {layer!r} has activation {act!r}, so it "
            "outputs logits; use from_logits=True or a sigmoid/softmax output"
        ]
    if prob_loss and from_logits is True and act in _PROB_ACTIVATIONS:
        return [
            f"logits vs probabilities: the loss {loss_name!r} applies the sigmoid/softmax itself "
            f"(from_logits=True) but the last layer {layer!r} already applies {act!r}; "
            "remove the activation or use from_logits=False"
        ]
    return []


def _stuck_causes(
    evidence: list[str], lr: float | None, lr_text: str, n_trainable: int | None
) -> tuple[list[str], list[str]]:
    """(evidence, generic causes) of a loss that does not move."""
    evidence = list(evidence)
    if n_trainable == 0:
        evidence.insert(
            0,
            "frozen model: the model has no trainable weights (layers with trainable=False); "
            "unfreeze them before fit",
        )
    if lr is not None and lr <= 1e-7:
        evidence.insert(0, f"learning rate too small{lr_text}: nothing moves; try 1e-3 with Adam")
    generic = [
        f"learning rate too small{lr_text}, or layers frozen (trainable=False)",
        "no gradient reaches the weights: a loss written with argmax/round/casts, "
        "saturated sigmoid/softmax outputs, or dead ReLUs",
        "unscaled target: with targets far from the output range the loss is dominated by a "
        "constant; standardise y",
    ]
    return evidence, generic


def _diverging_causes(
    evidence: list[str],
    problem: Problem,
    lr: float | None,
    lr_text: str,
    initial_loss: float | None,
    prob_loss: bool,
) -> tuple[list[str], list[str]]:
    """(evidence, generic causes) of a loss that went NaN/inf or exploded."""
    evidence = list(evidence)
    big_initial = initial_loss is not None and math.isfinite(initial_loss) and initial_loss > 1e3
    if big_initial and not prob_loss:
        evidence.append(
            f"unscaled target: the initial loss is already {initial_loss:.3g}; "
            "standardise y (subtract the mean, divide by the standard deviation) or scale it"
        )
    if lr is not None and lr >= 0.1:
        evidence.insert(
            0,
            f"learning rate too high{lr_text}: lower it 10x (1e-3 is a safe start with Adam), "
            "or clip gradients (clipnorm=1.0)",
        )
    generic = [
        f"learning rate too high{lr_text}: lower it 10x or clip gradients (clipnorm=1.0)",
        "unscaled target or inputs: standardise y and the features",
    ]
    if problem == "nonfinite":
        generic.append("NaN or inf values in the training data (check x and y)")
    return evidence, generic


def _merge(evidence: list[str], generic: list[str]) -> list[str]:
    """Evidence first, then the generic causes whose topic is not already named."""
    out = list(evidence)
    topics = {c.split(":")[0].split(" (")[0] for c in evidence}
    for c in generic:
        topic = c.split(":")[0].split(" (")[0]
        if not any(topic.startswith(t) or t.startswith(topic) for t in topics):
            out.append(c)
    return out
