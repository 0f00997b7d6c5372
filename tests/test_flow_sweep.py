"""The flow study (rows, resume, config mismatch), the fits, the figures, `tsallis-lab flow` and the ledger
checks' ability to fail."""

import dataclasses
import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from tsallis_theory.ledger import claims as L
from tsallis_theory.cli import main
from tsallis_theory._numerics import fit_slope
from tsallis_theory.flow import fits
from tsallis_theory.ledger.checks import flow as checks
from tsallis_theory.plots import flow as plots
from tsallis_theory.studies import flow as study
from tsallis_theory.studies.flow import PRESETS, Config
from tsallis_theory.results import ConfigMismatch, ResultsFile, study_path

TINY = dataclasses.replace(PRESETS["smoke"], models=("sigmoid",), qs=(0.0, 1.0), p0s=(1e-2, 1e-4),
                           near_opt_eps0=(1e-1,), trajectory_qs=(0.0, 1.0))


def test_study_rows_and_resume(tmp_path):
    path = study_path(tmp_path, "flow")
    rows = study.run(TINY, tmp_path, progress=False)
    assert path == tmp_path / "flow.jsonl" and path.exists()
    kinds = [r["kind"] for r in rows]
    assert kinds.count("escape") == 4 and kinds.count("near_opt") == 2 and kinds.count("trajectory") == 2
    header = ResultsFile(path).header()
    assert header["config"]["qs"] == [0.0, 1.0] and "git" in header["meta"]
    r = next(r for r in rows if r["kind"] == "escape" and r["q"] == 1.0 and r["p0"] == 1e-4)
    assert r["lower"] <= r["T"] <= r["upper"]
    # an interrupted run: killed while computing the last task (a trajectory task: two rows, then its
    # marker), so neither its rows nor its marker are on disk; the rerun computes only that task (the
    # escape rows keep their timings)
    lines = path.read_text().splitlines()
    assert json.loads(lines[-1]) == {"task_done": ["trajectory", "sigmoid", TINY.trajectory_p0]}
    path.write_text("\n".join(lines[:-3]) + "\n")
    rows2 = study.run(TINY, tmp_path, progress=False)
    assert len(rows2) == len(rows) and len(path.read_text().splitlines()) == len(lines)
    assert sorted(json.dumps(x, sort_keys=True) for x in rows2 if x["kind"] == "escape") == \
        sorted(json.dumps(x, sort_keys=True) for x in rows if x["kind"] == "escape")
    n_lines = len(path.read_text().splitlines())
    study.run(TINY, tmp_path, progress=False)
    assert len(path.read_text().splitlines()) == n_lines  # nothing recomputed


def test_tasks_one_per_kind_model_and_p0_or_eps0():
    keys = [key for key, _ in study.tasks(PRESETS["smoke"])]
    assert len(keys) == len(set(keys)) == 2 * 3 + 2 * 2 + 2
    assert keys[0] == ("escape", "sigmoid", 1e-2) and ("near_opt", "chain-random", 1e-2) in keys
    assert keys[-1] == ("trajectory", "chain-random", 1e-12)


def test_study_rejects_other_config_and_bad_fields(tmp_path):
    study.run(TINY, tmp_path, progress=False)
    with pytest.raises(ConfigMismatch, match="differs in qs"):
        study.run(dataclasses.replace(TINY, qs=(0.5,)), tmp_path, progress=False)
    rows = study.run(dataclasses.replace(TINY, qs=(0.5,)), tmp_path, fresh=True, progress=False)
    assert {r["q"] for r in rows if r["kind"] == "escape"} == {0.5}
    for bad, match in [({"qs": (1.2,)}, r"^qs must be in \[0, 1\]"), ({"p0s": (0.6,)}, r"^p0s must be in \(0, 0.5\)"),
                       ({"target": 1.0}, "^target must"), ({"models": ("nope",)}, "^models must be among"),
                       ({"trajectory_qs": (-0.1,)}, "^trajectory_qs must"), ({"qs": ()}, "^qs must have"),
                       ({"near_opt_eps0": (1.0,)}, r"^near_opt_eps0 must be in \(0, 1\)")]:
        with pytest.raises(ValueError, match=match):
            dataclasses.replace(TINY, **bad).validate()


def test_config_fields_are_documented_and_flags_follow_them():
    from tsallis_theory.cli._study import flag_fields

    for f in dataclasses.fields(Config):
        assert f.metadata["help"] and f.default is not dataclasses.MISSING
    assert {"qs", "p0s", "models", "target"} <= {f.name for f, _, _ in flag_fields(Config)}
    assert set(PRESETS) >= {"default", "ledger", "smoke"}


def test_default_config_meets_the_grid():
    cfg = Config()
    assert cfg.qs == tuple(round(0.1 * i, 10) for i in range(11))
    assert len(cfg.p0s) >= 20 and min(cfg.p0s) == pytest.approx(1e-12) and max(cfg.p0s) == pytest.approx(1e-1)
    assert len(cfg.models) == 9


def test_fit_slope_and_increment_slope_on_synthetic_power_laws():
    p0 = np.logspace(-6, -12, 13)
    x = -np.log(p0)
    fit = fit_slope(x, np.log(3 * p0 ** -0.4))
    assert fit.slope == pytest.approx(0.4, abs=1e-12) and fit.stderr < 1e-12
    # T = A p0^-a + K: the plain fit is biased by K, the increment fit is not
    rows = [{"kind": "escape", "model": "m", "q": 0.9, "p0": p, "T": 10 * p ** -0.1 - 9} for p in p0]
    assert abs(fits.slope(rows, "m", 0.9).slope - 0.1) > 0.005
    assert fits.increment_slope(rows, "m", 0.9).slope == pytest.approx(0.1, abs=1e-10)
    noisy = fit_slope(x, np.log(p0 ** -0.4) + 0.01 * np.sin(7 * x))
    assert noisy.stderr > 0


def test_bracket_violations_detects_rows_outside():
    rows = [{"kind": "escape", "T": 1.0, "lower": 0.5, "upper": 2.0},
            {"kind": "escape", "T": 0.4, "lower": 0.5, "upper": 2.0},
            {"kind": "escape", "T": 2.5, "lower": 0.5, "upper": 2.0}]
    low, up = fits.bracket_violations(rows)
    assert [r["T"] for r in low] == [0.4] and [r["T"] for r in up] == [2.5]


def test_cli_flow_smoke(tmp_path, capsys):
    out, figs = tmp_path / "rows", tmp_path / "figs"
    assert main(["flow", "--preset", "smoke", "--out", str(out), "--figures", str(figs), "--no-progress"]) == 0
    printed = capsys.readouterr().out
    assert "fitted slope" in printed and "sigmoid" in printed and "nan" not in printed
    assert (out / "flow.jsonl").exists()
    assert sorted(plots.FIGURES) == sorted(f"flow_{n}" for n in
                                          ("escape_times", "slopes", "ratios", "trajectories", "near_opt"))
    for name in plots.FIGURES:
        assert (figs / f"{name}.png").stat().st_size > 10_000


def test_cli_flow_other_config_in_the_same_out_is_exit_2_unless_fresh(tmp_path, capsys):
    base = ["flow", "--preset", "smoke", "--out", str(tmp_path), "--figures", "", "--no-progress"]
    assert main(base) == 0
    capsys.readouterr()
    assert main([*base, "--qs", "0", "1"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "differs in qs" in err[0] and str(tmp_path / "flow.jsonl") in err[0]
    assert main([*base, "--qs", "0", "1", "--fresh"]) == 0
    header = ResultsFile(tmp_path / "flow.jsonl").header()
    assert header["config"]["qs"] == [0.0, 1.0]


@pytest.mark.filterwarnings("error::RuntimeWarning")
def test_cli_flow_one_question_prints_its_escape_time(tmp_path, monkeypatch, capsys):
    """The single question of docs/running.md: no RuntimeWarning, no nan slope, the escape time printed, no
    one-point figure, and with --out elsewhere the figures go to OUT/figures, never to ./figures."""
    monkeypatch.chdir(tmp_path)
    out = tmp_path / "rows"
    argv = ["flow", "--q", "0.6", "--p0", "1e-5", "--models", "sigmoid", "--out", str(out), "--no-progress"]
    assert main(argv) == 0
    printed = capsys.readouterr().out
    assert "nan" not in printed and "n/a (a slope needs >= 2 p0 in the window)" in printed
    line = next(x for x in printed.splitlines() if x.startswith("sigmoid") and "1e-05" in x)
    t = next(r["T"] for r in ResultsFile(out / "flow.jsonl").rows() if r["kind"] == "escape")
    assert f"{t:.6g}" in line and t == pytest.approx(249.98796, rel=1e-6)
    # one p0: no escape-time, slope, ratio or NEAR-OPT figure to draw; the trajectories have their own grid
    assert sorted(p.name for p in (out / "figures").iterdir()) == ["flow_trajectories.png"]
    assert not (tmp_path / "figures").exists()


def test_study_figures_default_to_figures_only_for_the_committed_rows():
    from tsallis_theory.cli._study import DEFAULT_FIGURES, DEFAULT_OUT, figures_dir

    assert figures_dir(DEFAULT_OUT, None) == Path(DEFAULT_FIGURES)
    assert figures_dir("/tmp/x", None) == Path("/tmp/x/figures")
    assert figures_dir("/tmp/x", "") is None and figures_dir(DEFAULT_OUT, "f") == Path("f")


def test_figures_return_none_when_the_rows_hold_nothing_for_them(tmp_path):
    assert all(fig([], tmp_path / f"{name}.png") is None for name, fig in plots.FIGURES.items())
    assert not list(tmp_path.iterdir())


@pytest.mark.parametrize("argv, word", [
    (["--qs", "1.5"], "qs"), (["--p0s", "0.7"], "p0s"), (["--target", "1.2"], "target"),
    (["--models", "nope"], "models"), (["--models", "tabular-soft-random", "--p0s", "1e-40"], "p0s"),
])
def test_cli_flow_bad_input_exit_2_one_line(tmp_path, capsys, argv, word):
    code = main(["flow", "--preset", "smoke", "--out", str(tmp_path), "--figures", "", "--no-progress", *argv])
    err = capsys.readouterr().err.strip().splitlines()
    assert code == 2 and len(err) == 1 and err[0].startswith(f"tsallis-lab: error: --{word} ")


def test_cli_flow_bad_input_subprocess():
    proc = subprocess.run([sys.executable, "-m", "tsallis_theory.cli", "flow", "--qs", "-1", "--no-progress"],
                          capture_output=True, text=True)
    assert proc.returncode == 2 and "Traceback" not in proc.stderr
    assert proc.stderr.strip().splitlines() == ["tsallis-lab: error: --qs must be in [0, 1]; got -1"]


def _ctx(tmp_path):
    return L.CheckContext(tier="fast", work_dir=tmp_path)


def test_esc_lower_check_fails_on_times_below_the_bound(tmp_path, monkeypatch):
    rows = checks.sweep_rows(_ctx(tmp_path))
    assert checks.verify_esc_lower(_ctx(tmp_path)).status == L.VERIFIED
    halved = [dict(r, T=r["T"] * 0.5) if r["kind"] == "escape" and r["model"] == "mlp-random" else r for r in rows]
    monkeypatch.setitem(checks._MEMO, "ledger", halved)
    verdict = checks.verify_esc_lower(_ctx(tmp_path))
    assert verdict.status == L.REFUTED and verdict.numbers["lower_violations"] > 0
    # one escape time that is not a number cannot be shown to respect its bound
    nan_once = [dict(r, T=float("nan")) if i == 7 else r for i, r in enumerate(rows)]
    assert rows[7]["kind"] == "escape"
    monkeypatch.setitem(checks._MEMO, "ledger", nan_once)
    verdict = checks.verify_esc_lower(_ctx(tmp_path))
    assert verdict.status == L.REFUTED and verdict.numbers["lower_violations"] == 1
    assert checks.verify_esc_tight(_ctx(tmp_path)).status == L.REFUTED
    # the headline bound at q = 1 is the theorem's I_1/C_max² (implied by the rows' own bounds), not 0
    c_max = {m: max(r["score_max"] for r in rows if r["kind"] == "escape" and r["model"] == m)
             for m in {r["model"] for r in rows if r["kind"] == "escape"}}
    low_t1 = [dict(r, T=0.99 * r["lower"] * (r["score_max"] / c_max[r["model"]]) ** 2)
              if r["kind"] == "escape" and r["q"] == 1.0 and r["model"] == "mlp-random" else r for r in rows]
    monkeypatch.setitem(checks._MEMO, "ledger", low_t1)
    verdict = checks.verify_esc_lower(_ctx(tmp_path))
    assert verdict.status == L.REFUTED and not verdict.numbers["per_model"]["mlp-random"]["headline_ok"]


def test_esc_tight_check_refutes_a_wrong_exponent(tmp_path, monkeypatch):
    rows = checks.sweep_rows(_ctx(tmp_path))
    # times that scale like p0^-(1-q)/2 instead of p0^-(1-q) on one model that meets the assumptions
    bent = [dict(r, T=r["T"] ** 0.5 * 10) if r["kind"] == "escape" and r["model"] == "sigmoid" else r for r in rows]
    monkeypatch.setitem(checks._MEMO, "ledger", bent)
    assert checks.verify_esc_tight(_ctx(tmp_path)).status == L.REFUTED


def test_near_opt_check_fails_when_times_differ_across_q(tmp_path, monkeypatch):
    rows = checks.sweep_rows(_ctx(tmp_path))
    skewed = [dict(r, T=r["T"] * (1 + r["q"])) if r["kind"] == "near_opt" and r.get("applicable") else r
              for r in rows]
    monkeypatch.setitem(checks._MEMO, "ledger", skewed)
    assert checks.verify_near_opt(_ctx(tmp_path)).status == L.REFUTED
    # one passage time that is not a number: its spread is not within the bound
    near = [i for i, r in enumerate(rows) if r["kind"] == "near_opt" and r.get("applicable")]
    one_nan = [dict(r, T=float("nan")) if i == near[len(near) // 2] else r for i, r in enumerate(rows)]
    monkeypatch.setitem(checks._MEMO, "ledger", one_nan)
    assert checks.verify_near_opt(_ctx(tmp_path)).status == L.REFUTED


def test_numeric_flow_and_sigmoid_checks(tmp_path):
    for fn in (checks.verify_flow_numeric, checks.verify_sigmoid_numeric):
        verdict = fn(_ctx(tmp_path))
        assert verdict.status == L.VERIFIED, verdict.evidence
        assert verdict.numbers


def test_flow_residuals_detect_a_wrong_gradient():
    import jax

    from tsallis_theory.flow import Sigmoid

    @jax.custom_jvp
    def log_sigmoid(x):
        return -jax.nn.softplus(-x)

    @log_sigmoid.defjvp
    def _jvp(primals, tangents):
        (x,), (dx,) = primals, tangents
        return log_sigmoid(x), 2.0 * jax.nn.sigmoid(-x) * dx  # twice the true derivative

    class WrongGradient(Sigmoid):
        def log_p(self, theta):
            return log_sigmoid(theta[0])

    good, bad = Sigmoid(), WrongGradient()
    thetas = np.array([good.init(p) for p in (1e-6, 1e-2, 0.3)])
    assert checks.flow_residuals(good, 0.5, thetas).max() < 1e-7
    # the flow moves along the (wrong) gradient, so d ln P/dt = ∇ln P·v = s_true·2 s_true P^{1-q}, not P^{1-q}‖2 s‖²
    assert checks.flow_residuals(bad, 0.5, thetas).min() == pytest.approx(0.5, rel=1e-5)


def test_bench_escape_quick(capsys):
    import importlib.util
    from pathlib import Path

    spec = importlib.util.spec_from_file_location(
        "bench_escape", Path(__file__).resolve().parents[1] / "experiments" / "bench_escape.py")
    bench = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(bench)
    assert bench.main(["--quick"]) == 0
    out = capsys.readouterr().out
    ours = next(line for line in out.splitlines() if line.startswith("ours (quadrature"))
    raw = next(line for line in out.splitlines() if line.startswith("baseline solve_ivp"))
    assert float(ours.split()[-2]) < 1e-9 < float(raw.split()[-2])  # max rel. error: ours exact, raw P not


def test_ledger_sweep_is_reused_only_from_the_same_clean_revision(tmp_path, monkeypatch):
    """Fast tier: always recomputed. Full tier: the file is resumed only when its header's git revision is the
    current one and clean; a '+dirty' or another revision means the rows may come from other code."""
    import tsallis_theory.results as R

    monkeypatch.setitem(checks.PRESETS, "default", TINY)
    monkeypatch.setitem(checks.PRESETS, "ledger", TINY)
    stale_t = 123.0
    committed = tmp_path / "committed"

    def run(tier, revision, tamper=False):
        monkeypatch.setattr(R, "git_revision", lambda: revision)
        monkeypatch.setattr(checks, "_MEMO", {})
        rows = checks.sweep_rows(L.CheckContext(tier=tier, work_dir=tmp_path, results_dir=committed))
        if tamper:  # mark the file, as if an older code revision had written other numbers
            _tamper(study_path(tmp_path / ("flow-full" if tier == "full" else "flow-ledger"), "flow"))
        return rows

    def _tamper(path):
        lines = path.read_text().splitlines()
        i = next(i for i, line in enumerate(lines) if '"kind": "escape"' in line)
        lines[i] = json.dumps(dict(json.loads(lines[i]), T=stale_t))
        path.write_text("\n".join(lines) + "\n")

    def stale(rows):
        return any(r["kind"] == "escape" and r["T"] == stale_t for r in rows)

    run("full", "abc1234", tamper=True)
    assert stale(run("full", "abc1234"))  # same clean revision: resumed as is
    assert not stale(run("full", "def5678"))  # another revision: recomputed
    run("full", "abc1234+dirty", tamper=True)
    assert not stale(run("full", "abc1234+dirty"))  # a dirty tree cannot vouch for its rows
    run("full", "unknown", tamper=True)
    assert not stale(run("full", "unknown"))
    run("fast", "abc1234", tamper=True)
    assert not stale(run("fast", "abc1234"))  # the fast tier always recomputes
    header = ResultsFile(study_path(tmp_path / "flow-full", "flow")).header()
    assert header["meta"]["git"] == "unknown"  # the recomputed file records the revision that made it

    # the rows of `tsallis-lab flow` in the results folder: used (and left alone) when complete, of the
    # default config and made by this clean revision
    monkeypatch.setattr(R, "git_revision", lambda: "abc1234")
    study.run(TINY, committed, progress=False)
    _tamper(study_path(committed, "flow"))
    before = study_path(committed, "flow").read_text()
    assert stale(run("full", "abc1234"))
    assert study_path(committed, "flow").read_text() == before
    assert not stale(run("full", "def5678"))
    study.run(TINY, committed, fresh=True, progress=False)
    _tamper(study_path(committed, "flow"))
    lines = study_path(committed, "flow").read_text().splitlines()
    study_path(committed, "flow").write_text("\n".join(lines[:-3]) + "\n")  # the last task missing
    assert not stale(run("full", "abc1234"))
