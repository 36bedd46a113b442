"""Reuse of compiled fused programs across runs of the same structure (``tune``'s batches).

A fused program reads its groups' template models, losses and optimizers only while it is
traced; the data (features, targets, sample weights, seed slots) and the float
hyperparameters of the losses are its arguments. Two sets of groups with the same
*structure* (:func:`structure_key`: body, heads, loss layout, member counts, optimizer
settings other than the per-member learning rate, batch size) can therefore share one
compiled program: the first one traces and compiles it, later ones call it with their own
arrays. A loss's float hyperparameters (:func:`traced_params`, e.g. Huber's ``delta``) are
traced values when the loss runs with them as arrays, so trials of one loss with different
values share the program too.
"""

from __future__ import annotations

import json
import numbers
from collections import OrderedDict
from collections.abc import Sequence
from typing import Any

import numpy as np

from losslab.experiment.fused._members import Group

__all__ = ["ProgramCache", "bucket", "build_loss", "merge_groups", "structure_key", "traced_params"]


def _candidates(spec: Any, params: dict[str, Any]) -> list[str]:
    """Parameters holding one real number declared as a float (default or search space)."""
    out = []
    for p in spec.params:
        v = params.get(p.name)
        if isinstance(v, bool) or not isinstance(v, numbers.Real):
            continue
        search = p.search or ()
        if isinstance(p.default, float) or (search and search[0] == "float"):
            out.append(p.name)
    return out


def build_loss(spec: Any, params: dict[str, Any], traced: dict[str, Any] | None = None) -> Any:
    """The Keras loss of ``spec`` with ``params`` (already validated), the names in
    ``traced`` taking those (array) values instead.

    Example:
        >>> import numpy as np
        >>> from losslab.catalog import get_spec
        >>> loss = build_loss(get_spec("huber"), {"delta": 1.0}, {"delta": np.float32(2.0)})
        >>> round(float(loss(np.array([[0.0]]), np.array([[3.0]]))), 4)
        4.0
    """
    kwargs = {**params, **(traced or {}), "reduction": "sum_over_batch_size"}
    return spec.keras_class()(**kwargs)


def traced_params(group: Group) -> tuple[str, ...]:
    """The float hyperparameters of ``group``'s loss that may be traced values: the loss
    built with them as arrays traces under ``jax.jit`` and gives the same value as the loss
    built with the Python numbers (checked on a few rows of the group's targets). A loss
    that branches in Python on a value, converts it with ``float()`` or uses it in a shape
    keeps it a constant.
    """
    import jax
    import jax.numpy as jnp

    names = _candidates(group.spec, group.params)
    if not names:
        return ()
    y = jnp.asarray(group.y_train[:4])
    pred = jnp.zeros((y.shape[0], int(group.hs.units)), dtype="float32") + 0.3
    values = {n: jnp.float32(group.params[n]) for n in names}

    def both(v: Any, a: Any, b: Any) -> tuple[Any, Any]:
        return build_loss(group.spec, group.params, v)(a, b), group.loss(a, b)

    try:  # one compiled program (eager evaluation would compile every operation)
        traced, const = jax.jit(both)(values, y, pred)
    except Exception:  # a Python branch or conversion on the value: keep it a constant
        return ()
    if not np.allclose(np.asarray(traced), np.asarray(const), rtol=1e-5, atol=1e-6, equal_nan=True):
        return ()
    return tuple(names)


def _same(a: Any, b: Any) -> bool:
    if a is None or b is None:
        return a is None and b is None
    return np.shape(a) == np.shape(b) and bool(np.array_equal(a, b))


def _mergeable(a: Group, b: Group, names: tuple[str, ...]) -> bool:
    """Whether ``b``'s members can join ``a``: the same candidate and loss, differing only
    in traced float hyperparameters, with the same head, targets, scaling and weights."""
    ca, cb = a.members[0].task.candidate, b.members[0].task.candidate
    if not names or a.spec.name != b.spec.name or str(ca["id"]) != str(cb["id"]) or ca.get("class_weight") != cb.get("class_weight"):
        return False
    if {k: v for k, v in a.params.items() if k not in names} != {k: v for k, v in b.params.items() if k not in names}:
        return False
    if repr(a.hs) != repr(b.hs) or a.levels != b.levels or type(a.optimizer) is not type(b.optimizer):
        return False
    return all(_same(x, y) for x, y in ((a.shift, b.shift), (a.scale, b.scale), (a.y_train, b.y_train), (a.y_val, b.y_val), (a.sample_weight, b.sample_weight)))


def merge_groups(groups: Sequence[Group]) -> tuple[list[Group], list[tuple[str, ...]]]:
    """Groups of one loss differing only in float hyperparameters that may be traced
    (``tune``'s trials) joined into one group whose members keep their own values
    (``Member.params``), in a stable order (by loss, then candidate); returns the groups and
    their traced parameter names."""
    import jax.numpy as jnp

    out: list[Group] = []
    names_of: list[tuple[str, ...]] = []
    for g in groups:
        names = traced_params(g)
        for i, h in enumerate(out):
            if names_of[i] == names and _mergeable(h, g, names):
                h.members.extend(g.members)
                h.state = [[jnp.concatenate([x, y]) for x, y in zip(hs, gs, strict=True)] for hs, gs in zip(h.state, g.state, strict=True)]
                break
        else:
            out.append(g)
            names_of.append(names)
    order = sorted(range(len(out)), key=lambda i: (out[i].spec.name, str(out[i].members[0].task.candidate["id"])))
    return [out[i] for i in order], [names_of[i] for i in order]


def bucket(n: int) -> int:
    """Members a group is padded to (frozen copies), so that runs with a few more or fewer
    members share a program: the next power of two.

    Example:
        >>> [bucket(n) for n in (1, 2, 3, 5, 8)]
        [1, 2, 4, 8, 8]
    """
    return 1 << max(0, int(n) - 1).bit_length()


def structure_key(groups: Sequence[Group], traced: Sequence[Sequence[str]], sizes: Sequence[int], batch_size: int, padded: bool) -> str:
    """What a compiled program depends on besides its array arguments (``sizes``: the
    members per group inside the program)."""
    parts = []
    for g, names, size in zip(groups, traced, sizes, strict=True):
        task = g.members[0].task
        model = task.model if isinstance(task.model, dict) else f"callable:{id(task.model)}"
        static = {k: v for k, v in g.params.items() if k not in names}
        opt = {k: v for k, v in g.optimizer.get_config().items() if k not in ("learning_rate", "name")}
        parts.append([
            g.spec.name, static, sorted(names), int(g.hs.units), str(g.hs.activation), str(g.hs.head),
            list(g.y_train.shape[1:]), str(g.y_train.dtype), g.sample_weight is None, int(size),
            type(g.optimizer).__name__, opt, model, [list(v.shape) for v in g.model.weights],
        ])
    return json.dumps([int(batch_size), bool(padded), parts], sort_keys=True, default=str)


class ProgramCache:
    """The most recent compiled programs by structure key (each keeps its tracing groups'
    Keras objects alive, so the cache is bounded)."""

    def __init__(self, size: int = 16) -> None:
        self.size = int(size)
        self.entries: OrderedDict[str, Any] = OrderedDict()
        self.hits = 0
        self.misses = 0

    def get(self, key: str) -> Any:
        entry = self.entries.get(key)
        if entry is None:
            self.misses += 1
            return None
        self.hits += 1
        self.entries.move_to_end(key)
        return entry

    def put(self, key: str, entry: Any) -> None:
        self.entries[key] = entry
        self.entries.move_to_end(key)
        while len(self.entries) > self.size:
            self.entries.popitem(last=False)
