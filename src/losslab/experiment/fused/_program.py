"""The jitted programs of a fused run: one epoch of training with its validation losses and
the best-weights snapshot (one program), and the raw outputs.

One training step computes, for every group, every member's forward pass
(``model.stateless_call(trainable, non_trainable, x, training=True, return_losses=True)``),
its loss (the group's Keras loss object with the batch's sample weights, plus the model's
own losses such as regularisers, as Keras's ``compute_loss`` adds them), its gradients and
its optimizer update (the Keras optimizer's ``stateless_apply``), vmapped over members.
Groups whose heads have the same shape and activation form a *block* (:func:`blocks`): one
vmapped forward and backward pass of the network (``jax.vjp``) and one vmapped update serve
every member of the block, and only the loss (with its gradient with respect to the
predictions) is each group's own, so the compiled program holds one network per head shape
rather than one per loss; blocks with heads of different sizes are combined in the same
step. An epoch is a
``lax.scan`` over the full batches plus one step for a last, smaller batch, as ``fit``
batches the rows. A member that is not alive (stopped early, or NaN) is frozen: its update is
masked out. A member whose batch loss is not finite stays updated by that batch (as Keras
applies it before TerminateOnNaN stops) and is frozen from the next batch on.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from losslab.experiment.fused._members import Group
from losslab.experiment.fused._reuse import (
    ProgramCache,
    bucket,
    build_loss,
    structure_key,
    traced_params,
)

__all__ = ["Programs", "batch_indices", "blocks", "can_pad", "pad_last_batch"]


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


def _val_batches(n: int, b: int) -> tuple[np.ndarray, np.ndarray | None]:
    """The validation rows in order, as ``batch_indices`` lays them out for one seed."""
    order = np.arange(n, dtype=np.int32)
    n_full = n // b
    full = order[: n_full * b].reshape(n_full, 1, b)
    return full, (order[None, n_full * b :] if n % b else None)


def pad_last_batch(full: np.ndarray, rest: np.ndarray | None) -> tuple[np.ndarray, np.ndarray]:
    """``(batches [n_batches, S, B], rows per batch [n_batches])`` with the last, smaller batch
    padded to B with row 0 (its padding is weighted 0 by the step)."""
    b = full.shape[2]
    counts = [b] * full.shape[0]
    if rest is not None:
        pad = np.zeros((rest.shape[0], b), dtype=np.int32)
        pad[:, : rest.shape[1]] = rest
        full = np.concatenate([full, pad[None]], axis=0)
        counts.append(rest.shape[1])
    return full, np.asarray(counts, dtype=np.int32)


def can_pad(groups: Sequence[Group]) -> bool:
    """Whether the last batch may be padded (one compiled step instead of two): every loss
    reduces per-sample values (no catalog ``mask``) and the model keeps no float state that a
    batch updates (batch statistics); seed-generator states are integers."""
    for g in groups:
        if (g.spec.extra or {}).get("mask"):
            return False
        if any("int" not in str(v.dtype) for v in g.model.non_trainable_variables):
            return False
    return True


def _keep(alive: Any, new: Sequence[Any], old: Sequence[Any]) -> list[Any]:
    """Per member (leading axis): ``new`` where ``alive``, else ``old`` (a frozen member)."""
    import jax.numpy as jnp

    return [jnp.where(alive.reshape((-1,) + (1,) * (a.ndim - 1)), a, b) for a, b in zip(new, old, strict=True)]


def _split(a: Any, sizes: Sequence[int]) -> list[Any]:
    """``a`` cut along its leading axis into pieces of ``sizes``."""
    out, off = [], 0
    for n in sizes:
        out.append(a[off : off + n])
        off += n
    return out


def blocks(groups: Sequence[Group]) -> list[list[int]]:
    """Groups (by index) whose members can share one traced forward and backward pass: the
    same head (units, activation), target layout and sample-weight presence, and the same
    optimizer class; the body is the run's one body. Members of a block are trained by one
    vmapped network pass and one vmapped update, each group keeping its own loss, so the
    compiled program holds one network per block instead of one per loss."""
    keys: dict[tuple[Any, ...], list[int]] = {}
    for gi, g in enumerate(groups):
        key = (g.hs.units, str(g.hs.activation), g.y_train.shape[1:], str(g.y_train.dtype), g.sample_weight is None, type(g.optimizer).__name__)
        keys.setdefault(key, []).append(gi)
    return list(keys.values())


def _total_loss(loss: Any, y: Any, pred: Any, sw: Any, extra: Sequence[Any], count: Any = None) -> Any:
    """Keras's ``compute_loss``: the loss with sample weights plus the model's own losses.
    With ``count`` (a padded batch) the padding rows weigh 0 and the mean is over ``count``."""
    from keras import ops

    if count is None:
        value = loss(y, pred, sample_weight=sw)
    else:
        import jax.numpy as jnp

        b = pred.shape[0]
        mask = (jnp.arange(b) < count).astype(pred.dtype)
        value = loss(y, pred, sample_weight=mask if sw is None else mask * sw) * (b / count.astype(pred.dtype))
    for r in extra:
        value = value + ops.sum(ops.cast(r, value.dtype))
    return value


class Programs:
    """The compiled functions of one fused run (one per set of groups).

    Args:
        groups: the groups (their templates, losses and optimizers are read while tracing).
        x_train, x_val, x_test: the feature arrays (device-resident).
        batch_size: the training and validation batch size.
        padded: the last, smaller batch comes padded to the batch size with a row count
            (:func:`pad_last_batch`): padding rows get sample weight 0 and the loss is scaled
            by B / rows, which equals Keras's mean over the real rows for losses reducing
            per-sample values (:func:`can_pad`); one compiled step serves every batch.
        cache: compiled programs by structure (:mod:`._reuse`): a run with the same structure
            as an earlier one calls its programs with its own arrays instead of compiling.
        traced: per group, the loss parameters passed as per-member arrays (default
            :func:`~._reuse.traced_params`).
        compiler_options: XLA options of the programs' compilation (``jax.jit``'s), e.g.
            ``{"xla_backend_optimization_level": 0}`` to compile faster.
        bucket_members: pad each group to :func:`~._reuse.bucket` members (frozen copies of
            its first member) inside the programs, so runs with a few more or fewer members
            share a program (``tune``'s batches; a comparison runs once and pays no padding).
            :meth:`epoch` takes and returns padded states (:meth:`pad`); its per-member
            outputs and :meth:`raw`'s are the real members only.
    """

    def __init__(
        self,
        groups: Sequence[Group],
        x_train: np.ndarray,
        x_val: np.ndarray,
        batch_size: int,
        *,
        padded: bool = False,
        x_test: np.ndarray | None = None,
        cache: ProgramCache | None = None,
        traced: Sequence[tuple[str, ...]] | None = None,
        compiler_options: dict[str, Any] | None = None,
        bucket_members: bool = False,
    ) -> None:
        import jax
        import jax.numpy as jnp

        self.groups = list(groups)
        self.x_train = jnp.asarray(x_train)
        self.x_val = jnp.asarray(x_val)
        # the validation rows then the test rows: one compiled forward serves the per-epoch
        # validation judge metric (tune) and the final outputs
        self.x_eval = self.x_val if x_test is None else jnp.concatenate([self.x_val, jnp.asarray(x_test)])
        self.batch_size = int(batch_size)
        self.padded = bool(padded)
        self.blocks = blocks(self.groups)
        self.traced = list(traced) if traced is not None else [traced_params(g) for g in self.groups]
        self.real = [len(g.members) for g in self.groups]
        self.sizes = [bucket(n) if bucket_members else n for n in self.real]  # members per group inside the programs
        slots = [np.concatenate([g.slots, np.repeat(g.slots[:1], p - n)]) for g, n, p in zip(self.groups, self.real, self.sizes, strict=True)]
        # every array the programs read is an argument (not a traced constant), so programs
        # of the same structure serve other runs' arrays
        self.data = {
            "x_train": self.x_train,
            "x_val": self.x_val,
            "y_train": [jnp.asarray(g.y_train) for g in self.groups],
            "y_val": [jnp.asarray(g.y_val) for g in self.groups],
            "sw": [None if g.sample_weight is None else jnp.asarray(g.sample_weight) for g in self.groups],
            "slots": [jnp.asarray(np.concatenate([slots[gi] for gi in b])) for b in self.blocks],
            "lp": [self._member_params(gi) for gi in range(len(self.groups))],
        }
        self._d = self.data
        # one compiled program per structure for training + validation (their shapes never
        # change from epoch to epoch), one for the raw outputs
        key = structure_key(self.groups, self.traced, self.sizes, self.batch_size, self.padded) + repr(sorted((compiler_options or {}).items()))
        entry = cache.get(key) if cache is not None else None
        if entry is None:
            entry = tuple(jax.jit(self._bound(f), compiler_options=compiler_options) for f in (self._epoch, self._raw))
            if cache is not None:
                cache.put(key, entry)
        self._programs = entry

    def _member_params(self, gi: int) -> dict[str, Any]:
        import jax.numpy as jnp

        g, pad = self.groups[gi], self.sizes[gi] - self.real[gi]
        values = [m.params or g.params for m in g.members]
        return {n: jnp.asarray([float(v[n]) for v in values + values[:1] * pad], dtype="float32") for n in self.traced[gi]}

    def pad(self, states: Sequence[Sequence[Sequence[Any]]]) -> list[Any]:
        """Per group, each list of stacked arrays padded to the group's program size with
        copies of the first member."""
        import jax.numpy as jnp

        def one(a: Any, p: int) -> Any:
            if a.shape[0] == p:
                return a
            h = np.asarray(a)  # on the host: no program per shape
            return jnp.asarray(np.concatenate([h, np.repeat(h[:1], p - h.shape[0], axis=0)]))

        return [tuple([one(a, p) for a in arrays] for arrays in st) for st, p in zip(states, self.sizes, strict=True)]

    def _pad_mask(self, masks: Sequence[Any]) -> list[Any]:
        import jax.numpy as jnp

        return [jnp.asarray(np.concatenate([np.asarray(m, dtype=bool), np.zeros(p - n, dtype=bool)])) for m, n, p in zip(masks, self.real, self.sizes, strict=True)]

    def unpad(self, gi: int, arrays: Sequence[Any]) -> list[Any]:
        """Group ``gi``'s real members of per-member arrays."""
        return [a[: self.real[gi]] for a in arrays]

    def epoch(self, states: Any, alive: Any, full: Any, rest: Any, best: Any, take: Any) -> tuple[Any, Any, Any, Any, Any]:
        """:meth:`_epoch` compiled, on this run's arrays: ``states`` and ``best`` padded
        (:meth:`pad`), ``alive`` and ``take`` per real member; the returned states and best
        padded, alive flags, batch losses and validation losses per real member."""
        states, alive, losses, best, vals = self._programs[0](self.data, states, self._pad_mask(alive), full, rest, best, self._pad_mask(take))
        alive = [self.unpad(gi, [np.asarray(a)])[0] for gi, a in enumerate(alive)]
        losses = [np.asarray(a)[:, : self.real[gi]] for gi, a in enumerate(losses)]
        return states, alive, losses, best, [self.unpad(gi, [np.asarray(v)])[0] for gi, v in enumerate(vals)]

    def raw(self, states: Any, x: Any) -> Any:
        """:meth:`_raw` compiled, on this run's arrays: raw outputs of the real members
        (``states`` padded or not)."""
        out = self._programs[1](self.data, self.pad([(st[0], st[1]) for st in states]), x)
        return [self.unpad(gi, [np.asarray(r)])[0] for gi, r in enumerate(out)]

    def _bound(self, fn: Any) -> Any:
        """``fn`` reading the arrays passed as its first argument (while it is traced)."""

        def run(data: Any, *args: Any) -> Any:
            self._d = data
            try:
                return fn(*args)
            finally:
                self._d = self.data

        run.__name__ = f"fused{fn.__name__}"  # jit(fused_epoch) / jit(fused_raw) in JAX's compile log
        return run

    def _loss(self, gi: int, lp: Any) -> Any:
        """Group ``gi``'s loss, its float hyperparameters the traced values ``lp`` (one
        member's) when they may be."""
        g = self.groups[gi]
        return build_loss(g.spec, g.params, lp) if self.traced[gi] else g.loss

    # ------------------------------------------------------------------ training
    def _block_step(self, bi: int, count: Any, state: Any, alive: Any, idx: Any) -> tuple[Any, Any, list[Any]]:
        """One batch for every member of block ``bi``: one vmapped forward and backward pass
        of the shared architecture; each group's own loss (and its gradient with respect to
        the predictions) on its own members; one vmapped optimizer update."""
        import jax
        import jax.numpy as jnp
        from keras import ops

        block = self.blocks[bi]
        g0 = self.groups[block[0]]
        tv, ntv, ov = state
        rows = idx[self._d["slots"][bi]]  # [R, B]
        xb = self._d["x_train"][rows]

        def forward(tv_: Any, ntv_: Any, x: Any) -> tuple[tuple[Any, Any], Any]:
            pred, ntv2, extra = g0.model.stateless_call(tv_, ntv_, x, training=True, return_losses=True)
            own = sum((ops.sum(ops.cast(r, pred.dtype)) for r in extra), jnp.zeros((), pred.dtype))
            return (pred, own), ntv2

        (preds, own), vjp_fn, ntv2 = jax.vjp(lambda t: jax.vmap(forward)(t, ntv, xb), tv, has_aux=True)
        values, cotangents, off = [], [], 0
        for gi in block:
            r = self.sizes[gi]
            sl = slice(off, off + r)
            off += r
            sw = self._d["sw"][gi]

            def data_loss(y: Any, p: Any, w: Any, lp: Any, _gi: int = gi) -> Any:
                return _total_loss(self._loss(_gi, lp), y, p, w, (), count)

            v, dp = jax.vmap(jax.value_and_grad(data_loss, argnums=1))(
                self._d["y_train"][gi][rows[sl]], preds[sl], None if sw is None else sw[rows[sl]], self._d["lp"][gi]
            )
            values.append(v)
            cotangents.append(dp)
        (grads,) = vjp_fn((jnp.concatenate(cotangents), jnp.ones_like(own)))
        loss = jnp.concatenate(values) + own
        tv2, ov2 = jax.vmap(g0.optimizer.stateless_apply)(ov, grads, tv)
        kept = (_keep(alive, tv2, tv), _keep(alive, ntv2, ntv), _keep(alive, ov2, ov))
        return kept, alive & jnp.isfinite(loss), _split(loss, [self.sizes[gi] for gi in block])

    def _step(self, carry: tuple[Any, Any], batch: Any) -> tuple[tuple[Any, Any], Any]:
        states, alive = carry
        idx, count = batch if self.padded else (batch, None)
        new_states, new_alive, losses = [], [], []
        for bi in range(len(self.blocks)):
            st, al, ls = self._block_step(bi, count, states[bi], alive[bi], idx)
            new_states.append(st)
            new_alive.append(al)
            losses.extend(ls)
        return (new_states, new_alive), losses

    def _to_blocks(self, states: Any, alive: Any) -> tuple[list[Any], list[Any]]:
        """Per-group ``(trainable, non_trainable, optimizer)`` and alive flags, concatenated
        along the member axis block by block."""
        import jax.numpy as jnp

        def cat(parts: list[Any]) -> Any:
            return parts[0] if len(parts) == 1 else jnp.concatenate(parts)

        out_s, out_a = [], []
        for block in self.blocks:
            out_s.append(tuple([cat([states[gi][k][i] for gi in block]) for i in range(len(states[block[0]][k]))] for k in range(3)))
            out_a.append(cat([alive[gi] for gi in block]))
        return out_s, out_a

    def _from_blocks(self, states: Any, alive: Any) -> tuple[list[Any], list[Any]]:
        """The inverse of :meth:`_to_blocks`, in group order."""
        by_group: dict[int, Any] = {}
        for block, st, al in zip(self.blocks, states, alive, strict=True):
            sizes = [self.sizes[gi] for gi in block]
            parts = [[_split(a, sizes) for a in arrays] for arrays in st]  # [k][i][group]
            for j, (gi, a) in enumerate(zip(block, _split(al, sizes), strict=True)):
                by_group[gi] = (tuple([p[j] for p in parts[k]] for k in range(3)), a)
        order = range(len(self.groups))
        return [by_group[gi][0] for gi in order], [by_group[gi][1] for gi in order]

    def _epoch(self, states: Any, alive: Any, full: Any, rest: Any, best: Any, take: Any) -> tuple[Any, Any, Any, Any, Any]:
        """One epoch and its validation pass in one program: ``(states, alive, batch losses
        per group [n_batches, R_g], best, validation loss per group [R_g])``. First ``best``
        takes the current weights of the members flagged in ``take`` (the snapshot
        EarlyStopping asked for after the previous epoch). Padded: ``full`` is ``(batches,
        counts)`` and ``rest`` None."""
        import jax
        import jax.numpy as jnp

        best = self._snapshot(best, states, take)
        carry, losses = jax.lax.scan(self._step, self._to_blocks(states, alive), full)
        if rest is not None:
            carry, last = self._step(carry, rest)
            losses = [jnp.concatenate([a, b[None]], axis=0) for a, b in zip(losses, last, strict=True)]
        states, alive = self._from_blocks(*carry)
        return states, alive, losses, best, self._val_losses(states)

    # ------------------------------------------------------------------ evaluation
    def _forward(self, gi: int, tv: Any, ntv: Any, x: Any) -> tuple[Any, Any]:
        pred, _, extra = self.groups[gi].model.stateless_call(tv, ntv, x, training=False, return_losses=True)
        return pred, extra

    def _val_losses(self, states: Any) -> list[Any]:
        """Validation loss per member as ``evaluate`` reports it: the loss of each batch
        (no sample weights, model losses added), averaged with the batch sizes as weights."""
        import jax
        import jax.numpy as jnp

        x_val = self._d["x_val"]
        n, b = int(x_val.shape[0]), self.batch_size
        n_full = n // b
        out = []
        for gi, (tv, ntv, _) in enumerate(states):
            yv = self._d["y_val"][gi]

            def member(tv_: Any, ntv_: Any, lp: Any, _gi: int = gi, _yv: Any = yv) -> Any:
                def batch_loss(xb: Any, yb: Any, count: Any = None) -> Any:
                    pred, extra = self._forward(_gi, tv_, ntv_, xb)
                    return _total_loss(self._loss(_gi, lp), yb, pred, None, extra, count)

                if self.padded:  # every batch (the last one padded) in one vmapped forward
                    idx, counts = pad_last_batch(*_val_batches(n, b))
                    losses = jax.vmap(batch_loss)(x_val[idx[:, 0]], _yv[idx[:, 0]], jnp.asarray(counts))
                    return jnp.sum(losses * counts) / n
                total = jnp.zeros((), dtype="float32")
                if n_full:
                    xs = x_val[: n_full * b].reshape(n_full, b, *x_val.shape[1:])
                    ys = _yv[: n_full * b].reshape(n_full, b, *_yv.shape[1:])
                    total = jnp.sum(jax.lax.map(lambda a: batch_loss(*a), (xs, ys))) * b
                if n % b:
                    total = total + batch_loss(x_val[n_full * b :], _yv[n_full * b :]) * (n % b)
                return total / n

            out.append(jax.vmap(member)(tv, ntv, self._d["lp"][gi]))
        return out

    def _raw(self, states: Any, x: Any) -> list[Any]:
        """Raw outputs ``[R_g, N, units]`` per group (inference mode)."""
        import jax

        return [
            jax.vmap(lambda tv, ntv, _gi=gi: self._forward(_gi, tv, ntv, x)[0])(st[0], st[1])
            for gi, st in enumerate(states)
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
