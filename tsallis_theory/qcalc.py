"""The q-calculus: Tsallis q-logarithm, q-exponential, the per-example loss ℓ_q and its gradient weight.

Definitions (docs/spec.md §1):

    log_q(u) = (u^{1-q} - 1) / (1 - q),   u > 0,   log_1 = log
    exp_q(x) = [1 + (1 - q) x]_+^{1/(1-q)},          exp_1 = exp
    ℓ_q(P)   = -log_q P = (1 - P^{1-q}) / (1 - q)     (J_Q's per-example loss; ℓ_0 = 1 - P, ℓ_1 = -log P)
    dℓ_q/dP  = -P^{-q}                                 (claim DIR: amplification P^{-q} of the RLVR gradient)

Numerics. With a = 1 - q and x = ln u, log_q(u) = x · exprel(a x), where exprel(y) = expm1(y)/y (= 1 at
y = 0), or expm1(a x)/a once |a x| >= 1. This is accurate to rounding for every q, including |q - 1| < 1e-9
where the textbook formula cancels catastrophically, and takes ln u directly (``*_from_log``) so that
P = 1e-300 or far smaller, which underflows, is still exact. All functions are JAX-traceable and broadcast
over u and q. Outside jit, invalid input raises a one-line ``ValueError`` naming the argument.

Precision. A float32 input is computed in float32 (also under x64), a Python number takes the precision of
the arrays it meets. In either precision every valid input gives a value within 3 ulps · (1 + |(1 - q) ln u|)
of the exact one (exp_q: 3 ulps · (1 + |ln exp_q|)), ±inf past the largest float, never NaN. Outside jit, a
u or P below the smallest normal number of its working dtype (1e-300 without x64, a subnormal with it) is
taken through its logarithm in NumPy; under jit XLA flushes it to 0, which gives the u → 0 limit
(log_q 0 = -1/(1 - q) for q < 1, -inf for q >= 1). docs/qcalc.md states the contract.

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
# From this |y| = |(1 - q) ln u| on, log_q u is computed as expm1(y)/(1 - q): in the form ln u · exprel(y),
# exprel(y) ~ 1/|y| is subnormal once |y| > 1/tiny, and XLA on CPU flushes it to 0 (log_q_from_log(-1e308, 0)
# would be 0, not -1).
_DIRECT_CUTOFF = 1.0
# Above this y, log_q u = sign(1 - q) exp(y - ln|1 - q|) (the -1 of expm1 is below e^-64 relative): expm1(y)
# alone would overflow before the division by |1 - q| > 1 brings the value back into range.
_HUGE_Y = 64.0


def exprel(y, xp=jnp):
    """exprel(y) = expm1(y)/y, 1 at y = 0 (Taylor series for |y| < 1e-5). ``xp``: ``jax.numpy`` or ``numpy``.

    >>> float(exprel(np.array(0.0), xp=np))
    1.0
    """
    small = xp.abs(y) < _SERIES_CUTOFF
    y_safe = xp.where(small, 1.0, y)
    series = 1.0 + y / 2.0 + y * y / 6.0 + y * y * y / 24.0
    return xp.where(small, series, xp.expm1(y_safe) / y_safe)


def _log1prel(y):
    """log1p(y)/y for y > -1, 1 at y = 0. Off the series it is log(u)/(u - 1) with u = 1 + y rounded: the
    rounding of u cancels between the two (Goldberg 1991, Thm 4), so the result is good to 2 ulps where
    XLA's CPU log1p is off by up to 2e-14 relative (exp_q multiplies that by |ln exp_q|: 1.4e-11 at ~700).
    The barrier keeps XLA from simplifying (1 + y) - 1 to y, which would undo the compensation."""
    small = jnp.abs(y) < _SERIES_CUTOFF
    u = jax.lax.optimization_barrier(1.0 + jnp.where(small, 1.0, y))
    series = 1.0 - y / 2.0 + y * y / 3.0 - y * y * y / 4.0
    return jnp.where(small, series, jnp.log(u) / (u - 1.0))


def as_float(x, *, keep_precision: bool = True):
    """``x`` as a JAX floating array.

    With ``keep_precision`` (the q-calculus) a floating array keeps its dtype (float32 stays float32 under x64)
    and a Python number stays weakly typed (it takes the dtype of the arrays it meets); integers and bools become
    the default float. ``keep_precision=False`` (the estimators) gives the default float, float64 under x64,
    whatever the input.
    """
    if not keep_precision:
        return jnp.asarray(x, dtype=jnp.result_type(float))
    x = jnp.asarray(x)
    if jnp.issubdtype(x.dtype, jnp.floating):
        return x
    return x + 0.0 if x.weak_type else x.astype(jnp.result_type(float))  # x + 0.0 stays weakly typed


def _eager_log(x):
    """ln x in NumPy, at the input's own precision, when some 0 < x is below the smallest normal number of the
    dtype JAX will hold x in (XLA on CPU flushes those to 0; 1e-300 has no float32 at all); else None.
    Called outside jit only: it is what keeps q_loss(1e-300, 1) = 690.78 without x64."""
    arr = np.asarray(x)
    if not np.issubdtype(arr.dtype, np.floating):
        return None
    if not np.any((arr > 0) & (arr < np.finfo(jax.dtypes.canonicalize_dtype(arr.dtype)).tiny)):
        return None
    with np.errstate(divide="ignore"):
        return np.log(arr)


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
    return _log_q_core(as_float(log_u), as_float(q))


def _log_q_formula(log_u, q):
    """log_q from ln u in [-inf, inf]: ln u · exprel(y), y = (1 - q) ln u, or expm1(y)/(1 - q) once |y| >= 1
    (sign(1 - q) e^{y - ln|1 - q|} past y = 64);
    ln u = -inf gives the u → 0 limit -1/(1 - q) (q < 1) or -inf (q >= 1), ln u = +inf the u → inf limit."""
    a = 1.0 - q
    zero_u = jnp.isneginf(log_u)
    x = jnp.where(zero_u, -1.0, log_u)
    y = a * jnp.where(jnp.isinf(x) & (a == 0.0), 0.0, x)  # q = 1 is ln u, also at ln u = inf
    direct = jnp.abs(y) >= _DIRECT_CUTOFF
    huge = y > _HUGE_Y
    a_safe = jnp.where(direct, a, 1.0)
    y_direct = jnp.where(direct & ~huge, y, 0.0)
    value = jnp.where(direct, jnp.expm1(y_direct) / a_safe, x * exprel(jnp.where(direct, 0.0, y)))
    big = jnp.sign(a_safe) * jnp.exp(jnp.where(huge, y, 0.0) - jnp.log(jnp.abs(a_safe)))
    value = jnp.where(huge, big, value)
    limit = jnp.where(q < 1.0, -1.0 / jnp.where(q < 1.0, a, 1.0), -jnp.inf)
    return jnp.where(zero_u, limit, value)


@jax.custom_jvp
def _log_q_core(log_u, q):
    return _log_q_formula(log_u, q)


@_log_q_core.defjvp
def _log_q_core_jvp(primals, tangents):
    # d log_q / d ln u = u^{1-q} exactly; differentiating the exprel form instead cancels catastrophically
    # when u^{1-q} is tiny (relative error 5e-9 at u = 1e-8, q = 0). The q-tangent uses autodiff.
    # At u = 0 (ln u = -inf) the value is the constant limit and the ln u tangent is dropped.
    log_u, q = primals
    d_log_u, d_q = tangents
    value, dq_part = jax.jvp(lambda qq: _log_q_formula(log_u, qq), (q,), (d_q,))
    zero_u = jnp.isneginf(log_u)
    rate = jnp.exp((1.0 - q) * jnp.where(zero_u, 0.0, log_u))
    return value, jnp.where(zero_u, 0.0, rate * d_log_u) + dq_part


def log_q(u, q):
    """Tsallis q-logarithm  log_q(u) = (u^{1-q} - 1)/(1 - q),  log_1 = ln.  (docs/spec.md §1)

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
        log_u = _eager_log(u)
        if log_u is not None:
            return _log_q_kernel(log_u, q)
    return _log_q_of_u_kernel(u, q)


@jax.jit
def _log_q_of_u_kernel(u, q):
    return _log_q_kernel(jnp.log(as_float(u)), q)


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
    # ln exp_q = x · log1prel(y), y = (1 - q) x, for |y| < 1; log(1 + y)/(1 - q) for y >= 1 (also at x = ±inf).
    x, q = as_float(x), as_float(q)
    a = 1.0 - q
    y = a * jnp.where(jnp.isinf(x) & (a == 0.0), 0.0, x)  # q = 1 is exp(x), also at x = ±inf
    inside = y > -1.0
    far = y >= _DIRECT_CUTOFF
    near = x * _log1prel(jnp.where(inside & ~far, y, 0.0))
    log_value = jnp.where(far, jnp.log(1.0 + jnp.where(far, y, 1.0)) / jnp.where(far, a, 1.0), near)
    outside_value = jnp.where(q < 1.0, 0.0, jnp.inf)
    return jnp.where(inside, jnp.exp(log_value), outside_value)


def _check_log_p(log_p):
    if not V.is_traced(log_p):
        arr = V.check_not_nan("log_p", log_p, "in [-inf, 0] (P in [0, 1])")
        if np.any(arr > 0):
            raise ValueError(f"log_p must be in [-inf, 0] (P in [0, 1]); got {float(arr[arr > 0].ravel()[0]):g}")


def q_loss_from_log(log_p, q):
    """Per-example loss ℓ_q = -log_q P from log P.  ℓ_0 = 1 - P, ℓ_1 = -log P.  (docs/spec.md §1, J_Q)

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
    return -_log_q_core(as_float(log_p), as_float(q))  # P = 0: the limit 1/(1 - q), or inf at q >= 1


def q_loss(p, q):
    """Per-example loss ℓ_q(P) = -log_q P = (1 - P^{1-q})/(1 - q).  (docs/spec.md §1)

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
        log_p = _eager_log(p)
        if log_p is not None:
            return _q_loss_kernel(log_p, q)
    return _q_loss_of_p_kernel(p, q)


@jax.jit
def _q_loss_of_p_kernel(p, q):
    return _q_loss_kernel(jnp.log(as_float(p)), q)


def amplification_from_log(log_p, q):
    """Gradient weight P^{-q} = exp(-q log P) from log P.  (claim DIR: ∇ℓ_q = P^{-q} ∇ℓ_0)"""
    if not V.is_traced(log_p, q):
        V.check_broadcast(log_p=log_p, q=q)
        _check_log_p(log_p)
        _check_q(q)
    return _amplification_kernel(log_p, q)


@jax.jit
def _amplification_kernel(log_p, q):
    log_p, q = as_float(log_p), as_float(q)
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
        log_p = _eager_log(p)
        if log_p is not None:
            return _amplification_kernel(log_p, q)
    return _amplification_of_p_kernel(p, q)


@jax.jit
def _amplification_of_p_kernel(p, q):
    return _amplification_kernel(jnp.log(as_float(p)), q)
