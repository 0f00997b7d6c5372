"""Planted errors in the q-calculus, the flows, the categorical formulas and the estimators."""

from __future__ import annotations

import jax.numpy as jnp
import numpy as np

from tests.mutations import Mutation, plant


def _scaled_coefficients(factor):
    """Wrap an estimator so that its coefficients come out multiplied by ``factor`` (a scale error)."""
    def make(original):
        def wrong(*args, **kwargs):
            out = original(*args, **kwargs)
            coef, rest = (out[0], out[1:]) if isinstance(out, tuple) and not hasattr(out, "score") else (out, None)
            scaled = type(coef)(score=coef.score * factor, path=coef.path * factor)
            return scaled if rest is None else (scaled, *rest)
        return wrong
    return make


def _wrong_equilibrium(eps, q, n_labels=2):
    """ε^{a}/(ε^{a} + (1−ε)^{a}) with a = 1.05/q: the escort of (1−ε, ε) with a wrong exponent."""
    eps, q = np.asarray(eps, float), np.asarray(q, float)
    a = 1.05 / np.where(q > 0, q, 1.0)
    return np.where(q > 0, eps**a / (eps**a + (1 - eps) ** a), 0.0)


def _flip_cov(monkeypatch):
    from tsallis_theory.estimators.testbed import RolloutPoolModel

    original = RolloutPoolModel.rollout_moments

    def wrong(self):
        var_w, e_g, cov = original(self)
        return var_w, e_g, -cov

    monkeypatch.setattr(RolloutPoolModel, "rollout_moments", wrong)


def _stepwise_to(q_after):
    """Plant a stepwise schedule that switches from q = 1 to ``q_after`` instead of to q = 0."""
    def apply(monkeypatch):
        from tsallis_theory.categorical.schedules import Schedule

        original = Schedule.q_of

        def wrong(self, t, reward_i, m):
            if self.kind == "stepwise":
                return 1.0 if t < self.t_switch else q_after
            return original(self, t, reward_i, m)

        monkeypatch.setattr(Schedule, "q_of", wrong)
    return apply


def _escape_slope_off(original):
    """Escape records whose times carry an extra factor p0^{−0.05}: T ∝ p0^{−(1.05−q)}, a slope 0.05 too steep."""
    import dataclasses

    return lambda model, q, p0, *a, **k: (lambda rec: dataclasses.replace(rec, times=rec.times * rec.p0 ** -0.05))(
        original(model, q, p0, *a, **k))


def _passage_clock_by_q(original):
    """Passage times whose clock runs (1 + 0.1q)× slow: a learning rate scaled by 1/(1 + 0.1q) per q."""
    import dataclasses

    return lambda model, q, *a, **k: (lambda sol: dataclasses.replace(sol, times=sol.times * (1 + 0.1 * sol.q)))(
        original(model, q, *a, **k))


def _rows_edited(edit):
    """Plant an error in what the LM checks read: each row of the committed runs passes through ``edit``."""
    return lambda original: (lambda experiment, path: [edit(experiment, dict(r)) for r in original(experiment, path)])


def _warm_maj_tenth(experiment, row):
    """The late-window maj@k of every warm run read at a tenth (a k-vs-fraction scale error): everything
    collapses, PAFT q = 0.75 with GARL, so R2 is contradicted and R1 has no stable arm."""
    if experiment == "warm":
        late_from = row["budget"] - 100
        row["evals"] = [{k: (0.1 * v if k.startswith("maj@") and e["step"] >= late_from and e["step"] > 0 else v)
                         for k, v in e.items()} for e in row["evals"]]
    return row


def _noise_q_labels_swapped(experiment, row):
    """q = 1 and q = 0 (RB-RLOO) exchanged in the LM-NOISE rows: the cleaner run is read as q = 1."""
    if experiment == "noise" and row["method"] in ("garl-1", "rb-rloo"):
        row["method"] = "rb-rloo" if row["method"] == "garl-1" else "garl-1"
        row["q"] = 1.0 - row["q"]
    return row


def _times(factor):
    return lambda original: (lambda *a, **k: original(*a, **k) * factor)


MUTATIONS = [
    Mutation("q-gradient sign", "DIR",
             lambda mp: plant(mp, "tsallis_theory.qcalc:q_loss_from_log", lambda f: lambda lp, q: -f(lp, q)),
             "ℓ_q replaced by −ℓ_q, so ∇ℓ_q = +P^{-q}∇P"),
    Mutation("loss-value exponent", "DIR",
             lambda mp: plant(mp, "tsallis_theory.qcalc:_log_q_formula",
                              lambda f: lambda log_u, q: f(log_u, q - 0.01)),
             "ℓ_q's value computed with exponent 1 − q + 0.01 while its gradient keeps P^{-q}"),
    Mutation("amplification exponent", "DIR",
             lambda mp: plant(mp, "tsallis_theory.qcalc:amplification_from_log",
                              lambda f: lambda log_p, q: f(log_p, q + 0.01)),
             "the per-example weight P^{-(q+0.01)} instead of P^{-q}"),
    Mutation("flow runs uphill", "FLOW",
             lambda mp: plant(mp, "tsallis_theory.qcalc:q_loss_from_log", lambda f: lambda lp, q: -f(lp, q)),
             "the flow dθ/dt = −∇ℓ_q taken on −ℓ_q, so dP/dt = −P^{2−q}‖s‖²"),
    Mutation("flow clock", "FLOW",
             lambda mp: plant(mp, "tsallis_theory.flow.escape:quad_time", _times(1.01)),
             "the ln-P quadrature's time runs 1% fast against the θ-space ODE"),
    Mutation("q-loss scale", "RLVR",
             lambda mp: plant(mp, "tsallis_theory.qcalc:_q_loss_kernel", lambda f: lambda lp, q: 1.001 * f(lp, q)),
             "ℓ_q 0.1% too large, so J_0 = 1.001(1 − E[R]) instead of 1 − E[R]"),
    Mutation("q-loss exponent", "DISP",
             lambda mp: plant(mp, "tsallis_theory.qcalc:_log_q_formula",
                              lambda f: lambda log_u, q: f(log_u, q - 0.05)),
             "ℓ_q's value computed at q − 0.05: at q = 0 the loss is convex in P (a Jensen gap where there is "
             "none) and the gap's curvature is not (q/2)P̄^{−q−1}"),
    Mutation("direct-flow exponent", "SHARPEN",
             lambda mp: plant(mp, "tsallis_theory.categorical.flows:direct_rhs_log",
                              lambda f: lambda w, alpha, q: f(w, alpha, 1.05 * np.asarray(q))),
             "the direct flow of Σα(−log_q θ) run at 1.05q: its fixed point is α^{1/(1.05q)}, not α at q = 1"),
    Mutation("score off α at q = 1", "PROPER",
             lambda mp: plant(mp, "tsallis_theory.qcalc:_q_loss_kernel",
                              lambda f: lambda lp, q: f(lp, q) + 0.01 * jnp.exp(2 * lp)),
             "ℓ_q(P) + 0.01P²: the expected q = 1 score's gradient at θ = α gains 0.02α², so α is not its maximiser"),
    Mutation("escape-time slope", "ESC-TIGHT", lambda mp: plant(mp, "tsallis_theory.flow.escape:escape_record",
                                                                 _escape_slope_off),
             "escape times × p0^{−0.05}: ln T on ln(1/p0) has slope 1.05 − q instead of 1 − q",
             says="the asymptotic test fails on"),
    Mutation("passage clock by q", "NEAR-OPT", lambda mp: plant(mp, "tsallis_theory.flow.escape:passage_time",
                                                                 _passage_clock_by_q),
             "passage times × (1 + 0.1q): the near-optimum passage differs across q by O(1), not O(ε0)",
             says="above the bound ε0/(1−ε0)"),
    Mutation("escape-time prefactor", "ESC-LOWER",
             lambda mp: plant(mp, "tsallis_theory.flow.escape:escape_integral", _times(2.0)),
             "I_q = ∫ u^{q−2} du doubled, so the lower bound I/C² exceeds the true escape time"),
    Mutation("sigmoid closed form", "SIGMOID",
             lambda mp: plant(mp, "tsallis_theory.symbolic.dynamics:sigmoid_escape_time_closed_form", _times(1.001)),
             "the hyp2f1 closed form of T_q off by 0.1%"),
    Mutation("escort exponent", "ESCORT",
             lambda mp: plant(mp, "tsallis_theory.categorical.escort:escort_from_log",
                              lambda f: lambda log_alpha, q: f(1.05 * log_alpha, q)),
             "θ* ∝ α^{1.05/q} instead of α^{1/q}"),
    Mutation("noise-equilibrium exponent", "NOISE-EQ",
             lambda mp: plant(mp, "tsallis_theory.categorical.escort:noise_equilibrium", lambda f: _wrong_equilibrium),
             "p̃* with ε^{1/(1.05q)} instead of ε^{1/q}"),
    Mutation("memorisation-time prefactor", "NOISE-TIME",
             lambda mp: plant(mp, "tsallis_theory.categorical.noise:paper_time_law",
                              lambda f: lambda eps, q, eta: f(eps, q, eta) * (q + 1.0) / (q + 2.0)),
             "T ≈ η^{q+1}/((q+2)ε) instead of η^{q+1}/((q+1)ε)"),
    Mutation("stepwise switches to q = 0.8", "SCHEDULE", _stepwise_to(0.8),
             "the stepwise schedule q = 1 → 0.8 instead of 1 → 0, so the switch cannot undo the memorised noise",
             says="the mechanism fails"),
    Mutation("GARL scale", "ENDPOINTS",
             lambda mp: plant(mp, "tsallis_theory.estimators.garl:garl_plugin", _scaled_coefficients(1.01)),
             "GARL plug-in coefficients 1% too large, so GARL q = 0 ≠ RB-REINFORCE"),
    Mutation("RLOO scale", "RLOO-BIAS",
             lambda mp: plant(mp, "tsallis_theory.estimators.garl:garl_rloo", _scaled_coefficients(1.01)),
             "GARL-RLOO coefficients 1% too large, so E[RLOO] ≠ E[plug-in]"),
    Mutation("PAFT scale", "PAFT-BIAS",
             lambda mp: plant(mp, "tsallis_theory.estimators.paft:paft_from_indices", _scaled_coefficients(1.01)),
             "PAFT coefficients 1% too large, so E[PAFT | pool] ≠ GARL plug-in"),
    Mutation("RB-REINFORCE scale", "ENDPOINTS",
             lambda mp: plant(mp, "tsallis_theory.estimators.likelihood:rb_reinforce", _scaled_coefficients(1.01)),
             "Rao-Blackwellised REINFORCE 1% too large, so GARL q = 0 ≠ RB-REINFORCE"),
    Mutation("IWAE scale", "ENDPOINTS",
             lambda mp: plant(mp, "tsallis_theory.estimators.likelihood:iwae", _scaled_coefficients(1.01)),
             "the IWAE gradient 1% too large, so GARL q = 1 ≠ IWAE"),
    Mutation("posterior-SFT scale", "ENDPOINTS",
             lambda mp: plant(mp, "tsallis_theory.estimators.likelihood:posterior_sft_from_indices",
                              _scaled_coefficients(1.01)),
             "posterior SFT (EM/TRICE) 1% too large, so PAFT q = 1 ≠ TRICE"),
    Mutation("PAFT resampling variance", "VAR",
             lambda mp: plant(mp, "tsallis_theory.estimators.testbed:paft_resampling_variance", _times(1.2)),
             "E[Var(PAFT | pool)] 20% too large, against the Monte Carlo variance of the sampling code"),
    Mutation("GRPO population amplification", "ATLAS",
             lambda mp: plant(mp, "tsallis_theory.atlas.amplification:population_amplification",
                              lambda f: lambda method, p, **kw: (1.0 / np.sqrt(np.asarray(p, float))
                                                                 if method == "grpo" else f(method, p, **kw))),
             "GRPO's population amplification 1/√P instead of 1/√(P(1−P))"),
    Mutation("GRPO finite-group weights", "ATLAS",
             lambda mp: plant(mp, "tsallis_theory.estimators.group:grpo",
                              lambda f: lambda rewards, *a, **k: type(c := f(rewards, *a, **k))(
                                  score=c.score * 1.01, path=c.path)),
             "GRPO's advantages 1% too large, against the closed form E_K[√(K(G−K))]/G/(P(1−P))"),
    Mutation("GARL w̄^(q²)", "BIAS",
             lambda mp: plant(mp, "tsallis_theory.estimators.garl:_importance",
                              lambda f: lambda log_w, q: f(log_w, q * q)),
             "GARL's importance weight w_m/w̄^{q²} instead of w_m/w̄^q"),
    Mutation("Cov sign in the leading term", "BIAS", _flip_cov,
             "Thm 6.1's leading term with +Cov(g, w) instead of −Cov(g, w)"),
    Mutation("learning-rate rescale M^(+q)", "ENDPOINTS",
             lambda mp: plant(mp, "tsallis_theory.estimators._pool:lr_rescale_factor",
                              lambda f: lambda m, q, enabled: 1.0 / f(m, q, enabled) if enabled else f(m, q, enabled)),
             "Alg 1/2's rescale M^{+q} instead of M^{−q}"),
    Mutation("escape detector never fires", "LM-COLD",
             lambda mp: plant(mp, "tsallis_theory.ledger.checks.lm:_rows",
                              lambda f: lambda experiment, path: [dict(r, escape_step=None) for r in f(experiment, path)]),
             "LM runs' escape step never recorded, so GARL q = 0.75 and q = 1 never escape"),
    Mutation("warm maj@k read at a tenth", "LM-WARM",
             lambda mp: plant(mp, "tsallis_theory.ledger.checks.lm:_rows", _rows_edited(_warm_maj_tenth)),
             "the late maj@k of every warm run read at a tenth: every method collapses, PAFT q = 0.75 with GARL"),
    Mutation("noise q = 0 and q = 1 swapped", "LM-NOISE",
             lambda mp: plant(mp, "tsallis_theory.ledger.checks.lm:_rows", _rows_edited(_noise_q_labels_swapped)),
             "LM-NOISE rows of GARL q = 1 and RB-RLOO exchanged: q = 0 reads as the contaminated one"),
]
