"""Summaries of the small-LM study's rows (claims LM-COLD, LM-WARM, LM-NOISE), shared by the ledger checks
and the figures so that both read a run the same way (docs/lm.md, "Decision rules").

    late(r, key)              held-out ``key`` averaged over the evaluations of the last ``LATE_STEPS`` steps
    warm_run_summary(r)       LM-WARM: peak and late minimum of maj@k, late rationale accuracy, collapse flag
    base_reasoning(rows)      LM-WARM: the base's rationale accuracy and agreement at the runs' step 0
    noise_run_summary(r)      LM-NOISE: κ = c/(P + c) late and at the start on the training draws, the gate
    noise_arm(rows)           LM-NOISE: per method, mean ± SE over gated seeds
    noise_flow_yardstick(...) LM-NOISE: the answer head's exact population flow at the budget per q
"""

from __future__ import annotations

import numpy as np

LATE_STEPS = 100  # the late window of LM-COLD and LM-WARM, in steps
GATE_RATIONALE = 0.9  # LM-NOISE: a run counts only with late rationale accuracy at or above this


def mean_se(xs) -> tuple[float, float]:
    xs = np.asarray(xs, float)
    if not len(xs):
        return float("nan"), float("nan")
    return float(xs.mean()), float(xs.std(ddof=1) / np.sqrt(len(xs))) if len(xs) > 1 else float("nan")


def late(r: dict, key: str) -> float:
    """Mean of held-out ``key`` over the run's evaluations in the last ``LATE_STEPS`` steps (at least one)."""
    evals = [e for e in r["evals"] if e["step"] > 0]
    start = r["budget"] - LATE_STEPS
    late = [e[key] for e in evals if e["step"] >= start] or [e[key] for e in evals[-1:]] or [r["evals"][-1][key]]
    return float(np.mean(late))


BASE_REASONING = ("rationale_acc", "rationale_agree")  # what says whether a base's rationales are diverse


def base_reasoning(rows: list[dict]) -> dict[str, float]:
    """The base's rationale accuracy and agreement (``BASE_REASONING``), each averaged over the runs' step-0
    evaluations; a metric that some row lacks (older rows have no agreement) is left out."""
    return {k: float(np.mean([r["evals"][0][k] for r in rows])) for k in BASE_REASONING
            if all(k in r["evals"][0] for r in rows)}


def maj_key(ev: dict) -> str:
    return next(k for k in ev if k.startswith("maj@"))


def warm_run_summary(r: dict) -> dict:
    """Peak, late-window minimum and mean of maj@k, late rationale accuracy and mean P, and the collapse flag."""
    key = maj_key(r["evals"][0])
    curve = [e[key] for e in r["evals"]]
    start = r["budget"] - LATE_STEPS
    late = [e for e in r["evals"] if e["step"] >= start and e["step"] > 0] or r["evals"][-1:]
    peak, low = max(curve), min(e[key] for e in late)
    rat = float(np.mean([e["rationale_acc"] for e in late]))
    return {"peak": peak, "min_late": low, "final": float(np.mean([e[key] for e in late])), "rationale": rat,
            "mean_P": float(np.mean([e["eval_mean_P"] for e in late])), "collapsed": low < peak / 2 or rat < 0.5}


def noise_run_summary(r: dict) -> dict:
    """κ = c/(P + c) over the last quarter of the steps and over the first 20, late P, and the gate."""
    P, c = np.asarray(r["mean_P"], float), np.asarray(r["contamination"], float)
    n = len(P)
    tail = slice(n - max(n // 4, 1), n)
    early = slice(0, min(20, n))
    rat = late(r, "rationale_acc")
    return {"kappa": float(c[tail].mean() / (P[tail].mean() + c[tail].mean())),
            "kappa_start": float(c[early].mean() / (P[early].mean() + c[early].mean())),
            "P_start": float(P[early].mean()), "c_start": float(c[early].mean()),
            "P": float(P[tail].mean()), "rationale": rat, "gated": rat >= GATE_RATIONALE}


def noise_arm(rows: list[dict]) -> dict:
    by: dict[str, list] = {}
    for r in rows:
        by.setdefault(r["method"], []).append(r)
    out = {}
    for m, rs in by.items():
        runs = [noise_run_summary(r) for r in rs]
        ok = [v for v in runs if v["gated"]]
        k, k_se = mean_se([v["kappa"] for v in ok])
        moved, moved_se = mean_se([v["kappa"] - v["kappa_start"] for v in ok])
        out[m] = {"seeds": len(runs), "gated": len(ok), "kappa": k, "kappa_se": k_se, "moved": moved,
                  "moved_se": moved_se, "P": float(np.mean([v["P"] for v in ok])) if ok else float("nan"),
                  "kappa_start": float(np.mean([v["kappa_start"] for v in runs])),
                  "P_start": float(np.mean([v["P_start"] for v in runs])),
                  "c_start": float(np.mean([v["c_start"] for v in runs])),
                  "escape": [r["escape_step"] for r in rs]}
    return out


def noise_flow_yardstick(arm: str, stats: dict, eps: float, budget: int) -> dict | None:
    """The answer head's population flow at the budget per q, its clock fitted on q = 1's clean escape."""
    from tsallis_theory.categorical.answer_head import (calibrated_clock, noise_asymptote, noise_flow,
                                                        time_to_clean_level)
    from tsallis_theory.lm.methods import parse_method

    if "garl-1" not in stats or not eps > 0:
        return None
    s1 = stats["garl-1"]
    esc = [e for e in s1["escape"] if e is not None]
    p_start = float(np.mean([v["P_start"] for v in stats.values()]))
    c_start = float(np.mean([v["c_start"] for v in stats.values()]))
    if not esc or not 0 < p_start < 0.5 or not 0 < c_start < 1 - p_start:
        return None
    clock = calibrated_clock(time_to_clean_level(p_start, c_start, eps, 1.0, 0.5, arm), float(np.median(esc)))
    if clock is None:
        return None
    out = {"clock_per_step": clock, "P_start": p_start, "c_start": c_start, "kappa": {}, "asymptote": {}}
    for m in stats:
        q = parse_method(m).q
        if q is None:
            continue
        out["kappa"][m] = float(noise_flow(p_start, c_start, eps, q, [0.0, clock * budget], arm)["kappa"][-1])
        out["asymptote"][m] = noise_asymptote(eps, q, arm)
    return out
