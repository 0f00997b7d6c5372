"""tsallis-lab atlas: every method's amplification f'(P), the finite-group ceiling and escape-time slopes.

Writes result rows to results/atlas/rows.jsonl (resumable) and the figures figures/atlas_amplification.png,
figures/atlas_ceiling.png and figures/atlas_escape.png. Claim: ATLAS (SPEC §3).
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np

# (label, method, kwargs) for the hard-verifier atlas
ATLAS = [
    ("RLVR / RLOO", "rloo", {}), ("Dr.GRPO", "dr_grpo", {}), ("GRPO", "grpo", {}), ("GARL q=0.5", "garl", {"q": 0.5}),
    ("GARL q=0.75", "garl", {"q": 0.75}), ("IWAE / TRICE (q=1)", "iwae", {}), ("MaxRL T=8", "maxrl", {"T": 8}),
    ("pass@8", "pass_at_k", {"k": 8}), ("DCO n=8", "dco", {"n": 8}),
]
SOFT = [("GARL q=0.5", "garl", {"q": 0.5}), ("GARL q=0.75", "garl", {"q": 0.75}), ("IWAE / TRICE (q=1)", "iwae", {}),
        ("RB-REINFORCE (q=0)", "rb_reinforce", {})]
ESCAPE = ([("grpo", {}, "hard"), ("rloo", {}, "hard"), ("maxrl", {"T": 8}, "hard"), ("pass_at_k", {"k": 8}, "hard"),
           ("dco", {"n": 8}, "hard"), ("iwae", {}, "hard"), ("iwae", {}, "soft"), ("log_likelihood", {}, "population")]
          + [(m, {"q": q}, v) for q in (0.25, 0.5, 0.75) for m, v in (("garl", "hard"), ("garl", "soft"), ("jq", "population"))])


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--out", default="results/atlas", help="folder for result rows")
    parser.add_argument("--figures", default="figures", help="folder for figures")
    parser.add_argument("--group", type=int, default=32, help="group size G of the finite-group curves (>= 2)")
    parser.add_argument("--fresh", action="store_true", help="discard earlier rows instead of resuming")
    parser.add_argument("--no-progress", action="store_true", help="no progress bar")


def _tasks(g: int):
    from tsallis_theory import atlas as A

    ps = np.geomspace(1e-8, 0.99, 60)
    model = A.SoftModel()
    thetas = np.array([model.theta_of_log_p(np.log(p)) for p in np.geomspace(1e-8, 0.45, 40)])
    for label, m, kw in ATLAS:
        yield ("curve", label, "hard", g), lambda label=label, m=m, kw=kw: [dict(
            kind="curve", label=label, verifier="hard", G=g, P=ps.tolist(),
            amplification=np.asarray(A.expected_amplification(m, ps, g, **kw)).tolist(),
            population=np.asarray(A.population_amplification(m, ps, g=g, **kw)).tolist())]
    for label, m, kw in SOFT:
        yield ("curve", label, "soft", g), lambda label=label, m=m, kw=kw: [dict(
            kind="curve", label=label, verifier="soft", G=g, P=model.success(thetas).tolist(),
            amplification=A.soft_amplification(m, thetas, g, model=model, **kw).tolist())]
    for q in (0.25, 0.5, 0.75, 1.0):
        for gg in (8, 32, 128):
            yield ("ceiling", q, gg), lambda q=q, gg=gg: [dict(
                kind="ceiling", q=q, G=gg, P=ps.tolist(),
                amplification=np.asarray(A.expected_amplification("garl", ps, gg, q=q)).tolist())]
    p0s = np.geomspace(1e-7, 1e-3, 5)  # P ≪ 1/G, where the finite-group ceiling holds
    for m, kw, v in ESCAPE:
        yield ("escape", m, v, kw.get("q"), g), lambda m=m, kw=kw, v=v: [
            dict(r, kind="escape") for r in A.escape_slopes([(m, kw, v)], p0s, g=g, model=model)]


def run(args) -> int:
    from tqdm.auto import tqdm

    from tsallis_theory.results import ResultsFile

    if args.group < 2:
        raise ValueError(f"--group must be >= 2; got {args.group}")
    rf = ResultsFile(Path(args.out) / "rows.jsonl", {"group": args.group})
    rf.start(fresh=args.fresh)
    done = {tuple(r["task"]) for r in rf.rows() if r.get("task")}
    tasks = [(k, f) for k, f in _tasks(args.group) if tuple(k) not in done]
    for key, fn in tqdm(tasks, desc="atlas", unit="task", disable=args.no_progress):
        for row in fn():
            rf.append(dict(row, task=list(key)))
    rows = rf.rows()
    out = Path(args.figures)
    for f in (fig_amplification(rows, out / "atlas_amplification.png"), fig_ceiling(rows, out / "atlas_ceiling.png"),
              fig_escape(rows, out / "atlas_escape.png")):
        print(f"wrote {f}")
    for r in (x for x in rows if x["kind"] == "escape"):
        q = f" q={r['q']:g}" if "q" in r else ""
        print(f"escape slope {r['method']}{q:<7} {r['verifier']:<10} {r['slope']:.3f} ± {r['slope_se']:.3f}")
    print(f"rows: {rf.path}")
    return 0


def fig_amplification(rows, path):
    import matplotlib.pyplot as plt

    from tsallis_theory.plots._style import new_figure, save_figure

    fig, ax = new_figure(figsize=(8.5, 5.5))
    cmap = plt.get_cmap("tab10")
    curves = [r for r in rows if r["kind"] == "curve"]
    labels = list(dict.fromkeys(r["label"] for r in curves))
    for i, label in enumerate(labels):
        for r in (x for x in curves if x["label"] == label):
            if r["verifier"] == "hard":
                ax.plot(r["P"], r["amplification"], "-", color=cmap(i), label=f"{label}")
                ax.plot(r["P"], r["population"], ":", color=cmap(i), lw=1)
            else:
                ax.plot(r["P"], r["amplification"], "--", color=cmap(i), lw=2, alpha=0.8)
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
    import matplotlib.pyplot as plt

    from tsallis_theory.plots._style import new_figure, save_figure

    fig, ax = new_figure(figsize=(6.5, 4.6))
    cmap = plt.get_cmap("viridis")
    for i, q in enumerate((0.25, 0.5, 0.75, 1.0)):
        c = cmap(0.1 + 0.8 * i / 3)
        for gg, ls in ((8, ":"), (32, "-"), (128, "-.")):
            r = next((x for x in rows if x["kind"] == "ceiling" and x["q"] == q and x["G"] == gg), None)
            if r:
                ax.plot(r["P"], r["amplification"], ls, color=c)
                ax.plot(r["P"][0], gg**q, ">", color=c, ms=4)
        p = np.asarray(next(x["P"] for x in rows if x["kind"] == "ceiling"))
        ax.plot(p, p ** (-q), color=c, lw=3, alpha=0.3, label=f"q = {q:g}: P^-q (population)")
    for gg, ls in ((8, ":"), (32, "-"), (128, "-.")):
        ax.plot([], [], "k" + ls, label=f"GARL, 0/1 verifier, G = {gg}")
    ax.plot([], [], "k>", ms=4, label="ceiling G^q")
    ax.set(xscale="log", yscale="log", xlabel="success probability P", ylabel="expected amplification",
           title="The finite-group ceiling: E[GARL] caps at G^q for P ≪ 1/G")
    ax.legend(fontsize=7)
    return save_figure(fig, path)


def fig_escape(rows, path):
    import matplotlib.pyplot as plt

    from tsallis_theory.plots._style import new_figure, save_figure

    fig, ax = new_figure(figsize=(7.5, 5))
    esc = [r for r in rows if r["kind"] == "escape"]
    cmap = plt.get_cmap("tab20")
    style = {"hard": "-o", "soft": "--s", "population": ":^"}
    names = list(dict.fromkeys((r["method"], r.get("q")) for r in esc))
    for r in esc:
        i = names.index((r["method"], r.get("q")))
        q = f" q={r['q']:g}" if r.get("q") is not None else ""
        ax.plot(1 / np.asarray(r["p0"]), r["times"], style[r["verifier"]], color=cmap(i % 20), ms=4,
                label=f"{r['method']}{q} {r['verifier']}: slope {r['slope']:.2f}")
    ax.set(xscale="log", yscale="log", xlabel="1/p0", ylabel="escape time T (to P = 1/2)",
           title=f"Expected-estimator flows, G = {esc[0]['G']}: 0/1 verifier slope ≈ 1, soft w slope 1 − q")
    ax.legend(fontsize=6.5, ncol=2)
    return save_figure(fig, path)
