"""Training methods as per-rollout coefficients on the three log-probabilities the trainer computes.

For prompt b and rollout m the loss-gradient estimate is

    ĝ = Σ_{b,m} [ c_z · ∇log p(z_bm|x_b) + c_gold · ∇log p(y*_b|x_b, z_bm) + c_hat · ∇log p(ŷ_bm|x_b, z_bm) ] / B

(c_gold is the pathwise part of GARL/PAFT on the teacher-forced answer likelihood w = p(y*|x, z);
c_hat acts on the sampled answer, as policy-gradient methods with a hard verifier do). Methods (names
parsed by ``methods.parse_method``):

  grpo          hard reward r = [ŷ = y*], advantage (r − mean_G r)/(std_G r + 1e-4), the sample std
                (TRL's convention, ``estimators.GRPO_PRESETS["trl"]``; ``GRPO_CONVENTION``)   (GRPO)
  rb-rloo       GARL q = 0 in RLOO form: Rao–Blackwellised REINFORCE with leave-one-out baseline
  garl-<q>      GARL RLOO form (eq 12, Alg 1), q in [0, 1]
  paft-<q>      PAFT (eq 14, Alg 2), K = M resampled rollouts, q in [0, 1]
  schedule      GARL with q = 1 before ``schedule_switch`` steps and q = 0 after (the stepwise q = 1 → 0
                schedule, SFT-then-RLVR without annotated rationales; claim SCHEDULE)
  sft           supervised fine-tuning on the gold rationale and (possibly noisy) training answer
  package.module:attr[@q]   a method declared with ``estimators.Method``: a log-w method's (score, path) on
                (c_z, c_gold); a rewards method's score on c_z and c_hat, as GRPO's
"""

from __future__ import annotations

from typing import NamedTuple

import jax
import jax.numpy as jnp

from tsallis_theory.estimators import GRPO_PRESETS, garl_rloo, grpo_advantage, paft
from tsallis_theory.lm.methods import RL_RULES, Method


class Coefficients(NamedTuple):
    """(B, M) coefficients on log p(z|x), log p(y*|x,z), log p(ŷ|x,z), and the per-rollout advantage
    ``advantage`` that the method applies (for GARL: c_m / M^q, the paper's Fig 3 signal)."""

    c_z: jax.Array
    c_gold: jax.Array
    c_hat: jax.Array
    advantage: jax.Array


GRPO_CONVENTION = "trl"  # the GRPO std convention of the LM study (a key of estimators.GRPO_PRESETS)


def q_plan(method: Method, switch_step: int) -> tuple[float, float, int]:
    """(q before ``switch``, q from ``switch`` on, switch): 1 → 0 at ``switch_step`` for the schedule, the
    method's fixed q otherwise (0 where the method has none)."""
    if method.kind == "schedule":
        return 1.0, 0.0, int(switch_step)
    q = method.q if method.q is not None else 0.0
    return q, q, 0


def q_at(step, q_before, q_after, switch):
    """q at ``step`` of a plan from ``q_plan`` (traceable: the plan may be data)."""
    return jnp.where(step < switch, q_before, q_after)


def coefficients(kind: str, key, log_w_BM, reward_BM, q, *, lr_rescale: bool = False) -> Coefficients:
    """Coefficients of the rule ``kind`` (a ``Method.rule``) from the pool's log answer likelihoods
    and hard rewards (both (B, M)); q may be traced."""
    m = log_w_BM.shape[-1]
    zeros = jnp.zeros_like(log_w_BM)
    if kind == "grpo":
        adv = grpo_advantage(reward_BM, **GRPO_PRESETS[GRPO_CONVENTION])
        return Coefficients(-adv / m, zeros, -adv / m, adv)
    if kind == "sft":
        one = jnp.full_like(log_w_BM, -1.0 / m)
        return Coefficients(one, one, zeros, zeros)
    if kind == "garl":
        c = garl_rloo(log_w_BM, q, lr_rescale=lr_rescale)
        applied = -c.score * m
        adv = applied if lr_rescale else applied * jnp.power(float(m), -q)
        return Coefficients(c.score, c.path, zeros, adv)
    if kind == "paft":
        c, _ = paft(key, log_w_BM, q, m, lr_rescale=lr_rescale)
        return Coefficients(c.score, c.path, zeros, -c.score * m)
    if ":" in kind:
        return _declared(kind, log_w_BM, reward_BM, q)
    raise ValueError(f"unknown method kind {kind!r}")


def rl_coefficients(rule, key, log_w_BM, reward_BM, q, *, lr_rescale: bool = False) -> Coefficients:
    """Coefficients of rule ``methods.RL_RULES[rule]`` (``rule`` an int, possibly traced: a run's knob), so
    that one compiled step serves GARL, PAFT and GRPO runs alike. ``lax.switch`` runs only the chosen rule
    for one run; over a batch of runs (vmap) it computes each rule and selects per run. The rules' outputs
    are promoted to one dtype (GRPO's float32 advantages are exact in float64)."""
    branches = [lambda k, w, r, q, kind=kind: coefficients(kind, k, w, r, q, lr_rescale=lr_rescale)
                for kind in RL_RULES]
    shapes = [jax.eval_shape(f, key, log_w_BM, reward_BM, q) for f in branches]
    dt = jnp.result_type(*(x.dtype for s in shapes for x in s))
    cast = [lambda k, w, r, q, f=f: jax.tree.map(lambda x: x.astype(dt), f(k, w, r, q)) for f in branches]
    return jax.lax.switch(rule, cast, key, log_w_BM, reward_BM, q)


def _declared(spec: str, log_w_BM, reward_BM, q) -> Coefficients:
    """A method declared with ``estimators.Method`` ("package.module:attr"), at its ``defaults`` and this q."""
    from tsallis_theory.estimators import load_method

    method = load_method(spec)
    m, zeros = log_w_BM.shape[-1], jnp.zeros_like(log_w_BM)
    params = method.params({**method.defaults, **({"q": q} if "q" in method.needs else {})})
    if method.inputs == "rewards":
        c = method(reward_BM, **params)
        return Coefficients(c.score, zeros, c.score, -c.score * m)
    c = method(log_w_BM, **params)
    return Coefficients(c.score, c.path, zeros, -c.score * m)
