"""Exact sweeps behind claims BIAS and VAR and the ``estimators`` study: each returns plain result rows.

Every row is a dict of numbers (JSON-ready) with the config fields that identify it, so that the CLI can
write it with ``ResultsFile`` and resume, and the figures and checks read the same rows.

Models (``RolloutPoolModel``):
  SOFT_MODEL  Z = 3, w = (0.05, 0.3, 0.9) parameterised (Thm 6.1 regime, w >= ε = 0.05), P ≈ 0.37
  HARD_MODEL  Z = 3, w = (0, 0, 1): a 0/1 verifier, P ≈ 0.04
  rare_success_model(P)   Z = 2, w = (1e-3, 1): P varied through the prior mass of the good rationale
  scaled_model(c)         Z = 2, w = c·(0.2, 1): P varied by scaling every w (all rationales weak)
"""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np

from tsallis_theory._numerics import fit_power_law
from tsallis_theory.estimators import bias as B
from tsallis_theory.estimators.garl import garl_plugin, garl_rloo
from tsallis_theory.estimators.paft import paft_from_indices
from tsallis_theory.estimators.testbed import (
    RolloutPoolModel,
    pool_moments,
    pool_moments_many,
    resampling_moments,
)

SOFT_MODEL = RolloutPoolModel(np.array([0.3, -0.5, 0.1]), np.array([0.05, 0.3, 0.9]), parameterised=True)
HARD_MODEL = RolloutPoolModel(np.array([0.0, 1.0, -2.0]), np.array([0.0, 0.0, 1.0]))
RARE_FLOOR = 1e-3

# Module-level jitted estimators (q traced): one compile per pool shape, none per q (docs/spec.md §10).
_plugin = jax.jit(garl_plugin)
_rloo = jax.jit(garl_rloo)
_paft = jax.jit(paft_from_indices)
# Both GARL forms in one call, for the exact sums that need both (RLOO-BIAS, VAR): one compile per pool
# shape instead of two. Coefficients stacked as (2, ..., M): plug-in, then RLOO.
_both_forms = jax.jit(lambda lw, q: jax.tree.map(lambda a, b: jnp.stack([a, b]), garl_plugin(lw, q), garl_rloo(lw, q)))


def plugin(q):
    return lambda lw: _plugin(lw, jnp.asarray(q, float))


def rloo_form(q):
    return lambda lw: _rloo(lw, jnp.asarray(q, float))


def paft_form(q):
    return lambda lw, idx: _paft(lw, jnp.asarray(q, float), idx)


def plugin_and_rloo_moments(model: RolloutPoolModel, q: float, m: int):
    """Exact ``pool_moments`` of the GARL plug-in and of GARL-RLOO (M >= 2), from one jitted call."""
    plug, rl = pool_moments_many(model, lambda lw: _both_forms(lw, jnp.asarray(q, float)), m)
    return plug, rl


def rare_success_model(p: float) -> RolloutPoolModel:
    """Z = 2 with w = (ε, 1), ε = 1e-3, and prior mass a on the good rationale so that P = ε + a(1 − ε)."""
    a = (p - RARE_FLOOR) / (1 - RARE_FLOOR)
    return RolloutPoolModel(np.array([0.0, np.log(a / (1 - a))]), np.array([RARE_FLOOR, 1.0]))


def scaled_model(c: float) -> RolloutPoolModel:
    """Z = 2, uniform prior, w = c·(0.2, 1): every answer likelihood scaled by c (P = 0.6c)."""
    return RolloutPoolModel(np.zeros(2), c * np.array([0.2, 1.0]))


def bias_row(model: RolloutPoolModel, q: float, m: int, **key) -> dict:
    """Exact GARL plug-in bias on ``model`` and the Thm 6.1 leading term, in the three normalisations."""
    mom = pool_moments(model, plugin(q), m)
    truth = model.grad_loss(q)
    bias = mom.mean - truth
    lead = B.leading_bias(model, q, m)
    g0 = np.linalg.norm(model.grad_loss(0.0))
    nb, nl = float(np.linalg.norm(bias)), float(np.linalg.norm(lead))
    return dict(key, q=q, M=m, P=model.success, bias=nb, leading=nl,
                remainder=float(np.linalg.norm(bias - lead)),
                cosine=float(bias @ lead / (nb * nl)) if nb > 0 and nl > 0 else float("nan"),
                grad_lq=float(np.linalg.norm(truth)), grad_l0=float(g0), variance=mom.variance)


def bias_vs_m_rows(qs, ms, model: RolloutPoolModel = SOFT_MODEL, family: str = "soft"):
    for q in qs:
        for m in ms:
            yield bias_row(model, q, m, sweep="bias_vs_M", family=family)


def bias_vs_p_rows(qs, ps, m: int, family: str = "rare"):
    make = rare_success_model if family == "rare" else (lambda p: scaled_model(p / 0.6))
    for q in qs:
        for p in ps:
            yield bias_row(make(p), q, m, sweep="bias_vs_P", family=family, P_target=p)


def hard_bias_rows(qs, ms, ps):
    """Exact hard-verifier relative bias (binomial sum) and its large-MP asymptote on an (M, P) grid."""
    for q in qs:
        for m in ms:
            rel = B.hard_verifier_relative_bias(q, m, np.asarray(ps))
            for p, r in zip(ps, np.atleast_1d(rel)):
                yield dict(sweep="hard_bias", q=q, M=m, P=float(p), relative_bias=float(r),
                           asymptote=float(B.hard_verifier_bias_asymptote(q, m, p)))


def variance_row(model: RolloutPoolModel, q: float, m: int, k: int, **key) -> dict:
    """Exact Var(GARL plug-in), Var(GARL RLOO), and Var(PAFT) by enumerating pools and resample tuples."""
    plug, rl = plugin_and_rloo_moments(model, q, m) if m >= 2 else (pool_moments(model, plugin(q), m), None)
    rs = resampling_moments(model, paft_form(q), m, k)
    cond_gap = float(np.max(np.linalg.norm(rs.conditional_means - _plugin_per_pool(model, q, m), axis=1)))
    return dict(key, sweep="variance", q=q, M=m, K=k, var_garl=plug.variance,
                var_garl_rloo=None if rl is None else rl.variance, var_paft=rs.total.variance,
                mean_cond_var=rs.mean_conditional_variance,
                mean_gap=float(np.linalg.norm(rs.total.mean - plug.mean)), cond_mean_gap=cond_gap,
                grad_lq=float(np.linalg.norm(model.grad_loss(q))))


def _plugin_per_pool(model, q, m):
    from tsallis_theory.estimators.testbed import composition_pools

    pools, _ = composition_pools(model, m)
    return model.estimate(plugin(q)(jnp.asarray(model.log_w[pools])), pools)


def hard_p_exponents(q: float, m: int, ps) -> dict:
    """Exponents in P of the hard-verifier GARL bias (ε = 0 end of the rare-success family), exact binomial
    sums at large M: |relative bias| (normalised by ‖∇ℓ_q‖), absolute, and normalised by ‖∇ℓ_0‖ = ‖∇P‖.

    The absolute bias is |relative bias| · P^{-q} · ‖∇P‖, so its exponent depends on how ‖∇P‖ scales as
    P → 0 (claim BIAS, docs/spec.md §7): ``absolute`` uses the two-logit model, where ‖∇P‖ ∝ P(1 − P) (a logit
    on the good rationale's prior mass); ``absolute_unit_grad`` a direct parameterisation θ = P, where
    ‖∇P‖ = 1 for every P."""
    ps = np.asarray(ps, float)
    rel = np.abs(np.atleast_1d(B.hard_verifier_relative_bias(q, m, ps)))
    grad_p = np.array([np.linalg.norm(RolloutPoolModel(np.array([0.0, np.log(p / (1 - p))]),
                                                         np.array([0.0, 1.0])).grad_success()) for p in ps])
    absolute = rel * ps ** (-q) * grad_p
    return {"relative_lq": loglog_slope(ps, rel), "absolute": loglog_slope(ps, absolute),
            "absolute_unit_grad": loglog_slope(ps, rel * ps ** (-q)),
            "relative_l0": loglog_slope(ps, absolute / grad_p)}


def variance_rows(qs, ms, ks, model: RolloutPoolModel = SOFT_MODEL):
    for q in qs:
        for m in ms:
            for k in ks:
                yield variance_row(model, q, m, k)


def loglog_slope(x, y) -> tuple[float, float]:
    """(slope, standard error) of log y on log x: the form the bias rows and the BIAS evidence store."""
    fit = fit_power_law(x, y)
    return fit.slope, fit.stderr
