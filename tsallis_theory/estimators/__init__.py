"""Gradient estimators of J_Q and the baselines, as per-rollout coefficients.

Each estimator maps one example's pool, log answer likelihoods log w_m (soft) or 0/1 rewards (hard), to
coefficients (score, path) such that the loss-gradient estimate is
Σ_m score_m ∇log p(z_m|x) + path_m ∇log p(y*|x, z_m); resampling methods also return their indices. See
``_pool`` for the convention and docs/estimators.md for how to use them in a training loop.

Shapes (every estimator): a pool is an array of shape (..., M), rollouts on the last axis and any leading
batch axes (...), and the coefficients have the pool's shape. The order q of GARL and PAFT is a scalar or one
q per example, of shape (...) or (..., 1), or any shape that broadcasts to the leading axes (...); any other
shape (a q per rollout, a batch that does not match) is a one-line ValueError naming q and both shapes, also
under jit (``_pool.broadcast_q``). Batched calls equal ``jax.vmap`` of the single-pool call.

  GARL (q):           garl_plugin, garl_rloo                      (paper eq 9, eq 12 / Alg 1)
  PAFT (q):           paft, paft_from_indices, paft_resample      (paper eq 14 / Alg 2)
  endpoint methods:   rb_reinforce, rb_rloo, iwae, posterior_sft, posterior_sft_from_indices
  group baselines:    rloo, grpo, dr_grpo, grpo_advantage          (GRPO_STD, GRPO_PRESETS: TRL's, verl's std)
  coverage methods:   pass_at_k, maxrl, dco                       (0/1 rewards)
  bias:               hard_verifier_relative_bias, leading_bias   (claim BIAS)
  testbed:            RolloutPoolModel, pool_moments, mc_moments, resampling_moments
  surrogate loss:     surrogate_loss (Σ stop_gradient(coefficients)·log-probs, whose gradient is ĝ)
  method protocol:    Method, declare, declared, get_method, load_method, check_method_output (``protocol``;
                      the lab's own methods are declared in ``methods``)
"""

from tsallis_theory.estimators._pool import GradientCoefficients
from tsallis_theory.estimators.bias import hard_verifier_bias_asymptote, hard_verifier_relative_bias, leading_bias
from tsallis_theory.estimators.coverage import dco, maxrl, pass_at_k
from tsallis_theory.estimators.garl import garl_plugin, garl_rloo, leave_one_out_log_mean
from tsallis_theory.estimators.group import (
    GRPO_PRESETS,
    GRPO_STD,
    check_grpo_convention,
    dr_grpo,
    grpo,
    grpo_advantage,
    rloo,
)
from tsallis_theory.estimators.likelihood import (
    iwae,
    posterior_sft,
    posterior_sft_from_indices,
    rb_reinforce,
    rb_rloo,
)
from tsallis_theory.estimators.protocol import (
    Method,
    as_coefficients,
    check_method_output,
    declare,
    declared,
    from_function,
    get_method,
    is_lab_method,
    jitted,
    load_method,
)
from tsallis_theory.estimators.surrogate import surrogate_loss
from tsallis_theory.estimators.paft import paft, paft_from_indices, paft_resample
from tsallis_theory.estimators.testbed import (
    Moments,
    RolloutPoolModel,
    mc_moments,
    pool_moments,
    resampling_moments,
)

__all__ = [
    "GRPO_PRESETS",
    "GRPO_STD",
    "GradientCoefficients",
    "Method",
    "as_coefficients",
    "check_method_output",
    "declare",
    "declared",
    "from_function",
    "get_method",
    "is_lab_method",
    "jitted",
    "load_method",
    "Moments",
    "RolloutPoolModel",
    "check_grpo_convention",
    "dco",
    "dr_grpo",
    "garl_plugin",
    "garl_rloo",
    "grpo",
    "grpo_advantage",
    "hard_verifier_bias_asymptote",
    "hard_verifier_relative_bias",
    "iwae",
    "leading_bias",
    "leave_one_out_log_mean",
    "maxrl",
    "mc_moments",
    "paft",
    "paft_from_indices",
    "paft_resample",
    "pass_at_k",
    "pool_moments",
    "posterior_sft",
    "posterior_sft_from_indices",
    "rb_reinforce",
    "rb_rloo",
    "resampling_moments",
    "rloo",
    "surrogate_loss",
]
