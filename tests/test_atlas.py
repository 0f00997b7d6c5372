"""Atlas: closed forms, exact enumeration, finite differences, the escape-time integrator."""

import numpy as np
import pytest
from scipy.stats import binom

from tsallis_theory import atlas as A
from tsallis_theory.atlas import amplification as AM
from tsallis_theory.estimators import testbed as T


def test_grpo_matches_spec_closed_form_and_limit():
    g = 12
    p = np.geomspace(1e-5, 0.95, 7)
    k = np.arange(g + 1)
    spec = np.array([binom.pmf(k, g, x) @ np.sqrt(k * (g - k)) / g / (x * (1 - x)) for x in p])
    np.testing.assert_allclose(A.expected_amplification("grpo", p, g, eps=0.0), spec, rtol=1e-12)
    assert A.expected_amplification("grpo", 1e-13, g, eps=0.0) == pytest.approx(np.sqrt(g - 1), rel=1e-9)


@pytest.mark.parametrize("method,kw", [("garl", {"q": 0.3}), ("pass_at_k", {"k": 2}), ("maxrl", {"T": 3}),
                                       ("dco", {"n": 3}), ("grpo", {})])
def test_expected_amplification_equals_enumeration_of_every_pool(method, kw):
    model = T.RolloutPoolModel(np.array([0.2, -0.4, 0.0]), np.array([0.0, 1.0, 0.0]))
    est = AM._hard_estimator(method, **kw)
    mom = T.pool_moments(model, lambda lw: est(np.exp(lw)), 3, ordered=True)
    np.testing.assert_allclose(mom.mean, -A.expected_amplification(method, model.success, 3, **kw)
                               * model.grad_success(), atol=1e-14)


def test_population_limit_and_ceiling():
    assert A.expected_amplification("garl", 0.3, 4000, q=0.5) == pytest.approx(0.3**-0.5, rel=1e-3)
    assert A.expected_amplification("garl", 1e-12, 32, q=0.5) == pytest.approx(32**0.5, rel=1e-9)
    assert A.expected_amplification("pass_at_k", 0.2, 9, k=4) == pytest.approx(4 * 0.8**3, rel=1e-12)


def test_escape_time_matches_the_sigmoid_closed_form():
    # P = σ(θ), amplification 1 (RLVR): T = F(1/2) − F(p0), F(P) = −1/P + 2 ln P − 2 ln(1−P) + 1/(1−P)
    model = A.SoftVerifierModel(offsets=(0.0,))
    f = lambda p: -1 / p + 2 * np.log(p) - 2 * np.log1p(-p) + 1 / (1 - p)  # noqa: E731
    for p0 in (1e-9, 1e-3, 0.2):
        assert A.amplified_escape_time(lambda th: 1.0, model, p0) == pytest.approx(f(0.5) - f(p0), rel=1e-8)


def test_soft_amplification_has_no_ceiling():
    model = A.SoftVerifierModel()
    th = [model.theta_of_log_p(np.log(p)) for p in (1e-9, 1e-6)]
    a = A.soft_amplification("garl", th, 16, q=0.75, model=model)
    assert a[0] / a[1] == pytest.approx(1e3**0.75, rel=1e-3)


@pytest.mark.parametrize("call,match", [
    (lambda: A.expected_amplification("nope", 0.1, 4), "method must be one of"),
    (lambda: A.expected_amplification("garl", 0.1, 4), "needs q"),
    (lambda: A.expected_amplification("pass_at_k", 0.1, 4, k=5), "k must be an integer in"),
    (lambda: A.expected_amplification("rloo", 0.1, 1), "g must be"),
    (lambda: A.expected_amplification("rloo", 1.5, 4), "p must be in"),
    (lambda: A.expected_amplification("log_likelihood", 0.1, 4), "no finite-group"),
])
def test_bad_input(call, match):
    with pytest.raises(ValueError, match=match):
        call()


def test_study_commands_reject_bad_arguments_with_exit_2(capsys, tmp_path):
    from tsallis_theory.cli import main

    assert main(["estimators", "--max-m", "4", "--out", str(tmp_path)]) == 2
    assert main(["atlas", "--group", "1", "--out", str(tmp_path)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 2 and "--max-m" in err[0] and "[16, 512]" in err[0] and "--group" in err[1]
    assert not list(tmp_path.iterdir())  # rejected before any row is written


@pytest.mark.parametrize("change,field", [({"group": 1}, "group"), ({"ceiling_groups": ()}, "ceiling_groups"),
                                          ({"ceiling_groups": (8, 2000)}, "ceiling_groups"), ({"n_p": 5}, "n_p")])
def test_atlas_config_rejects_each_bad_field_in_one_line(change, field):
    import dataclasses

    from tsallis_theory.studies import atlas as S

    with pytest.raises(ValueError, match=f"^{field} must") as info:
        dataclasses.replace(S.Config(), **change).validate()
    assert "\n" not in str(info.value)


def test_atlas_study_smoke_rows_summary_and_figures(tmp_path):
    from tsallis_theory.plots import draw_figures
    from tsallis_theory.plots import atlas as P
    from tsallis_theory.results import study_path
    from tsallis_theory.studies import atlas as S

    cfg = S.PRESETS["smoke"]
    rows = S.run(cfg, tmp_path, progress=False)
    assert study_path(tmp_path, "atlas").exists() and rows == S.run(cfg, tmp_path, progress=False)  # resumed
    esc = [r for r in rows if r["kind"] == "escape"]
    assert len(esc) == len(S.ESCAPE)
    for r in esc:  # Ω(1/p0) with a 0/1 verifier; 1 − q with soft w and at the population, log(1/p0) at q = 1
        if r["verifier"] == "hard":
            assert abs(r["slope"] - 1) < 0.05, r
        elif "q" in r:
            assert abs(r["slope"] - (1 - r["q"])) < 0.05, r
        else:
            assert 0 < r["slope"] < 0.1, r
    for r in (x for x in rows if x["kind"] == "ceiling"):
        assert r["amplification"][0] == pytest.approx(r["G"] ** r["q"], rel=1e-6)  # capped at G^q for P ≪ 1/G
    assert S.summary(rows, cfg).count("escape slope") == len(esc)
    paths = draw_figures("atlas", rows, tmp_path / "figs")
    assert sorted(p.name for p in paths) == sorted(f"{name}.png" for name in P.FIGURES)
    assert all(fig([], tmp_path / "none.png") is None for fig in P.FIGURES.values())
    assert not (tmp_path / "none.png").exists()
