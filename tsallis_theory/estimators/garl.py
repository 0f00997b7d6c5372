"""GARL: the gradient estimator of J_Q from M prior rollouts (paper eq 9, eq 12 / Alg 1).

With w_m = p_θ(y*|x, z_m) and w̄ = mean_m w_m (E[w̄] = P):

  plug-in (eq 9):  ĝ = mean_m g_m / w̄^q,  g_m = −w_m ∇log p(z_m|x) − ∇w_m      (E[mean g_m] = ∇ℓ_0)
  RLOO (eq 12):    ĝ = mean_m [ −c_m ∇log p(z_m|x) − ∇w_m / w̄^q ],
                   c_m = w_m / w̄^q − (w̄_{¬m})^{1−q}   (leave-one-out baseline; claim RLOO-BIAS)

Both are biased for q > 0 at finite M (claim BIAS) and unbiased at q = 0. Endpoints (claim ENDPOINTS):
q = 0 is Rao–Blackwellised REINFORCE (RLOO form: RB-RLOO), q = 1 the IWAE gradient.
``lr_rescale=True`` multiplies by M^{−q} as Alg 1 does.

All-failed pools (every w_m = 0, a cold start with a hard verifier): the plug-in returns zero coefficients
(docs/spec.md §6, BIAS: "estimate 0 when K = 0"), and so does the RLOO form for q < 1. At q = 1 the RLOO baseline
(w̄_{¬m})^0 = 1 stays, so c_m = −1: the update lowers the failed rollouts' probability. Zeroing it instead
would change the expectation (it would depend on w_m), breaking RLOO-BIAS for 0/1 verifiers.
"""

from __future__ import annotations

import jax
import jax.numpy as jnp

from tsallis_theory.estimators._pool import (
    GradientCoefficients,
    log_mean_w,
    lr_rescale_factor,
    pool_and_q,
    pow_from_log,
    numpy_io,
)


def _importance(log_w, q):
    """w_m / w̄^q per rollout, 0 for an all-failed pool; shapes (..., M), q of shape (..., 1) (``broadcast_q``)."""
    log_wbar = log_mean_w(log_w)[..., None]
    any_success = jnp.isfinite(log_wbar)
    safe_bar = jnp.where(any_success, log_wbar, 0.0)
    return jnp.where(any_success, jnp.exp(log_w - q * safe_bar), 0.0), any_success


@numpy_io
def garl_plugin(log_w, q, *, lr_rescale: bool = False) -> GradientCoefficients:
    """GARL plug-in estimator (eq 9): score = path = −w_m / (M w̄^q).

    Args:
      log_w: (..., M) log answer likelihoods log p(y*|x, z_m), in [−inf, 0].
      q: commitment in [0, 1]: a scalar, or one per example, of shape (...) or (..., 1) (see the package docs).
      lr_rescale: multiply by M^{−q} (paper Alg 1).

    Example:
      >>> c = garl_plugin(jnp.log(jnp.array([0.5, 0.0, 0.25])), 0.0)
      >>> [round(float(v), 4) for v in c.score]     # −w_m/M at q = 0
      [-0.1667, -0.0, -0.0833]
    """
    log_w, q = pool_and_q(log_w, q)
    m = log_w.shape[-1]
    ratio, _ = _importance(log_w, q)
    coef = -ratio / m * lr_rescale_factor(m, q, lr_rescale)
    return GradientCoefficients(score=coef, path=coef)


def leave_one_out_log_mean(log_w):
    """log w̄_{¬m} = log( mean_{j≠m} w_j ) for every m; shape (..., M). Needs M >= 2."""
    m = log_w.shape[-1]
    eye = jnp.eye(m, dtype=bool)
    others = jnp.where(eye, -jnp.inf, log_w[..., None, :])  # (..., M, M): row m holds the pool without m
    return jax.nn.logsumexp(others, axis=-1) - jnp.log(m - 1)


@numpy_io
def garl_rloo(log_w, q, *, lr_rescale: bool = False) -> GradientCoefficients:
    """GARL with the leave-one-out baseline (eq 12, Alg 1).

    score_m = −c_m / M with c_m = w_m/w̄^q − (w̄_{¬m})^{1−q};  path_m = −w_m / (M w̄^q).

    Args:
      log_w: (..., M) log answer likelihoods, M >= 2, in [−inf, 0].
      q: commitment in [0, 1], shape (...) or (..., 1).
      lr_rescale: multiply by M^{−q} (paper Alg 1).
    """
    log_w, q = pool_and_q(log_w, q, min_size=2)
    m = log_w.shape[-1]
    ratio, _ = _importance(log_w, q)
    baseline = pow_from_log(leave_one_out_log_mean(log_w), 1.0 - q)
    scale = lr_rescale_factor(m, q, lr_rescale)
    # The baseline is kept in an all-failed pool (ratio 0 there): zeroing the score only in such pools would
    # make it depend on w_m and change E[ĝ] at q = 1 (claim RLOO-BIAS); for q < 1 the baseline is 0 there.
    score = -(ratio - baseline) / m * scale
    path = -ratio / m * scale
    return GradientCoefficients(score=score, path=path)
