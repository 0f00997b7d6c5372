"""Escort minimisers of the q-log loss on the simplex, and the stable contamination under label noise.

Claims ESCORT (v1 Thm 3.1), SHARPEN (Cor B.2) and NOISE-EQ (eq 17), docs/spec.md §2, §4:

    argmin_{θ ∈ Δ_N} Σ_j α_j (−log_q θ_j) = escort_{1/q}(α),   escort_{1/q}(α)_j = α_j^{1/q} / Σ_k α_k^{1/q}

for q ∈ (0, 1]. At q = 0 the objective 1 − Σ_j α_j θ_j is linear and every distribution on the modes of α is a
minimiser; ``escort`` returns the q → 0⁺ limit, the uniform distribution on the modes.

Label noise: one input whose clean label is annotated with probability 1 − ε and flipped with probability ε
has label frequencies α̃ = (1 − ε, ε); its stable contamination (mass on the flipped label) is

    p̃*(q) = ε^{1/q} / (ε^{1/q} + (1 − ε)^{1/q}) = σ(−log((1 − ε)/ε) / q)  ≈  (ε/(1 − ε))^{1/q},

so q = 1 fits the noise exactly (p̃* = ε) and q → 0⁺ does not (p̃* → 0). With N labels and symmetric noise
(the flip goes to each of the N − 1 other labels with probability ε/(N − 1)) the total contamination is
(N − 1)·r/(1 + (N − 1)·r) with r = (ε/((N − 1)(1 − ε)))^{1/q}.

Everything is computed in log space (θ = softmax(log α / q)), so q = 1e-3 and ratios far beyond float range
are exact to rounding.
"""

from __future__ import annotations

import numpy as np
from scipy.special import expit, logsumexp

from tsallis_theory import _validate as V

from tsallis_theory._validate import Q_RANGE  # noqa: E402  (re-exported)
ALPHA_SUM_TOL = 1e-8


def check_q(q, name: str = "q") -> np.ndarray:
    """q must lie in [0, 1] (the paper's range; −log_q is convex there and the escort is the minimiser)."""
    return V.check_range(name, q, *Q_RANGE)


def check_eps(eps, name: str = "eps") -> np.ndarray:
    """A flip rate must lie in (0, 1/2): at ε ≥ 1/2 the flipped label is the mode."""
    return V.check_range(name, eps, 0.0, 0.5, low_open=True, high_open=True)


def check_alpha(alpha, name: str = "alpha") -> np.ndarray:
    """Label frequencies: shape (..., N), N ≥ 1, entries > 0, each row summing to 1 within 1e-8."""
    arr = V.check_finite(name, alpha, allowed="finite positive label frequencies")
    if arr.ndim == 0 or arr.shape[-1] == 0:
        raise ValueError(f"{name} must be an array of label frequencies with shape (..., N), N >= 1; "
                         f"got shape {arr.shape}")
    if np.any(arr <= 0):
        raise ValueError(f"{name} must have entries > 0; got {float(arr[arr <= 0].ravel()[0]):g}")
    sums = arr.sum(axis=-1)
    bad = np.abs(sums - 1.0) > ALPHA_SUM_TOL
    if np.any(bad):
        raise ValueError(f"{name} must sum to 1 (within {ALPHA_SUM_TOL:g}) along the last axis; "
                         f"got sum {float(np.asarray(sums)[bad].ravel()[0]):.10g}")
    return arr


def escort_from_log(log_alpha, q) -> np.ndarray:
    """The escort of order 1/q from ln α (no validation): softmax(ln α / q); at q = 0 uniform on the modes.

    Args:
      log_alpha: ln α, shape (..., N).
      q: shape broadcastable against ``log_alpha[..., 0]``.
    """
    log_alpha = np.asarray(log_alpha, dtype=np.float64)
    q = np.asarray(q, dtype=np.float64)[..., None]
    is_mode = log_alpha >= log_alpha.max(axis=-1, keepdims=True)
    safe_q = np.where(q > 0, q, 1.0)
    scaled = log_alpha / safe_q
    tempered = np.exp(scaled - logsumexp(scaled, axis=-1, keepdims=True))
    modes = is_mode / is_mode.sum(axis=-1, keepdims=True)
    return np.where(q > 0, tempered, modes)


def escort(alpha, q) -> np.ndarray:
    """Minimiser of Σ_j α_j (−log_q θ_j) over the simplex: θ*_j = α_j^{1/q} / Σ_k α_k^{1/q}  (ESCORT, Thm 3.1).

    q = 1 returns α (SHARPEN: exact recovery); smaller q sharpens, ratios θ*_j/θ*_k = (α_j/α_k)^{1/q}; q = 0
    returns the q → 0⁺ limit (uniform on the modes of α), one of the minimisers of the linear objective.

    Args:
      alpha: label frequencies, shape (..., N): entries > 0, each row summing to 1 (within 1e-8).
      q: commitment in [0, 1], a scalar or an array broadcastable against ``alpha[..., 0]``.
    Returns:
      θ*, shape broadcast(alpha[..., 0], q) + (N,).

    Example:
      >>> escort([0.75, 0.25], 0.5)      # ∝ (0.75², 0.25²)
      array([0.9, 0.1])
    """
    alpha = check_alpha(alpha)
    q = check_q(q)
    V.check_broadcast(alpha_rows=alpha[..., 0], q=q)
    return escort_from_log(np.log(alpha), q)


def noise_equilibrium(eps, q, n_labels: int = 2) -> np.ndarray:
    """Stable contamination of one input with flip rate ε under J_Q  (NOISE-EQ, eq 17).

    Two labels: p̃* = ε^{1/q} / (ε^{1/q} + (1 − ε)^{1/q}); q = 0 gives the limit 0. With ``n_labels`` = N > 2 and
    symmetric noise, the total mass on the N − 1 wrong labels at the escort of α̃ = (1 − ε, ε/(N−1), …).

    Args:
      eps: flip rate in (0, 1/2), any shape.
      q: commitment in [0, 1], broadcastable against ``eps``.
      n_labels: number of labels N ≥ 2.
    Returns:
      p̃*, shape broadcast(eps, q).

    Example:
      >>> round(float(noise_equilibrium(0.1, 1.0)), 12)   # q = 1 fits the noise exactly
      0.1
    """
    eps = check_eps(eps)
    q = check_q(q)
    V.check_broadcast(eps=eps, q=q)
    if int(n_labels) != n_labels or n_labels < 2:
        raise ValueError(f"n_labels must be an integer >= 2; got {n_labels!r}")
    m = n_labels - 1
    # log of (N−1)·r = log(N−1) + log(ε/((N−1)(1−ε)))/q; contamination = σ(log((N−1) r)).
    log_ratio = np.log(eps / (m * (1.0 - eps)))
    safe_q = np.where(q > 0, q, 1.0)
    out = expit(np.log(m) + log_ratio / safe_q)
    return np.where(q > 0, out, 0.0)
