"""The jitted programs of a fused run: one epoch of training, validation losses, raw outputs,
and the best-weights snapshot.

One training step computes, for every group, every member's forward pass
(``model.stateless_call(trainable, non_trainable, x, training=True, return_losses=True)``),
its loss (the group's Keras loss object with the batch's sample weights, plus the model's
own losses such as regularisers, as Keras's ``compute_loss`` adds them), its gradients and
its optimizer update (the Keras optimizer's ``stateless_apply``), vmapped over the members of
a group; the groups (heads of different sizes) are combined in the same step. An epoch is a
``lax.scan`` over the full batches plus one step for a last, smaller batch, as ``fit``
batches the rows. A member that is not alive (stopped early, or NaN) is frozen: its update is
masked out. A member whose batch loss is not finite stays updated by that batch (as Keras
applies it before TerminateOnNaN stops) and is frozen from the next batch on.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from typing import Any

import numpy as np

from losslab.experiment.fused._members import Group

__all__ = ["Programs", "batch_indices"]


def batch_indices(seeds: Sequence[int], epoch: int, n: int, batch_size: int, *, shuffle: bool) -> tuple[np.ndarray, np.ndarray | None]:
    """The rows of every batch of an epoch, per seed: ``(full [n_full, S, B], rest [S, r] or
    None)``. Each seed shuffles all rows each epoch (its own generator, seeded by the seed
    and the epoch), so every member of a seed sees the same batch order."""
    orders = []
    for s in seeds:
        order = np.arange(n)
        if shuffle:
            np.random.default_rng([int(s), int(epoch), 7919]).shuffle(order)
        orders.append(order)
    o = np.stack(orders)  # [S, n]
    n_full = n // batch_size
    full = o[:, : n_full * batch_size].reshape(len(seeds), n_full, batch_size).transpose(1, 0, 2)
    rest = o[:, n_full * batch_size :] if n % batch_size else None
    return np.ascontiguousarray(full, dtype=np.int32), rest


def _where(keep: Any, new: Sequence[Any], old: Sequence[Any]) -> list[Any]:
    import jax.numpy as jnp

    return [jnp.where(keep, a, b) for a, b in zip(new, old, strict=True)]


def _total_loss(group: Group, y: Any, pred: Any, sw: Any, extra: Sequence[Any]) -> Any:
    from keras import ops

    value = group.loss(y, pred, sample_weight=sw)
    for r in extra:
        value = value + ops.sum(ops.cast(r, value.dtype))
    return value


class Programs:
    """The compiled functions of one fused run (one per set of groups).

    Args:
        groups: the groups (their templates, losses and optimizers are read while tracing).
        x_train, x_val: the feature arrays (device-resident).
        batch_size: the training and validation batch size.
    """

    def __init__(self, groups: Sequence[Group], x_train: np.ndarray, x_val: np.ndarray, batch_size: int) -> None:
        import jax
        import jax.numpy as jnp

        self.groups = list(groups)
        self.x_train = jnp.asarray(x_train)
        self.x_val = jnp.asarray(x_val)
        self.batch_size = int(batch_size)
        self.y_train = [jnp.asarray(g.y_train) for g in self.groups]
        self.y_val = [jnp.asarray(g.y_val) for g in self.groups]
        self.sw = [None if g.sample_weight is None else jnp.asarray(g.sample_weight) for g in self.groups]
        self.slots = [jnp.asarray(g.slots) for g in self.groups]
        self.epoch = jax.jit(self._epoch)
        self.val_losses = jax.jit(self._val_losses)
        self.raw = jax.jit(self._raw)
        self.snapshot = jax.jit(self._snapshot)

    # ------------------------------------------------------------------ training
    def _member_step(self, gi: int, tv: Any, ntv: Any, ov: Any, alive: Any, xb: Any, yb: Any, swb: Any) -> tuple[Any, ...]:
        import jax
        import jax.numpy as jnp

        g = self.groups[gi]

        def loss_fn(tv_: Any) -> tuple[Any, Any]:
            pred, ntv2, extra = g.model.stateless_call(tv_, ntv, xb, training=True, return_losses=True)
            return _total_loss(g, yb, pred, swb, extra), ntv2

        (loss, ntv2), grads = jax.value_and_grad(loss_fn, has_aux=True)(tv)
        tv2, ov2 = g.optimizer.stateless_apply(ov, grads, tv)
        kept = (_where(alive, tv2, tv), _where(alive, ntv2, ntv), _where(alive, ov2, ov))
        return (*kept, alive & jnp.isfinite(loss), loss)

    def _step(self, carry: tuple[Any, Any], idx: Any) -> tuple[tuple[Any, Any], Any]:
        import jax

        states, alive = carry
        new_states, new_alive, losses = [], [], []
        for gi, ((tv, ntv, ov), al) in enumerate(zip(states, alive, strict=True)):
            rows = idx[self.slots[gi]]  # [R_g, B]
            xb = self.x_train[rows]
            yb = self.y_train[gi][rows]
            swb = None if self.sw[gi] is None else self.sw[gi][rows]
            step = functools.partial(self._member_step, gi)
            tv2, ntv2, ov2, al2, loss = jax.vmap(step)(tv, ntv, ov, al, xb, yb, swb)
            new_states.append((tv2, ntv2, ov2))
            new_alive.append(al2)
            losses.append(loss)
        return (new_states, new_alive), losses

    def _epoch(self, states: Any, alive: Any, full: Any, rest: Any) -> tuple[Any, Any, Any]:
        """One epoch: ``(states, alive, batch losses per group [n_batches, R_g])``."""
        import jax
        import jax.numpy as jnp

        carry, losses = jax.lax.scan(self._step, (states, alive), full)
        if rest is not None:
            carry, last = self._step(carry, rest)
            losses = [jnp.concatenate([a, b[None]], axis=0) for a, b in zip(losses, last, strict=True)]
        return carry[0], carry[1], losses

    # ------------------------------------------------------------------ evaluation
    def _forward(self, gi: int, tv: Any, ntv: Any, x: Any) -> tuple[Any, Any]:
        pred, _, extra = self.groups[gi].model.stateless_call(tv, ntv, x, training=False, return_losses=True)
        return pred, extra

    def _val_losses(self, states: Any) -> list[Any]:
        """Validation loss per member as ``evaluate`` reports it: the loss of each batch
        (no sample weights, model losses added), averaged with the batch sizes as weights."""
        import jax
        import jax.numpy as jnp

        n, b = int(self.x_val.shape[0]), self.batch_size
        n_full = n // b
        out = []
        for gi, (tv, ntv, _) in enumerate(states):
            g = self.groups[gi]
            yv = self.y_val[gi]

            def member(tv_: Any, ntv_: Any, _gi: int = gi, _g: Group = g, _yv: Any = yv) -> Any:
                def batch_loss(xb: Any, yb: Any) -> Any:
                    pred, extra = self._forward(_gi, tv_, ntv_, xb)
                    return _total_loss(_g, yb, pred, None, extra)

                total = jnp.zeros((), dtype="float32")
                if n_full:
                    xs = self.x_val[: n_full * b].reshape(n_full, b, *self.x_val.shape[1:])
                    ys = _yv[: n_full * b].reshape(n_full, b, *_yv.shape[1:])
                    total = jnp.sum(jax.lax.map(lambda a: batch_loss(*a), (xs, ys))) * b
                if n % b:
                    total = total + batch_loss(self.x_val[n_full * b :], _yv[n_full * b :]) * (n % b)
                return total / n

            out.append(jax.vmap(member)(tv, ntv))
        return out

    def _raw(self, states: Any, x: Any) -> list[Any]:
        """Raw outputs ``[R_g, N, units]`` per group (inference mode)."""
        import jax

        return [
            jax.vmap(lambda tv, ntv, _gi=gi: self._forward(_gi, tv, ntv, x)[0])(tv, ntv)
            for gi, (tv, ntv, _) in enumerate(states)
        ]

    @staticmethod
    def _snapshot(best: Any, states: Any, take: Any) -> list[Any]:
        """``best`` (trainable, non-trainable per group) replaced by ``states`` where ``take``."""
        import jax.numpy as jnp

        out = []
        for (btv, bntv), (tv, ntv, _), t in zip(best, states, take, strict=True):

            def sel(a: Any, b: Any, _t: Any = t) -> Any:
                return jnp.where(_t.reshape((-1,) + (1,) * (a.ndim - 1)), a, b)

            out.append(([sel(a, b) for a, b in zip(tv, btv, strict=True)], [sel(a, b) for a, b in zip(ntv, bntv, strict=True)]))
        return out
