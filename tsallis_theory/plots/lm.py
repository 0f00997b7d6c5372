"""Figures of the small-LM study (claims LM-COLD, LM-WARM, LM-NOISE), drawn from its run rows (the rows of
``<out>/lm_<preset>/runs.jsonl``, which the caller reads; never retraining). Each follows the lab's figure
contract ``fig_<name>(rows, path=None, *, ax=None) -> Figure | None`` (``plots._style``); rows of an older
design (no ``design`` field) are drawn as they are. ``FIGURES``:

  lm_cold_escape   LM-COLD: steps to escape vs 1/p0 (log-log) per method, fitted slopes, theory 1 − q
  lm_cold_curves   LM-COLD: mean P vs step at the coldest base, and final held-out mean P vs p0 per method
  lm_warm          LM-WARM: late maj@k and late mean P per arm (learning rate, Adam, matched norm) and method
  lm_noise         LM-NOISE: κ = c/(P + c) vs step per q with the answer head's population flow and asymptote

The gpu preset's figures are the same with the prefix ``lm_gpu`` (``draw_figures("lm", rows, out,
prefix="lm_gpu")``).
"""

from __future__ import annotations

import numpy as np

from tsallis_theory._numerics import escape_slope
from tsallis_theory.lm.methods import ALL_METHODS, parse_method
from tsallis_theory.plots._style import figure_axes, finish_figure
from tsallis_theory.studies._lm_rows import base_reasoning, late, noise_arm, noise_flow_yardstick, warm_run_summary

WARM_ORDER = ("rb-rloo", "garl-0.25", "garl-0.5", "garl-0.75", "garl-1", "paft-0.25", "paft-0.75", "paft-1", "grpo",
              "schedule", "sft")


def _colour(method: str):
    import matplotlib.pyplot as plt

    cmap = plt.get_cmap("tab20")
    return cmap(ALL_METHODS.index(method) % 20) if method in ALL_METHODS else "k"


def _q_of(method: str):
    return parse_method(method).q


def _p0_text(rows) -> str:
    """The measured p0 of the base the rows start from (several when seeds ran from separately built bases)."""
    return ", ".join(f"{p:.2g}" for p in sorted({r["p0"] for r in rows}))


def _methods_in_order(rows) -> list[str]:
    seen = list(dict.fromkeys(r["method"] for r in rows))
    return sorted(seen, key=lambda m: ALL_METHODS.index(m) if m in ALL_METHODS else len(ALL_METHODS))


def fig_cold_escape(rows, path=None, *, ax=None):
    """LM-COLD: steps to escape against 1/p0 per method (censored runs at the top), fitted power laws and
    the theory slope 1 − q."""
    rows = [r for r in rows if r["experiment"] == "cold"]
    if not rows:
        return None
    fig, ax_ = figure_axes(ax, figsize=(7.5, 5))
    budget = max(r["budget"] for r in rows)
    methods = _methods_in_order(rows)
    for i, m in enumerate(methods):
        pts = sorted(((r["p0"], r["escape_step"]) for r in rows if r["method"] == m), key=lambda t: t[0])
        x_esc = np.array([1 / p for p, s in pts if s is not None])
        y_esc = np.array([s for p, s in pts if s is not None], float)
        jitter = 1.0 + 0.035 * (i - len(methods) / 2)  # keep censored markers of different methods apart
        x_cen = [jitter / p for p, s in pts if s is None]
        c = _colour(m)
        fit = escape_slope(1 / x_esc, y_esc) if len(x_esc) else None
        q = _q_of(m)
        label = m + (f": fitted slope {fit[0]:.2f}, n={len(x_esc)}" if fit else "") + \
            (f" (theory {1 - q:.2f})" if q is not None else "")
        ax_.plot(x_esc, y_esc, "o", color=c, label=label, ms=6)
        ax_.plot(x_cen, [budget * 1.12] * len(x_cen), "^", color=c, mfc="none", ms=7)
        if fit is not None:
            xs = np.geomspace(x_esc.min(), x_esc.max(), 20)
            centre = np.mean(np.log(y_esc)) - fit[0] * np.mean(np.log(x_esc))
            ax_.plot(xs, np.exp(centre) * xs ** fit[0], "-", color=c, lw=1.2)
            if q is not None:
                anchor = np.exp(np.mean(np.log(y_esc)) - (1 - q) * np.mean(np.log(x_esc)))
                ax_.plot(xs, anchor * xs ** (1 - q), ":", color=c, lw=1)
    ax_.axhline(budget, color="grey", lw=0.8, ls="--")
    ax_.text(0.01, budget * 1.2, f"△ no escape within the budget ({budget} steps)", fontsize=8, color="grey",
             transform=ax_.get_yaxis_transform())
    ax_.set_xscale("log")
    ax_.set_yscale("log")
    ax_.set_xlabel("1 / p0  (p0 = measured mean success probability of the base checkpoint)")
    ax_.set_ylabel(f"steps to escape (first step with mean P ≥ {rows[0]['escape_delta']})")
    ax_.set_title("LM-COLD: steps to escape vs 1/p0; solid: fitted power law, dotted: theory slope 1 − q", fontsize=9)
    ax_.legend(fontsize=7, loc="upper left", bbox_to_anchor=(1.0, 1.0))
    return finish_figure(fig, path, ax)


def fig_cold_curves(rows, path=None, *, ax=None):
    """LM-COLD: per-step mean P at the coldest base (first seed), and each method's final held-out mean P
    (last 100 steps, mean over seeds) against the base's p0: where q = 0.75 and q = 1 end."""
    rows = [r for r in rows if r["experiment"] == "cold"]
    if not rows:
        return None
    fig, (a1, a2) = figure_axes(ax, 1, 2, figsize=(12, 4.2))
    seed = min(r["seed"] for r in rows)
    coldest = min(r["p0"] for r in rows if r["seed"] == seed)
    sel = [r for r in rows if r["p0"] == coldest and r["seed"] == seed]
    for r in sorted(sel, key=lambda r: _methods_in_order(sel).index(r["method"])):
        steps = np.arange(1, len(r["mean_P"]) + 1)
        a1.plot(steps, np.maximum(r["mean_P"], 1e-6), color=_colour(r["method"]), lw=1, label=r["method"])
    a1.set_yscale("log")
    a1.axhline(sel[0]["escape_delta"], color="grey", ls="--", lw=0.8)
    a1.set_xlabel("training step")
    a1.set_ylabel("mean P on the training draws (teacher-forced w)")
    a1.set_title(f"LM-COLD from the coldest base (p0 = {coldest:.2g}), seed {seed}\n"
                 "mean P per step; dashed: escape level δ", fontsize=9)
    # older-design runs stopped at escape: only the ones that never escaped reached the budget, and drawing
    # those alone would read as every method's final quality
    full = [r for r in rows if r.get("design") is not None and r["steps_run"] >= r["budget"]]
    for m in _methods_in_order(full):
        by_p0: dict[float, list] = {}
        for r in full:
            if r["method"] == m:
                by_p0.setdefault(r["base"], []).append((r["p0"], late(r, "eval_mean_P")))
        pts = sorted((np.mean([p for p, _ in v]), np.mean([f for _, f in v]), np.std([f for _, f in v]))
                     for v in by_p0.values())
        x, y, s = (np.array(t) for t in zip(*pts))
        a2.errorbar(x, y, yerr=s, fmt="-o", ms=4, lw=1.2 if m in ("garl-0.75", "garl-1") else 0.7,
                    color=_colour(m), label=m, capsize=2)
    a2.set_xscale("log")
    a2.set_xlabel("p0 of the base checkpoint")
    a2.set_ylabel("final held-out mean P (last 100 steps; mean ± sd over seeds)")
    a2.set_title("where each method ends after the full budget\n(the paper: q = 0.75 ends above q = 1)", fontsize=9)
    if not full:
        a2.text(0.5, 0.5, "runs stopped at escape (older design):\nno final quality", ha="center",
                transform=a2.transAxes, fontsize=9, color="0.3")
    a1.legend(fontsize=7, loc="lower right")
    if full:
        a2.legend(fontsize=7, loc="upper left", bbox_to_anchor=(1.0, 1.0))
    return finish_figure(fig, path, ax)


def _arm_order(arm: str):
    kind, _, value = arm.partition("-")
    return ({"sgd": 0, "adam": 1, "norm": 2}.get(kind, 3), float(value) if value else 0.0, arm)


def fig_warm(rows, path=None, *, ax=None):
    """LM-WARM: per arm (SGD learning rate, Adam, matched update norm) and method, the late maj@k (left) and
    the late held-out mean P (right; it does not saturate), mean over seeds; a cross marks an (arm, method)
    where a seed collapsed (min maj@k of the last 100 steps below half its peak, or rationale accuracy < 0.5).
    When maj@k saturates, the left panel says so and the right panel still ranks the methods."""
    rows = [r for r in rows if r["experiment"] == "warm"]
    if not rows:
        return None
    fig, (a1, a2) = figure_axes(ax, 1, 2, figsize=(12, 4.4))
    arms = sorted({r.get("arm", "") for r in rows}, key=_arm_order)
    methods = [m for m in WARM_ORDER if any(r["method"] == m for r in rows)]
    width = 0.8 / max(len(methods), 1)
    finals, labelled = [], set()
    for j, m in enumerate(methods):
        for i, arm in enumerate(arms):
            runs = [warm_run_summary(r) for r in rows if r["method"] == m and r.get("arm", "") == arm]
            if not runs:
                continue
            x = i - 0.4 + (j + 0.5) * width
            collapsed = any(v["collapsed"] for v in runs)
            for a, key in ((a1, "final"), (a2, "mean_P")):
                vals = [v[key] for v in runs]
                a.plot([x] * len(vals), vals, ".", color=_colour(m), ms=3, alpha=0.6)
                a.plot(x, np.mean(vals), "x" if collapsed else "o", color=_colour(m), ms=7 if collapsed else 5,
                       label=None if (a, m) in labelled else m, mew=2)
                labelled.add((a, m))
            finals.append(np.mean([v["final"] for v in runs]))
    key = next(k for k in rows[0]["evals"][0] if k.startswith("maj@"))
    for a, label in ((a1, f"late held-out {key} (last 100 steps)"), (a2, "late held-out mean P (last 100 steps)")):
        a.set_xticks(range(len(arms)))
        a.set_xticklabels([arm or "one arm (older design)" for arm in arms], fontsize=8)
        a.set_xlabel("arm: sgd-<lr>, adam-<lr>, norm-<update norm>")
        a.set_ylabel(label)
        a.set_ylim(-0.02, 1.02)
    labels = {"rationale_acc": "rationale acc.", "rationale_agree": "rationale agreement"}
    base = _p0_text(rows) + "".join(f", {labels[k]} {v:.2f}" for k, v in base_reasoning(rows).items())
    names = ", ".join(sorted({r["base"] for r in rows}))
    a1.set_title(f"LM-WARM from base {names} (p0 = {base})\no stable, x a seed collapsed", fontsize=9)
    a2.set_title("the same runs by held-out mean P (does not saturate)", fontsize=9)
    if finals and min(finals) >= 0.98:
        a1.text(0.5, 0.3, f"{key} saturated (≥ 0.98) for every arm and method:\nit cannot rank them; see mean P",
                ha="center", transform=a1.transAxes, fontsize=9, color="0.3")
    a2.legend(fontsize=7, loc="upper left", bbox_to_anchor=(1.0, 1.0))
    return finish_figure(fig, path, ax)


def _binned(series, width: int):
    x = np.asarray(series, float)
    n = len(x) // width
    return (np.arange(n) + 0.5) * width, x[: n * width].reshape(n, width).mean(1)


def fig_noise(rows, path=None, *, ax=None):
    """LM-NOISE: κ = c/(P + c) on the training draws (in 50-step bins, mean over seeds) per q, one panel per
    arm (fixed set: memorisation; fresh: flipped afresh at every draw), beside the answer head's exact
    population flow from the runs' start (dashed; its clock fitted on q = 1's clean escape) and the flow's
    asymptote (dotted)."""
    from tsallis_theory.categorical.answer_head import noise_flow

    rows = [r for r in rows if r["experiment"] == "noise"]
    if not rows:
        return None
    arms = [a for a in ("fixed", "fresh") if any(r.get("arm") == a for r in rows)] or [None]
    fig, axes = figure_axes(ax, 1, len(arms), figsize=(6 * len(arms), 4.4))
    axes = np.atleast_1d(axes)
    eps = rows[0]["noise_eps"]
    budget = max(r["budget"] for r in rows)
    for a, arm in zip(axes, arms):
        sel = [r for r in rows if r.get("arm") == arm]
        stats = noise_arm(sel)
        flow = noise_flow_yardstick(arm, stats, eps, budget) if arm else None
        for m in _methods_in_order(sel):
            runs = [r for r in sel if r["method"] == m]
            kap = []
            for r in runs:
                x, P = _binned(r["mean_P"], 50)
                _, c = _binned(r["contamination"], 50)
                kap.append(c / (P + c))
            a.plot(x, np.mean(kap, axis=0), color=_colour(m), lw=1.3, label=f"{m} ({len(runs)} seeds)")
            if flow and m in flow["kappa"]:
                t = np.linspace(0, budget, 81)
                k = noise_flow(flow["P_start"], flow["c_start"], eps, _q_of(m), t * flow["clock_per_step"], arm)
                a.plot(t, k["kappa"], "--", color=_colour(m), lw=1)
                a.axhline(flow["asymptote"][m], color=_colour(m), ls=":", lw=0.8)
        a.set_yscale("log")
        a.set_xlabel("training step")
        a.set_ylabel("κ = c / (P + c) on the training draws")
        what = {"fixed": "fixed training set, fixed flipped subset", "fresh": "flipped afresh at every draw"}
        legend = ("solid: measured; dashed: answer-head population flow; dotted: its asymptote" if flow
                  else "measured (no population flow for this design)")
        a.set_title(f"LM-NOISE, {what.get(arm, 'older design')} (ε = {eps}, base p0 = {_p0_text(sel or rows)})\n"
                    + legend, fontsize=9)
        a.legend(fontsize=7, loc="lower right")
    return finish_figure(fig, path, ax)


FIGURES = {
    "lm_cold_escape": fig_cold_escape,
    "lm_cold_curves": fig_cold_curves,
    "lm_warm": fig_warm,
    "lm_noise": fig_noise,
}
