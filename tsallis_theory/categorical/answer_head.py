"""The exact population flow of an answer head under label noise: the yardstick of LM-NOISE.

The answer head of the small LM is a softmax over answer tokens. Lumping every token other than the clean
label c and the noisy label k into one category r gives three logits z = (z_c, z_k, z_r); the J_Q
gradient flow of the expected loss Σ_y α_y ℓ_q(θ_y) in the logits is (``flows.softmax_rhs``)

    dz_j/dt = α_j θ_j^{1−q} − θ_j Σ_y α_y θ_y^{1−q}.

Two label-noise designs (docs/lm.md, LM-NOISE):

* ``fresh``: every draw of an input is flipped afresh with probability ε, so one flow with α = (1 − ε, ε, 0);
  its equilibrium is the escort ε^{1/q}/(ε^{1/q} + (1 − ε)^{1/q}) (NOISE-EQ), reached only as t → ∞.
* ``fixed``: a fixed subset (fraction ε) of the inputs always carries the noisy label. An input of the clean
  subset follows α = (1, 0, 0), one of the flipped subset α = (0, 1, 0) (it must be memorised); the
  training-set contamination mixes the two with weights 1 − ε and ε. Its equilibrium is ε for every q > 0
  (each flipped input is eventually memorised); q sets how long that takes (the escape time of a cold start).

Contamination is κ = c/(P + c) with P the mean probability of the clean label and c of the noisy one, both
over the training distribution. Lumping r is exact for the two labels' dynamics only to the extent that the
other tokens share one logit; the LM's remaining mass sits mostly on one token (the same value in the other
alphabet), which this models. Time t is the flow's own clock; mapping it to optimiser steps needs one
constant (``calibrated_clock``).
"""

from __future__ import annotations

import numpy as np
from scipy.integrate import solve_ivp

from tsallis_theory.categorical.flows import softmax_rhs

NOISE_DESIGNS = ("fresh", "fixed")


def _check_start(p_clean, p_noisy) -> tuple[float, float]:
    pc, pk = float(p_clean), float(p_noisy)
    if not (0 < pc < 1 and 0 < pk < 1 and pc + pk < 1):
        raise ValueError(f"p_clean and p_noisy must be in (0, 1) with p_clean + p_noisy < 1; got {pc:g}, {pk:g}")
    return pc, pk


def _flow(theta0, alpha, q, times) -> np.ndarray:
    """Probabilities (len(times), 3) of the softmax flow from ``theta0`` toward the target ``alpha``."""
    z0 = np.log(np.asarray(theta0, float))
    t = np.asarray(times, float)
    if not t.max() > 0:
        return np.tile(np.asarray(theta0, float), (len(t), 1))
    sol = solve_ivp(lambda _, z: softmax_rhs(z, alpha, q), (0.0, float(t.max())), z0, t_eval=t,
                    method="LSODA", rtol=1e-9, atol=1e-11)
    if not sol.success:
        raise RuntimeError(f"answer-head flow failed at q = {q}: {sol.message}")
    z = sol.y.T
    z = z - z.max(axis=1, keepdims=True)
    e = np.exp(z)
    return e / e.sum(axis=1, keepdims=True)


def noise_flow(p_clean, p_noisy, eps, q, times, design: str = "fixed") -> dict[str, np.ndarray]:
    """The population flow of the answer head from (p_clean, p_noisy) at ``times`` (flow clock; ascending,
    >= 0) under label noise ε with design ``fresh`` or ``fixed`` (module docstring).

    Returns {"P": mean clean-label probability, "c": mean noisy-label probability, "kappa": c / (P + c)},
    each of shape (len(times),), averaged over the training distribution."""
    pc, pk = _check_start(p_clean, p_noisy)
    if not 0.0 < float(eps) < 0.5:
        raise ValueError(f"eps must be in (0, 0.5); got {eps}")
    if not 0.0 <= float(q) <= 1.0:
        raise ValueError(f"q must be in [0, 1]; got {q}")
    if design not in NOISE_DESIGNS:
        raise ValueError(f"design must be one of {NOISE_DESIGNS}; got {design!r}")
    theta0 = (pc, pk, 1.0 - pc - pk)
    times = np.asarray(times, float)
    if design == "fresh":
        th = _flow(theta0, np.array([1.0 - eps, eps, 0.0]), q, times)
    else:
        th = ((1.0 - eps) * _flow(theta0, np.array([1.0, 0.0, 0.0]), q, times)
              + eps * _flow(theta0, np.array([0.0, 1.0, 0.0]), q, times))
    P, c = th[:, 0], th[:, 1]
    return {"P": P, "c": c, "kappa": c / (P + c)}


def noise_asymptote(eps, q, design: str = "fixed") -> float:
    """κ as t → ∞: the escort ε^{1/q}/(ε^{1/q} + (1 − ε)^{1/q}) for ``fresh`` (0 at q = 0), ε for ``fixed``
    (every flipped input memorised; at q = 0 too, though only after a time that grows without bound as the
    start contamination falls)."""
    eps, q = float(eps), float(q)
    if design == "fixed":
        return eps
    if q == 0:
        return 0.0
    a, b = eps ** (1 / q), (1 - eps) ** (1 / q)
    return a / (a + b)


def time_to_clean_level(p_clean, p_noisy, eps, q, level: float = 0.5, design: str = "fixed",
                        t_max: float = 1e4) -> float | None:
    """The flow time at which the mean clean-label probability P first reaches ``level`` (None if not by
    ``t_max``); the escape time of the clean label, used to calibrate the clock."""
    times = np.concatenate([[0.0], np.geomspace(1e-4, t_max, 4000)])
    P = noise_flow(p_clean, p_noisy, eps, q, times, design)["P"]
    hit = np.nonzero(P >= level)[0]
    if not len(hit):
        return None
    i = int(hit[0])
    if i == 0:
        return 0.0
    # linear interpolation between the bracketing samples
    t0, t1, p0, p1 = times[i - 1], times[i], P[i - 1], P[i]
    return float(t0 + (level - p0) * (t1 - t0) / (p1 - p0))


def calibrated_clock(flow_time: float | None, steps: float | None) -> float | None:
    """Flow time per optimiser step: the flow's time to an event over the steps the run took to it (None if
    either is missing or not positive)."""
    if flow_time is None or steps is None or flow_time <= 0 or steps <= 0:
        return None
    return float(flow_time) / float(steps)
