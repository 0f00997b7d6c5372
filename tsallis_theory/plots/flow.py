"""Figures of the flow study (``tsallis_theory.studies.flow``), one ``fig_<name>(rows, path=None, *, ax=None)`` per figure on the
contract of ``plots._style``;
each reads the rows and never reruns them, and returns None when the rows hold too little for it (a one-p0
grid has no slope to draw). No JAX: ``tsallis_theory.flow.fits`` is NumPy only.

    flow_escape_times.png   T_q against 1/p0 per model, with the bracket [I/C², I/c²] (ESC-LOWER/TIGHT)
    flow_slopes.png         fitted slope of ln T on ln(1/p0) against q, with 1 − q (ESC-TIGHT)
    flow_ratios.png         T_q/T_1 against 1/p0 with the theory p0^{−(1−q)}/((1−q) ln(1/p0)) (ESC-TIGHT)
    flow_trajectories.png   P(t) and ‖s‖ along the escape path (FLOW)
    flow_near_opt.png       spread of the near-optimum passage time across q against ε0 (NEAR-OPT)
"""

from __future__ import annotations

import numpy as np

from tsallis_theory.flow import fits
from tsallis_theory.plots._style import figure_axes, figure_grid, figure_title, finish_figure


def _q_cmap():
    """viridis without its pale yellow end, so that every q stays visible on white."""
    import matplotlib

    return matplotlib.colors.ListedColormap(matplotlib.colormaps["viridis"](np.linspace(0.0, 0.85, 256)))


def _title(rows, model):
    """The model name, flagged when its score bound c collapses over the slope window (ESC-TIGHT fails)."""
    p0s = {r["p0"] for r in fits.escape_rows(rows, model)}
    if len(fits.in_window([{"p0": p} for p in p0s])) >= 2 and fits.score_collapse(rows, model) < fits.COLLAPSE_RATIO:
        return f"{model} (‖s‖ collapses as p0 → 0)"
    return model


def _grid(n):
    ncols = 3 if n > 4 else n
    nrows = int(np.ceil(n / ncols))
    return nrows, ncols


def _p0s(rows):
    return sorted({r["p0"] for r in fits.escape_rows(rows)})


def fig_escape_times(rows, path=None, *, ax=None):
    """T_q against 1/p0 per model with the bracket [I/C², I/c²] (ESC-LOWER, ESC-TIGHT); needs 2 p0."""
    if len(_p0s(rows)) < 2:
        return None
    models, qs = fits.models_of(rows), fits.qs_of(rows)
    cmap = _q_cmap()
    nrows, ncols = _grid(len(models))
    fig, axes = figure_grid(ax, nrows, ncols, figsize=(4.2 * ncols, 3.4 * nrows), sharex=True)
    for panel, m in zip(axes.flat, models):
        for q in qs:
            rs = fits.escape_rows(rows, m, q)
            x = np.array([1 / r["p0"] for r in rs])
            panel.fill_between(x, [r["lower"] for r in rs], [r["upper"] for r in rs], color=cmap(q), alpha=0.18,
                               lw=0)
            panel.plot(x, [r["T"] for r in rs], "o-", ms=2.5, lw=0.9, color=cmap(q))
        panel.set(xscale="log", yscale="log", title=_title(rows, m))
        panel.title.set_fontsize(9)
    for panel in axes.flat[len(models):]:
        panel.set_visible(False)
    for panel in axes[-1]:
        panel.set_xlabel("1/p0")
    for panel in axes[:, 0]:
        panel.set_ylabel("escape time T_q (flow time units)")
    import matplotlib

    sm = matplotlib.cm.ScalarMappable(cmap=_q_cmap(), norm=matplotlib.colors.Normalize(0, 1))
    fig.colorbar(sm, ax=axes.ravel().tolist(), shrink=0.6, label="q (commitment)", ticks=np.linspace(0, 1, 6))
    figure_title(fig, ax, "ESC-LOWER/TIGHT: escape time from p0 to δ = 1/2. Points: solver. Band: theory bracket "
                 "[I/C², I/c²],\nI = ∫ u^(q−2) du from p0 to δ, c ≤ ‖s‖ ≤ C observed on the path", fontsize=10, y=0.96)
    return finish_figure(fig, path, ax)


def fig_slopes(rows, path=None, *, ax=None):
    """Fitted slope of ln T on ln(1/p0) against q with 1 − q, and its deviation for the plain and the
    increment fit (ESC-TIGHT); needs 3 p0 in the fit window (the increment fit takes differences)."""
    if not fits.escape_rows(rows):
        return None
    win = fits.fit_window(rows)
    if len(fits.in_window([{"p0": p} for p in _p0s(rows)], win)) < 3:
        return None
    models, qs = fits.models_of(rows), fits.qs_of(rows)
    qs_fit = [q for q in qs if q <= 0.9 + 1e-12]
    fig, (ax1, ax2) = figure_axes(ax, 1, 2, figsize=(11, 4.2))
    markers = "osD^v<>phX*"
    qq = np.linspace(0, 1, 50)
    ax1.plot(qq, 1 - qq, "k-", lw=1.2, label="theory 1 − q")
    offsets = np.linspace(-0.025, 0.025, len(models))
    for i, m in enumerate(models):
        lit = [fits.slope(rows, m, q, win) for q in qs]
        ax1.errorbar(np.array(qs) + offsets[i], [f.slope for f in lit], yerr=[f.stderr for f in lit],
                    fmt=markers[i % len(markers)], ms=3.5, lw=0.8, capsize=2, label=m)
        dev = [fits.slope(rows, m, q, win).slope - (1 - q) for q in qs_fit]
        inc = [fits.increment_slope(rows, m, q, win).slope - (1 - q) for q in qs_fit]
        line = ax2.plot(qs_fit, dev, markers[i % len(markers)] + "-", ms=3.5, lw=0.8, label=m)[0]
        ax2.plot(qs_fit, inc, markers[i % len(markers)] + ":", ms=2.5, lw=0.8, color=line.get_color(), alpha=0.7)
    ax1.set(xlabel="q", ylabel=f"fitted slope of ln T on ln(1/p0), p0 ∈ [{win[0]:.0e}, {win[1]:.0e}]",
            title="ESC-TIGHT: slope vs q (± 1 s.e.)")
    ax1.legend(fontsize=7)
    ax2.axhspan(-fits.SLOPE_TOL, fits.SLOPE_TOL, color="0.85", label=f"±{fits.SLOPE_TOL} tolerance")
    ax2.axhline(0, color="k", lw=0.8)
    ax2.set(xlabel="q", ylabel="slope − (1 − q)",
            title="Deviation (solid: ln T; dotted: increments ΔT)")
    ax2.legend(fontsize=7, loc="upper left", bbox_to_anchor=(1.02, 1.0))
    return finish_figure(fig, path, ax)


RATIO_MODELS = ("sigmoid", "chain-random", "mlp-random", "tabular-floor-symmetric")


def fig_ratios(rows, path=None, *, ax=None):
    """T_q/T_1 against 1/p0 with the theory p0^{−(1−q)}/((1−q) ln(1/p0)) (ESC-TIGHT); needs q = 1, one of
    q = 0, 0.3, 0.5, 0.7, 0.9 and 2 p0."""
    qs = [q for q in fits.qs_of(rows) if q in (0.0, 0.3, 0.5, 0.7, 0.9)]
    if 1.0 not in fits.qs_of(rows) or not qs or len(_p0s(rows)) < 2:
        return None
    models = [m for m in RATIO_MODELS if m in fits.models_of(rows)] or fits.models_of(rows)[:4]
    cmap = _q_cmap()
    fig, axes = figure_grid(ax, 1, len(models), figsize=(4.2 * len(models), 3.8))
    for panel, m in zip(axes[0], models):
        t1 = {r["p0"]: r["T"] for r in fits.escape_rows(rows, m, 1.0)}
        for q in qs:
            rs = fits.escape_rows(rows, m, q)
            p0 = np.array([r["p0"] for r in rs])
            ratio = np.array([r["T"] / t1[r["p0"]] for r in rs])
            panel.plot(1 / p0, ratio, "o", ms=3, color=cmap(q), label=f"q = {q:g}")
            theory = p0 ** -(1 - q) / ((1 - q) * np.log(1 / p0))
            panel.plot(1 / p0, theory * ratio[-1] / theory[-1], "-", lw=0.9, color=cmap(q))
        panel.set(xscale="log", yscale="log", xlabel="1/p0", title=_title(rows, m))
        panel.title.set_fontsize(9)
    axes[0, 0].set_ylabel("escape-time ratio T_q / T_1")
    axes[0, 0].legend(fontsize=7)
    figure_title(fig, ax, "ESC-TIGHT: ratio of escape times; lines: theory p0^−(1−q) / ((1−q) ln(1/p0)), scaled to the "
                 "smallest p0",
                 fontsize=10)
    return finish_figure(fig, path, ax)


TRAJECTORY_MODEL = "mlp-random"


def fig_trajectories(rows, path=None, *, ax=None):
    """P(t) along the escape path for several q, on the flow clock and on t/T_q, and ‖s‖ along the path of
    every model (FLOW); needs trajectory rows."""
    traj = [r for r in rows if r.get("kind") == "trajectory"]
    if not traj:
        return None
    models = list(dict.fromkeys(r["model"] for r in traj))
    focus = TRAJECTORY_MODEL if TRAJECTORY_MODEL in models else models[0]
    cmap = _q_cmap()
    fig, (ax_t, ax_f, ax_s) = figure_axes(ax, 1, 3, figsize=(15, 4.4))
    for r in (r for r in traj if r["model"] == focus):
        t, p = np.array(r["t"]), np.exp(r["log_p"])
        ax_t.plot(t[1:], p[1:], "-", lw=1.3, color=cmap(r["q"]), label=f"q = {r['q']:g}")
        ax_f.plot(t / t[-1], p, "-", lw=1.3, color=cmap(r["q"]), label=f"q = {r['q']:g}")
    p0 = traj[0]["p0"]
    ax_t.set(xscale="log", yscale="log", xlabel="flow time t", ylabel="P(t)",
             title=f"P(t), {focus}, p0 = {p0:.0e}")
    ax_f.set(yscale="log", xlabel="t / T_q (fraction of the escape time)", ylabel="P(t)",
             title="Same path, rescaled clock: low q idles near p0")
    ax_t.legend(fontsize=8)
    ax_f.legend(fontsize=8)
    for m in models:
        r = next(r for r in traj if r["model"] == m)
        ax_s.plot(np.exp(r["log_p"]), r["score_norm"], "-", lw=1.1, label=m)
    ax_s.set(xscale="log", xlabel="P along the path", ylabel="score norm ‖s‖ = ‖∇ ln P‖",
             title="‖s‖ along the path (same for every q)")
    ax_s.set_ylim(bottom=0)
    ax_s.legend(fontsize=7, loc="upper left")
    return finish_figure(fig, path, ax)


def fig_near_opt(rows, path=None, *, ax=None):
    """The NEAR-OPT spread max_q T / min_q T − 1 against ε0 with the bound ε0/(1 − ε0); needs 2 q and 2 ε0
    on some model that can approach P = 1."""
    spread = fits.near_opt_spread(rows)
    models = list(dict.fromkeys(m for (m, _), s in spread.items() if s is not None))
    na = sorted({m for (m, _), s in spread.items() if s is None})
    n_q = len({r["q"] for r in rows if r.get("kind") == "near_opt" and r.get("applicable")})
    if n_q < 2 or not any(sum(s is not None for (mm, _), s in spread.items() if mm == m) >= 2 for m in models):
        return None
    fig, panel = figure_axes(ax, figsize=(6, 4.2))
    eps_all = sorted({e for (_, e) in spread})
    e = np.array(eps_all)
    panel.plot(e, e / (1 - e), "k-", lw=1.2, label="bound ε0/(1 − ε0)")
    for m in models:
        pts = sorted((eps, s) for (mm, eps), s in spread.items() if mm == m)
        panel.plot([p[0] for p in pts], [p[1] for p in pts], "o-", ms=4, lw=0.9, label=m)
    panel.set(xscale="log", yscale="log", xlabel="ε0 (passage from P = 1 − ε0 to 1 − ε0/100)",
           ylabel="max_q T_q / min_q T_q − 1",
           title="NEAR-OPT: spread across q = 0 ... 1 is O(ε0)")
    if na:
        panel.text(0.02, 0.02, "not applicable (sup P < 1): " + ", ".join(na), transform=panel.transAxes, fontsize=7)
    panel.legend(fontsize=7)
    return finish_figure(fig, path, ax)


FIGURES = {
    "flow_escape_times": fig_escape_times,
    "flow_slopes": fig_slopes,
    "flow_ratios": fig_ratios,
    "flow_trajectories": fig_trajectories,
    "flow_near_opt": fig_near_opt,
}
