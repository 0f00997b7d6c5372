"""Figures of the estimators study (claims BIAS, VAR) from its rows (``tsallis_theory.studies.estimators``), one
``fig_<name>(rows, path=None, *, ax=None)`` per figure on the contract of ``plots._style``.

* ``estimators_bias_vs_M``: exact GARL plug-in bias / ‖∇ℓ_q‖ against M per q, the Thm 6.1 leading term and
  the Monte Carlo estimate (±2 SE); slope −1.
* ``estimators_bias_vs_P``: rare-success absolute bias against P; the exact 0/1-verifier relative bias
  against M·P with its asymptote −q(1−q)(1−P)/(2MP).
* ``estimators_variance``: exact Var of GARL plug-in, GARL RLOO and PAFT (K = 2), and Monte Carlo (K = M).

Colours are one per q (viridis over q ∈ [0, 1]), the same in every figure.
"""

from __future__ import annotations

import numpy as np

from tsallis_theory.plots._style import figure_axes, finish_figure

_M_STYLES = (":", "-", "-.", "--")


def _color(q: float):
    import matplotlib.pyplot as plt

    return plt.get_cmap("viridis")(0.1 + 0.8 * q)


def _sweep(rows, name):
    return [r for r in rows if r.get("sweep") == name]


def _plain_minor(ax):
    from matplotlib.ticker import NullFormatter

    ax.xaxis.set_minor_formatter(NullFormatter())


def fig_bias_vs_m(rows, path=None, *, ax=None):
    """Exact relative bias against M (dots), the leading term (dashed), Monte Carlo (crosses, ±2 SE)."""
    bias, mc = _sweep(rows, "bias_vs_M"), _sweep(rows, "mc")
    qs = sorted({r["q"] for r in bias if r["q"] > 0})
    if not qs:
        return None
    fig, panel = figure_axes(ax, figsize=(6.2, 4.4))
    for q in qs:
        r = sorted((x for x in bias if x["q"] == q), key=lambda x: x["M"])
        m = np.array([x["M"] for x in r])
        panel.plot(m, [x["bias"] / x["grad_lq"] for x in r], "o", color=_color(q), label=f"q = {q:g}: exact (all pools)")
        panel.plot(m, [x["leading"] / x["grad_lq"] for x in r], "--", color=_color(q), lw=1)
        for x in (y for y in mc if y["q"] == q):
            panel.errorbar(x["M"], abs(x["mc_bias_along_leading"]) / x["grad_lq"], yerr=2 * x["mc_bias_se"] / x["grad_lq"],
                        fmt="x", color=_color(q), capsize=3, ms=8)
    panel.plot([], [], "k--", lw=1, label="Thm 6.1 leading term")
    if mc:
        panel.plot([], [], "kx", label="Monte Carlo (±2 SE)")
    panel.set(xscale="log", yscale="log", xlabel="pool size M (rollouts)", ylabel="‖E[GARL] − ∇ℓ_q‖ / ‖∇ℓ_q‖",
           title="GARL plug-in bias vs M (w ≥ 0.05, P = %.2f): slope −1" % bias[0]["P"])
    panel.legend(fontsize=8)
    return finish_figure(fig, path, ax)


def fig_bias_vs_p(rows, path=None, *, ax=None):
    """Left: rare-success absolute bias against P. Right: 0/1-verifier relative bias against M·P."""
    soft, hard = _sweep(rows, "bias_vs_P"), _sweep(rows, "hard_bias")
    if not soft and not hard:
        return None
    fig, (a, b) = figure_axes(ax, 1, 2, figsize=(11, 4.4))
    for q in sorted({x["q"] for x in soft}):
        r = sorted((x for x in soft if x["q"] == q), key=lambda x: x["P"])
        p = np.array([x["P"] for x in r])
        a.plot(p, [x["bias"] for x in r], "o", color=_color(q), label=f"q = {q:g} exact")
        a.plot(p, [x["leading"] for x in r], "--", color=_color(q), lw=1)
    if soft:
        m = soft[0]["M"]
        a.plot([], [], "k--", lw=1, label="Thm 6.1 leading term")
        a.set(xscale="log", yscale="log", xlabel="success probability P", ylabel="‖E[GARL] − ∇ℓ_q‖ (absolute)",
              title=f"rare success, w ∈ {{1e-3, 1}}, M = {m}")
        ticks = [0.02, 0.05, 0.1, 0.2, 0.3]
        a.set_xticks(ticks, [f"{t:g}" for t in ticks])
        _plain_minor(a)
        a.legend(fontsize=8)
    ms = sorted({x["M"] for x in hard})
    style = dict(zip(ms, _M_STYLES))
    mid = ms[len(ms) // 2] if ms else None
    for q in sorted({x["q"] for x in hard}):
        for m in ms:
            r = sorted((x for x in hard if x["q"] == q and x["M"] == m), key=lambda x: x["P"])
            mp = np.array([x["M"] * x["P"] for x in r])
            b.plot(mp, [-x["relative_bias"] for x in r], style[m], color=_color(q), label=f"q = {q:g}" if m == mid else None)
            if m == mid and q < 1:
                b.plot(mp, [-x["asymptote"] for x in r], color="gray", lw=0.8, alpha=0.7)
    if hard:
        b.plot([], [], color="gray", lw=0.8, label="−q(1−q)(1−P)/(2MP)")
        for m in ms:
            b.plot([], [], "k" + style[m], label=f"M = {m}")
        b.set(xscale="log", yscale="log", ylim=(1e-4, 1.5), xlabel="expected successes M·P",
              ylabel="−(E[GARL]/∇ℓ_q − 1)", title="0/1 verifier: exact binomial sum")
        b.legend(fontsize=7, ncol=2)
    return finish_figure(fig, path, ax)


def fig_variance(rows, path=None, *, ax=None):
    """Exact Var of GARL plug-in, GARL RLOO and PAFT (K = 2) against M; Monte Carlo PAFT and GARL (K = M)."""
    var, mc = _sweep(rows, "variance"), _sweep(rows, "mc")
    if not var:
        return None
    fig, panel = figure_axes(ax, figsize=(6.2, 4.4))
    for q in sorted({x["q"] for x in var}):
        r = sorted((x for x in var if x["q"] == q), key=lambda x: x["M"])
        m = [x["M"] for x in r]
        k = r[0]["K"]
        panel.plot(m, [x["var_garl"] for x in r], "o-", color=_color(q), label=f"q = {q:g}: GARL plug-in")
        panel.plot(m, [x["var_garl_rloo"] for x in r], "s:", color=_color(q), ms=4, label=f"q = {q:g}: GARL RLOO")
        panel.plot(m, [x["var_paft"] for x in r], "^--", color=_color(q), label=f"q = {q:g}: PAFT (K = {k})")
        for x in (y for y in mc if y["q"] == q):
            panel.errorbar(x["M"], x["mc_var_paft"], yerr=2 * x["mc_var_paft_se"], fmt="^", mfc="none", color=_color(q), capsize=3)
            panel.errorbar(x["M"], x["mc_var_garl"], yerr=2 * x["mc_var_garl_se"], fmt="o", mfc="none", color=_color(q), capsize=3)
    if mc:
        panel.plot([], [], "ko", mfc="none", label="Monte Carlo, PAFT K = M (±2 SE)")
    m_exact = max(x["M"] for x in var)
    panel.set(xscale="log", yscale="log", xlabel="pool size M", ylabel="tr Cov(ĝ)",
           title=f"Var(PAFT) = Var(GARL) + E[Var(PAFT | pool)] (exact for M ≤ {m_exact})")
    panel.legend(fontsize=7, loc="center left", bbox_to_anchor=(1.01, 0.5))
    _plain_minor(panel)
    ticks = sorted({x["M"] for x in var} | {x["M"] for x in mc})
    panel.set_xticks(ticks, [str(t) for t in ticks])
    return finish_figure(fig, path, ax)


FIGURES = {
    "estimators_bias_vs_M": fig_bias_vs_m,
    "estimators_bias_vs_P": fig_bias_vs_p,
    "estimators_variance": fig_variance,
}
