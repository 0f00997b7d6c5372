"""tsallis-lab estimators: exact bias and variance of GARL and PAFT on the tabular latent model.

Writes result rows to results/estimators/rows.jsonl (resumable) and the figures
figures/estimators_bias_vs_M.png, figures/estimators_bias_vs_P.png and figures/estimators_variance.png.
Claims: BIAS, VAR (and RLOO-BIAS, PAFT-BIAS through the variance rows' mean gaps).
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np

QS = (0.0, 0.25, 0.5, 0.75, 1.0)
KEY = ("sweep", "family", "q", "M", "P_target", "K")


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--out", default="results/estimators", help="folder for result rows")
    parser.add_argument("--figures", default="figures", help="folder for figures")
    parser.add_argument("--max-m", type=int, default=256, help="largest pool size of the exact bias sweep (>= 16)")
    parser.add_argument("--mc-pools", type=int, default=4000, help="Monte Carlo pools per cross-check point (>= 100)")
    parser.add_argument("--fresh", action="store_true", help="discard earlier rows instead of resuming")
    parser.add_argument("--no-progress", action="store_true", help="no progress bar")


def _tasks(args):
    from tsallis_theory.estimators import sweeps as S

    ms = [m for m in (4, 8, 16, 32, 64, 128, 256, 512) if m <= args.max_m]
    for q in QS:
        for m in ms:
            yield ("bias_vs_M", "soft", q, m, None, None), lambda q=q, m=m: [S.bias_row(S.SOFT_MODEL, q, m,
                                                                                         sweep="bias_vs_M", family="soft")]
    for q in (0.25, 0.5, 0.75):
        for p in np.geomspace(0.02, 0.3, 6):
            yield ("bias_vs_P", "rare", q, 1024, float(p), None), lambda q=q, p=p: list(
                S.bias_vs_p_rows([q], [float(p)], 1024))
    yield ("hard_bias", None, None, None, None, None), lambda: list(
        S.hard_bias_rows((0.25, 0.5, 0.75, 1.0), (8, 32, 128), np.geomspace(1e-4, 0.9, 40)))
    for q in (0.0, 0.5, 1.0):
        for m in (2, 3, 4, 5, 6):
            yield ("variance", "soft", q, m, None, 2), lambda q=q, m=m: [S.variance_row(S.SOFT_MODEL, q, m, 2)]
    for q in (0.5, 1.0):
        for m in (8, 32):
            yield ("mc", "soft", q, m, None, m), lambda q=q, m=m: [_mc_row(q, m, args.mc_pools)]


def _mc_row(q: float, m: int, n: int) -> dict:
    """Monte Carlo bias of GARL and variance of PAFT (K = M) with standard errors, next to the exact values."""
    import jax

    from tsallis_theory.estimators import sweeps as S
    from tsallis_theory.estimators.testbed import mc_moments, paft_resampling_variance, paft_sampled, pool_moments

    model = S.SOFT_MODEL
    g = mc_moments(jax.random.PRNGKey(10 + m), model, S.plugin(q), m, n)
    p = mc_moments(jax.random.PRNGKey(20 + m), model, lambda lw: paft_sampled(jax.random.PRNGKey(m), lw, q, m)[0], m, n)
    exact = pool_moments(model, S.plugin(q), m)
    truth = model.grad_loss(q)
    # the bias is a vector; report its component along the leading term, with the SE of that projection
    from tsallis_theory.estimators.bias import leading_bias

    u = leading_bias(model, q, m)
    u = u / np.linalg.norm(u)
    return dict(sweep="mc", family="soft", q=q, M=m, K=m, P=model.success, grad_lq=float(np.linalg.norm(truth)),
                mc_bias_along_leading=float((g.mean - truth) @ u), mc_bias_se=float(np.sqrt((g.mean_se**2) @ u**2)),
                exact_bias_along_leading=float((exact.mean - truth) @ u),
                mc_var_garl=g.variance, mc_var_garl_se=g.variance_se, mc_var_paft=p.variance,
                mc_var_paft_se=p.variance_se, exact_var_garl=exact.variance,
                exact_var_paft=exact.variance + paft_resampling_variance(model, q, m, m), n_pools=n)


def run(args) -> int:
    from tqdm.auto import tqdm

    from tsallis_theory.results import ResultsFile

    if args.max_m < 16:
        raise ValueError(f"--max-m must be >= 16; got {args.max_m}")
    if args.mc_pools < 100:
        raise ValueError(f"--mc-pools must be >= 100; got {args.mc_pools}")
    rf = ResultsFile(Path(args.out) / "rows.jsonl", {"max_m": args.max_m, "mc_pools": args.mc_pools})
    rf.start(fresh=args.fresh)
    done = {tuple(r.get("task")) for r in rf.rows() if r.get("task")}
    tasks = [(k, f) for k, f in _tasks(args) if tuple(k) not in done]
    for key, fn in tqdm(tasks, desc="estimators", unit="task", disable=args.no_progress):
        for row in fn():
            rf.append(dict(row, task=list(key)))
    figs = make_figures(rf.rows(), Path(args.figures))
    for f in figs:
        print(f"wrote {f}")
    print(f"rows: {rf.path}")
    return 0


def make_figures(rows: list[dict], out: Path) -> list[Path]:
    """The study's figures, from result rows only."""
    return [fig_bias_vs_m(rows, out / "estimators_bias_vs_M.png"), fig_bias_vs_p(rows, out / "estimators_bias_vs_P.png"),
            fig_variance(rows, out / "estimators_variance.png")]


def _colors():
    import matplotlib.pyplot as plt

    cmap = plt.get_cmap("viridis")
    return {q: cmap(0.1 + 0.8 * i / 4) for i, q in enumerate(QS)}


def fig_bias_vs_m(rows, path):
    from tsallis_theory.plots._style import new_figure, save_figure

    col = _colors()
    fig, ax = new_figure(figsize=(6.2, 4.4))
    for q in QS[1:]:
        r = sorted((x for x in rows if x.get("sweep") == "bias_vs_M" and x["q"] == q), key=lambda x: x["M"])
        if not r:
            continue
        m = np.array([x["M"] for x in r])
        ax.plot(m, [x["bias"] / x["grad_lq"] for x in r], "o", color=col[q], label=f"q = {q:g}: exact (all pools)")
        ax.plot(m, [x["leading"] / x["grad_lq"] for x in r], "--", color=col[q], lw=1)
        mc = [x for x in rows if x.get("sweep") == "mc" and x["q"] == q]
        for x in mc:
            ax.errorbar(x["M"], abs(x["mc_bias_along_leading"]) / x["grad_lq"], yerr=2 * x["mc_bias_se"] / x["grad_lq"],
                        fmt="x", color=col[q], capsize=3, ms=8)
    ax.plot([], [], "k--", lw=1, label="Thm 6.1 leading term")
    ax.plot([], [], "kx", label="Monte Carlo (±2 SE)")
    ax.set(xscale="log", yscale="log", xlabel="pool size M (rollouts)", ylabel="‖E[GARL] − ∇ℓ_q‖ / ‖∇ℓ_q‖",
           title="GARL plug-in bias vs M (w ≥ 0.05, P = %.2f): slope −1" % r[0]["P"])
    ax.legend(fontsize=8)
    return save_figure(fig, path)


def fig_bias_vs_p(rows, path):
    from tsallis_theory.plots._style import new_figure, save_figure

    col = _colors()
    fig, (a, b) = new_figure(1, 2, figsize=(11, 4.4))
    for q in (0.25, 0.5, 0.75):
        r = sorted((x for x in rows if x.get("sweep") == "bias_vs_P" and x["q"] == q), key=lambda x: x["P"])
        if r:
            p = np.array([x["P"] for x in r])
            a.plot(p, [x["bias"] for x in r], "o", color=col[q], label=f"q = {q:g} exact")
            a.plot(p, [x["leading"] for x in r], "--", color=col[q], lw=1)
    a.plot([], [], "k--", lw=1, label="Thm 6.1 leading term")
    a.set(xscale="log", yscale="log", xlabel="success probability P", ylabel="‖E[GARL] − ∇ℓ_q‖ (absolute)",
          title="rare success, w ∈ {1e-3, 1}, M = 1024")
    _plain_minor(a)
    a.legend(fontsize=8)
    hard = [x for x in rows if x.get("sweep") == "hard_bias"]
    for q in (0.25, 0.5, 0.75, 1.0):
        for m, ls in ((8, ":"), (32, "-"), (128, "-.")):
            r = sorted((x for x in hard if x["q"] == q and x["M"] == m), key=lambda x: x["P"])
            if not r:
                continue
            mp = np.array([x["M"] * x["P"] for x in r])
            b.plot(mp, [-x["relative_bias"] for x in r], ls, color=col[q], label=f"q = {q:g}" if m == 32 else None)
            if m == 32 and q < 1:
                b.plot(mp, [-x["asymptote"] for x in r], color="gray", lw=0.8, alpha=0.7)
    b.plot([], [], color="gray", lw=0.8, label="−q(1−q)(1−P)/(2MP)")
    b.plot([], [], "k:", label="M = 8"), b.plot([], [], "k-", label="M = 32"), b.plot([], [], "k-.", label="M = 128")
    b.set(xscale="log", yscale="log", ylim=(1e-4, 1.5), xlabel="expected successes M·P",
          ylabel="−(E[GARL]/∇ℓ_q − 1)", title="0/1 verifier: exact binomial sum")
    b.legend(fontsize=7, ncol=2)
    return save_figure(fig, path)


def fig_variance(rows, path):
    from tsallis_theory.plots._style import new_figure, save_figure

    col = _colors()
    fig, ax = new_figure(figsize=(6.2, 4.4))
    for q in (0.0, 0.5, 1.0):
        r = sorted((x for x in rows if x.get("sweep") == "variance" and x["q"] == q), key=lambda x: x["M"])
        if not r:
            continue
        m = [x["M"] for x in r]
        ax.plot(m, [x["var_garl"] for x in r], "o-", color=col[q], label=f"q = {q:g}: GARL plug-in")
        ax.plot(m, [x["var_garl_rloo"] for x in r], "s:", color=col[q], ms=4, label=f"q = {q:g}: GARL RLOO")
        ax.plot(m, [x["var_paft"] for x in r], "^--", color=col[q], label=f"q = {q:g}: PAFT (K = 2)")
        for x in (y for y in rows if y.get("sweep") == "mc" and y["q"] == q):
            ax.errorbar(x["M"], x["mc_var_paft"], yerr=2 * x["mc_var_paft_se"], fmt="^", mfc="none", color=col[q], capsize=3)
            ax.errorbar(x["M"], x["mc_var_garl"], yerr=2 * x["mc_var_garl_se"], fmt="o", mfc="none", color=col[q], capsize=3)
    ax.plot([], [], "ko", mfc="none", label="Monte Carlo, PAFT K = M (±2 SE)")
    ax.set(xscale="log", yscale="log", xlabel="pool size M", ylabel="tr Cov(ĝ)",
           title="Var(PAFT) = Var(GARL) + E[Var(PAFT | pool)] (exact for M ≤ 6)")
    ax.legend(fontsize=7, loc="center left", bbox_to_anchor=(1.01, 0.5))
    _plain_minor(ax)
    ax.set_xticks([2, 3, 4, 6, 8, 16, 32], ["2", "3", "4", "6", "8", "16", "32"])
    return save_figure(fig, path)


def _plain_minor(ax):
    from matplotlib.ticker import NullFormatter

    ax.xaxis.set_minor_formatter(NullFormatter())
