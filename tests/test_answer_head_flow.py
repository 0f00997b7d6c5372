"""The answer head's population flow under label noise (LM-NOISE's yardstick, categorical.answer_head),
against a second solver (the two-label log-odds ODE of categorical.noise) and the closed-form asymptotes."""

import numpy as np
import pytest

from tsallis_theory.categorical.answer_head import (noise_asymptote, noise_flow, time_to_clean_level,
                                                    calibrated_clock)
from tsallis_theory.categorical.noise import simulate_contamination
from tsallis_theory.categorical.escort import noise_equilibrium


@pytest.mark.parametrize("q", [0.0, 0.5, 1.0])
def test_fresh_flow_with_no_other_mass_is_the_two_label_sigmoid_flow_at_twice_the_clock(q):
    """With (almost) no mass outside the two labels, the softmax flow's log-odds move at exactly twice the
    rate of categorical.noise's sigmoid model: d(z_k − z_c)/dt = 2 (ε p p̃^{1−q} − (1 − ε) p^{1−q} p̃)."""
    eps, pk = 0.1, 0.2
    t = np.array([0.0, 0.3, 1.0, 2.5])
    head = noise_flow(1 - pk - 1e-12, pk, eps, q, t, "fresh")
    two_label, _ = simulate_contamination(eps, q, pk, 2 * t, "sigmoid")
    np.testing.assert_allclose(head["c"], two_label, rtol=1e-6)
    np.testing.assert_allclose(head["kappa"], two_label, rtol=1e-6)


@pytest.mark.parametrize("q", [0.5, 1.0])
def test_long_time_limits(q):
    eps = 0.1
    fresh = noise_flow(0.3, 0.01, eps, q, [0.0, 1e5], "fresh")["kappa"][-1]
    assert fresh == pytest.approx(noise_asymptote(eps, q, "fresh"), rel=1e-3)
    assert noise_asymptote(eps, q, "fresh") == pytest.approx(float(noise_equilibrium(eps, q)), rel=1e-12)
    fixed = noise_flow(0.3, 0.01, eps, q, [0.0, 1e5], "fixed")["kappa"][-1]
    assert fixed == pytest.approx(eps, rel=1e-2) and noise_asymptote(eps, q, "fixed") == eps


def test_start_and_clock():
    r = noise_flow(0.25, 0.01, 0.1, 0.75, [0.0], "fixed")
    assert r["P"][0] == pytest.approx(0.25) and r["kappa"][0] == pytest.approx(0.01 / 0.26)
    t = time_to_clean_level(0.25, 0.01, 0.1, 1.0, 0.5, "fresh")
    assert noise_flow(0.25, 0.01, 0.1, 1.0, [t], "fresh")["P"][0] == pytest.approx(0.5, abs=1e-3)
    assert calibrated_clock(t, 40) == pytest.approx(t / 40) and calibrated_clock(None, 40) is None


@pytest.mark.parametrize("kw, match", [({"p_clean": 0.9, "p_noisy": 0.2}, "p_clean and p_noisy"),
                                       ({"eps": 0.5}, "eps must be in"), ({"q": 1.5}, "q must be in"),
                                       ({"design": "bogus"}, "design must be one of")])
def test_bad_input_names_the_argument(kw, match):
    args = {"p_clean": 0.3, "p_noisy": 0.01, "eps": 0.1, "q": 0.5, "times": [0.0, 1.0], "design": "fixed", **kw}
    with pytest.raises(ValueError, match=match):
        noise_flow(**args)
