"""Label-noise study (NOISE-EQ, NOISE-TIME; ESCORT/SHARPEN figure): escort flows, simulated equilibria over a
grid of q and ε, contamination paths per q and parameterisation, and memorisation times.

Rows go to results/noise/rows-<config hash>.jsonl (a rerun resumes); figures to figures/categorical/.
"""

from __future__ import annotations

import numpy as np

from tsallis_theory.plots import categorical as F
from tsallis_theory.results import run_tasks
from tsallis_theory.cli._categorical import add_common_arguments, floats_in, results_file
from tsallis_theory.categorical.escort import check_eps, check_q, noise_equilibrium


def configure(parser) -> None:
    parser.add_argument("--eps", type=float, nargs="+", default=[0.05, 0.1, 0.2, 0.3], metavar="ε",
                        help="flip rates for the equilibrium grid, each in (0, 0.5)")
    parser.add_argument("--q", type=float, nargs="+", default=[0.1, 0.2, 0.3, 0.4, 0.6, 0.8, 1.0],
                        metavar="Q", help="commitments for the equilibrium grid, each in (0, 1]")
    parser.add_argument("--path-eps", type=float, default=0.1, metavar="ε", help="flip rate of the paths and times")
    parser.add_argument("--p-tilde0", type=float, default=1e-6, help="initial contamination of the paths")
    parser.add_argument("--smoke", action="store_true", help="tiny grid (tests)")
    add_common_arguments(parser, "noise")


def _tasks(args):
    alpha = [0.5, 0.3, 0.2]
    smoke = args.smoke
    for q in np.linspace(0.2, 1.0, 3 if smoke else 9):
        yield {"kind": "escort", "q": round(float(q), 6), "alpha": alpha}
    for eps in args.eps:
        for q in args.q:
            for par in ("direct", "sigmoid"):
                yield {"kind": "equilibrium", "eps": eps, "q": q, "parameterisation": par}
    for q in (0.0, 1.0) if smoke else (0.0, 0.25, 0.5, 0.75, 1.0):
        for par in ("direct", "sigmoid"):
            yield {"kind": "path", "eps": args.path_eps, "q": q, "parameterisation": par}
    for q in (1.0,) if smoke else (0.25, 0.5, 0.75, 1.0):
        yield {"kind": "time", "eps": args.path_eps, "q": q}


def _key(task):
    return (task["kind"], task.get("eps"), task["q"], task.get("parameterisation"))


def _run_task(task, args):
    from tsallis_theory.categorical.flows import flow_to_stationarity
    from tsallis_theory.categorical.noise import noise_time_table, simulate_contamination, stable_contamination_by_flow

    kind = task["kind"]
    if kind == "escort":
        res = flow_to_stationarity(np.array(task["alpha"]), task["q"], "direct")
        return [{**task, "theta": res.theta.tolist(), "speed": res.speed}]
    if kind == "equilibrium":
        sim = stable_contamination_by_flow(task["eps"], task["q"], task["parameterisation"], 0.45)
        return [{**task, "p_tilde_star": sim, "formula": float(noise_equilibrium(task["eps"], task["q"]))}]
    if kind == "path":
        t = np.concatenate([[0.0], np.geomspace(1e-4, 1e8, 240)])
        p, _ = simulate_contamination(task["eps"], task["q"], args.p_tilde0, t, task["parameterisation"])
        return [{**task, "p_tilde0": args.p_tilde0, "t": t[: len(p)].tolist(), "p_tilde": p.tolist(),
                 "p_tilde_star": float(noise_equilibrium(task["eps"], task["q"]))}]
    table = noise_time_table((task["q"],), task["eps"], tuple(np.geomspace(1e-6, 1e-1, 11)), (1e-8, 1e-6, 1e-4, 1e-2),
                             with_ode=False)
    return [{**task, **{k: v for k, v in r.items() if k not in ("q", "eps")}, "kind": "time"} for r in table]


def run(args) -> int:
    floats_in("--eps", args.eps, check_eps)
    floats_in("--path-eps", [args.path_eps], check_eps)
    for q in args.q:
        check_q(q, "--q")
        if q == 0:
            raise ValueError("--q must be in (0, 1] (at q = 0 the equilibrium is the clean vertex, p̃* = 0)")
    if not 0 < args.p_tilde0 < 0.5:
        raise ValueError(f"--p-tilde0 must be in (0, 0.5); got {args.p_tilde0:g}")
    config = {"eps": args.eps, "q": args.q, "path_eps": args.path_eps, "p_tilde0": args.p_tilde0, "smoke": args.smoke}
    path = results_file(args.out, config).path
    rows = run_tasks(path, config, ((list(_key(t)), lambda t=t: _run_task(t, args)) for t in _tasks(args)),
                     fresh=args.fresh, progress=not args.no_progress, desc="noise study")
    fig_dir = args.figures
    paths = [
        F.escort_sharpening([r for r in rows if r["kind"] == "escort"], f"{fig_dir}/escort_sharpening.png"),
        F.noise_equilibrium_figure([r for r in rows if r["kind"] == "equilibrium"], f"{fig_dir}/noise_equilibrium.png"),
        F.contamination_paths([r for r in rows if r["kind"] == "path"], f"{fig_dir}/noise_contamination.png"),
        F.memorisation_times([r for r in rows if r["kind"] == "time"], f"{fig_dir}/noise_time.png"),
    ]
    eq = [r for r in rows if r["kind"] == "equilibrium"]
    worst = max(abs(r["p_tilde_star"] / r["formula"] - 1.0) for r in eq)
    print(f"NOISE-EQ: {len(eq)} simulated equilibria, max relative error vs eq. 17: {worst:.1e}")
    direct = [r for r in rows if r["kind"] == "time" and r["parameterisation"] == "direct" and r["eta_frac"] < 2e-6]
    for r in sorted(direct, key=lambda r: r["q"]):
        print(f"NOISE-TIME direct q={r['q']:g}: T/[η^(q+1)/((q+1)ε)] = {r['T'] / r['paper_law']:.4f} at η = "
              f"{r['eta_frac']:.0e}·p̃*")
    print(f"wrote {path} and " + ", ".join(str(p) for p in paths))
    return 0
