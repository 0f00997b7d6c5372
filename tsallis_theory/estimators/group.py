"""Group policy-gradient baselines on per-rollout rewards: RLOO, GRPO, Dr.GRPO.

Inputs are rewards r_m in [0, 1] of M sampled rollouts τ_m = (z_m, ŷ_m) of one example (0/1 from an exact-
match verifier, or a soft reward such as w_m). The estimate of the loss gradient is
ĝ = Σ_m score_m ∇log p(τ_m|x) with score_m = −A_m / M; there is no pathwise term (path = 0).

  RLOO:     A_m = r_m − mean_{j≠m} r_j                     E[ĝ] = −∇P            (amplification 1)
  Dr.GRPO:  A_m = r_m − mean_j r_j                         E[ĝ] = −((M−1)/M) ∇P
  GRPO:     A_m = (r_m − mean_j r_j) / (σ + eps)           (``grpo_advantage``, the one implementation)

GRPO's σ is a convention, named by ``std``: "population" (ddof = 0, the default here, with eps = 1e-6) or
"sample" (ddof = 1; TRL uses it with eps = 1e-4, verl with eps = 1e-6: ``GRPO_PRESETS``). With 0/1 rewards
and eps = 0 the expected amplification (claim ATLAS, docs/spec.md §7) is E_K[√(K(M−K))]/M/(P(1−P)) under the
population std, √((M−1)/M) times that under the sample std; its cold-start ceiling (P → 0) is √(M−1),
respectively (M−1)/√M. A group whose rewards are all equal (all failed, all succeeded, or one soft value
repeated) has σ = 0 and A = 0, exactly: no NaN even at eps = 0, and no ±1 from the rounding of the mean.
"""

from __future__ import annotations

import jax.numpy as jnp

from tsallis_theory import _validate as V
from tsallis_theory.estimators._pool import GradientCoefficients, check_rewards, zero_path, numpy_io
from tsallis_theory.qcalc import as_float

GRPO_STD = ("population", "sample")
# The std conventions of common GRPO implementations: grpo(r, **GRPO_PRESETS["trl"]).
GRPO_PRESETS = {
    "population": {"std": "population", "eps": 1e-6},  # this library's default
    "trl": {"std": "sample", "eps": 1e-4},  # TRL GRPOTrainer (torch.std, unbiased)
    "verl": {"std": "sample", "eps": 1e-6},  # verl compute_grpo_outcome_advantage (torch.std)
}


@numpy_io
def rloo(rewards) -> GradientCoefficients:
    """RLOO (Kool et al. 2019; Ahmadian et al. 2024): A_m = r_m − mean_{j≠m} r_j, score = −A_m/M.

    Args:
      rewards: (..., M) rewards in [0, 1], M >= 2.
    """
    check_rewards(rewards, min_size=2)
    r = as_float(rewards, keep_precision=False)
    m = r.shape[-1]
    loo = (r.sum(axis=-1, keepdims=True) - r) / (m - 1)
    return zero_path(-(r - loo) / m)


@numpy_io
def dr_grpo(rewards) -> GradientCoefficients:
    """Dr.GRPO (Liu et al. 2025): A_m = r_m − mean_j r_j without std normalisation, score = −A_m/M.

    Args:
      rewards: (..., M) rewards in [0, 1], M >= 2.
    """
    check_rewards(rewards, min_size=2)
    r = as_float(rewards, keep_precision=False)
    return zero_path(-(r - r.mean(axis=-1, keepdims=True)) / r.shape[-1])


def check_grpo_convention(std: str, eps) -> None:
    """``std`` must name a convention of ``GRPO_STD``; eps (outside jit) must be >= 0."""
    if std not in GRPO_STD:
        raise ValueError(f"std must be one of {', '.join(map(repr, GRPO_STD))}; got {std!r}")
    if not V.is_traced(eps):
        V.check_range("eps", eps, 0.0, float("inf"))


@numpy_io
def grpo_advantage(rewards, eps: float = 1e-6, *, std: str = "population"):
    """GRPO's group-normalised advantage A_m = (r_m − mean r)/(σ + eps), shape (..., M).

    σ² = Σ_m (r_m − mean r)²/(M − ddof), ddof = 0 for ``std="population"``, 1 for ``std="sample"``. A group
    with all rewards equal gets A = 0 exactly (σ = 0), whatever eps.

    Args:
      rewards: (..., M) rewards in [0, 1], M >= 2; floating rewards keep their dtype (float32 stays float32).
      eps: the stabiliser added to σ, >= 0 (0 gives the closed form of docs/spec.md §7).
      std: "population" or "sample" (``GRPO_PRESETS`` names TRL's and verl's choices).

    Example:
      >>> [round(float(a), 6) for a in grpo_advantage(jnp.array([1.0, 0.0, 0.0, 0.0]), eps=0.0, std="sample")]
      [1.5, -0.5, -0.5, -0.5]
    """
    check_rewards(rewards, min_size=2)
    check_grpo_convention(std, eps)
    return _advantage(as_float(rewards), eps, std)


def _advantage(r, eps, std):
    m = r.shape[-1]
    centred = r - r.mean(axis=-1, keepdims=True)
    # σ is taken on centred/scale, scale = max |centred|, so that tiny soft rewards (1e-170) do not square to 0.
    # All-equal rewards: the rounding of the mean leaves centred ~ 1e-17 and σ of the same size, so the ratio
    # would be ±1 at eps = 0; the spread max r − min r is exactly 0 there, and so is the advantage.
    scale = jnp.max(jnp.abs(centred), axis=-1, keepdims=True)
    spread = (jnp.max(r, axis=-1, keepdims=True) > jnp.min(r, axis=-1, keepdims=True)) & (scale > 0)
    scale = jnp.where(spread, scale, 1.0)
    ddof = 1 if std == "sample" else 0
    sigma = scale * jnp.sqrt(jnp.sum((centred / scale) ** 2, axis=-1, keepdims=True) / (m - ddof))
    return jnp.where(spread, centred / jnp.where(spread, sigma + eps, 1.0), 0.0)


@numpy_io
def grpo(rewards, eps: float = 1e-6, *, std: str = "population") -> GradientCoefficients:
    """GRPO (Shao et al. 2024): score = −A_m/M with A from ``grpo_advantage`` (population std by default).

    Args:
      rewards: (..., M) rewards in [0, 1], M >= 2.
      eps: the stabiliser added to the std, >= 0 (1e-6 by default; 0 gives the closed form of docs/spec.md §7).
      std: "population" (ddof = 0) or "sample" (ddof = 1); ``grpo(r, **GRPO_PRESETS["trl"])`` is TRL's GRPO.
    """
    check_rewards(rewards, min_size=2)
    check_grpo_convention(std, eps)
    adv = _advantage(as_float(rewards, keep_precision=False), eps, std)
    return zero_path(-adv / adv.shape[-1])
