"""The categorical toy lab: escort minimisers, label-noise memorisation and q-schedules.

Claims ESCORT, SHARPEN, PROPER, DISP (numeric side), NOISE-EQ, NOISE-TIME and SCHEDULE (docs/spec.md §2, §4, §5); see
docs/categorical.md.

  escort(alpha, q)               minimiser of Σ α_j(−log_q θ_j) on the simplex: θ*_j ∝ α_j^{1/q}
  noise_equilibrium(eps, q)      stable contamination of the two-label model with flip rate ε
  models                         direct-simplex and softmax parameterisations and their gradient flows
  noise                          two-label contamination dynamics, equilibria and memorisation times
  schedules                      q-schedules on a cold-start + label-noise scenario
  checks                         the ledger checks
"""

from tsallis_theory.categorical.escort import escort, noise_equilibrium

__all__ = ["escort", "noise_equilibrium"]
