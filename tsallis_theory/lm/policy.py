"""The policy interface shared by every model the LM trainer drives.

A policy is an ``equinox.Module`` (its inexact-array leaves are the trainable parameters) with two
single-example methods; the trainer vmaps them over prompts and rollouts:

    sample(key, prompt_P) -> (rationale_R, answer)          z ~ p(z|x), y ~ p(y|x, z)   (int tokens)
    log_probs(prompt_P, rationale_R, answers_A)
        -> (logp_z, logp_y_A)                                log p(z|x) and log p(y_a|x, z) for A answers

``log_probs`` is differentiable; ``logp_y`` of the gold answer is the teacher-forced answer likelihood
log w = log p(y*|x, z) that the GARL and PAFT estimators take (SPEC, Estimators). Implementations:
``TabularPolicy`` (exact, fast; the bridge to the toy labs) and ``Transformer`` (a decoder-only LM).
"""

from __future__ import annotations

from typing import Protocol

import jax


class Policy(Protocol):
    def sample(self, key: jax.Array, prompt_P: jax.Array) -> tuple[jax.Array, jax.Array]: ...

    def log_probs(self, prompt_P: jax.Array, rationale_R: jax.Array,
                  answers_A: jax.Array) -> tuple[jax.Array, jax.Array]: ...
