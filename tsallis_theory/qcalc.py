"""The q-calculus: Tsallis q-logarithm, q-exponential, the per-example loss ℓ_q and its gradient weight.

Definitions (SPEC §1):

    log_q(u) = (u^{1-q} - 1) / (1 - q),   u > 0,   log_1 = log
    exp_q(x) = [1 + (1 - q) x]_+^{1/(1-q)},          exp_1 = exp
    ℓ_q(P)   = -log_q P = (1 - P^{1-q}) / (1 - q)     (J_Q's per-example loss; ℓ_0 = 1 - P, ℓ_1 = -log P)
    dℓ_q/dP  = -P^{-q}                                 (claim DIR: amplification P^{-q} of the RLVR gradient)

Numerics. With a = 1 - q and x = ln u, log_q(u) = x · exprel(a x), where exprel(y) = expm1(y)/y (= 1 at
y = 0). This is accurate to float64 rounding for every q, including |q - 1| < 1e-9 where the textbook
formula cancels catastrophically, and takes ln u directly (``*_from_log``) so that P = 1e-300 or far
smaller, which underflows, is still exact. All functions are JAX-traceable and broadcast over u and q.
Outside jit, invalid input raises a one-line ``ValueError`` naming the argument.

Equivalent forms used as independent cross-checks: −log_q P is the Generalized Cross-Entropy loss
(1 − P^a)/a with a = 1 − q (Zhang & Sabuncu 2018), and Ferrari–Yang's Lq-likelihood.
"""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np

from tsallis_theory import _validate as V

# Below this |y|, exprel and log1prel use their Taylor series; the truncation error is < |y|^4/120 ~ 1e-22.
_SERIES_CUTOFF = 1e-5


def _exprel(y):
    """expm1(y)/y, with the removable singularity at 0 filled in."""
    small = jnp.abs(y) < _SERIES_CUTOFF
    y_safe = jnp.where(small, 1.0, y)
    series = 1.0 + y / 2.0 + y * y / 6.0 + y * y * y / 24.0
    return jnp.where(small, series, jnp.expm1(y_safe) / y_safe)


def _log1prel(y):
    """log1p(y)/y, with the removable singularity at 0 filled in."""
    small = jnp.abs(y) < _SERIES_CUTOFF
    y_safe = jnp.where(small, 1.0, y)
    series = 1.0 - y / 2.0 + y * y / 3.0 - y * y * y / 4.0
    return jnp.where(small, series, jnp.log1p(y_safe) / y_safe)


def _as_float(x):
    x = jnp.asarray(x)
    return x if jnp.issubdtype(x.dtype, jnp.floating) else x.astype(jnp.result_type(float))


def _check_q(q):
    if not V.is_traced(q):
        V.check_finite("q", q, allowed="a finite real number (log_q is defined for every real q)")


def log_q_from_log(log_u, q):
    """Tsallis q-logarithm of u given ln u:  log_q(u) = ln u · exprel((1 - q) ln u).

    Args:
      log_u: ln u, any shape; must not be NaN (u > 0 means ln u > -inf).
      q: the order, any finite real, broadcastable against ``log_u``.
    Returns:
      log_q(u), shape ``broadcast(log_u, q)``.
    """
    if not V.is_traced(log_u, q):
        V.check_broadcast(log_u=log_u, q=q)
        arr = V.check_not_nan("log_u", log_u, "in (-inf, inf) (u > 0)")
        if np.any(np.isneginf(arr)):
            raise ValueError("log_u must be in (-inf, inf) (u > 0); got -inf (u = 0)")
        _check_q(q)
    return _log_q_kernel(log_u, q)


# The public functions validate outside jit, then call one jitted kernel: called eagerly on concrete arrays,
# a kernel compiles once per shape instead of once per primitive (most of the cost of small eager calls);
# inside a caller's jit it is inlined.
@jax.jit
def _log_q_kernel(log_u, q):
    return _log_q_core(_as_float(log_u), _as_float(q))


def _log_q_formula(log_u, q):
    return log_u * _exprel((1.0 - q) * log_u)


@jax.custom_jvp
def _log_q_core(log_u, q):
    return _log_q_formula(log_u, q)


@_log_q_core.defjvp
def _log_q_core_jvp(primals, tangents):
    # d log_q / d ln u = u^{1-q} exactly; differentiating the exprel form instead cancels catastrophically
    # when u^{1-q} is tiny (relative error 5e-9 at u = 1e-8, q = 0). The q-tangent uses autodiff.
    log_u, q = primals
    d_log_u, d_q = tangents
    value, dq_part = jax.jvp(lambda qq: _log_q_formula(log_u, qq), (q,), (d_q,))
    return value, jnp.exp((1.0 - q) * log_u) * d_log_u + dq_part


def log_q(u, q):
    """Tsallis q-logarithm  log_q(u) = (u^{1-q} - 1)/(1 - q),  log_1 = ln.  (SPEC §1)

    Args:
      u: positive reals, any shape (u in (0, inf)).
      q: the order, any finite real, broadcastable against ``u``.
    Returns:
      log_q(u), shape ``broadcast(u, q)``.

    Example:
      >>> float(log_q(0.25, 0.5))   # (0.25**0.5 - 1)/0.5
      -1.0
    """
    if not V.is_traced(u, q):
        V.check_broadcast(u=u, q=q)
        V.check_range("u", u, 0.0, float("inf"), low_open=True, high_open=True)
        _check_q(q)
    return _log_q_of_u_kernel(u, q)


@jax.jit
def _log_q_of_u_kernel(u, q):
    return _log_q_kernel(jnp.log(_as_float(u)), q)


def exp_q(x, q):
    """Tsallis q-exponential  exp_q(x) = [1 + (1 - q) x]_+^{1/(1-q)},  exp_1 = exp;  inverse of log_q.

    Outside the support (1 + (1 - q) x <= 0) the value is 0 for q < 1 and +inf for q > 1.

    Args:
      x: reals, any shape (NaN not allowed).
      q: the order, any finite real, broadcastable against ``x``.
    """
    if not V.is_traced(x, q):
        V.check_broadcast(x=x, q=q)
        V.check_not_nan("x", x, "a real number")
        _check_q(q)
    return _exp_q_kernel(x, q)


@jax.jit
def _exp_q_kernel(x, q):
    x, q = _as_float(x), _as_float(q)
    a = 1.0 - q
    y = a * x
    inside = y > -1.0
    y_safe = jnp.where(inside, y, 0.0)
    value = jnp.exp(x * _log1prel(y_safe))
    outside_value = jnp.where(q < 1.0, 0.0, jnp.inf)
    return jnp.where(inside, value, outside_value)


def _check_log_p(log_p):
    if not V.is_traced(log_p):
        arr = V.check_not_nan("log_p", log_p, "in [-inf, 0] (P in [0, 1])")
        if np.any(arr > 0):
            raise ValueError(f"log_p must be in [-inf, 0] (P in [0, 1]); got {float(arr[arr > 0].ravel()[0]):g}")


def q_loss_from_log(log_p, q):
    """Per-example loss ℓ_q = -log_q P from log P.  ℓ_0 = 1 - P, ℓ_1 = -log P.  (SPEC §1, J_Q)

    P = 0 (log_p = -inf) gives the limit: 1/(1 - q) for q < 1, +inf for q >= 1.

    Args:
      log_p: log success probability, in [-inf, 0], any shape.
      q: commitment, any finite real, broadcastable against ``log_p``.
    """
    if not V.is_traced(log_p, q):
        V.check_broadcast(log_p=log_p, q=q)
        _check_log_p(log_p)
        _check_q(q)
    return _q_loss_kernel(log_p, q)


@jax.jit
def _q_loss_kernel(log_p, q):
    log_p, q = _as_float(log_p), _as_float(q)
    finite = jnp.isfinite(log_p)
    lp = jnp.where(finite, log_p, -1.0)
    value = -_log_q_core(lp, q)
    limit = jnp.where(q < 1.0, 1.0 / jnp.where(q < 1.0, 1.0 - q, 1.0), jnp.inf)
    return jnp.where(finite, value, limit)


def q_loss(p, q):
    """Per-example loss ℓ_q(P) = -log_q P = (1 - P^{1-q})/(1 - q).  (SPEC §1)

    Args:
      p: success probability P in [0, 1], any shape.
      q: commitment, any finite real, broadcastable against ``p``.

    Example:
      >>> float(q_loss(0.5, 0.0))   # RLVR pole: 1 - P
      0.5
    """
    if not V.is_traced(p, q):
        V.check_broadcast(p=p, q=q)
        V.check_range("p", p, 0.0, 1.0)
        _check_q(q)
    return _q_loss_of_p_kernel(p, q)


@jax.jit
def _q_loss_of_p_kernel(p, q):
    return _q_loss_kernel(jnp.log(_as_float(p)), q)


def amplification_from_log(log_p, q):
    """Gradient weight P^{-q} = exp(-q log P) from log P.  (claim DIR: ∇ℓ_q = P^{-q} ∇ℓ_0)"""
    if not V.is_traced(log_p, q):
        V.check_broadcast(log_p=log_p, q=q)
        _check_log_p(log_p)
        _check_q(q)
    return _amplification_kernel(log_p, q)


@jax.jit
def _amplification_kernel(log_p, q):
    log_p, q = _as_float(log_p), _as_float(q)
    # q = 0 gives exactly 1 even at P = 0 (RLVR has no amplification).
    return jnp.where(q == 0.0, 1.0, jnp.exp(-q * log_p))


def amplification(p, q):
    """Gradient weight P^{-q}: ∇ℓ_q = P^{-q} ∇ℓ_0 = -P^{-q} ∇P.  (claim DIR, Prop 4.1)

    Args:
      p: success probability P in [0, 1], any shape.
      q: commitment, any finite real, broadcastable against ``p``.
    """
    if not V.is_traced(p, q):
        V.check_broadcast(p=p, q=q)
        V.check_range("p", p, 0.0, 1.0)
        _check_q(q)
    return _amplification_of_p_kernel(p, q)


@jax.jit
def _amplification_of_p_kernel(p, q):
    return _amplification_kernel(jnp.log(_as_float(p)), q)
