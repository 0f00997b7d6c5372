r"""The synthetic latent-reasoning task: chains of modular addition (claims LM-COLD, LM-WARM, LM-NOISE).

A problem is a start value a_0 and L addends c_1..c_L, all in Z_m. The latent rationale z lists the
intermediate values s_i = (s_{i-1} + c_i) mod m for i = 1..L-1 (s_0 = a_0); the answer is y* = s_L.
Only y is supervised. Every sequence has the same layout, so positions are static:

    [BOS, a_0, c_1, ..., c_L, SEP] [s_1, ..., s_{L-1}] [ANS] [y]
     \________ prompt x (P) ______/ \__ rationale z (R)_/ forced answer

P = L + 3, R = L - 1, T = P + R + 2. The policy samples z and y; ANS is forced. Values are written with
*digit* tokens 0..m-1. The vocabulary also holds *letter* tokens m..2m-1 (the same values in another
alphabet): base checkpoints are pretrained to answer mostly in letters, which the hard verifier rejects,
so the target task starts cold exactly as the paper's does when the output format is not instructed
(docs/lm.md). Label noise (LM-NOISE) replaces y* by the corrupted value (y* + 1) mod m with probability ε.

Problems are generated on the fly from a PRNG key (no data files); difficulty is (chain_length, modulus),
the fields of ``configs.TaskConfig``.
"""

from __future__ import annotations

from typing import NamedTuple

import jax
import jax.numpy as jnp

from tsallis_theory.lm.configs import TaskConfig


def free_mask(task: TaskConfig) -> jax.Array:
    """(T,) bool: positions the policy samples (rationale and answer); the rest is prompt or forced."""
    t = jnp.arange(task.seq_len)
    rationale = (t >= task.prompt_len) & (t < task.prompt_len + task.rationale_len)
    return rationale | (t == task.answer_pos)


class Problems(NamedTuple):
    """A batch of N problems.

    Attributes:
      prompt: (N, P) int tokens [BOS, a_0, c_1..c_L, SEP].
      rationale: (N, R) gold intermediate values (digit tokens).
      answer: (N,) gold final value s_L (a value in Z_m, equal to its digit token).
    """

    prompt: jax.Array
    rationale: jax.Array
    answer: jax.Array


def sample_problems(key, task: TaskConfig, n: int) -> Problems:
    """N problems with a_0, c_i ~ Uniform(Z_m), i.i.d. given ``key``."""
    m, L = task.modulus, task.chain_length
    vals_NL1 = jax.random.randint(key, (n, L + 1), 0, m)
    partial_NL = jnp.cumsum(vals_NL1, axis=1)[:, 1:] % m  # s_1..s_L
    bos = jnp.full((n, 1), task.bos, dtype=vals_NL1.dtype)
    sep = jnp.full((n, 1), task.sep, dtype=vals_NL1.dtype)
    prompt = jnp.concatenate([bos, task.digit(vals_NL1), sep], axis=1)
    return Problems(prompt=prompt, rationale=task.digit(partial_NL[:, :-1]), answer=partial_NL[:, -1])


def corrupt(task: TaskConfig, answer):
    """The flipped label of LM-NOISE: (y* + 1) mod m."""
    return (answer + 1) % task.modulus


def assemble(task: TaskConfig, prompt_NP, rationale_NR, answer_tok_N):
    """Full sequences (N, T) from prompt, rationale tokens and answer token (ANS inserted)."""
    n = prompt_NP.shape[0]
    ans = jnp.full((n, 1), task.ans, dtype=prompt_NP.dtype)
    return jnp.concatenate([prompt_NP, rationale_NR.astype(prompt_NP.dtype), ans,
                            answer_tok_N[:, None].astype(prompt_NP.dtype)], axis=1)


def verify(task: TaskConfig, answer_tok, gold_value) -> jax.Array:
    """Hard exact-match verifier: 1.0 iff the answer token is the digit token of the gold value."""
    return (answer_tok == task.digit(gold_value)).astype(jnp.float32)


def rationale_correct(task: TaskConfig, prompt_NP, rationale_NR) -> jax.Array:
    """(N,) 1.0 iff every intermediate value is right (recomputed from the prompt)."""
    vals = prompt_NP[:, 1:task.chain_length + 2]
    gold = jnp.cumsum(vals, axis=1)[:, 1:-1] % task.modulus
    return jnp.all(rationale_NR == task.digit(gold), axis=1).astype(jnp.float32)
