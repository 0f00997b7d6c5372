"""The installed testing kit (tsallis_theory.testing): its checks pass on the lab's methods and fail on planted
errors, the docs' leave-two-out example runs, and the kit says what to install when Hypothesis is missing."""

import subprocess
import sys
import textwrap

import jax.numpy as jnp
import numpy as np
import pytest
from hypothesis import given, settings

from tsallis_theory import estimators as E
from tsallis_theory import testing as K


# --- the worked example of docs/estimators.md: a leave-two-out estimator in ten lines ---------------------

def pass2_leave_two_out(rewards):
    """pass@2's U-statistic gradient, each pair (m, j) baselined by the pass@2 estimate of the other M − 2."""
    r = jnp.asarray(rewards)
    m = r.shape[-1]
    pair = jnp.maximum(r[..., :, None], r[..., None, :])  # max(r_m, r_j): pass@2 of the pair
    fails = (1 - r).sum(-1)[..., None, None] - (1 - r)[..., :, None] - (1 - r)[..., None, :]
    base = 1 - fails * (fails - 1) / ((m - 2) * (m - 3))  # 1 − C(F, 2)/C(M−2, 2) without m and j
    off = ~jnp.eye(m, dtype=bool)
    return -(2 / m) * jnp.where(off, pair - base, 0.0).sum(-1) / (m - 1)


L2O = E.Method("pass2_leave_two_out", pass2_leave_two_out, inputs="rewards")


def test_leave_two_out_is_unbiased_for_pass_at_2_and_its_baseline_changes_nothing():
    K.check_unbiased(L2O, lambda p: 2 * (1 - p), g=5)  # f = 1 − (1−P)², f' = 2(1−P)
    K.check_same_expectation(L2O, "pass_at_k", g=5, reference_params={"k": 2})
    assert K.check_ceiling(L2O, 6) == pytest.approx(2.0, rel=1e-9)  # unbiased: f'_G(0) = f'(0) = 2


@settings(max_examples=30, deadline=None)
@given(K.hard_pools(6))
def test_leave_two_out_is_finite_on_every_hard_pool(r):
    K.check_finite(L2O, r)


# --- the checks on the lab's methods, and on planted errors -----------------------------------------------

def test_lab_methods_pass_the_kit():
    K.check_unbiased("rloo", lambda p: np.ones_like(p), g=4)
    K.check_unbiased("maxrl", lambda p: -np.expm1(3 * np.log1p(-p)) / p, g=5, T=3)
    K.check_same_expectation("garl_rloo", "garl", g=4, params={"q": 0.6}, reference_params={"q": 0.6})
    assert K.check_ceiling("garl", 8, cap=8**0.5, q=0.5) == pytest.approx(8**0.5)
    for pool in (np.full(4, -np.inf), np.full(4, -1e4), np.array([0.0, -np.inf, -800.0, -1e4])):
        K.check_finite("garl_rloo", pool, q=0.7)


@pytest.mark.slow
def test_enumeration_agrees_with_the_count_weight_reading():
    from tsallis_theory import atlas as A

    p = np.array([0.1, 0.6])
    for m, kw in (("grpo", {}), ("garl", {"q": 0.3}), ("dco", {"n": 2})):
        np.testing.assert_allclose(K.enumerated_amplification(m, p, 5, **kw), A.expected_amplification(m, p, 5, **kw),
                                   rtol=1e-10)


@pytest.mark.slow
def test_the_checks_fail_on_planted_errors():
    with pytest.raises(AssertionError, match="not unbiased"):
        K.check_unbiased("garl", lambda p: p ** -0.5, g=4, q=0.5)  # GARL is biased at finite G (claim BIAS)
    with pytest.raises(AssertionError, match="changes the expectation"):
        K.check_same_expectation("grpo", "rloo", g=4)
    with pytest.raises(AssertionError, match="does not reduce"):
        K.check_endpoints("garl", np.log([0.5, 0.25, 1.0]), at_q1="rlvr")
    with pytest.raises(AssertionError, match="ceiling 2"):
        K.check_ceiling("garl", 4, cap=3.0, q=0.5)
    with pytest.raises(AssertionError, match="non-finite"):
        K.check_finite(lambda lw: jnp.exp(-lw) * 0.0, np.full(3, -np.inf))


@settings(max_examples=10, deadline=None)
@given(K.underflowing_pools(4), K.q_unit)
def test_underflowing_pools_are_finite_for_garl(lw, q):
    K.check_finite("garl_rloo", lw, q=q)
    K.check_finite("garl", lw, q=q)


def test_without_hypothesis_the_kit_names_the_extra_and_the_package_still_imports():
    code = textwrap.dedent("""
        import sys
        sys.modules["hypothesis"] = None          # as if it were not installed
        import tsallis_theory, tsallis_theory.estimators
        try:
            import tsallis_theory.testing
        except ImportError as e:
            print(e)
    """)
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "tsallis_theory.testing needs Hypothesis: pip install tsallis-theory[test]"
