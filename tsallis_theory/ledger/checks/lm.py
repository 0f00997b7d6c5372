"""Ledger checks LM-COLD, LM-WARM, LM-NOISE: they read the cpu-preset rows under the ledger's results
directory (``<results_dir>/lm_cpu/runs.jsonl``; the CLI's default is the committed rows, experiments/results)
and never train. Missing rows give NOT RUN with the command. When the gpu preset's rows are there too
(``<results_dir>/lm_gpu/runs.jsonl``), the same rule's verdict on them is added to the evidence; the status
is the cpu preset's.

Decision rules (docs/lm.md):
  LM-COLD   escape = first step with mean P >= δ = 1/2 (the theory's fixed target). At the coldest base
            the claim predicts: GRPO, RB-RLOO and GARL q <= 0.5 do not escape within the budget; GARL
            q = 0.75 and q = 1 do, q = 1 no later than q = 0.75. VERIFIED if all hold, REFUTED if neither
            high-q method escapes, PARTIAL otherwise. Fitted slopes of log T vs log(1/p0) (theory 1 − q)
            are reported for every method that escaped from at least two bases.
  LM-WARM   collapse = final maj@k below half its peak. The paper's claim has two regimes (FinQA: stable,
            low-q GARL best; HotPotQA/MuSiQue: GARL collapses, PAFT q = 0.75 stable). VERIFIED needs both on
            our task: a low-q GARL run (q <= 0.25) best among stable runs (final maj@k, then mean P) and a
            GARL collapse while PAFT q = 0.75 stays stable. REFUTED if PAFT q = 0.75 collapses; PARTIAL
            otherwise, naming which regime was seen.
  LM-NOISE  contamination = held-out mean p(flipped label | x, z), averaged over the last 5 evaluations
            (the single final evaluation is noisy). VERIFIED if q = 1's contamination >= ε/2 (theory: ε),
            q = 0's <= ε/10 (theory: 0), and the schedule ends with mean P >= 1/2 and contamination
            <= ε/10 (same late average); PARTIAL if some hold; REFUTED if none.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from tsallis_theory._numerics import escape_slope
from tsallis_theory.ledger.claims import NOT_RUN, PARTIAL, REFUTED, VERIFIED, CheckContext, Verdict
from tsallis_theory.results import ResultsFile
from tsallis_theory.studies.lm import runs_path

COMMAND = "tsallis-lab lm --preset cpu"  # writes experiments/results/lm_cpu/runs.jsonl


def _rows(experiment: str, path: Path) -> list[dict]:
    return [r for r in ResultsFile(path).rows() if r.get("experiment") == experiment]


def _not_run(what: str, path: Path) -> Verdict:
    return Verdict(NOT_RUN, f"no {what} rows in {path}; run: {COMMAND}")


def escape_table(rows) -> dict[str, list[tuple[float, int | None]]]:
    out: dict[str, list] = {}
    for r in rows:
        out.setdefault(r["method"], []).append((r["p0"], r["escape_step"]))
    return {m: sorted(v, reverse=True) for m, v in out.items()}


def _verify_cold(ctx: CheckContext, path: Path) -> Verdict:
    rows = _rows("cold", path)
    if not rows:
        return _not_run("LM-COLD", path)
    table = escape_table(rows)
    # The coldest base by name: seeds may run from separately built bases of that name (their p0 differ a little).
    coldest_base = min(rows, key=lambda r: r["p0"])["base"]
    coldest = max(r["p0"] for r in rows if r["base"] == coldest_base)
    at_cold: dict[str, list] = {}
    for r in sorted(rows, key=lambda r: r["seed"]):
        if r["base"] == coldest_base:
            at_cold.setdefault(r["method"], []).append(r["escape_step"])
    budget = max(r["budget"] for r in rows)
    numbers: dict = {"coldest_p0": coldest, "budget": budget, "delta": rows[0]["escape_delta"],
                     "escape_at_coldest": at_cold, "n_runs": len(rows)}
    slopes = {}
    for m, pts in table.items():
        esc = [(p, s) for p, s in pts if s is not None]
        fit = escape_slope([p for p, _ in esc], [s for _, s in esc])
        if fit is not None:
            slopes[m] = {"slope": fit[0], "se": fit[1], "n": len(esc)}
    numbers["slopes"] = slopes
    low = [m for m in ("grpo", "rb-rloo", "garl-0.25", "garl-0.5") if m in at_cold]
    high = [m for m in ("garl-0.75", "garl-1") if m in at_cold]
    if not high:
        return Verdict(NOT_RUN, f"no GARL q = 0.75 / 1 row at the coldest base; run: {COMMAND}", numbers)
    low_stall = [m for m in low if all(s is None for s in at_cold[m])]
    high_escape = [m for m in high if all(s is not None for s in at_cold[m])]
    order_ok = ("garl-1" in high_escape and "garl-0.75" in high_escape
                and np.median(at_cold["garl-1"]) <= np.median(at_cold["garl-0.75"]))

    def show(steps):
        return "/".join("–" if s is None else str(s) for s in steps)

    fmt = ", ".join(f"{m}: {show(at_cold[m])}" for m in sorted(at_cold))
    slope_txt = "; ".join(f"{m} {v['slope']:.2f}" + (f"±{v['se']:.2f}" if np.isfinite(v["se"]) else "")
                          + f" (n={v['n']})" for m, v in sorted(slopes.items()))
    n_seeds = max(len(v) for v in at_cold.values())
    evidence = (f"steps to escape at the coldest base, p0 = {coldest:.2g} (mean P >= {numbers['delta']} over a 10-step window, budget "
                f"{budget} steps, – = none; {n_seeds} seed(s)) {fmt}. "
                f"Fitted log T vs log 1/p0: {slope_txt or 'too few escapes to fit'} (theory: 1 − q).")
    numbers.update(low_stall=low_stall, high_escape=high_escape, order_ok=order_ok)
    if len(low_stall) == len(low) and len(high_escape) == len(high) and order_ok:
        status = VERIFIED
    elif not any(s is not None for m in high for s in at_cold[m]):
        status = REFUTED
    else:
        status = PARTIAL
    return Verdict(status, evidence, numbers, (ctx.figure("lm_cold_escape"),))


def _maj(ev: dict) -> float:
    return next(v for k, v in ev.items() if k.startswith("maj@"))


def _verify_warm(ctx: CheckContext, path: Path) -> Verdict:
    rows = _rows("warm", path)
    if not rows:
        return _not_run("LM-WARM", path)
    per: dict[str, list] = {}
    for r in rows:
        curve = [_maj(e) for e in r["evals"]]
        per.setdefault(r["method"], []).append((curve[0], max(curve), curve[-1], r["final"]["eval_mean_P"]))
    summary = {m: {"start": float(np.mean([v[0] for v in vs])), "peak": float(np.mean([v[1] for v in vs])),
                   "final": float(np.mean([v[2] for v in vs])), "collapsed": any(v[2] < 0.5 * v[1] for v in vs),
                   "seeds": len(vs)} for m, vs in per.items()}
    stable = {m: v for m, v in summary.items() if not v["collapsed"]}
    garl_collapse = [m for m, v in summary.items() if m.startswith(("garl", "rb-rloo")) and v["collapsed"]]
    paft_ok = "paft-0.75" in stable
    final_p = {m: float(np.mean([v[3] for v in vs])) for m, vs in per.items()}
    best = max(stable, key=lambda m: (stable[m]["final"], final_p[m])) if stable else None
    low_q_best = best in ("rb-rloo", "garl-0.25")
    fmt = ", ".join(f"{m} {v['start']:.2f}→peak {v['peak']:.2f}→final {v['final']:.2f}" for m, v in sorted(summary.items()))
    evidence = (f"warm start maj@k {fmt}; collapsed (final < peak/2): {garl_collapse or 'none'}; "
                f"best stable: {best}.")
    numbers = {"summary": summary, "best_stable": best, "garl_collapsed": garl_collapse, "paft_0.75_stable": paft_ok}
    if "paft-0.75" not in summary:
        return Verdict(NOT_RUN, f"no PAFT q = 0.75 warm row; run: {COMMAND}", numbers)
    numbers["final_mean_P"] = final_p
    evidence += f" Final mean P: {', '.join(f'{m} {p:.3f}' for m, p in sorted(final_p.items()))}."
    status = VERIFIED if paft_ok and garl_collapse and low_q_best else PARTIAL
    if not paft_ok:
        status = REFUTED
    return Verdict(status, evidence, numbers, (ctx.figure("lm_warm"),))


def _verify_noise(ctx: CheckContext, path: Path) -> Verdict:
    rows = _rows("noise", path)
    if not rows:
        return _not_run("LM-NOISE", path)
    eps = rows[0]["noise_eps"]

    def late(r, key):
        return float(np.mean([e[key] for e in r["evals"][-5:]]))

    by_method: dict[str, list] = {}
    for r in rows:
        by_method.setdefault(r["method"], []).append(r)
    fin = {m: {k: float(np.mean([late(r, k) for r in rs])) for k in ("eval_contamination", "eval_mean_P")}
           for m, rs in by_method.items()}
    numbers = {"eps": eps, "statistic": "mean of the last 5 held-out evaluations, averaged over seeds",
               "seeds": {m: len(rs) for m, rs in by_method.items()},
               "contamination": {m: f["eval_contamination"] for m, f in fin.items()},
               "mean_P": {m: f["eval_mean_P"] for m, f in fin.items()},
               "escort_theory": {f"{q:g}": eps ** (1 / q) / (eps ** (1 / q) + (1 - eps) ** (1 / q))
                                 for q in (0.25, 0.5, 0.75, 1.0)}}
    parts = []
    if "garl-1" in fin:
        parts.append(("q = 1 contaminated", fin["garl-1"]["eval_contamination"] >= eps / 2))
    if "rb-rloo" in fin:
        parts.append(("q = 0 clean", fin["rb-rloo"]["eval_contamination"] <= eps / 10))
    if "schedule" in fin:
        parts.append(("schedule escapes and stays clean",
                      fin["schedule"]["eval_mean_P"] >= 0.5 and fin["schedule"]["eval_contamination"] <= eps / 10))
    if not parts:
        return _not_run("LM-NOISE (garl-1 / rb-rloo / schedule)", path)
    fmt = ", ".join(f"{m}: contamination {f['eval_contamination']:.3g}, P {f['eval_mean_P']:.3f}"
                    for m, f in sorted(fin.items()))
    held = [name for name, ok in parts if ok]
    evidence = (f"ε = {eps}, mean of the last 5 evaluations ({max(numbers['seeds'].values())} seed(s)): {fmt} (theory at equilibrium: q = 1 → ε, "
                f"q = 0 → 0). Holds: {', '.join(held) or 'none'}; "
                f"fails: {', '.join(n for n, ok in parts if not ok) or 'none'}.")
    numbers["holds"] = {n: bool(ok) for n, ok in parts}
    status = VERIFIED if len(held) == len(parts) == 3 else (REFUTED if not held else PARTIAL)
    return Verdict(status, evidence, numbers, (ctx.figure("lm_noise"),))


def _with_gpu(check, experiment: str, ctx: CheckContext, path: Path | None) -> Verdict:
    """The verdict on ``path``, by default the cpu rows under ``ctx.results_dir``; then the same rule applied
    to the gpu-preset rows beside them is appended to the evidence (the status stays the cpu preset's, which
    the ledger is defined on)."""
    gpu_path = None
    if path is None:
        path, gpu_path = runs_path(ctx.results_dir, "cpu"), runs_path(ctx.results_dir, "gpu")
    verdict = check(ctx, path)
    if gpu_path is None or not gpu_path.exists():
        return verdict
    gpu = check(ctx, gpu_path)
    if gpu.status == NOT_RUN:
        return verdict
    n = len(_rows(experiment, gpu_path))
    numbers = {**verdict.numbers, "gpu_preset": {"status": gpu.status, "runs": n, **gpu.numbers}}
    evidence = f"{verdict.evidence} Gpu preset ({n} runs, {gpu_path.parent.name}): {gpu.status}: {gpu.evidence}"
    return Verdict(verdict.status, evidence, numbers, verdict.figures)


def verify_lm_cold(ctx: CheckContext, path: Path | None = None) -> Verdict:
    return _with_gpu(_verify_cold, "cold", ctx, path)


def verify_lm_warm(ctx: CheckContext, path: Path | None = None) -> Verdict:
    return _with_gpu(_verify_warm, "warm", ctx, path)


def verify_lm_noise(ctx: CheckContext, path: Path | None = None) -> Verdict:
    return _with_gpu(_verify_noise, "noise", ctx, path)
