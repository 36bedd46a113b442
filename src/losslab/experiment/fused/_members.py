"""Set-up of a fused run: one *member* per trial task, grouped by candidate.

Every member follows :func:`losslab.experiment.trial.run_trial`'s protocol: the prepared
split, the seed's stored initial body weights, the seeded head (``seed * 7919 + 997``) with
its data-informed bias, the target scaling and encoding of its loss, and its class weights
turned into sample weights by Keras's own rule. A *group* holds the members of one
candidate (one loss, one head), one per seed; its weights are stacked along a leading
member axis so one vmapped step trains them all.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from losslab.experiment.trial import TrialTask

__all__ = ["Group", "Member", "build_groups", "for_member", "group_key", "member_bytes"]


@dataclass
class Member:
    """One trial of a fused run (one candidate x one seed)."""

    task: TrialTask
    slot: int  # index of the member's seed among the run's seeds (its batch order)
    head_values: list[np.ndarray]  # the seeded head's kernel and bias
    params: dict[str, Any] | None = None  # its loss's parameters (None: the group's)


@dataclass
class Group:
    """The members of one candidate: same loss, head, targets and sample weights.

    Attributes:
        spec, params, hs, levels: the loss, its parameters, head and quantile levels.
        shift, scale: the target standardisation (``scale`` None when unscaled).
        model: a template Keras model (body + head) used for ``stateless_call`` only.
        loss: the Keras loss object (``spec.build(**params)``), reduction as compiled.
        optimizer: a built Keras optimizer (its ``stateless_apply`` updates every member).
        y_train, y_val: the targets as the loss reads them.
        sample_weight: per training row (from class weights), or None.
        members: one per seed.
        state: ``[trainable, non_trainable, optimizer]`` lists of stacked arrays.
    """

    spec: Any
    params: dict[str, Any]
    hs: Any
    levels: list[float] | None
    shift: np.ndarray
    scale: np.ndarray | None
    model: Any
    loss: Any
    optimizer: Any
    y_train: np.ndarray
    y_val: np.ndarray
    sample_weight: np.ndarray | None
    members: list[Member] = field(default_factory=list)
    state: list[list[Any]] = field(default_factory=list)

    @property
    def slots(self) -> np.ndarray:
        return np.array([m.slot for m in self.members], dtype=np.int32)


def for_member(group: Group, member: Member) -> Group:
    """``group`` as ``member`` sees it: with the member's own loss parameters (a group may
    hold members of one loss with different float hyperparameters, see ``_reuse``)."""
    import dataclasses

    if member.params is None or member.params == group.params:
        return group
    return dataclasses.replace(group, params=member.params)


def class_weight_to_sample_weight(y: np.ndarray, class_weight: dict[int, float]) -> np.ndarray:
    """Keras's ``fit(class_weight=...)`` rule: the class of a row is the argmax of a one-hot
    row, else its rounded value; unknown classes weigh 1."""
    yy = np.asarray(y)
    if yy.ndim > 1:
        yy = np.argmax(yy, axis=-1) if yy.shape[-1] != 1 else np.squeeze(yy, axis=-1)
    codes = np.round(yy).astype(np.int64)
    return np.array([class_weight.get(int(c), 1.0) for c in codes], dtype=np.float32)


def _seed_bodies(model_cfg: Any, input_shape: tuple[int, ...], run_dir: str, seeds: Sequence[int]) -> dict[int, Any]:
    """One body per seed, built as run_trial builds it, with the seed's stored weights."""
    from losslab.experiment.models import build_body, load_initial_weights, set_seed
    from losslab.experiment.store import RunStore

    store = RunStore(run_dir)
    bodies = {}
    for s in seeds:
        set_seed(s)
        body = build_body(model_cfg, input_shape, s)
        load_initial_weights(body, store, s)
        bodies[s] = body
    return bodies


def _new_group(task: TrialTask, data: Any, template_body: Any) -> Group:
    import keras

    from losslab.catalog import get_spec
    from losslab.experiment import heads
    from losslab.experiment.models import build_full_model

    cand, tr = task.candidate, task.training
    spec = get_spec(cand["loss"])
    params = spec.validate_params(cand.get("params", {}))
    hs = heads.head_spec(spec, params, task=task.task, target_dim=data.target_dim, n_classes=task.n_classes)
    levels = heads.quantile_levels(spec, params) if hs.head.value == "quantiles" else None
    shift, scale = heads.target_scaling(hs, data.y_train, task=task.task, enabled=bool(tr.get("scale_target", True)), spec=spec)
    y_fit = (data.y_train - shift) / scale if scale is not None else data.y_train
    y_val_fit = (data.y_val - shift) / scale if scale is not None else data.y_val
    y_train = heads.encode_targets(spec, hs, y_fit, task=task.task, n_classes=task.n_classes)
    y_val = heads.encode_targets(spec, hs, y_val_fit, task=task.task, n_classes=task.n_classes)
    sw = None
    if cand.get("class_weight") is not None and task.n_classes:
        cw = heads.class_weights(cand["class_weight"], data.y_train, task.n_classes)
        sw = class_weight_to_sample_weight(y_train, cw) if cw else None
    head = heads.build_head_layer(hs, seed=0, bias=heads.initial_bias(hs, spec, params, y_fit))
    model = build_full_model(template_body, head)
    optimizer = keras.optimizers.get(
        {"class_name": tr.get("optimizer", "adam"), "config": {"learning_rate": float(tr["learning_rate"])}}
    )
    optimizer.build(model.trainable_variables)
    return Group(spec, params, hs, levels, shift, scale, model, spec.build(**params), optimizer, y_train, y_val, sw)


def _head_values(group: Group, seed: int, feat_dim: int, y_fit_bias: np.ndarray | None) -> list[np.ndarray]:
    from losslab.experiment import heads

    layer = heads.build_head_layer(group.hs, seed=seed * 7919 + 997, bias=y_fit_bias)
    layer.build((None, feat_dim))
    return [np.asarray(w) for w in layer.get_weights()]


def _stack_state(group: Group, body_of: dict[int, Any], template_body: Any) -> list[list[Any]]:
    """Stacked ``[trainable, non_trainable, optimizer]`` values of the group's members."""
    import jax.numpy as jnp

    head_layer = group.model.layers[-1]
    head_ids = {id(v): i for i, v in enumerate(head_layer.trainable_variables)}
    t_index = {id(v): i for i, v in enumerate(template_body.trainable_variables)}
    n_index = {id(v): i for i, v in enumerate(template_body.non_trainable_variables)}

    def member_values(m: Member) -> tuple[list[np.ndarray], list[np.ndarray]]:
        body = body_of[m.task.seed]
        tv = []
        for v in group.model.trainable_variables:
            if id(v) in head_ids:
                tv.append(m.head_values[head_ids[id(v)]])
            else:
                tv.append(np.asarray(body.trainable_variables[t_index[id(v)]]))
        ntv = [np.asarray(body.non_trainable_variables[n_index[id(v)]]) for v in group.model.non_trainable_variables]
        return tv, ntv

    values = [member_values(m) for m in group.members]
    r = len(group.members)
    tv = [jnp.asarray(np.stack([vals[0][i] for vals in values])) for i in range(len(values[0][0]))]
    ntv = [jnp.asarray(np.stack([vals[1][i] for vals in values])) for i in range(len(values[0][1]))]
    ov = []
    for v in group.optimizer.variables:
        if v is group.optimizer.learning_rate:  # each member's own rate (tune's trials differ)
            lrs = [float(m.task.training["learning_rate"]) for m in group.members]
            ov.append(jnp.asarray(np.asarray(lrs, dtype=np.asarray(v).dtype)))
        else:
            o = np.asarray(v)
            ov.append(jnp.asarray(np.broadcast_to(o, (r, *o.shape)).copy()))
    return [tv, ntv, ov]


def group_key(task: TrialTask) -> str:
    """Members share a group when they share the loss, its parameters and class weights (a
    comparison's candidate; tune's trials of one loss differ in their parameters). The
    learning rate is each member's own (an optimizer variable), so it does not split groups.

    Example:
        >>> t = TrialTask(run_dir="r", trial_id="a", candidate={"id": "mse", "loss": "mse"}, seed=0,
        ...               task="regression", n_classes=None, primary_metric="rmse", goal_quantile=None,
        ...               model={}, training={})
        >>> group_key(t)
        '["mse", "mse", {}, null]'
    """
    import json

    c = task.candidate
    return json.dumps([str(c["id"]), c.get("loss"), c.get("params") or {}, c.get("class_weight")], sort_keys=True, default=str)


def build_groups(tasks: Sequence[TrialTask], data: Any, seeds: Sequence[int]) -> list[Group]:
    """The groups of a bundle of tasks sharing run directory, model and training settings."""
    from losslab.experiment import heads

    first = tasks[0]
    body_of = _seed_bodies(first.model, data.input_shape, first.run_dir, seeds)
    template = body_of[seeds[0]]
    feat_dim = int(template.outputs[0].shape[-1])
    slot_of = {s: i for i, s in enumerate(seeds)}
    groups: dict[str, Group] = {}
    for t in tasks:
        cid = group_key(t)
        if cid not in groups:
            groups[cid] = _new_group(t, data, template)
        g = groups[cid]
        y_fit = (data.y_train - g.shift) / g.scale if g.scale is not None else data.y_train
        bias = heads.initial_bias(g.hs, g.spec, g.params, y_fit)
        g.members.append(Member(t, slot_of[t.seed], _head_values(g, t.seed, feat_dim, bias), dict(g.params)))
    for g in groups.values():
        g.state = _stack_state(g, body_of, template)
    return list(groups.values())


def member_bytes(tasks: Sequence[TrialTask], data: Any) -> int:
    """Bytes one member holds on the device: weights, Adam-like optimizer slots (2x), the
    best-weights copy and the gradients (about 5x the parameters, float32), plus the head."""
    from losslab.experiment.models import build_body

    body = build_body(tasks[0].model, data.input_shape, int(tasks[0].seed))
    n = sum(int(np.prod(v.shape)) for v in body.weights)
    feat = int(body.outputs[0].shape[-1])
    n += (feat + 1) * max(8, int(tasks[0].n_classes or 1) * 2)
    return 5 * 4 * n
