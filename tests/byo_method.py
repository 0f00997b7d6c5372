"""A method declared outside the library, as a user would: GARL's plug-in with each weight capped at 2/M.

Used by tests/test_method_protocol.py to check that a declared method reaches the atlas, the flow and the
exact bias without any edit to the package.
"""

import jax.numpy as jnp

from tsallis_theory.estimators import Method, garl_plugin


def clipped_garl(log_w, q):
    """GARL plug-in, score = path = −min(w_m/w̄^q, 2)/M: the clip bounds one rollout's weight."""
    c = garl_plugin(log_w, q)
    return jnp.maximum(c.score, -2.0 / log_w.shape[-1])


CLIPPED_GARL = Method("clipped_garl", clipped_garl, needs=("q",), soft_ok=True, defaults={"q": 0.5},
                      label="clipped GARL q=0.5")


def batch_mean_garl(log_w, q):
    """A bad method: centres each rollout's weight on the mean over the whole batch (depends on other pools)."""
    s = garl_plugin(log_w, q).score
    return s - s.mean()


def nan_method(log_w):
    """A bad method: NaN coefficients."""
    return jnp.full(log_w.shape, jnp.nan)


def wrong_shape(log_w):
    """A bad method: one coefficient per pool instead of one per rollout."""
    return log_w.sum(axis=-1)
