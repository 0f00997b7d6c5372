"""The amplification atlas (claim ATLAS, docs/spec.md §7): every method as f'(P)·∇P per example.

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
and all cap near a constant for P ≪ 1/G (GRPO: √(G−1) with the population std, (G−1)/√G with the sample std
of TRL and verl; GARL: G^q). ``expected_amplification`` reads a(·,·) off each estimator's own code on the G+1
canonical pools (K successes first); for pass@k and DCO, whose two weights agree to 1e-16 and more as P → 1,
it takes their difference a(1, K+1) − a(0, K) from ``estimators.coverage`` in log space instead
(``success_gap``). A soft w_m (teacher-forced likelihood) escapes the ceiling: ``soft_amplification``
evaluates the log-w methods on the soft model P(θ) = mean_z σ(θ + b_z) exactly. ``amplified_escape_time`` integrates the expected-estimator flow dθ/dt = −E[ĝ]
in u = ln P (docs/spec.md §10).
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
from tsallis_theory._numerics import binomial_pmf, fit_slope
from tsallis_theory.estimators import coverage

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
        V.check_range("q", params["q"], *V.Q_RANGE)
    elif need is not None:
        top = g if g is not None else 10**9
        if isinstance(params[need], bool) or int(params[need]) != params[need] or not 1 <= params[need] <= top:
            raise ValueError(f"{need} must be an integer in [1, {top}]; got {params[need]!r}")


def population_amplification(method: str, p, *, q=None, k=None, T=None, n=None, g=None, eps: float = 0.0,
                             std: str = "population"):
    """f'(P) of the method's population objective (infinite group; GRPO's large-G limit), shape of p.

    ``g`` only enters Dr.GRPO's (G−1)/G; ``eps`` and ``std`` (``estimators.GRPO_STD``) only GRPO, and neither
    changes its large-G limit 1/√(P(1−P)) (the two stds differ by √(G/(G−1)) → 1)."""
    params = dict(q=q, k=k, T=T, n=n)
    _check_method(method, params, None)
    E.check_grpo_convention(std, eps)
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


def _hard_estimator(method: str, q=None, k=None, T=None, n=None, eps: float = 1e-6,
                    std: str = "population") -> Callable:
    """The method's estimator on 0/1 rewards (rewards (B, G) -> GradientCoefficients)."""
    log = lambda r: jnp.log(r)  # noqa: E731  0/1 rewards as log w in {−inf, 0}
    return {
        "rlvr": lambda r: E.rb_reinforce(log(r)),
        "rloo": E.rloo,
        "dr_grpo": E.dr_grpo,
        "grpo": lambda r: E.grpo(r, eps=eps, std=std),
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
    return ((method, params.get("k"), params.get("T"), params.get("n"), params.get("std", "population")),
            float(params.get("q") or 0.0), float(params.get("eps", 1e-6)))


@functools.partial(jax.jit, static_argnums=0)
def _hard_scores_jit(structure, rewards, qs, epss):
    return jnp.stack([_hard_estimator(m, q=qs[i], k=k, T=t, n=n, eps=epss[i], std=std)(rewards).score
                      for i, (m, k, t, n, std) in enumerate(structure)])


def hard_scores(entries, rewards) -> np.ndarray:
    """Scores of several hard-verifier methods on one batch of 0/1 reward pools, in one jitted call.

    Args:
      entries: sequence of (method, params) with params a dict of q, k, T, n, eps, std (as ``expected_amplification``).
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


def count_weights(method: str, g: int, q=None, k=None, T=None, n=None, eps: float = 1e-6,
                  std: str = "population"):
    """(a_success(K), a_failure(K)) for K = 0..G read off the estimator on canonical pools; shapes (G+1,).

    a = −score (the weight on ∇log p(τ_m|x) in the *ascent* direction). a_success(0) and a_failure(G)
    are unused (no such rollout) and set to 0."""
    return count_weights_many([(method, dict(q=q, k=k, T=T, n=n, eps=eps, std=std))], g)[0]


def success_gap(method: str, g: int, q=None, k=None, T=None, n=None, eps: float = 1e-6,
                std: str = "population") -> np.ndarray:
    """a(1, K+1) − a(0, K) for K = 0..G−1, shape (G,): what rollout m's own success adds to its weight when the
    other G−1 rollouts hold K successes. From ``count_weights``, except pass@k and DCO (``coverage`` in log
    space, where the difference of the rounded weights would cancel)."""
    if method == "pass_at_k":
        return coverage.pass_at_k_gap(g, k)
    if method == "dco":
        return coverage.dco_gap(g, n)
    a_s, a_f = count_weights(method, g, q, k, T, n, eps, std)
    return a_s[1:] - a_f[:-1]


def expected_amplification(method: str, p, g: int | None = None, *, q=None, k=None, T=None, n=None,
                           eps: float = 1e-6, std: str = "population"):
    """Exact expected amplification f'_G(P) of ``method`` with G rollouts and a 0/1 verifier.

    E[ĝ] = −f'_G(P)∇P for every model (it depends only on P). ``g=None`` gives the population f'(P).

    Args:
      method: one of ``METHODS`` (hard-verifier methods: ``HARD_METHODS``).
      p: success probability P in [0, 1] (array).
      g: group size G >= 2, or None.
      q, k, T, n: the method's hyper-parameter (``garl*``/``paft``/``jq``: q; pass_at_k: k; maxrl: T; dco: n).
      eps: GRPO's std stabiliser (0 gives the closed form of docs/spec.md §7 E_K[√(K(G−K))]/G/(P(1−P))).
      std: GRPO's std, "population" (ddof = 0) or "sample" (ddof = 1, TRL and verl: ``**E.GRPO_PRESETS["trl"]``).

    Example:
      >>> round(float(expected_amplification("grpo", 1e-12, 17, eps=0.0)), 6)   # → √(G−1)
      4.0
      >>> round(float(expected_amplification("grpo", 0.0, 16, eps=0.0, std="sample")), 4)   # (G−1)/√G
      3.75
    """
    if g is None:
        return population_amplification(method, p, q=q, k=k, T=T, n=n, eps=eps, std=std)
    if isinstance(g, bool) or int(g) != g or int(g) < 2:
        raise ValueError(f"g must be an integer >= 2 (group size) or None; got {g!r}")
    g = int(g)
    _check_method(method, dict(q=q, k=k, T=T, n=n), g)
    if method not in HARD_METHODS:
        raise ValueError(f"method {method!r} has no finite-group estimator; use g=None")
    E.check_grpo_convention(std, eps)
    V.check_range("p", p, 0.0, 1.0)
    gap = success_gap(method, g, None if q is None else float(q), k, T, n, float(eps), std)
    pmf = binomial_pmf(g - 1, p)  # (..., G): K' = 0..G−1
    out = g * (pmf @ gap)
    return out if np.ndim(out) else float(out)


# --- soft verifier: teacher-forced w on the model P(θ) = Σ_z π_z σ(θ + b_z) -----------------------------

@dataclasses.dataclass(frozen=True)
class SoftVerifierModel:
    """A soft verifier on a scalar θ: answer likelihoods w_z = σ(θ + b_z) for Z rationale types drawn from a
    fixed prior π (default uniform), so that P(θ) = Σ_z π_z σ(θ + b_z).

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


_SOFT = {  # jitted once at import (q traced), docs/spec.md §10
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
def _soft_pools(model: SoftVerifierModel, g: int):
    from tsallis_theory.estimators.testbed import RolloutPoolModel, composition_pools

    tab = RolloutPoolModel(np.log(model.pi), np.full(len(model.offsets), 0.5))
    return composition_pools(tab, g)


def soft_amplification(method: str, theta, g: int, *, q=None, model: SoftVerifierModel = SoftVerifierModel()):
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

def amplified_escape_time(amplification_of_theta: Callable[[float], float], model: SoftVerifierModel,
                          p0: float, delta: float = 0.5) -> float:
    """T = ∫ dt from P = p0 to δ under dθ/dt = A(θ)·dP/dθ, integrated in u = ln P:
    dt = du · P / (A(θ) (dP/dθ)²)."""
    def integrand(u):
        th = model.theta_of_log_p(u)
        d = model.dsuccess(th)
        return float(np.exp(u) / (amplification_of_theta(th) * d * d))

    val, _ = integrate.quad(integrand, np.log(p0), np.log(delta), limit=200, epsabs=0.0, epsrel=1e-9)
    return val


def escape_slope(amplification_of_theta, model: SoftVerifierModel, p0s) -> tuple[float, float, np.ndarray]:
    """Least-squares slope (and its standard error) of log T against log(1/p0); returns the times too."""
    times = np.array([amplified_escape_time(amplification_of_theta, model, p0) for p0 in p0s])
    fit = fit_slope(np.log(1.0 / np.asarray(p0s)), np.log(times))
    return fit.slope, fit.stderr, times


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


def escape_slopes(methods, p0s, g: int = 32, model: SoftVerifierModel = SoftVerifierModel()) -> list[dict]:
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
