"""Categorical studies: schedule metrics against closed forms, dominance, the verdict rule, CLI smoke tests."""

import json

import numpy as np
import pytest

from tsallis_theory.ledger.checks.categorical import schedule_verdict
from tsallis_theory.categorical.schedules import Scenario, Schedule, dominates, simulate
from tsallis_theory.cli import main


@pytest.mark.parametrize("q", [1.0, 0.6])
def test_escape_times_match_a_second_solver(q):
    # Oracle: each clean example alone, dz/dt = α θ^{1−q} − θ Σ α_j θ_j^{1−q} written here from the loss
    # ℓ_q(θ_gold) and integrated with DOP853 and an event at θ_gold = 1/2.
    from scipy.integrate import solve_ivp

    sc = Scenario(n_examples=4, noisy_fraction=0.25, p0_min=1e-3, p0_max=1e-2, t_end=60.0)
    res = simulate(sc, Schedule("fixed", q=q))
    _, z0, noisy = sc.build()

    def rhs(t, z):
        th = np.exp(z - z.max()) / np.exp(z - z.max()).sum()
        g = th[0] ** (1.0 - q)  # α = e_gold
        return np.array([g, 0.0, 0.0]) - th * g

    hit = lambda t, z: np.exp(z[0] - np.logaddexp.reduce(z)) - 0.5  # noqa: E731
    hit.terminal = True
    oracle = [solve_ivp(rhs, (0, 60), z, method="DOP853", rtol=1e-12, atol=1e-12, events=hit).t_events[0][0]
              for z in z0[~noisy]]
    np.testing.assert_allclose(res.escape_times, oracle, rtol=1e-6)


def test_q0_fixed_contamination_and_stepwise_switch():
    sc = Scenario(n_examples=8, t_end=50.0)
    r0 = simulate(sc, Schedule("fixed", q=0.0), n_grid=40)
    r1 = simulate(sc, Schedule("fixed", q=1.0), n_grid=40)
    st = simulate(sc, Schedule("stepwise", t_switch=10.0), n_grid=40)
    assert r0.escape_time == np.inf and r1.escape_time < 10.0
    assert st.escape_time == pytest.approx(r1.escape_time, rel=1e-6)  # identical dynamics before the switch
    assert st.final_contamination < 0.2 * r1.final_contamination < r1.peak_contamination
    assert np.all(st.q_mean[st.t_grid < 10.0] == 1.0) and np.all(st.q_mean[st.t_grid > 10.0] == 0.0)


def test_dominance_definition():
    a = {"escape_time": 5.0, "final_contamination": 0.01}
    assert dominates(a, {"escape_time": None, "final_contamination": 0.02})
    assert not dominates(a, {"escape_time": 5.02, "final_contamination": 0.01005})  # ties within 1%
    assert dominates(a, {"escape_time": 6.0, "final_contamination": 0.01})
    assert not dominates(a, {"escape_time": None, "final_contamination": 0.001})


def _row(kind, esc, fin, peak, **params):
    return {"kind": kind, "label": f"{kind} {params}", "escape_time": esc, "final_contamination": fin,
            "peak_contamination": peak, "final_accuracy": 1.0, "params": params}


def test_schedule_verdict_can_return_partial_and_refuted():
    fixed = [_row("fixed", None, 0.001, 0.001, q=0.0), _row("fixed", 5.0, 0.2, 0.2, q=1.0)]
    good_step = _row("stepwise", 5.0, 0.005, 0.05, t_switch=5.0)
    assert schedule_verdict(fixed + [good_step]).status == "PARTIAL"  # q = 0 keeps lower contamination
    bad_step = _row("stepwise", 5.0, 0.15, 0.2, t_switch=5.0)  # the switch does not undo the noise
    assert schedule_verdict(fixed + [bad_step]).status == "REFUTED"
    fixed[0]["final_contamination"] = 0.01
    assert schedule_verdict(fixed + [good_step]).status == "VERIFIED"


def test_schedule_cli_smoke_resume_and_mismatch(tmp_path, capsys):
    out, figs = tmp_path / "r", tmp_path / "f"
    args = ["schedule", "--preset", "smoke", "--out", str(out), "--figures", str(figs), "--no-progress"]
    assert main(args) == 0
    assert "Pareto front" in capsys.readouterr().out
    assert (figs / "schedule_pareto.png").exists() and (figs / "schedule_curves.png").exists()
    rows_file = out / "schedule.jsonl"
    text = rows_file.read_text()
    assert "meta" in json.loads(text.splitlines()[0])
    assert main(args) == 0  # resume: nothing recomputed, the file unchanged
    assert rows_file.read_text() == text
    (out / "flow.jsonl").write_text("another study's rows\n")
    capsys.readouterr()
    assert main(args[:3] + ["--switch-times", "12", "--out", str(out), "--figures", "", "--no-progress"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "switch_times: [10.0] on disk, [12.0] requested" in err[0] and str(rows_file) in err[0]
    assert main(args[:3] + ["--switch-times", "12", "--out", str(out), "--figures", "", "--no-progress",
                             "--fresh"]) == 0
    rows = [json.loads(line) for line in rows_file.read_text().splitlines()[1:]]
    assert {r["params"]["t_switch"] for r in rows if r.get("kind") == "stepwise"} == {12.0}
    assert (out / "flow.jsonl").read_text() == "another study's rows\n"  # --fresh leaves other studies alone


def test_schedule_figures_are_byte_stable(tmp_path):
    """Two draws of the same rows, the second from rows in another order with tied escape times, give
    byte-identical PNGs."""
    from tsallis_theory.plots import schedule as P

    t_grid = [0.0, 1.0, 10.0]
    def row(kind, esc, fin, key, **params):
        return {"kind": kind, "key": key, "label": key, "escape_time": esc, "final_contamination": fin,
                "peak_contamination": fin, "final_accuracy": 1.0, "params": params, "t_grid": t_grid,
                "contamination": [fin] * 3, "escaped_fraction": [0.0, 0.5, 1.0], "q_mean": [1.0, 1.0, 0.0]}
    rows = [row("fixed", None, 0.01, "fixed:0", q=0.0), row("fixed", 2.0, 0.2, "fixed:1", q=1.0),
            row("stepwise", 2.0, 0.05, "stepwise:5", t_switch=5.0), row("stepwise", 2.0, 0.03, "stepwise:3",
                                                                        t_switch=3.0),
            row("stepwise", 2.0, 0.03, "stepwise:4", t_switch=4.0)]
    for name, fig in P.FIGURES.items():
        fig(rows, tmp_path / f"a_{name}.png")
        fig(rows[::-1], tmp_path / f"b_{name}.png")
        assert (tmp_path / f"a_{name}.png").read_bytes() == (tmp_path / f"b_{name}.png").read_bytes(), name


def test_noise_cli_smoke_answers_a_single_question(tmp_path, capsys):
    args = ["noise", "--preset", "smoke", "--eps", "0.05", "--q", "0.8", "--out", str(tmp_path / "r"),
            "--figures", str(tmp_path / "f"), "--no-progress"]
    assert main(args) == 0
    out = capsys.readouterr().out
    star = 0.05 ** 1.25 / (0.05 ** 1.25 + 0.95 ** 1.25)  # eq. 17 by hand: 0.02459
    assert ["0.05", "0.8", "direct", f"{star:.6g}", f"{star:.6g}"] in [line.split() for line in out.splitlines()]
    for name in ("noise_escort", "noise_equilibrium", "noise_contamination", "noise_time"):
        assert (tmp_path / "f" / f"{name}.png").exists()


@pytest.mark.parametrize("args,needle", [
    (["noise", "--eps", "0.7"], "eps must be in (0, 0.5)"),
    (["noise", "--q", "1.5"], "q must be in (0, 1]"),
    (["noise", "--q", "0"], "q must be in (0, 1]"),
    (["noise", "--q", "0.002", "--eps", "0.1"], "--q must be >= 0.00382 at eps = 0.1"),  # p̃* would underflow
    (["noise", "--escort-alpha", "0.5", "0.6"], "--escort-alpha must hold >= 2 positive values summing to 1"),
    (["schedule", "--eps", "0"], "eps must be in (0, 0.5)"),
    (["schedule", "--fixed-qs", "0", "1", "2"], "--fixed-qs must be in [0, 1]"),
    (["schedule", "--fixed-qs", "0.5"], "--fixed-qs must include 0 and 1"),
    (["schedule", "--p0-min", "0.5"], "--p0-min, p0_max must satisfy"),
    (["schedule", "--n-examples", "1"], "--n-examples must be an integer >= 2"),
    (["schedule", "--t-end", "1e300"], "--t-end must be in (0, 1e+09]; got 1e+300"),
    (["schedule", "--switch-times", "inf"], "--switch-times must be in (0, inf); got inf"),
])
def test_cli_bad_input_exit_2(args, needle, tmp_path, capsys):
    assert main(args + ["--out", str(tmp_path), "--figures", str(tmp_path), "--no-progress"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and needle in err[0]
