"""Count-based estimators for 0/1 verifiers: pass@k, MaxRL (truncation T), DCO.

Each is unbiased (or a plug-in) for the gradient of a population objective f(P) of the success probability,
with score_m = −a(r_m, K) on ∇log p(τ_m|x), K = Σ r_m (no pathwise term). The weights are exact
U-statistics over size-k subsets of the M rollouts, so they depend on the pool only through r_m and K:

  pass@k (Walder & Karkhanis 2025):  f = 1 − (1−P)^k,           f' = k(1−P)^{k−1}
      success: k/M;  failure: (k/M)(1 − C(M−1−K, k−1)/C(M−1, k−1))
  MaxRL, truncation T (Tajwar et al. 2026): f = −Σ_{j=1}^{T} (1−P)^j / j,  f' = (1 − (1−P)^T)/P
      success: (T/M) E[1/(1 + H)], H ~ Hypergeometric(T−1 draws from M−1 holding K−1 successes); failure: 0
      (the subset estimator (1/K_S) Σ_{m∈S, success} ∇log p(τ_m) averaged over all T-subsets S)
  DCO (Chen et al. 2025), coverage n:  f = log pass@n,  f' = n(1−P)^{n−1}/(1 − (1−P)^n)
      plug-in: the pass@n weights divided by the unbiased pass@n estimate 1 − C(M−K, n)/C(M, n)

A pool with no success (K = 0) gives zero coefficients for all three (DCO's plug-in is 0/0 there; we
return 0). Requires 0/1 rewards and 1 <= k, T, n <= M.

``pass_at_k_gap`` and ``dco_gap`` give success(K+1) − failure(K), the difference a rollout's own success makes to
its weight (what the expected amplification sums, claim ATLAS), from C(M−1−K, k−1)/C(M−1, k−1) in log space:
subtracting the two rounded weights loses it once it is below 1e-16 of them (P → 1).
"""

from __future__ import annotations

import jax.numpy as jnp
import numpy as np
from scipy.special import gammaln

from tsallis_theory.estimators._pool import check_count, check_rewards, zero_path, numpy_io
from tsallis_theory.qcalc import as_float


def _log_comb(n, k):
    n, k = np.asarray(n, float), np.asarray(k, float)
    ok = (k >= 0) & (k <= n) & (n >= 0)
    out = gammaln(np.where(ok, n, 0) + 1) - gammaln(np.where(ok, k, 0) + 1) - gammaln(np.where(ok, n - k, 0) + 1)
    return np.where(ok, out, -np.inf)


def _none_among_others(m: int, k: int) -> np.ndarray:
    """C(M−1−K, k−1)/C(M−1, k−1) for K = 0..M: the chance that k−1 of the other M−1 rollouts, K of them
    successes, are all failures; shape (M+1,)."""
    ks = np.arange(m + 1)
    return np.exp(_log_comb(m - 1 - ks, k - 1) - _log_comb(m - 1, k - 1))


def pass_at_k_weights(m: int, k: int) -> tuple[np.ndarray, np.ndarray]:
    """(success, failure) effective rewards of the pass@k gradient for K = 0..M successes; shapes (M+1,)."""
    return np.full(m + 1, k / m), (k / m) * (1.0 - _none_among_others(m, k))


def pass_at_k_gap(m: int, k: int) -> np.ndarray:
    """success(K+1) − failure(K) = (k/M) C(M−1−K, k−1)/C(M−1, k−1) for K = 0..M−1; shape (M,)."""
    return (k / m) * _none_among_others(m, k)[:-1]


def maxrl_weights(m: int, t: int) -> np.ndarray:
    """Success weight of the T-truncated MaxRL estimator for K = 0..M successes (0 at K = 0); shape (M+1,)."""
    out = np.zeros(m + 1)
    for kk in range(1, m + 1):
        h = np.arange(0, t)
        log_p = _log_comb(kk - 1, h) + _log_comb(m - kk, t - 1 - h) - _log_comb(m - 1, t - 1)
        out[kk] = (t / m) * np.sum(np.exp(log_p) / (1.0 + h))
    return out


def pass_at_k_estimate(m: int, k: int) -> np.ndarray:
    """Unbiased pass@k estimate 1 − C(M−K, k)/C(M, k) for K = 0..M; shape (M+1,)."""
    ks = np.arange(m + 1)
    return 1.0 - np.exp(_log_comb(m - ks, k) - _log_comb(m, k))


def dco_gap(m: int, n: int) -> np.ndarray:
    """success(K+1) − failure(K) of DCO for K = 0..M−1; shape (M,). With ρ the pass@n estimate and f the
    fraction of ``pass_at_k_gap``: 1 at K = 0 (no failure weight there), else (n/M) f(K) (ρ(K+1) − n/M)/(ρ(K) ρ(K+1)),
    using ρ(K) − ρ(K+1) = −(n/M) f(K)."""
    rho = pass_at_k_estimate(m, n)
    frac = _none_among_others(m, n)
    ks = np.arange(1, m)
    # ρ(K+1) − n/M = (1 − n/M) − C(M−K−1, n)/C(M, n), without forming ρ(K+1) first
    excess = (1.0 - n / m) - np.exp(_log_comb(m - ks - 1, n) - _log_comb(m, n))
    rest = (n / m) * frac[ks] * excess / (rho[ks] * rho[ks + 1])
    return np.concatenate([[(n / m) / rho[1]], rest])


def _count_weighted(rewards, success_w, failure_w):
    r = as_float(rewards, keep_precision=False)
    count = jnp.round(r.sum(axis=-1, keepdims=True)).astype(jnp.int32)
    a_s = jnp.asarray(success_w, r.dtype)[count]
    a_f = jnp.asarray(failure_w, r.dtype)[count]
    return zero_path(-(r * a_s + (1.0 - r) * a_f))


@numpy_io
def pass_at_k(rewards, k: int):
    """Unbiased pass@k policy gradient (PKPO): score_m = −(effective reward of rollout m).

    Args:
      rewards: (..., M) 0/1 rewards.
      k: subset size, 1 <= k <= M (k = 1 is REINFORCE).
    """
    check_rewards(rewards, binary=True)
    m = np.shape(rewards)[-1]
    k = check_count("k", k, 1, m)
    a_s, a_f = pass_at_k_weights(m, k)
    return _count_weighted(rewards, a_s, a_f)


@numpy_io
def maxrl(rewards, truncation: int | None = None):
    """MaxRL with truncation T (default T = M): unbiased for ∇ of −Σ_{j<=T} (1−P)^j/j.

    Args:
      rewards: (..., M) 0/1 rewards.
      truncation: T, 1 <= T <= M (T = 1 is REINFORCE; T = M averages ∇log p over the successes).
    """
    check_rewards(rewards, binary=True)
    m = np.shape(rewards)[-1]
    t = check_count("truncation (T)", m if truncation is None else truncation, 1, m)
    return _count_weighted(rewards, maxrl_weights(m, t), np.zeros(m + 1))


@numpy_io
def dco(rewards, n: int | None = None):
    """DCO plug-in for ∇log pass@n (default n = M): pass@n weights / unbiased pass@n estimate; 0 when K = 0.

    Args:
      rewards: (..., M) 0/1 rewards.
      n: coverage budget, 1 <= n <= M.
    """
    check_rewards(rewards, binary=True)
    m = np.shape(rewards)[-1]
    n = check_count("n", m if n is None else n, 1, m)
    a_s, a_f = pass_at_k_weights(m, n)
    rho = pass_at_k_estimate(m, n)
    inv = np.where(rho > 0, 1.0 / np.where(rho > 0, rho, 1.0), 0.0)
    return _count_weighted(rewards, a_s * inv, a_f * inv)
