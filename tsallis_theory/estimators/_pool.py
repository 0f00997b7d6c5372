"""Shared pieces of the per-sample-weight estimators: the coefficient pair and pool validation.

An estimator of one example's loss gradient, from a pool of M rollouts z_1..z_M ~ p_θ(z|x), is returned as
coefficients on the two per-rollout gradients a training loop already has:

    ĝ = Σ_m score[m] · ∇log p_θ(z_m|x) + path[m] · ∇log p_θ(y*|x, z_m)

(a hard 0/1 verifier has no pathwise term: ∇w_m = 0). ``ĝ`` estimates the gradient of the *loss* ℓ_q, so a
descent step is θ ← θ − lr·ĝ.  Inputs are log w_m = log p_θ(y*|x, z_m) (−inf for a failed hard check).

``pool_and_q`` is the one broadcasting rule of the estimators of order q (stated in the package docstring).
"""

from __future__ import annotations

import functools
from typing import NamedTuple

import jax
import jax.numpy as jnp
import numpy as np

from tsallis_theory import _validate as V
from tsallis_theory.qcalc import as_float


class GradientCoefficients(NamedTuple):
    """Per-rollout coefficients, each of shape (..., M): ĝ = Σ_m score·∇log p(z_m|x) + path·∇log p(y*|x,z_m)."""

    score: jax.Array
    path: jax.Array


def check_pool(log_w, q, *, min_size: int = 1, name: str = "log_w") -> None:
    """Validate a pool outside jit: log_w of shape (..., M) with M >= min_size, entries in [-inf, 0], q in [0, 1]."""
    if V.is_traced(log_w, q):
        return
    arr = V.concrete(name, log_w)
    if arr.ndim == 0:
        raise ValueError(f"{name} must have shape (..., M) with a pool axis last; got a scalar")
    if arr.shape[-1] < min_size:
        raise ValueError(f"{name} must hold a pool of M >= {min_size} rollouts on its last axis; got M = {arr.shape[-1]}")
    if np.any(np.isnan(arr)):
        raise ValueError(f"{name} must be in [-inf, 0] (log-likelihoods); got NaN")
    if np.any(arr > 0):
        raise ValueError(f"{name} must be in [-inf, 0] (log-likelihoods); got {float(arr[arr > 0][0]):g}")
    V.check_range("q", q, *V.Q_RANGE)


def broadcast_q(q, pool_shape: tuple[int, ...], dtype=None):
    """q of shape (...) or (..., 1) against a pool of shape (..., M), as an array that broadcasts against the
    pool's (..., M) axes (a trailing axis of 1 is added). The leading shape of q must broadcast *to* the pool's
    leading axes (...): a scalar, one q per example, or any shape NumPy broadcasting stretches to them; the
    coefficients keep the pool's shape. Checked on shapes, so also under jit; otherwise a one-line ValueError.
    """
    q = jnp.asarray(q, dtype)
    batch = tuple(pool_shape[:-1])
    lead = q.shape[:-1] if q.ndim == len(batch) + 1 and q.shape[-1] == 1 else q.shape
    try:
        ok = np.broadcast_shapes(lead, batch) == batch
    except ValueError:
        ok = False
    if not ok:
        raise ValueError(f"q must have shape (...) or (..., 1) broadcasting to the pool's leading axes {batch} "
                         f"(pool of shape {tuple(pool_shape)}); got q of shape {q.shape}")
    return q.reshape(*lead, 1)


def pool_and_q(log_w, q, *, min_size: int = 1):
    """Validate a pool and its order q; return log_w as the default float (..., M) and q from ``broadcast_q``."""
    check_pool(log_w, q, min_size=min_size)
    log_w = as_float(log_w, keep_precision=False)
    return log_w, broadcast_q(q, log_w.shape, log_w.dtype)


def log_mean_w(log_w):
    """log w̄ = log( mean_m w_m ), computed in log space; −inf for an all-failed pool."""
    m = log_w.shape[-1]
    return jax.nn.logsumexp(log_w, axis=-1) - jnp.log(m)


def pow_from_log(log_x, power):
    """x^power from log x with 0^0 = 1 (so w̄^{1-q} at q = 1 is 1 even when w̄ = 0)."""
    return jnp.where(power == 0.0, 1.0, jnp.exp(power * jnp.where(jnp.isneginf(log_x) & (power == 0.0), 0.0, log_x)))


def lr_rescale_factor(m: int, q, enabled: bool):
    """The paper's Alg 1/2 factor M^{-q} (a q-dependent learning-rate rescale), or 1 when disabled."""
    return jnp.power(float(m), -jnp.asarray(q)) if enabled else 1.0


def check_rewards(rewards, *, min_size: int = 1, binary: bool = False, name: str = "rewards") -> None:
    """Validate rewards outside jit: shape (..., M) with M >= min_size, entries in [0, 1] (or {0, 1})."""
    if V.is_traced(rewards):
        return
    arr = V.concrete(name, rewards)
    if arr.ndim == 0:
        raise ValueError(f"{name} must have shape (..., M) with a pool axis last; got a scalar")
    if arr.shape[-1] < min_size:
        raise ValueError(f"{name} must hold a pool of M >= {min_size} rollouts on its last axis; got M = {arr.shape[-1]}")
    V.check_range(name, arr, 0.0, 1.0)
    if binary and np.any((arr != 0.0) & (arr != 1.0)):
        raise ValueError(f"{name} must be 0/1 verifier rewards for this estimator; got {float(arr[(arr != 0) & (arr != 1)][0]):g}")


def check_count(name: str, value, low: int, high: int) -> int:
    """Validate an integer hyper-parameter (k, T, K) in [low, high]; returns it as int."""
    if isinstance(value, bool) or int(value) != value:
        raise ValueError(f"{name} must be an integer in [{low}, {high}]; got {value!r}")
    if not low <= int(value) <= high:
        raise ValueError(f"{name} must be an integer in [{low}, {high}]; got {int(value)}")
    return int(value)


def zero_path(score) -> GradientCoefficients:
    """Coefficients of an estimator with no pathwise term (a 0/1 verifier, or a score-only method)."""
    return GradientCoefficients(score=score, path=jnp.zeros_like(score))


def numpy_io(fn=None, *, pool: int = 0):
    """Decorator: an estimator called on a NumPy pool (positional argument ``pool`` an ``np.ndarray``) returns
    NumPy arrays (its coefficients, and its indices); on a JAX array or under jit it returns JAX arrays."""
    if fn is None:
        return functools.partial(numpy_io, pool=pool)

    @functools.wraps(fn)
    def wrapped(*args, **kwargs):
        out = fn(*args, **kwargs)
        if len(args) > pool and isinstance(args[pool], np.ndarray):
            return jax.tree_util.tree_map(np.asarray, out)
        return out

    return wrapped
