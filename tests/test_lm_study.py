"""The smoke preset end to end (pretraining, runs, rows, resume after an interruption, config mismatch), the
CLI's bad input, the ledger checks' decision rules on synthetic rows, and figures from rows."""

import dataclasses
import json
import math
import shutil

import pytest

from tsallis_theory.cli import main
from tsallis_theory.ledger.checks import lm as checks
from tsallis_theory.ledger.claims import NOT_RUN, PARTIAL, REFUTED, VERIFIED, CheckContext
from tsallis_theory.lm import checkpoints as C
from tsallis_theory.plots import draw_figures
from tsallis_theory.results import ConfigMismatch, ResultsFile
from tsallis_theory.studies import _lm_loop as loop
from tsallis_theory.studies.lm import BASES, PRESETS, plan, run, study_dir

SMOKE = PRESETS["smoke"]


@pytest.fixture(scope="module")
def smoke_out(tmp_path_factory):
    """The smoke preset's bases and its garl-1 run, built once for this module: (out folder, run rows)."""
    out = tmp_path_factory.mktemp("lm") / "out"
    return out, run(SMOKE, out, methods=("garl-1",), progress=False)


def test_smoke_preset_runs_and_resumes(smoke_out):
    out, rows = smoke_out
    assert [(r["experiment"], r["method"]) for r in rows] == [("cold", "garl-1")]
    r = rows[0]
    assert r["steps_run"] == len(r["mean_P"]) == SMOKE.cold_steps and 0 < r["p0"] < 1
    folder = study_dir(out, "smoke")
    bases = ResultsFile(folder / BASES).rows()
    assert {b["name"] for b in bases} == {"warm", "cold-0.3"} and all(0 < b["p0"] < 1 for b in bases)
    assert all(C.exists(loop.base_path(folder / "checkpoints", b["name"])) for b in bases)
    again = run(SMOKE, out, methods=("garl-1",), progress=False)
    assert again == rows  # finished runs are skipped, nothing is recomputed


def test_interrupted_study_resumes_without_losing_or_repeating_runs(smoke_out, tmp_path, monkeypatch):
    """A study cut off inside a run (after its first chunk's checkpoint) keeps the runs finished before; the
    resumed study computes only the run that was cut off, continuing it from its checkpoint."""
    out = tmp_path / "out"
    shutil.copytree(smoke_out[0], out)
    methods = ("garl-1", "schedule")  # the cold garl-1 run is on disk; the noise schedule run is cut off
    save = C.save

    def save_then_stop(path, tree, config, *, kind, extra=None):
        written = save(path, tree, config, kind=kind, extra=extra)
        if kind == "train":
            raise KeyboardInterrupt
        return written

    monkeypatch.setattr(C, "save", save_then_stop)
    with pytest.raises(KeyboardInterrupt):
        run(SMOKE, out, methods=methods, progress=False)
    runs_file = study_dir(out, "smoke") / "runs.jsonl"
    assert ResultsFile(runs_file).rows() == smoke_out[1]
    monkeypatch.setattr(C, "save", save)

    started, resumed_from, train = [], [], loop.train

    def counting_train(task, cfg, policy, **kw):
        started.append(kw["desc"])
        resumed_from.append(C.exists(kw["checkpoint"]))
        return train(task, cfg, policy, **kw)

    monkeypatch.setattr(loop, "train", counting_train)
    rows = run(SMOKE, out, methods=methods, progress=False)
    assert started == ["noise-warm-schedule-0"] and resumed_from == [True]
    assert rows[:1] == smoke_out[1] and [(r["experiment"], r["method"]) for r in rows[1:]] == [("noise", "schedule")]
    assert rows[1]["steps_run"] == len(rows[1]["mean_P"]) == SMOKE.noise_steps
    assert [e["step"] for e in rows[1]["evals"]] == [0, 2, 4]  # the chunk before the cut is neither lost nor redone
    assert not C.exists(study_dir(out, "smoke") / "checkpoints" / "runs" / "noise-warm-schedule-0")
    assert sum("task_done" in line for line in runs_file.read_text().splitlines()) == 2


def test_other_config_is_refused_unless_fresh(smoke_out, tmp_path, capsys):
    out = tmp_path / "out"
    shutil.copytree(smoke_out[0], out)
    with pytest.raises(ConfigMismatch, match="cold_steps: 4 on disk, 5 requested"):
        run(dataclasses.replace(SMOKE, cold_steps=5), out, progress=False)
    assert main(["lm", "--preset", "smoke", "--cold-steps", "5", "--out", str(out), "--figures", ""]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "rerun with --fresh" in err[0]
    shutil.rmtree(out / "lm_smoke" / "checkpoints")
    with pytest.raises(ValueError, match="no checkpoint of them"):
        run(SMOKE, out, progress=False)


def test_plan_filters_methods_and_rejects_unknown():
    runs = plan(PRESETS["cpu"], ("garl-1",))
    assert {r["method"] for r in runs} == {"garl-1"} and {r["experiment"] for r in runs} == {"cold", "noise"}
    seeds = [r["seed"] for r in plan(PRESETS["cpu"])]
    assert seeds == sorted(seeds)  # seed by seed: a study cut short holds whole seeds
    with pytest.raises(ValueError, match="unknown method"):
        plan(PRESETS["cpu"], ("bogus",))


@pytest.mark.parametrize("field, value, match", [
    ("cold_methods", ("garl-3",), "cold_methods: method 'garl-3'"), ("warm_steps", 0, "warm_steps must be >= 1"),
    ("noise_base", "cold-0.5", "noise_base: unknown base 'cold-0.5'"), ("noise_eps", 0.5, "noise_eps"),
    ("seeds", (), "seeds"), ("max_steps", 0, "max_steps must be >= 1"),
])
def test_config_validate_names_the_field(field, value, match):
    with pytest.raises(ValueError, match=match):
        dataclasses.replace(SMOKE, **{field: value}).validate()


@pytest.mark.parametrize("argv, text", [
    (["lm", "--preset", "huge"], "invalid choice"),
    (["lm", "--methods", "garl-2"], "q must be in [0, 1]"),
    (["lm", "--max-steps", "0"], "--max-steps must be >= 1"),
    (["lm", "--noise-eps", "0.7"], "noise_eps must be in [0, 0.5)"),
    (["lm", "--figures-only", "--out", "/nonexistent"], "no LM run rows in /nonexistent/lm_smoke/runs.jsonl"),
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
    ev = [{"step": 0, "maj@8": 0.1, "p@1": 0.1, "eval_mean_P": 0.1, "eval_contamination": 0.01},
          {"step": 10, "maj@8": 0.5, "p@1": 0.4, "eval_mean_P": 0.5, "eval_contamination": 0.05}]
    curves = {"mean_P": [0.1, 0.6], "max_advantage": [0.1, 0.2], "evals": ev}
    rows = [_row("cold", "garl-1", p, e, **curves) for p, e in ((0.1, 3), (0.01, 5))]
    rows += [_row("warm", "paft-0.75", 0.9, None, **curves), _row("noise", "garl-1", 0.2, 2, eps=0.2, **curves)]
    paths = draw_figures("lm", rows, tmp_path / "fig", prefix="lm_gpu")
    assert sorted(p.name for p in paths) == ["lm_gpu_cold_curves.png", "lm_gpu_cold_escape.png", "lm_gpu_noise.png",
                                             "lm_gpu_warm.png"]
    assert all(p.stat().st_size > 1000 for p in paths)


def test_cli_redraws_figures_from_rows(smoke_out, tmp_path, capsys):
    out, _ = smoke_out
    assert main(["lm", "--preset", "smoke", "--figures-only", "--out", str(out), "--figures", str(tmp_path)]) == 0
    assert "lm_smoke_cold_escape.png" in capsys.readouterr().out and (tmp_path / "lm_smoke_cold_curves.png").exists()


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
