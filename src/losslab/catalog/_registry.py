"""The one registry of losses. Entries register themselves on import of
:mod:`losslab.catalog.entries`; custom losses register through :func:`register`."""

from __future__ import annotations

import ast
import difflib
import importlib
import pkgutil
import re
import threading
from typing import Any

from losslab.catalog._spec import Family, LossSpec
from losslab.errors import InvalidParameterError, UnknownLossError

__all__ = [
    "get",
    "get_spec",
    "list_losses",
    "loss_names",
    "parse_loss_string",
    "register",
    "split_loss_list",
    "unregister",
]

_SPECS: dict[str, LossSpec] = {}
_INDEX: dict[str, str] = {}  # normalised name or alias -> canonical name
_LOADED = False
_LOCK = threading.RLock()


def _norm(name: str) -> str:
    return "".join(ch for ch in name.lower() if ch.isalnum())


def register(spec: LossSpec, *, replace: bool = False) -> LossSpec:
    """Add ``spec`` to the catalog. A name or alias already taken is an error unless
    ``replace=True`` (then the old entry with that canonical name is dropped first)."""
    with _LOCK:
        if replace and spec.name in _SPECS:
            unregister(spec.name)
        for n in spec.all_names:
            key = _norm(n)
            owner = _INDEX.get(key)
            if owner is not None and owner != spec.name:
                raise ValueError(
                    f"Loss name {n!r} of '{spec.name}' is already taken by '{owner}'. "
                    "Choose another name, or pass replace=True to overwrite an entry of the same name."
                )
            if owner == spec.name and not replace and spec.name in _SPECS:
                raise ValueError(
                    f"Loss '{spec.name}' is already registered. Pass replace=True to overwrite it."
                )
        _SPECS[spec.name] = spec
        for n in spec.all_names:
            _INDEX[_norm(n)] = spec.name
        return spec


def unregister(name: str) -> None:
    """Remove a loss (custom losses in tests and notebooks)."""
    with _LOCK:
        spec = _SPECS.pop(name, None)
        if spec is None:
            return
        for n in spec.all_names:
            if _INDEX.get(_norm(n)) == spec.name:
                del _INDEX[_norm(n)]


def _ensure_loaded() -> None:
    global _LOADED
    if _LOADED:
        return
    with _LOCK:
        if _LOADED:
            return
        from losslab.catalog import entries

        for mod in sorted(pkgutil.iter_modules(entries.__path__), key=lambda m: m.name):
            if not mod.name.startswith("_"):
                importlib.import_module(f"{entries.__name__}.{mod.name}")
        _LOADED = True


def get_spec(name: str | LossSpec) -> LossSpec:
    """The :class:`LossSpec` for a name or alias (case, ``_`` and ``-`` ignored).

    Raises:
        UnknownLossError: with the closest names and where to find all of them.

    Example:
        >>> import losslab
        >>> spec = losslab.get_spec("Huber_Loss")
        >>> spec.name, spec.family.value, spec.defaults
        ('huber', 'regression', {'delta': 1.0})
        >>> losslab.get_spec("hubber")
        Traceback (most recent call last):
        ...
        losslab.errors.UnknownLossError: Unknown loss 'hubber'. Did you mean: huber? Run `losslab losses` (or losslab.list_losses()) to see every valid name.
    """
    if isinstance(name, LossSpec):
        return name
    _ensure_loaded()
    if not isinstance(name, str):
        raise UnknownLossError(
            f"A loss name must be a string. Received: {name!r} of type {type(name).__name__}. "
            "Run `losslab losses` (or losslab.list_losses()) to see valid names."
        )
    key = _norm(name)
    canonical = _INDEX.get(key)
    if canonical is None:
        candidates = sorted({*_SPECS, *(a for s in _SPECS.values() for a in s.aliases)})
        close = difflib.get_close_matches(name, candidates, n=3, cutoff=0.5)
        if not close:
            close = [c for c in candidates if key and key in _norm(c)][:3]
        close = list(dict.fromkeys(_INDEX[_norm(c)] for c in close))
        hint = f" Did you mean: {', '.join(close)}?" if close else ""
        raise UnknownLossError(
            f"Unknown loss {name!r}.{hint} Run `losslab losses` (or losslab.list_losses()) "
            "to see every valid name."
        )
    return _SPECS[canonical]


def list_losses(family: str | Family | None = None, *, tag: str | None = None) -> list[LossSpec]:
    """Every catalog entry, sorted by family then name; optionally one family or tag.

    Example:
        >>> import losslab
        >>> [spec.name for spec in losslab.list_losses(family="count")]
        ['poisson', 'poisson_nll', 'tweedie_deviance']
    """
    _ensure_loaded()
    fam = Family.parse(family) if family is not None else None
    specs = [
        s
        for s in _SPECS.values()
        if (fam is None or s.family == fam) and (tag is None or tag in s.tags)
    ]
    order = {f: i for i, f in enumerate(Family)}
    return sorted(specs, key=lambda s: (order[s.family], s.name))


def loss_names() -> list[str]:
    """Canonical names of every catalog loss.

    Example:
        >>> names = loss_names()
        >>> "huber" in names, "Huber" in names  # aliases are not listed
        (True, False)
    """
    return [s.name for s in list_losses()]


def get(
    name: str | LossSpec,
    *,
    reduction: str | None = "sum_over_batch_size",
    loss_name: str | None = None,
    **params: Any,
) -> Any:
    """A ready Keras loss object for ``name`` with ``params``.

    Example:
        Use it as ``model.compile(optimizer="adam", loss=loss)``. Huber with delta = 2 on
        errors 3 and 0 is 2 * (3 - 2 / 2) = 4 and 0, mean 2:

        >>> import numpy as np
        >>> import losslab
        >>> loss = losslab.get("huber", delta=2.0)
        >>> type(loss).__name__, loss.get_config()["delta"]
        ('Huber', 2.0)
        >>> float(loss(np.array([[0.0], [1.0]]), np.array([[3.0], [1.0]])))
        2.0
        >>> losslab.get("huber", delta=-1)
        Traceback (most recent call last):
        ...
        losslab.errors.InvalidParameterError: delta must be > 0. Received: delta=-1.

    Raises:
        UnknownLossError: unknown name (with suggestions).
        InvalidParameterError: a hyperparameter out of range or unknown.
    """
    spec = get_spec(name)
    return spec.build(reduction=reduction, name=loss_name, **params)


def parse_value(text: str) -> Any:
    """A hyperparameter value written on a command line or in a loss string.

    Example:
        >>> [parse_value(t) for t in ("2", "true", "None", "[0.1, 0.9]", "ciou")]
        [2, True, None, [0.1, 0.9], 'ciou']
    """
    low = text.strip()
    if low.lower() in ("true", "false"):
        return low.lower() == "true"
    if low.lower() == "none":
        return None
    try:
        return ast.literal_eval(low)
    except (ValueError, SyntaxError):
        return low


def _split_outside_brackets(text: str, seps: str) -> list[str]:
    parts: list[str] = []
    depth = 0
    cur = ""
    for ch in text:
        if ch in "[(":
            depth += 1
        elif ch in "])":
            depth -= 1
        if ch in seps and depth == 0:
            parts.append(cur)
            cur = ""
        else:
            cur += ch
    parts.append(cur)
    return parts


_PARAM_START = re.compile(r"^\s*[A-Za-z_][A-Za-z0-9_]*\s*=")


def split_loss_list(text: str) -> list[str]:
    """Split a comma-separated list of loss strings, as ``--losses`` takes it.

    Commas inside brackets belong to a value, and a comma followed by ``name=`` continues
    the previous loss's parameters:

        >>> split_loss_list("mse, huber:delta=2,pinball:tau=[0.1,0.9],crossing_penalty=1, mae")
        ['mse', 'huber:delta=2', 'pinball:tau=[0.1,0.9],crossing_penalty=1', 'mae']
    """
    out: list[str] = []
    for part in (p.strip() for p in _split_outside_brackets(text, ",")):
        if not part:
            continue
        if out and ":" in out[-1] and _PARAM_START.match(part):
            out[-1] += "," + part
        else:
            out.append(part)
    return out


def parse_loss_string(text: str) -> tuple[LossSpec, dict[str, Any]]:
    """Parse ``"huber:delta=2"`` or ``"quantile:quantile=[0.1,0.5,0.9]"`` into a spec and
    validated parameters (defaults filled in).

    Example:
        >>> spec, params = parse_loss_string("pinball:tau=[0.1,0.9]")
        >>> spec.name, params
        ('pinball', {'tau': [0.1, 0.9], 'crossing_penalty': 0.0})
    """
    name, _, rest = text.strip().partition(":")
    spec = get_spec(name.strip())
    given: dict[str, Any] = {}
    if rest.strip():
        parts = _split_outside_brackets(rest, ",;")
        for part in parts:
            if not part.strip():
                continue
            key, eq, value = part.partition("=")
            if not eq:
                raise InvalidParameterError(
                    f"Loss parameter {part.strip()!r} in {text!r} is not of the form name=value. "
                    f"Write for example '{spec.name}:"
                    + (f"{spec.params[0].name}={spec.params[0].default!r}'." if spec.params else "'.")
                )
            given[key.strip()] = parse_value(value)
    return spec, spec.validate_params(given)
