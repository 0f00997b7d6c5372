"""Hypothesis strategies for the estimators' inputs: q, M/G, P and pools.

XLA on CPU flushes subnormals to zero, so float strategies exclude them (docs/spec.md §10). Pool strategies take the
pool size M and return NumPy arrays of shape (M,); a fixed M keeps jitted estimators from recompiling.
"""

from __future__ import annotations

import numpy as np
from hypothesis import strategies as st

# q on the paper's range and a little beyond, where log_q is still defined.
q_unit = st.floats(0.0, 1.0, allow_nan=False, allow_subnormal=False)
q_wide = st.floats(-1.0, 3.0, allow_nan=False, allow_subnormal=False)
# Probabilities bounded away from subnormals.
prob = st.floats(1e-300, 1.0, allow_nan=False, allow_subnormal=False, exclude_min=False)
prob_moderate = st.floats(1e-12, 1.0, allow_nan=False, allow_subnormal=False)
positive = st.floats(1e-30, 1e30, allow_nan=False, allow_subnormal=False)
# success probabilities P in (0, 1) for amplification checks (1e-12 .. 1 − 1e-12)
success_probs = st.floats(1e-12, 1.0 - 1e-12, allow_nan=False, allow_subnormal=False)

_log_w_entry = st.one_of(st.just(-np.inf), st.floats(-1e4, 0.0, allow_nan=False, allow_subnormal=False))


def group_sizes(low: int = 2, high: int = 64):
    """Pool / group sizes M = G in [low, high]."""
    return st.integers(low, high)


def log_pools(m: int):
    """Soft pools: log w in [−1e4, 0] or −inf (a failed check), shape (M,)."""
    return st.lists(_log_w_entry, min_size=m, max_size=m).map(np.array)


def hard_pools(m: int):
    """0/1 verifier rewards, shape (M,) (as log w: ``np.log`` of them)."""
    return st.lists(st.sampled_from([0.0, 1.0]), min_size=m, max_size=m).map(np.array)


def soft_rewards(m: int):
    """Soft rewards in [0, 1], shape (M,)."""
    return st.lists(st.floats(0.0, 1.0, allow_subnormal=False), min_size=m, max_size=m).map(np.array)


def all_failed_pools(m: int):
    """The all-failed pool (every w_m = 0, log w = −inf): a cold start with a hard verifier."""
    return st.just(np.full(m, -np.inf))


def underflowing_pools(m: int):
    """Pools whose every w_m underflows float64 (log w in [−1e4, −800]): only log-space code survives."""
    return st.lists(st.floats(-1e4, -800.0, allow_nan=False), min_size=m, max_size=m).map(np.array)
