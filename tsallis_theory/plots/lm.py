"""Figures of the small-LM study (claims LM-COLD, LM-WARM, LM-NOISE), drawn from its run rows (the rows of
``<out>/lm_<preset>/runs.jsonl``, which the caller reads; never retraining). ``FIGURES``:

  lm_cold_escape   LM-COLD: steps to escape vs 1/p0 (log-log) per method, fitted slopes, theory 1 − q
  lm_cold_curves   LM-COLD: mean P and the largest per-rollout advantage vs step at the coldest base
  lm_warm          LM-WARM: held-out maj@k and p@1 vs step per method
  lm_noise         LM-NOISE: contamination (p of the flipped label) and held-out mean P vs step per q

The gpu preset's figures are the same with the prefix ``lm_gpu`` (``draw_figures("lm", rows, out,
prefix="lm_gpu")``).
"""

from __future__ import annotations

import numpy as np

from tsallis_theory._numerics import escape_slope
from tsallis_theory.lm.methods import ALL_METHODS, parse_method
from tsallis_theory.plots._style import new_figure, save_figure


def _colour(method: str):
    import matplotlib.pyplot as plt

    cmap = plt.get_cmap("tab20")
    return cmap(ALL_METHODS.index(method) % 20) if method in ALL_METHODS else "k"


def _q_of(method: str):
    return parse_method(method).q


def _p0_text(rows) -> str:
    """The measured p0 of the base the rows start from (several when seeds ran from separately built bases)."""
    return ", ".join(f"{p:.2g}" for p in sorted({r["p0"] for r in rows}))


def fig_cold_escape(rows, path):
    """LM-COLD: steps to escape against 1/p0 per method (censored runs at the top), fitted power laws and
    the theory slope 1 − q."""
    rows = [r for r in rows if r["experiment"] == "cold"]
    if not rows:
        return None
    fig, ax = new_figure(figsize=(7.5, 5))
    budget = max(r["budget"] for r in rows)
    methods = sorted({r["method"] for r in rows}, key=lambda m: [r["method"] for r in rows].index(m))
    for i, m in enumerate(methods):
        pts = sorted((r["p0"], r["escape_step"]) for r in rows if r["method"] == m)
        x_esc = np.array([1 / p for p, s in pts if s is not None])
        y_esc = np.array([s for p, s in pts if s is not None], float)
        jitter = 1.0 + 0.035 * (i - len(methods) / 2)  # keep censored markers of different methods apart
        x_cen = [jitter / p for p, s in pts if s is None]
        c = _colour(m)
        fit = escape_slope(1 / x_esc, y_esc)
        q = _q_of(m)
        label = m + (f": fitted slope {fit[0]:.2f}, n={len(x_esc)}" if fit else "") + \
            (f" (theory {1 - q:.2f})" if q is not None else "")
        ax.plot(x_esc, y_esc, "o", color=c, label=label, ms=6)
        ax.plot(x_cen, [budget * 1.12] * len(x_cen), "^", color=c, mfc="none", ms=7)
        if fit is not None:
            xs = np.geomspace(x_esc.min(), x_esc.max(), 20)
            centre = np.mean(np.log(y_esc)) - fit[0] * np.mean(np.log(x_esc))
            ax.plot(xs, np.exp(centre) * xs ** fit[0], "-", color=c, lw=1.2)
            if q is not None:
                anchor = np.exp(np.mean(np.log(y_esc)) - (1 - q) * np.mean(np.log(x_esc)))
                ax.plot(xs, anchor * xs ** (1 - q), ":", color=c, lw=1)
    ax.axhline(budget, color="grey", lw=0.8, ls="--")
    ax.text(0.01, budget * 1.2, f"△ no escape within the budget ({budget} steps)", fontsize=8, color="grey",
            transform=ax.get_yaxis_transform())
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel("1 / p0  (p0 = measured mean success probability of the base checkpoint)")
    ax.set_ylabel(f"steps to escape (first step with mean P ≥ {rows[0]['escape_delta']})")
    ax.set_title("LM-COLD: steps to escape vs 1/p0; solid: fitted power law, dotted: theory slope 1 − q", fontsize=9)
    ax.legend(fontsize=7, loc="upper left", bbox_to_anchor=(1.0, 1.0))
    return save_figure(fig, path)


def fig_cold_curves(rows, path):
    """LM-COLD at the coldest base (first seed): per-step mean P and the largest per-rollout advantage."""
    rows = [r for r in rows if r["experiment"] == "cold"]
    if not rows:
        return None
    seed = min(r["seed"] for r in rows)
    coldest = min(r["p0"] for r in rows if r["seed"] == seed)
    sel = [r for r in rows if r["p0"] == coldest and r["seed"] == seed]
    fig, (a1, a2) = new_figure(1, 2, figsize=(12, 4.2))
    for r in sel:
        c = _colour(r["method"])
        steps = np.arange(1, len(r["mean_P"]) + 1)
        a1.plot(steps, np.maximum(r["mean_P"], 1e-6), color=c, lw=1, label=r["method"])
        a2.plot(steps, r["max_advantage"], color=c, lw=1, label=r["method"])
    a1.set_yscale("log")
    a1.axhline(sel[0]["escape_delta"], color="grey", ls="--", lw=0.8)
    a1.set_xlabel("training step")
    a1.set_ylabel("mean P (teacher-forced w on training prompts)")
    a1.set_title(f"LM-COLD from the coldest base (p0 = {coldest:.2g}), seed {sel[0]['seed']}:\n"
                 f"mean P per step (dashed: escape level δ; runs stop once escaped)", fontsize=9)
    a2.set_xlabel("training step")
    a2.set_ylabel("largest per-rollout advantage in the batch")
    a2.set_title("largest per-rollout advantage per step (the paper's Fig 3 quantity)", fontsize=9)
    a2.text(0.98, 0.97, "GARL: c_m / M^q (RLOO-centred)\nGRPO: (r − mean r) / std r\n"
            "PAFT: resampling weight M·w̄^(1−q)·n_m / K\nSFT: 0", transform=a2.transAxes, ha="right", va="top",
            fontsize=8, color="0.3")
    a2.legend(fontsize=7, loc="upper left", bbox_to_anchor=(1.0, 1.0))
    return save_figure(fig, path)


def fig_warm(rows, path):
    """LM-WARM: held-out maj@k and p@1 per evaluation, every method and seed."""
    rows = [r for r in rows if r["experiment"] == "warm"]
    if not rows:
        return None
    fig, (a1, a2) = new_figure(1, 2, figsize=(11, 4))
    seen = set()
    for r in rows:
        c = _colour(r["method"])
        st = [e["step"] for e in r["evals"]]
        key = next(k for k in r["evals"][0] if k.startswith("maj@"))
        label = None if r["method"] in seen else r["method"]
        seen.add(r["method"])
        a1.plot(st, [e[key] for e in r["evals"]], "-o", ms=3, color=c, label=label, lw=1)
        a2.plot(st, [e["p@1"] for e in r["evals"]], "-o", ms=3, color=c, label=label, lw=1)
    a1.set_ylim(-0.02, 1.02)  # the whole range: a collapse (maj@k below half its peak) must stand out
    a1.set_xlabel("training step")
    a1.set_ylabel(f"held-out {key}")
    a1.set_title(f"LM-WARM: from the warm base (p0 = {_p0_text(rows)})")
    a2.set_xlabel("training step")
    a2.set_ylabel("held-out p@1")
    a2.legend(fontsize=7, loc="upper left", bbox_to_anchor=(1.0, 1.0))
    return save_figure(fig, path)


def fig_noise(rows, path):
    """LM-NOISE: held-out contamination against the escort equilibrium per q, and held-out clean mean P."""
    rows = [r for r in rows if r["experiment"] == "noise"]
    if not rows:
        return None
    eps = rows[0]["noise_eps"]
    fig, (a1, a2) = new_figure(1, 2, figsize=(11, 4))
    seen = set()
    for r in rows:
        c = _colour(r["method"])
        st = [e["step"] for e in r["evals"]]
        label = None if r["method"] in seen else r["method"]
        seen.add(r["method"])
        a1.plot(st, [max(e["eval_contamination"], 1e-5) for e in r["evals"]], "-o", ms=2, color=c, label=label, lw=1)
        a2.plot(st, [e["eval_mean_P"] for e in r["evals"]], "-o", ms=2, color=c, label=label, lw=1)
        q = _q_of(r["method"])
        if q:
            a1.axhline(eps ** (1 / q) / (eps ** (1 / q) + (1 - eps) ** (1 / q)), color=c, ls=":", lw=1)
    a1.set_yscale("log")
    a1.set_xlabel("training step")
    a1.set_ylabel("held-out p(flipped label | x, z)")
    a1.set_title(f"LM-NOISE (ε = {eps}); dotted: escort equilibrium\nε^(1/q) / (ε^(1/q) + (1−ε)^(1/q)) per q", fontsize=9)
    a2.set_xlabel("training step")
    a2.set_ylabel("held-out mean P on the clean label")
    a2.set_title(f"base p0 = {_p0_text(rows)}")
    a2.legend(fontsize=7, loc="upper left", bbox_to_anchor=(1.0, 1.0))
    return save_figure(fig, path)


FIGURES = {
    "lm_cold_escape": fig_cold_escape,
    "lm_cold_curves": fig_cold_curves,
    "lm_warm": fig_warm,
    "lm_noise": fig_noise,
}
