"""The estimators study: exact bias and variance of GARL and PAFT on the tabular latent model (claims BIAS,
VAR; the variance rows' mean gaps also show RLOO-BIAS and PAFT-BIAS).

Rows (``out/estimators.jsonl``, one ``sweep`` each; the models are ``tsallis_theory.estimators.sweeps``'s):

* ``sweep="bias_vs_M"``: soft model (w >= 0.05), q ∈ {0, .25, .5, .75, 1}, M = 4, 8, ..., max_m: the exact
  GARL plug-in bias ‖E[ĝ] − ∇ℓ_q‖ over all pools and the Thm 6.1 leading term (``sweeps.bias_row``).
* ``sweep="bias_vs_P"``: rare success (w ∈ {1e-3, 1}), M = 1024, six P in [0.02, 0.3].
* ``sweep="hard_bias"``: 0/1 verifier, the exact binomial relative bias E[(K/M)^{1−q}]/P^{1−q} − 1 and its
  large-MP asymptote −q(1−q)(1−P)/(2MP) on an (M, P) grid.
* ``sweep="variance"``: exact Var(GARL plug-in), Var(GARL RLOO) and Var(PAFT, K = 2) for M = 2..variance_max_m,
  enumerating every pool and every resample tuple: Var(PAFT) = Var(GARL) + E[Var(PAFT | pool)].
* ``sweep="mc"``: Monte Carlo of GARL and of the sampling ``paft`` (K = M) over mc_pools pools for each M
  of mc_m, with standard errors, next to the exact values.

Figures (``tsallis_theory.plots.estimators``) read these rows; the ledger's BIAS and VAR checks recompute
their own numbers exactly.
"""

from __future__ import annotations

import dataclasses

import numpy as np

from tsallis_theory.results import run_tasks, study_path

STUDY = "estimators"
QS = (0.0, 0.25, 0.5, 0.75, 1.0)
_M_GRID = (4, 8, 16, 32, 64, 128, 256, 512)



@dataclasses.dataclass(frozen=True)
class Config:
    """What the estimators study computes (see the module docstring for the rows)."""

    max_m: int = dataclasses.field(default=256, metadata={
        "help": "largest pool size M of the exact bias-vs-M sweep, 16..512 (grid 4, 8, 16, ..., max_m; default 256)"})
    mc_pools: int = dataclasses.field(default=4000, metadata={
        "help": "Monte Carlo pools per cross-check point, 100..1000000 (default 4000)"})
    mc_m: tuple[int, ...] = dataclasses.field(default=(8, 32), metadata={
        "help": "pool sizes M of the Monte Carlo cross-check (PAFT with K = M), each 2..64 (default 8 32)",
        "metavar": "M"})
    variance_max_m: int = dataclasses.field(default=6, metadata={
        "help": "largest M of the exact variance sweep (every pool and resample tuple), 2..6 (default 6)"})

    def validate(self) -> None:
        """Raise a one-line ValueError naming the first field outside its allowed range."""
        from tsallis_theory.estimators._pool import check_count as _count

        _count("max_m", self.max_m, 16, 512)
        _count("mc_pools", self.mc_pools, 100, 10**6)
        if not self.mc_m:
            raise ValueError("mc_m must hold at least one pool size in [2, 64]; got none")
        for m in self.mc_m:
            _count("mc_m", m, 2, 64)
        _count("variance_max_m", self.variance_max_m, 2, 6)

    def to_json(self) -> dict:
        return dataclasses.asdict(self)


PRESETS = {
    "default": Config(),
    "smoke": Config(max_m=16, mc_pools=100, mc_m=(8,), variance_max_m=3),
}


def tasks(cfg: Config):
    """``(key, compute)`` pairs: one per (sweep, q, M) point, one for the whole 0/1-verifier grid."""
    from tsallis_theory.estimators import sweeps as S

    for q in QS:
        for m in (m for m in _M_GRID if m <= cfg.max_m):
            yield ("bias_vs_M", "soft", q, m, None, None), lambda q=q, m=m: [
                S.bias_row(S.SOFT_MODEL, q, m, sweep="bias_vs_M", family="soft")]
    for q in (0.25, 0.5, 0.75):
        for p in np.geomspace(0.02, 0.3, 6):
            yield ("bias_vs_P", "rare", q, 1024, float(p), None), lambda q=q, p=float(p): list(
                S.bias_vs_p_rows([q], [p], 1024))
    yield ("hard_bias", None, None, None, None, None), lambda: list(
        S.hard_bias_rows((0.25, 0.5, 0.75, 1.0), (8, 32, 128), np.geomspace(1e-4, 0.9, 40)))
    for q in (0.0, 0.5, 1.0):
        for m in range(2, cfg.variance_max_m + 1):
            yield ("variance", "soft", q, m, None, 2), lambda q=q, m=m: [S.variance_row(S.SOFT_MODEL, q, m, 2)]
    for q in (0.5, 1.0):
        for m in cfg.mc_m:
            yield ("mc", "soft", q, m, None, m), lambda q=q, m=m: [mc_row(q, m, cfg.mc_pools)]


def mc_row(q: float, m: int, n: int) -> dict:
    """Monte Carlo bias of GARL and variance of GARL and of the sampling PAFT (K = M) over ``n`` pools of
    the soft model, with standard errors, next to the exact values (VAR; the exact PAFT variance is
    Var(GARL) + E[Var(PAFT | pool)]). The bias vector is reported along the unit Thm 6.1 leading term u:
    the mean of (ĝ − ∇ℓ_q)·u over the pools, with the standard error of that mean (from the per-pool
    projections, so the covariance between coordinates counts)."""
    import jax
    import jax.numpy as jnp

    from tsallis_theory.estimators import sweeps as S
    from tsallis_theory.estimators.bias import leading_bias
    from tsallis_theory.estimators.testbed import (mc_moments, paft_resampling_variance, paft_sampled, pool_moments,
                                                   sample_pools)

    model = S.SOFT_MODEL
    key = jax.random.PRNGKey(10 + m)
    g = mc_moments(key, model, S.plugin(q), m, n)
    p = mc_moments(jax.random.PRNGKey(20 + m), model, lambda lw: paft_sampled(jax.random.PRNGKey(m), lw, q, m)[0], m, n)
    exact = pool_moments(model, S.plugin(q), m)
    truth = model.grad_loss(q)
    u = leading_bias(model, q, m)
    u = u / np.linalg.norm(u)
    pools = sample_pools(key, model, m, n)  # the pools of g
    along = (model.estimate(S.plugin(q)(jnp.asarray(model.log_w[pools])), pools) - truth) @ u
    return dict(sweep="mc", family="soft", q=q, M=m, K=m, P=model.success, grad_lq=float(np.linalg.norm(truth)),
                mc_bias_along_leading=float(along.mean()), mc_bias_se=float(along.std(ddof=1) / np.sqrt(n)),
                exact_bias_along_leading=float((exact.mean - truth) @ u),
                mc_var_garl=g.variance, mc_var_garl_se=g.variance_se, mc_var_paft=p.variance,
                mc_var_paft_se=p.variance_se, exact_var_garl=exact.variance,
                exact_var_paft=exact.variance + paft_resampling_variance(model, q, m, m), n_pools=n)


def run(cfg: Config, out, *, fresh: bool = False, progress: bool = True) -> list[dict]:
    """Compute every task of ``cfg`` not yet in ``out/estimators.jsonl``; return all its rows.

    Resuming under another config raises ``results.ConfigMismatch`` (naming the fields) unless ``fresh``."""
    cfg.validate()
    return run_tasks(study_path(out, STUDY), cfg.to_json(), tasks(cfg), fresh=fresh, progress=progress, desc=STUDY)


def summary(rows: list[dict], cfg: Config) -> str:
    """The fitted M-slope of the exact bias per q (theory −1), the Monte Carlo z-scores, the row count."""
    from tsallis_theory._numerics import fit_power_law

    lines = []
    bias = [r for r in rows if r.get("sweep") == "bias_vs_M"]
    ms = sorted({r["M"] for r in bias})
    fit_ms = [m for m in ms if m >= 16]
    fit_ms = fit_ms if len(fit_ms) >= 2 else ms[-3:]
    slopes = []
    for q in sorted({r["q"] for r in bias if r["q"] > 0}):
        pts = sorted((r["M"], r["bias"]) for r in bias if r["q"] == q and r["M"] in fit_ms)
        if len(pts) >= 2:
            fit = fit_power_law(*zip(*pts))
            slopes.append(f"q={q:g} {fit.slope:+.3f}")
    if slopes:
        lines.append(f"exact GARL bias vs M (M = {fit_ms[0]}..{fit_ms[-1]}; theory -1): " + ", ".join(slopes))
    for r in sorted((r for r in rows if r.get("sweep") == "mc"), key=lambda r: (r["M"], r["q"])):
        z_bias = (r["mc_bias_along_leading"] - r["exact_bias_along_leading"]) / r["mc_bias_se"]
        z_garl = (r["mc_var_garl"] - r["exact_var_garl"]) / r["mc_var_garl_se"]
        z_paft = (r["mc_var_paft"] - r["exact_var_paft"]) / r["mc_var_paft_se"]
        lines.append(f"Monte Carlo ({r['n_pools']} pools) M={r['M']:<3} q={r['q']:<4g} vs exact: bias {z_bias:+.1f} SE, "
                     f"Var(GARL) {z_garl:+.1f} SE, Var(PAFT) {z_paft:+.1f} SE")
    lines.append(f"{len(rows)} rows")
    return "\n".join(lines)
