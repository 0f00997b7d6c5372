"""q-schedule study (SCHEDULE): fixed q, stepwise q = 1 → 0, linear anneals and two adaptive rules on a scenario
with cold clean examples and noisy examples; escape time, peak/final contamination, final accuracy, Pareto front.

Rows go to results/schedule/rows-<config hash>.jsonl (a rerun resumes); figures to figures/categorical/.
"""

from __future__ import annotations

from tsallis_theory.plots import categorical as F
from tsallis_theory.results import run_tasks
from tsallis_theory.cli._categorical import add_common_arguments, results_file
from tsallis_theory.categorical.escort import check_q
from tsallis_theory.categorical.schedules import Scenario, Schedule, default_schedules, simulate


def configure(parser) -> None:
    d = Scenario()
    parser.add_argument("--n-examples", type=int, default=d.n_examples, help="number of examples")
    parser.add_argument("--noisy-fraction", type=float, default=d.noisy_fraction, help="fraction of noisy examples")
    parser.add_argument("--eps", type=float, default=d.eps, help="flip rate of a noisy example, in (0, 0.5)")
    parser.add_argument("--p0-min", type=float, default=d.p0_min, help="coldest initial P(gold)")
    parser.add_argument("--p0-max", type=float, default=d.p0_max, help="warmest initial P(gold)")
    parser.add_argument("--t-end", type=float, default=d.t_end, help="training horizon (flow time)")
    parser.add_argument("--fixed-q", type=float, nargs="+", metavar="Q", help="fixed q grid (default: built-in)")
    parser.add_argument("--switch-times", type=float, nargs="+", metavar="T", help="stepwise switch times")
    parser.add_argument("--anneal-times", type=float, nargs="+", metavar="T", help="linear anneal lengths")
    parser.add_argument("--smoke", action="store_true", help="tiny grid (tests)")
    add_common_arguments(parser, "schedule")


def _schedules(args) -> list[Schedule]:
    grid = default_schedules(small=args.smoke)
    if args.fixed_q:
        for q in args.fixed_q:
            check_q(q, "--fixed-q")
        grid = [s for s in grid if s.kind != "fixed"] + [Schedule("fixed", q=q) for q in args.fixed_q]
    if args.switch_times:
        grid = [s for s in grid if s.kind != "stepwise"] + [Schedule("stepwise", t_switch=t) for t in args.switch_times]
    if args.anneal_times:
        grid = [s for s in grid if s.kind != "linear"] + [Schedule("linear", t_anneal=t) for t in args.anneal_times]
    return grid


def run(args) -> int:
    from tsallis_theory.ledger.checks.categorical import schedule_verdict

    scenario = Scenario(n_examples=args.n_examples, noisy_fraction=args.noisy_fraction, eps=args.eps,
                        p0_min=args.p0_min, p0_max=args.p0_max, t_end=args.t_end)
    schedules = _schedules(args)
    fixed_qs = {s.q for s in schedules if s.kind == "fixed"}
    if not {0.0, 1.0} <= fixed_qs:
        raise ValueError("--fixed-q must include 0 and 1 (the verdict compares against both poles)")
    config = {"scenario": scenario.__dict__, "schedules": sorted(s.key() for s in schedules)}
    path = results_file(args.out, config).path
    rows = run_tasks(path, config, ((s.key(), lambda s=s: [simulate(scenario, s).row()]) for s in schedules),
                     fresh=args.fresh, progress=not args.no_progress, desc="schedules")
    fig_dir = args.figures
    best_step = min((r for r in rows if r["kind"] == "stepwise" and r["escape_time"] is not None),
                    key=lambda r: (r["escape_time"], r["final_contamination"]), default=None)
    keys = ["fixed:1", "fixed:0", "fixed:0.5", *([best_step["key"]] if best_step else []),
            *[next(r["key"] for r in rows if r["kind"] == k) for k in ("linear", "reward_ema", "per_example")
              if any(r["kind"] == k for r in rows)]]
    paths = [F.schedule_pareto(rows, scenario.t_end, f"{fig_dir}/schedule_pareto.png"),
             F.schedule_curves(rows, keys, f"{fig_dir}/schedule_curves.png")]
    print(f"{'schedule':<38} {'escape':>8} {'peak c':>8} {'final c':>9} {'acc':>6}")
    for r in rows:
        esc = "never" if r["escape_time"] is None else f"{r['escape_time']:.3g}"
        print(f"{r['label']:<38} {esc:>8} {r['peak_contamination']:>8.4f} {r['final_contamination']:>9.2e} "
              f"{r['final_accuracy']:>6.3f}")
    verdict = schedule_verdict(rows)
    print(f"SCHEDULE {verdict.status}: {verdict.evidence}")
    print(f"wrote {path} and " + ", ".join(str(p) for p in paths))
    return 0
