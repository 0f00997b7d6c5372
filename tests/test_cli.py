"""The tsallis-lab command: ledger output, JSON, exit codes and one-line usage errors."""

import json
import subprocess
import sys

import pytest

from tsallis_theory.ledger import claims as L
from tsallis_theory.ledger import runner as R
from tsallis_theory.cli import main


def test_check_only_writes_json(tmp_path, capsys):
    out = tmp_path / "ledger.json"
    assert main(["check", "--only", "DIR", "LM-COLD", "--json", str(out), "--no-progress"]) == 0
    printed = capsys.readouterr().out
    assert "DIR" in printed and "LM-COLD" in printed
    data = json.loads(out.read_text())
    assert [c["id"] for c in data["claims"]] == ["DIR", "LM-COLD"]
    assert data["meta"]["tier"] == "fast" and {"version", "revision", "date", "python", "jax", "numpy"} <= set(data["meta"])
    for c in data["claims"]:
        assert set(c) >= {"id", "source", "status", "evidence", "figures"}
        assert c["status"] in L.STATUSES


def test_unknown_claim_is_usage_error(capsys):
    assert main(["check", "--only", "NOPE"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("tsallis-lab: error: --only: unknown claim ID NOPE")
    assert main(["check", "--only", "DIR", "--json", ""]) == 2  # an empty path is not "no JSON"
    assert capsys.readouterr().err.strip() == "tsallis-lab: error: --json needs a file path; got ''"


def test_unwritable_json_is_usage_error(tmp_path, capsys):
    assert main(["check", "--only", "DIR", "--json", str(tmp_path / "missing" / "x.json")]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "--json" in err[0] and "does not exist" in err[0]


def test_bad_subcommand_exit_2_without_traceback():
    proc = subprocess.run([sys.executable, "-m", "tsallis_theory.cli", "frobnicate"], capture_output=True, text=True)
    assert proc.returncode == 2
    assert "Traceback" not in proc.stderr and len(proc.stderr.strip().splitlines()) == 1


def test_report_writes_markdown(tmp_path):
    assert main(["report", "--out", str(tmp_path), "--only", "DIR", "ATLAS", "--no-progress"]) == 0
    text = (tmp_path / "report.md").read_text()
    assert "## DIR:" in text and "## ATLAS:" in text and "## FLOW:" not in text
    assert json.loads((tmp_path / "ledger.json").read_text())["claims"]
    assert "data:image/png;base64" in (tmp_path / "report.html").read_text()  # ATLAS cites figures/atlas_*.png


def test_parallel_ledger_equals_sequential():
    """Claim families run in worker processes give the same rows, in ledger order, as one process."""
    chosen = L.select(["LM-NOISE", "RLVR", "NOISE-TIME", "LM-WARM"])
    assert len({R.check_family(c) for c in chosen}) == 3  # symbolic, categorical, lm
    ctx = L.CheckContext()
    seq = R.run_ledger(chosen, ctx, progress=False, jobs=1)
    par = R.run_ledger(chosen, ctx, progress=False, jobs=2)
    assert [r.claim.id for r in par] == [c.id for c in chosen] == [r.claim.id for r in seq]
    assert [(r.verdict.status, r.verdict.evidence) for r in par] == [(r.verdict.status, r.verdict.evidence) for r in seq]


def test_bad_jobs_is_usage_error(capsys):
    assert main(["check", "--only", "DIR", "--jobs", "0"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "--jobs" in err[0] and ">= 1" in err[0]


def test_figures_command_rebuilds_from_rows_and_names_missing_studies(tmp_path, capsys):
    """`tsallis-lab figures` draws from the rows it finds and names the command for the studies it lacks."""
    import shutil

    from tsallis_theory.results import study_path

    results = tmp_path / "rows"
    results.mkdir()
    shutil.copy(study_path("experiments/results", "atlas"), study_path(results, "atlas"))
    assert main(["figures", "--results", str(results), "--figures", str(tmp_path / "figs")]) == 0
    out = capsys.readouterr().out
    assert sorted(p.name for p in (tmp_path / "figs").iterdir()) == [
        "atlas_amplification.png", "atlas_ceiling.png", "atlas_escape.png"]
    assert f"flow: no rows in {results}; run: tsallis-lab flow --out {results}" in out
    assert main(["figures", "--results", str(tmp_path / "missing")]) == 2


@pytest.mark.parametrize("argv, flag", [
    (["atlas", "--preset", "smoke", "--out", "{blocked}/out", "--figures", ""], "--out"),
    (["flow", "--preset", "smoke", "--out", "{tmp}/out", "--figures", "{blocked}/figs"], "--figures"),
    (["check", "--only", "DIR", "--json", "{blocked}/ledger.json"], "--json"),
    (["check", "--only", "DIR", "--work", "{blocked}/work"], "--work"),
    (["check", "--only", "LM-COLD", "--results", "{tmp}/no-such-folder"], "--results"),
    (["report", "--only", "DIR", "--out", "{blocked}/report"], "--out"),
    (["figures", "--figures", "{blocked}/figs"], "--figures"),
    (["lm", "--preset", "smoke", "--out", "{tmp}/lm", "--ckpt", "{blocked}/ckpt", "--max-steps", "1"], "--ckpt"),
])
def test_an_unwritable_or_missing_folder_is_a_usage_error_before_any_work(tmp_path, capsys, argv, flag):
    """Every output folder is created and checked before a study, a check or a pretraining stage runs: a path
    that cannot be written (here under a plain file) is one line naming the flag, exit code 2."""
    (tmp_path / "file").write_text("")
    argv = [a.format(blocked=tmp_path / "file", tmp=tmp_path) for a in argv]
    assert main(argv) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith(f"tsallis-lab: error: {flag} ")
    assert not (tmp_path / "lm" / "lm_smoke").exists()  # the lm study did not start


@pytest.mark.parametrize("script, argv, message", [
    ("compare_ledgers", ["{tmp}/missing.json", "{tmp}/missing.json"], "BEFORE {tmp}/missing.json: not a readable JSON"),
    ("compare_ledgers", ["{tmp}/list.json", "{tmp}/list.json"], "BEFORE {tmp}/list.json: not a ledger"),
    ("compare_ledgers", ["{tmp}/list.json", "{tmp}/list.json", "--rtol", "nan"], "--rtol and --atol must be >= 0"),
    ("lm_warm_trajectory", ["--preset", "smoke", "--modulus", "0"], "modulus must be in [2, 64]; got 0"),
    ("bench_estimators", ["--q", "nan"], "--q must be in [0, 1]; got nan"),
    ("bench_lm", ["--preset", "smoke", "--steps", "0"], "--steps, --runs and --repeat must be >= 1"),
])
def test_experiment_scripts_reject_bad_input_in_one_line(tmp_path, script, argv, message):
    """The scripts in experiments/ answer bad input as the CLI does: one line on stderr naming the argument
    and its range, exit code 2, no usage block, no traceback; a 0 is judged, never replaced by a default."""
    from pathlib import Path

    (tmp_path / "list.json").write_text("[1, 2]")
    root = Path(__file__).resolve().parents[1]
    argv = [a.format(tmp=tmp_path) for a in argv]
    proc = subprocess.run([sys.executable, str(root / "experiments" / f"{script}.py"), *argv], capture_output=True,
                          text=True, timeout=300)
    err = proc.stderr.strip().splitlines()
    assert proc.returncode == 2 and len(err) == 1, proc.stderr
    assert err[0].startswith(f"{script}.py: error: ") and message.format(tmp=tmp_path) in err[0]
