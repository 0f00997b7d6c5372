"""The smoke preset end to end (pretraining, a run, rows, resume), the CLI's bad input, the ledger checks'
decision rules on synthetic rows, and figures from rows."""

import json
import math

import pytest

from tsallis_theory.ledger.claims import NOT_RUN, PARTIAL, REFUTED, VERIFIED, CheckContext
from tsallis_theory.cli import main
from tsallis_theory.ledger.checks import lm as checks
from tsallis_theory.lm.config import PRESETS
from tsallis_theory.studies.lm import plan, run_study


def test_smoke_preset_runs_and_resumes(tmp_path):
    study = PRESETS["smoke"]
    rows = run_study(study, tmp_path / "out", tmp_path / "ck", methods=("garl-1",), progress=False)
    assert [(r["experiment"], r["method"]) for r in rows] == [("cold", "garl-1")]
    r = rows[0]
    assert r["steps_run"] == len(r["mean_P"]) == study.cold_steps and 0 < r["p0"] < 1
    bases = [json.loads(x) for x in (tmp_path / "out" / "bases.jsonl").read_text().splitlines()[1:]]
    assert {b["name"] for b in bases} == {"warm", "cold-0.3"} and all(0 < b["p0"] < 1 for b in bases)
    again = run_study(study, tmp_path / "out", tmp_path / "ck", methods=("garl-1",), progress=False)
    assert again == rows  # finished runs are skipped, nothing is recomputed


def test_plan_filters_methods_and_rejects_unknown():
    runs = plan(PRESETS["cpu"], ("garl-1",))
    assert {r["method"] for r in runs} == {"garl-1"} and {r["experiment"] for r in runs} == {"cold", "noise"}
    seeds = [r["seed"] for r in plan(PRESETS["cpu"])]
    assert seeds == sorted(seeds)  # seed by seed: a study cut short holds whole seeds
    with pytest.raises(ValueError, match="unknown method"):
        plan(PRESETS["cpu"], ("bogus",))


@pytest.mark.parametrize("argv, text", [
    (["lm", "--preset", "huge"], "invalid choice"),
    (["lm", "--methods", "garl-2"], "q must be in [0, 1]"),
    (["lm", "--max-steps", "0"], "--max-steps must be >= 1"),
])
def test_cli_bad_input_exit_2(argv, text, capsys):
    assert main(argv) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and text in err[0]


def _row(exp, method, p0, esc, **kw):
    base = {"experiment": exp, "base": f"b{p0}", "method": method, "seed": 0, "p0": p0, "budget": 100,
            "escape_step": esc, "escape_delta": 0.5, "noise_eps": kw.pop("eps", 0.0)}
    return {**base, **kw}


def _write(tmp_path, rows):
    path = tmp_path / "runs.jsonl"
    path.write_text("\n".join(json.dumps(r) for r in [{"meta": {}, "config": {}}, *rows]) + "\n")
    return path


def test_cold_check_rules(tmp_path):
    good = [_row("cold", m, p, e) for p in (0.1, 0.01) for m, e in
            (("garl-1", 5), ("garl-0.75", 9 if p == 0.01 else 6), ("garl-0.5", None), ("rb-rloo", None), ("grpo", None))]
    v = checks.verify_lm_cold(CheckContext(), _write(tmp_path, good))
    assert v.status == VERIFIED and v.numbers["slopes"]["garl-0.75"]["slope"] == pytest.approx(math.log(9 / 6) / math.log(10))
    bad = [dict(r, escape_step=None) if r["method"].startswith("garl-") and r["method"] != "garl-0.5" else r
           for r in good]
    assert checks.verify_lm_cold(CheckContext(), _write(tmp_path, bad)).status == REFUTED
    mixed = [dict(r, escape_step=50) if r["method"] == "rb-rloo" else r for r in good]
    assert checks.verify_lm_cold(CheckContext(), _write(tmp_path, mixed)).status == PARTIAL
    assert checks.verify_lm_cold(CheckContext(), _write(tmp_path, [])).status == NOT_RUN


def test_noise_check_rules(tmp_path):
    def ev(c, p):  # five evaluations around (c, p); the check averages them
        return [{"eval_contamination": c * f, "eval_mean_P": p} for f in (0.5, 1.5, 1.0, 0.8, 1.2)]

    rows = [_row("noise", "garl-1", 0.2, 3, eps=0.2, evals=ev(0.15, 0.8), final=ev(0.15, 0.8)[-1]),
            _row("noise", "rb-rloo", 0.2, 3, eps=0.2, evals=ev(0.001, 0.9), final=ev(0.001, 0.9)[-1]),
            _row("noise", "schedule", 0.2, 3, eps=0.2, evals=ev(0.005, 0.9), final=ev(0.005, 0.9)[-1])]
    v = checks.verify_lm_noise(CheckContext(), _write(tmp_path, rows))
    assert v.status == VERIFIED and v.numbers["contamination"]["garl-1"] == pytest.approx(0.15)
    rows[0]["evals"] = ev(0.01, 0.8)
    assert checks.verify_lm_noise(CheckContext(), _write(tmp_path, rows)).status == PARTIAL
    for r in rows:
        r["evals"] = ev(0.05, 0.8) if r["method"] == "rb-rloo" else ev(0.15, 0.2)
    rows[0]["evals"] = ev(0.001, 0.8)
    assert checks.verify_lm_noise(CheckContext(), _write(tmp_path, rows)).status == REFUTED


def test_figures_from_rows(tmp_path):
    from tsallis_theory.plots.lm import draw_all

    ev = [{"step": 0, "maj@8": 0.1, "p@1": 0.1, "eval_mean_P": 0.1, "eval_contamination": 0.01},
          {"step": 10, "maj@8": 0.5, "p@1": 0.4, "eval_mean_P": 0.5, "eval_contamination": 0.05}]
    curves = {"mean_P": [0.1, 0.6], "max_advantage": [0.1, 0.2], "evals": ev}
    rows = [_row("cold", "garl-1", p, e, **curves) for p, e in ((0.1, 3), (0.01, 5))]
    rows += [_row("warm", "paft-0.75", 0.9, None, **curves), _row("noise", "garl-1", 0.2, 2, eps=0.2, **curves)]
    paths = draw_all(_write(tmp_path, rows).parent, tmp_path / "fig")
    assert len(paths) == 4 and all(p.stat().st_size > 1000 for p in paths)


def test_cold_check_pools_seeds_of_a_rebuilt_coldest_base(tmp_path):
    """Seeds that ran from two separately built bases of one name (p0 0.0010 and 0.0011) count together at
    the coldest base; the warmer base stays apart."""
    rows = [dict(_row("cold", m, p, e), base=name, seed=seed)
            for name, p, seed in (("cold-a", 0.0011, 0), ("cold-a", 0.0010, 1), ("cold-b", 0.01, 0))
            for m, e in (("garl-1", 5), ("garl-0.75", 9 if seed == 0 else None), ("rb-rloo", None))]
    v = checks.verify_lm_cold(CheckContext(), _write(tmp_path, rows))
    assert v.numbers["escape_at_coldest"] == {"garl-1": [5, 5], "garl-0.75": [9, None], "rb-rloo": [None, None]}
    assert v.status == PARTIAL and v.numbers["coldest_p0"] == 0.0011


def test_ledger_adds_the_gpu_preset_reading(tmp_path):
    """The checks read the cpu rows under the results directory they are given; gpu rows beside them, when
    present, add their own verdict to the evidence and the numbers. An explicit path (and no gpu rows) leaves
    the verdict alone."""
    cpu = [_row("cold", m, p, e) for p in (0.1, 0.01) for m, e in
           (("garl-1", 5), ("garl-0.75", 9), ("garl-0.5", None), ("rb-rloo", None), ("grpo", None))]
    gpu = [dict(r, escape_step=None) if r["method"] == "garl-0.75" else r for r in cpu]
    (tmp_path / "lm_cpu").mkdir()
    (tmp_path / "lm_gpu").mkdir()
    _write(tmp_path / "lm_cpu", cpu)
    ctx = CheckContext(results_dir=tmp_path)
    alone = checks.verify_lm_cold(ctx)
    assert alone.status == VERIFIED and "Gpu preset" not in alone.evidence  # no gpu rows yet
    _write(tmp_path / "lm_gpu", gpu)
    both = checks.verify_lm_cold(ctx)
    assert both.status == VERIFIED and both.numbers["gpu_preset"]["status"] == PARTIAL
    assert "Gpu preset (10 runs, lm_gpu): PARTIAL" in both.evidence
    assert "Gpu preset" not in checks.verify_lm_cold(CheckContext(), _write(tmp_path, cpu)).evidence
