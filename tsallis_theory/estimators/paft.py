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

from tsallis_theory import _validate as V
from tsallis_theory.estimators._pool import (
    GradientCoefficients,
    check_pool,
    log_mean_w,
    lr_rescale_factor,
    pow_from_log,
)


def paft_resample(key, log_w, num_samples: int):
    """K = ``num_samples`` indices r_k ~ Categorical(w/Σw), shape (..., K). Arbitrary for an all-failed pool."""
    log_w = jnp.asarray(log_w, dtype=jnp.result_type(float))
    safe = jnp.where(jnp.all(jnp.isneginf(log_w), axis=-1, keepdims=True), 0.0, log_w)
    return jax.random.categorical(key, safe, axis=-1, shape=(num_samples, *log_w.shape[:-1])).T if log_w.ndim > 1 \
        else jax.random.categorical(key, safe, shape=(num_samples,))


def paft_from_indices(log_w, q, indices, *, lr_rescale: bool = False) -> GradientCoefficients:
    """PAFT coefficients for given resample indices: score = path = −w̄^{1−q} n_m / K.

    Args:
      log_w: (..., M) log answer likelihoods in [−inf, 0].
      q: commitment in [0, 1].
      indices: (..., K) integer resample indices into the pool.
    """
    check_pool(log_w, q)
    if not V.is_traced(indices):
        idx = V.concrete("indices", indices)
        if idx.ndim == 0 or idx.shape[-1] < 1:
            raise ValueError("indices must have shape (..., K) with K >= 1 resampled rollouts")
    log_w = jnp.asarray(log_w, dtype=jnp.result_type(float))
    q = jnp.asarray(q, dtype=log_w.dtype)
    m, k = log_w.shape[-1], indices.shape[-1]
    counts = jax.nn.one_hot(indices, m, dtype=log_w.dtype).sum(axis=-2)  # (..., M)
    log_wbar = log_mean_w(log_w)
    scale = pow_from_log(log_wbar, 1.0 - q)
    scale = jnp.where(jnp.isfinite(log_wbar), scale, 0.0)[..., None]
    coef = -scale * counts / k * lr_rescale_factor(m, q, lr_rescale)
    return GradientCoefficients(score=coef, path=coef)


def paft(key, log_w, q, num_samples: int, *, lr_rescale: bool = False):
    """PAFT (eq 14, Alg 2): resample K rollouts in proportion to w, SFT on them, scale by w̄^{1−q}.

    Args:
      key: a jax PRNG key.
      log_w: (..., M) log answer likelihoods in [−inf, 0].
      q: commitment in [0, 1].
      num_samples: K >= 1 resampled rollouts.
      lr_rescale: multiply by M^{−q} (paper Alg 2).
    Returns:
      (GradientCoefficients, indices of shape (..., K)).
    """
    if int(num_samples) < 1:
        raise ValueError(f"num_samples (K) must be >= 1; got {num_samples}")
    check_pool(log_w, q)
    indices = paft_resample(key, log_w, int(num_samples))
    return paft_from_indices(log_w, q, indices, lr_rescale=lr_rescale), indices
