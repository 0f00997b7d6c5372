"""Models for the gradient-flow lab: a JAX function θ ↦ ln P(θ) and an initialiser that hits a requested p0.

Every model is a ``FlowModel``: ``log_p(theta)`` (JAX, θ of shape ``(dim,)``), ``init(p0)`` (a NumPy θ with
P(θ) = p0 to float64 rounding, or a ``ValueError`` naming p0 when the model cannot reach it) and
``log_p_range`` (the open interval of reachable ln P). Where ‖s‖² = ‖∇ ln P‖² is a function of P alone
along the flow (symmetric initialisations), ``score_sq_from_log_p`` gives it in NumPy, and the escape time
reduces to a quadrature in ln P (docs/spec.md §3, claims FLOW, SIGMOID).

The families:

* ``Sigmoid``: P = σ(θ); ‖s‖² = (1 − P)² (claim SIGMOID).
* ``LatentMixture``: a softmax prior π = softmax(φ) over N rationales z and answer likelihoods w_z,
  P = Σ_z π_z w_z. ``w`` hard (0/1), soft (in (0, 1)), or learned (w_z = σ(ψ_z), θ = (φ, ψ)).
* ``Chain``: a rationale of L steps, each a softmax over V tokens; correct only if every step is right,
  P = Π_l softmax(θ_l)[0].
* ``MLP``: a one-hidden-layer tanh network on a fixed input, P = softmax(W2 tanh(W1 x + b1) + b2)[0];
  its score norm varies along the path and is not a function of P.

Initialisations: ``"symmetric"`` (equal logits within each class) or ``"random"`` (Gaussian base logits
from ``seed``); both are then shifted along one direction until P = p0, by a closed form or a bracketed
root find on ln P.
"""

from __future__ import annotations

import functools
from typing import Callable

import jax
import jax.numpy as jnp
import numpy as np
from scipy import optimize

INITS = ("symmetric", "random")


def _log1mexp(x):
    """ln(1 − e^x) for x < 0 (NumPy), accurate near 0 and for very negative x."""
    x = np.asarray(x, dtype=np.float64)
    return np.where(x > -np.log(2.0), np.log(-np.expm1(x)), np.log1p(-np.exp(x)))


class FlowModel:
    """A differentiable model of one example's success probability.

    Subclasses set ``name``, ``dim``, ``log_p_range`` and implement ``log_p`` (JAX) and ``_init_log``
    (NumPy θ with ln P(θ) = log_p0). ``score_sq_from_log_p`` is ``None`` unless ‖s‖² depends on P only.
    """

    name: str = "model"
    dim: int = 1
    log_p_range: tuple[float, float] = (-np.inf, 0.0)
    score_sq_from_log_p: Callable[[np.ndarray], np.ndarray] | None = None
    description: str = ""

    def log_p(self, theta):
        """ln P(θ) for θ of shape (dim,): a JAX scalar."""
        raise NotImplementedError

    def _init_log(self, log_p0: float) -> np.ndarray:
        raise NotImplementedError

    def init(self, p0: float) -> np.ndarray:
        """θ of shape (dim,) with P(θ) = p0. Raises ValueError naming p0 if the model cannot reach it."""
        return self.init_log(float(np.log(p0)) if p0 > 0 else -np.inf)

    def init_log(self, log_p0: float) -> np.ndarray:
        lo, hi = self.log_p_range
        if not (lo < log_p0 < hi):
            raise ValueError(
                f"p0 = {np.exp(log_p0):.3g} cannot be reached by model {self.name!r}: its P lies in "
                f"({np.exp(lo):.3g}, {np.exp(hi):.3g})")
        return np.asarray(self._init_log(log_p0), dtype=np.float64)

    # jitted pieces, built once per model instance
    @functools.cached_property
    def value_and_grad(self):
        """θ ↦ (ln P, s = ∇ ln P), jitted."""
        flat = self.log_p_and_score

        def vg(theta):
            out = flat(theta)
            return out[0], out[1:]

        return vg

    @functools.cached_property
    def log_p_and_score(self):
        """θ ↦ [ln P, s_1, ..., s_dim] as one NumPy array of shape (dim + 1,): the solvers' hot path (one
        jitted call and one device-to-host copy per evaluation)."""
        f = jax.jit(lambda th: jnp.concatenate([jnp.atleast_1d(self.log_p(th)), jax.grad(self.log_p)(th)]))
        return lambda theta: np.asarray(f(theta))

    def __repr__(self):
        return f"<{type(self).__name__} {self.name!r} dim={self.dim}>"


class Sigmoid(FlowModel):
    """P = σ(θ), θ scalar: ln P = −softplus(−θ), s = 1 − P, ‖s‖² = (1 − P)² (docs/spec.md §3, claim SIGMOID)."""

    def __init__(self):
        self.name = "sigmoid"
        self.dim = 1
        self.log_p_range = (-np.inf, 0.0)
        self.score_sq_from_log_p = lambda log_p: np.expm1(log_p) ** 2
        self.description = "P = σ(θ)"

    def log_p(self, theta):
        return -jax.nn.softplus(-theta[0])

    def _init_log(self, log_p0):
        return np.array([log_p0 - _log1mexp(log_p0)])  # logit(p0) = ln p0 − ln(1 − p0)


def _solve_shift(log_p_of_shift: Callable[[float], float], log_p0: float, name: str) -> float:
    """The λ with log_p_of_shift(λ) = log_p0 for an increasing function, by bracketing and Brent's method."""
    lo, hi = -1.0, 1.0
    for _ in range(200):
        if log_p_of_shift(lo) < log_p0:
            break
        lo *= 2.0
    else:
        raise ValueError(f"p0 = {np.exp(log_p0):.3g} cannot be reached by model {name!r} (no shift attains it)")
    for _ in range(200):
        if log_p_of_shift(hi) > log_p0:
            break
        hi *= 2.0
    else:
        raise ValueError(f"p0 = {np.exp(log_p0):.3g} cannot be reached by model {name!r} (no shift attains it)")
    return optimize.brentq(lambda lam: log_p_of_shift(lam) - log_p0, lo, hi, xtol=1e-15, rtol=4 * np.finfo(float).eps, maxiter=500)


class LatentMixture(FlowModel):
    """Latent-rationale mixture as a flow model: π = softmax(φ) over N rationales, P = Σ_z π_z w_z
    (docs/spec.md §1). The same model, seen through pools of M rollouts instead of a flow, is
    ``estimators.testbed.RolloutPoolModel``.

    Args:
      w: shape (N,), answer likelihoods w_z = p(y*|x, z) in [0, 1] (0/1 for a hard verifier). With
        ``learn_w`` they are only the initial values' pattern: w_z = σ(ψ_z) with θ = (φ, ψ).
      init: "symmetric" (φ = 0, ψ = logit(w)) or "random" (Gaussian φ, and ψ, from ``seed``).
      learn_w: parameterise w_z = σ(ψ_z) (the pathwise part of the gradient is then non-zero).
      floor: documentation only: the smallest w_z, below which P cannot go.

    The initialiser tilts the prior, φ = φ_base + λ g with g_z = 1[w_z > 0] (hard) or ln w_z (soft; zeros
    count as 1e-3 × the smallest positive w), or
    shifts ψ by λ (learned w); P is increasing in λ and λ is found by a root find on ln P.

    For hard w and symmetric init, by symmetry ‖s‖² = (1 − P)² (1/K + 1/(N − K)) with K correct rationales.
    """

    def __init__(self, w, *, init="symmetric", seed=0, learn_w=False, name=None):
        w = np.asarray(w, dtype=np.float64)
        if w.ndim != 1 or w.size < 2 or np.any(w < 0) or np.any(w > 1):
            raise ValueError("w must be a 1-D array of at least 2 answer likelihoods in [0, 1]")
        if init not in INITS:
            raise ValueError(f"init must be one of {INITS}; got {init!r}")
        self.w = w
        self.n = w.size
        self.learn_w = learn_w
        self.init_kind = init
        rng = np.random.default_rng(seed)
        self.phi_base = np.zeros(self.n) if init == "symmetric" else rng.normal(size=self.n)
        hard = bool(np.all((w == 0) | (w == 1)))
        self.hard = hard
        if learn_w:
            if np.any((w <= 0) | (w >= 1)):
                raise ValueError("w must lie in (0, 1) when learn_w is set (w_z = σ(ψ_z))")
            self.psi_base = np.log(w) - np.log1p(-w)
            if init == "random":
                self.psi_base = self.psi_base + rng.normal(size=self.n)
            self.dim = 2 * self.n
            self.log_p_range = (-np.inf, 0.0)
        else:
            if not np.any(w > 0):
                raise ValueError("w must have at least one positive entry (else P = 0)")
            self.dim = self.n
            self.log_p_range = (float(np.log(w.min())) if w.min() > 0 else -np.inf, float(np.log(w.max())))
            # g is non-decreasing in w, so P = E_π[w] is non-decreasing in λ (dP/dλ = Cov_π(g, w) ≥ 0)
            floor = w[w > 0].min() * 1e-3
            self.tilt = (w > 0).astype(np.float64) if hard else np.log(np.maximum(w, floor))
        self.log_w = np.log(np.where(w > 0, w, 1.0)) + np.where(w > 0, 0.0, -np.inf)
        kind = "learned" if learn_w else ("hard" if hard else "soft")
        self.name = name or f"tabular-{kind}-{init}"
        self.description = f"softmax prior over N={self.n} rationales, {kind} w_z, {init} init"
        if hard and init == "symmetric" and not learn_w:
            k = int(w.sum())
            coeff = 1.0 / k + 1.0 / (self.n - k)
            self.score_sq_from_log_p = lambda log_p: coeff * np.expm1(log_p) ** 2

    def log_p(self, theta):
        if self.learn_w:
            phi, psi = theta[: self.n], theta[self.n:]
            log_w = jax.nn.log_sigmoid(psi)
        else:
            phi, log_w = theta, jnp.asarray(self.log_w)
        return jax.nn.logsumexp(phi + log_w) - jax.nn.logsumexp(phi)

    def _init_log(self, log_p0):
        if self.learn_w:
            def make(lam):
                return np.concatenate([self.phi_base, self.psi_base + lam])
        else:
            def make(lam):
                return self.phi_base + lam * self.tilt
        f = self.value_and_grad
        lam = _solve_shift(lambda lam: float(f(make(lam))[0]), log_p0, self.name)
        return make(lam)


class Chain(FlowModel):
    """A rationale of L steps, each a softmax over V tokens; correct iff every step picks token 0:
    ln P = Σ_l log softmax(θ_l)[0], θ of shape (L·V,) (row-major (L, V)).

    Symmetric init (equal wrong-token logits, equal per-step probability p = P^{1/L}) keeps the steps
    identical, and ‖s‖² = L (1 − p)² V/(V − 1). Random init draws Gaussian wrong-token logits and splits
    ln p0 over the steps with random positive weights; each step's correct logit is then set exactly.
    """

    def __init__(self, steps=4, vocab=8, *, init="symmetric", seed=0, name=None):
        if steps < 1 or vocab < 2:
            raise ValueError("steps must be >= 1 and vocab >= 2")
        if init not in INITS:
            raise ValueError(f"init must be one of {INITS}; got {init!r}")
        self.steps, self.vocab, self.init_kind = steps, vocab, init
        self.dim = steps * vocab
        self.log_p_range = (-np.inf, 0.0)
        rng = np.random.default_rng(seed)
        if init == "symmetric":
            self.base = np.zeros((steps, vocab))
            self.shares = np.full(steps, 1.0 / steps)
            factor = steps * vocab / (vocab - 1)
            self.score_sq_from_log_p = lambda log_p: factor * np.expm1(log_p / steps) ** 2
        else:
            self.base = rng.normal(size=(steps, vocab))
            shares = rng.uniform(0.5, 1.5, size=steps)
            self.shares = shares / shares.sum()
        self.name = name or f"chain-{init}"
        self.description = f"L={steps} steps × V={vocab} tokens, {init} init"

    def log_p(self, theta):
        logits = theta.reshape(self.steps, self.vocab)
        return jnp.sum(jax.nn.log_softmax(logits, axis=-1)[:, 0])

    def _init_log(self, log_p0):
        theta = self.base.copy()
        log_p_step = log_p0 * self.shares
        log_wrong = np.log(np.sum(np.exp(theta[:, 1:]), axis=1))
        # softmax(θ_l)[0] = p_l  ⇔  θ_l0 = logit(p_l) + ln Σ_{j>0} e^{θ_lj}
        theta[:, 0] = log_p_step - _log1mexp(log_p_step) + log_wrong
        return theta.ravel()


class MLP(FlowModel):
    """P = softmax(W2 tanh(W1 x + b1) + b2)[0] for one fixed input x: a non-tabular model whose score norm
    varies along the flow (it is not a function of P). θ = (W1 (H×D), b1 (H), W2 (V×H), b2 (V)) flattened.

    Init: Gaussian weights with 1/√fan-in scale from ``seed``; then b2[0] is set in closed form so that
    P = p0. ``init="symmetric"`` is not offered (a symmetric MLP has a degenerate hidden layer).
    """

    def __init__(self, in_dim=8, hidden=16, classes=8, *, seed=0, name=None):
        rng = np.random.default_rng(seed)
        self.in_dim, self.hidden, self.classes = in_dim, hidden, classes
        self.x = rng.normal(size=in_dim)
        w1 = rng.normal(size=(hidden, in_dim)) / np.sqrt(in_dim)
        b1 = 0.1 * rng.normal(size=hidden)
        w2 = rng.normal(size=(classes, hidden)) / np.sqrt(hidden)
        b2 = np.zeros(classes)
        self.base = np.concatenate([w1.ravel(), b1, w2.ravel(), b2])
        self.dim = self.base.size
        self.log_p_range = (-np.inf, 0.0)
        self.init_kind = "random"
        self.name = name or "mlp-random"
        self.description = f"tanh MLP {in_dim}→{hidden}→{classes}, random init"

    def _unpack(self, theta):
        h, d, v = self.hidden, self.in_dim, self.classes
        i = 0
        w1 = theta[i:i + h * d].reshape(h, d); i += h * d
        b1 = theta[i:i + h]; i += h
        w2 = theta[i:i + v * h].reshape(v, h); i += v * h
        b2 = theta[i:i + v]
        return w1, b1, w2, b2

    def logits(self, theta):
        w1, b1, w2, b2 = self._unpack(theta)
        return w2 @ jnp.tanh(w1 @ self.x + b1) + b2

    def log_p(self, theta):
        return jax.nn.log_softmax(self.logits(theta))[0]

    def _init_log(self, log_p0):
        # b2[0] moves only z_0, so logit P moves by the same amount: shift it by logit(p0) − logit(P(base)).
        theta = self.base.copy()
        log_p_base = float(self.value_and_grad(theta)[0])
        logit = lambda lp: lp - _log1mexp(lp)  # noqa: E731
        theta[self.dim - self.classes] += logit(log_p0) - logit(log_p_base)
        return theta


# The default model set of the sweep, by name.
def _soft_w():
    good = np.array([0.9, 0.7, 0.5, 0.3])
    bad = np.logspace(-30, -20, 12)  # far below every p0 of the sweep: the score stays bounded below
    return np.concatenate([good, bad])


def _floor_w():
    good = np.array([0.9, 0.7, 0.5, 0.3])
    return np.concatenate([good, np.full(12, GUESS_FLOOR)])


GUESS_FLOOR = 5e-13
"""Answer likelihood of every wrong rationale in ``tabular-floor``: P ≥ GUESS_FLOOR, and the score norm
collapses (∝ 1 − GUESS_FLOOR/P) as p0 approaches it: the model that violates ESC-TIGHT's lower bound c."""

_HARD_W = np.array([1.0, 1.0] + [0.0] * 14)

MODEL_FACTORIES: dict[str, Callable[[], FlowModel]] = {
    "sigmoid": Sigmoid,
    "tabular-hard-symmetric": lambda: LatentMixture(_HARD_W, init="symmetric"),
    "tabular-hard-random": lambda: LatentMixture(_HARD_W, init="random", seed=1),
    "tabular-soft-random": lambda: LatentMixture(_soft_w(), init="random", seed=2),
    "tabular-learned-random": lambda: LatentMixture(
        np.array([0.9, 0.7, 0.5, 0.3] + [1e-3] * 12), init="random", seed=3, learn_w=True),
    "tabular-floor-symmetric": lambda: LatentMixture(_floor_w(), init="symmetric", name="tabular-floor-symmetric"),
    "chain-symmetric": lambda: Chain(4, 8, init="symmetric"),
    "chain-random": lambda: Chain(4, 8, init="random", seed=4),
    "mlp-random": lambda: MLP(seed=5),
}
MODEL_NAMES = tuple(MODEL_FACTORIES)


@functools.lru_cache(maxsize=None)
def get_model(name: str) -> FlowModel:
    """The default model called ``name`` (one of ``MODEL_NAMES``), built once per process."""
    if name not in MODEL_FACTORIES:
        raise ValueError(f"model must be one of {', '.join(MODEL_NAMES)}; got {name!r}")
    return MODEL_FACTORIES[name]()
