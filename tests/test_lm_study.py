"""The smoke preset end to end (pretraining, runs, rows, resume after an interruption, config mismatch), the
CLI's bad input, the ledger checks' decision rules on synthetic rows, and figures from rows."""

import dataclasses
import json
import math
import re
import shutil
from pathlib import Path

import numpy as np
import pytest

from tsallis_theory.cli import main
from tsallis_theory.ledger.checks import lm as checks
from tsallis_theory.ledger.claims import INCONCLUSIVE, NOT_RUN, PARTIAL, REFUTED, VERIFIED, CheckContext
from tsallis_theory.lm import checkpoints as C
from tsallis_theory.plots import draw_figures
from tsallis_theory.results import ConfigMismatch, ResultsFile
from tsallis_theory.studies import _lm_loop as loop
from tsallis_theory.studies.lm import (BASES, DESIGN, NOISE_CHUNK, PRESETS, check_rebuilt, done_runs, plan, run,
                                       study_dir, train_config, work)

SMOKE = PRESETS["smoke"]
pytestmark = pytest.mark.xdist_group("lm_smoke")  # one worker builds the smoke study (``smoke_out``) once


@pytest.fixture(scope="module")
def smoke_out(tmp_path_factory):
    """The smoke preset's bases and its garl-1 run, built once for this module: (out folder, run rows)."""
    out = tmp_path_factory.mktemp("lm") / "out"
    return out, run(SMOKE, out, methods=("garl-1",), progress=False)


def test_smoke_preset_runs_and_resumes(smoke_out):
    """Every experiment of design 2 in seconds: a cold run to its full budget, the fresh-noise arm and both
    LM-WARM arms (SGD and matched update norm) from the slip-<target> base of stage S."""
    out, rows = smoke_out
    assert [(r["experiment"], r["arm"], r["method"]) for r in rows] == [
        ("cold", "", "garl-1"), ("noise", "fresh", "garl-1"), ("warm", "sgd-0.01", "garl-1"),
        ("warm", "norm-0.05", "garl-1")]
    r = rows[0]
    assert r["steps_run"] == len(r["mean_P"]) == SMOKE.cold_steps and 0 < r["p0"] < 1 and r["design"] == DESIGN
    assert r["share_prompt"] is False
    assert [(x["train_set"], x["noise_eps"], x["update_norm"]) for x in rows[1:]] == [
        (0, SMOKE.noise_eps, 0.0), (0, 0.0, 0.0), (0, 0.0, 0.05)]
    folder = study_dir(out, "smoke")
    bases = ResultsFile(folder / BASES).rows()
    assert {b["name"] for b in bases} == {"warm-0.05", "warm", "slip-0.9", "cold-0.3"}
    assert all(0 < b["p0"] < 1 for b in bases)
    by_name = {b["name"]: b for b in bases}
    warm_target, slip = by_name["warm-0.05"], by_name["slip-0.9"]
    assert warm_target["p0"] >= 0.05 and warm_target["steps"] % SMOKE.pretrain.measure_every == 0
    assert slip["stage"] == "S" and slip["p0"] <= 0.9 and slip["steps"] > by_name["warm"]["steps"]
    assert 0 <= slip["rationale_agree"] <= 1
    assert {r["base"] for r in rows if r["experiment"] == "warm"} == {"slip-0.9"}
    assert all(C.exists(loop.base_path(folder / "checkpoints", b["name"])) for b in bases)
    again = run(SMOKE, out, methods=("garl-1",), progress=False)
    assert again == rows  # finished runs are skipped, nothing is recomputed


def test_interrupted_study_resumes_without_losing_or_repeating_runs(smoke_out, tmp_path, monkeypatch):
    """A study cut off inside a batch of runs (after its first chunk's checkpoint) keeps the runs finished
    before; the resumed study computes only the batch that was cut off, continuing it from its checkpoint."""
    out = tmp_path / "out"
    shutil.copytree(smoke_out[0], out)
    methods = ("garl-1", "schedule")  # the cold garl-1 run is on disk; the noise schedule run is cut off
    save = C.save

    def save_then_stop(path, tree, config, *, kind, extra=None):
        written = save(path, tree, config, kind=kind, extra=extra)
        if kind == "train-batch":
            raise KeyboardInterrupt
        return written

    monkeypatch.setattr(C, "save", save_then_stop)
    with pytest.raises(KeyboardInterrupt):
        run(SMOKE, out, methods=methods, progress=False)
    runs_file = study_dir(out, "smoke") / "runs.jsonl"
    assert ResultsFile(runs_file).rows() == smoke_out[1]
    monkeypatch.setattr(C, "save", save)

    started, resumed_from, train_batch = [], [], loop.train_batch

    def counting_train_batch(task, cfgs, policies, **kw):
        started.append([c.method for c in cfgs])
        resumed_from.append(C.exists(kw["checkpoint"]))
        return train_batch(task, cfgs, policies, **kw)

    monkeypatch.setattr(loop, "train_batch", counting_train_batch)
    rows = run(SMOKE, out, methods=methods, progress=False)
    assert started == [["schedule"]] and resumed_from == [True]
    new = [r for r in rows if r["method"] == "schedule"]
    assert [r for r in rows if r["method"] != "schedule"] == smoke_out[1]
    assert [(r["experiment"], r["arm"], r["train_set"]) for r in new] == [("noise", "fixed", SMOKE.noise_train_set)]
    assert new[0]["steps_run"] == len(new[0]["mean_P"]) == SMOKE.noise_steps
    assert [e["step"] for e in new[0]["evals"]] == [0, 2, 4]  # the chunk before the cut is neither lost nor redone
    assert not list((study_dir(out, "smoke") / "checkpoints" / "runs").iterdir())  # the rows hold the runs now
    assert sum("task_done" in line for line in runs_file.read_text().splitlines()) == len(rows)


def test_time_limit_stops_the_study_saved_and_it_resumes(smoke_out, tmp_path, capsys):
    """tsallis-lab lm --time-limit: the batch in progress stops between chunks with its state saved, the CLI
    exits 124 naming where it stopped, and the rerun continues that batch from its checkpoint."""
    out = tmp_path / "out"
    shutil.copytree(smoke_out[0], out)
    argv = ["lm", "--preset", "smoke", "--out", str(out), "--methods", "garl-1", "schedule", "--figures", "",
            "--no-progress"]
    assert main(argv + ["--time-limit", "1e-6"]) == 124
    said = capsys.readouterr().out
    assert "time limit reached: stopped at step 2 of 4 (" in said and "saved; rerun to resume" in said
    assert ResultsFile(study_dir(out, "smoke") / "runs.jsonl").rows() == smoke_out[1]
    assert len(list((study_dir(out, "smoke") / "checkpoints" / "runs").iterdir())) == 2  # the batch's .eqx, .json
    rows = run(SMOKE, out, methods=("garl-1", "schedule"), progress=False)
    new = [r for r in rows if r["method"] == "schedule"]
    assert [e["step"] for e in new[0]["evals"]] == [0, 2, 4] and new[0]["steps_run"] == SMOKE.noise_steps
    assert main(argv + ["--time-limit", "0"]) == 2
    err = capsys.readouterr().err
    assert "--time-limit must be > 0 seconds; got 0.0" in err and err.count("\n") == 1


def test_compile_ahead_compiles_each_batch_program_once_in_the_background(smoke_out, tmp_path, capsys):
    """compile_ahead: the batched train and evaluation programs (here two: SGD and Adam) are compiled by the
    background thread, once each, and the study's own thread runs them without compiling; the rows are those
    of the study without it (``smoke_out``, plus the Adam arm). With progress, the study prints each
    program's compilation seconds, as the monitoring events time them."""
    import threading

    from jax import monitoring

    cfg = dataclasses.replace(SMOKE, warm_adam_lrs=(0.01,))
    out = tmp_path / "ahead"
    shutil.copytree(smoke_out[0], out)
    (study_dir(out, "smoke") / "runs.jsonl").unlink()  # the bases stay; every run is to do
    predicted = work(cfg, ("garl-1",), done_runs(cfg, out))  # what --plan says the study will train
    compiled, seconds = [], []

    def listener(name, secs, fun_name="", **kw):
        if name == "/jax/core/compile/backend_compile_duration" and fun_name in ("jit(train_chunk_batch)",
                                                                                "jit(evaluate)"):
            compiled.append((fun_name, threading.current_thread().name))
            seconds.append(secs)

    monitoring.register_event_duration_secs_listener(listener)
    try:
        rows = run(cfg, out, methods=("garl-1",), progress=True, compile_ahead=True)
    finally:
        monitoring.unregister_event_duration_listener(listener)
    assert sorted(compiled) == sorted([("jit(train_chunk_batch)", "compile-ahead_0"),
                                       ("jit(evaluate)", "compile-ahead_0")] * 2)
    out_text = capsys.readouterr().out
    printed = re.findall(r"compiled ahead: rl programs \((sgd|adam), (\d+) runs\): train chunk ([\d.]+) s, "
                         r"evaluation ([\d.]+) s", out_text)
    # the plan predicted the programs compiled and the batches trained (their closing lines: width x steps)
    assert [(g["optimizer"], g["width"]) for g in predicted] == [(opt, int(r)) for opt, r, _, _ in printed]
    trained = re.findall(r"(\d+) runs \(padded\) x (\d+) steps", out_text)
    assert sorted((int(w), int(s)) for w, s in trained) == sorted(
        (g["width"], g["steps"]) for g in predicted for _ in range(g["batches"]))
    assert sum(g["runs"] for g in predicted) == len(rows)
    assert [(opt, int(r)) for opt, r, _, _ in printed] == [("sgd", 4), ("adam", 1)]
    # lowering and compiling (what is printed) take at least the backend compilation (what is monitored)
    for (_, _, train_s, eval_s), backend in zip(printed, np.reshape(seconds, (2, 2))):
        assert float(train_s) >= round(backend[0], 1) - 0.05 and float(eval_s) >= round(backend[1], 1) - 0.05
    assert [r["optimizer"] for r in rows] == ["sgd"] * 4 + ["adam"]
    assert [dict(r, wall_s=0) for r in rows[:4]] == [dict(r, wall_s=0) for r in smoke_out[1]]


def _gpu_study_script(out, *args, **env):
    """Run experiments/gpu_study.sh on the smoke preset with ``env`` added; its temporary folders in ``out``."""
    import os
    import subprocess

    script = Path(__file__).resolve().parents[1] / "experiments" / "gpu_study.sh"
    env = dict(os.environ, PRESET="smoke", BENCH="0", KEEP=str(out / "keep"),
               JAX_COMPILATION_CACHE_DIR=str(out / "jax_cache"), **env)
    return subprocess.run(["bash", str(script), str(out / "study"), *args], env=env, capture_output=True,
                          text=True, timeout=600)


def test_gpu_study_script_trains_the_rows_the_study_trains(smoke_out, tmp_path):
    """experiments/gpu_study.sh, the one command a GPU lease runs, on the smoke preset under the script's own
    XLA flags: from the bases of ``smoke_out`` it trains the same rows as the study in this process, then
    prints its exit line and each batch's summary, and keeps a copy of the rows for a rerun."""
    out = tmp_path / "study"
    shutil.copytree(smoke_out[0], out)
    folder = study_dir(out, "smoke")
    (folder / "runs.jsonl").unlink()  # the bases stay; every run is to do
    predicted = work(SMOKE, ("garl-1",), done_runs(SMOKE, out))
    proc = _gpu_study_script(tmp_path, CKPT=str(folder / "checkpoints"), STUDY_ARGS="--methods garl-1")
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-2000:]
    rows = ResultsFile(folder / "runs.jsonl").rows()
    assert [dict(r, wall_s=0) for r in rows] == [dict(r, wall_s=0) for r in smoke_out[1]]
    assert ResultsFile(tmp_path / "keep" / "lm_smoke" / "runs.jsonl").rows() == rows
    log = (out / "study.log").read_text()
    assert log in proc.stdout and "study exit code 0 after" in log
    summary = proc.stdout.split("study exit code 0 after")[1]
    trained = re.findall(r"(\d+) runs \(padded\) x (\d+) steps", log)  # one line a batch, as the plan said
    assert sorted((int(w), int(s)) for w, s in trained) == sorted(
        (g["width"], g["steps"]) for g in predicted for _ in range(g["batches"]))
    assert re.findall(r"(\d+) runs \(padded\) x (\d+) steps", summary) == trained  # the closing summary
    assert "XLA_FLAGS=--xla_gpu_deterministic_ops=true" in (out / "device.txt").read_text()


@pytest.mark.parametrize("limit, xla_flags, code, message", [
    ("0", "--xla_no_such_flag", 2, "jax did not start under XLA_FLAGS='--xla_no_such_flag': "),
    ("5", "", 124, "no time left for the study"),
])
def test_gpu_study_script_refuses_bad_flags_and_a_limit_it_cannot_keep(tmp_path, limit, xla_flags, code, message):
    """A flag this jaxlib does not know stops the script before any work, naming it in one line; so does a
    time limit that leaves the study under 10 seconds (exit code 124, as a study stopped at its limit)."""
    proc = _gpu_study_script(tmp_path, limit, XLA_FLAGS=xla_flags)
    assert proc.returncode == code
    lines = proc.stdout.strip().splitlines()
    assert message in lines[-1] and (code != 2 or ("--xla_no_such_flag" in lines[-1][len(message):]
                                                   and len(lines) == 1))
    assert not (tmp_path / "study" / "lm_smoke").exists()  # no study ran


def test_share_prompt_is_execution_only():
    """share_prompt changes how runs compute (the same numbers to float rounding), not the rows' config: rows
    made without it can be continued with it (the gpu preset's). The gpu preset shares its prompts."""
    from tsallis_theory.studies.lm import results_config

    assert results_config(dataclasses.replace(SMOKE, share_prompt=True)) == results_config(SMOKE)
    assert PRESETS["gpu"].share_prompt and not PRESETS["cpu"].share_prompt


def test_missing_bases_are_rebuilt_and_must_reproduce_their_rows(smoke_out, tmp_path, capsys):
    """On a machine without the checkpoints (a new GPU lease), --rebuild-bases rebuilds them, and the study
    continues from its rows only if every base comes out as recorded. Oracle: the original checkpoint
    files, byte for byte (the procedure is deterministic on CPU); the comparison refuses records altered on
    purpose."""
    out = tmp_path / "out"
    shutil.copytree(smoke_out[0], out)
    bases_dir = study_dir(out, "smoke") / "checkpoints" / "bases"
    original = {p.name: p.read_bytes() for p in bases_dir.glob("*.eqx")}
    shutil.rmtree(bases_dir)
    with pytest.raises(ValueError, match="--rebuild-bases"):
        run(SMOKE, out, methods=("garl-1",), progress=False)
    assert main(["lm", "--preset", "smoke", "--methods", "garl-1", "--out", str(out), "--figures", "",
                 "--rebuild-bases", "--no-progress"]) == 0
    capsys.readouterr()
    assert {p.name: p.read_bytes() for p in bases_dir.glob("*.eqx")} == original
    assert ResultsFile(study_dir(out, "smoke") / "runs.jsonl").rows() == smoke_out[1]
    path = study_dir(out, "smoke") / BASES
    rows = ResultsFile(path).rows()
    check_rebuilt(rows, rows, path)  # the comparison the rebuild just passed, on rows altered on purpose:
    for bad, name in (([{**r, "p0": r["p0"] * 1.001} if r["name"] == "warm" else r for r in rows], "warm"),
                      ([{**r, "steps": r["steps"] + 5} if r["name"] == "cold-0.3" else r for r in rows], "cold-0.3")):
        with pytest.raises(ValueError, match=f"rebuilt base {name} differs from its row") as err:
            check_rebuilt(rows, bad, path)
        assert "\n" not in str(err.value)
    with pytest.raises(ValueError, match="rebuilt: not reached"):
        check_rebuilt(rows, rows[:-1], path)


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
    assert {r["method"] for r in runs} == {"garl-1"} and {r["experiment"] for r in runs} == {"cold", "noise", "warm"}
    assert {r["arm"] for r in runs if r["experiment"] == "noise"} == {"fixed", "fresh"}
    assert {r["arm"] for r in runs if r["experiment"] == "warm"} == {
        "sgd-0.0005", "sgd-0.001", "sgd-0.002", "sgd-0.004", "adam-3e-05", "norm-0.01"}
    keys = [(r["experiment"], r["arm"], r["method"]) for r in plan(PRESETS["cpu"])]
    assert keys == list(dict.fromkeys(keys).__iter__()) or all(  # runs sharing a trainer are adjacent
        keys.index(k) + keys.count(k) - 1 == len(keys) - 1 - keys[::-1].index(k) for k in set(keys))
    with pytest.raises(ValueError, match="unknown method"):
        plan(PRESETS["cpu"], ("bogus",))
    for name in ("cpu", "gpu"):  # every run of the presets has a valid TrainConfig
        cfgs = [train_config(PRESETS[name], spec) for spec in plan(PRESETS[name])]
        assert {c.chunk for c in cfgs if c.train_set} == {NOISE_CHUNK} and all(c.steps % c.chunk == 0 for c in cfgs)


def test_batches_share_one_compilation_per_group():
    """The gpu preset's 264 runs at 64 per batch: GARL, PAFT and GRPO share a compile key (their rule is data),
    so do the two noise arms (the training data is data), and each group splits into near-equal batches;
    every batch of one compile key is padded to one width, so three train programs compile: SGD at chunk 20
    (LM-COLD and LM-WARM), LM-NOISE (chunk 50) and LM-WARM under Adam."""
    from tsallis_theory.lm.trainer import compile_key
    from tsallis_theory.studies.lm import batches

    cfg = dataclasses.replace(PRESETS["gpu"], batch_runs=64)
    out = batches(cfg, plan(cfg))
    assert sorted(len(b) for b, _ in out) == [18, 21, 52, 53, 60, 60] and all(len(b) <= w for b, w in out)
    assert sorted(w for _, w in out) == [18, 21, 60, 60, 60, 60]  # 105 LM-WARM SGD runs: 52 + 53, LM-COLD's width
    assert sum(len(b) for b, _ in out) == len(plan(cfg)) == 264
    assert len({(compile_key(train_config(cfg, b[0])), w) for b, w in out}) == 3
    # the batches of one program run one after another: LM-COLD, then LM-WARM under SGD (the same program), then
    # LM-NOISE and LM-WARM under Adam
    assert [(b[0]["experiment"], len(b)) for b, _ in out] == [("cold", 60), ("cold", 60), ("warm", 52), ("warm", 53),
                                                              ("noise", 18), ("warm", 21)]
    for b, w in out:  # one budget per batch, one width per compile key
        assert len({train_config(cfg, s).steps for s in b}) == 1
        assert {w2 for b2, w2 in out if compile_key(train_config(cfg, b2[0])) == compile_key(train_config(cfg, b[0]))} == {w}
    # with LM-COLD finished, the rest keeps its batches and widths (so a saved batch still fits its checkpoint)
    from tsallis_theory.results import task_id
    from tsallis_theory.studies.lm import run_key, todo_batches

    cold_done = frozenset(task_id(run_key(s)) for s in plan(cfg) if s["experiment"] == "cold")
    assert todo_batches(cfg, plan(cfg), cold_done) == [(b, w) for b, w in out if b[0]["experiment"] != "cold"]
    assert todo_batches(cfg, plan(cfg), frozenset()) == out
    odd = batches(dataclasses.replace(cfg, batch_runs=8), plan(cfg)[:21])  # 21 runs: 7 + 7 + 7, width 7
    assert [(len(b), w) for b, w in odd] == [(7, 7)] * 3


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
    (["lm", "--noise-eps", "0.7"], "--noise-eps must be in [0, 0.5)"),
    (["lm", "--figures-only", "--out", "/nonexistent"], "no LM run rows in /nonexistent/lm_smoke/runs.jsonl"),
])
def test_cli_bad_input_exit_2(argv, text, capsys):
    assert main(argv) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and text in err[0]


def _evals(budget, **values):
    """Held-out evaluations every 20 steps up to ``budget`` with constant ``values`` (callables of the step allowed)."""
    return [{"step": t, **{k: (v(t) if callable(v) else v) for k, v in values.items()}} for t in range(0, budget + 1, 20)]


def _row(exp, method, p0, esc, **kw):
    budget = kw.pop("budget", 100)
    base = {"experiment": exp, "arm": kw.pop("arm", ""), "base": f"b{p0}", "method": method, "seed": 0, "p0": p0,
            "budget": budget, "steps_run": budget, "escape_step": esc, "escape_delta": 0.5,
            "noise_eps": kw.pop("eps", 0.0), "design": DESIGN}
    return {**base, **kw}


def _write(tmp_path, rows, config=None):
    path = tmp_path / "runs.jsonl"
    path.write_text("\n".join(json.dumps(r) for r in [{"meta": {}, "config": config or {}}, *rows]) + "\n")
    return path


def _cold_rows(final075=0.9, final1=0.8):
    """Two cold bases × three seeds; GARL q = 0.75 / 1 escape and end at the given held-out mean P (± a little)."""
    rows = []
    for p in (0.1, 0.01):
        for seed in range(3):
            for m, e, fin in (("garl-1", 5, final1), ("garl-0.75", 9 if p == 0.01 else 6, final075),
                              ("garl-0.5", None, 0.01), ("rb-rloo", None, 0.01), ("grpo", None, 0.01)):
                rows.append(dict(_row("cold", m, p, e, evals=_evals(100, eval_mean_P=fin + 0.01 * seed),
                                      mean_P=[0.1] * 100), seed=seed))
    return rows


def test_cold_check_rules(tmp_path):
    good = _cold_rows()
    v = checks.verify_lm_cold(CheckContext(), _write(tmp_path, good))
    assert v.status == VERIFIED and v.numbers["slopes"]["garl-0.75"]["slope"] == pytest.approx(math.log(9 / 6) / math.log(10))
    assert v.numbers["final_quality"]["mean_diff_075_minus_1"] == pytest.approx(0.1)
    assert v.evidence.startswith("VERIFIED")
    bad = [dict(r, escape_step=None) if r["method"] in ("garl-1", "garl-0.75") else r for r in good]
    assert checks.verify_lm_cold(CheckContext(), _write(tmp_path, bad)).status == REFUTED
    reversed_ = checks.verify_lm_cold(CheckContext(), _write(tmp_path, _cold_rows(0.7, 0.8)))
    assert reversed_.status == REFUTED and "q = 1 ends better" in reversed_.evidence
    tied = checks.verify_lm_cold(CheckContext(), _write(tmp_path, _cold_rows(0.8, 0.8)))
    assert tied.status == PARTIAL and "(c) q = 0.75 ends better" in tied.evidence
    mixed = [dict(r, escape_step=50) if r["method"] == "rb-rloo" else r for r in good]
    assert checks.verify_lm_cold(CheckContext(), _write(tmp_path, mixed)).status == PARTIAL
    high_only = [r for r in good if r["method"] in ("garl-1", "garl-0.75")]  # (a) has nothing to test
    v = checks.verify_lm_cold(CheckContext(), _write(tmp_path, high_only))
    assert v.status == PARTIAL and "(a) low q stalls (untested" in v.evidence
    assert checks.verify_lm_cold(CheckContext(), _write(tmp_path, [])).status == NOT_RUN


def _noise_rows(kappa, arm="fixed", rationale=0.95, P=0.8, start=0.01):
    """Three seeds per method; per-step c and P give κ = c/(P + c) = kappa[method] over the last quarter."""
    rows = []
    for m, k in kappa.items():
        for seed in range(3):
            kk = k * (1 + 0.05 * (seed - 1))
            c_late = kk * P / (1 - kk)
            c = [start * 0.3 / (1 - start)] * 20 + [c_late] * 380
            rows.append(dict(_row("noise", m, 0.3, 30, eps=0.1, arm=arm, budget=400,
                                  mean_P=[0.3] * 20 + [P] * 380, contamination=c,
                                  evals=_evals(400, rationale_acc=rationale, eval_mean_P=P)), seed=seed))
    return rows


def test_noise_check_rules(tmp_path):
    good = {"garl-1": 0.08, "garl-0.5": 0.02, "rb-rloo": 0.004, "schedule": 0.005}
    rows = _noise_rows(good) + _noise_rows({"garl-1": 0.07, "rb-rloo": 0.003}, arm="fresh")
    v = checks.verify_lm_noise(CheckContext(), _write(tmp_path, rows))
    assert v.status == VERIFIED and v.numbers["arms"]["fixed"]["garl-1"]["kappa"] == pytest.approx(0.08)
    assert v.numbers["flow"]["fixed"]["kappa"]["garl-1"] > 0 and v.numbers["flow"]["fresh"]["asymptote"]["garl-1"] == pytest.approx(0.1)
    short = _noise_rows({**good, "garl-1": 0.03})
    assert checks.verify_lm_noise(CheckContext(), _write(tmp_path, short)).status == PARTIAL
    destroyed = _noise_rows(good, rationale=0.5)
    assert checks.verify_lm_noise(CheckContext(), _write(tmp_path, destroyed)).status == INCONCLUSIVE
    still = _noise_rows({**good, "garl-1": 0.01, "rb-rloo": 0.01})
    assert checks.verify_lm_noise(CheckContext(), _write(tmp_path, still)).status == INCONCLUSIVE
    dirty = _noise_rows({**good, "rb-rloo": 0.09})
    assert checks.verify_lm_noise(CheckContext(), _write(tmp_path, dirty)).status == REFUTED
    # one seed per method: no standard error, so neither (c) nor "has moved" can be shown in SEs
    one_seed = checks.verify_lm_noise(CheckContext(), _write(tmp_path, [r for r in rows if r["seed"] == 0]))
    assert one_seed.status == INCONCLUSIVE and "has moved" in one_seed.evidence
    assert not any(ok for part, ok in one_seed.numbers["parts"].items() if "(c)" in part)


def _warm_rows(spec):
    """spec: {(arm, method): (final maj, collapsed)}; three seeds each, 300 steps, evaluations every 20."""
    rows = []
    for (arm, m), (maj, collapsed) in spec.items():
        for seed in range(3):
            def curve(t, maj=maj, collapsed=collapsed):
                return 0.5 if t == 0 else (0.05 if collapsed and t >= 260 else maj)
            rows.append(dict(_row("warm", m, 0.45, None, arm=arm, budget=300,
                                  evals=_evals(300, **{"maj@8": curve, "rationale_acc": 0.7, "eval_mean_P": maj,
                                                       "rationale_agree": lambda t: 0.3 if t == 0 else 0.9})),
                             seed=seed))
    return rows


def test_warm_check_rules(tmp_path):
    both = {("sgd-0.001", "rb-rloo"): (0.8, False), ("sgd-0.001", "garl-1"): (0.7, False),
            ("sgd-0.001", "paft-0.75"): (0.7, False),
            ("sgd-0.004", "rb-rloo"): (0.8, False), ("sgd-0.004", "garl-1"): (0.1, True),
            ("sgd-0.004", "paft-0.75"): (0.75, False)}
    v = checks.verify_lm_warm(CheckContext(), _write(tmp_path, _warm_rows(both)))
    assert v.status == VERIFIED and v.numbers["R1"] == "holds" and v.numbers["R2"] == "holds"
    assert v.numbers["largest_stable_sgd_lr"]["garl-1"]["lr"] == 0.001
    assert v.numbers["base_rationale_agree"] == pytest.approx(0.3) and "rationale agree 0.30" in v.evidence  # step 0
    paft_falls = {**both, ("sgd-0.004", "paft-0.75"): (0.1, True), ("sgd-0.001", "garl-1"): (0.9, False),
                  ("sgd-0.004", "rb-rloo"): (0.1, True)}
    v = checks.verify_lm_warm(CheckContext(), _write(tmp_path, _warm_rows(paft_falls)))
    assert v.status == REFUTED and v.numbers["R2"] == "contradicted" and v.numbers["R1"] == "contradicted"
    saturated = {(a, m): (1.0, False) for a in ("sgd-0.001", "adam-0.0001") for m in ("rb-rloo", "garl-1", "grpo")}
    v = checks.verify_lm_warm(CheckContext(), _write(tmp_path, _warm_rows(saturated)))
    assert v.status == INCONCLUSIVE and "nothing discriminates" in v.evidence
    one = {k: v for k, v in both.items() if k[0] == "sgd-0.001"}
    assert checks.verify_lm_warm(CheckContext(), _write(tmp_path, _warm_rows(one))).status == PARTIAL


def test_figures_from_rows(tmp_path):
    rows = [dict(r, base=f"b{r['p0']}") for r in _cold_rows()]
    rows += _warm_rows({("sgd-0.001", "rb-rloo"): (0.8, False), ("sgd-0.004", "garl-1"): (0.1, True)})
    rows += _noise_rows({"garl-1": 0.08, "rb-rloo": 0.004})
    paths = draw_figures("lm", rows, tmp_path / "fig", prefix="lm_gpu")
    assert sorted(p.name for p in paths) == ["lm_gpu_cold_curves.png", "lm_gpu_cold_escape.png", "lm_gpu_noise.png",
                                             "lm_gpu_warm.png"]
    assert all(p.stat().st_size > 1000 for p in paths)
    import matplotlib.pyplot as plt

    from tsallis_theory.plots.lm import fig_warm

    fig, axes = plt.subplots(1, 2)
    assert fig_warm(rows, ax=axes) is fig  # draws into the caller's axes
    plt.close(fig)


def test_cli_redraws_figures_from_rows(smoke_out, tmp_path, capsys):
    out, _ = smoke_out
    assert main(["lm", "--preset", "smoke", "--figures-only", "--out", str(out), "--figures", str(tmp_path)]) == 0
    assert "lm_smoke_cold_escape.png" in capsys.readouterr().out and (tmp_path / "lm_smoke_cold_curves.png").exists()


def test_presets_side_by_side_and_older_design(tmp_path):
    """The checks read both presets under the results directory they are given; the statuses combine by the
    stated rule; rows of the older design are named as such and never decide."""
    (tmp_path / "lm_cpu").mkdir()
    (tmp_path / "lm_gpu").mkdir()
    good = _cold_rows()
    _write(tmp_path / "lm_cpu", good)
    ctx = CheckContext(results_dir=tmp_path)
    alone = checks.verify_lm_cold(ctx)
    assert alone.status == VERIFIED and "[gpu preset] NOT RUN" in alone.evidence
    # these rows are part of the cpu preset's plan: the same rule decides, and the evidence names the gaps
    cov = alone.numbers["presets"]["cpu"]["coverage"]
    assert cov["planned"] == sum(s["experiment"] == "cold" for s in plan(PRESETS["cpu"])) > cov["present"]
    assert cov["missing"]["paft-1"][0] == 0 and "Incomplete study" in alone.evidence
    old = [{k: v for k, v in r.items() if k != "design"} for r in good]
    _write(tmp_path / "lm_gpu", old)
    v = checks.verify_lm_cold(ctx)
    assert v.status == VERIFIED and "older design" in v.evidence and v.numbers["presets"]["gpu"]["status"] == NOT_RUN
    _write(tmp_path / "lm_gpu", [dict(r, escape_step=None) if r["method"] == "garl-0.75" else r for r in good])
    v = checks.verify_lm_cold(ctx)
    assert v.status == PARTIAL and v.numbers["presets"]["gpu"]["status"] == PARTIAL
    # a quick check's rows (--max-steps, in the file's config) never decide, whatever they hold
    _write(tmp_path / "lm_gpu", [dict(r, escape_step=None) if r["method"] == "garl-0.75" else r for r in good],
           config={"name": "gpu", "max_steps": 1})
    v = checks.verify_lm_cold(ctx)
    gpu = v.numbers["presets"]["gpu"]
    assert v.status == VERIFIED and gpu["status"] == NOT_RUN and gpu["max_steps"] == 1
    assert "[gpu preset] NOT RUN: the rows in" in v.evidence and "quick check of the preset (max_steps = 1" in v.evidence
    # rows made under another config than the preset's: the same rule reads them, the evidence names the fields
    from tsallis_theory.studies.lm import results_config

    exact = results_config(PRESETS["cpu"])
    _write(tmp_path / "lm_cpu", good, config=exact)
    assert "another config" not in checks.verify_lm_cold(ctx).evidence
    other = dict(exact, cold_steps=50, train=dict(exact["train"], lr=0.01))
    _write(tmp_path / "lm_cpu", good, config=other)
    v = checks.verify_lm_cold(ctx)
    assert v.status == VERIFIED and v.numbers["presets"]["cpu"]["config_differs"] == {
        "cold_steps": (50, PRESETS["cpu"].cold_steps), "train.lr": (0.01, PRESETS["cpu"].train.lr)}
    assert (f"Made under another config than the cpu preset's: cold_steps 50 (preset: {PRESETS['cpu'].cold_steps}), "
            f"train.lr 0.01 (preset: {PRESETS['cpu'].train.lr}).") in v.evidence
    assert checks.combine({"cpu": VERIFIED, "gpu": VERIFIED}) == VERIFIED
    assert checks.combine({"cpu": INCONCLUSIVE, "gpu": NOT_RUN}) == INCONCLUSIVE
    assert checks.combine({"cpu": NOT_RUN, "gpu": NOT_RUN}) == NOT_RUN


def test_warm_trajectory_script_prints_the_measurements(capsys):
    """experiments/lm_warm_trajectory.py: one line per measurement (step, p0, rationale accuracy, rationale
    agreement, p@1) of stage A and of stage S on the smoke preset; an out-of-range argument is a one-line usage error with exit code 2."""
    from experiments.lm_warm_trajectory import main as trajectory

    assert trajectory(["--preset", "smoke", "--every", "5", "--max-steps", "10"]) == 0
    lines = capsys.readouterr().out.strip().splitlines()
    assert [int(x.split()[0]) for x in lines[2:]] == [5, 10]
    assert all(0 <= float(v) <= 1 for x in lines[2:] for v in x.split()[1:])
    assert trajectory(["--preset", "smoke", "--stage", "S", "--every", "5", "--max-steps", "10", "--until", "0.01"]) == 0
    lines = capsys.readouterr().out.strip().splitlines()
    assert "stage S" in lines[0] and [int(x.split()[0]) for x in lines[2:]] == [5, 10]
    with pytest.raises(SystemExit) as exc:
        trajectory(["--until", "1.5"])
    assert exc.value.code == 2 and "--until must be in (0, 1)" in capsys.readouterr().err


def test_plan_prints_the_work_left_and_trains_nothing(smoke_out, tmp_path, capsys):
    """tsallis-lab lm --plan: the runs without rows, by compiled program (the study's batches: above, the
    compile-ahead test checks them against what the study trains), with the totals; no rows are written.
    With every run of the selection done: nothing to train."""
    out, rows = smoke_out
    assert main(["lm", "--preset", "smoke", "--methods", "garl-1", "--out", str(out), "--plan"]) == 0
    assert capsys.readouterr().out.strip() == "nothing to train: every run of the smoke preset's plan has its row"
    fresh = tmp_path / "none"
    assert main(["lm", "--preset", "smoke", "--out", str(fresh), "--plan"]) == 0
    text = capsys.readouterr().out
    groups = work(SMOKE)
    assert sum(g["runs"] for g in groups) == len(plan(SMOKE)) and not fresh.exists()
    total = sum(g["train_flops"] + g["eval_flops"] for g in groups)
    assert f"{len(plan(SMOKE))} runs in {sum(g['batches'] for g in groups)} batches" in text
    assert f"{total:.3g} matmul FLOP" in text and len(text.strip().splitlines()) == len(groups) + 1
    assert sum(g["runs"] for g in work(SMOKE, done=done_runs(SMOKE, out))) == len(plan(SMOKE)) - len(rows)
    # the gpu study as docs/lm.md describes it, in batches of at most 64: LM-COLD's 120 runs of 300 steps in two
    # batches of 60; LM-WARM's 105 SGD runs of 260 steps in two batches padded to LM-COLD's 60 (its program);
    # LM-NOISE's 18 runs of 1600 steps (chunk 50: another program), and LM-WARM's 21 Adam runs (a third program)
    gpu = work(dataclasses.replace(PRESETS["gpu"], batch_runs=64))
    assert [(g["program"], g["optimizer"], g["steps"], g["width"], g["batches"], g["runs"]) for g in gpu] == [
        (1, "sgd", 300, 60, 2, 120), (1, "sgd", 260, 60, 2, 105), (2, "sgd", 1600, 18, 1, 18), (3, "adam", 260, 21, 1, 21)]
