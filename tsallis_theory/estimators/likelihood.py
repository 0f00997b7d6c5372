"""Estimators from teacher-forced answer likelihoods w_m = p(y*|x, z_m): the methods GARL and PAFT reduce to.

For one example with M prior rollouts z_m ~ p_θ(z|x) and log w_m given, each returns coefficients on
∇log p(z_m|x) (score) and ∇log p(y*|x, z_m) (path); see ``_pool``. Written from each method's own
formula, independently of ``garl``/``paft``, so that claim ENDPOINTS (v1 Prop D.2) can be checked:

  Rao–Blackwellised REINFORCE (VeriFree):  ĝ = −(1/M) Σ_m w_m ∇log p(z_m, y*|x)              (= GARL, q = 0)
  RB-RLOO:   score_m = −(w_m − w̄_{¬m})/M,  path_m = −w_m/M                             (= GARL RLOO, q = 0)
  IWAE:      ĝ = −Σ_m (w_m/Σ_j w_j) ∇log p(z_m, y*|x)  (self-normalised IS for −∇log P)   (= GARL, q = 1)
  EM / TRICE posterior SFT: ĝ = −(1/K) Σ_k ∇log p(z_{r_k}, y*|x), r_k ~ Cat(w/Σw)      (= PAFT, q = 1)

An all-failed pool (every w_m = 0) gives zero coefficients for IWAE and posterior SFT (nothing to
normalise or resample), and for RB-REINFORCE by its formula.
"""

from __future__ import annotations

import jax
import jax.numpy as jnp

from tsallis_theory.estimators._pool import GradientCoefficients, check_count, check_pool, numpy_io
from tsallis_theory.estimators.paft import check_indices, paft_resample
from tsallis_theory.qcalc import as_float


@numpy_io
def rb_reinforce(log_w) -> GradientCoefficients:
    """Rao–Blackwellised REINFORCE: score = path = −w_m / M.  E[ĝ] = ∇ℓ_0 = −∇P exactly.

    Args:
      log_w: (..., M) log answer likelihoods in [−inf, 0].
    """
    check_pool(log_w, 0.0)
    log_w = as_float(log_w, keep_precision=False)
    coef = -jnp.exp(log_w) / log_w.shape[-1]
    return GradientCoefficients(score=coef, path=coef)


@numpy_io
def rb_rloo(log_w) -> GradientCoefficients:
    """RB-REINFORCE with the leave-one-out baseline: score = −(w_m − mean_{j≠m} w_j)/M, path = −w_m/M.

    Args:
      log_w: (..., M) log answer likelihoods, M >= 2.
    """
    check_pool(log_w, 0.0, min_size=2)
    log_w = as_float(log_w, keep_precision=False)
    m = log_w.shape[-1]
    w = jnp.exp(log_w)
    loo = (w.sum(axis=-1, keepdims=True) - w) / (m - 1)
    return GradientCoefficients(score=-(w - loo) / m, path=-w / m)


def _posterior_weights(log_w):
    """w_m / Σ_j w_j in log space (underflow-safe); zeros for an all-failed pool."""
    failed = jnp.all(jnp.isneginf(log_w), axis=-1, keepdims=True)
    return jnp.where(failed, 0.0, jax.nn.softmax(jnp.where(failed, 0.0, log_w), axis=-1))


@numpy_io
def iwae(log_w) -> GradientCoefficients:
    """IWAE gradient of −log P̂, P̂ = mean_m w_m: score = path = −w_m / Σ_j w_j.

    Args:
      log_w: (..., M) log answer likelihoods in [−inf, 0].
    """
    check_pool(log_w, 1.0)
    coef = -_posterior_weights(as_float(log_w, keep_precision=False))
    return GradientCoefficients(score=coef, path=coef)


@numpy_io
def posterior_sft_from_indices(log_w, indices) -> GradientCoefficients:
    """EM / TRICE posterior SFT on given resampled indices: score = path = −n_m / K, n_m = #{k: r_k = m}.

    Args:
      log_w: (..., M) log answer likelihoods in [−inf, 0] (used only to zero an all-failed pool).
      indices: (..., K) resample indices into the pool, K >= 1.
    """
    check_pool(log_w, 1.0)
    log_w = as_float(log_w, keep_precision=False)
    m, k = log_w.shape[-1], check_indices(indices, log_w.shape)
    counts = jax.nn.one_hot(indices, m, dtype=log_w.dtype).sum(axis=-2)
    failed = jnp.all(jnp.isneginf(log_w), axis=-1, keepdims=True)
    coef = jnp.where(failed, 0.0, -counts / k)
    return GradientCoefficients(score=coef, path=coef)


@numpy_io(pool=1)
def posterior_sft(key, log_w, num_samples: int):
    """EM E-step / TRICE: resample K rollouts r_k ~ Cat(w/Σw) and take the SFT gradient on them.

    Returns (GradientCoefficients, indices of shape (..., K)).
    """
    k = check_count("num_samples (K)", num_samples, 1, 10**9)
    check_pool(log_w, 1.0)
    indices = paft_resample(key, log_w, k)
    return posterior_sft_from_indices(log_w, indices), indices
