"""The policy interface shared by every model the LM trainer drives.

A policy is an ``equinox.Module`` (its inexact-array leaves are the trainable parameters) with two
single-example methods; the trainer vmaps them over prompts and rollouts:

    sample(key, prompt_P) -> (rationale_R, answer)          z ~ p(z|x), y ~ p(y|x, z)   (int tokens)
    log_probs(prompt_P, rationale_R, answers_A)
        -> (logp_z, logp_y_A)                                log p(z|x) and log p(y_a|x, z) for A answers

``log_probs`` is differentiable; ``logp_y`` of the gold answer is the teacher-forced answer likelihood
log w = log p(y*|x, z) that the GARL and PAFT estimators take (docs/spec.md §6). Implementations:
``TabularPolicy`` (exact, fast; the bridge to the toy labs) and ``Transformer`` (a decoder-only LM).
``sample_batch`` and ``log_probs_batch`` are the batched calls the trainer and the evaluator make.
"""

from __future__ import annotations

from typing import Protocol

import jax


class Policy(Protocol):
    def sample(self, key: jax.Array, prompt_P: jax.Array) -> tuple[jax.Array, jax.Array]: ...

    def log_probs(self, prompt_P: jax.Array, rationale_R: jax.Array,
                  answers_A: jax.Array) -> tuple[jax.Array, jax.Array]: ...


def sample_batch(policy, keys_BM2, prompt_BP):
    """M rollouts for each of B prompts: (rationale_BMR, answer_BM) from ``keys_BM2`` (B, M, 2)."""
    return jax.vmap(jax.vmap(policy.sample, in_axes=(0, None)), in_axes=(0, 0))(keys_BM2, prompt_BP)


def log_probs_batch(policy, prompt_BP, rationale_BMR, answers_BMA):
    """(logp_z_BM, logp_y_BMA): ``Policy.log_probs`` over B prompts × M rollouts × A candidate answers."""
    per_prompt = jax.vmap(policy.log_probs, in_axes=(None, 0, 0))
    return jax.vmap(per_prompt, in_axes=(0, 0, 0))(prompt_BP, rationale_BMR, answers_BMA)
