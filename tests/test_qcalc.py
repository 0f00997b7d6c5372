"""The q-calculus core against independent oracles: mpmath at 50 digits, the Generalized Cross-Entropy
form, jax.grad, and the Tsallis algebra (inverse, pseudo-additivity, continuity at q = 1); float32 inputs and
the edges of the float range (subnormal u, ln u = ±inf, x64 off)."""

import jax
import jax.numpy as jnp
import mpmath
import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import tsallis_theory as T
from tsallis_theory import qcalc as Q
from tsallis_theory.testing import prob, prob_moderate, q_unit, q_wide

mpmath.mp.dps = 50
# float64 accuracy target for the core: a few ulps (docs/spec.md §1: ~1e-14 relative).
RTOL = 1e-14


def mp_log_q_from_log(x, q):
    x, q = mpmath.mpf(x), mpmath.mpf(q)
    return x if q == 1 else mpmath.expm1((1 - q) * x) / (1 - q)


@given(log_u=st.floats(-1e4, 700.0, allow_subnormal=False), q=q_wide)
def test_log_q_from_log_matches_mpmath(log_u, q):
    want = mp_log_q_from_log(log_u, q)
    if abs(want) > 1e300:
        return  # beyond float64
    got = float(T.log_q_from_log(log_u, q))
    # exp(y) has condition number |y|: the one rounding of y = (1 - q) ln u costs |y| ulps.
    y = abs((1 - q) * log_u)
    assert got == pytest.approx(float(want), rel=RTOL + 5e-16 * y, abs=1e-300)


@pytest.mark.parametrize("q", [1.0 - 1e-9, 1.0 - 1e-12, 1.0, 1.0 + 1e-10, 1.0 - 3e-6, 0.0, 0.5])
@pytest.mark.parametrize("u", [1e-300, 1e-30, 0.3, 1.0 - 1e-12, 2.0])
def test_log_q_exact_near_q1_and_tiny_u(u, q):
    want = mp_log_q_from_log(mpmath.log(mpmath.mpf(u)), q)
    assert float(T.log_q(u, q)) == pytest.approx(float(want), rel=RTOL, abs=1e-300)


@given(p=prob, q=q_unit)
def test_q_loss_equals_generalized_cross_entropy(p, q):
    # GCE (Zhang & Sabuncu 2018): L_a(P) = (1 - P^a)/a with a = 1 - q; at a = 0 it is -log P.
    a = mpmath.mpf(1) - mpmath.mpf(q)
    gce = -mpmath.log(p) if a == 0 else (1 - mpmath.mpf(p) ** a) / a
    assert float(T.q_loss(p, q)) == pytest.approx(float(gce), rel=RTOL, abs=1e-300)


@given(u=prob_moderate, q=q_wide)
def test_exp_q_inverts_log_q(u, q):
    # exp_q is ill-conditioned near its support edge 1 + (1 - q) x = u^{1-q} -> 0: one ulp of x = log_q u
    # becomes a relative error of about ulp·|1 - q|·|x| / u^{1-q} in the round trip.
    x = float(T.log_q(u, q))
    edge = u ** (1 - q)
    rel = 1e-14 + 4e-16 * abs((1 - q) * x) / edge
    assert float(T.exp_q(x, q)) == pytest.approx(u, rel=rel)


@given(a=prob_moderate, b=prob_moderate, q=q_wide)
def test_pseudo_additivity(a, b, q):
    la, lb = float(T.log_q(a, q)), float(T.log_q(b, q))
    want = la + lb + (1 - q) * la * lb
    assert float(T.log_q(a * b, q)) == pytest.approx(want, rel=1e-10, abs=1e-12)


@given(u=prob_moderate, dq=st.floats(-1e-9, 1e-9, allow_subnormal=False))
def test_continuity_at_q_equal_1(u, dq):
    # |log_q u - ln u| = |ln u| |exprel(a ln u) - 1| <= |a| (ln u)^2 for |a ln u| < 1.
    x = np.log(u)
    assert abs(float(T.log_q(u, 1.0 + dq)) - x) <= abs(dq) * x * x + 1e-15 * abs(x) + 1e-300


@given(u=prob_moderate, q=q_wide)
def test_derivative_is_u_to_minus_q(u, q):
    d = float(jax.grad(T.log_q)(u, q))
    assert d == pytest.approx(u ** (-q), rel=1e-12)


def test_amplification_is_minus_derivative_of_loss():
    p = jnp.array([1e-8, 0.01, 0.5, 1.0])
    for q in (0.0, 0.25, 0.75, 1.0):
        dl = jax.vmap(jax.grad(T.q_loss), in_axes=(0, None))(p, q)
        np.testing.assert_allclose(-dl, T.amplification(p, q), rtol=1e-12)


def test_endpoint_losses():
    p = np.array([1e-5, 0.3, 1.0])
    np.testing.assert_allclose(T.q_loss(p, 0.0), 1 - p, rtol=1e-15)
    np.testing.assert_allclose(T.q_loss(p, 1.0), -np.log(p), rtol=1e-15)
    assert float(T.q_loss(0.0, 0.5)) == 2.0 and float(T.q_loss(0.0, 1.0)) == np.inf
    # log P input below the float64 range (P = e^-1000 underflows): ℓ_1 = 1000 exactly.
    assert float(T.q_loss_from_log(-1000.0, 1.0)) == 1000.0
    assert float(T.amplification_from_log(-1000.0, 0.5)) == pytest.approx(np.exp(500.0))


def test_jit_and_vmap_agree_with_eager():
    u = jnp.geomspace(1e-200, 1.0, 7)
    q = jnp.linspace(0, 1, 7)
    eager = T.log_q(u, q)
    np.testing.assert_array_equal(jax.jit(T.log_q)(u, q), eager)
    np.testing.assert_array_equal(jax.vmap(T.log_q)(u, q), eager)


@pytest.mark.parametrize(
    "call, message",
    [
        (lambda: T.log_q(0.0, 0.5), "u must be in (0, inf)"),
        (lambda: T.log_q(-1.0, 0.5), "u must be in (0, inf)"),
        (lambda: T.log_q(0.5, float("nan")), "q must be a finite real"),
        (lambda: T.log_q(np.ones(3), np.ones(2)), "must broadcast together"),
        (lambda: T.q_loss(1.5, 0.5), "p must be in [0, 1]"),
        (lambda: T.q_loss_from_log(0.1, 0.5), "log_p must be in [-inf, 0]"),
        (lambda: T.log_q_from_log(float("nan"), 0.5), "log_u must be"),
        (lambda: T.exp_q(1.0, float("inf")), "q must be a finite real"),
    ],
)
def test_bad_input_names_the_argument(call, message):
    with pytest.raises(ValueError, match=message.replace("(", r"\(").replace(")", r"\)").replace("[", r"\[").replace("]", r"\]")):
        call()


# --- float32 and the edges of the float range ------------------------------------------------------------
# The float32 contract (docs/qcalc.md): within 3 ulps · (1 + |y|) of the exact value of the float32 input,
# y = (1 − q) ln u (the rounding of y itself costs |y| ulps), never NaN.
EPS32 = float(np.finfo(np.float32).eps)


def _mp_log_q(u, q):
    u, q = mpmath.mpf(float(u)), mpmath.mpf(float(q))
    return mpmath.log(u) if q == 1 else (u ** (1 - q) - 1) / (1 - q)


def test_float32_inputs_stay_float32_and_match_mpmath():
    rng = np.random.default_rng(3)
    u = np.exp(rng.uniform(-87.0, 88.0, 300)).astype(np.float32)
    q = rng.uniform(-1.0, 3.0, 300).astype(np.float32)
    q[:40], q[40:80] = 1.0, (1.0 - rng.uniform(0.0, 1e-3, 40)).astype(np.float32)
    got = T.log_q(u, q)
    assert got.dtype == jnp.float32
    for ui, qi, g in zip(u, q, np.asarray(got)):
        want = _mp_log_q(ui, qi)
        if abs(want) > np.finfo(np.float32).max:
            assert np.isinf(g) and np.sign(g) == np.sign(float(want))  # overflow, with its sign
            continue
        y = abs(float((1 - mpmath.mpf(float(qi))) * mpmath.log(mpmath.mpf(float(ui)))))
        assert float(g) == pytest.approx(float(want), rel=3 * EPS32 * (1 + y))
    p = np.exp(rng.uniform(-87.0, 0.0, 100)).astype(np.float32)
    qq = rng.uniform(0.0, 1.0, 100).astype(np.float32)
    loss = T.q_loss(p, qq)
    assert loss.dtype == jnp.float32
    for pi, qi, g in zip(p, qq, np.asarray(loss)):
        y = abs(float((1 - mpmath.mpf(float(qi))) * mpmath.log(mpmath.mpf(float(pi)))))
        assert float(g) == pytest.approx(-float(_mp_log_q(pi, qi)), rel=3 * EPS32 * (1 + y))


@pytest.mark.parametrize("q, log_q_want", [(0.0, -1.0), (0.5, -2.0), (1.0, -690.7755278982137), (0.99, None)])
def test_without_x64_an_underflowing_u_is_taken_through_its_float64_log(q, log_q_want):
    # 1e-300 has no float32; outside jit its logarithm is taken in float64, so ℓ_1 is 690.78, not inf
    want = float(_mp_log_q(1e-300, q)) if log_q_want is None else log_q_want
    with jax.enable_x64(False):
        lq, loss, amp = T.log_q(1e-300, q), T.q_loss(1e-300, q), T.amplification(1e-300, q)
    assert lq.dtype == loss.dtype == jnp.float32
    assert float(lq) == pytest.approx(want, rel=3 * EPS32 * 700) and float(loss) == -float(lq)
    assert float(amp) == (1.0 if q == 0 else np.inf)  # 1e-300^{-q} overflows float32 for q >= 0.13


def test_without_x64_nothing_valid_is_nan():
    u = np.array([1e-300, 1e-45, 1e-38, 1e-20, 0.5, 1.0, 3e38, 1e300])
    p = np.array([0.0, 1e-300, 1e-45, 1e-20, 0.5, 1.0])
    with jax.enable_x64(False):
        for q in (-1.0, 0.0, 0.3, 1.0 - 1e-7, 1.0, 1.5, 2.0, 3.0):
            for values in (T.log_q(u[u < 3.4e38], q), T.q_loss(p, q), T.amplification(p, q),
                           T.exp_q(np.array([-np.inf, -1e30, -1.0, 0.0, 1.0, 1e30, np.inf]), q)):
                assert values.dtype == jnp.float32 and not np.any(np.isnan(values))


def test_under_jit_a_flushed_u_gives_the_u_to_0_limit():
    # XLA on CPU flushes subnormals to 0 inside jit; log_q(0) = −1/(1 − q) for q < 1, −inf for q >= 1 (no NaN)
    u = jnp.asarray([1e-45, 1e-45, 1e-45], jnp.float32)
    q = jnp.asarray([0.0, 0.5, 1.0], jnp.float32)
    np.testing.assert_array_equal(jax.jit(T.log_q)(u, q), [-1.0, -2.0, -np.inf])
    np.testing.assert_array_equal(jax.jit(T.q_loss)(u, q), [1.0, 2.0, np.inf])
    np.testing.assert_array_equal(jax.jit(T.log_q)(jnp.asarray([5e-324]), 0.25), [-1 / 0.75])


def test_float64_edges_subnormal_u_huge_and_infinite_log_u():
    assert float(T.log_q(1e-310, 1.0)) == pytest.approx(float(mpmath.log(mpmath.mpf(1e-310))), rel=RTOL)  # eager
    assert float(T.q_loss(5e-324, 1.0)) == pytest.approx(744.4400719213812, rel=RTOL)
    # ln u · exprel(y) would flush exprel(−1e308) ~ 1e-308 to 0; the direct form keeps log_q = (u − 1)/1 = −1
    assert float(T.log_q_from_log(-1e308, 0.0)) == -1.0
    assert float(T.log_q_from_log(-1e308, 2.0)) == -np.inf
    # (1 − q) ln u = 690 with |1 − q| = 2: expm1 alone would overflow before the division
    assert float(T.log_q_from_log(-345.0, 3.0)) == pytest.approx(float(mp_log_q_from_log(-345.0, 3.0)), rel=1e-13)
    # ln u = +inf: log_q(inf) = inf for q <= 1 and 1/(q − 1) for q > 1
    np.testing.assert_array_equal(T.log_q_from_log(np.inf, np.array([0.5, 1.0, 3.0])), [np.inf, np.inf, 0.5])
    # exp_q at x = ±inf: 0 or inf from the support and the sign of 1 − q, exp at q = 1
    np.testing.assert_array_equal(T.exp_q(np.array([np.inf, -np.inf]), 0.5), [np.inf, 0.0])
    np.testing.assert_array_equal(T.exp_q(np.array([np.inf, -np.inf]), 2.0), [np.inf, 0.0])
    np.testing.assert_array_equal(T.exp_q(np.array([np.inf, -np.inf]), 1.0), [np.inf, 0.0])


def _mp_exp_q(x, q):
    x, q = mpmath.mpf(float(x)), mpmath.mpf(float(q))
    if q == 1:
        return mpmath.exp(x)
    base = 1 + (1 - q) * x
    return base ** (1 / (1 - q)) if base > 0 else None


@pytest.mark.parametrize("q", [1.0 - 1e-3, 1.0 - 7e-4, 1.0 + 1e-3, 0.5, 2.0])
def test_exp_q_matches_mpmath_where_xla_log1p_lost_digits(q):
    # y = (1 − q) x around −0.41, where XLA's CPU log1p is off by 2e-14 relative; exp_q multiplies that by
    # |ln exp_q| (up to ~530 here): 1e-11 before the compensated log1p. The bound is 3 ulps · (1 + |ln exp_q|).
    y = np.concatenate([np.linspace(-0.45, -0.37, 41), np.linspace(-0.99, 2.0, 31)])
    x = y / (1.0 - q)
    got = np.asarray(T.exp_q(x, q))
    for xi, g in zip(x, got):
        want = _mp_exp_q(xi, q)
        if want is None or not 1e-300 < want < 1e300:
            continue
        assert g == pytest.approx(float(want), rel=3 * 2.2e-16 * (1 + abs(float(mpmath.log(want)))))


def test_exp_q_float32_matches_mpmath():
    rng = np.random.default_rng(5)
    x = rng.uniform(-50.0, 50.0, 200).astype(np.float32)
    q = rng.uniform(-1.0, 3.0, 200).astype(np.float32)
    got = T.exp_q(x, q)
    assert got.dtype == jnp.float32
    for xi, qi, g in zip(x, q, np.asarray(got)):
        want = _mp_exp_q(xi, qi)
        if want is None or not 1.2e-38 < want < 3e38:
            continue
        assert float(g) == pytest.approx(float(want), rel=3 * EPS32 * (1 + abs(float(mpmath.log(want)))))


@given(y=st.floats(-700.0, 700.0, allow_subnormal=False))
def test_exprel_in_numpy_and_jax_matches_mpmath(y):
    want = float(mpmath.expm1(y) / y) if y != 0 else 1.0
    for xp in (np, jnp):
        assert float(Q.exprel(xp.asarray(y), xp=xp)) == pytest.approx(want, rel=4e-16 * (1 + abs(y)))


def test_as_float_keeps_float32_and_promotes_integers():
    assert Q.as_float(np.ones(2, np.float32)).dtype == jnp.float32
    assert Q.as_float(np.ones(2, np.float32), keep_precision=False).dtype == jnp.float64
    assert Q.as_float(np.arange(3)).dtype == jnp.float64
    # a Python number stays weakly typed: it does not promote the float32 arrays it meets
    assert T.log_q(np.full(2, 0.5, np.float32), 1).dtype == jnp.float32


@pytest.mark.parametrize("q", [1.0, 1.0 - 1e-6, 0.5, 2.0])
def test_q_derivatives_match_mpmath_also_at_q_equal_1(q):
    # d/dq at q = 1 is −(ln u)²/2 for log_q and exp(x) x²/2 for exp_q: the q = 1 branch must keep the q-tangent
    for u in (1e-3, 0.4, 3.0):
        want = mpmath.diff(lambda qq: mp_log_q_from_log(mpmath.log(u), qq), q)
        assert float(jax.grad(T.log_q, argnums=1)(u, q)) == pytest.approx(float(want), rel=1e-9)
    for x in (-1.5, 0.3, 0.7):  # inside the support for every q here
        want = mpmath.diff(lambda qq: mpmath.exp(x) if qq == 1 else (1 + (1 - qq) * x) ** (1 / (1 - qq)), q)
        assert float(jax.grad(T.exp_q, argnums=1)(x, q)) == pytest.approx(float(want), rel=1e-9)
