"""Hypothesis properties of the estimators: equivariance, endpoints, signs, exact identities, finiteness, and
the one broadcasting contract of q (against ``jax.vmap`` of the single-pool call).

Estimators are jitted once at module level (docs/spec.md §10) and fed fixed-size pools (M = 5) so nothing recompiles
per example; floats exclude subnormals, which XLA on CPU flushes to zero.
"""

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from tsallis_theory import estimators as E
from tsallis_theory import testing as K
from tsallis_theory.testing import q_unit

M = 5
log_pools = K.log_pools(M)
hard_pools = K.hard_pools(M)
soft_rewards = K.soft_rewards(M)
perms = st.permutations(list(range(M))).map(np.array)

_plugin, _rloo = jax.jit(E.garl_plugin), jax.jit(E.garl_rloo)
_rb, _rbl, _iwae = jax.jit(E.rb_reinforce), jax.jit(E.rb_rloo), jax.jit(E.iwae)
_paft_idx = jax.jit(E.paft_from_indices)
_rloo_r, _grpo, _drgrpo = jax.jit(E.rloo), jax.jit(E.grpo), jax.jit(E.dr_grpo)
_passk = jax.jit(E.pass_at_k, static_argnums=1)
_maxrl = jax.jit(E.maxrl, static_argnums=1)
_dco = jax.jit(E.dco, static_argnums=1)


def _soft_all(lw, q):
    return [_plugin(lw, q), _rloo(lw, q), _rb(lw), _rbl(lw), _iwae(lw)]


def _hard_all(r):
    return [_rloo_r(r), _grpo(r), _drgrpo(r), _passk(r, 2), _maxrl(r, 3), _dco(r, 4)]


@given(log_pools, q_unit, perms)
def test_permuting_the_pool_permutes_soft_coefficients(lw, q, perm):
    for a, b in zip(_soft_all(lw, q), _soft_all(lw[perm], q)):
        np.testing.assert_allclose(np.asarray(a.score)[perm], b.score, atol=1e-12)
        np.testing.assert_allclose(np.asarray(a.path)[perm], b.path, atol=1e-12)


@given(hard_pools, perms)
def test_permuting_the_pool_permutes_hard_coefficients(r, perm):
    for a, b in zip(_hard_all(r), _hard_all(r[perm])):
        np.testing.assert_allclose(np.asarray(a.score)[perm], b.score, atol=1e-12)


@given(log_pools)
def test_q0_and_q1_endpoints(lw):
    K.check_endpoints(_plugin, lw, at_q0=_rb, rtol=0.0, atol=1e-14)
    K.check_endpoints(_plugin, lw, at_q1=_iwae, rtol=0.0, atol=1e-12)
    K.check_endpoints(_rloo, lw, at_q0=_rbl, rtol=0.0, atol=1e-14)


@given(log_pools, q_unit)
def test_signs_and_sums(lw, q):
    plug = _plugin(lw, q)
    assert np.all(np.asarray(plug.score) <= 0)  # descent raises log p of every rollout in proportion to w
    if np.any(np.isfinite(lw)):
        assert abs(float(jnp.sum(_iwae(lw).score)) + 1) < 1e-12  # self-normalised
        # the q = 1 RLOO weights c_m = w_m/w̄ − 1 sum to zero; exp(log w − log w̄) carries a rounding error
        # of about eps·|log w|, so the tolerance scales with the largest finite |log w|
        scale = 1.0 + np.max(np.abs(lw[np.isfinite(lw)]))
        assert abs(float(jnp.sum(_rloo(lw, 1.0).score))) < 1e-14 * scale


@given(soft_rewards)
def test_centred_group_advantages_sum_to_zero(r):
    for c in (_rloo_r(r), _grpo(r), _drgrpo(r)):
        assert abs(float(jnp.sum(c.score))) < 1e-12
        assert np.all(np.asarray(c.path) == 0)


@given(log_pools, q_unit)
def test_paft_conditional_mean_is_the_plugin_exactly(lw, q):
    # K = 1: E[PAFT | pool] = Σ_m p_m PAFT(indices = [m]), p = w/Σw (PAFT-BIAS on a random pool)
    if not np.any(np.isfinite(lw)):
        return
    p = np.asarray(jax.nn.softmax(jnp.asarray(lw)))
    idx = jnp.arange(M)[:, None]
    per = _paft_idx(jnp.broadcast_to(lw, (M, M)), q, idx)
    cond = np.einsum("m,mj->j", p, np.asarray(per.score))
    np.testing.assert_allclose(cond, _plugin(lw, q).score, rtol=1e-9, atol=1e-300)


@given(log_pools, q_unit)
def test_finite_on_extreme_and_all_failed_pools(lw, q):
    for c in _soft_all(lw, q) + [_soft_all(np.full(M, -np.inf), q)[1], _soft_all(np.full(M, -1e4), q)[0]]:
        assert np.all(np.isfinite(c.score)) and np.all(np.isfinite(c.path))
    for c in _hard_all(np.zeros(M)):
        assert np.all(np.asarray(c.score) == 0)  # no success: no signal, never NaN


# --- the broadcasting contract: q of shape (...) or (..., 1) against pools of shape (..., M) ----------------

# few distinct shapes, so that Hypothesis's examples share compiles (each (pool, q) shape compiles once)
BATCHES = [(), (3,), (2, 3)]
_pool_shapes = st.tuples(st.sampled_from(BATCHES), st.just(3))
_q_forms = st.sampled_from(["scalar", "per-example", "keepdims", "broadcast"])


def _q_of_form(form, batch, rng):
    if form == "scalar":
        return float(rng.uniform())
    shape = {"per-example": batch, "keepdims": batch + (1,),
             "broadcast": tuple(1 if i == 0 else d for i, d in enumerate(batch))}[form]
    return rng.uniform(0.0, 1.0, shape)


def _per_example(q, batch):
    """q as one value per example, shape batch (the oracle's view of the contract)."""
    q = np.asarray(q)
    if q.ndim == len(batch) + 1:
        q = q[..., 0]
    return np.broadcast_to(q, batch)


_paft_jit = jax.jit(E.paft, static_argnums=3)
_vmapped = [jax.jit(jax.vmap(f)) for f in (E.garl_plugin, E.garl_rloo, E.paft_from_indices)]


@given(_pool_shapes, _q_forms, st.integers(0, 2**31 - 1))
def test_q_broadcasts_against_the_pool_and_equals_vmap_of_the_single_pool_call(shape, form, seed):
    batch, m = shape
    rng = np.random.default_rng(seed)
    lw = -rng.exponential(2.0, batch + (m,))
    lw[rng.uniform(size=lw.shape) < 0.2] = -np.inf
    q = _q_of_form(form, batch, rng)
    idx = rng.integers(0, m, batch + (2,))
    flat_lw, flat_q, flat_idx = lw.reshape(-1, m), _per_example(q, batch).reshape(-1), idx.reshape(-1, 2)
    for batched, single in [(_plugin(lw, q), _vmapped[0](flat_lw, flat_q)),
                            (_rloo(lw, q), _vmapped[1](flat_lw, flat_q)),
                            (_paft_idx(lw, q, idx), _vmapped[2](flat_lw, flat_q, flat_idx))]:
        assert batched.score.shape == batched.path.shape == lw.shape
        np.testing.assert_allclose(batched.score, np.asarray(single.score).reshape(lw.shape), rtol=1e-14, atol=0)
        np.testing.assert_allclose(batched.path, np.asarray(single.path).reshape(lw.shape), rtol=1e-14, atol=0)


@pytest.mark.parametrize("batch, form", [((), "scalar"), ((3,), "per-example"), ((2, 3), "keepdims")])
def test_paft_draws_per_example_and_its_coefficients_follow_from_the_draws(batch, form):
    rng = np.random.default_rng(7)
    lw, q = -rng.exponential(2.0, batch + (4,)), _q_of_form(form, batch, rng)
    coef, drawn = _paft_jit(jax.random.PRNGKey(1), lw, q, 3)
    assert coef.score.shape == lw.shape and drawn.shape == batch + (3,)
    np.testing.assert_array_equal(coef.score, _paft_idx(lw, q, drawn).score)


@given(_pool_shapes, st.sampled_from(["per-rollout", "too-long", "extra-axis"]))
def test_any_other_q_shape_is_a_one_line_error_naming_q_also_under_jit(shape, form):
    batch, m = shape
    lw = np.zeros(batch + (m,))
    q = np.full({"per-rollout": batch + (m,), "too-long": batch[:-1] + (batch[-1] + 2,) if batch else (2,),
                 "extra-axis": (4,) + batch}[form], 0.5)
    for call in (E.garl_plugin, E.garl_rloo, jax.jit(E.garl_rloo), lambda a, b: E.paft_from_indices(a, b, np.zeros(
            batch + (1,), int)), lambda a, b: E.paft(jax.random.PRNGKey(0), a, b, 2)):
        with pytest.raises(ValueError, match=r"^q must have shape") as info:
            call(lw, q)
        assert "\n" not in str(info.value) and str(q.shape) in str(info.value) and str(lw.shape) in str(info.value)
