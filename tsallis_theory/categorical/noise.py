"""Label noise in the two-label model: contamination dynamics, equilibria and memorisation times
(NOISE-EQ, NOISE-TIME; docs/spec.md §4).

One input, clean label c annotated with probability 1 − ε, flipped label k with probability ε. The model puts
p on c and p̃ = 1 − p on k; loss J = (1 − ε) ℓ_q(p) + ε ℓ_q(p̃). Under gradient flow (v1 eq 16)

    dp̃/dt = F(p̃) · p² ‖s‖²,    F(p̃) = ε p̃^{−q} − (1 − ε) p^{−q},

where s is the score of p. Two parameterisations:

* ``direct`` (θ = p): ‖s‖² = 1/p², so dp̃/dt = F(p̃). The score is bounded below near the clean vertex, the
  assumption of Prop C.2, and from p̃ = 0⁺ the time to reach η ≪ p̃* is η^{q+1}/((q+1)ε)·(1 + o(1)).
* ``sigmoid`` (p = σ(θ), the two-label softmax): ‖s‖² = p̃², so dp̃/dt = F(p̃)·p² p̃². The score vanishes at the
  clean vertex; the time is set by the initial contamination p̃0 instead:
  (p̃0^{−(1−q)} − η^{−(1−q)})/((1 − q)ε) for q < 1 and ln(η/p̃0)/ε at q = 1, to leading order. From p̃0 = 0⁺
  it is infinite.

At q = 0, F = −(1 − 2ε) < 0: contamination only falls and no η above p̃0 is ever reached.

Numerics: everything is written in the log-odds y = ln(p̃/p), dy/dt = F·p²‖s‖²/(p p̃), with ln p̃ and ln p
from log-sigmoids, so p̃ = 1e-200 keeps full relative accuracy. Times come two ways, used as cross-checks:
quadrature T = ∫ dy/(dy/dt) split into unit pieces of y (``time_to_contamination``), and an ODE in y with a
terminal event (``simulate_contamination``).
"""

from __future__ import annotations

import numpy as np
from scipy.integrate import quad, solve_ivp
from scipy.special import expit, log_expit, logit

from tsallis_theory.categorical.escort import check_eps, check_q, noise_equilibrium

NOISE_PARAMETERISATIONS = ("direct", "sigmoid")
RTOL, ATOL = 1e-10, 1e-12
_Y_FLOOR = -690.0  # p̃ = e^{-690} ≈ 1e-300: the contamination has reached 0 for every purpose


def check_noise_parameterisation(name: str) -> str:
    if name not in NOISE_PARAMETERISATIONS:
        raise ValueError(f"parameterisation must be one of {NOISE_PARAMETERISATIONS}; got {name!r}")
    return name


def _check_contamination(name, value):
    v = float(value)
    if not 0.0 < v < 0.5:
        raise ValueError(f"{name} must be in (0, 0.5) (a contamination below the clean/noisy tie); got {v:g}")
    return v


def log_odds_rhs(y, eps, q, parameterisation):
    """dy/dt for y = ln(p̃/p) (scalar or array y)."""
    lpt, lp = log_expit(y), log_expit(-y)  # ln p̃, ln p
    if parameterisation == "direct":  # dy/dt = F / (p p̃)
        return eps * np.exp(-(q + 1.0) * lpt - lp) - (1.0 - eps) * np.exp(-(q + 1.0) * lp - lpt)
    # sigmoid: dy/dt = F · p p̃ = ε p p̃^{1−q} − (1 − ε) p^{1−q} p̃
    return eps * np.exp(lp + (1.0 - q) * lpt) - (1.0 - eps) * np.exp((1.0 - q) * lp + lpt)


def time_to_contamination(eps, q, eta, parameterisation="direct", p_tilde0=None) -> float:
    """Exact flow time for the contamination to rise from p̃0 to η, by quadrature in the log-odds.

    Args:
      eps: flip rate in (0, 1/2).
      q: commitment in [0, 1].
      eta: target contamination in (0, 1/2).
      parameterisation: ``"direct"`` or ``"sigmoid"``.
      p_tilde0: initial contamination in (0, η); ``None`` means 0⁺ (allowed for ``direct`` only, where the
        time from 0 is finite).
    Returns:
      T (float); ``inf`` when η is at or above the stable contamination p̃*(q) (never reached; always at q = 0).
    """
    eps, q = float(check_eps(eps)), float(check_q(q))
    eta = _check_contamination("eta", eta)
    check_noise_parameterisation(parameterisation)
    tail = 0.0
    if p_tilde0 is None:
        if parameterisation == "sigmoid":
            raise ValueError("p_tilde0 must be given for the sigmoid parameterisation (from 0+ the time is infinite)")
        # Below y0 the direct integrand is e^{(q+1)y}/ε to relative accuracy e^{-60}: add that tail exactly.
        y0 = float(logit(eta)) - 60.0 / (q + 1.0)
        tail = np.exp((q + 1.0) * y0) / ((q + 1.0) * eps)
    else:
        p_tilde0 = _check_contamination("p_tilde0", p_tilde0)
        if p_tilde0 >= eta:
            raise ValueError(f"p_tilde0 must be below eta = {eta:g}; got {p_tilde0:g}")
        y0 = float(logit(p_tilde0))
    if eta >= float(noise_equilibrium(eps, q)):
        return float("inf")
    y1 = float(logit(eta))
    edges = np.linspace(y0, y1, int(np.ceil(y1 - y0)) + 2)
    total = tail
    for a, b in zip(edges[:-1], edges[1:]):
        val, _ = quad(lambda y: 1.0 / log_odds_rhs(y, eps, q, parameterisation), a, b, epsabs=0.0, epsrel=1e-12,
                      limit=200)
        total += val
    return total


def simulate_contamination(eps, q, p_tilde0, t_eval, parameterisation="direct", eta=None):
    """Integrate the contamination ODE in the log-odds from p̃0, with an optional terminal event at p̃ = η.

    Args:
      eps, q: flip rate in (0, 1/2) and commitment in [0, 1].
      p_tilde0: initial contamination in (0, 1/2).
      t_eval: increasing times ≥ 0 at which to report p̃, shape (T,).
      parameterisation: ``"direct"`` or ``"sigmoid"``.
      eta: if given, stop when p̃ first reaches η and report that time.
    Returns:
      (p_tilde, t_hit): p̃ at the reported times, shape (T',) with T' ≤ T (it stops at the event), and the
      time p̃ reached η (``inf`` if it did not within t_eval[-1]). The direct model at q = 0 decays linearly,
      p̃0 − (1 − 2ε)t, and reads 0 once it reaches the clean vertex.
    """
    eps, q = float(check_eps(eps)), float(check_q(q))
    p_tilde0 = _check_contamination("p_tilde0", p_tilde0)
    check_noise_parameterisation(parameterisation)
    t_eval = np.asarray(t_eval, dtype=np.float64)
    if parameterisation == "direct" and q == 0.0:
        # dp̃/dt = −(1 − 2ε) exactly: linear decay to the clean vertex, reached at t = p̃0/(1 − 2ε).
        return np.maximum(p_tilde0 - (1.0 - 2.0 * eps) * t_eval, 0.0), float("inf")
    events = []
    if eta is not None:
        y_eta = float(logit(_check_contamination("eta", eta)))
        hit = lambda t, y: y[0] - y_eta  # noqa: E731
        hit.terminal, hit.direction = True, 1
        events.append(hit)
    floor = lambda t, y: y[0] - _Y_FLOOR  # noqa: E731
    floor.terminal, floor.direction = True, -1
    events.append(floor)
    sol = solve_ivp(lambda t, y: log_odds_rhs(y, eps, q, parameterisation), (0.0, float(t_eval[-1])),
                    [float(logit(p_tilde0))], method="Radau", rtol=RTOL, atol=ATOL, dense_output=True,
                    events=events)
    t_stop = float(sol.t[-1])
    inside = t_eval <= t_stop
    p_tilde = np.zeros(t_eval.shape)
    p_tilde[inside] = expit(sol.sol(t_eval[inside])[0])
    hit_floor = sol.status == 1 and len(sol.t_events[-1]) > 0
    if eta is not None and len(sol.t_events[0]):
        return p_tilde[inside], float(sol.t_events[0][0])
    if not hit_floor:
        p_tilde = p_tilde[inside]
    return p_tilde, float("inf")


def paper_time_law(eps, q, eta):
    """Prop C.2's law η^{q+1}/((q+1)ε) (bounded-below score; ``direct``).

    >>> round(paper_time_law(0.1, 0.5, 0.01), 12)   # 0.01^1.5/(1.5·0.1)
    0.006666666667
    """
    return eta ** (q + 1.0) / ((q + 1.0) * eps)


def initial_contamination_law(eps, q, eta, p_tilde0):
    """The ``sigmoid`` leading-order time: (p̃0^{−(1−q)} − η^{−(1−q)})/((1−q)ε), ln(η/p̃0)/ε at q = 1."""
    if q == 1.0:
        return np.log(eta / p_tilde0) / eps
    a = 1.0 - q
    return (p_tilde0 ** (-a) - eta ** (-a)) / (a * eps)


def stable_contamination_by_flow(eps, q, parameterisation="direct", p_tilde0=0.4, s_max=1e6):
    """Simulated stable contamination: integrate the log-odds ODE in rescaled time until it stops moving.

    Time is rescaled, dy/ds = (dy/dt)/c(y) with c = p̃^{−q−1} (direct) or p̃^{1−q} (sigmoid), the small-p̃
    growth of dy/dt. A positive factor leaves the fixed point and its stability unchanged and makes the
    approach rate O(q ε) even where p̃* is tiny (in raw time the sigmoid model approaches at rate ~ q p̃*).

    Args:
      eps, q: flip rate in (0, 1/2) and commitment in (0, 1].
      parameterisation: ``"direct"`` or ``"sigmoid"``.
      p_tilde0: starting contamination in (0, 1/2) (start on either side of p̃* to test stability).
      s_max: longest rescaled time.
    Returns:
      p̃ at the end (float).
    """
    eps, q = float(check_eps(eps)), float(check_q(q))
    p_tilde0 = _check_contamination("p_tilde0", p_tilde0)

    def rhs(s, y):
        y = np.asarray(y)
        lpt = log_expit(y[0])
        scale = -(q + 1.0) * lpt if parameterisation == "direct" else (1.0 - q) * lpt
        return log_odds_rhs(y, eps, q, parameterisation) * np.exp(-scale)

    def still(s, y):
        return abs(rhs(s, y)[0]) - 1e-13

    still.terminal, still.direction = True, -1
    sol = solve_ivp(rhs, (0.0, s_max), [float(logit(p_tilde0))], method="Radau", rtol=RTOL, atol=ATOL,
                    events=still)
    return float(expit(sol.y[0, -1]))


def noise_time_table(qs, eps: float, eta_fracs, p0_fracs, with_ode: bool):
    """Memorisation times T(η) (quadrature, optionally the ODE) for both parameterisations.

    η = frac·p̃*(q) for frac in ``eta_fracs``; the sigmoid model starts at p̃0 = frac0·η for frac0 in
    ``p0_fracs``; the direct model starts at 0⁺ (quadrature) or at 1e-8·η (ODE). Returns a list of dict rows.
    """
    rows = []
    for q in qs:
        star = float(noise_equilibrium(eps, q))
        for fe in eta_fracs:
            eta = fe * star
            law = paper_time_law(eps, q, eta)
            t = time_to_contamination(eps, q, eta, "direct")
            row = {"q": q, "eps": eps, "eta": eta, "eta_frac": fe, "parameterisation": "direct", "p_tilde0": 0.0,
                   "T": t, "paper_law": law, "initial_law": None}
            if with_ode:
                row["T_ode"] = simulate_contamination(eps, q, 1e-8 * eta, [0.0, 1e12], "direct", eta=eta)[1]
            rows.append(row)
            for f0 in p0_fracs:
                p0 = f0 * eta
                t = time_to_contamination(eps, q, eta, "sigmoid", p_tilde0=p0)
                row = {"q": q, "eps": eps, "eta": eta, "eta_frac": fe, "parameterisation": "sigmoid", "p_tilde0": p0,
                       "T": t, "paper_law": law, "initial_law": initial_contamination_law(eps, q, eta, p0)}
                if with_ode:
                    row["T_ode"] = simulate_contamination(eps, q, p0, [0.0, 1e30], "sigmoid", eta=eta)[1]
                rows.append(row)
    return rows
