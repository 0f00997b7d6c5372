"""Held-out evaluation of a policy on the target task (claims LM-COLD, LM-WARM, LM-NOISE).

``make_evaluator(task, policy, prompts, k)`` returns a jitted ``evaluate(params, key) -> dict``: E = ``prompts``
fresh problems drawn from ``key``, k rationales and answers sampled per prompt, and

    eval_mean_P          mean over prompts and samples of w = p(y*|x, z) (teacher forced): an unbiased
                         estimate of the mean success probability P = E_x E_{z~p(z|x)} p(y*|x, z), i.e. p0
    eval_contamination   the same mean of p(flipped label|x, z) (LM-NOISE)
    p@1, p@k             fraction of correct sampled answers; fraction of prompts with a correct one
    maj@k                fraction of prompts whose majority answer is correct (ties to the lowest token id)
    rationale_acc        fraction of sampled rationales whose every intermediate value is right
    rationale_agree      fraction of pairs of one prompt's k sampled rationales that are identical, averaged
                         over prompts (1: a prompt's rollouts share one rationale; LM-WARM's base asks for
                         diverse rationales); 1 when k = 1

The base-checkpoint procedure (``base``) measures p0 with it, and the trainer evaluates every run with it.
``eval_key(seed)`` is the key of a run's held-out prompts: the same prompts at every evaluation of the run.
"""

from __future__ import annotations

import equinox as eqx
import jax
import jax.numpy as jnp

from tsallis_theory.lm.configs import TaskConfig
from tsallis_theory.lm.policy import log_probs_batch, sample_batch
from tsallis_theory.lm.sharding import constrain_batch
from tsallis_theory.lm.task import corrupt, rationale_correct, sample_problems, verify

EVAL_FOLD = 1_000_003  # fold_in constant separating held-out prompts from training draws


def eval_key(seed: int):
    """The key of a run's held-out prompts and samples (the same prompts at every evaluation of the run)."""
    return jax.random.fold_in(jax.random.PRNGKey(seed), EVAL_FOLD)


def rationale_agreement(rationale_EKR) -> jax.Array:
    """Mean over the E prompts of the fraction of ordered pairs (i ≠ j) of its k sampled rationales that are
    identical (``rationale_agree``); 1 when k = 1."""
    k = rationale_EKR.shape[1]
    if k == 1:
        return jnp.ones((), jnp.float32)
    same_EKK = jnp.all(rationale_EKR[:, :, None, :] == rationale_EKR[:, None, :, :], axis=-1)
    return ((same_EKK.sum((1, 2)) - k) / (k * (k - 1))).mean()


def make_evaluator(task: TaskConfig, policy, prompts: int, k: int, mesh=None, share_prompt: bool = False):
    """Jitted ``evaluate(params, key) -> dict`` (the module docstring) for policies of ``policy``'s structure
    (``params`` are its inexact-array leaves); with ``mesh`` the prompts are sharded over its devices; with
    ``share_prompt`` each prompt's forward pass is computed once for its k samples (``policy.sample_batch``)."""
    if int(prompts) < 1 or int(k) < 1:
        raise ValueError(f"prompts and k must be >= 1; got prompts={prompts}, k={k}")
    _, static = eqx.partition(policy, eqx.is_inexact_array)
    e, k = int(prompts), int(k)

    @eqx.filter_jit
    def evaluate(params, key):
        policy_ = eqx.combine(params, static)
        k_prob, k_samp = jax.random.split(key)
        probs = sample_problems(k_prob, task, e)
        prompt = constrain_batch(probs.prompt, mesh)
        keys = constrain_batch(jax.random.split(k_samp, e * k).reshape(e, k, -1), mesh)
        rationale_EKR, ans_EK = sample_batch(policy_, keys, prompt, share_prompt)
        clean = task.digit(probs.answer)
        answers = jnp.stack([jnp.broadcast_to(clean[:, None], (e, k)),
                             jnp.broadcast_to(task.digit(corrupt(task, probs.answer))[:, None], (e, k))], -1)
        _, logp_EKA = log_probs_batch(policy_, prompt, rationale_EKR, answers, share_prompt)
        w = jnp.exp(logp_EKA.astype(jnp.float32))
        correct_EK = verify(task, ans_EK, probs.answer[:, None])
        votes_EV = jax.nn.one_hot(ans_EK, task.vocab_size).sum(1)
        maj_E = jnp.argmax(votes_EV, axis=-1)  # ties go to the lowest token id
        rat = jax.vmap(lambda r: rationale_correct(task, prompt, r), in_axes=1, out_axes=1)(rationale_EKR)
        return {
            "eval_mean_P": w[..., 0].mean(),
            "eval_contamination": w[..., 1].mean(),
            "p@1": correct_EK.mean(),
            f"p@{k}": correct_EK.max(1).mean(),
            f"maj@{k}": verify(task, maj_E, probs.answer).mean(),
            "rationale_acc": rat.mean(),
            "rationale_agree": rationale_agreement(rationale_EKR),
        }

    return evaluate
