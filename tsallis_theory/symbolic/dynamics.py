"""Symbolic proofs of the gradient-flow dynamics: FLOW (eq 6) and SIGMOID (App C.1), and the sigmoid
escape-time oracle ``sigmoid_escape_time_closed_form``.

FLOW     under dθ/dt = −∇ℓ_q, dP/dt = ∇P·dθ/dt = P^{−q}‖∇P‖² = P^{2−q}‖s‖², s = ∇log P (chain rule + DIR).
         Proved for an abstract P(θ) of three parameters and for a concrete two-parameter latent model
         P = σ(a)σ(b) + (1 − σ(a))/10 (two trajectories, one with a parameterised answer likelihood).
SIGMOID  P = σ(θ): dP/dt = P^{2−q}(1 − P)² exactly, so
             T_q(p0, δ) = ∫_{p0}^{δ} du / (u^{2−q}(1 − u)²) = F_q(δ) − F_q(p0),
         with the antiderivative (a = q − 1, 0 < u < 1)
             F_q(u) = u^{a}/a · ₂F₁(a, 2; a + 1; u) = Σ_{n≥0} (n + 1) u^{a+n}/(a + n)     (q ∉ {0, 1}),
             F_0(u) = −1/u + 1/(1 − u) + 2 log(u/(1 − u)),
             F_1(u) = log(u/(1 − u)) + 1/(1 − u).
         Leading asymptotics as p0 → 0: T_q ~ p0^{−(1−q)}/(1 − q) for q < 1 (T_0 ~ 1/p0), T_1 ~ log(1/p0).
"""

from __future__ import annotations

import functools
import math

import numpy as np
import sympy as sp

from tsallis_theory.symbolic._proof import Proof, SpotCheck
from tsallis_theory.symbolic.gradient import q_loss_expr

q = sp.Symbol("q", real=True)


# --------------------------------------------------------------------------------------------------------------
# FLOW

AB = sp.symbols("a b", real=True)


def flow_model_expr():
    """The concrete two-parameter model: P(a, b) = σ(a)σ(b) + (1 − σ(a))/10."""
    a, b = AB
    sig = lambda x: 1 / (1 + sp.exp(-x))  # noqa: E731
    return sig(a) * sig(b) + (1 - sig(a)) * sp.Rational(1, 10)


@functools.lru_cache(maxsize=None)
def prove_flow(exponent=None) -> Proof:
    """Prove FLOW; ``exponent`` replaces the stated 2 − q of dP/dt = P^{2−q}‖s‖² (a wrong one fails)."""
    proof = Proof("FLOW")
    e = 2 - q if exponent is None else exponent
    theta = sp.symbols("theta1:4", real=True)
    P = sp.Function("P", positive=True)(*theta)
    ea, eb = sp.Symbol("E_a", positive=True), sp.Symbol("E_b", positive=True)
    exps = {sp.exp(-AB[0]): ea, sp.exp(-AB[1]): eb}  # the residual is rational in exp(−a), exp(−b)
    for name, p_expr, params, subs in (("abstract P(θ)", P, theta, {}),
                                       ("σ(a)σ(b) + (1−σ(a))/10", flow_model_expr(), AB, exps)):
        velocity = [-sp.diff(q_loss_expr(p_expr), t) for t in params]  # dθ/dt = −∇ℓ_q
        dp_dt = sum(sp.diff(p_expr, t) * v for t, v in zip(params, velocity))
        score_sq = sum(sp.diff(sp.log(p_expr), t) ** 2 for t in params)
        proof.identity(f"{name}: dP/dt = P^e ‖∇log P‖²", (dp_dt - p_expr**e * score_sq).subs(subs))
    proof.sizes.update(abstract_parameters=3, model_parameters=2)
    return proof


@functools.lru_cache(maxsize=None)
def _flow_numeric():
    """(P, ‖∇log P‖²) of the two-parameter model, lambdified from sympy."""
    P = flow_model_expr()
    return sp.lambdify([AB], [P, sum(sp.diff(sp.log(P), t) ** 2 for t in AB)], "numpy")


@functools.lru_cache(maxsize=None)
def _jax_flow_rate():
    """dP/dt = ∇P · (−∇ℓ_q) with JAX autodiff on the same model."""
    import jax
    import jax.numpy as jnp

    from tsallis_theory import q_loss_from_log

    def log_p(theta):
        a, b = theta[0], theta[1]
        return jnp.logaddexp(jax.nn.log_sigmoid(a) + jax.nn.log_sigmoid(b), jax.nn.log_sigmoid(-a) + jnp.log(0.1))

    def rate(theta, order):
        velocity = -jax.grad(lambda t: q_loss_from_log(log_p(t), order))(theta)
        return jax.jvp(lambda t: jnp.exp(log_p(t)), (theta,), (velocity,))[1]

    return jax.jit(rate)


def spot_flow(n: int, seed: int = 6) -> list[SpotCheck]:
    """JAX dP/dt along −∇ℓ_q (q_loss_from_log, jvp) vs P^{2−q}‖s‖² from sympy, relative error."""
    from tsallis_theory._config import enable_x64

    enable_x64()
    rng = np.random.default_rng(seed)
    rate, numeric = _jax_flow_rate(), _flow_numeric()
    errs = []
    for _ in range(n):
        theta = rng.normal(0.0, 2.0, size=2)
        P, s2 = numeric(theta)
        for order in (0.0, 0.3, 0.7, 1.0):
            claimed = P ** (2 - order) * s2
            errs.append(abs(float(rate(theta, order)) - claimed) / claimed)
    return [SpotCheck("JAX ∇P·(−∇ℓ_q) vs P^{2-q}‖s‖² on σ(a)σ(b) + (1−σ(a))/10 (relative)",
                      float(max(errs)), 1e-12, len(errs))]


# --------------------------------------------------------------------------------------------------------------
# SIGMOID: the exact escape time and its closed form


def _antiderivative_q0(x):
    return -1 / x + 1 / (1 - x) + 2 * sp.log(x / (1 - x))


def _antiderivative_q1(x):
    return sp.log(x / (1 - x)) + 1 / (1 - x)


@functools.lru_cache(maxsize=None)
def prove_sigmoid(exponent=None) -> Proof:
    """Prove SIGMOID; ``exponent`` replaces the stated 2 − q of dP/dt = P^{2−q}(1 − P)² (a wrong one fails).

    Steps: the sigmoid ODE; the ₂F₁ antiderivative, term by term (its series coefficients by induction on the
    term ratio, the derivative of each term, and the sum Σ(n + 1)uⁿ = (1 − u)^{−2}); the elementary
    antiderivatives at q = 0 and q = 1; the leading asymptotics at q = 0, q = 37/100 (and any q ∈ (0, 1) via a
    bound on the tail of the series), and q = 1.
    """
    proof = Proof("SIGMOID")
    e = 2 - q if exponent is None else exponent
    theta = sp.Symbol("theta", real=True)
    E = sp.Symbol("E", positive=True)  # E = exp(−θ), so σ(θ) = 1/(1 + E) and d/dθ = −E d/dE
    sig = 1 / (1 + sp.exp(-theta))
    dp_dt = sp.diff(sig, theta) * -sp.diff(q_loss_expr(sig), theta)
    proof.identity("σ(θ): dP/dt = P^e (1 − P)²", (dp_dt - sig**e * (1 - sig) ** 2).subs(sp.exp(-theta), E))

    # The 2F1 antiderivative, with a = q − 1: F(u) = u^a/a · Σ_n t_n u^n, t_n = (a)_n (2)_n / ((a+1)_n n!).
    a, u = sp.Symbol("a"), sp.Symbol("u", positive=True)
    n = sp.Symbol("n", integer=True, nonnegative=True)
    term = sp.rf(a, n) * sp.rf(2, n) / (sp.rf(a + 1, n) * sp.factorial(n))
    claimed = a * (n + 1) / (a + n)  # so that t_n/a = (n + 1)/(a + n)
    proof.identity("₂F₁ coefficients: t_0 = a(0+1)/(a+0)", term.subs(n, 0) - claimed.subs(n, 0))
    proof.identity("₂F₁ coefficients: t_{n+1}/t_n = c_{n+1}/c_n (induction)",
                   sp.hypersimp(term, n) - claimed.subs(n, n + 1) / claimed)
    proof.identity("d/du [u^{a+n}/(a+n)] = u^{a+n-1}", sp.diff(u ** (a + n) / (a + n), u) - u ** (a + n - 1))
    series_sum = sp.refine(sp.summation((n + 1) * u**n, (n, 0, sp.oo)), sp.Q.lt(u, 1))
    proof.identity("Σ_n (n+1) u^n = (1 − u)^{-2} for 0 < u < 1", series_sum - (1 - u) ** -2)
    # Hence F'(u) = u^{a-1} Σ (n+1) u^n = u^{q-2}(1 − u)^{-2}: the integrand of T_q.
    proof.identity("q = 0: F_0' = u^{-2}(1 − u)^{-2}", sp.diff(_antiderivative_q0(u), u) - u**-2 * (1 - u) ** -2)
    proof.identity("q = 1: F_1' = u^{-1}(1 − u)^{-2}", sp.diff(_antiderivative_q1(u), u) - u**-1 * (1 - u) ** -2)

    # Asymptotics as p0 → 0+ with δ = 1/2.
    p0, delta = sp.Symbol("p0", positive=True), sp.Rational(1, 2)
    t0 = _antiderivative_q0(delta) - _antiderivative_q0(p0)
    t1 = _antiderivative_q1(delta) - _antiderivative_q1(p0)
    proof.identity("q = 0: lim p0·T_0 = 1 (T_0 ~ 1/p0)", sp.limit(p0 * t0, p0, 0, "+") - 1)
    proof.identity("q = 1: lim T_1 / log(1/p0) = 1", sp.limit(t1 / sp.log(1 / p0), p0, 0, "+") - 1)
    # q ∈ (0, 1): (1 − q) p0^{1−q} T_q = 1 + (1 − q) p0^{1−q} F_q(δ) − (1 − q) Σ_{n≥1} (n+1) p0^n/(q − 1 + n);
    # the tail is bounded by (1 − q)/q · ((1 − p0)^{-2} − 1) since q − 1 + n ≥ q for n ≥ 1; both → 0.
    for qv in (sp.Rational(37, 100), sp.Symbol("q", positive=True)):
        label = "q = 37/100" if qv.is_number else "q ∈ (0, 1)"
        tail_bound = (1 - qv) / qv * ((1 - p0) ** -2 - 1)
        proof.identity(f"{label}: tail bound → 0", sp.limit(tail_bound, p0, 0, "+"))
        c = sp.Symbol("c", positive=True)  # c = 1 − q
        proof.identity(f"{label}: p0^{{1-q}} → 0", sp.limit(p0 ** (c if not qv.is_number else 1 - qv), p0, 0, "+"))
    proof.identity("leading term of −F_q(p0) is p0^{-(1-q)}/(1 − q)", -(p0 ** (q - 1) / (q - 1)) - p0 ** (-(1 - q)) / (1 - q))
    proof.sizes.update(asymptotic_cases=4)
    return proof


def _mp_antiderivative(q_mp, x):
    import mpmath as mp

    if q_mp == 0:
        return -1 / x + 1 / (1 - x) + 2 * mp.log(x / (1 - x))
    if q_mp == 1:
        return mp.log(x / (1 - x)) + 1 / (1 - x)
    a = q_mp - 1
    return x**a / a * mp.hyp2f1(a, 2, a + 1, x)


def sigmoid_escape_time_closed_form(q: float, p0: float, delta: float = 0.5) -> float:
    """Exact escape time of the sigmoid model: T_q = ∫_{p0}^{δ} du/(u^{2−q}(1 − u)²) = F_q(δ) − F_q(p0).  (SIGMOID)

    F_q is the ₂F₁ antiderivative u^{q−1}/(q−1)·₂F₁(q−1, 2; q; u) for q ∉ {0, 1} and the elementary ones at
    q = 0 and q = 1 (see the module docstring). Evaluated in mpmath with enough digits to absorb the
    cancellation between F_q(δ) and F_q(p0) (which grows like 1/q and 1/|1 − q| near the endpoints), so the
    result is accurate to float64 rounding for every q in [0, 1] and p0 down to the smallest positive float.

    Args:
      q: commitment in [0, 1].
      p0: initial success probability, 0 < p0 <= delta.
      delta: target success probability, 0 < delta < 1 (the paper uses δ ≤ 1/2).
    Returns:
      T_q(p0, δ) as a float (0 when p0 = δ).

    Example:
      >>> round(sigmoid_escape_time_closed_form(1.0, 0.25, 0.5), 10)   # log 3 + 2 − 4/3
      1.7652789553
    """
    import mpmath as mp

    for name, value in (("q", q), ("p0", p0), ("delta", delta)):
        if not isinstance(value, (int, float, np.floating, np.integer)) or math.isnan(float(value)):
            raise ValueError(f"{name} must be a real number; got {value!r}")
    q, p0, delta = float(q), float(p0), float(delta)
    if not 0.0 <= q <= 1.0:
        raise ValueError(f"q must be in [0, 1]; got {q:g}")
    if not 0.0 < delta < 1.0:
        raise ValueError(f"delta must be in (0, 1); got {delta:g}")
    if not 0.0 < p0 <= delta:
        raise ValueError(f"p0 must be in (0, delta] = (0, {delta:g}]; got {p0:g}")
    if p0 == delta:
        return 0.0
    # Digits lost to cancellation: log10 |F(p0)| + |F(δ)| over |T|. Start generous, then verify.
    dps = 30 + int(max(0.0, -math.log10(q) if q > 0 else 0.0)) + int(max(0.0, -math.log10(abs(1 - q)) if q < 1 else 0.0))
    for _ in range(4):
        with mp.workdps(dps):
            q_mp = mp.mpf(q)
            f_hi, f_lo = _mp_antiderivative(q_mp, mp.mpf(delta)), _mp_antiderivative(q_mp, mp.mpf(p0))
            t = f_hi - f_lo
            lost = float(mp.log10((abs(f_hi) + abs(f_lo)) / abs(t))) if t != 0 else float(dps)
            if dps - lost >= 25:
                return float(t)
            dps = int(lost) + 40
    return float(t)


def sigmoid_escape_time_quad(q: float, p0: float, delta: float = 0.5) -> float:
    """The same T_q by mpmath quadrature in s = ln u (docs/spec.md §10: never integrate in raw P):
    T_q = ∫_{ln p0}^{ln δ} e^{(q−1)s} (1 − e^s)^{−2} ds.  An independent oracle for the closed form."""
    import mpmath as mp

    with mp.workdps(30):
        lo, hi = mp.log(p0), mp.log(delta)
        nodes = mp.linspace(lo, hi, max(2, int(hi - lo) + 2))
        return float(mp.quad(lambda s: mp.exp((q - 1) * s) / (1 - mp.exp(s)) ** 2, nodes))


@functools.lru_cache(maxsize=None)
def _jax_sigmoid_velocity():
    import jax

    from tsallis_theory import q_loss_from_log

    return jax.jit(jax.grad(lambda theta, order: -q_loss_from_log(jax.nn.log_sigmoid(theta), order)))


def spot_sigmoid(n: int, seed: int = 7) -> list[SpotCheck]:
    """Closed form vs mpmath quadrature in ln u (q ∈ {0, 1e-6, 0.37, 0.9, 1}); JAX sigmoid flow vs
    P^{2−q}(1 − P)²; an ODE solve of dθ/dt = −∇ℓ_q (JAX gradient, scipy, event at P = δ) vs the closed form;
    the asymptotic ratio (1 − q)p0^{1−q}T_q against its proved bound."""
    from scipy.integrate import solve_ivp

    from tsallis_theory._config import enable_x64

    enable_x64()
    rng = np.random.default_rng(seed)
    quad_err, pts = 0.0, 0
    orders = (0.0, 1e-6, 0.37, 0.9, 1.0)
    p0s = [10.0 ** rng.uniform(-15, -1) for _ in range(max(1, n // 2))] + [1e-3]
    for order in orders:
        for p0 in p0s:
            closed, quad = sigmoid_escape_time_closed_form(order, p0), sigmoid_escape_time_quad(order, p0)
            quad_err = max(quad_err, abs(closed - quad) / quad)
            pts += 1
    velocity = _jax_sigmoid_velocity()
    rate_err = 0.0
    for _ in range(n):
        theta = rng.normal(0.0, 3.0)
        P = 1 / (1 + np.exp(-theta))
        for order in (0.0, 0.37, 1.0):
            dp_dt = P * (1 - P) * float(velocity(theta, order))
            claimed = P ** (2 - order) * (1 - P) ** 2
            rate_err = max(rate_err, abs(dp_dt - claimed) / claimed)
    ode_err = 0.0
    p0 = 1e-3
    for order in (0.0, 0.37, 1.0):
        event = lambda t, y: y[0]  # θ = 0 ⇔ P = 1/2  # noqa: E731
        event.terminal = True
        sol = solve_ivp(lambda t, y: [float(velocity(y[0], order))], (0.0, 1e5), [math.log(p0 / (1 - p0))],
                        events=event, rtol=1e-11, atol=1e-12)
        t_ode = float(sol.t_events[0][0])
        closed = sigmoid_escape_time_closed_form(order, p0)
        ode_err = max(ode_err, abs(t_ode - closed) / closed)
    # (1 − q)p0^{1−q}T_q = 1 + (1 − q)p0^{1−q}F_q(δ) − (1 − q)Σ_{n≥1}(n+1)p0^n/(q − 1 + n): the proved expansion,
    # kept to n = 2 (the rest is below 4p0³/q).
    asym, asym_pts, lead = 0.0, 0, 0.0
    for order in (0.2, 0.37, 0.6):
        f_delta = float(_mp_antiderivative(order, 0.5))
        for p0 in (1e-8, 1e-12):
            ratio = (1 - order) * p0 ** (1 - order) * sigmoid_escape_time_closed_form(order, p0)
            predicted = (1 - order) * (p0 ** (1 - order) * f_delta - 2 * p0 / order - 3 * p0**2 / (order + 1))
            asym = max(asym, abs((ratio - 1) - predicted))
            lead = max(lead, abs(ratio - 1))
            asym_pts += 1
    return [
        SpotCheck("closed form (hyp2f1 / elementary) vs mpmath quad in ln u (relative)", quad_err, 1e-12, pts),
        SpotCheck("JAX σ'(θ)·(−∂ℓ_q/∂θ) vs P^{2-q}(1−P)² (relative)", rate_err, 1e-12, 3 * n),
        SpotCheck("ODE dθ/dt = −∇ℓ_q (JAX grad, scipy, event P = 1/2) escape time vs closed form (relative)",
                  ode_err, 1e-7, 3),
        SpotCheck(f"(1−q)p0^{{1-q}}T_q − 1 (at most {lead:.1e}: T_q ~ p0^{{-(1-q)}}/(1−q)) vs its expansion (abs)",
                  asym, 1e-12, asym_pts),
    ]
