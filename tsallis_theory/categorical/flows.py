"""Tabular categorical models over N labels and their gradient flows on Σ_j α_j ℓ_q(θ_j)  (ESCORT, SHARPEN).

One input, label frequencies α (α_j ≥ 0, Σ α = 1), loss L(θ) = Σ_j α_j (−log_q θ_j), ∂L/∂θ_j = −α_j θ_j^{−q}.
Two parameterisations of θ ∈ Δ_N:

* ``direct``: θ itself, under the projected (Euclidean) gradient flow on the simplex
      dθ_j/dt = g_j − mean_k g_k,   g_j = α_j θ_j^{−q}.
  For q > 0 the barrier θ_j^{−q} keeps θ inside the simplex; at q = 0 the flow is linear and leaves it, so
  the direct model is used for q ∈ (0, 1] only. We integrate in w = ln θ (dw_j/dt = (g_j − ḡ)/θ_j) so that
  tiny entries keep their relative accuracy (docs/spec.md §10: raw-probability solves with default tolerances fail).
* ``softmax``: θ = softmax(z), gradient flow on the logits
      dz_k/dt = α_k θ_k^{1−q} − θ_k Σ_j α_j θ_j^{1−q},
  computed from log θ = z − logsumexp(z), valid for every q ∈ [0, 1].

Both stationary conditions are the Lagrange condition α_j θ_j^{−q} = μ of Thm 3.1, i.e. the escort. The
solvers here are specific to these small models: scipy's Radau (stiff near tiny θ_j) at rtol 1e-10.
"""

from __future__ import annotations

import dataclasses

import numpy as np
from scipy.integrate import solve_ivp

PARAMETERISATIONS = ("direct", "softmax")
RTOL, ATOL = 1e-10, 1e-12


def check_parameterisation(name: str) -> str:
    if name not in PARAMETERISATIONS:
        raise ValueError(f"parameterisation must be one of {PARAMETERISATIONS}; got {name!r}")
    return name


def log_softmax(z):
    """ln softmax(z) along the last axis, shape of ``z``.

    Plain NumPy (max-shifted log-sum-exp): this sits inside every ODE right-hand side, where
    scipy.special.logsumexp's per-call overhead was most of the solve time."""
    z = np.asarray(z, dtype=np.float64)
    shifted = z - z.max(axis=-1, keepdims=True)
    return shifted - np.log(np.exp(shifted).sum(axis=-1, keepdims=True))


def softmax_rhs(z, alpha, q):
    """dz/dt of the softmax flow; z, alpha shape (..., N), q broadcastable against z[..., 0]."""
    log_theta = log_softmax(z)
    q = np.asarray(q, dtype=np.float64)[..., None]
    a = alpha * np.exp((1.0 - q) * log_theta)  # α_k θ_k^{1−q}; 0 where α_k = 0
    return a - np.exp(log_theta) * a.sum(axis=-1, keepdims=True)


def direct_rhs_log(w, alpha, q):
    """dw/dt for w = ln θ under the projected simplex flow; shapes as ``softmax_rhs`` (q > 0)."""
    q = np.asarray(q, dtype=np.float64)[..., None]
    g = alpha * np.exp(-q * w)
    return (g - g.mean(axis=-1, keepdims=True)) * np.exp(-w)


@dataclasses.dataclass(frozen=True)
class FlowResult:
    """Where a categorical gradient flow ended.

    Attributes:
      theta: θ at the end, shape (N,).
      t_end: the flow time reached.
      speed: ‖d ln θ/dt‖_∞ at the end (the convergence criterion: relative, so tiny entries count).
      converged: whether ``speed`` fell below the tolerance before ``t_max``.
    """

    theta: np.ndarray
    t_end: float
    speed: float
    converged: bool


def _log_theta_and_speed(parameterisation, y, alpha, q):
    """ln θ and the relative speed ‖d ln θ/dt‖_∞ (small entries must have stopped moving too)."""
    if parameterisation == "softmax":
        log_theta = log_softmax(y)
        dz = softmax_rhs(y, alpha, q)
        dlog = dz - (np.exp(log_theta) * dz).sum()
    else:
        log_theta = y
        dlog = direct_rhs_log(y, alpha, q)
    return log_theta, float(np.max(np.abs(dlog)))


def flow_to_stationarity(alpha, q, parameterisation: str = "softmax", theta0=None, tol: float = 1e-10,
                         t_max: float = 1e9) -> FlowResult:
    """Run the gradient flow of Σ α_j(−log_q θ_j) until ‖d ln θ/dt‖_∞ < ``tol`` or time ``t_max``.

    Args:
      alpha: label frequencies, shape (N,), entries ≥ 0 summing to 1 (zeros allowed here).
      q: commitment; in (0, 1] for ``direct``, [0, 1] for ``softmax``.
      parameterisation: ``"direct"`` or ``"softmax"``.
      theta0: starting point in the open simplex, shape (N,); uniform by default.
      tol: the stationarity tolerance on ‖d ln θ/dt‖_∞.
      t_max: the longest flow time.
    """
    check_parameterisation(parameterisation)
    alpha = np.asarray(alpha, dtype=np.float64)
    n = alpha.shape[-1]
    theta0 = np.full(n, 1.0 / n) if theta0 is None else np.asarray(theta0, dtype=np.float64)
    if parameterisation == "direct" and not q > 0:
        raise ValueError("q must be in (0, 1] for the direct parameterisation (at q = 0 the flow leaves the simplex)")
    rhs = softmax_rhs if parameterisation == "softmax" else direct_rhs_log
    y0 = np.log(theta0)

    def event(t, y):
        return _log_theta_and_speed(parameterisation, y, alpha, q)[1] - tol

    event.terminal = True
    event.direction = -1
    sol = solve_ivp(lambda t, y: rhs(y, alpha, q), (0.0, t_max), y0, method="Radau", rtol=RTOL, atol=ATOL,
                    events=event)
    y_end = sol.y[:, -1]
    log_theta, speed = _log_theta_and_speed(parameterisation, y_end, alpha, q)
    return FlowResult(np.exp(log_theta), float(sol.t[-1]), speed, speed < tol * 1.0001 or sol.status == 1)
