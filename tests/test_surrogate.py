"""surrogate_loss: its gradient is the estimator's ĝ = Σ score·∇log p(z) + path·∇log p(y*|z) (the coefficients
held fixed), checked against the Jacobians of the log-probs; the estimators take NumPy and return NumPy."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from tsallis_theory import estimators as E


def _log_probs(theta):
    """A toy policy: M = 4 rollouts with log p(z_m|x) = log_softmax(θ[:4])_m, log p(y*|x, z_m) = log σ(θ[4] + b_m)."""
    b = jnp.array([0.0, -1.0, -3.0, 2.0])
    return jax.nn.log_softmax(theta[:4]), jax.nn.log_sigmoid(theta[4] + b)


def _loss(t, q):  # coefficients recomputed from θ inside the loss: stop_gradient must cut them
    a, y = _log_probs(t)
    return E.surrogate_loss(E.garl_rloo(y, q), a, y)


_grad = jax.jit(jax.grad(_loss))
_grad_hard = jax.jit(jax.grad(lambda t, c: E.surrogate_loss(c, _log_probs(t)[0])))
_jac = jax.jit(jax.jacobian(_log_probs))


@pytest.mark.parametrize("q", [0.0, 0.4, 1.0])
def test_surrogate_gradient_is_the_estimate_with_coefficients_held_fixed(q):
    theta = jnp.array([0.3, -0.2, 0.1, 0.0, -1.0])
    lp_z, lp_y = _log_probs(theta)
    coef = E.garl_rloo(lp_y, q)
    jz, jy = _jac(theta)
    want = coef.score @ jz + coef.path @ jy  # ĝ, by the chain rule on each log-prob separately
    np.testing.assert_allclose(_grad(theta, q), want, rtol=1e-12, atol=1e-15)
    # no answer term (a 0/1 verifier): only the score part
    np.testing.assert_allclose(_grad_hard(theta, coef), coef.score @ jz, rtol=1e-12, atol=1e-15)


def test_surrogate_batches_and_rejects_a_wrong_shape():
    coef = E.rloo(jnp.array([[1.0, 0.0, 0.0], [0.0, 1.0, 1.0]]))
    assert E.surrogate_loss(coef, jnp.zeros((2, 3))).shape == (2,)
    with pytest.raises(ValueError, match="log_p_rollout must have"):
        E.surrogate_loss(coef, jnp.zeros((2, 4)))


def test_estimators_return_numpy_for_numpy_input():
    lw, r = np.array([np.log(0.5), -np.inf, np.log(0.25), 0.0]), np.array([1.0, 0.0, 0.0, 1.0])
    calls = [(E.garl_plugin, (lw, 0.5)), (E.garl_rloo, (lw, 0.5)), (E.rb_reinforce, (lw,)), (E.rb_rloo, (lw,)),
             (E.iwae, (lw,)), (E.paft_from_indices, (lw, 0.5, np.array([0, 2]))), (E.rloo, (r,)), (E.grpo, (r,)),
             (E.dr_grpo, (r,)), (E.pass_at_k, (r, 2)), (E.maxrl, (r, 2)), (E.dco, (r, 2)),
             (E.posterior_sft_from_indices, (lw, np.array([0, 3])))]
    for fn, args in calls:
        out = fn(*args)
        assert all(type(x) is np.ndarray for x in out), fn.__name__
        jx = fn(*(jnp.asarray(a) if isinstance(a, np.ndarray) else a for a in args))
        assert all(isinstance(x, jax.Array) for x in jx), fn.__name__
        np.testing.assert_array_equal(out.score, jx.score)
        np.testing.assert_array_equal(out.path, jx.path)
    assert type(E.grpo_advantage(r)) is np.ndarray
    coef, idx = E.paft(jax.random.PRNGKey(0), lw, 0.5, 3)
    assert type(coef.score) is np.ndarray and type(idx) is np.ndarray
