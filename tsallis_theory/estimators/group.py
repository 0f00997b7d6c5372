"""Group policy-gradient baselines on per-rollout rewards: RLOO, GRPO, Dr.GRPO.

Inputs are rewards r_m in [0, 1] of M sampled rollouts τ_m = (z_m, ŷ_m) of one example (0/1 from an exact-
match verifier, or a soft reward such as w_m). The estimate of the loss gradient is
ĝ = Σ_m score_m ∇log p(τ_m|x) with score_m = −A_m / M; there is no pathwise term (path = 0).

  RLOO:     A_m = r_m − mean_{j≠m} r_j                     E[ĝ] = −∇P            (amplification 1)
  Dr.GRPO:  A_m = r_m − mean_j r_j                         E[ĝ] = −((M−1)/M) ∇P
  GRPO:     A_m = (r_m − mean_j r_j) / (std_j r_j + eps)   (population std, ddof = 0)

GRPO's expected amplification with 0/1 rewards is E_K[√(K(M−K))]/M/(P(1−P)) at eps = 0, → √(M−1) as
P → 0 (SPEC §3, claim ATLAS). A group whose rewards are all equal (all failed, all succeeded) has A = 0:
no NaN even at eps = 0.
"""

from __future__ import annotations

import jax.numpy as jnp

from tsallis_theory import _validate as V
from tsallis_theory.estimators._pool import GradientCoefficients, as_float, check_rewards, zero_path


def rloo(rewards) -> GradientCoefficients:
    """RLOO (Kool et al. 2019; Ahmadian et al. 2024): A_m = r_m − mean_{j≠m} r_j, score = −A_m/M.

    Args:
      rewards: (..., M) rewards in [0, 1], M >= 2.
    """
    check_rewards(rewards, min_size=2)
    r = as_float(rewards)
    m = r.shape[-1]
    loo = (r.sum(axis=-1, keepdims=True) - r) / (m - 1)
    return zero_path(-(r - loo) / m)


def dr_grpo(rewards) -> GradientCoefficients:
    """Dr.GRPO (Liu et al. 2025): A_m = r_m − mean_j r_j without std normalisation, score = −A_m/M.

    Args:
      rewards: (..., M) rewards in [0, 1], M >= 2.
    """
    check_rewards(rewards, min_size=2)
    r = as_float(rewards)
    return zero_path(-(r - r.mean(axis=-1, keepdims=True)) / r.shape[-1])


def grpo(rewards, eps: float = 1e-6) -> GradientCoefficients:
    """GRPO (Shao et al. 2024): A_m = (r_m − mean r)/(std r + eps) with the population std, score = −A_m/M.

    Args:
      rewards: (..., M) rewards in [0, 1], M >= 2.
      eps: the stabiliser added to the std, >= 0 (1e-6 by default; 0 gives SPEC's closed form).
    """
    check_rewards(rewards, min_size=2)
    if not V.is_traced(eps):
        V.check_range("eps", eps, 0.0, float("inf"))
    r = as_float(rewards)
    centred = r - r.mean(axis=-1, keepdims=True)
    std = jnp.sqrt(jnp.mean(centred**2, axis=-1, keepdims=True))
    denom = std + eps
    adv = jnp.where(denom > 0, centred / jnp.where(denom > 0, denom, 1.0), 0.0)
    return zero_path(-adv / r.shape[-1])
