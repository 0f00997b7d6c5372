"""The tabular latent policy: a free categorical p(z|x) per prompt and p(y|x, z) per (prompt, rationale).

    p(z|x) = softmax(θ[x])_z over the m^R digit rationales,   p(y|x, z) = softmax(φ[x, z])_y over the vocabulary

Every probability is one table entry, so P = Σ_z p(z|x) p(y*|x, z) is an exact finite sum (``marginal``);
this is the categorical model of the toy labs (ESCORT, FLOW) run through the LM trainer. It is only
practical for small tasks: m^{L+1} prompts × m^{L-1} rationales × V answers table entries.
"""

from __future__ import annotations

import equinox as eqx
import jax
import jax.numpy as jnp

from tsallis_theory.lm.configs import TaskConfig

MAX_TABLE = 5_000_000


class TabularPolicy(eqx.Module):
    """Tabular p(z|x), p(y|x, z) over the task's prompts; implements the ``Policy`` interface.

    Args:
      key: PRNG key for the initial logits.
      task: the task (its m^{L+1} · m^{L-1} · V table must hold at most 5e6 entries).
      init_scale: standard deviation of the initial logits.
      digit_bias: added to every digit-token answer logit (negative: a cold start, the answer mass sits on
        letters, as for the pretrained transformers of docs/lm.md).
    """

    logits_z_XZ: jax.Array
    logits_y_XZV: jax.Array
    task: TaskConfig = eqx.field(static=True)

    def __init__(self, key, task: TaskConfig, init_scale: float = 1.0, digit_bias: float = 0.0):
        m, L, v = task.modulus, task.chain_length, task.vocab_size
        nx, nz = m ** (L + 1), m ** (L - 1)
        if nx * nz * v > MAX_TABLE:
            raise ValueError(f"task too large for a tabular policy: {nx}·{nz}·{v} table entries > {MAX_TABLE:g}; "
                             "use modulus^(2·chain_length) · vocab <= 5e6")
        kz, ky = jax.random.split(key)
        self.logits_z_XZ = init_scale * jax.random.normal(kz, (nx, nz))
        bias_V = jnp.where(jnp.arange(v) < m, digit_bias, 0.0)
        self.logits_y_XZV = init_scale * jax.random.normal(ky, (nx, nz, v)) + bias_V
        self.task = task

    def prompt_index(self, prompt_P):
        m, L = self.task.modulus, self.task.chain_length
        return jnp.sum(prompt_P[1:L + 2] * m ** jnp.arange(L + 1))

    def rationale_index(self, rationale_R):
        m = self.task.modulus
        return jnp.sum(rationale_R * m ** jnp.arange(rationale_R.shape[0]))

    def rationale_tokens(self, index):
        m, r = self.task.modulus, self.task.rationale_len
        return (index // m ** jnp.arange(r)) % m

    def sample(self, key, prompt_P):
        kz, ky = jax.random.split(key)
        x = self.prompt_index(prompt_P)
        z = jax.random.categorical(kz, self.logits_z_XZ[x])
        y = jax.random.categorical(ky, self.logits_y_XZV[x, z])
        return self.rationale_tokens(z).astype(prompt_P.dtype), y.astype(prompt_P.dtype)

    def log_probs(self, prompt_P, rationale_R, answers_A):
        x, z = self.prompt_index(prompt_P), self.rationale_index(rationale_R)
        logp_z = jax.nn.log_softmax(self.logits_z_XZ[x])[z]
        return logp_z, jax.nn.log_softmax(self.logits_y_XZV[x, z])[answers_A]

    def marginal(self, prompt_P, answer_tok):
        """Exact P = Σ_z p(z|x) p(y|x, z) for one prompt and answer token."""
        x = self.prompt_index(prompt_P)
        pz_Z = jax.nn.softmax(self.logits_z_XZ[x])
        py_Z = jax.nn.softmax(self.logits_y_XZV[x], axis=-1)[:, answer_tok]
        return jnp.sum(pz_Z * py_Z)
