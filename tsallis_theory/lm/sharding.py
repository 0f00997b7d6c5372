"""Data-parallel training with ``jax.sharding``: the prompt batch is split over devices, parameters are
replicated, and XLA inserts the gradient all-reduce. Pass ``mesh=data_mesh()`` to ``make_trainer`` (or
``make_evaluator``).

Because every random draw is keyed by (seed, step, prompt index), a sharded run computes the same
numbers as a single-device run (tests/test_lm_sharding.py runs two host devices in a subprocess with
XLA_FLAGS=--xla_force_host_platform_device_count=2).
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
