"""Symbolic proofs in sympy, one function per claim, each closed by exact assertions and a numeric spot check
against the lab's JAX code.

Each claim has ``prove_<claim>()`` (returns a :class:`Proof` whose every step reduced to exactly 0, or raises
:class:`ProofFailed` naming the step and its residual), ``spot_<claim>(n)`` (numeric comparisons at ``n``
random points, as :class:`SpotCheck` records); the ledger's checks (``tsallis_theory.ledger.checks.symbolic``) turn them into verdicts.

  gradient    DIR, RLVR
  landscape   DISP, ESCORT, SHARPEN, PROPER
  dynamics    FLOW, SIGMOID, and the oracle ``sigmoid_escape_time_closed_form(q, p0, delta)``
  estimators  ENDPOINTS, PAFT-BIAS, RLOO-BIAS

The derivations are written out in docs/derivations/.
"""

from tsallis_theory.symbolic._proof import Proof, ProofFailed, SpotCheck, reduce_exact
from tsallis_theory.symbolic.dynamics import (
    prove_flow,
    prove_sigmoid,
    sigmoid_escape_time_closed_form,
    sigmoid_escape_time_quad,
)
from tsallis_theory.symbolic.estimators import (
    prove_endpoints,
    prove_paft_bias,
    prove_rloo_bias,
)
from tsallis_theory.symbolic.gradient import prove_dir, prove_rlvr
from tsallis_theory.symbolic.landscape import (
    numeric_minimiser,
    prove_disp,
    prove_escort,
    prove_proper,
    prove_sharpen,
)

__all__ = [
    "Proof",
    "ProofFailed",
    "SpotCheck",
    "numeric_minimiser",
    "prove_dir",
    "prove_disp",
    "prove_endpoints",
    "prove_escort",
    "prove_flow",
    "prove_paft_bias",
    "prove_proper",
    "prove_rloo_bias",
    "prove_rlvr",
    "prove_sharpen",
    "prove_sigmoid",
    "reduce_exact",
    "sigmoid_escape_time_closed_form",
    "sigmoid_escape_time_quad",
]
