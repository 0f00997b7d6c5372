"""Figures of the atlas study (claim ATLAS) from its rows (``tsallis_theory.studies.atlas``).

* ``atlas_amplification``: every method's amplification f'(P) against P: exact with a 0/1 verifier at the
  study's G (solid), the population f'(P) (dotted), exact with a soft verifier (dashed).
* ``atlas_ceiling``: GARL's finite-group amplification for each q and G against the population P^−q; each
  caps at G^q for P ≪ 1/G.
* ``atlas_escape``: escape time to P = 1/2 against 1/p0, one panel per verifier kind (0/1, soft,
  population), one colour per method family, q by line style; the legend under each panel gives the slopes.
"""

from __future__ import annotations

import numpy as np

from tsallis_theory.plots._style import new_figure, save_figure

_G_STYLES = (":", "-", "-.", "--")
# escape-flow method -> (legend name, formatted with the row's fields; tab10 colour index and marker of its
# family): one colour per family, the q = 1 methods sharing one
_FAMILIES = {
    "grpo": ("GRPO", 0, "o"), "rloo": ("RLOO", 1, "s"), "maxrl": ("MaxRL T={T:g}", 2, "^"),
    "pass_at_k": ("pass@{k:g}", 4, "v"), "dco": ("DCO n={n:g}", 5, "D"),
    "iwae": ("IWAE / TRICE (q = 1)", 3, "P"), "log_likelihood": ("log-likelihood (q = 1)", 3, "P"),
    "garl": ("GARL q={q:g}", 9, "o"), "jq": ("J_Q q={q:g}", 9, "o"),
}
_OTHER = ("{method}", 7, "x")
_Q_STYLES = {0.25: ":", 0.5: "--", 0.75: "-."}
_VERIFIERS = (("hard", "0/1 verifier, G = {G}: slope ≈ 1"), ("soft", "soft w, G = {G}: slope 1 − q"),
              ("population", "population flow: slope 1 − q"))


def fig_amplification(rows, path):
    """All methods' amplification against P: 0/1 verifier (solid), population (dotted), soft w (dashed)."""
    import matplotlib.pyplot as plt

    curves = [r for r in rows if r.get("kind") == "curve"]
    if not curves:
        return None
    fig, ax = new_figure(figsize=(8.5, 5.5))
    cmap = plt.get_cmap("tab10")
    labels = list(dict.fromkeys(r["label"] for r in curves))
    for i, label in enumerate(labels):
        first = True
        for r in (x for x in curves if x["label"] == label):
            name = label if first else None
            first = False
            if r["verifier"] == "hard":
                ax.plot(r["P"], r["amplification"], "-", color=cmap(i % 10), label=name)
                ax.plot(r["P"], r["population"], ":", color=cmap(i % 10), lw=1)
            else:
                ax.plot(r["P"], r["amplification"], "--", color=cmap(i % 10), lw=2, alpha=0.8, label=name)
    g = curves[0]["G"]
    ax.plot([], [], "k-", label=f"0/1 verifier, G = {g} (exact)")
    ax.plot([], [], "k:", label="population f'(P)")
    ax.plot([], [], "k--", lw=2, label=f"soft w, G = {g} (exact)")
    ax.axvline(1 / g, color="gray", lw=0.8)
    ax.text(1 / g, 2e7, " P = 1/G", color="gray", fontsize=8)
    ax.set(xscale="log", yscale="log", ylim=(0.3, 1e8), xlabel="success probability P",
           ylabel="amplification f'(P)  (E[update] = f'(P)·∇P)", title="Amplification atlas: hard-verifier estimators "
           "cap for P ≪ 1/G, soft w does not")
    ax.legend(fontsize=7, ncol=2, loc="upper right")
    return save_figure(fig, path)


def fig_ceiling(rows, path):
    """GARL's 0/1-verifier amplification per q (colour) and G (line style), the caps G^q, and P^−q."""
    import matplotlib.pyplot as plt

    ceil = [r for r in rows if r.get("kind") == "ceiling"]
    if not ceil:
        return None
    fig, ax = new_figure(figsize=(6.5, 4.6))
    cmap = plt.get_cmap("viridis")
    qs = sorted({r["q"] for r in ceil})
    gs = sorted({r["G"] for r in ceil})
    style = dict(zip(gs, _G_STYLES))
    for i, q in enumerate(qs):
        c = cmap(0.1 + 0.8 * i / max(len(qs) - 1, 1))
        for gg in gs:
            r = next((x for x in ceil if x["q"] == q and x["G"] == gg), None)
            if r:
                ax.plot(r["P"], r["amplification"], style[gg], color=c)
                ax.plot(r["P"][0], gg**q, ">", color=c, ms=4)
        p = np.asarray(next(x["P"] for x in ceil if x["q"] == q))
        ax.plot(p, p ** (-q), color=c, lw=3, alpha=0.3, label=f"q = {q:g}: P^-q (population)")
    for gg in gs:
        ax.plot([], [], "k" + style[gg], label=f"GARL, 0/1 verifier, G = {gg}")
    ax.plot([], [], "k>", ms=4, label="ceiling G^q")
    ax.set(xscale="log", yscale="log", xlabel="success probability P", ylabel="expected amplification",
           title="The finite-group ceiling: E[GARL] caps at G^q for P ≪ 1/G")
    ax.legend(fontsize=7)
    return save_figure(fig, path)


def _escape_label(r) -> str:
    name = _FAMILIES.get(r["method"], _OTHER)[0].format(**r)
    return f"{name}: slope {r['slope']:.2f}"


def fig_escape(rows, path):
    """Escape time T against 1/p0 in three panels (0/1 verifier, soft w, population)."""
    import matplotlib.pyplot as plt

    esc = [r for r in rows if r.get("kind") == "escape"]
    if not esc:
        return None
    panels = [(v, title) for v, title in _VERIFIERS if any(r["verifier"] == v for r in esc)]
    fig, axes = new_figure(1, len(panels), figsize=(4.4 * len(panels), 4.4), sharex=True, sharey=True, squeeze=False)
    cmap = plt.get_cmap("tab10")
    g = esc[0]["G"]
    for ax, (verifier, title) in zip(axes[0], panels):
        for r in (x for x in esc if x["verifier"] == verifier):
            _, colour, marker = _FAMILIES.get(r["method"], _OTHER)
            ax.plot(1 / np.asarray(r["p0"]), r["times"], _Q_STYLES.get(r.get("q"), "-"), marker=marker, ms=4,
                    mfc="none", color=cmap(colour), label=_escape_label(r))
        ax.set(xscale="log", yscale="log", xlabel="1/p0", title=title.format(G=g))
        ax.title.set_fontsize(10)
        ax.legend(fontsize=7, loc="upper center", bbox_to_anchor=(0.5, -0.16), ncol=1 if verifier != "hard" else 2)
    axes[0][0].set_ylabel("escape time T (to P = 1/2)")
    fig.suptitle("Expected-estimator flows: a 0/1 verifier costs Ω(1/p0) for every method; soft w escapes "
                 "at the population rate", fontsize=11)
    return save_figure(fig, path)


FIGURES = {
    "atlas_amplification": fig_amplification,
    "atlas_ceiling": fig_ceiling,
    "atlas_escape": fig_escape,
}
