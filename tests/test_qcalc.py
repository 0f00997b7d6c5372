"""The q-calculus core against independent oracles: mpmath at 50 digits, the Generalized Cross-Entropy
form, jax.grad, and the Tsallis algebra (inverse, pseudo-additivity, continuity at q = 1)."""

import jax
import jax.numpy as jnp
import mpmath
import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import tsallis_theory as T
from tests.strategies import prob, prob_moderate, q_unit, q_wide

mpmath.mp.dps = 50
# float64 accuracy target for the core: a few ulps (SPEC, issue: ~1e-14 relative).
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
