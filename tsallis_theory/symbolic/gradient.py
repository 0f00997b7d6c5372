"""Symbolic proofs of the gradient geometry: DIR (Prop 4.1) and RLVR (Prop A.1).

DIR:  ℓ_q = (1 − P^{1−q})/(1 − q)  ⇒  ∇ℓ_q = P^{−q} ∇ℓ_0 = P^{1−q} ∇ℓ_1,  ∇ℓ_0 = −∇P,  ∇ℓ_1 = −∇log P.
      Proved for an abstract P(θ) (a sympy Function of three parameters) and for a concrete latent model:
      a softmax prior over 3 trajectories with logits a_z and answer likelihoods w_z = σ(b_z + a_z), so the
      answer likelihood is itself parameterised and ∇P has a pathwise part. For that model we also prove the
      estimator identity E_z[g] = ∇ℓ_0 with g = −w_z ∇log p(z) − ∇w_z (score part + pathwise part).
RLVR: with an exact-match verifier R(y) = 1[y = y*], E[R] = Σ_z p(z) Σ_y p(y|z) 1[y = y*] = P, so
      J_0 = E_data[1 − P] = 1 − E[R].

Spot checks: jax.grad of ``tsallis_theory.q_loss_from_log`` on the same latent model against the sympy
formula −P^{−q}∇P; exact enumeration and Monte Carlo of the reward against ``q_loss(P, 0)``.
"""

from __future__ import annotations

import functools

import numpy as np
import sympy as sp

from tsallis_theory.symbolic._proof import Proof, SpotCheck

# q is any real order except 1 (the q = 1 case is proved separately with ℓ_1 = −log P).
q = sp.Symbol("q", real=True)


def q_loss_expr(p, order=q):
    """The sympy per-example loss ℓ_q(P) = (1 − P^{1−q})/(1 − q); −log P at q = 1."""
    if order == 1:
        return -sp.log(p)
    return (1 - p ** (1 - order)) / (1 - order)


# --------------------------------------------------------------------------------------------------------------
# The concrete latent model shared by the DIR proof and its spot check.

N_TRAJ = 3
A = sp.symbols("a1:4", real=True)  # prior logits
B = sp.symbols("b1:4", real=True)  # answer-likelihood parameters
PARAMS = (*A, *B)


@functools.lru_cache(maxsize=None)
def latent_model():
    """The latent model in sympy: prior π_z = softmax(a)_z, answer likelihood w_z = σ(b_z + a_z), P = Σ π_z w_z.

    Returns (pi, w, P), tuples of sympy expressions in ``PARAMS``.
    """
    ea = [sp.exp(x) for x in A]
    pi = tuple(e / sum(ea) for e in ea)
    w = tuple(1 / (1 + sp.exp(-(b + a))) for a, b in zip(A, B))
    return pi, w, sum(p * wz for p, wz in zip(pi, w))


@functools.lru_cache(maxsize=None)
def prove_dir(sign: int = -1) -> Proof:
    """Prove DIR with the stated sign s of ∇ℓ_0 = s·∇P (the paper's s = −1).

    Steps: (abstract P) ∇ℓ_0 = s∇P, ∇ℓ_q = s·P^{−q}∇P, ∇ℓ_q = P^{1−q}∇ℓ_1, ∇ℓ_1 = P^{−1}∇ℓ_0, ℓ_q → ℓ_1 as
    q → 1; (latent model) the same three gradient identities component by component, E_z[g] = ∇ℓ_0, and the
    pathwise part Σ_z π_z ∇w_z is not identically 0. Any wrong sign fails the first step.
    """
    proof = Proof("DIR")
    theta = sp.symbols("theta1:4", real=True)
    P = sp.Function("P", positive=True)(*theta)
    grad = lambda f: [sp.diff(f, t) for t in theta]  # noqa: E731
    gP, g0, g1, gq = grad(P), grad(q_loss_expr(P, 0)), grad(q_loss_expr(P, 1)), grad(q_loss_expr(P))
    proof.identities("abstract: ∇ℓ_0 = s·∇P", [a - sign * b for a, b in zip(g0, gP)])
    proof.identities("abstract: ∇ℓ_q = s·P^{-q}∇P", [a - sign * P ** (-q) * b for a, b in zip(gq, gP)])
    proof.identities("abstract: ∇ℓ_q = P^{1-q}∇ℓ_1", [a - P ** (1 - q) * b for a, b in zip(gq, g1)])
    proof.identities("abstract: ∇ℓ_1 = P^{-1}∇ℓ_0", [a - b / P for a, b in zip(g1, g0)])
    u = sp.Symbol("u", positive=True)
    proof.identity("ℓ_q → −log P as q → 1", sp.limit(q_loss_expr(u), q, 1) + sp.log(u))

    pi, w, Pm = latent_model()
    gPm, gqm, g1m = grad_latent(Pm), grad_latent(q_loss_expr(Pm)), grad_latent(q_loss_expr(Pm, 1))
    proof.identities("latent model: ∇ℓ_q = s·P^{-q}∇P", [a - sign * Pm ** (-q) * b for a, b in zip(gqm, gPm)])
    proof.identities("latent model: ∇ℓ_q = P^{1-q}∇ℓ_1", [a - Pm ** (1 - q) * b for a, b in zip(gqm, g1m)])
    # E_z[g_z] with g_z = −w_z ∇log π_z − ∇w_z equals ∇ℓ_0 = s·∇P (score part + pathwise part).
    expected_g = [sum(p * (-wz * sp.diff(sp.log(p), t) - sp.diff(wz, t)) for p, wz in zip(pi, w)) for t in PARAMS]
    proof.identities("latent model: E_z[−w_z∇log π_z − ∇w_z] = s·∇P", [a - sign * b for a, b in zip(expected_g, gPm)])
    at_zero = {x: 0 for x in PARAMS}
    pathwise = [sum(p * sp.diff(wz, t) for p, wz in zip(pi, w)).subs(at_zero) for t in PARAMS]
    proof.fact("latent model: pathwise part Σπ_z∇w_z ≠ 0 (at θ = 0)", any(v != 0 for v in pathwise))
    proof.sizes.update(trajectories=N_TRAJ, parameters=len(PARAMS))
    return proof


def grad_latent(expr):
    return [sp.diff(expr, t) for t in PARAMS]


@functools.lru_cache(maxsize=None)
def _latent_grad_p_numeric():
    """(P, ∇P) of the latent model as a NumPy function of the 6 parameters (lambdified sympy)."""
    _, _, Pm = latent_model()
    return sp.lambdify([PARAMS], [Pm, grad_latent(Pm)], "numpy")


@functools.lru_cache(maxsize=None)
def _jax_latent_loss_grad():
    import jax
    import jax.numpy as jnp

    from tsallis_theory import q_loss_from_log

    def loss(theta, order):
        a, b = theta[:N_TRAJ], theta[N_TRAJ:]
        log_p = jax.nn.logsumexp(jax.nn.log_softmax(a) + jax.nn.log_sigmoid(b + a))
        return q_loss_from_log(log_p, order)

    return jax.jit(jax.grad(loss))


def spot_dir(n: int, seed: int = 0) -> list[SpotCheck]:
    """jax.grad of q_loss_from_log on the latent model vs the proved −P^{−q}∇P (sympy), relative error."""
    from tsallis_theory._config import enable_x64

    enable_x64()
    rng = np.random.default_rng(seed)
    grad_jax, p_and_grad = _jax_latent_loss_grad(), _latent_grad_p_numeric()
    errs = []
    for _ in range(n):
        theta = rng.normal(0.0, 2.0, size=2 * N_TRAJ)
        P, gP = p_and_grad(theta)
        for order in (0.0, 0.3, 0.7, 1.0):
            claimed = -(P ** -order) * np.asarray(gP)
            got = np.asarray(grad_jax(theta, order))
            errs.append(np.max(np.abs(got - claimed)) / np.max(np.abs(claimed)))
    # the value too: a gradient check alone passes a loss whose exponent is off (its gradient is the custom JVP)
    from tsallis_theory import q_loss_from_log

    p = np.exp(rng.uniform(-30.0, -0.01, size=8 * n))
    value_errs = []
    for order in (0.0, 0.3, 0.7):
        exact = -np.expm1((1.0 - order) * np.log(p)) / (1.0 - order)  # (1 − P^{1−q})/(1 − q)
        got = np.asarray(q_loss_from_log(np.log(p), order))
        value_errs.append(np.max(np.abs(got / exact - 1.0)))
    got1 = np.asarray(q_loss_from_log(np.log(p), 1.0))
    value_errs.append(np.max(np.abs(got1 / -np.log(p) - 1.0)))
    # and the lab's per-example weight: amplification(P, q) = P^{-q}, the scalar DIR puts in front of ∇ℓ_0
    from tsallis_theory import amplification_from_log

    amp_errs = [np.max(np.abs(np.asarray(amplification_from_log(np.log(p), order)) / np.exp(-order * np.log(p)) - 1.0))
                for order in (0.0, 0.3, 0.7, 1.0)]
    return [SpotCheck("jax.grad(q_loss_from_log) vs −P^{-q}∇P on the latent model (relative)",
                      float(max(errs)), 1e-12, len(errs)),
            SpotCheck("q_loss_from_log vs (1 − P^{1−q})/(1 − q) and −ln P (NumPy, relative)",
                      float(max(value_errs)), 1e-12, 4 * len(p)),
            SpotCheck("amplification_from_log vs P^{-q} (NumPy, relative)", float(max(amp_errs)), 1e-12, 4 * len(p))]


# --------------------------------------------------------------------------------------------------------------
# RLVR


@functools.lru_cache(maxsize=None)
def prove_rlvr(reward_index: int = 0) -> Proof:
    """Prove RLVR for a data set of 2 examples, 3 trajectories and 3 answers each; gold answer index 0.

    The verifier rewards answer ``reward_index`` (exact match means 0, the gold answer; any other index is a
    wrong verifier and fails). Steps: per example E[R] = P; over the data E[R] = E_data[P]; J_0 = 1 − E[R].
    """
    proof = Proof("RLVR")
    n_examples, n_traj, n_answers, gold = 2, 3, 3, 0
    rho = sp.Symbol("rho", positive=True)  # data weight of example 1; example 2 has 1 − rho
    data_weight = (rho, 1 - rho)
    expected_reward, success = [], []
    for x in range(n_examples):
        # Probabilities as free symbols with the last entry fixed by normalisation: the residuals are polynomials.
        c = sp.symbols(f"pi{x}_1:{n_traj}", positive=True)
        prior = [*c, 1 - sum(c)]
        answer = []
        for z in range(n_traj):
            d = sp.symbols(f"p{x}_{z}_1:{n_answers}", positive=True)
            answer.append([*d, 1 - sum(d)])
        reward = [1 if y == reward_index else 0 for y in range(n_answers)]
        expected_reward.append(sum(prior[z] * answer[z][y] * reward[y] for z in range(n_traj) for y in range(n_answers)))
        success.append(sum(prior[z] * answer[z][gold] for z in range(n_traj)))
    for x in range(n_examples):
        proof.identity(f"example {x + 1}: E[1[y = y*]] = P", expected_reward[x] - success[x], sp.expand)
    e_r = sum(wt * r for wt, r in zip(data_weight, expected_reward))
    e_p = sum(wt * p for wt, p in zip(data_weight, success))
    proof.identity("data: E[R] = E_data[P]", e_r - e_p, sp.expand)
    proof.identity("J_0 = E_data[ℓ_0(P)] = 1 − E[R]", sum(wt * q_loss_expr(p, 0) for wt, p in zip(data_weight, success)) - (1 - e_r),
                   sp.expand)
    proof.sizes.update(examples=n_examples, trajectories=n_traj, answers=n_answers)
    return proof


def spot_rlvr(n: int, seed: int = 1) -> list[SpotCheck]:
    """Exact enumeration of E[R] vs 1 − q_loss(P, 0); Monte Carlo sampled reward vs P in standard errors."""
    from tsallis_theory import q_loss
    from tsallis_theory._config import enable_x64

    enable_x64()
    rng = np.random.default_rng(seed)
    exact_err, z_scores = [], []
    samples = 200_000
    for _ in range(n):
        prior = rng.dirichlet(np.ones(3))
        answer = rng.dirichlet(np.ones(4), size=3)  # rows: p(y|z), gold answer y* = 0
        P = float(prior @ answer[:, 0])
        e_r = sum(prior[z] * answer[z, y] * (y == 0) for z in range(3) for y in range(4))
        exact_err.append(abs(e_r - (1.0 - float(q_loss(P, 0.0)))))
        # Sample z ~ prior, then y ~ p(y|z), and score the answer by exact match.
        z = rng.choice(3, size=samples, p=prior)
        y = (rng.random(samples)[:, None] > np.cumsum(answer[z], axis=1)).sum(axis=1)
        r = (y == 0).astype(float)
        z_scores.append(abs(r.mean() - P) / (r.std(ddof=1) / np.sqrt(samples)))
    return [
        SpotCheck("exact E[1[y=y*]] vs 1 − q_loss(P, 0) (absolute)", float(max(exact_err)), 1e-14, len(exact_err)),
        SpotCheck(f"Monte Carlo reward ({samples} draws) vs P, in standard errors", float(max(z_scores)), 4.5,
                  len(z_scores)),
    ]
