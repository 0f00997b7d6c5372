"""Estimators: oracles (brute-force subsets, enumeration, autodiff, closed forms, numpy, mpmath), bad input,
jit/vmap; GRPO's std conventions and the atlas's expected amplification of the estimators (claim ATLAS)."""

import itertools
from fractions import Fraction

import jax
import jax.numpy as jnp
import mpmath
import numpy as np
import pytest
from scipy.stats import binom

from tsallis_theory import atlas as A
from tsallis_theory import estimators as E
from tsallis_theory.estimators import testbed as T
from tsallis_theory.estimators.coverage import dco_gap, maxrl_weights, pass_at_k_gap, pass_at_k_weights

SOFT = T.RolloutPoolModel(np.array([0.3, -0.5, 0.1]), np.array([0.05, 0.3, 0.9]), parameterised=True)
HARD = T.RolloutPoolModel(np.array([0.0, 1.0, -2.0]), np.array([0.0, 0.0, 1.0]))


def _brute_subset_weights(rewards, k, per_subset):
    """Average over all k-subsets S of a per-subset gradient weight vector (the U-statistic, by brute force)."""
    m = len(rewards)
    out = np.zeros(m)
    subsets = list(itertools.combinations(range(m), k))
    for s in subsets:
        out[list(s)] += per_subset(np.asarray(rewards)[list(s)])
    return out / len(subsets)


@pytest.mark.parametrize("m,k", [(5, 1), (5, 2), (6, 3), (6, 6)])
def test_pass_at_k_weights_match_brute_force_subsets(m, k):
    # pass@k of a subset is max r; its REINFORCE weight on every member is max(r_S)
    for count in range(m + 1):
        r = np.array([1.0] * count + [0.0] * (m - count))
        brute = _brute_subset_weights(r, k, lambda rs: np.full(len(rs), rs.max()))
        got = -np.asarray(E.pass_at_k(r, k).score)
        np.testing.assert_allclose(got, brute * k / k, atol=1e-14)  # subset weight already counts k members


@pytest.mark.parametrize("m,t", [(5, 1), (5, 3), (6, 6)])
def test_maxrl_weights_match_brute_force_subsets(m, t):
    for count in range(m + 1):
        r = np.array([1.0] * count + [0.0] * (m - count))
        brute = _brute_subset_weights(r, t, lambda rs: rs / rs.sum() if rs.sum() > 0 else 0 * rs)
        np.testing.assert_allclose(-np.asarray(E.maxrl(r, t).score), brute, atol=1e-14)


def test_tables_have_the_right_shape():
    assert pass_at_k_weights(4, 2)[0].shape == (5,) and maxrl_weights(4, 2).shape == (5,)


def test_grad_success_matches_autodiff():
    th, phi = jnp.asarray(SOFT.prior_logits), jnp.log(SOFT.w / (1 - SOFT.w))
    p = lambda th, phi: jax.nn.softmax(th) @ jax.nn.sigmoid(phi)  # noqa: E731
    g = jnp.concatenate(jax.grad(p, argnums=(0, 1))(th, phi))
    np.testing.assert_allclose(SOFT.grad_success(), g, rtol=1e-13)


# module-level jits: one XLA compile per pool shape instead of one per primitive (docs/spec.md §10)
_rloo06 = jax.jit(lambda lw: E.garl_rloo(lw, 0.6))
_iwae = jax.jit(E.iwae)
_plugin = jax.jit(E.garl_plugin)
_rb = jax.jit(E.rb_reinforce)


@pytest.mark.parametrize("model", [SOFT, HARD])
def test_composition_enumeration_equals_ordered_enumeration(model):
    for est in (_rloo06, _iwae):
        a = T.pool_moments(model, est, 4)
        b = T.pool_moments(model, est, 4, ordered=True)
        np.testing.assert_allclose(a.mean, b.mean, atol=1e-14)
        assert a.variance == pytest.approx(b.variance, rel=1e-12)


def test_reinforce_is_unbiased_for_grad_l0_and_monte_carlo_agrees(key):
    exact = T.pool_moments(SOFT, _rb, 5)
    np.testing.assert_allclose(exact.mean, SOFT.grad_loss(0.0), atol=1e-15)
    mc = T.mc_moments(key, SOFT, lambda lw: _plugin(lw, 0.5), 5, 20000)
    ex = T.pool_moments(SOFT, lambda lw: _plugin(lw, 0.5), 5)
    z = (mc.mean - ex.mean) / mc.mean_se
    assert np.all(np.abs(z) < 4.5), z  # Monte Carlo within 4.5 standard errors in every coordinate
    assert abs(mc.variance - ex.variance) < 4.5 * mc.variance_se


def test_hard_relative_bias_matches_enumeration_and_limits():
    for q in (0.25, 0.75, 1.0):
        e = T.pool_moments(HARD, lambda lw: _plugin(lw, q), 6).mean
        np.testing.assert_allclose(e / HARD.grad_loss(q) - 1, E.hard_verifier_relative_bias(q, 6, HARD.success),
                                   atol=1e-13)
    assert E.hard_verifier_relative_bias(0.0, 7, 0.3) == pytest.approx(0.0, abs=1e-14)
    assert E.hard_verifier_relative_bias(1.0, 7, 0.3) == pytest.approx(-(0.7**7), rel=1e-12)
    r = E.hard_verifier_relative_bias(0.5, 20000, 0.1)
    assert r == pytest.approx(E.hard_verifier_bias_asymptote(0.5, 20000, 0.1), rel=0.01)
    assert E.hard_verifier_relative_bias(0.5, 10, 1e-9) == pytest.approx(-1.0, abs=1e-3)


def test_leading_term_is_the_large_m_limit_of_the_exact_bias():
    q = 0.5
    errs = []
    for m in (16, 64):
        b = T.pool_moments(SOFT, lambda lw: _plugin(lw, q), m).mean - SOFT.grad_loss(q)
        errs.append(np.linalg.norm(b - E.leading_bias(SOFT, q, m)) / np.linalg.norm(b))
    assert errs[1] < errs[0] / 3 and errs[1] < 0.03


def test_grpo_count_weights_closed_form():
    # K successes of G: success advantage √((G−K)/K), failure −√(K/(G−K)) (population std, eps = 0)
    g, k = 8, 3
    r = np.array([1.0] * k + [0.0] * (g - k))
    s = -np.asarray(E.grpo(r, eps=0.0).score) * g
    np.testing.assert_allclose(s[:k], np.sqrt((g - k) / k), rtol=1e-13)
    np.testing.assert_allclose(s[k:], -np.sqrt(k / (g - k)), rtol=1e-13)


def test_dco_pass_at_n_equals_reinforce_over_the_whole_group():
    r = np.array([0.0, 1.0, 0.0, 0.0])
    np.testing.assert_allclose(E.dco(r).score, -np.ones(4), atol=1e-15)


_garl_rloo_jit = jax.jit(E.garl_rloo)


def test_jit_and_vmap_agree_with_the_batched_call():
    rng = np.random.default_rng(0)
    lw = -rng.exponential(2.0, (7, 5))
    batched = E.garl_rloo(lw, 0.4)
    vm = jax.vmap(lambda x: _garl_rloo_jit(x, 0.4))(jnp.asarray(lw))
    np.testing.assert_allclose(batched.score, vm.score, atol=1e-15)
    # a group with equal rewards has zero advantage under jit (no NaN from std = 0)
    np.testing.assert_allclose(jax.jit(E.grpo)(jnp.ones((3, 4))).score, 0.0)


@pytest.mark.parametrize("call,match", [
    (lambda: E.garl_plugin(np.zeros((3, 0)), 0.5), "M >= 1"),
    (lambda: E.garl_rloo(np.zeros(1), 0.5), "M >= 2"),
    (lambda: E.rb_rloo(np.zeros(1)), "M >= 2"),
    (lambda: E.rloo(np.ones(1)), "M >= 2"),
    (lambda: E.garl_plugin([np.nan, 0.0], 0.5), "NaN"),
    (lambda: E.garl_plugin([0.1, 0.0], 0.5), r"\[-inf, 0\]"),
    (lambda: E.garl_plugin([0.0, 0.0], 1.5), "q must be in"),
    (lambda: E.paft(jax.random.PRNGKey(0), [0.0, -1.0], 0.5, 0), "K"),
    (lambda: E.posterior_sft(jax.random.PRNGKey(0), [0.0, -1.0], 0), "K"),
    (lambda: E.grpo([0.2, 1.2]), r"rewards must be in \[0, 1\]"),
    (lambda: E.grpo([0.2, 0.3], eps=-1.0), "eps"),
    (lambda: E.grpo([0.2, 0.3], std="unbiased"), "std must be one of"),
    (lambda: A.expected_amplification("grpo", 0.1, 4, std="ddof1"), "std must be one of"),
    (lambda: A.population_amplification("grpo", 0.1, std="ddof1"), "std must be one of"),
    (lambda: E.garl_plugin(np.zeros((4, 8)), np.zeros(3)), r"q must have shape .* got q of shape \(3,\)"),
    (lambda: E.garl_rloo(np.zeros((4, 8)), np.zeros((4, 8))), r"q must have shape .*\(4, 8\)"),
    (lambda: E.paft(jax.random.PRNGKey(0), np.zeros((4, 8)), np.zeros((2, 1)), 3), "q must have shape"),
    (lambda: E.paft_from_indices(np.zeros((4, 8)), 0.5, np.zeros((3, 2), int)), "indices must have shape"),
    (lambda: E.pass_at_k([0.0, 0.5], 1), "0/1"),
    (lambda: E.pass_at_k([0.0, 1.0], 3), "k must be an integer in"),
    (lambda: E.maxrl([0.0, 1.0], 0), "truncation"),
    (lambda: E.hard_verifier_relative_bias(0.5, 0, 0.1), "m must be"),
    (lambda: E.hard_verifier_relative_bias(0.5, 4, 0.0), "p must be"),
])
def test_bad_input_is_a_one_line_value_error(call, match):
    with pytest.raises(ValueError, match=match) as info:
        call()
    assert "\n" not in str(info.value)


# --- the study and its command (tsallis_theory.studies.estimators, tsallis-lab estimators) ---


@pytest.mark.parametrize("change,field", [({"max_m": 8}, "max_m"), ({"max_m": 1024}, "max_m"),
                                          ({"mc_pools": 99}, "mc_pools"), ({"mc_m": ()}, "mc_m"),
                                          ({"mc_m": (8, 1)}, "mc_m"), ({"variance_max_m": 7}, "variance_max_m")])
def test_estimators_config_rejects_each_bad_field_in_one_line(change, field):
    import dataclasses

    from tsallis_theory.studies import estimators as S

    with pytest.raises(ValueError, match=f"^{field} must") as info:
        dataclasses.replace(S.Config(), **change).validate()
    assert "\n" not in str(info.value)


def test_estimators_study_resumes_refuses_another_config_and_starts_over_with_fresh(tmp_path, capsys):
    import json

    from tsallis_theory.cli import main
    from tsallis_theory.plots.estimators import FIGURES
    from tsallis_theory.results import ResultsFile, study_path

    path = study_path(tmp_path, "estimators")
    base = ["estimators", "--preset", "smoke", "--out", str(tmp_path), "--no-progress"]

    def mc_pools():
        return {r["n_pools"] for r in ResultsFile(path).rows() if r["sweep"] == "mc"}

    assert main([*base, "--mc-pools", "100", "--figures", str(tmp_path / "figs")]) == 0
    out = capsys.readouterr().out
    assert "Monte Carlo (100 pools)" in out and "exact GARL bias vs M" in out
    assert sorted(p.name for p in (tmp_path / "figs").iterdir()) == sorted(f"{n}.png" for n in FIGURES)
    assert mc_pools() == {100}
    on_disk = path.read_bytes()
    # resuming under the same config computes nothing and leaves the file as it was
    assert main([*base, "--mc-pools", "100", "--figures", ""]) == 0
    assert path.read_bytes() == on_disk
    capsys.readouterr()
    # another mc_pools into the same --out: exit 2, one line naming the field and the file; rows kept
    assert main([*base, "--mc-pools", "4000", "--figures", ""]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "mc_pools: 100 on disk, 4000 requested" in err[0] and str(path) in err[0]
    assert path.read_bytes() == on_disk
    # --fresh starts the file over under the new config
    assert main([*base, "--mc-pools", "4000", "--figures", "", "--fresh"]) == 0
    assert mc_pools() == {4000}
    assert json.loads(path.read_text().splitlines()[0])["config"]["mc_pools"] == 4000


def test_estimators_figures_need_their_rows(tmp_path):
    from tsallis_theory.plots.estimators import FIGURES

    assert all(fig([], tmp_path / f"{name}.png") is None for name, fig in FIGURES.items())
    assert not list(tmp_path.iterdir())

# --- GRPO's std conventions -------------------------------------------------------------------------------

@pytest.mark.parametrize("std, ddof", [("population", 0), ("sample", 1)])
@pytest.mark.parametrize("eps", [0.0, 1e-4])
def test_grpo_advantage_matches_numpy(std, ddof, eps):
    rng = np.random.default_rng(11)
    r = np.concatenate([rng.uniform(0, 1, (5, 6)), (rng.uniform(0, 1, (5, 6)) < 0.4).astype(float)])
    r[-1] = [1, 0, 0, 0, 0, 0]
    want = (r - r.mean(-1, keepdims=True)) / (r.std(-1, ddof=ddof, keepdims=True) + eps)
    np.testing.assert_allclose(E.grpo_advantage(r, eps, std=std), want, rtol=1e-13, atol=1e-15)
    np.testing.assert_allclose(E.grpo(r, eps, std=std).score, -want / 6, rtol=1e-13, atol=1e-15)


def test_grpo_presets_are_trl_and_verl():
    r = np.array([[1.0, 0.0, 0.0, 1.0, 0.0]])
    sample = r.std(ddof=1)
    for preset, eps in (("trl", 1e-4), ("verl", 1e-6)):
        np.testing.assert_allclose(E.grpo_advantage(r, **E.GRPO_PRESETS[preset]), (r - r.mean()) / (sample + eps),
                                   rtol=1e-14)
    np.testing.assert_array_equal(E.grpo(r).score, E.grpo(r, **E.GRPO_PRESETS["population"]).score)


@pytest.mark.parametrize("std", ["population", "sample"])
def test_grpo_equal_rewards_give_zero_advantage_and_tiny_rewards_keep_their_scale(std):
    # all-equal soft rewards: mean(0.3, 0.3, 0.3) rounds, so (r − mean)/std was ±1 at eps = 0
    for r in (np.full(3, 0.3), np.full(8, 0.7), np.full(3, 0.1), np.full(6, 1 / 3)):
        assert np.all(np.asarray(E.grpo(r, eps=0.0, std=std).score) == 0.0)
        assert np.all(np.asarray(jax.jit(lambda x: E.grpo(x, eps=0.0, std=std))(r).score) == 0.0)
    # eps = 0 is scale invariant: rewards of 1e-170 (their squares underflow) give the 0/1 advantages
    np.testing.assert_allclose(E.grpo_advantage(np.array([1e-170, 0, 0, 0]), 0.0, std=std),
                               E.grpo_advantage(np.array([1.0, 0, 0, 0]), 0.0, std=std), rtol=1e-14)


def test_grpo_advantage_keeps_float32_and_grpo_computes_in_the_default_float():
    r = np.array([1.0, 0.0, 0.0, 1.0], np.float32)
    assert E.grpo_advantage(r, **E.GRPO_PRESETS["trl"]).dtype == jnp.float32
    assert E.grpo(r).score.dtype == jnp.float64


@pytest.mark.parametrize("g", [2, 3, 8, 17, 64])
def test_grpo_cold_start_ceilings_are_exact(g):
    # P → 0: only K' = 0 contributes, A(1 success of G) = (1 − 1/G)/σ with σ = √(G−1)/G (population) or 1/√G (sample)
    pop = A.expected_amplification("grpo", 0.0, g, eps=0.0)
    sample = A.expected_amplification("grpo", 0.0, g, eps=0.0, std="sample")
    assert pop == pytest.approx(np.sqrt(g - 1), rel=1e-15)
    assert sample == pytest.approx((g - 1) / np.sqrt(g), rel=1e-15)
    # at every P the sample std scales the closed form of docs/spec.md §7 E_K[√(K(G−K))]/G/(P(1−P)) by √((G−1)/G)
    p = np.geomspace(1e-6, 0.95, 6)
    kk = np.arange(g + 1)
    spec = np.array([binom.pmf(kk, g, x) @ np.sqrt(kk * (g - kk)) / g / (x * (1 - x)) for x in p])
    np.testing.assert_allclose(A.expected_amplification("grpo", p, g, eps=0.0, std="sample"),
                               spec * np.sqrt((g - 1) / g), rtol=1e-12)
    # the population (large-G) limit is the same for both conventions
    np.testing.assert_array_equal(A.population_amplification("grpo", p, std="sample"),
                                  A.population_amplification("grpo", p))


# --- pass@k and DCO expected amplification at P → 1 (exact oracle) -----------------------------------------

def _mp_expected_amplification(method, g, k, p):
    """G Σ_K' C(G−1, K') P^K' (1−P)^{G−1−K'} [a(1, K'+1) − a(0, K')] from the exact weights, at 60 digits."""
    with mpmath.workdps(60):
        p, c = mpmath.mpf(p), mpmath.binomial
        none = lambda kk: c(g - 1 - kk, k - 1) / c(g - 1, k - 1)  # noqa: E731
        rho = lambda kk: 1 - c(g - kk, k) / c(g, k)  # noqa: E731  the unbiased pass@k estimate
        total = mpmath.mpf(0)
        for kk in range(g):
            a_s, a_f = mpmath.mpf(k) / g, mpmath.mpf(k) / g * (1 - none(kk))
            if method == "dco":
                a_s, a_f = a_s / rho(kk + 1), (0 if kk == 0 else a_f / rho(kk))
            total += c(g - 1, kk) * p**kk * (1 - p) ** (g - 1 - kk) * (a_s - a_f)
        return g * total


@pytest.mark.parametrize("method, kw", [("pass_at_k", "k"), ("dco", "n")])
@pytest.mark.parametrize("g, k, p", [(64, 21, 0.999), (32, 8, 0.99), (64, 21, 0.5), (16, 4, 1e-3), (9, 9, 0.9)])
def test_coverage_amplification_keeps_relative_accuracy_as_p_goes_to_1(method, kw, g, k, p):
    got = A.expected_amplification(method, p, g, **{kw: k})
    assert got == pytest.approx(float(_mp_expected_amplification(method, g, k, p)), rel=1e-13)


def test_pass_at_k_amplification_equals_its_closed_form_in_exact_arithmetic():
    # unbiased: f'_G = k (1 − P)^{k−1} exactly, with P the float 0.999 as a fraction (2.10e-59, not 4.68e-59)
    want = 21 * (1 - Fraction(0.999)) ** 20
    assert A.expected_amplification("pass_at_k", 0.999, 64, k=21) == pytest.approx(float(want), rel=1e-13)


@pytest.mark.parametrize("m, k", [(4, 2), (16, 4), (9, 9), (8, 1)])
def test_coverage_gaps_equal_the_difference_of_the_estimators_weights(m, k):
    a_s, a_f = A.count_weights("pass_at_k", m, k=k)
    np.testing.assert_allclose(pass_at_k_gap(m, k), a_s[1:] - a_f[:-1], atol=1e-15)
    a_s, a_f = A.count_weights("dco", m, n=k)
    np.testing.assert_allclose(dco_gap(m, k), a_s[1:] - a_f[:-1], atol=1e-14)
