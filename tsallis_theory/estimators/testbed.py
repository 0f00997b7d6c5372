"""The tabular latent model: a testbed where ∇ℓ_q is exact and estimator moments are exact sums.

One example, Z latent trajectories. Prior p_θ(z|x) = softmax(θ)_z; answer likelihood w_z = p(y*|x, z),
either fixed (soft in [0, 1], or hard 0/1) or parameterised as w_z = σ(φ_z). Then

    P = Σ_z π_z w_z,   ∇_θ P = π ⊙ (w − P),   ∇_φ P = π ⊙ w ⊙ (1 − w),   ∇ℓ_q = −P^{−q} ∇P  (claim DIR)

and the per-rollout gradients are ∇log p(z|x) = (e_z − π, 0) and ∇log p(y*|x, z) = (0, (1 − w_z) e_z).

An estimator is any function ``log_w (..., M) -> GradientCoefficients`` (batched over leading axes); its
estimate for a pool z_1..z_M is ĝ = Σ_m score_m ∇log p(z_m|x) + path_m ∇log p(y*|x, z_m).

Exact moments over all pools: ``pool_moments`` sums over the C(M+Z−1, Z−1) count vectors (compositions)
with multinomial probabilities, which is exact for permutation-equivariant estimators (every method here;
tests/test_estimators_properties.py checks equivariance, and tests/test_estimators.py compares with the Z^M
ordered enumeration of ``ordered_pools``). ``mc_moments`` is the vectorised Monte Carlo fallback with standard errors.
"""

from __future__ import annotations

import dataclasses
import itertools
from typing import Callable

import jax
import jax.numpy as jnp
import numpy as np
from scipy.special import gammaln

from tsallis_theory.estimators._pool import GradientCoefficients
from tsallis_theory.estimators.paft import paft

Estimator = Callable[[jax.Array], GradientCoefficients]


@dataclasses.dataclass(frozen=True)
class RolloutPoolModel:
    """The model rollout pools are drawn from: a softmax prior over Z trajectories and answer likelihoods w_z
    (fixed, or σ(φ_z) if ``parameterised``), with exact moments over every pool of M rollouts. The same
    latent mixture as a gradient-flow model is ``flow.models.LatentMixture``.

    Attributes:
      prior_logits: θ, shape (Z,).
      w: answer likelihoods w_z in [0, 1], shape (Z,); with ``parameterised`` they are σ(φ_z) and
        ∇log w_z = (1 − w_z) on φ_z (needs 0 < w_z < 1).
      parameterised: whether φ is a parameter (adds Z coordinates and the pathwise term).
    """

    prior_logits: np.ndarray
    w: np.ndarray
    parameterised: bool = False

    def __post_init__(self):
        th, w = np.asarray(self.prior_logits, float), np.asarray(self.w, float)
        if th.ndim != 1 or w.shape != th.shape or th.size < 1:
            raise ValueError(f"prior_logits and w must have the same shape (Z,); got {th.shape} and {w.shape}")
        if np.any(~np.isfinite(th)):
            raise ValueError("prior_logits must be finite")
        if np.any((w < 0) | (w > 1)) or np.any(np.isnan(w)):
            raise ValueError("w must be in [0, 1]")
        if self.parameterised and np.any((w <= 0) | (w >= 1)):
            raise ValueError("a parameterised w = σ(φ) must be in (0, 1)")
        object.__setattr__(self, "prior_logits", th)
        object.__setattr__(self, "w", w)

    @property
    def num_latents(self) -> int:
        return self.prior_logits.size

    @property
    def prior(self) -> np.ndarray:
        e = np.exp(self.prior_logits - self.prior_logits.max())
        return e / e.sum()

    @property
    def log_w(self) -> np.ndarray:
        with np.errstate(divide="ignore"):
            return np.log(self.w)

    @property
    def success(self) -> float:
        """P = Σ_z π_z w_z."""
        return float(self.prior @ self.w)

    @property
    def dim(self) -> int:
        return self.num_latents * (2 if self.parameterised else 1)

    def score_vectors(self) -> np.ndarray:
        """∇log p(z|x) for every z, shape (Z, D)."""
        z = self.num_latents
        s = np.eye(z) - self.prior[None, :]
        return np.concatenate([s, np.zeros((z, z))], axis=1) if self.parameterised else s

    def path_vectors(self) -> np.ndarray:
        """∇log p(y*|x, z) for every z, shape (Z, D) (zero unless parameterised)."""
        z = self.num_latents
        if not self.parameterised:
            return np.zeros((z, z))
        return np.concatenate([np.zeros((z, z)), np.diag(1.0 - self.w)], axis=1)

    def grad_success(self) -> np.ndarray:
        """∇P, shape (D,)."""
        pi, w, p = self.prior, self.w, self.success
        g = pi * (w - p)
        return np.concatenate([g, pi * w * (1 - w)]) if self.parameterised else g

    def grad_loss(self, q: float) -> np.ndarray:
        """Exact ∇ℓ_q = −P^{−q} ∇P, shape (D,)."""
        return -self.success ** (-q) * self.grad_success()

    def rollout_moments(self):
        """Var(w), E[g], Cov(g, w) for one rollout, g = −w ∇log p(z, y*|x) (the Thm 6.1 ingredients)."""
        pi, w, p = self.prior, self.w, self.success
        g = -w[:, None] * (self.score_vectors() + self.path_vectors())
        e_g = pi @ g
        return float(pi @ w**2 - p**2), e_g, (pi * w) @ g - e_g * p

    def estimate(self, coef: GradientCoefficients, pools) -> np.ndarray:
        """ĝ for pools of latent indices (..., M) and their coefficients (..., M): shape (..., D)."""
        pools = np.asarray(pools)
        return (np.einsum("...m,...md->...d", np.asarray(coef.score), self.score_vectors()[pools])
                + np.einsum("...m,...md->...d", np.asarray(coef.path), self.path_vectors()[pools]))


def compositions(num_latents: int, m: int) -> np.ndarray:
    """All count vectors n in N^Z with Σ n = M, shape (C(M+Z−1, Z−1), Z)."""
    out = []
    for bars in itertools.combinations(range(m + num_latents - 1), num_latents - 1):
        edges = (-1, *bars, m + num_latents - 1)
        out.append([edges[i + 1] - edges[i] - 1 for i in range(num_latents)])
    return np.asarray(out, dtype=int)


def composition_pools(model: RolloutPoolModel, m: int):
    """Canonical pools (latents sorted) for every composition, and their multinomial probabilities.

    Returns (pools (C, M) int, probs (C,))."""
    counts = compositions(model.num_latents, m)
    with np.errstate(divide="ignore"):
        log_pi = np.log(model.prior)
    log_p = gammaln(m + 1) - gammaln(counts + 1).sum(1) + np.where(counts > 0, counts * log_pi, 0.0).sum(1)
    pools = np.stack([np.repeat(np.arange(model.num_latents), c) for c in counts])
    return pools, np.exp(log_p)


def ordered_pools(model: RolloutPoolModel, m: int):
    """All Z^M ordered pools and their probabilities Π π_{z_m} (the brute-force oracle for small Z, M)."""
    pools = np.array(list(itertools.product(range(model.num_latents), repeat=m)), dtype=int)
    return pools, np.prod(model.prior[pools], axis=1)


@dataclasses.dataclass(frozen=True)
class Moments:
    """Mean (D,), total variance tr Cov (scalar) of an estimator, and the number of pools summed."""

    mean: np.ndarray
    variance: float
    num_pools: int
    mean_se: np.ndarray | None = None  # Monte Carlo standard error of the mean (None when exact)
    variance_se: float | None = None


def pool_moments(model: RolloutPoolModel, estimator: Estimator, m: int, *, ordered: bool = False) -> Moments:
    """Exact E[ĝ] and tr Cov(ĝ) over every pool of M rollouts (compositions, or all ordered pools)."""
    pools, probs = (ordered_pools if ordered else composition_pools)(model, m)
    coef = estimator(jnp.asarray(model.log_w[pools]))
    return _exact_moments(model, pools, probs, np.asarray(coef.score), np.asarray(coef.path))


def pool_moments_many(model: RolloutPoolModel, estimators, m: int, *, ordered: bool = False) -> list[Moments]:
    """``pool_moments`` of several estimators evaluated together (one jitted call, one compile):
    ``estimators(log_w (C, M)) -> GradientCoefficients`` with fields of shape (n, C, M)."""
    pools, probs = (ordered_pools if ordered else composition_pools)(model, m)
    coef = estimators(jnp.asarray(model.log_w[pools]))
    return [_exact_moments(model, pools, probs, score, path)
            for score, path in zip(np.asarray(coef.score), np.asarray(coef.path))]


def _exact_moments(model, pools, probs, score, path) -> Moments:
    est = model.estimate(GradientCoefficients(score, path), pools)
    mean = probs @ est
    return Moments(mean, float(probs @ np.sum((est - mean) ** 2, axis=1)), len(probs))


def sample_pools(key, model: RolloutPoolModel, m: int, n_pools: int) -> np.ndarray:
    """n_pools i.i.d. pools of M rollouts z ~ π, shape (n_pools, M)."""
    return np.asarray(jax.random.categorical(key, jnp.asarray(np.log(model.prior)), shape=(n_pools, m)))


def mc_moments(key, model: RolloutPoolModel, estimator: Estimator, m: int, n_pools: int) -> Moments:
    """Monte Carlo E[ĝ] and tr Cov(ĝ) from n_pools vectorised pools, with standard errors."""
    pools = sample_pools(key, model, m, n_pools)
    est = model.estimate(estimator(jnp.asarray(model.log_w[pools])), pools)
    mean = est.mean(0)
    sq = np.sum((est - mean) ** 2, axis=1)
    return Moments(mean, float(sq.mean() * n_pools / (n_pools - 1)), n_pools,
                   mean_se=est.std(0, ddof=1) / np.sqrt(n_pools), variance_se=float(sq.std(ddof=1) / np.sqrt(n_pools)))


@dataclasses.dataclass(frozen=True)
class ResamplingMoments:
    """Exact moments of a resampling estimator (PAFT, posterior SFT) over pools and resample draws.

    Attributes:
      total: Moments of ĝ over the joint law of (pool, resample indices).
      conditional_means: E[ĝ | pool] for every composition pool, shape (C, D).
      mean_conditional_variance: E_pool[tr Cov(ĝ | pool)].
      probs: the pools' probabilities, shape (C,).
    """

    total: Moments
    conditional_means: np.ndarray
    mean_conditional_variance: float
    probs: np.ndarray


def resampling_moments(model: RolloutPoolModel, coef_from_indices, m: int, k: int) -> ResamplingMoments:
    """Enumerate every pool (compositions) and every ordered K-tuple of resample indices r ~ Cat(w/Σw).

    ``coef_from_indices(log_w (B, M), indices (B, K)) -> GradientCoefficients``. All-failed pools, where
    the resampling law is undefined, carry the tuple (0, ..., 0) with probability 1.
    """
    pools, probs = composition_pools(model, m)
    tuples = np.array(list(itertools.product(range(m), repeat=k)), dtype=int)  # (R, K)
    w = model.w[pools]  # (C, M)
    tot = w.sum(1, keepdims=True)
    post = np.where(tot > 0, w / np.where(tot > 0, tot, 1.0), np.eye(1, m))  # (C, M)
    t_probs = np.prod(post[:, tuples], axis=2)  # (C, R)
    c, r = t_probs.shape
    log_w = np.repeat(model.log_w[pools], r, axis=0)
    idx = np.tile(tuples, (c, 1))
    coef = coef_from_indices(jnp.asarray(log_w), jnp.asarray(idx))
    est = model.estimate(coef, np.repeat(pools, r, axis=0)).reshape(c, r, -1)
    cond_mean = np.einsum("cr,crd->cd", t_probs, est)
    cond_var = np.einsum("cr,cr->c", t_probs, np.sum((est - cond_mean[:, None]) ** 2, axis=2))
    joint = probs[:, None] * t_probs
    mean = np.einsum("cr,crd->d", joint, est)
    var = float(np.einsum("cr,cr->", joint, np.sum((est - mean) ** 2, axis=2)))
    return ResamplingMoments(Moments(mean, var, c * r), cond_mean, float(probs @ cond_var), probs)


def paft_resampling_variance(model, q, m, k) -> float:
    """E_pool[tr Cov(PAFT | pool)] at K resamples: the excess of Var(PAFT) over Var(GARL) in VAR (v1 Prop D.4),
    from the multinomial law of the resample counts (closed form)."""
    pools, probs = composition_pools(model, m)
    v = (model.score_vectors() + model.path_vectors())[pools]  # (C, M, D)
    w = model.w[pools]
    post = w / w.sum(1, keepdims=True)
    scale = w.mean(1) ** (1 - q)
    second = np.einsum("cm,cm->c", post, np.sum(v * v, axis=2))
    first = np.einsum("cm,cmd->cd", post, v)
    return float(probs @ (scale**2 / k * (second - np.sum(first**2, axis=1))))


_paft_jit = jax.jit(paft, static_argnums=3)


def paft_sampled(key, log_w, q, k: int):
    """``paft(key, log_w, q, k)`` jitted with K static: the sampling implementation the Monte Carlo checks use."""
    return _paft_jit(key, log_w, q, k)
