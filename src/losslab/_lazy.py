"""Lazy package attributes (PEP 562): a public name is imported from its module on first use.

Every losslab package that re-exports names from heavy modules (Keras, Optuna, Spark) builds
its module-level ``__getattr__`` and ``__dir__`` here, so importing the package itself stays
cheap. This module imports nothing but the standard library.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Iterable, Mapping
from typing import Any


def lazy_attributes(
    package: str,
    namespace: dict[str, Any],
    lazy: Mapping[str, str],
    *,
    submodules: Iterable[str] = (),
    also_listed: Iterable[str] = (),
) -> tuple[Callable[[str], Any], Callable[[], list[str]]]:
    """Build a package's ``__getattr__`` and ``__dir__`` from a name -> "module:attr" table.

    A name of ``lazy`` is imported on first access and cached in ``namespace`` (the package's
    ``globals()``), so later lookups do not come back here. A name of ``submodules`` resolves
    to the subpackage ``f"{package}.{name}"``, imported on access. ``__dir__`` lists the
    package's ``__all__`` (or the ``lazy`` names when it has none), the submodules and
    ``also_listed``.

    Args:
        package: The package's ``__name__``, used for submodules and error messages.
        namespace: The package's ``globals()``; resolved values are stored in it.
        lazy: Public name -> ``"module.path:attribute"``.
        submodules: Subpackage names reachable as attributes without an explicit import.
        also_listed: Extra names shown by ``dir()`` only (e.g. modules that are imported
            explicitly by their users).

    Returns:
        ``(__getattr__, __dir__)``, to assign at module level of the package.

    Example:
        >>> ns = {"__all__": ["sqrt"]}
        >>> getattr_, dir_ = lazy_attributes("demo", ns, {"sqrt": "math:sqrt"})
        >>> getattr_("sqrt")(4.0)
        2.0
        >>> "sqrt" in ns, dir_()
        (True, ['sqrt'])
    """
    table = dict(lazy)
    subs = frozenset(submodules)
    extra = tuple(also_listed)

    def __getattr__(name: str) -> Any:
        if name in table:
            module, _, attr = table[name].partition(":")
            value = getattr(importlib.import_module(module), attr)
            namespace[name] = value
            return value
        if name in subs:
            return importlib.import_module(f"{package}.{name}")
        raise AttributeError(f"module {package!r} has no attribute {name!r}")

    def __dir__() -> list[str]:
        return sorted({*namespace.get("__all__", table), *subs, *extra})

    return __getattr__, __dir__
