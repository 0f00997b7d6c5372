"""High-precision reference values of the sigmoid escape time (claim SIGMOID), independent of the solvers.

For P = σ(θ), T_q(p0, δ) = ∫_{p0}^{δ} u^{q−2}(1 − u)^{−2} du (SPEC App C.1). Two mpmath evaluations:

* ``sigmoid_time_exact``: an antiderivative. For 0 < q < 1, with a = q − 1,
  ∫ u^{a−1}(1 − u)^{−2} du = u^a/a · ₂F₁(a, 2; a + 1; u) (the incomplete beta function with b = −1);
  at q = 0, −1/u + 2 ln u − 2 ln(1 − u) + 1/(1 − u); at q = 1, ln u − ln(1 − u) + 1/(1 − u)
  (partial fractions).
* ``sigmoid_time_mpquad``: tanh-sinh quadrature in v = ln u of e^{(q−1)v}/(1 − e^v)².

Both run at ``dps`` decimal digits (default 30) and return a Python float.
"""

from __future__ import annotations

import math

import mpmath


def _antiderivative(q, u):
    if q == 0:
        return -1 / u + 2 * mpmath.log(u) - 2 * mpmath.log1p(-u) + 1 / (1 - u)
    if q == 1:
        return mpmath.log(u) - mpmath.log1p(-u) + 1 / (1 - u)
    a = q - 1
    return u ** a / a * mpmath.hyp2f1(a, 2, a + 1, u)


def sigmoid_time_exact(q: float, p0: float, target: float = 0.5, dps: int = 30) -> float:
    """T_q(p0, δ) for the sigmoid from the closed-form antiderivative (hyp2f1, elementary at q = 0, 1).

    Near q = 0 (₂F₁'s c = q → 0) and q = 1 (1/a with a = q − 1 → 0) the two antiderivative values share a
    pole of size 1/min(q, 1 − q) that cancels in the difference, so the working precision grows by
    log10(1/min(q, 1 − q)) digits."""
    if 0 < q < 1:
        dps += int(math.ceil(-math.log10(min(q, 1 - q))))
    with mpmath.workdps(dps):
        q_m, p_m, t_m = mpmath.mpf(q), mpmath.mpf(p0), mpmath.mpf(target)
        return float(_antiderivative(q_m, t_m) - _antiderivative(q_m, p_m))


def sigmoid_time_mpquad(q: float, p0: float, target: float = 0.5, dps: int = 30) -> float:
    """T_q(p0, δ) for the sigmoid by mpmath quadrature in v = ln u (split at integer v for accuracy)."""
    with mpmath.workdps(dps):
        q_m = mpmath.mpf(q)
        lo, hi = mpmath.log(mpmath.mpf(p0)), mpmath.log(mpmath.mpf(target))
        pts = [lo] + [mpmath.mpf(k) for k in range(int(mpmath.ceil(lo)), int(mpmath.floor(hi)) + 1) if lo < k < hi]
        pts.append(hi)
        return float(mpmath.quad(lambda v: mpmath.exp((q_m - 1) * v) / (1 - mpmath.exp(v)) ** 2, pts))
