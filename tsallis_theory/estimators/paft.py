"""PAFT: posterior-resampled fine-tuning (paper eq 14, Alg 2).

Resample K indices r_k ~ Categorical(w / Σw) with replacement from the pool, then take the SFT gradient on
the resampled (rationale, answer) pairs, scaled by w̄^{1−q}:

    ĝ = −w̄^{1−q} · mean_k ∇log p_θ(z_{r_k}, y*|x)
      = Σ_m −w̄^{1−q} (n_m / K) [∇log p(z_m|x) + ∇log p(y*|x, z_m)],   n_m = #{k : r_k = m}

Conditioned on the pool its expectation is the GARL plug-in exactly (claim PAFT-BIAS), and its variance is
at least GARL's (claim VAR). q = 1 is EM / TRICE posterior SFT; q = 0 is w̄ × posterior SFT (ENDPOINTS).
PAFT is undefined when every w_m = 0 (the paper: it does not work at cold start with a hard verifier);
we return zero coefficients there. ``lr_rescale=True`` multiplies by M^{−q} as Alg 2 does.
"""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np

from tsallis_theory.estimators._pool import (
    GradientCoefficients,
    broadcast_q,
    check_pool,
    log_mean_w,
    lr_rescale_factor,
    pool_and_q,
    pow_from_log,
    numpy_io,
)
from tsallis_theory.qcalc import as_float


def paft_resample(key, log_w, num_samples: int):
    """K = ``num_samples`` indices r_k ~ Categorical(w/Σw), shape (..., K). Arbitrary for an all-failed pool."""
    log_w = as_float(log_w, keep_precision=False)
    safe = jnp.where(jnp.all(jnp.isneginf(log_w), axis=-1, keepdims=True), 0.0, log_w)
    return jnp.moveaxis(jax.random.categorical(key, safe, axis=-1, shape=(num_samples, *log_w.shape[:-1])), 0, -1)


def check_indices(indices, pool_shape) -> int:
    """Resample indices of shape (..., K), K >= 1, whose leading axes broadcast to the pool's; returns K."""
    shape = np.shape(indices)
    if len(shape) == 0 or shape[-1] < 1:
        raise ValueError("indices must have shape (..., K) with K >= 1 resampled rollouts")
    batch = tuple(pool_shape[:-1])
    try:
        ok = np.broadcast_shapes(shape[:-1], batch) == batch
    except ValueError:
        ok = False
    if not ok:
        raise ValueError(f"indices must have shape (..., K) with leading axes broadcasting to the pool's {batch}; "
                         f"got {shape}")
    return shape[-1]


@numpy_io
def paft_from_indices(log_w, q, indices, *, lr_rescale: bool = False) -> GradientCoefficients:
    """PAFT coefficients for given resample indices: score = path = −w̄^{1−q} n_m / K.

    Args:
      log_w: (..., M) log answer likelihoods in [−inf, 0].
      q: commitment in [0, 1], shape (...) or (..., 1) (see the package docs).
      indices: (..., K) integer resample indices into the pool, leading axes broadcasting to the pool's.
    """
    log_w, q = pool_and_q(log_w, q)
    m, k = log_w.shape[-1], check_indices(indices, log_w.shape)
    counts = jax.nn.one_hot(indices, m, dtype=log_w.dtype).sum(axis=-2)  # (..., M)
    log_wbar = log_mean_w(log_w)[..., None]
    scale = jnp.where(jnp.isfinite(log_wbar), pow_from_log(log_wbar, 1.0 - q), 0.0)
    coef = -scale * counts / k * lr_rescale_factor(m, q, lr_rescale)
    return GradientCoefficients(score=coef, path=coef)


@numpy_io(pool=1)
def paft(key, log_w, q, num_samples: int, *, lr_rescale: bool = False):
    """PAFT (eq 14, Alg 2): resample K rollouts in proportion to w, SFT on them, scale by w̄^{1−q}.

    Args:
      key: a jax PRNG key.
      log_w: (..., M) log answer likelihoods in [−inf, 0].
      q: commitment in [0, 1], shape (...) or (..., 1).
      num_samples: K >= 1 resampled rollouts.
      lr_rescale: multiply by M^{−q} (paper Alg 2).
    Returns:
      (GradientCoefficients, indices of shape (..., K)).
    """
    if int(num_samples) < 1:
        raise ValueError(f"num_samples (K) must be >= 1; got {num_samples}")
    check_pool(log_w, q)
    broadcast_q(q, np.shape(log_w))  # the shape rule, before drawing
    indices = paft_resample(key, log_w, int(num_samples))
    return paft_from_indices(log_w, q, indices, lr_rescale=lr_rescale), indices
