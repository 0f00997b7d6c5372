"""The surrogate loss: turns an estimator's coefficients into a scalar whose gradient is the estimate.

The coefficients say how much each rollout's log-probability should move (``_pool``):

    ĝ = Σ_m score_m ∇log p_θ(z_m|x) + path_m ∇log p_θ(y*|x, z_m).

They depend on θ only through the pool's likelihoods and are *weights*, not something to differentiate, so a
training loop stops their gradient and multiplies:

    L(θ) = Σ_m sg(score_m) · log p_θ(z_m|x) + sg(path_m) · log p_θ(y*|x, z_m),       ∇L = ĝ,

and a descent step θ ← θ − lr·∇L follows the estimator (the coefficients estimate the *loss* gradient, so no
sign flip is needed). With a 0/1 verifier, pass log p(τ_m|x) of the whole rollout (rationale and answer) as
``log_p_rollout`` and no ``log_p_answer``: ∇w_m = 0 there, the path term does not exist.
"""

from __future__ import annotations

import jax
import jax.numpy as jnp

from tsallis_theory.estimators.protocol import as_coefficients


def surrogate_loss(coef, log_p_rollout, log_p_answer=None):
    """Σ_m stop_gradient(score_m)·log_p_rollout_m + stop_gradient(path_m)·log_p_answer_m, shape (...).

    Its gradient in θ is the estimator's loss-gradient estimate ĝ; average it over the batch and descend.

    Args:
      coef: ``GradientCoefficients`` (or one array used as score and path), shape (..., M).
      log_p_rollout: log p_θ(z_m|x) (or log p_θ(τ_m|x) with a 0/1 verifier), shape (..., M), differentiable.
      log_p_answer: log p_θ(y*|x, z_m), shape (..., M), or None (no path term: a 0/1 verifier).
    Returns:
      the per-example surrogate, shape (...).

    Example:
      >>> import jax.numpy as jnp
      >>> from tsallis_theory.estimators import garl_rloo
      >>> lw = jnp.log(jnp.array([0.5, 0.0, 0.25]))
      >>> theta = jnp.zeros(3)                      # toy policy: log p(z_m|x) = θ_m − logsumexp θ
      >>> g = jax.grad(lambda t: surrogate_loss(garl_rloo(lw, 0.5), jax.nn.log_softmax(t)))(theta)
    """
    c = as_coefficients(coef)
    lp = jnp.asarray(log_p_rollout)
    if lp.shape != jnp.shape(c.score):
        raise ValueError(f"log_p_rollout must have the coefficients' shape {jnp.shape(c.score)}; got {lp.shape}")
    out = jnp.sum(jax.lax.stop_gradient(c.score) * lp, axis=-1)
    if log_p_answer is not None:
        la = jnp.asarray(log_p_answer)
        if la.shape != jnp.shape(c.path):
            raise ValueError(f"log_p_answer must have the coefficients' shape {jnp.shape(c.path)}; got {la.shape}")
        out = out + jnp.sum(jax.lax.stop_gradient(c.path) * la, axis=-1)
    return out
