"""What ``check`` checks: any loss-like object normalised to one Keras ``Loss`` instance,
plus a recipe that rebuilds it in another process (for the cross-backend comparison)."""

from __future__ import annotations

import importlib
import inspect
import os
import sys
from dataclasses import dataclass, field
from typing import Any

from losslab.catalog import LossSpec
from losslab.errors import LosslabError

__all__ = [
    "NotALossError",
    "Subject",
    "load_target",
    "loss_function_wrapper",
    "make_subject",
    "spec_for_class",
    "subject_from_recipe",
    "with_reduction",
]


class NotALossError(LosslabError):
    """A ``module:attr`` that does not import, or an object that is not a loss."""


def load_target(text: str) -> Any:
    """Import ``"package.module:attr"`` (attr may be dotted) and return the object.

    Raises:
        NotALossError: the module does not import or has no such attribute.
    """
    module, sep, attr = text.partition(":")
    if not sep or not module or not attr:
        raise NotALossError(
            f"Expected 'package.module:attribute' or a catalog loss name. Received: {text!r}. "
            "For example: losslab check mypkg.losses:focal_mse"
        )
    cwd = os.getcwd()
    if cwd not in sys.path and "" not in sys.path:
        sys.path.insert(0, cwd)  # like `python -m`: modules of the current directory import
    try:
        obj: Any = importlib.import_module(module)
    except ImportError as e:
        raise NotALossError(
            f"Could not import module {module!r} ({type(e).__name__}: {e}). Received: {text!r}. "
            "Check the spelling and that the module is on PYTHONPATH (run from the project root)."
        ) from None
    except SystemExit as e:  # the user's module exits while importing
        raise NotALossError(
            f"Importing module {module!r} called sys.exit({e.code!r}). Received: {text!r}. "
            "Move script code under `if __name__ == '__main__':`."
        ) from None
    except Exception as e:  # the user's module raised while importing
        raise NotALossError(
            f"Importing module {module!r} raised {type(e).__name__}: {e}. Received: {text!r}. "
            "Fix the error in that module first."
        ) from None
    for part in attr.split("."):
        try:
            obj = getattr(obj, part)
        except AttributeError:
            raise NotALossError(
                f"Module {module!r} has no attribute {attr!r}. Received: {text!r}. "
                "Check the name after the colon."
            ) from None
    return obj


def loss_function_wrapper() -> type:
    """Keras's ``LossFunctionWrapper`` (what ``model.compile(loss=fn)`` wraps a function in)."""
    from keras.src.losses.losses import LossFunctionWrapper

    return LossFunctionWrapper


def with_reduction(obj: Any, reduction: str | None) -> Any:
    """A shallow copy of a Keras loss with another reduction.

    (``copy.copy`` would pickle a Keras object through its saving code, which imports
    TensorFlow when installed: slow, and not needed.)"""
    out = object.__new__(type(obj))
    out.__dict__.update(obj.__dict__)
    out.reduction = reduction
    return out


def _importable(obj: Any) -> str | None:
    """``module:qualname`` when another process can import ``obj``, else ``None``."""
    module = getattr(obj, "__module__", None)
    qual = getattr(obj, "__qualname__", None)
    if not module or not qual or "<locals>" in qual or module == "__main__":
        return None
    return f"{module}:{qual}"


@dataclass
class Subject:
    """One loss under test.

    Attributes:
        name: display name.
        obj: a ``keras.losses.Loss`` instance (reduction ``sum_over_batch_size``).
        spec: the catalog entry when the loss has one (inputs, family, minimum_at_truth).
        params: hyperparameters used to build it.
        recipe: JSON-able description that rebuilds ``obj`` in another process, or ``None``.
        recipe_problem: why there is no recipe.
        kind: catalog / authored / class / instance / function.
    """

    name: str
    obj: Any
    spec: LossSpec | None
    params: dict[str, Any]
    recipe: dict[str, Any] | None
    recipe_problem: str = ""
    kind: str = "instance"
    notes: list[str] = field(default_factory=list)


def spec_for_class(cls: type) -> LossSpec | None:
    """The catalog entry whose Keras class is ``cls`` (by class name, then identity)."""
    from losslab.catalog import get_spec

    spec = getattr(cls, "spec", None)
    if isinstance(spec, LossSpec):
        return spec
    try:
        cand = get_spec(cls.__name__)
    except LosslabError:
        return None
    try:
        kc = cand.keras_class()
    except Exception:
        return None
    return cand if kc is cls or cand.keras_builtin == cls.__name__ else None


def _recipe_from_spec(spec: LossSpec, params: dict[str, Any]) -> dict[str, Any]:
    imports = []
    module = spec.extra.get("module") if spec.extra else None
    if module:
        imports.append(module)
    return {"catalog": spec.name, "params": params, "imports": imports}


def _from_class(loss: type, params: dict[str, Any], ref: str | None) -> Subject:
    spec = spec_for_class(loss)
    try:
        obj = loss(**params)
    except LosslabError:
        raise
    except TypeError as e:
        raise NotALossError(
            f"Could not build {loss.__name__}(**{params!r}): {e}. "
            "Pass the constructor's hyperparameters as params (CLI: --param name=value)."
        ) from None
    authored: LossSpec | None = spec if getattr(loss, "spec", None) is spec else None
    if authored is not None:
        full = authored.validate_params(params)
        return Subject(authored.name, obj, authored, full, _recipe_from_spec(authored, full), kind="authored")
    where = ref or _importable(loss)
    class_recipe = {"ref": where, "params": params} if where else None
    problem = "" if where else f"class {loss.__qualname__} is not importable by module path"
    return Subject(loss.__name__, obj, spec, params, class_recipe, problem, kind="class")


def _from_instance(loss: Any, params: dict[str, Any], ref: str | None) -> Subject:
    import json

    import keras

    if params:
        raise NotALossError(
            f"params cannot be applied to a loss instance. Received: params={params!r} with "
            f"{type(loss).__name__} instance. Pass the class instead, or build the instance with them."
        )
    spec = spec_for_class(type(loss))
    recipe: dict[str, Any] | None
    problem = ""
    try:
        config = keras.saving.serialize_keras_object(loss)
        json.dumps(config)
        recipe = {"config": config, "imports": [type(loss).__module__]}
    except Exception as e:
        recipe, problem = None, f"the instance does not serialize ({type(e).__name__}: {e})"
    if ref is not None:
        recipe = {"ref": ref, "params": {}}
    if recipe is not None and "<locals>" in type(loss).__qualname__:
        recipe, problem = None, f"class {type(loss).__qualname__} is defined inside a function"
    # the instance's hyperparameters (from_logits ...) choose the inputs it is checked on
    seen: dict[str, Any] = {}
    if spec is not None:
        try:
            cfg = loss.get_config()
        except Exception:
            cfg = {}
        seen = {p.name: cfg[p.name] for p in spec.params if p.name in cfg}
    return Subject(getattr(loss, "name", type(loss).__name__), loss, spec, seen, recipe, problem)


def _from_function(loss: Any, params: dict[str, Any], ref: str | None) -> Subject:
    try:
        sig = inspect.signature(loss)
        positional = [
            p
            for p in sig.parameters.values()
            if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD) and p.default is p.empty
        ]
        ok = len(positional) == 2
    except (TypeError, ValueError):
        ok = True
    if not ok:
        raise NotALossError(
            f"{getattr(loss, '__qualname__', loss)!r} is not a loss: a loss function takes "
            f"(y_true, y_pred). Received signature {sig}."
        )
    name = getattr(loss, "__name__", "loss")
    obj = loss_function_wrapper()(loss, name=name, **params)
    where = ref or _importable(loss)
    recipe = {"ref": where, "params": params} if where else None
    problem = "" if where else f"function {name} is not importable by module path"
    return Subject(name, obj, None, params, recipe, problem, kind="function")


def make_subject(loss: Any, params: dict[str, Any] | None = None) -> Subject:
    """Normalise ``loss`` into a :class:`Subject`.

    Args:
        loss: a catalog name, ``"module:attr"``, a :class:`LossSpec`, a ``keras.losses.Loss``
            subclass (built with ``params``) or instance, a class made by ``@losslab.loss``,
            or a plain function ``fn(y_true, y_pred, **params)``.
        params: hyperparameters (not allowed with an instance).

    Raises:
        NotALossError: the object is not a loss or cannot be imported.
    """
    import keras

    from losslab.catalog import get_spec

    params = dict(params or {})
    ref: str | None = None
    if isinstance(loss, str):
        if ":" in loss:
            ref = loss
            loss = load_target(loss)
        else:
            loss = get_spec(loss)
    if isinstance(loss, LossSpec):
        full = loss.validate_params(params)
        obj = loss.build(**full)
        return Subject(loss.name, obj, loss, full, _recipe_from_spec(loss, full), kind="catalog")
    if inspect.isclass(loss) and issubclass(loss, keras.losses.Loss):
        return _from_class(loss, params, ref)
    if isinstance(loss, keras.losses.Loss):
        return _from_instance(loss, params, ref)
    if callable(loss) and not inspect.isclass(loss):
        return _from_function(loss, params, ref)
    shown = ref or repr(loss)
    raise NotALossError(
        f"{shown} is not a loss. Received an object of type {type(loss).__name__}. Expected a "
        "keras.losses.Loss subclass or instance, a function fn(y_true, y_pred), a class made "
        "with @losslab.loss, or a catalog name."
    )


def subject_from_recipe(recipe: dict[str, Any]) -> Any:
    """Rebuild the Keras loss object described by ``recipe`` (in a worker process)."""
    import keras

    for module in recipe.get("imports", []):
        if module and module != "__main__" and module not in sys.modules:
            importlib.import_module(module)
    if "catalog" in recipe:
        from losslab.catalog import get_spec

        return get_spec(recipe["catalog"]).build(**recipe.get("params", {}))
    if "config" in recipe:
        return keras.saving.deserialize_keras_object(recipe["config"])
    return make_subject(recipe["ref"], recipe.get("params") or None).obj
