"""The finite-M bias of GARL (claim BIAS, v1 Thm 6.1): the leading term and the exact hard-verifier sum.

Thm 6.1 (assumes P > 0, finite second moments and w_m >= ε > 0):

    E[ĝ] − ∇ℓ_q = (q / (M P^{q+1})) · [ ((q+1)/2) ∇ℓ_1 Var(w) − Cov(g, w) ] + O(M^{−2}),   ∇ℓ_1 = ∇ℓ_0 / P,

exactly 0 at q = 0. With a 0/1 verifier the assumption fails; then, with K ~ Binomial(M, P) successes and
the estimate 0 when K = 0,

    E[GARL] = E[(K/M)^{1−q}] / P^{1−q} · ∇ℓ_q,

so the relative bias E[GARL]/∇ℓ_q − 1 is a finite binomial sum, ≈ −q(1−q)(1−P)/(2MP) when MP ≫ 1 and
→ −1 when MP ≪ 1 (docs/spec.md §6, BIAS). RLOO (claim RLOO-BIAS) and PAFT (claim PAFT-BIAS) share it.
"""

from __future__ import annotations

import numpy as np
from scipy.special import gammaln

from tsallis_theory import _validate as V
from tsallis_theory._numerics import binomial_pmf
from tsallis_theory.estimators.testbed import RolloutPoolModel


def hard_verifier_relative_bias(q, m: int, p):
    """E[GARL]/∇ℓ_q − 1 = E[(K/M)^{1−q}]/P^{1−q} − 1, K ~ Binomial(M, P), exactly (estimate 0 at K = 0).

    Args:
      q: commitment in [0, 1] (scalar or array broadcasting with p).
      m: pool size M >= 1.
      p: success probability P in (0, 1] (scalar or array).
    Returns:
      the relative bias, shape broadcast(q, p); 0 at q = 0, in [−1, 0] for q in [0, 1].

    Example:
      >>> round(float(hard_verifier_relative_bias(1.0, 4, 0.5)), 6)   # −(1−P)^M at q = 1
      -0.0625
    """
    V.check_range("q", q, 0.0, 1.0)
    V.check_range("p", p, 0.0, 1.0, low_open=True)
    if isinstance(m, bool) or int(m) != m or int(m) < 1:
        raise ValueError(f"m must be an integer >= 1 (pool size); got {m!r}")
    m = int(m)
    q, p = np.broadcast_arrays(np.asarray(q, float), np.asarray(p, float))
    pmf = binomial_pmf(m, p)  # (..., M+1)
    k = np.arange(m + 1)
    a = (1.0 - q)[..., None]
    with np.errstate(divide="ignore"):
        ratio_pow = np.where(k > 0, np.exp(a * (np.log(np.maximum(k, 1) / m) - np.log(p)[..., None])), 0.0)
    out = np.sum(pmf * ratio_pow, axis=-1) - 1.0
    return out if out.ndim else float(out)


def hard_verifier_bias_asymptote(q, m: int, p):
    """The large-MP leading term of the hard-verifier relative bias, −q(1−q)(1−P)/(2MP)."""
    q, p = np.asarray(q, float), np.asarray(p, float)
    return -q * (1 - q) * (1 - p) / (2 * m * p)


def leading_bias(model: RolloutPoolModel, q: float, m: int) -> np.ndarray:
    """The Thm 6.1 leading term (q/(M P^{q+1}))[((q+1)/2)∇ℓ_1 Var(w) − Cov(g, w)], shape (D,)."""
    p = model.success
    var_w, e_g, cov = model.rollout_moments()
    grad_l1 = e_g / p  # ∇ℓ_1 = ∇ℓ_0/P, and E[g] = ∇ℓ_0
    return q / (m * p ** (q + 1)) * ((q + 1) / 2 * grad_l1 * var_w - cov)
