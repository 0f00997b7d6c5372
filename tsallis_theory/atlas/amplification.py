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

Methods are ``estimators.Method`` declarations (the lab's own in ``estimators.methods``; the population
formulas above live there): every function here takes a Method, a declared name, "package.module:attr" or a
coefficient function, so a user's method gets its exact f'_G, its soft amplification (``soft_ok``), its
escape slopes and its exact bias against J_Q (``bias_against_jq``) without any edit here.
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

_LAB = E.declared()  # the lab's own methods (``estimators.methods``), declared like any user's
HARD_METHODS = tuple(name for name, m in _LAB.items() if m.hard_ok)
SOFT_METHODS = tuple(name for name, m in _LAB.items() if m.soft_ok)
POPULATION_ONLY = tuple(name for name, m in _LAB.items() if m.coefficients is None)
METHODS = tuple(_LAB)


def _resolve(method, params: dict, g: int | None) -> E.Method:
    """The Method of ``method`` (a Method, a declared name, "package.module:attr" or a coefficient function),
    its parameters checked."""
    m = E.get_method(method)
    m.check_params(params, g)
    return m


def population_amplification(method, p, *, q=None, k=None, T=None, n=None, g=None, eps: float = 0.0,
                             std: str = "population"):
    """f'(P) of the method's population objective (infinite group; GRPO's large-G limit), shape of p.

    ``method`` is any declared method (``estimators.Method``) that states its population amplification.
    ``g`` only enters Dr.GRPO's (G−1)/G; ``eps`` and ``std`` (``estimators.GRPO_STD``) only GRPO, and neither
    changes its large-G limit 1/√(P(1−P)) (the two stds differ by √(G/(G−1)) → 1)."""
    m = _resolve(method, dict(q=q, k=k, T=T, n=n), None)
    E.check_grpo_convention(std, eps)
    if m.population_amplification is None:
        raise ValueError(f"method {m.name!r} states no population amplification; give a finite g")
    return m.population_amplification(np.asarray(p, float), **m.params(dict(q=q, k=k, T=T, n=n, g=g)))


def _hard_estimator(method, q=None, k=None, T=None, n=None, eps: float = 1e-6,
                    std: str = "population") -> Callable:
    """The method's estimator on 0/1 rewards (rewards (B, G) -> GradientCoefficients)."""
    m = E.get_method(method)
    params = m.params(dict(q=q, k=k, T=T, n=n, eps=eps, std=std))
    if m.inputs == "log_w":
        return lambda r: m(jnp.log(r), **params)  # 0/1 rewards as log w in {−inf, 0}
    return lambda r: m(r, **params)


# Batch rows are padded to a multiple of this, so that pools of one G share one XLA compile (canonical
# pools, enumerated pools); rows are independent, the padding (all-failed pools) is dropped.
_ROW_BUCKET = 128


def _spec(method, params: dict) -> tuple:
    """(static structure, traced q, traced eps) of one hard-verifier method: q and eps do not recompile."""
    return ((E.get_method(method), params.get("k"), params.get("T"), params.get("n"), params.get("std", "population")),
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
    return (g, bool(jax.config.jax_enable_x64), *_spec(method, params))


def count_weights_many(entries, g: int) -> list[tuple[np.ndarray, np.ndarray]]:
    """``count_weights`` of several (method, params) at one G, the missing ones computed in one jitted call.

    A method declared outside the lab is first run eagerly on the canonical pools (and on them among other
    pools), so that a wrong shape, NaN or a dependence on other pools is a one-line error naming it."""
    missing = [(m, p) for m, p in entries if _count_key(m, g, p) not in _COUNT_WEIGHTS]
    for m, p in missing:
        method = E.get_method(m)
        if not E.is_lab_method(method):
            E.check_method_output(method, canonical_pools(g), method.params(p))
    if missing:
        scores = hard_scores(missing, canonical_pools(g))
        for (m, p), score in zip(missing, scores):
            a_s = np.concatenate([[0.0], -score[1:, 0]])
            a_f = np.concatenate([-score[:-1, g - 1], [0.0]])
            _COUNT_WEIGHTS[_count_key(m, g, p)] = (a_s, a_f)
    return [_COUNT_WEIGHTS[_count_key(m, g, p)] for m, p in entries]


def count_weights(method, g: int, q=None, k=None, T=None, n=None, eps: float = 1e-6,
                  std: str = "population"):
    """(a_success(K), a_failure(K)) for K = 0..G read off the estimator on canonical pools; shapes (G+1,).

    a = −score (the weight on ∇log p(τ_m|x) in the *ascent* direction). a_success(0) and a_failure(G)
    are unused (no such rollout) and set to 0."""
    return count_weights_many([(method, dict(q=q, k=k, T=T, n=n, eps=eps, std=std))], g)[0]


def success_gap(method, g: int, q=None, k=None, T=None, n=None, eps: float = 1e-6,
                std: str = "population") -> np.ndarray:
    """a(1, K+1) − a(0, K) for K = 0..G−1, shape (G,): what rollout m's own success adds to its weight when the
    other G−1 rollouts hold K successes. From ``count_weights``, except for methods that declare their exact
    ``success_gap`` (pass@k and DCO: ``coverage`` in log space, where the difference of the rounded weights
    would cancel)."""
    m = E.get_method(method)
    if m.success_gap is not None:
        return np.asarray(m.success_gap(g, **m.params(dict(q=q, k=k, T=T, n=n), include_options=False)))
    a_s, a_f = count_weights(m, g, q, k, T, n, eps, std)
    return a_s[1:] - a_f[:-1]


def finite_group_amplification(gap, p):
    """f'_G(P) = G · E_{K'~Binomial(G−1, P)}[gap[K']] for a success gap a(1, K'+1) − a(0, K') of shape (G,);
    shape of p. The binomial enumeration behind ``expected_amplification``, for weights computed elsewhere."""
    gap = np.asarray(gap, float)
    if gap.ndim != 1 or gap.size < 2:
        raise ValueError(f"gap must have shape (G,) with G >= 2; got {gap.shape}")
    V.check_range("p", p, 0.0, 1.0)
    g = gap.size
    out = g * (binomial_pmf(g - 1, p) @ gap)  # (..., G): K' = 0..G−1
    return out if np.ndim(out) else float(out)


def expected_amplification(method, p, g: int | None = None, *, q=None, k=None, T=None, n=None,
                           eps: float = 1e-6, std: str = "population"):
    """Exact expected amplification f'_G(P) of ``method`` with G rollouts and a 0/1 verifier.

    E[ĝ] = −f'_G(P)∇P for every model (it depends only on P). ``g=None`` gives the population f'(P).

    Args:
      method: a declared method (``estimators.Method``, its name, e.g. one of ``METHODS``, or
        "package.module:attr") or a coefficient function of a log-w pool.
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
    m = _resolve(method, dict(q=q, k=k, T=T, n=n), g)
    if not m.hard_ok:
        raise ValueError(f"method {m.name!r} has no finite-group estimator; use g=None")
    E.check_grpo_convention(std, eps)
    V.check_range("p", p, 0.0, 1.0)
    gap = success_gap(m, g, None if q is None else float(q), k, T, n, float(eps), std)
    return finite_group_amplification(gap, p)


def bias_against_jq(method, q, g: int, p, **params):
    """Exact relative bias of ``method`` against ∇J_Q with a 0/1 verifier: f'_G(P)/P^{−q} − 1 (claim BIAS).

    E[ĝ] = −f'_G(P)∇P and ∇ℓ_q = −P^{−q}∇P, so the ratio holds for every model; for GARL it is
    ``estimators.hard_verifier_relative_bias``. ``params``: the method's own (q is passed on when it needs q).
    Args: q in [0, 1]; g >= 2; p in (0, 1]."""
    V.check_range("q", q, *V.Q_RANGE)
    V.check_range("p", p, 0.0, 1.0, low_open=True)
    m = E.get_method(method)
    if "q" in m.needs:
        params = dict(params, q=q)
    amp = expected_amplification(m, p, g, **params)
    out = np.asarray(amp) * np.asarray(p, float) ** float(q) - 1.0
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


@functools.lru_cache(maxsize=None)
def _soft_jit(method: E.Method):
    """The method's coefficients on log-w pools, jitted once per method with q traced (docs/spec.md §10)."""
    return jax.jit(lambda lw, q: method(lw, **({"q": q} if "q" in method.needs else {})))


def _soft_estimator(method, q=None):
    m = E.get_method(method)
    return lambda lw: _soft_jit(m)(lw, jnp.asarray(0.0 if q is None else q, float))


@functools.lru_cache(maxsize=64)
def _soft_pools(model: SoftVerifierModel, g: int):
    from tsallis_theory.estimators.testbed import RolloutPoolModel, composition_pools

    tab = RolloutPoolModel(np.log(model.pi), np.full(len(model.offsets), 0.5))
    return composition_pools(tab, g)


def soft_amplification(method, theta, g: int, *, q=None, model: SoftVerifierModel = SoftVerifierModel()):
    """Exact expected amplification −E[ĝ]/(dP/dθ) of a log-w method with a soft verifier, at each θ.

    Sums over all compositions of the G rollouts among the Z types. Args: theta (N,), g >= 1."""
    m = _resolve(method, dict(q=q), None)
    if not m.soft_ok:
        raise ValueError(f"method must be one of {', '.join(SOFT_METHODS)} or a method declared soft_ok for a "
                         f"soft verifier; got {m.name!r}")
    theta = np.atleast_1d(np.asarray(theta, float))
    pools, probs = _soft_pools(model, int(g))  # (C, G)
    lw_z = model.log_w(theta)  # (N, Z)
    lw = lw_z[:, pools]  # (N, C, G)
    coef = _soft_estimator(m, q)(jnp.asarray(lw))
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

def _objective(method, p, **kw):
    """The population objective f(P) whose derivative is the amplification (for the finite-difference check)."""
    m = E.get_method(method)
    if m.objective is None:
        raise ValueError(f"method {m.name!r} states no population objective")
    return m.objective(np.asarray(p, float), **m.params(kw, include_options=False))


def escape_slopes(methods, p0s, g: int = 32, model: SoftVerifierModel = SoftVerifierModel()) -> list[dict]:
    """Escape-time slope of log T vs log(1/p0) for each (method, kwargs, verifier) under dθ/dt = −E[ĝ].

    ``methods`` is a list of (method, kwargs, verifier) with verifier in {"hard", "soft", "population"}; a
    method is any declared method (``estimators.Method``, its name or "package.module:attr")."""
    rows = []
    for method, kw, verifier in methods:
        if verifier == "population":
            amp = lambda th, m=method, kw=kw: float(population_amplification(m, model.success(th), **kw))  # noqa: E731
        elif verifier == "hard":
            amp = lambda th, m=method, kw=kw: float(expected_amplification(m, model.success(th), g, **kw))  # noqa: E731
        else:
            amp = lambda th, m=method, kw=kw: float(soft_amplification(m, th, g, model=model, **kw)[0])  # noqa: E731
        slope, se, times = escape_slope(amp, model, p0s)
        rows.append(dict(method=E.get_method(method).name, verifier=verifier, G=g, slope=slope, slope_se=se, times=times.tolist(),
                         p0=list(map(float, p0s)), **kw))
    return rows
