"""losslab's Keras losses: pure ``keras.ops`` functions and thin ``Loss`` classes.

Importing this package imports Keras. Classes are re-exported lazily from their family
modules so ``losslab.losses.QuantileLoss`` works without importing every family: the table
of class names is derived from the family modules' ``__all__`` (read from their source with
``ast``, not imported), so a new family module or class needs no edit here.
"""

from __future__ import annotations

import ast
import functools
import pkgutil
from pathlib import Path

from losslab._lazy import lazy_attributes
from losslab.losses._base import LosslabLoss, align_ranks, register_loss_class

# The sparsemax activation (``Dense(..., activation=losslab.losses.sparsemax)``). The name
# is the function, not the module: import the loss with
# ``from losslab.losses.sparsemax import SparsemaxLoss``.
from losslab.losses.sparsemax import sparsemax

__all__ = ["LosslabLoss", "align_ranks", "class_table", "register_loss_class", "sparsemax"]


def _exported_names(source: Path) -> list[str]:
    """The string literals of a module's top-level ``__all__ = [...]``, without importing it."""
    for node in ast.parse(source.read_text(encoding="utf-8")).body:
        if (
            isinstance(node, ast.Assign)
            and any(isinstance(t, ast.Name) and t.id == "__all__" for t in node.targets)
            and isinstance(node.value, ast.List | ast.Tuple)
        ):
            return [e.value for e in node.value.elts if isinstance(e, ast.Constant)]
    return []


@functools.cache
def class_table() -> dict[str, str]:
    """Class name -> family module (``"PinballLoss" -> "losslab.losses.regression"``).

    Every public family module (a module or a package of this package whose name does not
    start with ``_``) contributes the capitalised names of its ``__all__``.

    Example:
        >>> class_table()["PinballLoss"], class_table()["TripletSemiHardLoss"]
        ('losslab.losses.regression', 'losslab.losses.metric_learning')
    """
    table: dict[str, str] = {}
    for info in pkgutil.iter_modules(__path__):
        if info.name.startswith("_"):
            continue
        base = Path(__path__[0]) / info.name
        source = base / "__init__.py" if info.ispkg else base.with_suffix(".py")
        for name in _exported_names(source):
            if name[:1].isupper():
                table.setdefault(name, f"{__name__}.{info.name}")
    return table


__getattr__, __dir__ = lazy_attributes(
    __name__,
    globals(),
    {name: f"{module}:{name}" for name, module in class_table().items()},
    also_listed=class_table(),
)
