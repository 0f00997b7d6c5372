"""The policy interface shared by every model the LM trainer drives.

A policy is an ``equinox.Module`` (its inexact-array leaves are the trainable parameters) with two
single-example methods; the trainer vmaps them over prompts and rollouts:

    sample(key, prompt_P) -> (rationale_R, answer)          z ~ p(z|x), y ~ p(y|x, z)   (int tokens)
    log_probs(prompt_P, rationale_R, answers_A)
        -> (logp_z, logp_y_A)                                log p(z|x) and log p(y_a|x, z) for A answers

``log_probs`` is differentiable; ``logp_y`` of the gold answer is the teacher-forced answer likelihood
log w = log p(y*|x, z) that the GARL and PAFT estimators take (docs/spec.md §6). Implementations:
``TabularPolicy`` (exact, fast; the bridge to the toy labs) and ``Transformer`` (a decoder-only LM).
``sample_batch`` and ``log_probs_batch`` are the batched calls the trainer and the evaluator make. With
``share_prompt`` they call a policy's group methods where it has them, which take the M rollouts of one
prompt together and compute the prompt's part of the forward pass once (``Transformer.sample_group``,
``Transformer.log_probs_group``; ``make_trainer(share_prompt=True)``): the same numbers to float rounding, with
about P / T of the per-rollout work saved.
"""

from __future__ import annotations

from typing import Protocol

import jax


class Policy(Protocol):
    def sample(self, key: jax.Array, prompt_P: jax.Array) -> tuple[jax.Array, jax.Array]: ...

    def log_probs(self, prompt_P: jax.Array, rationale_R: jax.Array,
                  answers_A: jax.Array) -> tuple[jax.Array, jax.Array]: ...


def sample_batch(policy, keys_BM2, prompt_BP, share_prompt: bool = False):
    """M rollouts for each of B prompts: (rationale_BMR, answer_BM) from ``keys_BM2`` (B, M, 2); with
    ``share_prompt``, through the policy's ``sample_group`` if it has one."""
    per_prompt = (policy.sample_group if share_prompt and hasattr(policy, "sample_group")
                  else jax.vmap(policy.sample, in_axes=(0, None)))
    return jax.vmap(per_prompt, in_axes=(0, 0))(keys_BM2, prompt_BP)


def log_probs_batch(policy, prompt_BP, rationale_BMR, answers_BMA, share_prompt: bool = False):
    """(logp_z_BM, logp_y_BMA): ``Policy.log_probs`` over B prompts × M rollouts × A candidate answers; with
    ``share_prompt``, through the policy's ``log_probs_group`` if it has one."""
    per_prompt = (policy.log_probs_group if share_prompt and hasattr(policy, "log_probs_group")
                  else jax.vmap(policy.log_probs, in_axes=(None, 0, 0)))
    return jax.vmap(per_prompt, in_axes=(0, 0, 0))(prompt_BP, rationale_BMR, answers_BMA)
