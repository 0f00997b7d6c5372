"""The amplification atlas (claim ATLAS, SPEC §3): every method as f'(P)·∇P per example.

A method's expected update on one example is E[ĝ] = −f'(P)∇P (ĝ estimates a loss gradient), so its
*amplification* f'(P) says how strongly it pushes an example with success probability P. Population
values (infinite group):

  rlvr / rloo / rb_reinforce: 1        dr_grpo: (G−1)/G         grpo: ≈ 1/√(P(1−P)) (large G)
  garl / garl_rloo / paft (J_Q): P^{−q}        iwae / trice (log-likelihood, EM): 1/P
  maxrl (truncation T): (1 − (1−P)^T)/P        pass_at_k: k(1−P)^{k−1}
  dco (coverage n): n(1−P)^{n−1}/(1 − (1−P)^n)

Finite group of G rollouts with a 0/1 verifier: if rollout m's weight a(r_m, K) depends only on its own
reward and the success count K, then (conditioning on r_1, with K' ~ Binomial(G−1, P) the others' count)

    f'_G(P) = G · E_{K'}[ a(1, K'+1) − a(0, K') ],

a polynomial of degree <= G−1 in P: bounded as P → 0, so no such estimator is unbiased for P^{−q}, q > 0,
and all cap near a constant for P ≪ 1/G (GRPO: √(G−1); GARL: G^q). ``expected_amplification`` reads a(·,·)
off each estimator's own code on the G+1 canonical pools (K successes first). A soft w_m (teacher-forced
likelihood) escapes the ceiling: ``soft_amplification`` evaluates the log-w methods on the soft model
P(θ) = mean_z σ(θ + b_z) exactly. ``escape_time`` integrates the expected-estimator flow dθ/dt = −E[ĝ]
in u = ln P (SPEC §4).
"""

from __future__ import annotations

import dataclasses
import functools
from typing import Callable

import jax
import jax.numpy as jnp
import numpy as np
from scipy import integrate, optimize

from tsallis_theory import _validate as V
from tsallis_theory import estimators as E
from tsallis_theory.estimators.bias import binomial_pmf as _binomial_pmf

HARD_METHODS = ("rlvr", "rloo", "dr_grpo", "grpo", "garl", "garl_rloo", "paft", "iwae", "trice", "maxrl",
                "pass_at_k", "dco")
SOFT_METHODS = ("rb_reinforce", "garl", "garl_rloo", "paft", "iwae", "trice")
POPULATION_ONLY = ("jq", "log_likelihood")
METHODS = tuple(dict.fromkeys(HARD_METHODS + SOFT_METHODS + POPULATION_ONLY))

# Hyper-parameters each method needs: q for the J_Q family, k, T, n for the coverage methods.
_NEEDS = {"garl": "q", "garl_rloo": "q", "paft": "q", "jq": "q", "maxrl": "T", "pass_at_k": "k", "dco": "n"}


def _check_method(method: str, params: dict, g: int | None):
    if method not in METHODS:
        raise ValueError(f"method must be one of {', '.join(METHODS)}; got {method!r}")
    need = _NEEDS.get(method)
    if need is not None and params.get(need) is None:
        raise ValueError(f"method {method!r} needs {need}=...")
    if need == "q":
        V.check_range("q", params["q"], 0.0, 1.0)
    elif need is not None:
        top = g if g is not None else 10**9
        if isinstance(params[need], bool) or int(params[need]) != params[need] or not 1 <= params[need] <= top:
            raise ValueError(f"{need} must be an integer in [1, {top}]; got {params[need]!r}")


def population_amplification(method: str, p, *, q=None, k=None, T=None, n=None, g=None, eps: float = 0.0):
    """f'(P) of the method's population objective (infinite group; GRPO's large-G limit), shape of p.

    ``g`` only enters Dr.GRPO's (G−1)/G; ``eps`` only GRPO (ignored in the large-G limit)."""
    params = dict(q=q, k=k, T=T, n=n)
    _check_method(method, params, None)
    p = np.asarray(p, float)
    if method in ("rlvr", "rloo", "rb_reinforce"):
        return np.ones_like(p)
    if method == "dr_grpo":
        return np.full_like(p, 1.0 if g is None else (g - 1) / g)
    if method == "grpo":
        return 1.0 / np.sqrt(p * (1 - p))
    if method in ("garl", "garl_rloo", "paft", "jq"):
        return p ** (-float(q))
    if method in ("iwae", "trice", "log_likelihood"):
        return 1.0 / p
    if method == "maxrl":
        return -np.expm1(T * np.log1p(-p)) / p
    if method == "pass_at_k":
        return k * (1 - p) ** (k - 1)
    if method == "dco":
        return n * (1 - p) ** (n - 1) / (-np.expm1(n * np.log1p(-p)))
    raise AssertionError(method)


def _hard_estimator(method: str, q=None, k=None, T=None, n=None, eps: float = 1e-6) -> Callable:
    """The method's estimator on 0/1 rewards (rewards (B, G) -> GradientCoefficients)."""
    log = lambda r: jnp.log(r)  # noqa: E731  0/1 rewards as log w in {−inf, 0}
    return {
        "rlvr": lambda r: E.rb_reinforce(log(r)),
        "rloo": E.rloo,
        "dr_grpo": E.dr_grpo,
        "grpo": lambda r: E.grpo(r, eps=eps),
        "garl": lambda r: E.garl_plugin(log(r), q),
        "garl_rloo": lambda r: E.garl_rloo(log(r), q),
        # E[PAFT | pool] = GARL plug-in (claim PAFT-BIAS), so the expectation uses the plug-in's weights
        "paft": lambda r: E.garl_plugin(log(r), q),
        "iwae": lambda r: E.iwae(log(r)),
        # E[posterior SFT | pool] = w_m/Σw = IWAE's weights
        "trice": lambda r: E.iwae(log(r)),
        "maxrl": lambda r: E.maxrl(r, T),
        "pass_at_k": lambda r: E.pass_at_k(r, k),
        "dco": lambda r: E.dco(r, n),
    }[method]


# Batch rows are padded to a multiple of this, so that pools of one G share one XLA compile (canonical
# pools, enumerated pools); rows are independent, the padding (all-failed pools) is dropped.
_ROW_BUCKET = 128


def _spec(method: str, params: dict) -> tuple:
    """(static structure, traced q, traced eps) of one hard-verifier method: q and eps do not recompile."""
    return ((method, params.get("k"), params.get("T"), params.get("n")),
            float(params.get("q") or 0.0), float(params.get("eps", 1e-6)))


@functools.partial(jax.jit, static_argnums=0)
def _hard_scores_jit(structure, rewards, qs, epss):
    return jnp.stack([_hard_estimator(m, q=qs[i], k=k, T=t, n=n, eps=epss[i])(rewards).score
                      for i, (m, k, t, n) in enumerate(structure)])


def hard_scores(entries, rewards) -> np.ndarray:
    """Scores of several hard-verifier methods on one batch of 0/1 reward pools, in one jitted call.

    Args:
      entries: sequence of (method, params) with params a dict of q, k, T, n, eps (as ``expected_amplification``).
      rewards: (B, G) 0/1 rewards.
    Returns:
      scores, shape (len(entries), B, G).
    """
    rewards = np.asarray(rewards, float)
    specs = [_spec(m, p) for m, p in entries]
    b = rewards.shape[0]
    padded = np.zeros((-(-b // _ROW_BUCKET) * _ROW_BUCKET, rewards.shape[1]))
    padded[:b] = rewards
    out = _hard_scores_jit(tuple(s[0] for s in specs), jnp.asarray(padded),
                           jnp.asarray([s[1] for s in specs]), jnp.asarray([s[2] for s in specs]))
    return np.asarray(out)[:, :b]


def canonical_pools(g: int) -> np.ndarray:
    """The G+1 canonical 0/1 pools, row K holding K successes first; shape (G+1, G)."""
    return (np.arange(g)[None, :] < np.arange(g + 1)[:, None]).astype(float)


_COUNT_WEIGHTS: dict[tuple, tuple[np.ndarray, np.ndarray]] = {}


def _count_key(method, g, params):
    return (method, g, *_spec(method, params))


def count_weights_many(entries, g: int) -> list[tuple[np.ndarray, np.ndarray]]:
    """``count_weights`` of several (method, params) at one G, the missing ones computed in one jitted call."""
    missing = [(m, p) for m, p in entries if _count_key(m, g, p) not in _COUNT_WEIGHTS]
    if missing:
        scores = hard_scores(missing, canonical_pools(g))
        for (m, p), score in zip(missing, scores):
            a_s = np.concatenate([[0.0], -score[1:, 0]])
            a_f = np.concatenate([-score[:-1, g - 1], [0.0]])
            _COUNT_WEIGHTS[_count_key(m, g, p)] = (a_s, a_f)
    return [_COUNT_WEIGHTS[_count_key(m, g, p)] for m, p in entries]


def count_weights(method: str, g: int, q=None, k=None, T=None, n=None, eps: float = 1e-6):
    """(a_success(K), a_failure(K)) for K = 0..G read off the estimator on canonical pools; shapes (G+1,).

    a = −score (the weight on ∇log p(τ_m|x) in the *ascent* direction). a_success(0) and a_failure(G)
    are unused (no such rollout) and set to 0."""
    return count_weights_many([(method, dict(q=q, k=k, T=T, n=n, eps=eps))], g)[0]


def expected_amplification(method: str, p, g: int | None = None, *, q=None, k=None, T=None, n=None,
                           eps: float = 1e-6):
    """Exact expected amplification f'_G(P) of ``method`` with G rollouts and a 0/1 verifier.

    E[ĝ] = −f'_G(P)∇P for every model (it depends only on P). ``g=None`` gives the population f'(P).

    Args:
      method: one of ``METHODS`` (hard-verifier methods: ``HARD_METHODS``).
      p: success probability P in [0, 1] (array).
      g: group size G >= 2, or None.
      q, k, T, n: the method's hyper-parameter (``garl*``/``paft``/``jq``: q; pass_at_k: k; maxrl: T; dco: n).
      eps: GRPO's std stabiliser (0 gives SPEC's closed form E_K[√(K(G−K))]/G/(P(1−P))).

    Example:
      >>> round(float(expected_amplification("grpo", 1e-12, 17, eps=0.0)), 6)   # → √(G−1)
      4.0
    """
    if g is None:
        return population_amplification(method, p, q=q, k=k, T=T, n=n, eps=eps)
    if isinstance(g, bool) or int(g) != g or int(g) < 2:
        raise ValueError(f"g must be an integer >= 2 (group size) or None; got {g!r}")
    g = int(g)
    _check_method(method, dict(q=q, k=k, T=T, n=n), g)
    if method not in HARD_METHODS:
        raise ValueError(f"method {method!r} has no finite-group estimator; use g=None")
    V.check_range("p", p, 0.0, 1.0)
    a_s, a_f = count_weights(method, g, None if q is None else float(q), k, T, n, float(eps))
    pmf = _binomial_pmf(g - 1, p)  # (..., G): K' = 0..G−1
    out = g * (pmf @ (a_s[1:] - a_f[:-1]))
    return out if np.ndim(out) else float(out)


# --- soft verifier: teacher-forced w on the model P(θ) = Σ_z π_z σ(θ + b_z) -----------------------------

@dataclasses.dataclass(frozen=True)
class SoftModel:
    """Answer likelihoods w_z = σ(θ + b_z) for Z rationale types drawn from a fixed prior π (default uniform).

    θ moves only the answer likelihood (the pathwise route, ∇log w_z = 1 − w_z); at small P every w_z ∝ e^θ.
    The same model with sampled answers and a 0/1 check is the hard-verifier case."""

    offsets: tuple[float, ...] = (0.0, -2.0)
    prior: tuple[float, ...] | None = None

    @property
    def pi(self) -> np.ndarray:
        z = len(self.offsets)
        return np.full(z, 1.0 / z) if self.prior is None else np.asarray(self.prior, float)

    def log_w(self, theta):
        b = np.asarray(self.offsets)
        return -np.logaddexp(0.0, -(np.asarray(theta, float)[..., None] + b))  # log σ(θ + b)

    def success(self, theta):
        return np.exp(self.log_w(theta)) @ self.pi

    def dsuccess(self, theta):
        w = np.exp(self.log_w(theta))
        return (w * (1 - w)) @ self.pi

    def theta_of_log_p(self, log_p: float) -> float:
        """θ with ln P(θ) = log_p (P is increasing in θ)."""
        guess = log_p - np.log(np.exp(np.asarray(self.offsets)) @ self.pi)
        f = lambda t: np.log(self.success(t)) - log_p  # noqa: E731
        lo, hi = guess - 5.0, guess + 5.0
        while f(lo) > 0:
            lo -= 10.0
        while f(hi) < 0:
            hi += 10.0
        return optimize.brentq(f, lo, hi, xtol=1e-14, rtol=1e-14)


_SOFT = {  # jitted once at import (q traced), SPEC §4
    "rb_reinforce": jax.jit(lambda lw, q: E.rb_reinforce(lw)),
    "garl": jax.jit(E.garl_plugin),
    "garl_rloo": jax.jit(E.garl_rloo),
    "paft": jax.jit(E.garl_plugin),  # E[PAFT | pool] = GARL plug-in (PAFT-BIAS)
    "iwae": jax.jit(lambda lw, q: E.iwae(lw)),
    "trice": jax.jit(lambda lw, q: E.iwae(lw)),  # E[posterior SFT | pool] = IWAE weights
}


def _soft_estimator(method: str, q=None):
    return lambda lw: _SOFT[method](lw, jnp.asarray(0.0 if q is None else q, float))


@functools.lru_cache(maxsize=64)
def _soft_pools(model: SoftModel, g: int):
    from tsallis_theory.estimators.testbed import TabularLatentModel, composition_pools

    tab = TabularLatentModel(np.log(model.pi), np.full(len(model.offsets), 0.5))
    return composition_pools(tab, g)


def soft_amplification(method: str, theta, g: int, *, q=None, model: SoftModel = SoftModel()):
    """Exact expected amplification −E[ĝ]/(dP/dθ) of a log-w method with a soft verifier, at each θ.

    Sums over all compositions of the G rollouts among the Z types. Args: theta (N,), g >= 1."""
    if method not in SOFT_METHODS:
        raise ValueError(f"method must be one of {', '.join(SOFT_METHODS)} for a soft verifier; got {method!r}")
    _check_method(method, dict(q=q), None)
    theta = np.atleast_1d(np.asarray(theta, float))
    pools, probs = _soft_pools(model, int(g))  # (C, G)
    lw_z = model.log_w(theta)  # (N, Z)
    lw = lw_z[:, pools]  # (N, C, G)
    coef = _soft_estimator(method, q)(jnp.asarray(lw))
    grad_log_w = -np.expm1(lw)  # ∇_θ log σ(θ + b) = 1 − w
    est = np.sum((np.asarray(coef.path)) * grad_log_w, axis=-1)  # (N, C): score terms vanish (θ not in prior)
    return -(est @ probs) / model.dsuccess(theta)


# --- escape time of the expected-estimator flow -------------------------------------------------------

def escape_time(amplification_of_theta: Callable[[float], float], model: SoftModel, p0: float,
                delta: float = 0.5) -> float:
    """T = ∫ dt from P = p0 to δ under dθ/dt = A(θ)·dP/dθ, integrated in u = ln P:
    dt = du · P / (A(θ) (dP/dθ)²)."""
    def integrand(u):
        th = model.theta_of_log_p(u)
        d = model.dsuccess(th)
        return float(np.exp(u) / (amplification_of_theta(th) * d * d))

    val, _ = integrate.quad(integrand, np.log(p0), np.log(delta), limit=200, epsabs=0.0, epsrel=1e-9)
    return val


def escape_slope(amplification_of_theta, model: SoftModel, p0s) -> tuple[float, float, np.ndarray]:
    """Least-squares slope (and its standard error) of log T against log(1/p0); returns the times too."""
    times = np.array([escape_time(amplification_of_theta, model, p0) for p0 in p0s])
    x, y = np.log(1.0 / np.asarray(p0s)), np.log(times)
    (slope, icpt), cov = np.polyfit(x, y, 1, cov=True) if len(x) > 2 else (np.polyfit(x, y, 1), np.zeros((2, 2)))
    return float(slope), float(np.sqrt(cov[0, 0])), times


# --- the ATLAS check ---------------------------------------------------------------------------------

@jax.jit
def _log_q(p, q):  # one compile instead of one per primitive in eager mode
    from tsallis_theory.qcalc import log_q

    return log_q(p, q)


def _objective(method: str, p, **kw):
    """The population objective f(P) whose derivative is the amplification (for the finite-difference check)."""
    p = np.asarray(p, float)
    return {
        "rlvr": lambda: p, "jq": lambda: np.asarray(_log_q(p, kw.get("q"))), "log_likelihood": lambda: np.log(p),
        "maxrl": lambda: -sum((1 - p) ** j / j for j in range(1, kw.get("T", 1) + 1)),
        "pass_at_k": lambda: 1 - (1 - p) ** kw.get("k", 1), "dco": lambda: np.log(1 - (1 - p) ** kw.get("n", 1)),
    }[method]()


def escape_slopes(methods, p0s, g: int = 32, model: SoftModel = SoftModel()) -> list[dict]:
    """Escape-time slope of log T vs log(1/p0) for each (method, kwargs, verifier) under dθ/dt = −E[ĝ].

    ``methods`` is a list of (method, kwargs, verifier) with verifier in {"hard", "soft", "population"}."""
    rows = []
    for method, kw, verifier in methods:
        if verifier == "population":
            amp = lambda th, m=method, kw=kw: float(population_amplification(m, model.success(th), **kw))  # noqa: E731
        elif verifier == "hard":
            amp = lambda th, m=method, kw=kw: float(expected_amplification(m, model.success(th), g, **kw))  # noqa: E731
        else:
            amp = lambda th, m=method, kw=kw: float(soft_amplification(m, th, g, model=model, **kw)[0])  # noqa: E731
        slope, se, times = escape_slope(amp, model, p0s)
        rows.append(dict(method=method, verifier=verifier, G=g, slope=slope, slope_se=se, times=times.tolist(),
                         p0=list(map(float, p0s)), **kw))
    return rows


def verify_atlas(ctx) -> "Verdict":
    """ATLAS (SPEC §3): finite-group amplifications are polynomials that cap for P ≪ 1/G; soft w escapes."""
    from tsallis_theory.claims import PARTIAL, VERIFIED, Verdict
    from tsallis_theory.estimators import GradientCoefficients
    from tsallis_theory.estimators.testbed import TabularLatentModel, ordered_pools

    nums: dict = {}
    g = 32
    # the (method, params) read off the estimators at each G, each G in one jitted call (cases as below)
    cases4 = [("grpo", {}), ("garl", {"q": 0.5}), ("garl_rloo", {"q": 0.75}), ("maxrl", {"T": 2}),
              ("pass_at_k", {"k": 3}), ("dco", {"n": 2}), ("dr_grpo", {}), ("iwae", {})]
    unbiased16 = [("rloo", {}), ("dr_grpo", {}), ("maxrl", {"T": 5}), ("pass_at_k", {"k": 4}), ("rlvr", {})]
    hard = [("rlvr", {}), ("rloo", {}), ("dr_grpo", {}), ("grpo", {}), ("garl", {"q": 0.5}), ("garl", {"q": 1.0}),
            ("iwae", {}), ("maxrl", {"T": 8}), ("pass_at_k", {"k": 8}), ("dco", {"n": 32})]
    caps = (0.25, 0.5, 0.75)
    grpo0 = ("grpo", {"eps": 0.0})
    count_weights_many([grpo0, *cases4], 4)
    count_weights_many(unbiased16, 16)
    count_weights_many([grpo0, *hard, *(("garl", {"q": q}) for q in caps)], g)
    # 1. GRPO against SPEC's closed form E_K[√(K(G−K))]/G/(P(1−P)) (eps = 0) and its P → 0 limit √(G−1)
    err = 0.0
    for g in (4, 32):
        p = np.geomspace(1e-6, 0.9, 9)
        kk = np.arange(g + 1)
        spec = (_binomial_pmf(g, p) @ np.sqrt(kk * (g - kk))) / g / (p * (1 - p))
        err = max(err, float(np.max(np.abs(expected_amplification("grpo", p, g, eps=0.0) / spec - 1))))
    lim = expected_amplification("grpo", 1e-12, 32, eps=0.0) / np.sqrt(31) - 1
    nums["grpo_closed_form_max_rel_err"], nums["grpo_limit_rel_err"] = err, float(lim)
    # 2. the binomial formula against exact enumeration of every pool (tabular model, 0/1 w, G = 4)
    model = TabularLatentModel(np.array([0.0, 0.7, -1.5]), np.array([0.0, 0.0, 1.0]))
    pools, probs = ordered_pools(model, 4)
    scores = hard_scores([grpo0, *cases4], model.w[pools])[1:]  # the G = 4 compile of the count weights
    enum_err = 0.0
    for (method, kw), score in zip(cases4, scores):
        mean = probs @ model.estimate(GradientCoefficients(score, np.zeros_like(score)), pools)
        pred = -expected_amplification(method, model.success, 4, **kw) * model.grad_success()
        enum_err = max(enum_err, float(np.linalg.norm(mean - pred) / np.linalg.norm(pred)))
    nums["binomial_vs_enumeration_rel_err"] = enum_err
    # 3. unbiased estimators equal their population amplification at every finite G
    p = np.geomspace(1e-6, 0.95, 7)
    unb = max(float(np.max(np.abs(expected_amplification(m, p, 16, **kw)
                                  / population_amplification(m, p, g=16, **kw) - 1)))
              for m, kw in unbiased16)
    nums["unbiased_rel_err"] = unb
    # 4. population formulas against a central difference of each objective
    pp, h = np.array([0.01, 0.2, 0.6]), 1e-6
    fd = max(float(np.max(np.abs((_objective(m, pp + h, **kw) - _objective(m, pp - h, **kw)) / (2 * h)
                                 / population_amplification(m, pp, **kw) - 1)))
             for m, kw in [("rlvr", {}), ("jq", {"q": 0.4}), ("log_likelihood", {}), ("maxrl", {"T": 6}),
                           ("pass_at_k", {"k": 5}), ("dco", {"n": 7})])
    nums["population_vs_finite_difference"] = fd
    # 5. the ceiling: every hard method is flat for P ≪ 1/G; GARL's cap is exactly G^q, GRPO's √(G−1)
    flat = max(abs(expected_amplification(m, 1e-10, g, **kw) / expected_amplification(m, 1e-8, g, **kw) - 1)
               for m, kw in hard)
    cap = {q: expected_amplification("garl", 1e-12, g, q=q) / g**q - 1 for q in caps}
    nums["ceiling_flatness_1e-10_vs_1e-8"], nums["garl_cap_rel_err"] = float(flat), {str(k): float(v) for k, v in cap.items()}
    # 6. soft verifier: GARL's amplification keeps growing like P^{−q} (no ceiling)
    sm = SoftModel()
    ps = np.geomspace(1e-8, 1e-5, 4)
    th = np.array([sm.theta_of_log_p(np.log(x)) for x in ps])
    soft_exp = {}
    for q in (0.5, 1.0):
        # one θ per call: the same (1, C, G) shape (one compile) as the escape-time integrands below
        a = np.array([soft_amplification("garl", t, g, q=q, model=sm)[0] for t in th])
        soft_exp[q] = float(np.polyfit(np.log(ps), np.log(a), 1)[0])
    nums["soft_amplification_exponent"] = {str(k): v for k, v in soft_exp.items()}
    # 7. escape-time slopes of the expected-estimator flows, log T vs log(1/p0)
    qs = (0.5,) if ctx.tier == "fast" else (0.25, 0.5, 0.75)
    p0s = np.geomspace(1e-6, 1e-3, 4)
    specs = [("grpo", {}, "hard")] + [(m, {"q": q}, v) for q in qs for m, v in
                                       (("garl", "hard"), ("garl", "soft"), ("jq", "population"))]
    rows = escape_slopes(specs, p0s, g=g, model=sm)
    nums["escape_slopes"] = [{k: r[k] for k in ("method", "verifier", "slope", "slope_se")} | ({"q": r["q"]} if "q" in r else {})
                             for r in rows]
    hard_ok = all(abs(r["slope"] - 1) < 0.05 for r in rows if r["verifier"] == "hard")
    soft_ok = all(abs(r["slope"] - (1 - r["q"])) < 0.05 for r in rows if r["verifier"] in ("soft", "population"))
    ok = (err < 1e-10 and abs(lim) < 1e-6 and enum_err < 1e-10 and unb < 1e-10 and fd < 1e-5 and flat < 1e-3
          and max(abs(v) for v in cap.values()) < 1e-6 and all(abs(v + q) < 0.02 for q, v in soft_exp.items())
          and hard_ok and soft_ok)
    sl = "; ".join(f"{r['method']}{'' if 'q' not in r else ' q=' + format(r['q'], 'g')} {r['verifier']} "
                   f"{r['slope']:.3f}±{r['slope_se']:.3f}" for r in rows)
    ev = (f"Finite-group expected amplification = exact enumeration to {enum_err:.0e}; GRPO = SPEC closed form to "
          f"{err:.0e}, → √(G−1) as P → 0; RLOO, Dr.GRPO, MaxRL, pass@k exact at finite G ({unb:.0e}). With 0/1 "
          f"rewards every method is flat for P ≪ 1/G (G = 32, change {flat:.0e} from P = 1e-8 to 1e-10; GARL caps at G^q). "
          f"Soft w: GARL amplification ∝ P^{{{soft_exp[0.5]:.3f}}} (q = .5), P^{{{soft_exp[1.0]:.3f}}} (q = 1), no "
          f"ceiling. Escape-time slopes vs 1/p0 (p0 = 1e-6..1e-3): {sl}.")
    return Verdict(VERIFIED if ok else PARTIAL, ev, numbers=nums)
