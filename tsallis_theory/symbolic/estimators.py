"""Symbolic proofs about the pool estimators: ENDPOINTS (Prop D.2), PAFT-BIAS (Prop D.3), RLOO-BIAS (Prop D.1).

Notation (docs/spec.md §6): a pool of M rollouts with answer likelihoods w_m > 0, score directions
S_m = ∇log p(z_m|x) and pathwise directions D_m = ∇log p(y*|x, z_m) (so ∇w_m = w_m D_m), all symbols. Any
estimator is linear in (S, D); ``tsallis_theory.estimators`` returns its coefficients (score_m, path_m).

  GARL plug-in (eq 9):  ĝ = (1/M) Σ_m g_m / w̄^q,  g_m = −w_m S_m − ∇w_m
  GARL RLOO (eq 12):    ĝ = (1/M) Σ_m [−c_m S_m − ∇w_m/w̄^q],  c_m = w_m/w̄^q − (w̄_{¬m})^{1−q}
  PAFT (eq 14):         ĝ = −w̄^{1−q} (1/K) Σ_k (S_{r_k} + D_{r_k}),  r_k ~ Categorical(w/Σw) i.i.d.

ENDPOINTS  q = 0: GARL = E[REINFORCE | pool] (Rao–Blackwellised over the answers y_m ~ p(y|z_m), reward
           1[y_m = y*]), and GARL-RLOO = Rao–Blackwellised REINFORCE with the leave-one-out baseline (RB-RLOO);
           q = 1: GARL = −Σ_m (w_m/Σw)(S_m + D_m), the self-normalised IWAE gradient of −log P;
           PAFT: E[· | pool] at q = 1 is posterior SFT (TRICE / EM), at q = 0 it is w̄ × posterior SFT.
PAFT-BIAS  E[PAFT | pool] = GARL plug-in for every q, by enumerating all M^K resample tuples (M = 3, K ≤ 3).
RLOO-BIAS  E_pool[(1/M) Σ_m (w̄_{¬m})^{1−q} ∇log p(z_m)] = 0: the baseline does not involve z_m and
           E[∇log p(z)] = 0; shown exactly for a softmax prior over 3 trajectories with symbolic logits, M = 2
           and M = 3, by enumerating every pool.
"""

from __future__ import annotations

import functools
import itertools

import numpy as np
import sympy as sp

from tsallis_theory.symbolic._proof import Proof, SpotCheck

q = sp.Symbol("q", real=True)
M_POOL = 3
W = sp.symbols("w1:4", positive=True)
S = sp.symbols("S1:4", real=True)
D = sp.symbols("D1:4", real=True)


def _coefficients(expr, m):
    """(score_m, path_m) of an estimator expression linear in S and D."""
    return [sp.diff(expr, S[i]) for i in range(m)], [sp.diff(expr, D[i]) for i in range(m)]


def garl_plugin_expr(w=W, order=q):
    m = len(w)
    wbar = sum(w) / m
    return sum(-wm * sm - wm * dm for wm, sm, dm in zip(w, S, D)) / m / wbar**order


def garl_rloo_expr(w=W, order=q):
    m = len(w)
    wbar = sum(w) / m
    terms = []
    for i in range(m):
        loo = (sum(w) - w[i]) / (m - 1)
        c = w[i] / wbar**order - loo ** (1 - order)
        terms.append(-c * S[i] - w[i] * D[i] / wbar**order)
    return sum(terms) / m


def paft_expectation_expr(w=W, order=q, k=2, resample="posterior"):
    """E[PAFT | pool] by enumerating all M^K index tuples; ``resample`` = "posterior" (w/Σw, the paper's) or
    "uniform" (a wrong resampler, for tests)."""
    m = len(w)
    wbar, total = sum(w) / m, sum(w)
    probs = [wm / total for wm in w] if resample == "posterior" else [sp.Rational(1, m)] * m
    expectation = 0
    for r in itertools.product(range(m), repeat=k):
        expectation += sp.Mul(*[probs[i] for i in r]) * (-(wbar ** (1 - order)) * sum(S[i] + D[i] for i in r) / k)
    return expectation


def rb_reinforce_expr(w=W, baseline=False):
    """E over answers y_m ~ p(y|z_m) of the REINFORCE estimate of ∇ℓ_0 = −∇P, reward R_m = 1[y_m = y*]:
    −(1/M) Σ_m (R_m − b_m) ∇log p(z_m, y_m|x), b_m = mean_{j≠m} R_j if ``baseline`` else 0.

    Enumerates the 2^M hit/miss outcomes; ∇log p(y*|z) = D, ∇log p(miss|z) = ∇log(1 − w) = −w D/(1 − w).
    """
    m = len(w)
    total = 0
    for hits in itertools.product((1, 0), repeat=m):
        prob = sp.Mul(*[wm if h else 1 - wm for wm, h in zip(w, hits)])
        estimate = 0
        for i in range(m):
            b = sum(hits[j] for j in range(m) if j != i) / sp.Integer(m - 1) if baseline else 0
            dlog_y = D[i] if hits[i] else -w[i] * D[i] / (1 - w[i])
            estimate += -(hits[i] - b) * (S[i] + dlog_y)
        total += prob * estimate / m
    return total


def posterior_sft_expr(w=W):
    """Posterior SFT on the pool (TRICE / EM E-step, self-normalised IWAE): −Σ_m (w_m/Σw)(S_m + D_m)."""
    return -sum(wm * (sm + dm) for wm, sm, dm in zip(w, S, D)) / sum(w)


def _reduce_pool(expr):
    # Split powers of products/quotients of positive factors so that w̄^{1−q}·w̄^{q} combines, then cancel.
    return sp.cancel(sp.powsimp(sp.expand_power_base(sp.together(expr), force=True)))


@functools.lru_cache(maxsize=None)
def prove_endpoints() -> Proof:
    """Prove ENDPOINTS for a symbolic pool of M = 3 (K = 2 resamples for PAFT)."""
    proof = Proof("ENDPOINTS")
    proof.identity("q = 0: GARL plug-in = RB-REINFORCE (2^M answer outcomes)",
                   garl_plugin_expr(order=0) - rb_reinforce_expr(), _reduce_pool)
    proof.identity("q = 0: GARL-RLOO = RB-RLOO", garl_rloo_expr(order=0) - rb_reinforce_expr(baseline=True), _reduce_pool)
    proof.identity("q = 1: GARL plug-in = IWAE −Σ(w_m/Σw)(S_m + D_m)", garl_plugin_expr(order=1) - posterior_sft_expr(),
                   _reduce_pool)
    proof.identity("q = 1: E[PAFT | pool] = posterior SFT (TRICE / EM)",
                   paft_expectation_expr(order=1) - posterior_sft_expr(), _reduce_pool)
    proof.identity("q = 0: E[PAFT | pool] = w̄ × posterior SFT",
                   paft_expectation_expr(order=0) - sum(W) / M_POOL * posterior_sft_expr(), _reduce_pool)
    proof.sizes.update(M=M_POOL, K=2, answer_outcomes=2**M_POOL, resample_tuples=M_POOL**2)
    return proof


def _numeric_coefficients(expr, m):
    """Lambdified (score, path) coefficient vectors of a sympy estimator expression, as functions of w."""
    score, path = _coefficients(expr, m)
    return sp.lambdify([W[:m]], [score, path], "numpy")


@functools.lru_cache(maxsize=None)
def _endpoint_oracles():
    return {
        "rb_reinforce": _numeric_coefficients(rb_reinforce_expr(), M_POOL),
        "rb_rloo": _numeric_coefficients(rb_reinforce_expr(baseline=True), M_POOL),
        "posterior_sft": _numeric_coefficients(posterior_sft_expr(), M_POOL),
    }


@functools.lru_cache(maxsize=None)
def _jitted(name: str):
    """The public estimator ``name`` of tsallis_theory.estimators under jax.jit (compiled once per shape)."""
    import jax

    from tsallis_theory import estimators

    return jax.jit(getattr(estimators, name))


def _all_tuples(m, k):
    return np.array(list(itertools.product(range(m), repeat=k)), dtype=np.int32)


def _paft_expectation_numeric(w, order, k):
    """E[PAFT | pool] coefficients from ``paft_from_indices`` over all M^K tuples, weighted by Π w_{r}/Σw."""
    m = len(w)
    tuples = _all_tuples(m, k)
    probs = np.prod((w / w.sum())[tuples], axis=1)
    log_w = np.broadcast_to(np.log(w), (len(tuples), m))
    coef = _jitted("paft_from_indices")(log_w, order, tuples)
    return probs @ np.asarray(coef.score), probs @ np.asarray(coef.path)


def spot_endpoints(n: int, seed: int = 8) -> list[SpotCheck]:
    """``tsallis_theory.estimators`` at q = 0 and 1 vs the endpoint formulas (lambdified from the proof)."""
    from tsallis_theory._config import enable_x64

    enable_x64()
    garl_plugin, garl_rloo = _jitted("garl_plugin"), _jitted("garl_rloo")
    rng = np.random.default_rng(seed)
    oracles = _endpoint_oracles()
    err, pts = 0.0, 0
    for _ in range(n):
        w = rng.uniform(0.05, 0.95, size=M_POOL)
        log_w = np.log(w)
        pairs = [
            (garl_plugin(log_w, 0.0), oracles["rb_reinforce"](w)),
            (garl_rloo(log_w, 0.0), oracles["rb_rloo"](w)),
            (garl_plugin(log_w, 1.0), oracles["posterior_sft"](w)),
        ]
        for coef, (score, path) in pairs:
            err = max(err, float(np.max(np.abs(np.asarray(coef.score) - score))),
                      float(np.max(np.abs(np.asarray(coef.path) - path))))
        score1, path1 = oracles["posterior_sft"](w)
        for order, scale in ((1.0, 1.0), (0.0, w.mean())):
            e_score, e_path = _paft_expectation_numeric(w, order, 2)
            err = max(err, float(np.max(np.abs(e_score - scale * np.asarray(score1)))),
                      float(np.max(np.abs(e_path - scale * np.asarray(path1)))))
        pts += 5
    return [SpotCheck("garl_plugin / garl_rloo / paft_from_indices (all 9 tuples) at q ∈ {0, 1} vs RB-REINFORCE, "
                      "RB-RLOO, IWAE, posterior SFT (max abs coefficient)", err, 1e-13, pts)]


# --------------------------------------------------------------------------------------------------------------
# PAFT-BIAS


@functools.lru_cache(maxsize=None)
def prove_paft_bias(resample: str = "posterior") -> Proof:
    """Prove PAFT-BIAS for M = 3 and K ∈ {1, 2, 3} with symbolic q, by enumerating all M^K resample tuples."""
    proof = Proof("PAFT-BIAS")
    for k in (1, 2, 3):
        proof.identity(f"K = {k}: E[PAFT | pool] = GARL plug-in ({M_POOL ** k} tuples)",
                       paft_expectation_expr(k=k, resample=resample) - garl_plugin_expr(), _reduce_pool)
    proof.sizes.update(M=M_POOL, K_max=3, resample_tuples=sum(M_POOL**k for k in (1, 2, 3)))
    return proof


def spot_paft_bias(n: int, seed: int = 9) -> list[SpotCheck]:
    """paft_from_indices averaged over all M^K tuples vs garl_plugin (M = 3, K = 2 and M = 4, K = 3)."""
    from tsallis_theory._config import enable_x64

    enable_x64()
    garl_plugin = _jitted("garl_plugin")
    rng = np.random.default_rng(seed)
    err, pts = 0.0, 0
    for _ in range(n):
        for m, k in ((3, 2), (4, 3)):
            w = rng.uniform(0.02, 0.98, size=m)
            for order in (0.0, 0.3, 0.7, 1.0):
                e_score, e_path = _paft_expectation_numeric(w, order, k)
                g = garl_plugin(np.log(w), order)
                err = max(err, float(np.max(np.abs(e_score - np.asarray(g.score)))),
                          float(np.max(np.abs(e_path - np.asarray(g.path)))))
                pts += 1
    return [SpotCheck("E over all M^K tuples of paft_from_indices vs garl_plugin (max abs coefficient)", err, 1e-14, pts)]


# --------------------------------------------------------------------------------------------------------------
# RLOO-BIAS

N_TRAJ = 3
LOGITS = sp.symbols("a1:4", real=True)
W_TRAJ = sp.symbols("v1:4", positive=True)  # answer likelihood of each trajectory


@functools.lru_cache(maxsize=None)
def prove_rloo_bias(baseline: str = "leave-one-out") -> Proof:
    """Prove RLOO-BIAS: the expected baseline term vanishes for M = 2 and M = 3 (all pools enumerated).

    ``baseline`` = "leave-one-out" (w̄_{¬m}^{1−q}, the paper's) or "pool-mean" (w̄^{1−q}, which involves z_m
    and so biases the estimator: the proof fails, as it should).
    """
    proof = Proof("RLOO-BIAS")
    ea = [sp.exp(x) for x in LOGITS]
    prior = [e / sum(ea) for e in ea]
    A = sp.symbols("A1:4", positive=True)
    to_a = {e: a for e, a in zip(ea, A)}
    # ∇_a log π_z, as rational functions of A_i = exp(a_i).
    dlog = [[sp.diff(sp.log(p), x).subs(to_a) for x in LOGITS] for p in prior]
    prior_a = [p.subs(to_a) for p in prior]
    proof.identities("E_z[∇log π_z] = 0", [sum(prior_a[z] * dlog[z][i] for z in range(N_TRAJ)) for i in range(N_TRAJ)])
    # The GARL estimators written out on symbolic rollouts differ exactly by the baseline term.
    proof.identity("GARL-RLOO − GARL plug-in = (1/M) Σ (w̄_{¬m})^{1−q} S_m",
                   garl_rloo_expr() - garl_plugin_expr()
                   - sum(((sum(W) - W[i]) / (M_POOL - 1)) ** (1 - q) * S[i] for i in range(M_POOL)) / M_POOL,
                   _reduce_pool)
    pools = 0
    for m in (2, 3):
        expected = [0] * N_TRAJ
        for pool in itertools.product(range(N_TRAJ), repeat=m):
            prob = sp.Mul(*[prior_a[z] for z in pool])
            ws = [W_TRAJ[z] for z in pool]
            for i, z in enumerate(pool):
                if baseline == "leave-one-out":
                    b = ((sum(ws) - ws[i]) / (m - 1)) ** (1 - q)
                else:
                    b = (sum(ws) / m) ** (1 - q)
                for j in range(N_TRAJ):
                    expected[j] += prob * b * dlog[z][j] / m
            pools += 1
        proof.identities(f"M = {m}: E_pool[(1/M) Σ_m b_m ∇log π(z_m)] = 0 ({N_TRAJ ** m} pools)", expected, _reduce_pool)
    proof.sizes.update(trajectories=N_TRAJ, pools_enumerated=pools)
    return proof


def _pool_expectation_numeric(estimator, logits, v, order, m):
    """E over all pools of Σ_m score_m ∇log π(z_m) (a vector over logits) and of the path coefficients."""
    prior = np.exp(logits - logits.max())
    prior /= prior.sum()
    pools = _all_tuples(len(prior), m)
    probs = np.prod(prior[pools], axis=1)
    coef = estimator(np.log(v[pools]), order)
    score = np.asarray(coef.score)  # (pools, M)
    dlog = np.eye(len(prior))[pools] - prior  # ∇_a log π(z) = e_z − π, shape (pools, M, N)
    return probs @ np.einsum("pm,pmn->pn", score, dlog), probs @ np.asarray(coef.path)


def spot_rloo_bias(n: int, seed: int = 10) -> list[SpotCheck]:
    """Exact pool enumeration with garl_rloo vs garl_plugin (M = 2, 3; also 4 when n > 4): same expected gradient."""
    from tsallis_theory._config import enable_x64

    enable_x64()
    garl_plugin, garl_rloo = _jitted("garl_plugin"), _jitted("garl_rloo")
    pool_sizes = (2, 3) if n <= 4 else (2, 3, 4)  # M = 4 (81 pools) in the full tier
    rng = np.random.default_rng(seed)
    err, pts = 0.0, 0
    for _ in range(n):
        logits, v = rng.normal(size=N_TRAJ), rng.uniform(0.02, 0.98, size=N_TRAJ)
        for m in pool_sizes:
            for order in (0.0, 0.5, 1.0):
                rs, rp = _pool_expectation_numeric(garl_rloo, logits, v, order, m)
                ps, pp = _pool_expectation_numeric(garl_plugin, logits, v, order, m)
                err = max(err, float(np.max(np.abs(rs - ps))), float(np.max(np.abs(rp - pp))))
                pts += 1
    return [SpotCheck(f"E_pool of garl_rloo − garl_plugin over all pools, M ∈ {set(pool_sizes)} (max abs)", err, 1e-14, pts)]
