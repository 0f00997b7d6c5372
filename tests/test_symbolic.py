"""The symbolic proofs: every proof closes with exactly-0 residuals, every spot check is within tolerance, a
wrong statement (flipped sign, wrong exponent, wrong coefficient, wrong resampler or baseline) fails the
proof, and the sigmoid escape-time oracle agrees with independent formulas."""

import math

import mpmath as mp
import numpy as np
import pytest
import sympy as sp

from tsallis_theory.ledger import claims as L
from tsallis_theory import symbolic as S
from tsallis_theory.ledger.checks import symbolic as symbolic_checks
from tsallis_theory.symbolic import _proof, dynamics, estimators, gradient, landscape

q = sp.Symbol("q", real=True)

PROOFS = {
    "DIR": (gradient.prove_dir, gradient.spot_dir),
    "RLVR": (gradient.prove_rlvr, gradient.spot_rlvr),
    "DISP": (landscape.prove_disp, landscape.spot_disp),
    "ESCORT": (landscape.prove_escort, landscape.spot_escort),
    "SHARPEN": (landscape.prove_sharpen, landscape.spot_sharpen),
    "PROPER": (landscape.prove_proper, landscape.spot_proper),
    "FLOW": (dynamics.prove_flow, dynamics.spot_flow),
    "SIGMOID": (dynamics.prove_sigmoid, dynamics.spot_sigmoid),
    "ENDPOINTS": (estimators.prove_endpoints, estimators.spot_endpoints),
    "PAFT-BIAS": (estimators.prove_paft_bias, estimators.spot_paft_bias),
    "RLOO-BIAS": (estimators.prove_rloo_bias, estimators.spot_rloo_bias),
}


@pytest.mark.parametrize("claim_id", list(PROOFS))
def test_proof_closes_with_exact_zero_residuals(claim_id):
    proof = PROOFS[claim_id][0]()
    assert proof.claim == claim_id
    assert len(proof.steps) >= 2
    for step, residual in proof.steps.items():
        assert residual == "True" or residual.startswith("0"), (step, residual)


@pytest.mark.parametrize("claim_id", list(PROOFS))
def test_spot_check_is_within_tolerance(claim_id):
    checks = PROOFS[claim_id][1](2)
    assert checks
    for c in checks:
        assert c.points > 0 and c.tolerance >= 0
        assert c.passed, c


@pytest.mark.parametrize("claim_id", list(PROOFS))
def test_ledger_points_at_this_proof(claim_id):
    claim = L.CLAIMS_BY_ID[claim_id]
    symbolic = [(p, f) for p, (_, f) in zip(claim.check_paths, claim.load_checks()) if p.endswith(("symbolic:" + p.partition(":")[2]))]
    assert len(symbolic) == 1
    path, check = symbolic[0]
    assert check is getattr(symbolic_checks, path.partition(":")[2])


# -- a wrong statement fails the proof ----------------------------------------------------------------------------


def test_dir_with_flipped_sign_fails():
    with pytest.raises(S.ProofFailed, match="∇ℓ_0 = s·∇P") as err:
        gradient.prove_dir(sign=+1)
    assert err.value.residual != "0"


def test_rlvr_with_wrong_verifier_fails():
    with pytest.raises(S.ProofFailed, match="E\\[1\\[y = y\\*\\]\\] = P"):
        gradient.prove_rlvr(reward_index=1)


def test_disp_with_wrong_second_order_coefficient_fails():
    with pytest.raises(S.ProofFailed, match="second-order"):
        landscape.prove_disp(coefficient=sp.Integer(1))


def test_escort_with_exponent_q_instead_of_one_over_q_fails():
    with pytest.raises(S.ProofFailed, match="Lagrange"):
        landscape.prove_escort(exponent=q)


def test_flow_with_wrong_exponent_fails():
    with pytest.raises(S.ProofFailed, match="abstract"):
        dynamics.prove_flow(exponent=1 - q)


def test_sigmoid_with_wrong_exponent_fails():
    with pytest.raises(S.ProofFailed, match="σ\\(θ\\)"):
        dynamics.prove_sigmoid(exponent=2 + q)


def test_paft_bias_with_uniform_resampling_fails():
    with pytest.raises(S.ProofFailed, match="K = 1"):
        estimators.prove_paft_bias(resample="uniform")


def test_rloo_bias_with_a_baseline_that_sees_z_m_fails():
    with pytest.raises(S.ProofFailed, match="M = 2"):
        estimators.prove_rloo_bias(baseline="pool-mean")


def test_failed_proof_becomes_refuted_verdict_with_the_residual():
    v = symbolic_checks.verdict(lambda: gradient.prove_dir(sign=+1), gradient.spot_dir, L.CheckContext())
    assert v.status == L.REFUTED
    assert v.numbers["failed_step"].startswith("abstract: ∇ℓ_0") and v.numbers["residual"] != "0"


def test_spot_check_beyond_tolerance_becomes_refuted_verdict():
    bad = lambda n: [S.SpotCheck("a formula vs the code", 1e-3, 1e-12, n)]  # noqa: E731
    v = symbolic_checks.verdict(landscape.prove_proper, bad, L.CheckContext())
    assert v.status == L.REFUTED and "disagrees" in v.evidence


def test_undecided_fact_does_not_pass():
    x = sp.Symbol("x", real=True)
    proof = S.Proof("X")
    with pytest.raises(S.ProofFailed, match="None"):
        proof.fact("x > 0", x.is_positive)
    with pytest.raises(S.ProofFailed, match="x - 1"):
        proof.identity("x = 1", x - 1)


# -- the sigmoid escape-time oracle ------------------------------------------------------------------------------


def _t0_elementary(p0, delta):
    f = lambda u: -1 / u + 1 / (1 - u) + 2 * mp.log(u / (1 - u))  # noqa: E731
    with mp.workdps(40):
        return float(f(mp.mpf(delta)) - f(mp.mpf(p0)))


def _t1_elementary(p0, delta):
    f = lambda u: mp.log(u / (1 - u)) + 1 / (1 - u)  # noqa: E731
    with mp.workdps(40):
        return float(f(mp.mpf(delta)) - f(mp.mpf(p0)))


@pytest.mark.parametrize("p0", [0.4, 1e-3, 1e-12, 1e-300])
def test_closed_form_matches_elementary_forms_at_q0_and_q1(p0):
    assert S.sigmoid_escape_time_closed_form(0.0, p0) == pytest.approx(_t0_elementary(p0, 0.5), rel=1e-14)
    assert S.sigmoid_escape_time_closed_form(1.0, p0) == pytest.approx(_t1_elementary(p0, 0.5), rel=1e-14)


@pytest.mark.parametrize("order", [1e-9, 0.1, 0.37, 0.5, 0.75, 0.99, 1 - 1e-9])
@pytest.mark.parametrize("p0,delta", [(1e-6, 0.5), (1e-14, 0.5), (0.01, 0.3), (0.2, 0.9)])
def test_closed_form_matches_quadrature_in_log_u(order, p0, delta):
    closed = S.sigmoid_escape_time_closed_form(order, p0, delta)
    assert closed == pytest.approx(S.sigmoid_escape_time_quad(order, p0, delta), rel=1e-12)


def test_closed_form_is_continuous_at_the_endpoints():
    p0 = 1e-6
    # |dT/dq| ≈ T·log(1/p0): a 1e-9 step in q moves T by about 1.4e-8 relative.
    assert S.sigmoid_escape_time_closed_form(1e-9, p0) == pytest.approx(S.sigmoid_escape_time_closed_form(0.0, p0), rel=5e-8)
    assert S.sigmoid_escape_time_closed_form(1 - 1e-9, p0) == pytest.approx(
        S.sigmoid_escape_time_closed_form(1.0, p0), rel=5e-8)


def test_closed_form_leading_asymptotics():
    assert 1e-300 * S.sigmoid_escape_time_closed_form(0.0, 1e-300) == pytest.approx(1.0, rel=1e-12)
    order = 0.37
    lead = (1 - order) * 1e-200 ** (1 - order) * S.sigmoid_escape_time_closed_form(order, 1e-200)
    assert lead == pytest.approx(1.0, rel=1e-12)
    # q = 1 converges only logarithmically: T_1 − log(1/p0) → log(δ/(1−δ)) + 1/(1−δ) − 1 = 1 at δ = 1/2.
    assert S.sigmoid_escape_time_closed_form(1.0, 1e-200) - math.log(1e200) == pytest.approx(1.0, abs=1e-12)


def test_closed_form_is_monotone_in_q_and_p0():
    ts = [S.sigmoid_escape_time_closed_form(o, 1e-4) for o in np.linspace(0, 1, 11)]
    assert all(a > b for a, b in zip(ts, ts[1:]))  # larger q escapes faster
    assert S.sigmoid_escape_time_closed_form(0.5, 1e-5) > S.sigmoid_escape_time_closed_form(0.5, 1e-4)
    assert S.sigmoid_escape_time_closed_form(0.5, 0.5) == 0.0


@pytest.mark.parametrize("kwargs,match", [
    (dict(q=-0.1, p0=0.1), "q must be in \\[0, 1\\]"),
    (dict(q=float("nan"), p0=0.1), "q must be a real number"),
    (dict(q=0.5, p0=0.0), "p0 must be in \\(0, delta\\]"),
    (dict(q=0.5, p0=0.6), "p0 must be in \\(0, delta\\]"),
    (dict(q=0.5, p0=0.1, delta=1.0), "delta must be in \\(0, 1\\)"),
    (dict(q="a", p0=0.1), "q must be a real number"),
])
def test_closed_form_rejects_bad_input(kwargs, match):
    with pytest.raises(ValueError, match=match):
        S.sigmoid_escape_time_closed_form(**kwargs)


def test_numeric_minimiser_finds_the_escort():
    alpha = np.array([0.5, 0.3, 0.2])
    expected = alpha**2 / np.sum(alpha**2)  # q = 1/2
    np.testing.assert_allclose(S.numeric_minimiser(alpha, 0.5), expected, atol=1e-7)
