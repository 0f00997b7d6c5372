"""KV-cached autoregressive sampling under ``lax.scan``.

The task's layout is static (``task.free_mask``): the prompt and the ANS marker are forced, the
rationale and answer positions are sampled at temperature 1. One scan step feeds the token at position t
into the cache and chooses the token at t + 1, so a rollout costs T - 1 cached decode steps.
"""

from __future__ import annotations

import jax
import jax.numpy as jnp

from tsallis_theory.lm.task import free_mask


def sample_sequence(model, key, template_T, free_T):
    """Tokens (T,) with forced positions copied from ``template_T`` and free ones sampled from ``model``.

    Args:
      model: has ``init_cache()`` and ``decode_step(token, pos, cache) -> (logits_V, cache)``.
      key: PRNG key.
      template_T: (T,) int tokens; values at free positions are ignored.
      free_T: (T,) bool, True where the model samples. Position 0 must be forced.
    """
    t_len = template_T.shape[0]
    keys = jax.random.split(key, t_len - 1)

    def step(carry, inp):
        token, cache = carry
        pos, k = inp
        logits_V, cache = model.decode_step(token, pos, cache)
        drawn = jax.random.categorical(k, logits_V.astype(jnp.float32)).astype(template_T.dtype)
        nxt = jnp.where(free_T[pos + 1], drawn, template_T[pos + 1])
        return (nxt, cache), nxt

    _, rest = jax.lax.scan(step, (template_T[0], model.init_cache()), (jnp.arange(t_len - 1), keys))
    return jnp.concatenate([template_T[:1], rest])


def sample_rollout(model, key, prompt_P):
    """(rationale_R, answer) sampled by ``model`` for one prompt of its task."""
    task = model.task
    template_T = jnp.concatenate([prompt_P, jnp.zeros(task.rationale_len, prompt_P.dtype),
                                  jnp.array([task.ans, 0], prompt_P.dtype)])
    seq_T = sample_sequence(model, key, template_T, free_mask(task))
    p, r = task.prompt_len, task.rationale_len
    return seq_T[p:p + r], seq_T[-1]
