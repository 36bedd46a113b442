"""The loss catalog: one :class:`LossSpec` per loss, one registry, one lookup.

Public API: :func:`get`, :func:`get_spec`, :func:`list_losses`, :func:`register`.
"""

from losslab._params import Interval, OneOf, Param
from losslab.catalog._registry import (
    get,
    get_spec,
    list_losses,
    loss_names,
    parse_loss_string,
    register,
    split_loss_list,
    unregister,
)
from losslab.catalog._spec import Family, Head, LossSpec, Robustness, Statistic, resolve

__all__ = [
    "Family",
    "Head",
    "Interval",
    "LossSpec",
    "OneOf",
    "Param",
    "Robustness",
    "Statistic",
    "get",
    "get_spec",
    "list_losses",
    "loss_names",
    "parse_loss_string",
    "register",
    "resolve",
    "split_loss_list",
    "unregister",
]
