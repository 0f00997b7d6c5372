"""Ledger checks of the symbolic proofs: each runs ``prove_<claim>()`` and ``spot_<claim>(n)`` of
``tsallis_theory.symbolic`` and turns them into a verdict (``verdict``).

Decision rule: the sympy derivation must reduce every stated identity to exactly 0 and every stated fact to
True (else REFUTED, naming the failing step), and each numeric spot check of the lab's JAX code against the
symbolic result at random points must stay within its stated tolerance (else REFUTED); VERIFIED otherwise.
"""

from __future__ import annotations

import dataclasses
from typing import Any, Callable

from tsallis_theory.ledger import claims as L
from tsallis_theory.symbolic.gradient import prove_dir, prove_rlvr, spot_dir, spot_rlvr
from tsallis_theory.symbolic.landscape import prove_disp, prove_escort, prove_proper, prove_sharpen, spot_disp, spot_escort, spot_proper, spot_sharpen
from tsallis_theory.symbolic.dynamics import prove_flow, prove_sigmoid, spot_flow, spot_sigmoid
from tsallis_theory.symbolic.estimators import prove_endpoints, prove_paft_bias, prove_rloo_bias, spot_endpoints, spot_paft_bias, spot_rloo_bias
from tsallis_theory.symbolic._proof import Proof, ProofFailed, SpotCheck


def verdict(prove: Callable[[], Proof], spot: Callable[[int], list[SpotCheck]], ctx: L.CheckContext) -> L.Verdict:
    """Run a proof and its spot checks and state the verdict with the numbers.

    ``spot`` receives the number of random points per comparison: few in the fast tier, more in ``full``.
    """
    try:
        proof = prove()
    except ProofFailed as exc:
        return L.Verdict(L.REFUTED, f"symbolic step failed: {exc}",
                         {"failed_step": exc.step, "residual": exc.residual})
    n = 4 if ctx.tier == "fast" else 32
    checks = spot(n)
    numbers: dict[str, Any] = {
        "residuals": dict(proof.steps),
        "sizes": dict(proof.sizes),
        "spot_checks": [dataclasses.asdict(c) for c in checks],
        "spot_max_error": max(c.max_error for c in checks),
    }
    failed = [c for c in checks if not c.passed]
    n_id = sum(v != "True" for v in proof.steps.values())
    n_fact = len(proof.steps) - n_id
    sizes = ", ".join(f"{k}={v}" for k, v in proof.sizes.items())
    exact = f"{n_id} identities reduce to exactly 0 and {n_fact} facts hold" + (f" ({sizes})" if sizes else "")
    spots = "; ".join(f"{c.what}: max err {c.max_error:.1e} (tol {c.tolerance:.2g}, {c.points} pts)" for c in checks)
    if failed:
        return L.Verdict(L.REFUTED, f"{exact}, but the spot check disagrees: {spots}", numbers)
    return L.Verdict(L.VERIFIED, f"{exact}; {spots}", numbers)


def verify_dir(ctx: L.CheckContext) -> L.Verdict:
    """Ledger check for DIR."""
    return verdict(prove_dir, spot_dir, ctx)


def verify_rlvr(ctx: L.CheckContext) -> L.Verdict:
    """Ledger check for RLVR."""
    return verdict(prove_rlvr, spot_rlvr, ctx)


def verify_disp(ctx: L.CheckContext) -> L.Verdict:
    """Ledger check for DISP."""
    return verdict(prove_disp, spot_disp, ctx)


def verify_escort(ctx: L.CheckContext) -> L.Verdict:
    """Ledger check for ESCORT."""
    return verdict(prove_escort, spot_escort, ctx)


def verify_sharpen(ctx: L.CheckContext) -> L.Verdict:
    """Ledger check for SHARPEN."""
    return verdict(prove_sharpen, spot_sharpen, ctx)


def verify_proper(ctx: L.CheckContext) -> L.Verdict:
    """Ledger check for PROPER."""
    return verdict(prove_proper, spot_proper, ctx)


def verify_flow(ctx: L.CheckContext) -> L.Verdict:
    """Ledger check for FLOW."""
    return verdict(prove_flow, spot_flow, ctx)


def verify_sigmoid(ctx: L.CheckContext) -> L.Verdict:
    """Ledger check for SIGMOID."""
    return verdict(prove_sigmoid, spot_sigmoid, ctx)


def verify_endpoints(ctx: L.CheckContext) -> L.Verdict:
    """Ledger check for ENDPOINTS."""
    return verdict(prove_endpoints, spot_endpoints, ctx)


def verify_paft_bias(ctx: L.CheckContext) -> L.Verdict:
    """Ledger check for PAFT-BIAS."""
    return verdict(prove_paft_bias, spot_paft_bias, ctx)


def verify_rloo_bias(ctx: L.CheckContext) -> L.Verdict:
    """Ledger check for RLOO-BIAS."""
    return verdict(prove_rloo_bias, spot_rloo_bias, ctx)
