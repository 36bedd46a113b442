"""``@losslab.loss``: turn a per-sample function into a registered, serializable Keras loss
and a catalog entry, so ``compare``, ``tune``, ``evaluate`` and ``check`` use it like a
built-in.

Example:
    >>> import losslab
    >>> from keras import ops
    >>> @losslab.loss(name="scaled_mse", family="regression", minimum_at_truth=True)
    ... def scaled_mse(y_true, y_pred, *, scale=1.0):
    ...     return scale * ops.mean(ops.square(y_pred - y_true), axis=-1)
    >>> loss = scaled_mse(scale=2.0)          # a keras.losses.Loss  # doctest: +SKIP
    >>> loss = losslab.get("scaled_mse")      # the same, through the catalog  # doctest: +SKIP
"""

from __future__ import annotations

import inspect
import re
import types
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import numpy as np

from losslab._params import Anything, Param
from losslab.catalog import Family, Head, LossSpec, Statistic
from losslab.errors import InvalidParameterError

__all__ = ["AUTHORED", "DEFAULT_HEAD", "DEFAULT_STATISTIC", "default_inputs", "loss", "numpy_values", "register_extra_generators"]

#: Every class made by :func:`loss` in this process, by catalog name. Catalog entries of
#: authored losses point here (``losslab.verify.authoring:AUTHORED.<name>``), so they
#: resolve wherever the decorated function was defined (a module, a notebook, a test).
#: Another process (a Spark worker) must import the defining module first.
AUTHORED = types.SimpleNamespace()

_NAME_RE = re.compile(r"^[a-z][a-z0-9_]*$")

#: The output head a family gets when ``@losslab.loss`` is given none.
DEFAULT_HEAD: dict[Family, Head] = {
    Family.REGRESSION: Head.IDENTITY,
    Family.COUNT: Head.POSITIVE,
    Family.BINARY: Head.SIGMOID,
    Family.MULTICLASS: Head.SOFTMAX,
    Family.MULTILABEL: Head.SIGMOID,
    Family.ORDINAL: Head.ORDINAL_LOGITS,
    Family.METRIC_LEARNING: Head.EMBEDDING,
    Family.PROBABILISTIC_REGRESSION: Head.MEAN_SCALE,
    Family.SEGMENTATION: Head.SEGMENTATION,
}

#: The statistic a family estimates when ``@losslab.loss`` is given none.
DEFAULT_STATISTIC: dict[Family, str] = {
    Family.REGRESSION: "mean",
    Family.COUNT: "mean",
    Family.BINARY: "probability",
    Family.MULTICLASS: "probability",
    Family.MULTILABEL: "probability",
    Family.ORDINAL: "probability",
    Family.METRIC_LEARNING: "embedding",
    Family.PROBABILISTIC_REGRESSION: "distribution",
    Family.SEGMENTATION: "overlap",
}


def default_inputs(family: Family, head: Head) -> str:
    """The catalog input generator that fits a family and head (see ``catalog.inputs``)."""
    if head is Head.IDENTITY:
        return "regression"
    if head is Head.POSITIVE:
        return "nonnegative" if family is Family.COUNT else "positive"
    if head in (Head.SIGMOID, Head.BINARY_LOGITS):
        if family is Family.MULTILABEL:
            return "multilabel_logits" if head is Head.BINARY_LOGITS else "multilabel"
        if family is Family.SEGMENTATION:
            return "segmentation"
        return "binary_logits" if head is Head.BINARY_LOGITS else "binary_prob"
    if head is Head.SOFTMAX:
        return "onehot"
    if head is Head.MULTICLASS_LOGITS:
        return "onehot_logits"
    if head is Head.SEGMENTATION:
        return "segmentation"
    if head is Head.EMBEDDING:
        return "embedding_labels"
    raise InvalidParameterError(
        f"No default input generator for family={family.value!r} with head={head.value!r}. "
        "Pass inputs='<generator name>' (see losslab.catalog.inputs.input_names()) to @losslab.loss."
    )


def register_extra_generators() -> None:
    """Generators the defaults above name that ``catalog.inputs`` may not define."""
    from losslab.catalog import inputs as _inputs

    known = set(_inputs.input_names())
    if "onehot_logits" not in known:

        @_inputs.register_inputs("onehot_logits")
        def _onehot_logits(rng: np.random.Generator, n: int, params: Mapping[str, Any]) -> Any:
            return _inputs.generate("onehot", n, {**params, "from_logits": True}, rng)

    if "multilabel_logits" not in known:

        @_inputs.register_inputs("multilabel_logits")
        def _multilabel_logits(rng: np.random.Generator, n: int, params: Mapping[str, Any]) -> Any:
            return _inputs.generate("multilabel", n, {**params, "from_logits": True}, rng)


def _camel(name: str) -> str:
    return "".join(part[:1].upper() + part[1:] for part in name.split("_") if part)


def _params_from(fn: Callable[..., Any], params: Mapping[str, Any] | Sequence[Param] | None) -> tuple[Param, ...]:
    sig = inspect.signature(fn)
    positional = [
        p
        for p in sig.parameters.values()
        if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD) and p.default is p.empty
    ]
    if len(positional) != 2:
        raise InvalidParameterError(
            f"@losslab.loss needs a function fn(y_true, y_pred, *, params...). Received: "
            f"{fn.__qualname__}{sig} with {len(positional)} required positional argument(s). "
            "Make y_true and y_pred the two positional arguments and every hyperparameter keyword-only."
        )
    if params is None:
        return tuple(
            Param(p.name, p.default, Anything())
            for p in sig.parameters.values()
            if p.kind is p.KEYWORD_ONLY and p.default is not p.empty
        )
    if isinstance(params, Mapping):
        out = tuple(Param(k, v, Anything()) for k, v in params.items())
    else:
        out = tuple(params)
        bad = [p for p in out if not isinstance(p, Param)]
        if bad:
            raise InvalidParameterError(
                f"params must be a dict name -> default or a tuple of losslab.Param. Received: {bad[0]!r}."
            )
    accepts_kwargs = any(p.kind is p.VAR_KEYWORD for p in sig.parameters.values())
    missing = [p.name for p in out if p.name not in sig.parameters and not accepts_kwargs]
    if missing:
        raise InvalidParameterError(
            f"Loss function {fn.__qualname__} does not accept parameter(s) {', '.join(missing)} "
            f"declared in params. Received signature: {sig}. Add them as keyword-only arguments."
        )
    return out


def numpy_values(keras_class: type, y_true: Any, y_pred: Any, **params: Any) -> np.ndarray:
    """Evaluate a Keras loss class per sample and return float64 NumPy values.

    This is the ``reference`` of an authored loss without its own oracle: it is the Keras
    function itself, not an independent check of it.

    Args:
        keras_class: the loss class (``LosslabLoss`` subclass).
        y_true, y_pred: array-likes.
        **params: hyperparameters.

    Returns:
        ``np.ndarray`` float64 of per-sample values (or a scalar for per-batch losses).
    """
    from keras import ops

    obj = keras_class(reduction="none", **params)
    y_true = np.asarray(y_true)
    yt = y_true if np.issubdtype(y_true.dtype, np.integer) else np.asarray(y_true, np.float32)
    return np.asarray(ops.convert_to_numpy(obj(yt, np.asarray(y_pred, np.float32))), dtype=np.float64)


def loss(
    name: str,
    *,
    family: str | Family = "regression",
    statistic: Statistic | None = None,
    head: str | Head | None = None,
    params: Mapping[str, Any] | Sequence[Param] | None = None,
    title: str | None = None,
    y_true: str = "",
    y_pred: str = "",
    reference: str | None = None,
    inputs: str | None = None,
    minimum_at_truth: bool = False,
    from_logits_param: str | None = None,
    predict: str | None = None,
    per_batch: bool = False,
    align: bool | None = None,
    requires: tuple[str, ...] = (),
    aliases: tuple[str, ...] = (),
    formula: str = "",
    when_to_use: str = "",
    pitfalls: str = "",
    class_name: str | None = None,
    replace: bool = False,
) -> Callable[[Callable[..., Any]], type]:
    """Decorator: register ``fn(y_true, y_pred, *, params...) -> per-sample values`` as a
    Keras loss class (``LosslabLoss`` subclass, saved as ``losslab>ClassName``) and a
    catalog entry.

    Args:
        name: catalog name, snake_case (``"focal_mse"``).
        family: task family (``"regression"``, ``"binary"``, ``"multiclass"`` ...).
        statistic: what the loss estimates; defaults by family (mean, probability ...).
        head: model output head; defaults by family (identity, sigmoid, softmax ...).
        params: ``{"name": default}`` or a tuple of :class:`losslab.Param` (with ranges and
            search spaces for the tuner). Default: the function's keyword-only arguments.
        title, y_true, y_pred, formula, when_to_use, pitfalls: catalog text.
        reference: ``"module:attr"`` of an independent NumPy oracle. Without it the entry's
            reference is the Keras function evaluated in NumPy (:func:`numpy_values`), which
            is NOT an independent oracle.
        inputs: name of the valid-input generator (``losslab.catalog.inputs``); default by head.
        minimum_at_truth: the loss is minimal when y_pred equals y_true (checked by ``check``).
        from_logits_param, predict, per_batch, requires, aliases: as in :class:`LossSpec`.
        align: align the ranks of y_true and y_pred ((N,) vs (N, 1)); default True unless
            the inputs are integer labels against scores.
        class_name: Keras class name (default: CamelCase of ``name``).
        replace: overwrite a catalog entry of the same name (re-running a notebook cell).

    Returns:
        A decorator returning the new ``keras.losses.Loss`` subclass. The original function
        stays available as ``Class.fn``; the catalog entry as ``Class.spec``.

    Example:
        >>> @losslab.loss(name="scaled_mae", family="regression")  # doctest: +SKIP
        ... def scaled_mae(y_true, y_pred, *, scale=1.0):
        ...     return scale * keras.ops.mean(keras.ops.abs(y_pred - y_true), axis=-1)
    """
    if not isinstance(name, str) or not _NAME_RE.match(name):
        raise InvalidParameterError(
            f"Loss name must be snake_case (letters, digits, _; starting with a letter). "
            f"Received: name={name!r}. For example name='focal_mse'."
        )
    try:
        fam = Family.parse(family)
    except ValueError as e:
        raise InvalidParameterError(str(e)) from None
    if head is None:
        if fam not in DEFAULT_HEAD:
            raise InvalidParameterError(
                f"Family {fam.value!r} has no default head. Received: head=None. "
                f"Pass head= one of {', '.join(h.value for h in Head)}."
            )
        hd = DEFAULT_HEAD[fam]
    else:
        try:
            hd = Head(head)
        except ValueError:
            raise InvalidParameterError(
                f"Unknown head. Received: head={head!r}. Expected one of {', '.join(h.value for h in Head)}."
            ) from None
    register_extra_generators()
    from losslab.catalog import inputs as _inputs

    gen = inputs or default_inputs(fam, hd)
    if gen not in _inputs.input_names():
        raise InvalidParameterError(
            f"Unknown input generator. Received: inputs={gen!r}. "
            f"Known generators: {', '.join(_inputs.input_names())}."
        )
    stat = statistic or DEFAULT_STATISTIC.get(fam, "mean")

    def decorate(fn: Callable[..., Any]) -> type:
        from losslab.catalog import register
        from losslab.losses import LosslabLoss, register_loss_class

        declared = _params_from(fn, params)
        do_align = align if align is not None else gen not in ("sparse", "embedding_labels")
        cname = class_name or _camel(name)

        def __init__(  # noqa: N807
            self: Any,
            *,
            reduction: str | None = "sum_over_batch_size",
            name: str | None = None,
            dtype: Any = None,
            **kwargs: Any,
        ) -> None:
            LosslabLoss.__init__(self, reduction=reduction, name=name or _name, dtype=dtype, **kwargs)

        _name = name
        namespace: dict[str, Any] = {
            "fn": staticmethod(fn),
            "PARAMS": declared,
            "align": do_align,
            "__init__": __init__,
            "__module__": fn.__module__,
            "__qualname__": cname,
            "__doc__": fn.__doc__ or f"Custom loss {name!r} (authored with @losslab.loss).",
        }
        cls = type(cname, (LosslabLoss,), namespace)
        cls = register_loss_class(cls)

        def numpy_reference(y_true: Any, y_pred: Any, **kw: Any) -> np.ndarray:
            return numpy_values(cls, y_true, y_pred, **kw)

        cls.numpy_reference = staticmethod(numpy_reference)  # type: ignore[attr-defined]
        where = f"losslab.verify.authoring:AUTHORED.{name}"
        spec = LossSpec(
            name=name,
            title=title or name.replace("_", " ").capitalize(),
            family=fam,
            statistic=stat,  # type: ignore[arg-type]
            y_true=y_true,
            y_pred=y_pred,
            head=hd,
            keras=where,
            reference=reference or f"{where}.numpy_reference",
            params=declared,
            aliases=aliases,
            formula=formula,
            when_to_use=when_to_use,
            pitfalls=pitfalls,
            per_batch=per_batch,
            inputs=gen,
            requires=requires,
            minimum_at_truth=minimum_at_truth,
            from_logits_param=from_logits_param,
            predict=predict,
            tags=("custom",),
            extra={"independent_reference": reference is not None, "module": fn.__module__},
        )
        register(spec, replace=replace)
        setattr(AUTHORED, name, cls)
        cls.spec = spec  # type: ignore[attr-defined]
        return cls

    return decorate
