"""KV-cached autoregressive sampling under ``lax.scan``.

The task's layout is static (``task.free_mask``): the prompt and the ANS marker are forced, the
rationale and answer positions are sampled at temperature 1. One scan step feeds the token at position t
into the cache and chooses the token at t + 1, so a rollout costs T - 1 cached decode steps.

``sample_continuations`` samples M rollouts of one prompt with the prompt's forward pass done once
(``Transformer.prefix``) and only the T - P - 1 steps after it decoded per rollout. It draws every token
with the key ``sample_sequence`` gives that position, so the rollouts are the same (to float rounding).
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
    rest = _decode(model, template_T[0], model.init_cache(), jnp.arange(t_len - 1), keys, template_T, free_T)
    return jnp.concatenate([template_T[:1], rest])


def _decode(model, token, cache, positions, keys, template_T, free_T):
    """The tokens at ``positions + 1``: feed ``token`` at the first position into ``cache``, choose the next
    (drawn with that position's key where ``free_T``, else copied from ``template_T``), and so on."""

    def step(carry, inp):
        token, cache = carry
        pos, k = inp
        logits_V, cache = model.decode_step(token, pos, cache)
        drawn = jax.random.categorical(k, logits_V.astype(jnp.float32)).astype(template_T.dtype)
        nxt = jnp.where(free_T[pos + 1], drawn, template_T[pos + 1])
        return (nxt, cache), nxt

    return jax.lax.scan(step, (token, cache), (positions, keys))[1]


def _template(task, prompt_P):
    """(T,) tokens of a rollout of ``prompt_P`` with its forced positions set (the free ones are 0)."""
    return jnp.concatenate([prompt_P, jnp.zeros(task.rationale_len, prompt_P.dtype),
                            jnp.array([task.ans, 0], prompt_P.dtype)])


def sample_rollout(model, key, prompt_P):
    """(rationale_R, answer) sampled by ``model`` for one prompt of its task."""
    task = model.task
    seq_T = sample_sequence(model, key, _template(task, prompt_P), free_mask(task))
    p, r = task.prompt_len, task.rationale_len
    return seq_T[p:p + r], seq_T[-1]


def sample_continuations(model, keys_M2, prompt_P):
    """M rollouts (rationale_MR, answer_M) of one prompt, one per key, as ``sample_rollout`` draws them, with
    the prompt's keys and values computed once (``model.prefix``) and shared by the M caches."""
    task = model.task
    p, t_len = task.prompt_len, task.seq_len
    template_T, free_T = _template(task, prompt_P), free_mask(task)
    (k_prefix, v_prefix), first_V = model.prefix(prompt_P)

    def rollout(key):
        keys = jax.random.split(key, t_len - 1)  # keys[t] chooses the token at t + 1, as in sample_sequence
        k_cache, v_cache = model.init_cache()
        cache = (k_cache.at[:, :p].set(k_prefix.astype(k_cache.dtype)),
                 v_cache.at[:, :p].set(v_prefix.astype(v_cache.dtype)))
        first = jax.random.categorical(keys[p - 1], first_V.astype(jnp.float32)).astype(template_T.dtype)
        first = jnp.where(free_T[p], first, template_T[p])
        rest = _decode(model, first, cache, jnp.arange(p, t_len - 1), keys[p:], template_T, free_T)
        seq = jnp.concatenate([first[None], rest])  # positions p ... T - 1
        return seq[:task.rationale_len], seq[-1]

    return jax.vmap(rollout)(keys_M2)
