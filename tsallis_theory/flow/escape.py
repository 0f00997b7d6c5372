"""Escape times under the gradient flow dθ/dt = −∇ℓ_q = P^{−q}∇P (docs/spec.md §3, claims FLOW, ESC-*, SIGMOID).

Along the flow, d ln P/dt = P^{1−q}‖s‖² (eq 6 divided by P). Two solvers, both in u = ln P, never in raw P
(docs/spec.md §10: raw-P quadrature and raw-P ODEs are silently wrong at small p0):

* quadrature, when ‖s‖² = h(P) is a function of P alone (``model.score_sq_from_log_p``):

      T_q = ∫_{ln p0}^{ln δ} e^{−(1−q)u} / h(e^u) du
          = p0^{−(1−q)} ∫ e^{−(1−q)(u − ln p0)} / h(e^u) du      (scipy quad on the bounded factor)

  or the same as a scalar ODE in (u = ln P, clocks) with an event on u = ln δ (``method="ode-lnp"``);

* an ODE for any model, in rescaled time ds = P^{1−q} dt, where the path no longer depends on q:

      dθ/ds = s(θ) = ∇ ln P(θ),    dτ_q/ds = e^{−(1−q)(ln P(θ) − ln p0)},    t_q = p0^{−(1−q)} τ_q,

  with a terminal event on ln P(θ) − ln δ = 0 (direction +1), polished by one Newton step in s. All q share
  one solve: each q adds one clock τ_q (bounded by 1, so absolute tolerances are relative ones).

``escape_time(model, q, p0, target)`` picks quadrature when it applies and the ODE otherwise.
``trajectory(...)`` returns t, P(t) and ‖s(t)‖ along the path for plots.
"""

from __future__ import annotations

import dataclasses

import numpy as np
from scipy import integrate

from tsallis_theory import _validate as V
from tsallis_theory.qcalc import exprel
from tsallis_theory.flow.models import FlowModel, get_model

from tsallis_theory._validate import Q_RANGE  # noqa: E402  (re-exported)
METHODS = ("auto", "quad", "ode-lnp", "ode")

# Solver tolerances: the sigmoid's escape time matches its closed form to 1e-9 relative down to p0 = 1e-12
# (tests/test_flow_escape.py).
ODE_RTOL = 1e-11
ODE_ATOL = 1e-13
QUAD_EPSREL = 1e-13
SCORE_GRID = 513
S_MAX = 1e15  # rescaled-time horizon: the event ends every solve that can reach its target long before


def _resolve_model(model) -> FlowModel:
    if isinstance(model, FlowModel):
        return model
    if isinstance(model, str):
        return get_model(model)
    raise ValueError(f"model must be a FlowModel or a model name; got {type(model).__name__}")


def _check_inputs(q, p0, target):
    """Validate (q, p0, target); return q as a 1-D float array and whether it was a scalar."""
    V.check_range("target", target, 0.0, 1.0, low_open=True, high_open=True)
    if np.ndim(target) != 0:
        raise ValueError("target must be a scalar in (0, 1)")
    if np.ndim(p0) != 0:
        raise ValueError("p0 must be a scalar (loop over p0 values)")
    V.check_range("p0", p0, 0.0, float(target), low_open=True, high_open=True)
    q_arr = V.check_range("q", q, *Q_RANGE)
    if q_arr.ndim > 1 or q_arr.size == 0:
        raise ValueError("q must be a scalar or a non-empty 1-D array in [0, 1]")
    return np.atleast_1d(q_arr).astype(np.float64), q_arr.ndim == 0


def escape_integral(q, p0, target=0.5):
    """I_q(p0, δ) = ∫_{p0}^{δ} u^{q−2} du = log_{2−q}(δ) − log_{2−q}(p0), the integral in the bracket
    T_q ∈ [I/C², I/c²] when c ≤ ‖s‖ ≤ C (ESC-LOWER, ESC-TIGHT): (p0^{−(1−q)} − δ^{−(1−q)})/(1−q) for q < 1,
    ln(δ/p0) at q = 1.

    Computed in NumPy as p0^{−a} Δ·exprel(−aΔ) (``qcalc.exprel``) with a = 1 − q, Δ = ln(δ/p0), so that a → 0 and tiny
    p0 stay exact (equal to ``qcalc.log_q_from_log`` differences; tests/test_flow_escape.py checks it).
    """
    a = 1.0 - np.asarray(q, dtype=np.float64)
    x0, delta = np.log(p0), np.log(target) - np.log(p0)
    return np.exp(-a * x0) * delta * exprel(-a * delta, xp=np)


# ----------------------------------------------------------------------------------------------------------
# quadrature in ln P


def quad_time(score_sq_from_log_p, q, log_p0, log_target):
    """T_q = ∫_{ln p0}^{ln δ} e^{−(1−q)u}/h(u) du for ‖s‖² = h(ln P), by adaptive Gauss–Kronrod in u = ln P.

    Args:
      score_sq_from_log_p: h, NumPy callable of ln P (positive on the interval).
      q: shape (nq,). log_p0 < log_target: scalars.
    Returns: shape (nq,).
    """
    out = np.empty(len(q))
    for i, qi in enumerate(q):
        a = 1.0 - qi

        def integrand(u, a=a):
            return np.exp(-a * (u - log_p0)) / score_sq_from_log_p(u)

        res = integrate.quad(integrand, log_p0, log_target, epsabs=0.0, epsrel=QUAD_EPSREL, limit=500,
                             full_output=1)
        if len(res) > 3:
            # quad flagged the integral (a target near 1, where ‖s‖² → 0 at ln P → 0⁻ makes a peak narrower
            # than its subdivision): redo it in v = ln(−u), where that peak is a smooth exponential
            res = integrate.quad(lambda v: integrand(-np.exp(v)) * np.exp(v), np.log(-log_target),
                                 np.log(-log_p0), epsabs=0.0, epsrel=QUAD_EPSREL, limit=500, full_output=1)
        out[i] = np.exp(-a * log_p0) * res[0]
    return out


def lnp_ode_time(score_sq_from_log_p, q, log_p0, log_target, *, rtol=ODE_RTOL, atol=ODE_ATOL):
    """The scalar flow in (ln P, clocks) when ‖s‖² = h(ln P): du/ds = h(u), dτ_q/ds = e^{−(1−q)(u − ln p0)},
    terminal event u = ln δ (direction +1); T_q = p0^{−(1−q)} τ_q. NumPy right-hand side, shape (nq,) out.

    Returns (times, event_residual) with the residual u(s_event) − ln δ of the located root.
    """
    a = 1.0 - np.asarray(q, dtype=np.float64)

    def fun(s, y):
        return np.concatenate([[score_sq_from_log_p(y[0])], np.exp(-a * (y[0] - log_p0))])

    def event(s, y):
        return y[0] - log_target

    event.terminal = True
    event.direction = 1.0
    y0 = np.concatenate([[log_p0], np.zeros(len(a))])
    sol = integrate.solve_ivp(fun, (0.0, S_MAX), y0, method="DOP853", rtol=rtol, atol=atol, events=event)
    if sol.status != 1:
        raise ValueError(f"target = {np.exp(log_target):.3g} was not reached (the scalar flow stalled)")
    y = sol.y_events[0][0]
    # one Newton step in s on u: Δs = −(u − ln δ)/h(u)
    ds = -(y[0] - log_target) / score_sq_from_log_p(y[0])
    clocks = y[1:] + ds * np.exp(-a * (y[0] - log_p0))
    return np.exp(-a * log_p0) * clocks, float(y[0] + ds * score_sq_from_log_p(y[0]) - log_target)


def quad_score_bounds(score_sq_from_log_p, log_p0, log_target, num=4001):
    """(min ‖s‖, max ‖s‖) of h over [ln p0, ln δ] on a fine grid (endpoints included)."""
    h = score_sq_from_log_p(np.linspace(log_p0, log_target, num))
    return float(np.sqrt(h.min())), float(np.sqrt(h.max()))


# ----------------------------------------------------------------------------------------------------------
# the ODE in rescaled time


@dataclasses.dataclass(frozen=True)
class FlowSolution:
    """One solve of the rescaled flow from θ0 to ln P = ln δ, for several q at once.

    Attributes:
      q: shape (nq,). times: escape times t_q, shape (nq,).
      s_end: rescaled time at the event. theta_end: θ there, shape (dim,).
      event_residual: ln P(θ_end) − ln δ after polishing (before: ``event_residual_raw``).
      score_min, score_max: min and max of ‖s‖ over SCORE_GRID points equally spaced in s (ends included).
      nfev: right-hand-side evaluations. sol: scipy's OdeResult (dense output when requested).
    """

    q: np.ndarray
    times: np.ndarray
    log_p0: float
    log_target: float
    s_end: float
    theta_end: np.ndarray
    event_residual: float
    event_residual_raw: float
    score_min: float
    score_max: float
    nfev: int
    sol: object = dataclasses.field(repr=False, default=None)


def _log_p_and_scores(model: FlowModel, thetas: np.ndarray):
    """ln P and ‖s‖ at each row of ``thetas`` (shape (n, dim)), with the model's one jitted function."""
    out = np.array([model.log_p_and_score(th) for th in thetas])
    return out[:, 0], np.sqrt(np.sum(out[:, 1:] ** 2, axis=1))


def solve_flow(model: FlowModel, q, theta0, log_target, *, rtol=ODE_RTOL, atol=ODE_ATOL, s_max=None,
               dense=False) -> FlowSolution:
    """Integrate dθ/ds = ∇ ln P, dτ_q/ds = e^{−(1−q)(ln P − ln p0)} from θ0 until ln P(θ) = log_target.

    Args:
      model: the model. q: shape (nq,), in [0, 1]. theta0: shape (dim,), with ln P(θ0) < log_target.
      s_max: give up (ValueError naming target) if the event has not fired by this rescaled time; default S_MAX.
    """
    q = np.asarray(q, dtype=np.float64)
    a = 1.0 - q
    theta0 = np.asarray(theta0, dtype=np.float64)
    vg = model.value_and_grad
    flat = model.log_p_and_score
    lp0 = float(flat(theta0)[0])
    if not lp0 < log_target:
        raise ValueError(f"target: the start already has ln P = {lp0:.6g} >= ln target = {log_target:.6g}")
    dim = model.dim
    last = {"theta": None, "out": None}

    def lp_and_score(theta):
        # DOP853 evaluates f at each step's end and the event then asks for ln P at the same θ: reuse it
        if last["theta"] is None or not np.array_equal(theta, last["theta"]):
            last["theta"], last["out"] = theta.copy(), flat(theta)
        return last["out"]

    def fun(s, y):
        out = lp_and_score(y[:dim])
        return np.concatenate([out[1:], np.exp(-a * (out[0] - lp0))])

    def event(s, y):
        return float(lp_and_score(y[:dim])[0]) - log_target

    event.terminal = True
    event.direction = 1.0
    if s_max is None:
        s_max = S_MAX
    y0 = np.concatenate([theta0, np.zeros(len(q))])
    sol = integrate.solve_ivp(fun, (0.0, s_max), y0, method="DOP853", rtol=rtol, atol=atol, events=event,
                              dense_output=True)
    if sol.status != 1 or len(sol.t_events[0]) == 0:
        raise ValueError(f"target = {np.exp(log_target):.3g} was not reached by model {model.name!r} "
                         f"(the flow stalled at ln P = {event(0, sol.y[:, -1]) + log_target:.4g})")
    s_ev = float(sol.t_events[0][0])
    y_ev = np.array(sol.y_events[0][0])
    raw = event(s_ev, y_ev)
    # One Newton step in s on the true ln P(θ): Δs = −residual/‖s‖²; θ and the clocks move with it.
    lp, g = vg(y_ev[: model.dim])
    g = np.asarray(g)
    ds = -(float(lp) - log_target) / float(g @ g)
    y_ev[: model.dim] += ds * g
    y_ev[model.dim:] += ds * np.exp(-a * (float(lp) - lp0))
    s_ev += ds
    residual = event(s_ev, y_ev)
    times = np.exp(-a * lp0) * y_ev[model.dim:]
    # score bounds on a dense grid of fixed size (a fixed shape: the batched score compiles once per model)
    s_grid = np.linspace(0.0, s_ev, SCORE_GRID)
    thetas = sol.sol(s_grid)[: model.dim].T
    thetas[0], thetas[-1] = theta0, y_ev[: model.dim]
    _, norms = _log_p_and_scores(model, thetas)
    return FlowSolution(q=q, times=times, log_p0=lp0, log_target=log_target, s_end=s_ev,
                        theta_end=y_ev[: model.dim], event_residual=residual, event_residual_raw=raw,
                        score_min=float(norms.min()), score_max=float(norms.max()), nfev=int(sol.nfev),
                        sol=sol if dense else None)


# ----------------------------------------------------------------------------------------------------------
# public API


@dataclasses.dataclass(frozen=True)
class EscapeRecord:
    """Escape times of one (model, p0) for every q, and the score bounds along the path.

    Attributes: q, times: shape (nq,); score_min, score_max: min/max ‖s‖ between p0 and δ; method:
    "quad" or "ode"; event_residual: |ln P − ln δ| at the event (0 for quadrature).
    """

    model: str
    p0: float
    target: float
    q: np.ndarray
    times: np.ndarray
    score_min: float
    score_max: float
    method: str
    event_residual: float = 0.0


def escape_record(model, q, p0, target=0.5, *, method="auto") -> EscapeRecord:
    """Escape times T_q(p0, δ) for every q (shape (nq,)) with the observed score bounds; see ``escape_time``."""
    q_arr, _ = _check_inputs(q, p0, target)
    m = _resolve_model(model)
    if method not in METHODS:
        raise ValueError(f"method must be one of {METHODS}; got {method!r}")
    log_p0, log_t = float(np.log(p0)), float(np.log(target))
    lo, hi = m.log_p_range
    if not log_t < hi:
        raise ValueError(f"target = {target:g} cannot be reached by model {m.name!r}: its P lies in "
                         f"({np.exp(lo):.3g}, {np.exp(hi):.3g})")
    if method in ("quad", "ode-lnp") and m.score_sq_from_log_p is None:
        raise ValueError(f"method {method!r} needs ‖s‖² as a function of P, which model {m.name!r} does not have")
    if method in ("quad", "ode-lnp") or (method == "auto" and m.score_sq_from_log_p is not None):
        if not lo < log_p0:
            m.init_log(log_p0)  # raises the p0 error
        h = m.score_sq_from_log_p
        if method == "ode-lnp":
            times, residual = lnp_ode_time(h, q_arr, log_p0, log_t)
        else:
            times, residual = quad_time(h, q_arr, log_p0, log_t), 0.0
        cmin, cmax = quad_score_bounds(h, log_p0, log_t)
        return EscapeRecord(m.name, float(p0), float(target), q_arr, times, cmin, cmax,
                            "quad" if method == "auto" else method, abs(residual))
    sol = solve_flow(m, q_arr, m.init_log(log_p0), log_t)
    return EscapeRecord(m.name, float(p0), float(target), q_arr, sol.times, sol.score_min, sol.score_max, "ode",
                        abs(sol.event_residual))


def escape_time(model, q, p0, target=0.5, *, method="auto"):
    """Gradient-flow time T_q(p0, δ) for P to rise from p0 to δ = ``target`` under dθ/dt = −∇ℓ_q.

    Args:
      model: a ``FlowModel`` or a model name (``"sigmoid"``, see ``MODEL_NAMES``).
      q: commitment in [0, 1], scalar or shape (nq,) (one solve serves all q); or an amplification f'(P),
        a callable of P, for the flow dθ/dt = f'(P)∇P of any method (``amplification_escape_time``).
      p0: initial success probability in (0, target); the model's initialiser must reach it.
      target: δ in (0, 1).
      method: "quad" (quadrature in ln P) or "ode-lnp" (the scalar ODE in (ln P, t)), both needing ‖s‖² as a
        function of P; "ode" (θ-space ODE, any model); "auto" (quad when it applies, else ode).
    Returns:
      float, or shape (nq,) for array q.

    Example:
      >>> round(float(escape_time("sigmoid", 1.0, 1e-6)), 6)   # ≈ ln(1/p0) + 1 for δ = 1/2
      14.815509
    """
    if callable(q):
        return amplification_escape_time(model, q, p0, target)
    q_arr, scalar = _check_inputs(q, p0, target)
    times = escape_record(model, q_arr, p0, target, method=method).times
    return float(times[0]) if scalar else times


def amplification_escape_time(model, amplification, p0, target=0.5):
    """Escape time under dθ/dt = f'(P)∇P for any amplification f'(P) (a NumPy callable of P, positive on
    [p0, δ]), by quadrature in u = ln P: d ln P/dt = f'(P) P ‖s‖², so

        T = ∫_{ln p0}^{ln δ} du / (f'(e^u) e^u h(u)),     h = ‖s‖² as a function of ln P,

    which is ``escape_time`` at f'(P) = P^{−q}. Needs a model with ``score_sq_from_log_p`` (e.g. "sigmoid").
    ``atlas.expected_amplification`` gives f' for any declared method:
    ``escape_time("sigmoid", lambda p: expected_amplification(m, p, 32), 1e-6)``.
    """
    _check_inputs(0.0, p0, target)
    m = _resolve_model(model)
    if m.score_sq_from_log_p is None:
        raise ValueError(f"an amplification f'(P) needs ‖s‖² as a function of P, which model {m.name!r} "
                         f"does not have")
    log_p0, log_t = float(np.log(p0)), float(np.log(target))
    lo, hi = m.log_p_range
    if not log_t < hi:
        raise ValueError(f"target = {target:g} cannot be reached by model {m.name!r}")
    if not lo < log_p0:
        m.init_log(log_p0)  # raises the p0 error
    h = m.score_sq_from_log_p

    def integrand(u):
        amp = float(np.asarray(amplification(np.exp(u))))
        if not amp > 0:
            raise ValueError(f"amplification must be positive on [p0, target]; got {amp:g} at P = {np.exp(u):.3g}")
        return np.exp(-(u - log_p0)) / (amp * h(u))

    val, _ = integrate.quad(integrand, log_p0, log_t, epsabs=0.0, epsrel=QUAD_EPSREL, limit=500)
    return float(np.exp(-log_p0) * val)


@dataclasses.dataclass(frozen=True)
class Trajectory:
    """P(t) and ‖s(t)‖ along one escape path (the path is the same for every q; only the clock differs).

    Attributes:
      q: shape (nq,). t: shape (nq, num), time of each sample under each q. log_p, score_norm: shape (num,).
    """

    model: str
    q: np.ndarray
    t: np.ndarray
    log_p: np.ndarray
    score_norm: np.ndarray

    @property
    def p(self):
        return np.exp(self.log_p)


def trajectory(model, q, p0, target=0.5, *, num=200) -> Trajectory:
    """Sample the escape path at ``num`` points, equally spaced in rescaled time, with the ODE solver."""
    q_arr, _ = _check_inputs(q, p0, target)
    m = _resolve_model(model)
    sol = solve_flow(m, q_arr, m.init_log(float(np.log(p0))), float(np.log(target)), dense=True)
    s_grid = np.linspace(0.0, sol.s_end, num)
    y = sol.sol.sol(s_grid)
    thetas = y[: m.dim].T
    log_p, norms = _log_p_and_scores(m, thetas)
    t = np.exp(-(1.0 - q_arr) * sol.log_p0)[:, None] * y[m.dim:]
    t[:, -1] = sol.times
    return Trajectory(m.name, q_arr, t, log_p, norms)


def passage_time(model, q, log_p_start, log_p_end, **kw):
    """Time to go from ln P = log_p_start (the model's initialiser) to log_p_end, for every q (shape (nq,)),
    by the ODE; used for NEAR-OPT (1 − ε0 → 1 − ε1). Returns the FlowSolution."""
    m = _resolve_model(model)
    q_arr = np.atleast_1d(V.check_range("q", q, *Q_RANGE)).astype(np.float64)
    return solve_flow(m, q_arr, m.init_log(log_p_start), log_p_end, **kw)
