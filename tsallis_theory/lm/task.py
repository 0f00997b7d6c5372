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
(docs/lm.md).

Training draws (``training_batch``) come in two kinds. *Fresh*: B new problems per step, each label flipped
with probability ε to the corrupted value (y* + 1) mod m, afresh at every draw (a global noise rule). *Fixed
set* (N > 0): a training set of N examples, example i being the problem drawn from fold_in(data key, i) with
a label flipped iff its own Bernoulli(ε) coin (fold_in(flip key, i)) came up, to a fixed wrong value
(y* + 1 + u_i) mod m, u_i ~ U{0..m−2}; each step draws B indices i ~ U[0, N). A fixed noisy subset must then
be memorised example by example (LM-NOISE's memorisation variant). The example space has m^{L+1} problems,
so two indices can hold the same problem (then with independent coins).

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


DATA_FOLD, FLIP_FOLD = 2_000_003, 3_000_017  # fold_in constants of a run's fixed training set and its coins


class TrainingBatch(NamedTuple):
    """One step's training draw (``training_batch``).

    Attributes:
      problems: the B problems (``Problems``).
      clean: (B,) the gold answer token y*.
      noisy: (B,) the example's corrupted answer token (the label it carries when flipped).
      flipped: (B,) bool, whether the training label is the corrupted one.
      label: (B,) the training label: ``noisy`` where ``flipped``, else ``clean``.
    """

    problems: Problems
    clean: jax.Array
    noisy: jax.Array
    flipped: jax.Array
    label: jax.Array


def training_batch(task: TaskConfig, run_key, k_prob, k_noise, b: int, eps, train_set: int = 0) -> TrainingBatch:
    """The B training examples of one step (module docstring): fresh problems from ``k_prob`` flipped afresh
    with probability ``eps`` from ``k_noise`` (``train_set`` = 0), or B indices (from ``k_prob``) into the
    run's fixed set of ``train_set`` examples, whose problems and flips are functions of ``run_key`` and the
    index only. ``eps`` may be traced, and so may ``train_set`` (a run's knob, so that both noise arms share
    a compiled step): then both draws are made and the run's own is selected, which gives the same examples
    as a static ``train_set``."""

    def fresh():
        probs = sample_problems(k_prob, task, b)
        return probs, jax.random.bernoulli(k_noise, eps, (b,)), task.digit(corrupt(task, probs.answer))

    def fixed(n):
        idx_B = jax.random.randint(k_prob, (b,), 0, n)
        data_key = jax.random.fold_in(run_key, DATA_FOLD)
        flip_key = jax.random.fold_in(run_key, FLIP_FOLD)

        def example(i):
            p = sample_problems(jax.random.fold_in(data_key, i), task, 1)
            k_coin, k_wrong = jax.random.split(jax.random.fold_in(flip_key, i))
            shift = 1 + jax.random.randint(k_wrong, (), 0, task.modulus - 1)
            return (jax.tree.map(lambda x: x[0], p), jax.random.bernoulli(k_coin, eps),
                    task.digit((p.answer[0] + shift) % task.modulus))

        return jax.vmap(example)(idx_B)

    if isinstance(train_set, int):
        probs, flipped, noisy = fresh() if train_set == 0 else fixed(train_set)
    else:
        use_fixed = train_set > 0
        probs, flipped, noisy = jax.tree.map(lambda a, f: jnp.where(use_fixed, a, f), fixed(jnp.maximum(train_set, 1)),
                                             fresh())
    clean = task.digit(probs.answer)
    return TrainingBatch(probs, clean, noisy, flipped, jnp.where(flipped, noisy, clean))


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
