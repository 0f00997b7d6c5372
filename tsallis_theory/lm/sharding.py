"""Spreading the LM trainer over devices with ``jax.sharding``, along one of two axes:

* the **run axis** (``run_mesh``, ``shard_runs``): a batch of R runs of one compiled program
  (``Trainer.init_batch``) is split over devices, each device training R / n whole runs. This is how a study
  fills a machine: tiny models cannot fill a chip alone, many runs can. Over several hosts, call
  ``jax.distributed.initialize()`` on each (same code, one process per host); ``jax.devices()`` then lists
  every host's devices and ``run_mesh()`` spans them all.
* the **data axis** (``data_mesh``): the prompt batch of one run is split over devices, parameters are
  replicated, and XLA inserts the gradient all-reduce. Pass ``mesh=data_mesh()`` to ``make_trainer`` (or
  ``make_evaluator``).

Because every random draw is keyed by (seed, step, prompt index), a sharded run computes the same
numbers as a single-device run, along either axis (tests/test_lm_sharding.py runs two host devices in a
subprocess with XLA_FLAGS=--xla_force_host_platform_device_count=2).
"""

from __future__ import annotations

import jax
import numpy as np
from jax.sharding import Mesh, NamedSharding, PartitionSpec


def data_mesh(devices=None) -> Mesh:
    """A 1-D mesh with axis "data" over ``devices`` (default: all)."""
    devs = np.asarray(devices if devices is not None else jax.devices())
    return Mesh(devs, ("data",))


def batch_sharding(mesh: Mesh, ndim: int) -> NamedSharding:
    """Shard the leading (batch) axis over "data", replicate the rest."""
    return NamedSharding(mesh, PartitionSpec("data", *([None] * (ndim - 1))))


def constrain_batch(x, mesh: Mesh | None):
    """``x`` with its leading axis sharded over ``mesh`` (inside jit), or ``x`` itself when ``mesh`` is None."""
    if mesh is None:
        return x
    return jax.lax.with_sharding_constraint(x, batch_sharding(mesh, x.ndim))


# ---- the run axis: many runs of one compiled program ---------------------------------------------------
def run_mesh(devices=None) -> Mesh:
    """A 1-D mesh with axis "runs" over ``devices`` (default: every device of every process, so that after
    ``jax.distributed.initialize()`` on each host the same code spreads a batch of runs over all hosts)."""
    devs = np.asarray(devices if devices is not None else jax.devices())
    return Mesh(devs, ("runs",))


def shard_runs(tree, mesh: Mesh | None):
    """``tree`` (leaves with a leading run axis R) placed with R split over ``mesh``'s "runs" axis; ``tree``
    itself when ``mesh`` is None. R must be a multiple of the mesh size (``pad_runs``)."""
    if mesh is None:
        return tree
    sizes = {x.shape[0] for x in jax.tree.leaves(tree)}
    if any(r % mesh.size for r in sizes):
        raise ValueError(f"the run axis ({', '.join(map(str, sorted(sizes)))}) must be a multiple of the number of "
                         f"devices ({mesh.size}); pad the batch (sharding.pad_runs)")
    return jax.tree.map(lambda x: jax.device_put(x, NamedSharding(mesh, PartitionSpec("runs", *([None] * (x.ndim - 1))))),
                        tree)


def pad_runs(items: list, multiple: int) -> list:
    """``items`` with its last element repeated until its length is a multiple of ``multiple`` (the padding
    runs are computed and dropped, so that a batch fills every device)."""
    return list(items) + [items[-1]] * (-len(items) % multiple)
