"""Figures of the label-noise study (``tsallis_theory.studies.noise``), one ``fig_<name>(rows, path=None, *,
ax=None)`` per figure on the contract of ``plots._style``; each reads the rows, never reruns them, and returns
None when the rows hold nothing for it.

    noise_escort.png          converged flows on the escort α^{1/q}/Σα^{1/q}, and the ratio θ_1/θ_N (ESCORT, SHARPEN)
    noise_equilibrium.png     simulated stable contamination against eq. 17 over (ε, q) (NOISE-EQ)
    noise_contamination.png   contamination paths p̃(t) per q, direct and sigmoid, with p̃*(q) (NOISE-EQ, NOISE-TIME)
    noise_time.png            memorisation times against Prop C.2's law and the initial-contamination law (NOISE-TIME)
"""

from __future__ import annotations

import numpy as np

from tsallis_theory.plots._style import figure_axes, finish_figure


def _kind(rows, kind):
    return [r for r in rows if r.get("kind") == kind]


def fig_escort(rows, path=None, *, ax=None):
    """Converged flow θ*_j(q) (markers) on the escort α_j^{1/q}/Σα^{1/q} (lines), and the ratio θ_1/θ_N against
    (α_1/α_N)^{1/q} on a log scale (ESCORT, SHARPEN). Two panels."""
    from tsallis_theory.categorical.escort import escort

    rows = sorted(_kind(rows, "escort"), key=lambda r: r["q"])
    if not rows:
        return None
    alpha = np.array(rows[0]["alpha"])
    qs = np.array([r["q"] for r in rows])
    theta = np.array([r["theta"] for r in rows])
    q_line = np.linspace(0.05, 1.0, 200)
    fig, (ax1, ax2) = figure_axes(ax, 1, 2, figsize=(10, 4))
    for j in range(len(alpha)):
        line, = ax1.plot(q_line, escort(alpha, q_line)[:, j], lw=1.2, label=f"escort, α_{j + 1} = {alpha[j]:g}")
        ax1.plot(qs, theta[:, j], "o", color=line.get_color(), ms=5)
    ax1.plot([], [], "ko", label="gradient flow (direct), converged")
    ax1.set_xlabel("commitment q")
    ax1.set_ylabel("θ*_j (probability)")
    ax1.set_title("ESCORT: minimiser of Σα_j(−log_q θ_j)")
    ax1.legend(fontsize=8)
    ax2.semilogy(q_line, (alpha[0] / alpha[-1]) ** (1.0 / q_line), "k-", lw=1.2, label="theory (α_1/α_N)^(1/q)")
    ax2.semilogy(qs, theta[:, 0] / theta[:, -1], "o", color="C3", label="flow θ_1/θ_N")
    ax2.set_xlabel("commitment q")
    ax2.set_ylabel("ratio θ*_1/θ*_N (log scale)")
    ax2.set_title("SHARPEN: ratios grow as q falls")
    ax2.legend(fontsize=8)
    return finish_figure(fig, path, ax)


def fig_equilibrium(rows, path=None, *, ax=None):
    """Simulated stable contamination against q for each ε (markers: direct ○, sigmoid ×) and eq. 17
    ε^{1/q}/(ε^{1/q} + (1−ε)^{1/q}) (lines), log scale (NOISE-EQ)."""
    from tsallis_theory.categorical.escort import noise_equilibrium

    rows = _kind(rows, "equilibrium")
    if not rows:
        return None
    fig, ax_ = figure_axes(ax, figsize=(6.5, 4.5))
    q_line = np.linspace(min(0.08, min(r["q"] for r in rows)), 1.0, 200)
    for i, eps in enumerate(sorted({r["eps"] for r in rows})):
        color = f"C{i}"
        ax_.semilogy(q_line, noise_equilibrium(eps, q_line), color=color, lw=1.2,
                     label=f"ε = {eps:g}: theory ε^(1/q)/(ε^(1/q)+(1−ε)^(1/q))")
        for par, marker in (("direct", "o"), ("sigmoid", "x")):
            sel = sorted((r for r in rows if r["eps"] == eps and r["parameterisation"] == par), key=lambda r: r["q"])
            ax_.semilogy([r["q"] for r in sel], [r["p_tilde_star"] for r in sel], marker, color=color, ms=6,
                         mfc="none")
    ax_.plot([], [], "ko", mfc="none", label="simulated, direct θ = p")
    ax_.plot([], [], "kx", label="simulated, sigmoid")
    ax_.set_xlabel("commitment q")
    ax_.set_ylabel("stable contamination p̃* (log scale)")
    ax_.set_title("NOISE-EQ: two labels, flip rate ε")
    ax_.legend(fontsize=7, loc="lower right")
    return finish_figure(fig, path, ax)


def fig_contamination(rows, path=None, *, ax=None):
    """Contamination p̃(t) per q in the direct and sigmoid parameterisations (log-log), with p̃*(q) dotted.
    Two panels sharing the y axis."""
    rows = _kind(rows, "path")
    if not rows:
        return None
    fig, axes = figure_axes(ax, 1, 2, figsize=(11, 4.2), sharey=True)
    for ax_, par in zip(axes, ("direct", "sigmoid")):
        sel = sorted((r for r in rows if r["parameterisation"] == par), key=lambda r: r["q"])
        for i, r in enumerate(sel):
            t, p = np.array(r["t"]), np.array(r["p_tilde"])
            keep = (t > 0) & (p > 0)
            ax_.loglog(t[keep], p[keep], color=f"C{i}", lw=1.5, label=f"q = {r['q']:g}")
            if r["p_tilde_star"] > 0:
                ax_.axhline(r["p_tilde_star"], color=f"C{i}", ls=":", lw=1)
        ax_.set_xlabel("flow time t (log scale)")
        if sel:
            ax_.set_title(f"{par}: p̃0 = {sel[0]['p_tilde0']:g}, ε = {sel[0]['eps']:g}"
                          + (" (q=0 hits 0 at t≈p̃0/(1−2ε))" if par == "direct" else ""))
    axes[0].set_ylabel("contamination p̃ (log scale); dotted: theory p̃*(q)")
    axes[0].legend(fontsize=8)
    return finish_figure(fig, path, ax)


def fig_time(rows, path=None, *, ax=None):
    """Memorisation time T(η): direct θ = p against η^{q+1}/((q+1)ε) (left); sigmoid against p̃0 with the
    initial-contamination law and the paper's law (right) (NOISE-TIME). Two panels, log-log."""
    from tsallis_theory.categorical.noise import initial_contamination_law, paper_time_law

    rows = _kind(rows, "time")
    if not rows:
        return None
    fig, (ax1, ax2) = figure_axes(ax, 1, 2, figsize=(11, 4.2))
    eta_fix = None
    for i, q in enumerate(sorted({r["q"] for r in rows})):
        d = sorted((r for r in rows if r["q"] == q and r["parameterisation"] == "direct"), key=lambda r: r["eta"])
        eta = np.array([r["eta"] for r in d])
        ax1.loglog(eta, [r["T"] for r in d], "o", color=f"C{i}", mfc="none", label=f"q = {q:g}")
        ax1.loglog(eta, paper_time_law(d[0]["eps"], q, eta), "-", color=f"C{i}", lw=1)
        s = [r for r in rows if r["q"] == q and r["parameterisation"] == "sigmoid"]
        eta_fix = max(r["eta_frac"] for r in s)
        s = sorted((r for r in s if r["eta_frac"] == eta_fix), key=lambda r: r["p_tilde0"])
        p0 = np.array([r["p_tilde0"] for r in s])
        ax2.loglog(p0, [r["T"] for r in s], "o", color=f"C{i}", mfc="none", label=f"q = {q:g}")
        ax2.loglog(p0, [initial_contamination_law(r["eps"], q, r["eta"], r["p_tilde0"]) for r in s], "-",
                   color=f"C{i}", lw=1)
        ax2.loglog(p0, [paper_time_law(r["eps"], q, r["eta"]) for r in s], ":", color=f"C{i}", lw=1)
    ax1.set_xlabel("target contamination η (log scale)")
    ax1.set_ylabel("time to reach η (flow time, log scale)")
    ax1.set_title("direct θ = p: exact (○) vs theory η^(q+1)/((q+1)ε) (—)")
    ax1.legend(fontsize=8)
    ax2.set_xlabel("initial contamination p̃0 (log scale)")
    ax2.set_ylabel("time to reach η (flow time, log scale)")
    ax2.set_title(f"sigmoid, η = {eta_fix:g}·p̃*: exact (○), p̃0 law (—), paper law (⋯)", fontsize=9)
    ax2.legend(fontsize=8)
    return finish_figure(fig, path, ax)


FIGURES = {
    "noise_escort": fig_escort,
    "noise_equilibrium": fig_equilibrium,
    "noise_contamination": fig_contamination,
    "noise_time": fig_time,
}
