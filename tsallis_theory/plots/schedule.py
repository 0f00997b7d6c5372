"""Figures of the schedule study (``tsallis_theory.studies.schedule``), one ``fig_<name>(rows, path=None, *,
ax=None)`` per figure on the contract of ``plots._style``; each reads the rows, never reruns them, and returns
None when the rows hold nothing for it. Both are byte-stable: every ordering has a deterministic tie-break.

    schedule_pareto.png   escape time of clean examples against final contamination of noisy ones (SCHEDULE)
    schedule_curves.png   contamination, escaped fraction and q(t) over time for representative schedules
"""

from __future__ import annotations

import numpy as np

from tsallis_theory.plots._style import figure_axes, finish_figure

_STYLES = {"fixed": ("o", "C0", "fixed q"), "stepwise": ("s", "C3", "stepwise 1→0 (switch time)"),
           "linear": ("^", "C2", "linear anneal 1→0 (length)"), "reward_ema": ("D", "C4", "adaptive: reward EMA"),
           "per_example": ("P", "C1", "adaptive: per-example reward")}
_TAG = {"fixed": "q", "stepwise": "t_switch", "linear": "t_anneal"}  # the parameter written next to a marker


def _horizon(rows) -> float:
    """The training horizon: the last time of the recorded curves."""
    return max(r["t_grid"][-1] for r in rows)


def fig_pareto(rows, path=None, *, ax=None):
    """Escape time (90% of clean examples at P(gold) ≥ 1/2) against final contamination (mean P(flip) on noisy
    examples), one marker per schedule, log-log; a schedule that never escapes sits right of the horizon. The
    one-parameter families are joined in order of escape time, ties broken by contamination then by key."""
    if not rows:
        return None
    t_end = _horizon(rows)
    edge = 1.6 * t_end
    fig, ax_ = figure_axes(ax, figsize=(7.5, 5))
    for kind, (marker, color, label) in _STYLES.items():
        sel = sorted((r for r in rows if r["kind"] == kind), key=lambda r: r["key"])
        if not sel:
            continue
        x = [edge if r["escape_time"] is None else r["escape_time"] for r in sel]
        y = [r["final_contamination"] for r in sel]
        if kind in _TAG:
            order = sorted(range(len(sel)), key=lambda i: (x[i], y[i], sel[i]["key"]))
            ax_.plot([x[i] for i in order], [y[i] for i in order], "-", color=color, lw=0.8, alpha=0.6)
        ax_.scatter(x, y, marker=marker, color=color, s=40, label=label, zorder=3)
        if kind in _TAG:
            for r, xi, yi in zip(sel, x, y):
                ax_.annotate(f"{r['params'][_TAG[kind]]:g}", (xi, yi), textcoords="offset points", xytext=(4, 3),
                             fontsize=7, color=color)
    ax_.axvline(t_end, color="gray", ls=":", lw=1)
    ax_.text(edge, min(r["final_contamination"] for r in rows), "not escaped\nby horizon", fontsize=7,
             color="gray", ha="center", va="top")
    ax_.set_xscale("log")
    ax_.set_yscale("log")
    ax_.set_xlabel("escape time: 90% of clean examples at P(gold) ≥ 1/2 (flow time, log scale)")
    ax_.set_ylabel(f"final contamination at t = {t_end:g} (mean P(flip) on noisy examples, log)")
    ax_.set_title(f"SCHEDULE: lower-left is better ({len(rows)} schedules)")
    ax_.legend(fontsize=8, loc="upper right")
    return finish_figure(fig, path, ax)


def representative(rows) -> list[dict]:
    """The schedules the curves show: fixed q = 1, 0 and 0.5 (those present), the stepwise run that escapes
    first (ties: lower final contamination, then key), and the first run (by key) of each other kind."""
    by_key = {r["key"]: r for r in rows}
    out = [by_key[k] for k in ("fixed:1", "fixed:0", "fixed:0.5") if k in by_key]
    steps = [r for r in rows if r["kind"] == "stepwise" and r["escape_time"] is not None]
    if steps:
        out.append(min(steps, key=lambda r: (r["escape_time"], r["final_contamination"], r["key"])))
    for kind in ("linear", "reward_ema", "per_example"):
        sel = sorted((r for r in rows if r["kind"] == kind), key=lambda r: r["key"])
        out += sel[:1]
    return out


def fig_curves(rows, path=None, *, ax=None):
    """Contamination (log), fraction of clean examples escaped, and the mean q(t) over flow time (log) for the
    ``representative`` schedules. Three panels."""
    shown = representative(rows)
    if not shown:
        return None
    fig, (ax1, ax2, ax3) = figure_axes(ax, 1, 3, figsize=(15, 4.2))
    for i, r in enumerate(shown):
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
    return finish_figure(fig, path, ax)


FIGURES = {"schedule_pareto": fig_pareto, "schedule_curves": fig_curves}
