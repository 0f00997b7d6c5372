"""Escape-time solvers against independent oracles: the sigmoid closed form (mpmath hyp2f1, and mpmath
quadrature), quadrature vs ODE on models where ‖s‖² = h(P), event residual and direction, bad input."""

import numpy as np
import pytest

from tsallis_theory.flow import escape_integral, escape_record, escape_time, get_model, solve_flow, trajectory
from tsallis_theory.flow.escape import passage_time
from tsallis_theory.symbolic.dynamics import sigmoid_escape_time_closed_form, sigmoid_escape_time_quad
from tsallis_theory.qcalc import log_q_from_log

Q_GRID = np.round(np.linspace(0.0, 1.0, 11), 10)
P0_GRID = np.logspace(-1, -12, 12)


def test_two_mpmath_oracles_agree():
    for q in (0.0, 0.3, 0.7, 1.0):
        for p0 in (1e-2, 1e-7, 1e-12):
            a, b = sigmoid_escape_time_closed_form(q, p0), sigmoid_escape_time_quad(q, p0)
            assert abs(a / b - 1) < 1e-14, (q, p0)


def test_oracle_matches_elementary_limits():
    # q = 1, δ = 1/2: T = ln((1-p0)/p0) + 2 - 1/(1-p0); q = 0: the partial-fraction antiderivative
    p0 = 1e-9
    assert sigmoid_escape_time_closed_form(1.0, p0) == pytest.approx(np.log((1 - p0) / p0) + 2 - 1 / (1 - p0), rel=1e-15)
    f = lambda u: -1 / u + 2 * np.log(u) - 2 * np.log1p(-u) + 1 / (1 - u)  # noqa: E731
    assert sigmoid_escape_time_closed_form(0.0, 1e-3) == pytest.approx(f(0.5) - f(1e-3), rel=1e-13)


@pytest.mark.parametrize("method", ["quad", "ode-lnp", "ode"])
def test_sigmoid_matches_closed_form_to_1e9_on_the_whole_grid(method):
    exact = np.array([[sigmoid_escape_time_closed_form(q, p0) for q in Q_GRID] for p0 in P0_GRID])
    got = np.array([escape_time("sigmoid", Q_GRID, p0, method=method) for p0 in P0_GRID])
    assert np.max(np.abs(got / exact - 1)) <= 1e-9


def test_sigmoid_other_targets():
    for target in (0.1, 0.5, 0.9):
        for q in (0.0, 0.5, 1.0):
            exact = sigmoid_escape_time_closed_form(q, 1e-8, target)
            assert escape_time("sigmoid", q, 1e-8, target, method="ode") == pytest.approx(exact, rel=1e-9)
            assert escape_time("sigmoid", q, 1e-8, target) == pytest.approx(exact, rel=1e-12)


def test_docstring_example():
    assert round(escape_time("sigmoid", 1.0, 1e-6), 6) == 14.815509


@pytest.mark.parametrize("name", ["tabular-hard-symmetric", "chain-symmetric"])
def test_quadrature_and_theta_ode_agree_where_score_depends_on_p_only(name):
    for p0 in (1e-2, 1e-7, 1e-12):
        quad = escape_time(name, Q_GRID, p0, method="quad")
        ode = escape_time(name, Q_GRID, p0, method="ode")
        lnp = escape_time(name, Q_GRID, p0, method="ode-lnp")
        np.testing.assert_allclose(ode, quad, rtol=1e-9)
        np.testing.assert_allclose(lnp, quad, rtol=1e-9)


def test_escape_integral_equals_q_log_difference():
    for p0 in (1e-12, 1e-3, 0.3):
        ref = np.asarray(log_q_from_log(np.log(0.5), 2 - Q_GRID) - log_q_from_log(np.log(p0), 2 - Q_GRID))
        np.testing.assert_allclose(escape_integral(Q_GRID, p0), ref, rtol=1e-11)
    assert escape_integral(1.0, 1e-6) == pytest.approx(np.log(0.5e6), rel=1e-15)
    assert escape_integral(0.0, 1e-6) == pytest.approx(1e6 - 2, rel=1e-15)


@pytest.mark.parametrize("name", ["tabular-hard-random", "chain-random", "mlp-random", "tabular-learned-random"])
def test_event_root_residual_and_direction(name):
    model = get_model(name)
    log_target = np.log(0.5)
    sol = solve_flow(model, np.array([0.0, 1.0]), model.init(1e-8), log_target, dense=True)
    assert abs(sol.event_residual) < 1e-12  # after the Newton polish
    assert abs(sol.event_residual_raw) < 1e-7  # the root scipy located on its interpolant
    # direction: ln P crosses ln δ upwards at the event and stays below it before
    s = np.linspace(0, sol.s_end, 200)[:-1]
    before = [float(model.value_and_grad(th)[0]) for th in sol.sol.sol(s)[: model.dim].T]
    assert max(before) < log_target and np.all(np.diff(before) > 0)
    _, g = model.value_and_grad(sol.theta_end)
    assert float(np.sum(np.asarray(g) ** 2)) > 0  # d ln P/ds = ‖s‖² > 0 at the root


def test_times_decrease_with_q_and_are_positive():
    for name in ("sigmoid", "mlp-random", "tabular-soft-random"):
        t = escape_time(name, Q_GRID, 1e-6)
        assert np.all(t > 0) and np.all(np.diff(t) < 0)


def test_trajectory_output():
    traj = trajectory("chain-random", np.array([0.0, 0.5, 1.0]), 1e-6, num=50)
    assert traj.t.shape == (3, 50) and traj.log_p.shape == (50,) and traj.score_norm.shape == (50,)
    assert traj.log_p[0] == pytest.approx(np.log(1e-6), abs=1e-12)
    assert traj.log_p[-1] == pytest.approx(np.log(0.5), abs=1e-9)
    assert np.all(np.diff(traj.t, axis=1) > 0) and np.all(np.diff(traj.log_p) > 0)
    np.testing.assert_allclose(traj.t[:, -1], escape_time("chain-random", np.array([0.0, 0.5, 1.0]), 1e-6), rtol=1e-12)
    np.testing.assert_allclose(traj.p, np.exp(traj.log_p))


def test_escape_record_score_bounds_bracket_the_time():
    rec = escape_record("mlp-random", Q_GRID, 1e-9)
    integral = escape_integral(Q_GRID, 1e-9)
    assert np.all(rec.times >= integral / rec.score_max ** 2)
    assert np.all(rec.times <= integral / rec.score_min ** 2)


def test_passage_time_near_optimum():
    sol = passage_time("sigmoid", np.array([0.0, 1.0]), np.log1p(-1e-2), np.log1p(-1e-4))
    # sigmoid: T_q = ∫ du / (u^{2-q} (1-u)^2) over [0.99, 0.9999]
    from scipy import integrate

    for q, t in zip(sol.q, sol.times):
        exact = integrate.quad(lambda u: u ** (q - 2) / (1 - u) ** 2, 0.99, 0.9999, epsrel=1e-13)[0]
        assert t == pytest.approx(exact, rel=1e-9)


@pytest.mark.parametrize(
    "kwargs, match",
    [
        ({"q": -0.1}, r"^q must be in \[0, 1\]"),
        ({"q": 1.1}, r"^q must be in \[0, 1\]"),
        ({"q": float("nan")}, r"^q must be in \[0, 1\]"),
        ({"p0": 0.0}, r"^p0 must be in \(0, 0.5\)"),
        ({"p0": 0.5}, r"^p0 must be in \(0, 0.5\)"),
        ({"p0": 0.7}, r"^p0 must be in \(0, 0.5\)"),
        ({"target": 1.0}, r"^target must be in \(0, 1\)"),
        ({"target": 0.0}, r"^target must be in \(0, 1\)"),
        ({"target": 1.5}, r"^target must be in \(0, 1\)"),
        ({"model": "nope"}, r"^model must be one of"),
        ({"model": "tabular-soft-random", "p0": 1e-40}, r"^p0 = 1e-40 cannot be reached by model"),
        ({"model": "tabular-soft-random", "target": 0.95, "p0": 1e-3}, r"^target = 0.95 cannot be reached"),
        ({"model": "mlp-random", "method": "quad"}, r"^method 'quad' needs"),
        ({"method": "euler"}, r"^method must be one of"),
    ],
)
def test_bad_input_names_the_argument(kwargs, match):
    args = {"model": "sigmoid", "q": 0.5, "p0": 1e-3, "target": 0.5, "method": "auto"}
    args.update(kwargs)
    with pytest.raises(ValueError, match=match) as info:
        escape_time(args["model"], args["q"], args["p0"], args["target"], method=args["method"])
    assert "\n" not in str(info.value)


def test_passage_from_above_target_is_an_error():
    with pytest.raises(ValueError, match="^target"):
        passage_time("sigmoid", 0.5, np.log(0.6), np.log(0.5))


from hypothesis import given  # noqa: E402
from hypothesis import strategies as st  # noqa: E402


@given(q=st.floats(0.0, 1.0, allow_subnormal=False), log10_p0=st.floats(-12.0, -0.5),
       target=st.floats(0.55, 0.95))
def test_sigmoid_property_any_q_p0_target(q, log10_p0, target):
    p0 = 10.0 ** log10_p0
    exact = sigmoid_escape_time_closed_form(q, p0, target)
    assert escape_time("sigmoid", q, p0, target, method="quad") == pytest.approx(exact, rel=1e-11)
    assert escape_time("sigmoid", q, p0, target, method="ode-lnp") == pytest.approx(exact, rel=1e-9)


@pytest.mark.parametrize("q, p0, delta", [(0.5, 0.1, 0.999999), (0.0, 1e-6, 0.99999), (1.0, 1e-12, 0.9999999)])
def test_quadrature_finds_the_peak_of_a_target_near_one(q, p0, delta):
    """With δ near 1 the sigmoid's ‖s‖² = (1 − P)² → 0 puts a peak of width 1 − δ at the end of the ln-P
    interval, which plain adaptive quadrature misses (it returned 13.8 for 1.0e6); the escape time must still
    equal the ₂F₁ closed form (mpmath), to 1e-9 relative."""
    t = float(escape_time("sigmoid", q, p0, delta, method="quad"))
    assert t == pytest.approx(sigmoid_escape_time_closed_form(q, p0, delta), rel=1e-9)
