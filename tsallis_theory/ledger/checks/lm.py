"""Ledger checks LM-COLD, LM-WARM, LM-NOISE: verdicts from the small-LM study's rows, never training.

Where the rows are: ``<results_dir>/lm_<preset>/runs.jsonl`` for the cpu and the gpu preset, side by side, under
the results directory the ledger is given (``CheckContext.results_dir``; the CLI's default is the committed rows,
experiments/results). Each preset is read on its own; rows of the older design (no ``design`` field, or one
other than ``studies.lm.DESIGN``: runs stopped at escape, per-draw noise at ε = 0.2, an easy warm base) are
reported as "older design" and never mixed into the status. Rows of a quick check (``--max-steps``, recorded
in the file's config) are NOT RUN: every stage stopped at the cap, so they say nothing of the claim. Rows made
under another config than their preset's (``--seeds``, ``--cold-steps``, ...) are read by the same rule, and
the evidence names every field that differs. With an explicit ``path`` a check reads that one file.

A preset whose rows hold only part of its plan (``studies.lm.plan``; a study stopped at a time limit) is
read by the same rule on the rows present; its evidence names the runs present and planned per method.

How the presets combine into one status (fixed before any design-2 row existed): the presets whose rows give
a status (VERIFIED, PARTIAL, REFUTED or INCONCLUSIVE) combine; one alone gives its own; two agreeing give that
status; two disagreeing give PARTIAL (the evidence names each preset's own status); none gives NOT RUN.

Each check's docstring states its decision rule (``Decision rule:``), per preset; docs/lm.md, "Decision
rules", gives them with their reasons.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from tsallis_theory._numerics import escape_slope
from tsallis_theory.ledger.claims import (INCONCLUSIVE, NOT_RUN, PARTIAL, REFUTED, VERIFIED, CheckContext,
                                          Verdict)
from tsallis_theory.results import ResultsFile
from tsallis_theory.studies._lm_rows import (LATE_STEPS, base_reasoning, late, mean_se, noise_arm,
                                              noise_flow_yardstick, warm_run_summary)
from tsallis_theory.studies.lm import DESIGN, KEY_FIELDS, PRESETS, plan, results_config, runs_path

COMMAND = "tsallis-lab lm --preset cpu"  # writes experiments/results/lm_cpu/runs.jsonl
PRESETS_READ = ("cpu", "gpu")
LOW_METHODS = ("grpo", "rb-rloo", "garl-0.25", "garl-0.5")
LOW_Q_GARL = ("rb-rloo", "garl-0.25")
SATURATED = 0.98
DECIDING = (VERIFIED, PARTIAL, REFUTED, INCONCLUSIVE)


def _rows(experiment: str, path: Path) -> list[dict]:
    return [r for r in ResultsFile(path).rows() if r.get("experiment") == experiment]


def _pm(m, se, digits=3) -> str:
    return f"{m:.{digits}g}" + (f" ± {se:.2g}" if np.isfinite(se) else "")


# ---- LM-COLD ---------------------------------------------------------------------------------------------------
def _show(steps) -> str:
    return "/".join("–" if s is None else str(s) for s in steps)


def _verify_cold(ctx: CheckContext, rows: list[dict]) -> Verdict:
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
    for m in sorted({r["method"] for r in rows}):
        esc = [(r["p0"], r["escape_step"]) for r in rows if r["method"] == m and r["escape_step"] is not None]
        fit = escape_slope([p for p, _ in esc], [s for _, s in esc])
        if fit is not None:
            slopes[m] = {"slope": fit[0], "se": fit[1], "n": len(esc)}
    numbers["slopes"] = slopes
    high = [m for m in ("garl-0.75", "garl-1") if m in at_cold]
    if not high:
        return Verdict(NOT_RUN, f"no GARL q = 0.75 / 1 row at the coldest base; run: {COMMAND}", numbers)
    low = [m for m in LOW_METHODS if m in at_cold]
    low_stall = [m for m in low if all(s is None for s in at_cold[m])]
    high_escape = [m for m in high if all(s is not None for s in at_cold[m])]
    order_ok = (len(high_escape) == 2 and np.median(at_cold["garl-1"]) <= np.median(at_cold["garl-0.75"]))
    # (c) final quality, paired over (base, seed)
    final = {(r["method"], r["base"], r["seed"]): late(r, "eval_mean_P") for r in rows}
    pairs = sorted((b, s) for (m, b, s) in final if m == "garl-0.75" and ("garl-1", b, s) in final)
    diffs = [final[("garl-0.75", b, s)] - final[("garl-1", b, s)] for b, s in pairs]
    d, d_se = mean_se(diffs)
    final_by = {m: mean_se([v for (mm, b, _), v in final.items() if mm == m and b == coldest_base])[0]
                for m in at_cold}
    quality = ("untested" if len(diffs) < 2 else "holds" if d > 2 * d_se
               else "reversed" if d < -2 * d_se else "not resolved")
    numbers.update(low_stall=low_stall, high_escape=high_escape, order_ok=order_ok,
                   final_quality={"pairs": len(diffs), "mean_diff_075_minus_1": d, "se": d_se, "result": quality},
                   final_mean_P_at_coldest=final_by, paft_vs_garl=_paft_vs_garl(rows))
    fmt = ", ".join(f"{m}: {_show(at_cold[m])}" for m in sorted(at_cold))
    slope_txt = "; ".join(f"{m} {v['slope']:.2f}" + (f"±{v['se']:.2f}" if np.isfinite(v["se"]) else "")
                          + f" (n={v['n']})" for m, v in sorted(slopes.items()))
    n_seeds = max(len(v) for v in at_cold.values())
    stall = "(a) low q stalls" if low else "(a) low q stalls (untested: no GRPO, RB-RLOO or GARL q <= 0.5 rows)"
    parts = {stall: bool(low) and len(low_stall) == len(low), "(b) q = 0.75 and 1 escape, q = 1 first":
             len(high_escape) == len(high) == 2 and order_ok, "(c) q = 0.75 ends better": quality == "holds"}
    never = not any(s is not None for m in high for s in at_cold[m])
    if never or quality == "reversed":
        status = REFUTED
        why = ("no seed of GARL q = 0.75 or q = 1 escapes at the coldest base" if never
               else "q = 1 ends better than q = 0.75 by more than 2 SE")
    elif all(parts.values()):
        status, why = VERIFIED, "every part holds"
    else:
        status = PARTIAL
        why = "fails: " + ", ".join(k for k, ok in parts.items() if not ok)
    pvg = numbers["paft_vs_garl"]
    pvg_txt = "; ".join(f"q = {q}: escapes equal in {v['equal_escape']}/{v['pairs']} pairs, mean per-step |ΔP| "
                        f"{v['mean_abs_dP']:.3g}" + (f" (GARL across seeds: mean |Δ escape| "
                                                    f"{v['garl_cross_seed_mean_abs_d_escape']:.3g} steps)"
                                                    if v["garl_cross_seed_mean_abs_d_escape"] is not None else "")
                        for q, v in sorted(pvg.items()))
    evidence = (f"{status} ({why}). Steps to escape at the coldest base, p0 = {coldest:.2g} (mean P >= "
                f"{numbers['delta']} over a 10-step window, budget {budget} steps, – = none; {n_seeds} seed(s)): "
                f"{fmt}. Final held-out mean P (last {LATE_STEPS} steps) q = 0.75 − q = 1 over {len(diffs)} "
                f"(base, seed) pairs: {_pm(d, d_se)} ({quality}); at the coldest base "
                + ", ".join(f"{m} {v:.3f}" for m, v in sorted(final_by.items()))
                + f". Fitted log T vs log 1/p0: {slope_txt or 'too few escapes to fit'} (theory: 1 − q)."
                + (f" PAFT against GARL at equal q, same seed: {pvg_txt}." if pvg else ""))
    return Verdict(status, evidence, numbers, (ctx.figure("lm_cold_escape"),))


def _paft_vs_garl(rows) -> dict:
    """PAFT q against GARL q on the same (base, seed): equal escape steps and the mean per-step |ΔP|."""
    idx = {(r["method"], r["base"], r["seed"]): r for r in rows}
    out = {}
    for (m, b, s), r in idx.items():
        if not m.startswith("paft-") or ("garl-" + m[5:], b, s) not in idx:
            continue
        g = idx[("garl-" + m[5:], b, s)]
        n = min(len(r["mean_P"]), len(g["mean_P"]))
        v = out.setdefault(m[5:], {"pairs": 0, "equal_escape": 0, "abs_dP": []})
        v["pairs"] += 1
        v["equal_escape"] += int(r["escape_step"] == g["escape_step"])
        v["abs_dP"].append(float(np.mean(np.abs(np.subtract(r["mean_P"][:n], g["mean_P"][:n])))))
    res = {}
    for q, v in out.items():
        # the control: GARL at q against itself under another seed (independent draws), same base
        cross = [abs(a["escape_step"] - b["escape_step"]) for (m, b_, s), a in idx.items() if m == "garl-" + q
                 for (m2, b2, s2), b in idx.items() if m2 == m and b2 == b_ and s2 > s
                 and a["escape_step"] is not None and b["escape_step"] is not None]
        res[q] = {"pairs": v["pairs"], "equal_escape": v["equal_escape"], "mean_abs_dP": float(np.mean(v["abs_dP"])),
                  "garl_cross_seed_mean_abs_d_escape": float(np.mean(cross)) if cross else None}
    return res


# ---- LM-WARM ---------------------------------------------------------------------------------------------------
def _arm_lr(arm: str) -> float | None:
    kind, _, value = arm.partition("-")
    return float(value) if kind == "sgd" else None


def _verify_warm(ctx: CheckContext, rows: list[dict]) -> Verdict:
    cells: dict[tuple[str, str], list] = {}
    for r in rows:
        cells.setdefault((r.get("arm", ""), r["method"]), []).append(warm_run_summary(r))
    table = {c: {"stable": not any(v["collapsed"] for v in vs), "collapsed_seeds": sum(v["collapsed"] for v in vs),
                 "seeds": len(vs), "final": float(np.mean([v["final"] for v in vs])),
                 "final_se": mean_se([v["final"] for v in vs])[1],
                 "mean_P": float(np.mean([v["mean_P"] for v in vs])),
                 "rationale": float(np.mean([v["rationale"] for v in vs]))} for c, vs in cells.items()}
    arms = sorted({a for a, _ in table}, key=lambda a: (a.split("-")[0], _arm_lr(a) or 0, a))
    r1_arms, r2_arms = {}, {}
    for arm in arms:
        stable = {m: v for (a, m), v in table.items() if a == arm and v["stable"]}
        saturated = sum(v["final"] >= SATURATED for v in stable.values()) >= 2
        if len(stable) >= 2 and any(m in LOW_Q_GARL for m in stable) and not saturated:
            top = max(v["final"] for v in stable.values())
            near = {m: v for m, v in stable.items() if v["final"] >= top - 0.01}
            best = max(near, key=lambda m: near[m]["mean_P"])
            r1_arms[arm] = best
        garl_fell = [m for m in ("garl-0.75", "garl-1") if (arm, m) in table and not table[(arm, m)]["stable"]]
        if garl_fell and (arm, "paft-0.75") in table:
            r2_arms[arm] = {"garl_collapsed": garl_fell, "paft_0.75_stable": table[(arm, "paft-0.75")]["stable"]}
    r1_wins = sum(b in LOW_Q_GARL for b in r1_arms.values())
    r1 = "untestable" if not r1_arms else ("holds" if r1_wins > len(r1_arms) / 2 else "contradicted")
    r2 = ("untestable" if not r2_arms else
          "holds" if any(v["paft_0.75_stable"] for v in r2_arms.values()) else "contradicted")
    largest = {}
    for m in sorted({m for _, m in table}):
        lrs = sorted((_arm_lr(a), a) for (a, mm) in table if mm == m and _arm_lr(a) is not None)
        ok = [(lr, a) for lr, a in lrs if table[(a, m)]["stable"]]
        largest[m] = ({"lr": ok[-1][0], "final": table[(ok[-1][1], m)]["final"],
                       "mean_P": table[(ok[-1][1], m)]["mean_P"]} if ok else {"lr": None})
    reasoning = base_reasoning(rows)  # the base's step-0 rationale accuracy and agreement: reported, not deciding
    numbers = {"table": {f"{a}/{m}": v for (a, m), v in table.items()}, "R1": r1, "R1_best_by_arm": r1_arms,
               "R2": r2, "R2_arms": r2_arms, "largest_stable_sgd_lr": largest,
               "base_p0": sorted({r["p0"] for r in rows}),
               **{f"base_{k}": v for k, v in reasoning.items()}}
    if r1 == r2 == "untestable":
        status, why = INCONCLUSIVE, ("nothing discriminates: no GARL collapse, and no arm with stable methods "
                                     "that are not saturated")
    elif r1 == r2 == "holds":
        status, why = VERIFIED, "both regimes seen"
    elif "holds" not in (r1, r2) and "contradicted" in (r1, r2):
        status, why = REFUTED, "no regime holds and one is contradicted"
    else:
        status, why = PARTIAL, "one regime seen"
    lr_txt = ", ".join(f"{m} {v['lr']:g} (maj {v['final']:.2f}, P {v['mean_P']:.3f})" if v["lr"] is not None
                       else f"{m} none" for m, v in largest.items())
    arm_txt = "; ".join(
        f"{arm}: " + ", ".join(f"{m} {table[(arm, m)]['final']:.2f}" + ("" if table[(arm, m)]["stable"] else
                                                                        f" COLLAPSED {table[(arm, m)]['collapsed_seeds']}/{table[(arm, m)]['seeds']}")
                               for m in sorted(m for a, m in table if a == arm)) for arm in arms)
    base_txt = "".join(f", {k.replace('_', ' ')} {v:.2f}" for k, v in reasoning.items())
    evidence = (f"{status} ({why}). From base {', '.join(sorted({r['base'] for r in rows}))} "
                f"(p0 = {', '.join(f'{p:.3g}' for p in numbers['base_p0'])}"
                f"{base_txt}); "
                f"final maj@k (late {LATE_STEPS} steps, mean over seeds) per arm: {arm_txt}. "
                f"R1 (low-q GARL best where stable): {r1}"
                + (f", best per testable arm {r1_arms}" if r1_arms else "")
                + f". R2 (GARL collapses, PAFT q = 0.75 stable): {r2}"
                + (f" in {r2_arms}" if r2_arms else "")
                + f". Largest stable SGD lr per method: {lr_txt}.")
    return Verdict(status, evidence, numbers, (ctx.figure("lm_warm"),))


# ---- LM-NOISE --------------------------------------------------------------------------------------------------
def _verify_noise(ctx: CheckContext, rows: list[dict]) -> Verdict:
    eps = rows[0]["noise_eps"]
    budget = max(r["budget"] for r in rows)
    arms = {a: noise_arm([r for r in rows if r.get("arm") == a]) for a in ("fixed", "fresh")
            if any(r.get("arm") == a for r in rows)}
    numbers: dict = {"eps": eps, "budget": budget, "arms": arms,
                     "statistic": "κ = c/(P+c) over the last quarter of the steps; mean ± SE over gated seeds"}
    if "fixed" not in arms or "garl-1" not in arms["fixed"] or "rb-rloo" not in arms["fixed"]:
        return Verdict(NOT_RUN, f"no fixed-set GARL q = 1 and RB-RLOO rows; run: {COMMAND}", numbers)
    numbers["flow"] = {a: noise_flow_yardstick(a, s, eps, budget) for a, s in arms.items()}
    parts = {}
    for a, s in arms.items():
        one, zero = s.get("garl-1"), s.get("rb-rloo")
        if one:
            parts[f"{a}: (a) q = 1 contaminated"] = one["gated"] > 0 and one["kappa"] >= eps / 2
        if zero:
            parts[f"{a}: (b) q = 0 clean"] = zero["gated"] > 0 and zero["kappa"] <= eps / 10
        if one and zero:
            se = float(np.hypot(one["kappa_se"], zero["kappa_se"]))  # NaN (one gated seed): (c) cannot hold
            parts[f"{a}: (c) κ(1) > κ(0) + 2 SE"] = (one["gated"] > 0 and zero["gated"] > 0
                                                      and one["kappa"] - zero["kappa"] > 2 * se)
    sched = arms["fixed"].get("schedule")
    if sched:
        parts["fixed: (d) schedule escapes and stays clean"] = (sched["gated"] > 0 and sched["P"] >= 0.5
                                                                 and sched["kappa"] <= eps / 10)
    one, zero = arms["fixed"]["garl-1"], arms["fixed"]["rb-rloo"]
    numbers["parts"] = parts
    if one["gated"] == 0:
        status, why = INCONCLUSIVE, "no q = 1 seed passes the rationale gate (a destroyed model cannot show memorisation)"
    elif not any(abs(v["moved"]) > 2 * v["moved_se"] for v in (one, zero) if v["gated"]):  # NaN SE: not shown
        status, why = INCONCLUSIVE, (f"neither q = 1 nor q = 0 has moved from its start (κ − κ_start: q = 1 "
                                     f"{_pm(one['moved'], one['moved_se'])}, q = 0 {_pm(zero['moved'], zero['moved_se'])}): "
                                     f"the budget cannot discriminate")
    elif zero["gated"] > 0 and zero["kappa"] >= one["kappa"]:
        status, why = REFUTED, "q = 0 is no cleaner than q = 1 on the fixed set"
    elif all(parts.values()):
        status, why = VERIFIED, "every part holds"
    else:
        status, why = PARTIAL, "fails: " + ", ".join(k for k, ok in parts.items() if not ok)
    arm_txt = []
    for a, s in arms.items():
        flow = numbers["flow"].get(a)
        items = []
        for m, v in sorted(s.items()):
            item = (f"{m} {_pm(v['kappa'], v['kappa_se'])} (start {v['kappa_start']:.3g}, P {v['P']:.3f}, "
                    f"gated {v['gated']}/{v['seeds']}")
            if flow and m in flow["kappa"]:
                item += f"; flow {flow['kappa'][m]:.3g}, asymptote {flow['asymptote'][m]:.3g}"
            items.append(item + ")")
        clock = f" [flow clock {flow['clock_per_step']:.3g} per step, fitted on q = 1's clean escape]" if flow else ""
        arm_txt.append(f"{a}: " + "; ".join(items) + clock)
    evidence = (f"{status} ({why}). ε = {eps}, budget {budget} steps, κ = c/(P + c) on the training draws over the "
                f"last quarter, mean ± SE over seeds with rationale accuracy >= 0.9: " + " | ".join(arm_txt) + ".")
    return Verdict(status, evidence, numbers, (ctx.figure("lm_noise"),))


# ---- presets side by side --------------------------------------------------------------------------------------
def combine(statuses: dict[str, str]) -> str:
    """One status from the presets' own (module docstring): the deciding ones agree → that, disagree →
    PARTIAL, none → NOT RUN."""
    deciding = {s for s in statuses.values() if s in DECIDING}
    if not deciding:
        return NOT_RUN
    return deciding.pop() if len(deciding) == 1 else PARTIAL


def coverage(experiment: str, preset: str, rows: list[dict]) -> dict:
    """How many of the preset's planned runs of ``experiment`` (``studies.lm.plan``) the rows hold, and the
    methods with runs missing: {"planned", "present", "missing": {method: (present, planned)}}."""
    def key(r):
        return tuple(r[f] for f in KEY_FIELDS)

    planned = [s for s in plan(PRESETS[preset]) if s["experiment"] == experiment]
    have = {key(r) for r in rows}
    per: dict[str, list[int]] = {}
    for s in planned:
        per.setdefault(s["method"], [0, 0])[1] += 1
        per[s["method"]][0] += key(s) in have
    return {"planned": len(planned), "present": sum(v[0] for v in per.values()),
            "missing": {m: tuple(v) for m, v in per.items() if v[0] < v[1]}}


def config_differences(config: dict, preset: str) -> dict[str, tuple]:
    """The fields (dotted paths into nested configs) where a rows file's ``config`` differs from the preset's
    (``studies.lm.results_config``), as {field: (in the rows, in the preset)}."""
    def flat(d, prefix=""):
        out = {}
        for k, v in d.items():
            out.update(flat(v, f"{prefix}{k}.") if isinstance(v, dict) else {f"{prefix}{k}": v})
        return out

    here, there = flat(config), flat(json.loads(json.dumps(results_config(PRESETS[preset]))))
    return {k: (here.get(k), there.get(k)) for k in sorted(set(here) | set(there)) if here.get(k) != there.get(k)}


def _read(check, experiment: str, ctx: CheckContext, path: Path, preset: str | None = None) -> Verdict:
    config = ((ResultsFile(path).header() or {}).get("config") or {}) if path.exists() else {}
    cap = config.get("max_steps")
    if cap is not None:  # --max-steps: a check that the preset runs, not a result (docs/lm.md)
        return Verdict(NOT_RUN, f"the rows in {path} are a quick check of the preset (max_steps = {cap}: every stage "
                                f"stopped after at most {cap} step{'s' * (cap != 1)}, bases not reached stood in), "
                                "not a result", {"max_steps": cap})
    rows = _rows(experiment, path) if path.exists() else []
    new = [r for r in rows if r.get("design") == DESIGN]
    old = len(rows) - len(new)
    if not new:
        if old:
            return Verdict(NOT_RUN, f"{old} {experiment} rows in {path} are from an older design (before design "
                                    f"{DESIGN}: docs/lm.md); NOT RUN for this design", {"older_design_rows": old})
        return Verdict(NOT_RUN, f"no {experiment} rows in {path}", {})
    verdict = check(ctx, new)
    if old:
        verdict = Verdict(verdict.status, f"{verdict.evidence} ({old} older-design rows ignored.)",
                          {**verdict.numbers, "older_design_rows": old}, verdict.figures)
    cov = coverage(experiment, preset, new) if preset is not None else None
    if cov and cov["missing"]:  # reported beside the status, which the rule takes from the rows present
        gaps = ", ".join(f"{m} {have}/{of}" for m, (have, of) in cov["missing"].items())
        verdict = Verdict(verdict.status, f"{verdict.evidence} Incomplete study: {cov['present']} of the preset's "
                                          f"{cov['planned']} planned {experiment} runs (runs present/planned: {gaps}).",
                          {**verdict.numbers, "coverage": cov}, verdict.figures)
    differ = config_differences(config, preset) if preset is not None and config else {}
    if differ:  # another experiment than the preset's, read by the same rule; the evidence says how it differs
        shown = ", ".join(f"{k} {a} (preset: {b})" for k, (a, b) in differ.items())
        verdict = Verdict(verdict.status, f"{verdict.evidence} Made under another config than the {preset} preset's: "
                                          f"{shown}.", {**verdict.numbers, "config_differs": differ}, verdict.figures)
    return verdict


def _presets(check, experiment: str, ctx: CheckContext, path: Path | None) -> Verdict:
    if path is not None:
        v = _read(check, experiment, ctx, Path(path))
        return v if v.status != NOT_RUN else Verdict(NOT_RUN, f"{v.evidence}; run: {COMMAND}", v.numbers)
    readings = {p: _read(check, experiment, ctx, runs_path(ctx.results_dir, p), p) for p in PRESETS_READ}
    status = combine({p: v.status for p, v in readings.items()})
    rule = "the presets with a status combine: one alone gives its own, agreeing give it, disagreeing give PARTIAL"
    evidence = f"{status} (cpu and gpu presets; {rule}). " + " ".join(
        f"[{p} preset] {v.status if v.status != NOT_RUN else 'NOT RUN'}: {v.evidence}" for p, v in readings.items())
    if status == NOT_RUN:
        evidence += f" Run: {COMMAND}"
    numbers = {"presets": {p: {"status": v.status, **v.numbers} for p, v in readings.items()}}
    figures = next((v.figures for v in readings.values() if v.status in DECIDING), ())
    return Verdict(status, evidence, numbers, figures)


def verify_lm_cold(ctx: CheckContext, path: Path | None = None) -> Verdict:
    """LM-COLD from the rows of each preset (module docstring).

    Decision rule: escape = first step t whose mean P (teacher-forced w on the training draws) averaged over
    steps t..t+9 reaches δ = 1/2; every run continues to the full budget. Final quality of a run = held-out
    mean P averaged over its evaluations in the last 100 steps. Parts, at the coldest base: (a) no seed of
    GRPO, RB-RLOO or GARL q <= 0.5 escapes within the budget (untested, so not holding, without such rows);
    (b) every seed of GARL q = 0.75 and q = 1
    escapes, and q = 1 no later (median over seeds); (c) q = 0.75 ends better than q = 1: over every (cold
    base, seed) pair, the mean of final(q = 0.75) − final(q = 1) exceeds 2 standard errors. REFUTED if no seed
    of GARL q = 0.75 or q = 1 escapes at the coldest base, or if (c) is reversed (q = 1 ends better by more
    than 2 SE); VERIFIED if (a), (b), (c) hold; PARTIAL otherwise. Fitted slopes of log T against log 1/p0
    (theory 1 − q) and PAFT against GARL at the same q (paired by seed: equal escape steps, per-step |ΔP|;
    control: GARL's |Δ escape| across seeds) are reported. The cpu and gpu presets combine as the module
    docstring says: one preset with a status gives its own, two agreeing give theirs, two disagreeing give
    PARTIAL, none gives NOT RUN.
    """
    return _presets(_verify_cold, "cold", ctx, path)


def verify_lm_warm(ctx: CheckContext, path: Path | None = None) -> Verdict:
    """LM-WARM from the rows of each preset (module docstring).

    Decision rule: per run: peak = largest held-out maj@k over all evaluations (the base's included); late
    window = the evaluations in the last 100 steps; collapsed = min maj@k in the late window < peak/2, or mean
    rationale accuracy in the late window < 0.5. Final quality = late-window mean maj@k (ties within 0.01
    broken by late held-out mean P). An (arm, method) is stable if no seed collapsed. Regimes: R1 (low-q GARL
    best where stable): an arm is testable if it has >= 2 stable methods, one of them RB-RLOO or GARL q =
    0.25, and is not saturated (fewer than two stable methods at final maj@k >= 0.98); R1 holds if the best
    stable method is RB-RLOO or GARL q = 0.25 in a majority of the testable arms, is contradicted otherwise,
    untestable with no testable arm; R2 (GARL collapses, PAFT q = 0.75 stays stable): testable in the arms
    where GARL q = 0.75 or 1 collapsed and PAFT q = 0.75 ran; holds if PAFT q = 0.75 is stable in one of them,
    contradicted if it collapsed in all of them, untestable if GARL never collapsed. INCONCLUSIVE if both regimes are untestable
    (nothing discriminates); VERIFIED if both hold; REFUTED if neither holds and one is contradicted; PARTIAL
    otherwise. Reported: each method's largest stable SGD learning rate and its final quality there. The cpu
    and gpu presets combine as the module docstring says: one preset with a status gives its own, two agreeing
    give theirs, two disagreeing give PARTIAL, none gives NOT RUN.
    """
    return _presets(_verify_warm, "warm", ctx, path)


def verify_lm_noise(ctx: CheckContext, path: Path | None = None) -> Verdict:
    """LM-NOISE from the rows of each preset (module docstring).

    Decision rule: per run: κ = c/(P + c) over the last quarter of the steps (c and P: mean per-step
    probability of the noisy and of the clean label on the training draws), κ_start the same over the first 20
    steps; gate: mean held-out rationale accuracy over the last 100 steps >= 0.9 (a destroyed model cannot
    pass); per method the mean over gated seeds ± standard error. Arms: fixed (a fixed training set with a
    fixed flipped subset: memorisation) and fresh (flipped afresh at every draw). A standard error needs two
    gated seeds: with one, a comparison in SEs ((c), "has moved") cannot be shown. Parts, in every arm present:
    (a) q = 1 contaminated: κ(1) >= ε/2; (b) q = 0 clean: κ(0) <= ε/10; (c) κ(1) > κ(0) by more than 2 SE; and
    in the fixed arm (d) the schedule gated, late P >= 1/2, κ <= ε/10. INCONCLUSIVE if in the fixed arm no q =
    1 seed passes the gate, or neither q = 1 nor q = 0 has moved (|κ − κ_start| within 2 SE for both: the
    budget cannot discriminate); REFUTED if κ(0) >= κ(1) in the fixed arm (q = 0 no cleaner); VERIFIED if
    every part holds; PARTIAL otherwise. Reported beside it (not deciding): the exact population flow of the
    answer head (``categorical.answer_head``) from the runs' measured start, its clock fitted once on q = 1's
    escape of the clean label (contamination never enters the fit), and the asymptote. The cpu and gpu presets
    combine as the module docstring says: one preset with a status gives its own, two agreeing give theirs,
    two disagreeing give PARTIAL, none gives NOT RUN.
    """
    return _presets(_verify_noise, "noise", ctx, path)
