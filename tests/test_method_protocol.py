"""The method protocol: a method declared in tests/byo_method.py (outside the package) reaches the atlas, the
flow, the exact bias and the atlas study without edits to the library; bad methods fail in one line."""

import numpy as np
import pytest
from scipy.stats import binom

from tests import byo_method
from tsallis_theory import atlas as A
from tsallis_theory import estimators as E
from tsallis_theory.flow import escape_time

SPEC = "tests.byo_method:CLIPPED_GARL"


def _oracle(p, g, q=0.5):
    """G·E[a(1, K'+1)] with a(1, K) = min((G/K)^q, 2)/G and a(0, K) = 0: the clipped GARL by hand."""
    k = np.arange(1, g + 1)
    return np.array([binom.pmf(k - 1, g - 1, x) @ np.minimum((g / k) ** q, 2.0) for x in np.atleast_1d(p)])


def test_declared_method_has_its_exact_finite_group_amplification():
    p = np.geomspace(1e-6, 0.9, 6)
    for m in (byo_method.CLIPPED_GARL, SPEC, "clipped_garl"):
        np.testing.assert_allclose(A.expected_amplification(m, p, 16, q=0.5), _oracle(p, 16), rtol=1e-12)
    # a plain coefficient function works too, and the public binomial helper gives the same from the gap
    f = A.expected_amplification(byo_method.clipped_garl, p, 16, q=0.5)
    np.testing.assert_allclose(f, _oracle(p, 16), rtol=1e-12)
    gap = A.success_gap(byo_method.CLIPPED_GARL, 16, q=0.5)
    np.testing.assert_allclose(A.finite_group_amplification(gap, p), f, rtol=1e-14)


def test_declared_method_bias_against_jq_and_garl_agrees_with_the_closed_sum():
    p = np.array([0.01, 0.2, 0.7])
    np.testing.assert_allclose(A.bias_against_jq("garl", 0.5, 8, p), E.hard_verifier_relative_bias(0.5, 8, p),
                               rtol=1e-10, atol=1e-14)
    np.testing.assert_allclose(A.bias_against_jq(SPEC, 0.5, 8, p), _oracle(p, 8) * p**0.5 - 1, rtol=1e-12)


def test_declared_method_escape_time_in_the_flow_and_the_atlas():
    # flow: the sigmoid under dθ/dt = f'_G(P)∇P; the ceiling 2 for P ≪ 1/G makes T ≈ 1/(2 p0)
    amp = lambda p: A.expected_amplification(SPEC, p, 16, q=0.5)  # noqa: E731
    t = [escape_time("sigmoid", amp, p0) for p0 in (1e-6, 1e-5)]
    assert np.log(t[0] / t[1]) / np.log(10) == pytest.approx(1.0, abs=0.01)
    assert escape_time("sigmoid", lambda p: p**-0.5, 1e-6) == pytest.approx(escape_time("sigmoid", 0.5, 1e-6), rel=1e-12)
    rows = A.escape_slopes([(SPEC, {"q": 0.5}, "hard"), (SPEC, {"q": 0.5}, "soft")], np.geomspace(1e-6, 1e-4, 3), g=8)
    assert [r["method"] for r in rows] == ["clipped_garl"] * 2
    assert rows[0]["slope"] == pytest.approx(1.0, abs=0.05)  # the finite-group ceiling
    assert 0.4 < rows[1]["slope"] < 1.0  # soft w: the clip bounds w_m/w̄^q, not w̄'s own growth


def test_atlas_study_draws_a_declared_method(tmp_path):
    from tsallis_theory.studies import atlas as S

    cfg = S.Config(group=8, ceiling_groups=(8,), n_p=10, method=(SPEC,))
    keys = [k for k, _ in S.tasks(cfg)]
    assert ("curve", "clipped GARL q=0.5", "hard", 8) in keys and ("escape", "clipped_garl", "soft", 0.5, 8) in keys
    rows = dict(S.tasks(cfg))[("curve", "clipped GARL q=0.5", "hard", 8)]()
    np.testing.assert_allclose(rows[0]["amplification"], _oracle(np.geomspace(1e-8, 0.99, 10), 8), rtol=1e-12)
    assert np.all(np.isnan(rows[0]["population"])) and rows[0]["q"] == 0.5
    with pytest.raises(ValueError, match="cannot be loaded"):
        S.Config(method=("tests.byo_method:nothing",)).validate()


@pytest.mark.parametrize("attr,prop", [("batch_mean_garl", "depend only on their own pool"),
                                       ("nan_method", "must be finite"), ("wrong_shape", "the pool's shape")])
def test_bad_method_is_a_one_line_error_naming_it(attr, prop):
    kw = {"q": 0.5} if attr == "batch_mean_garl" else {}
    m = E.Method(attr, getattr(byo_method, attr), needs=tuple(kw))
    with pytest.raises(ValueError, match=f"method '{attr}'.*{prop}") as err:
        A.expected_amplification(m, 0.1, 4, **kw)
    assert "\n" not in str(err.value)


def test_lab_names_are_protected_and_parameters_checked():
    with pytest.raises(ValueError, match="lab's own methods"):
        E.declare(E.Method("garl", byo_method.clipped_garl))
    with pytest.raises(ValueError, match=r"needs q \(in \[0, 1\]\); none was given"):
        A.expected_amplification(SPEC, 0.1, 4)
    with pytest.raises(ValueError, match="package.module:function"):
        E.get_method("no_such_method")


@pytest.mark.slow
def test_declared_method_trains_in_the_lm_study(key):
    """The LM trainer runs a declared method named "package.module:attr@q" with its own coefficients."""
    import jax.numpy as jnp

    from tsallis_theory.lm.configs import TaskConfig, TrainConfig
    from tsallis_theory.lm.methods import parse_method
    from tsallis_theory.lm.objectives import coefficients
    from tsallis_theory.lm.tabular import TabularPolicy
    from tsallis_theory.studies._lm_loop import train

    method = parse_method(SPEC + "@0.5")
    assert (method.kind, method.q) == (SPEC, 0.5)
    lw = jnp.log(jnp.array([[0.5, 0.01, 0.0, 0.2]]))
    c = coefficients(method.compiled_kind, None, lw, jnp.zeros((1, 4)), 0.5)
    np.testing.assert_array_equal(c.c_z, byo_method.clipped_garl(lw, 0.5))
    task = TaskConfig(modulus=3, chain_length=2)
    cfg = TrainConfig(method=SPEC + "@0.5", steps=2, chunk=2, lr=1.0, batch_prompts=4, group_size=3, eval_prompts=4)
    _, hist = train(task, cfg, TabularPolicy(key, task, init_scale=0.5, digit_bias=-1.0), progress=False)
    assert len(hist["steps"]["mean_P"]) == 2 and np.all(np.isfinite(hist["steps"]["mean_P"]))
