"""Figures of the atlas study (claim ATLAS) from its rows (``tsallis_theory.studies.atlas``), one
``fig_<name>(rows, path=None, *, ax=None)`` per figure on the contract of ``plots._style``.

* ``atlas_amplification``: every method's amplification f'(P) against P: exact with a 0/1 verifier at the
  study's G (solid), the population f'(P) (dotted), exact with a soft verifier (dashed).
* ``atlas_ceiling``: GARL's finite-group amplification for each q and G against the population P^−q; each
  caps at G^q for P ≪ 1/G.
* ``atlas_escape``: escape time to P = 1/2 against 1/p0, small multiples: one panel per q of the J_Q family
  (0/1 verifier, soft w and population flow in three colours) and one for the other methods, each series with
  its theory slope (1 for a 0/1 verifier, 1 − q otherwise) dotted beside it and its fitted slope in the legend.
"""

from __future__ import annotations

import numpy as np

from tsallis_theory.plots._style import figure_axes, figure_grid, figure_title, finish_figure

_G_STYLES = (":", "-", "-.", "--")
# escape-flow method -> (legend name, formatted with the row's fields; tab10 colour index and marker), for the
# methods outside the J_Q family (the "other methods" panel of atlas_escape)
_FAMILIES = {
    "grpo": ("GRPO", 0, "o"), "rloo": ("RLOO", 1, "s"), "maxrl": ("MaxRL T={T:g}", 2, "^"),
    "pass_at_k": ("pass@{k:g}", 4, "v"), "dco": ("DCO n={n:g}", 5, "D"), "rb_reinforce": ("RB-REINFORCE", 6, "<"),
    "rlvr": ("RLVR", 8, ">"), "dr_grpo": ("Dr.GRPO", 7, "h"),
}
_OTHER = ("{method}", 7, "x")
# the J_Q family in the escape rows: method -> its q (None: the row's own q); IWAE/TRICE and the
# log-likelihood are its q = 1 member
_JQ_FAMILY = {"garl": None, "garl_rloo": None, "paft": None, "jq": None, "iwae": 1.0, "trice": 1.0,
              "log_likelihood": 1.0}
# verifier -> (legend text, colour, line style, marker) in the J_Q panels
_VERIFIER_STYLE = {
    "hard": ("0/1 verifier, G = {G}", "C3", "-", "o"),
    "soft": ("soft w, G = {G}", "C0", "-", "s"),
    "population": ("population flow", "k", "--", None),
}
_JQ_NAMES = {"garl": "GARL", "garl_rloo": "GARL-RLOO", "paft": "PAFT", "jq": "J_Q", "iwae": "IWAE",
             "trice": "TRICE", "log_likelihood": "log-likelihood"}

def fig_amplification(rows, path=None, *, ax=None):
    """All methods' amplification against P: 0/1 verifier (solid), population (dotted), soft w (dashed)."""
    import matplotlib.pyplot as plt

    curves = [r for r in rows if r.get("kind") == "curve"]
    if not curves:
        return None
    fig, panel = figure_axes(ax, figsize=(8.5, 5.5))
    cmap = plt.get_cmap("tab10")
    labels = list(dict.fromkeys(r["label"] for r in curves))
    for i, label in enumerate(labels):
        first = True
        for r in (x for x in curves if x["label"] == label):
            name = label if first else None
            first = False
            if r["verifier"] == "hard":
                panel.plot(r["P"], r["amplification"], "-", color=cmap(i % 10), label=name)
                panel.plot(r["P"], r["population"], ":", color=cmap(i % 10), lw=1)
            else:
                panel.plot(r["P"], r["amplification"], "--", color=cmap(i % 10), lw=2, alpha=0.8, label=name)
    g = curves[0]["G"]
    panel.plot([], [], "k-", label=f"0/1 verifier, G = {g} (exact)")
    panel.plot([], [], "k:", label="population f'(P)")
    panel.plot([], [], "k--", lw=2, label=f"soft w, G = {g} (exact)")
    panel.axvline(1 / g, color="gray", lw=0.8)
    panel.text(1 / g, 2e7, " P = 1/G", color="gray", fontsize=8)
    panel.set(xscale="log", yscale="log", ylim=(0.3, 1e8), xlabel="success probability P",
           ylabel="amplification f'(P)  (E[update] = f'(P)·∇P)", title="Amplification atlas: hard-verifier estimators "
           "cap for P ≪ 1/G, soft w does not")
    panel.legend(fontsize=7, ncol=2, loc="upper right")
    return finish_figure(fig, path, ax)


def fig_ceiling(rows, path=None, *, ax=None):
    """GARL's 0/1-verifier amplification per q (colour) and G (line style), the caps G^q, and P^−q."""
    import matplotlib.pyplot as plt

    ceil = [r for r in rows if r.get("kind") == "ceiling"]
    if not ceil:
        return None
    fig, panel = figure_axes(ax, figsize=(6.5, 4.6))
    cmap = plt.get_cmap("viridis")
    qs = sorted({r["q"] for r in ceil})
    gs = sorted({r["G"] for r in ceil})
    style = dict(zip(gs, _G_STYLES))
    for i, q in enumerate(qs):
        c = cmap(0.1 + 0.8 * i / max(len(qs) - 1, 1))
        for gg in gs:
            r = next((x for x in ceil if x["q"] == q and x["G"] == gg), None)
            if r:
                panel.plot(r["P"], r["amplification"], style[gg], color=c)
                panel.plot(r["P"][0], gg**q, ">", color=c, ms=4)
        p = np.asarray(next(x["P"] for x in ceil if x["q"] == q))
        panel.plot(p, p ** (-q), color=c, lw=3, alpha=0.3, label=f"q = {q:g}: P^-q (population)")
    for gg in gs:
        panel.plot([], [], "k" + style[gg], label=f"GARL, 0/1 verifier, G = {gg}")
    panel.plot([], [], "k>", ms=4, label="ceiling G^q")
    panel.set(xscale="log", yscale="log", xlabel="success probability P", ylabel="expected amplification",
           title="The finite-group ceiling: E[GARL] caps at G^q for P ≪ 1/G")
    panel.legend(fontsize=7)
    return finish_figure(fig, path, ax)


def _family_q(r) -> float | None:
    """The q of an escape row's J_Q-family method (1 for IWAE, TRICE, the log-likelihood), None outside it."""
    if r["method"] not in _JQ_FAMILY:
        return None
    q = _JQ_FAMILY[r["method"]]
    return float(r["q"]) if q is None else q


def _theory_slope(r, q) -> float:
    """ATLAS's slope of ln T on ln(1/p0): 1 with a 0/1 verifier (the finite group caps f'_G, so T = Ω(1/p0)),
    1 − q with a soft verifier and in the population flow (the amplification P^−q survives)."""
    return 1.0 if r["verifier"] == "hard" or q is None else 1.0 - q


def _draw_theory(panel, r, slope, color):
    """The theory line through the series' point at the smallest p0 (the theory is asymptotic in p0 → 0):
    T ∝ (1/p0)^slope, or ∝ ln(1/p0) for slope 0 (q = 1: T = Θ(ln(1/p0)))."""
    x = 1 / np.asarray(r["p0"], float)
    i = int(np.argmax(x))
    t0 = r["times"][i]
    y = t0 * (x / x[i]) ** slope if slope > 0 else t0 * np.log(x) / np.log(x[i])
    panel.plot(x, y, ":", color=color, lw=1.6, alpha=0.8)


def _escape_panels(esc) -> list[tuple[str, list[dict], float | None]]:
    """(title, rows, q) per panel: one per q of the J_Q family, then the other methods (q None)."""
    qs = sorted({q for q in map(_family_q, esc) if q is not None})
    panels = []
    for q in qs:
        rows = [r for r in esc if _family_q(r) == q]
        names = " / ".join(dict.fromkeys(_JQ_NAMES[r["method"]] for r in rows))
        panels.append((f"q = {q:g}: {names}", rows, q))
    others = [r for r in esc if _family_q(r) is None]
    if others:
        hard = all(r["verifier"] == "hard" for r in others)
        panels.append(("other methods" + (f", 0/1 verifier, G = {others[0]['G']}" if hard else ""), others, None))
    return panels


def fig_escape(rows, path=None, *, ax=None):
    """Escape time T to P = 1/2 of the expected-estimator flow against 1/p0 (log-log), small multiples: one
    panel per q of the J_Q family (GARL with a 0/1 and a soft verifier, the population flow of J_Q; q = 1 is
    IWAE/TRICE and the log-likelihood), one panel for the other methods; the dotted lines are ATLAS's theory
    slopes (1 for a 0/1 verifier, 1 − q for soft w and the population) through each series' smallest-p0 point, and
    the legend gives the fitted slopes. Panels in a grid of three columns."""
    esc = [r for r in rows if r.get("kind") == "escape"]
    if not esc:
        return None
    import matplotlib.pyplot as plt

    panels = _escape_panels(esc)
    ncols = min(3, len(panels))
    nrows = -(-len(panels) // ncols)
    fig, axes = figure_grid(ax, nrows, ncols, figsize=(4.6 * ncols, 4.0 * nrows), sharex=True, sharey=True)
    g = esc[0]["G"]
    cmap = plt.get_cmap("tab10")
    for panel, (title, series, q) in zip(axes.flat, panels):
        for r in series:
            x = 1 / np.asarray(r["p0"], float)
            slope = _theory_slope(r, q)
            if q is None:
                name, colour, marker = _FAMILIES.get(r["method"], _OTHER)
                color, style = cmap(colour), "-"
                label = f"{name.format(**r)}" + ("" if r["verifier"] == "hard" else f" ({r['verifier']})")
            else:
                label, color, style, marker = _VERIFIER_STYLE[r["verifier"]]
                label = label.format(G=g)
            theory = f"theory {slope:g}" + (": T ∝ ln(1/p0)" if slope == 0 else "")
            panel.plot(x, r["times"], style, marker=marker, ms=4, mfc="none", color=color, lw=1.3,
                       label=f"{label}: slope {r['slope']:.2f} ({theory})")
            _draw_theory(panel, r, slope, color)
        panel.plot([], [], "k:", lw=1.6, alpha=0.8, label="theory slope, through the smallest-p0 point")
        panel.set(xscale="log", yscale="log", title=title)
        panel.title.set_fontsize(10)
        spare = axes.flat[len(panels)] if len(panels) < axes.size else None
        if q is None and spare is not None:  # many series: their legend goes into the free cell beside them
            spare.legend(*panel.get_legend_handles_labels(), fontsize=8, loc="center left",
                         title=title, title_fontsize=9)
        else:
            panel.legend(fontsize=7, loc="upper left")
    for panel in axes.flat[len(panels):]:
        panel.axis("off")
    for panel in axes[-1]:
        panel.set_xlabel("1/p0 (initial success probability)")
    for panel in axes[:, 0]:
        panel.set_ylabel("escape time T (to P = 1/2)")
    figure_title(fig, ax, f"ATLAS: escape time of the expected-estimator flow dθ/dt = −E[ĝ]. With a 0/1 verifier "
                 f"(G = {g}) every method needs Ω(1/p0), slope 1;\nsoft w escapes at the population rate, slope "
                 "1 − q (soft and population curves coincide)", fontsize=11)
    return finish_figure(fig, path, ax)


FIGURES = {
    "atlas_amplification": fig_amplification,
    "atlas_ceiling": fig_ceiling,
    "atlas_escape": fig_escape,
}
