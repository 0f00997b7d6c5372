"""Figures of the categorical lab. Each reads result rows (dicts) and writes one PNG; none reruns anything."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from tsallis_theory.plots._style import new_figure, save_figure


def escort_sharpening(rows: list[dict], path: Path) -> Path:
    """Converged flow θ*_j(q) (markers) against the escort α_j^{1/q}/Σα^{1/q} (lines); ratio θ_1/θ_N vs (α_1/α_N)^{1/q}."""
    from tsallis_theory.categorical.escort import escort

    rows = sorted(rows, key=lambda r: r["q"])
    alpha = np.array(rows[0]["alpha"])
    qs = np.array([r["q"] for r in rows])
    theta = np.array([r["theta"] for r in rows])
    q_line = np.linspace(0.05, 1.0, 200)
    fig, (ax1, ax2) = new_figure(1, 2, figsize=(10, 4))
    for j in range(len(alpha)):
        line, = ax1.plot(q_line, escort(alpha, q_line)[:, j], lw=1.2, label=f"escort, α_{j + 1} = {alpha[j]:g}")
        ax1.plot(qs, theta[:, j], "o", color=line.get_color(), ms=5)
    ax1.plot([], [], "ko", label="gradient flow (direct), converged")
    ax1.set_xlabel("commitment q")
    ax1.set_ylabel("θ*_j (probability)")
    ax1.set_title("ESCORT: minimiser of Σα_j(−log_q θ_j)")
    ax1.legend(fontsize=8)
    ax2.semilogy(q_line, (alpha[0] / alpha[-1]) ** (1.0 / q_line), "k-", lw=1.2, label="(α_1/α_N)^(1/q)")
    ax2.semilogy(qs, theta[:, 0] / theta[:, -1], "o", color="C3", label="flow θ_1/θ_N")
    ax2.set_xlabel("commitment q")
    ax2.set_ylabel("ratio θ*_1/θ*_N (log scale)")
    ax2.set_title("SHARPEN: ratios grow as q falls")
    ax2.legend(fontsize=8)
    return save_figure(fig, path)


def noise_equilibrium_figure(rows: list[dict], path: Path) -> Path:
    """Simulated stable contamination vs q for each ε (markers: direct ○, sigmoid ×) and eq. 17 (lines)."""
    from tsallis_theory.categorical.escort import noise_equilibrium

    fig, ax = new_figure(figsize=(6.5, 4.5))
    q_line = np.linspace(0.08, 1.0, 200)
    for i, eps in enumerate(sorted({r["eps"] for r in rows})):
        color = f"C{i}"
        ax.semilogy(q_line, noise_equilibrium(eps, q_line), color=color, lw=1.2, label=f"ε = {eps:g}: ε^(1/q)/(ε^(1/q)+(1−ε)^(1/q))")
        for par, marker in (("direct", "o"), ("sigmoid", "x")):
            sel = sorted((r for r in rows if r["eps"] == eps and r["parameterisation"] == par), key=lambda r: r["q"])
            ax.semilogy([r["q"] for r in sel], [r["p_tilde_star"] for r in sel], marker, color=color, ms=6,
                        mfc="none")
    ax.plot([], [], "ko", mfc="none", label="simulated, direct")
    ax.plot([], [], "kx", label="simulated, sigmoid")
    ax.set_xlabel("commitment q")
    ax.set_ylabel("stable contamination p̃* (log scale)")
    ax.set_title("NOISE-EQ: two labels, flip rate ε")
    ax.legend(fontsize=7, loc="lower right")
    return save_figure(fig, path)


def contamination_paths(rows: list[dict], path: Path) -> Path:
    """p̃(t) per q in the direct and sigmoid parameterisations, with p̃*(q) dashed."""
    params = ("direct", "sigmoid")
    fig, axes = new_figure(1, 2, figsize=(11, 4.2), sharey=True)
    for ax, par in zip(axes, params):
        sel = sorted((r for r in rows if r["parameterisation"] == par), key=lambda r: r["q"])
        for i, r in enumerate(sel):
            t = np.array(r["t"])
            p = np.array(r["p_tilde"])
            keep = (t > 0) & (p > 0)
            ax.loglog(t[keep], p[keep], color=f"C{i}", lw=1.5, label=f"q = {r['q']:g}")
            if r["p_tilde_star"] > 0:
                ax.axhline(r["p_tilde_star"], color=f"C{i}", ls=":", lw=1)
        ax.set_xlabel("flow time t (log scale)")
        ax.set_title(f"{par}: p̃0 = {sel[0]['p_tilde0']:g}, ε = {sel[0]['eps']:g}" +
                     (" (q=0 hits 0 at t≈p̃0/(1−2ε))" if par == "direct" else ""))
    axes[0].set_ylabel("contamination p̃ (log scale); dotted: p̃*(q)")
    axes[0].legend(fontsize=8)
    return save_figure(fig, path)


def memorisation_times(rows: list[dict], path: Path) -> Path:
    """T(η) in both parameterisations: direct vs η^{q+1}/((q+1)ε); sigmoid vs p̃0 with the initial-contamination law."""
    from tsallis_theory.categorical.noise import initial_contamination_law, paper_time_law

    fig, (ax1, ax2) = new_figure(1, 2, figsize=(11, 4.2))
    qs = sorted({r["q"] for r in rows})
    for i, q in enumerate(qs):
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
    ax1.set_title("direct θ = p: exact (○) vs η^(q+1)/((q+1)ε) (—)")
    ax1.legend(fontsize=8)
    ax2.set_xlabel("initial contamination p̃0 (log scale)")
    ax2.set_ylabel("time to reach η (flow time, log scale)")
    ax2.set_title(f"sigmoid, η = {eta_fix:g}·p̃*: exact (○), p̃0 law (—), paper law (⋯)", fontsize=9)
    ax2.legend(fontsize=8)
    return save_figure(fig, path)


def _finite_or(x, fallback):
    return fallback if x is None else x


def schedule_pareto(rows: list[dict], t_end: float, path: Path) -> Path:
    """Escape time of clean examples vs final contamination of noisy ones, one marker per schedule."""
    fig, ax = new_figure(figsize=(7.5, 5))
    edge = 1.6 * t_end
    styles = {"fixed": ("o", "C0", "fixed q"), "stepwise": ("s", "C3", "stepwise 1→0 (switch time)"),
              "linear": ("^", "C2", "linear anneal 1→0 (length)"), "reward_ema": ("D", "C4", "adaptive: reward EMA"),
              "per_example": ("P", "C1", "adaptive: per-example reward")}
    for kind, (marker, color, label) in styles.items():
        sel = [r for r in rows if r["kind"] == kind]
        if not sel:
            continue
        x = [_finite_or(r["escape_time"], edge) for r in sel]
        y = [r["final_contamination"] for r in sel]
        if kind in ("fixed", "stepwise", "linear"):
            order = np.argsort(x)
            ax.plot(np.array(x)[order], np.array(y)[order], "-", color=color, lw=0.8, alpha=0.6)
        ax.scatter(x, y, marker=marker, color=color, s=40, label=label, zorder=3)
        for r, xi, yi in zip(sel, x, y):
            tag = {"fixed": f"{r['params']['q']:g}", "stepwise": f"{r['params']['t_switch']:g}",
                   "linear": f"{r['params']['t_anneal']:g}"}.get(kind)
            if tag:
                ax.annotate(tag, (xi, yi), textcoords="offset points", xytext=(4, 3), fontsize=7, color=color)
    ax.axvline(t_end, color="gray", ls=":", lw=1)
    ax.text(edge, min(r["final_contamination"] for r in rows), "not escaped\nby horizon", fontsize=7, color="gray",
            ha="center", va="top")
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel("escape time: 90% of clean examples at P(gold) ≥ 1/2 (flow time, log scale)")
    ax.set_ylabel(f"final contamination at t = {t_end:g} (mean P(flip) on noisy examples, log)")
    ax.set_title("SCHEDULE: lower-left is better")
    ax.legend(fontsize=8, loc="upper right")
    return save_figure(fig, path)


def schedule_curves(rows: list[dict], keys: list[str], path: Path) -> Path:
    """Contamination and escaped fraction over time, and q(t), for selected schedules."""
    fig, (ax1, ax2, ax3) = new_figure(1, 3, figsize=(15, 4.2))
    for i, key in enumerate(keys):
        r = next((r for r in rows if r["key"] == key), None)
        if r is None:
            continue
        t = np.array(r["t_grid"])
        keep = t > 0
        ax1.loglog(t[keep], np.array(r["contamination"])[keep], color=f"C{i}", label=r["label"])
        ax2.semilogx(t[keep], np.array(r["escaped_fraction"])[keep], color=f"C{i}", label=r["label"])
        ax3.semilogx(t[keep], np.array(r["q_mean"])[keep], color=f"C{i}", label=r["label"])
    ax1.set_xlabel("flow time t (log)")
    ax1.set_ylabel("contamination: mean P(flip), noisy examples (log)")
    ax2.set_xlabel("flow time t (log)")
    ax2.set_ylabel("fraction of clean examples escaped (P ≥ 1/2)")
    ax3.set_xlabel("flow time t (log)")
    ax3.set_ylabel("q(t) (mean over examples)")
    ax1.legend(fontsize=7)
    return save_figure(fig, path)
