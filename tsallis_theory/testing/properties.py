"""Property checks of a per-rollout estimator, for a user's own pytest (each raises AssertionError naming the
method, the property and the numbers; each returns what it measured).

A 0/1 verifier with G i.i.d. rollouts r_m ~ Bernoulli(P) gives ∇log p(τ_m) = (r_m − P)/(P(1−P)) ∇P, so the
expected update of coefficients a_m = −score_m is −E[ĝ] = f'_G(P) ∇P with

    f'_G(P) = Σ_{r ∈ {0,1}^G} P^K (1−P)^{G−K} Σ_m a_m(r) (r_m − P) / (P(1−P)),     K = Σ_m r_m,

summed here over all 2^G pools (``enumerated_amplification``): an oracle independent of the count-weight
reading of ``atlas.expected_amplification``, valid for any method, symmetric or not. A method is unbiased for
the objective f when f'_G = f' at every P (claim ATLAS); a baseline that does not depend on rollout m leaves
f'_G unchanged (``check_same_expectation``).

The exact checks (enumeration, the ceiling) run in float64 (``jax.enable_x64``) whatever the caller's JAX
setting, so their tolerances are float64 ones; ``check_finite`` runs in the dtypes it is given.
"""

from __future__ import annotations

import functools
import itertools

import jax
import jax.numpy as jnp
import numpy as np

from tsallis_theory import atlas as A
from tsallis_theory import estimators as E

_MAX_ENUM_G = 14
_DEFAULT_PS = (0.03, 0.2, 0.5, 0.8)




def enumerated_amplification(method, p, g: int, **params) -> np.ndarray:
    """f'_G(P) by summing over every 0/1 pool of G rollouts (see the module docstring); p in (0, 1), shape
    (N,); 2 <= g <= 14. Checks the method's output on the pools first (``estimators.check_method_output``)."""
    m = E.get_method(method)
    m.check_params(params, g)
    with jax.enable_x64(True):
        return _enumerated(m, p, g, params)


def _enumerated(m: E.Method, p, g: int, params: dict) -> np.ndarray:
    if isinstance(g, bool) or int(g) != g or not 2 <= g <= _MAX_ENUM_G:
        raise ValueError(f"g must be an integer in [2, {_MAX_ENUM_G}] for enumeration; got {g!r}")
    p = np.atleast_1d(np.asarray(p, float))
    if np.any((p <= 0) | (p >= 1)):
        raise ValueError("p must be in (0, 1) for enumeration (the score (r − P)/(P(1−P)) is undefined at 0 and 1)")
    pools = np.array(list(itertools.product((0.0, 1.0), repeat=int(g))))
    E.check_method_output(m, pools, m.params(params))
    a = -np.asarray(E.jitted(m, m.params(params))(jnp.asarray(pools)).score)  # (2^G, G)
    k = pools.sum(axis=1)
    prob = np.exp(k[None] * np.log(p)[:, None] + (g - k)[None] * np.log1p(-p)[:, None])  # (N, 2^G)
    per_pool = np.einsum("cm,ncm->nc", a, (pools[None] - p[:, None, None]))
    return (prob * per_pool).sum(axis=1) / (p * (1 - p))


def check_unbiased(method, target, g: int, ps=_DEFAULT_PS, *, rtol: float = 1e-9, **params) -> np.ndarray:
    """The method's expected update is exactly target(P)·∇P at every P of ``ps`` (target: the amplification
    f'(P) of the objective it should be unbiased for, a callable of P), by enumeration at group size g."""
    m = E.get_method(method)
    got = enumerated_amplification(m, ps, g, **params)
    want = np.asarray(target(np.asarray(ps, float)), float)
    err = np.abs(got / want - 1)
    assert np.all(err <= rtol), (f"method {m.name!r} is not unbiased for the stated target at G = {g}: "
                                 f"f'_G(P) = {got} vs {want} at P = {list(ps)} (rel. error {err.max():.2e})")
    return got


def check_same_expectation(method, reference, g: int, ps=_DEFAULT_PS, *, params=None, reference_params=None,
                           rtol: float = 1e-9) -> np.ndarray:
    """Two methods have the same expected update (e.g. a baseline leaves the expectation unchanged), exactly by
    enumeration at group size g; returns the relative differences at ``ps``."""
    a = enumerated_amplification(method, ps, g, **(params or {}))
    b = enumerated_amplification(reference, ps, g, **(reference_params or {}))
    err = np.abs(a / b - 1)
    assert np.all(err <= rtol), (f"method {E.get_method(method).name!r} changes the expectation of "
                                 f"{E.get_method(reference).name!r} at G = {g}: {a} vs {b} at P = {list(ps)}")
    return err


def check_endpoints(method, pool, *, at_q0=None, at_q1=None, rtol: float = 1e-9, atol: float = 1e-12) -> None:
    """The method's coefficients at q = 0 equal ``at_q0``'s and at q = 1 equal ``at_q1``'s on ``pool`` (score
    and path), e.g. GARL → RB-REINFORCE and IWAE (claim ENDPOINTS). pool: log w (or rewards), shape (..., M)."""
    m = E.get_method(method)
    for q, ref in ((0.0, at_q0), (1.0, at_q1)):
        if ref is None:
            continue
        r = E.get_method(ref)
        got = m(jnp.asarray(pool), q=q)
        want = r(jnp.asarray(pool), **r.params({"q": q}))
        for what, x, y in (("score", got.score, want.score), ("path", got.path, want.path)):
            ok = np.allclose(np.asarray(x), np.asarray(y), rtol=rtol, atol=atol)
            assert ok, (f"method {m.name!r} at q = {q:g} does not reduce to {r.name!r}: {what} "
                        f"{np.asarray(x)} vs {np.asarray(y)}")


def check_ceiling(method, g: int, *, cap=None, rtol: float = 1e-6, **params) -> float:
    """With a 0/1 verifier the method's f'_G(P) stays bounded as P → 0 (a polynomial of degree <= G−1): the
    value at P = 1e-10 equals f'_G(0) to ``rtol``, and equals ``cap`` when given (GARL: G^q). Returns f'_G(0)."""
    m = E.get_method(method)
    with jax.enable_x64(True):
        at0 = float(A.expected_amplification(m, 0.0, g, **params))
        near = float(A.expected_amplification(m, 1e-10, g, **params))
    assert np.isfinite(at0) and abs(near - at0) <= rtol * max(abs(at0), 1e-300), (
        f"method {m.name!r} has no finite-group ceiling at G = {g}: f'_G(1e-10) = {near} vs f'_G(0) = {at0}")
    if cap is not None:
        assert abs(at0 / cap - 1) <= rtol, f"method {m.name!r}: ceiling {at0} at G = {g}, expected {cap}"
    return at0


_TRACED = ("q", "eps")  # float parameters passed traced: a new value does not recompile


@functools.lru_cache(maxsize=128)
def _jit_call(method: E.Method, static: tuple):
    return jax.jit(lambda x, traced: method(x, **dict(static), **traced))


def check_finite(method, pool, *, dtypes=(np.float32, np.float64), **params) -> None:
    """Coefficients of the pool's shape and finite (no NaN or inf) on ``pool`` in each dtype, e.g. the
    all-failed, underflowing and extreme pools of ``strategies``."""
    m = E.get_method(method)
    given = m.params(params)
    traced = {k: v for k, v in given.items() if k in _TRACED}
    run = _jit_call(m, tuple(sorted((k, v) for k, v in given.items() if k not in _TRACED)))
    for dtype in dtypes:
        c = run(jnp.asarray(np.asarray(pool, dtype)), traced)
        for what, x in (("score", c.score), ("path", c.path)):
            x = np.asarray(x)
            assert x.shape == np.shape(pool), f"method {m.name!r}: {what} of shape {x.shape} for a pool {np.shape(pool)}"
            assert np.all(np.isfinite(x)), (f"method {m.name!r}: non-finite {what} {x} on the pool "
                                            f"{np.asarray(pool)} ({np.dtype(dtype).name})")
