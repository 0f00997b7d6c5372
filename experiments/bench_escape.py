"""Benchmark: our escape-time solvers against plain raw-P solvers on the sigmoid, in one process.

    python experiments/bench_escape.py            # 11 q × 23 p0 (1e-1 ... 1e-12)
    python experiments/bench_escape.py --quick    # 3 q × 4 p0 (smoke test)

For P = σ(θ), dP/dt = P^{2−q}(1 − P)² and the closed form (mpmath hyp2f1) gives the exact escape time to
δ = 1/2. Compared on the same grid:

* ours, scalar ODE: ``method="ode-lnp"``: (ln P, clocks) in rescaled time ds = P^{1−q}dt, clocks for every q
  in one solve, event on ln P = ln δ (tsallis_theory.flow.escape).
* ours, general ODE: ``method="ode"``: the same in θ-space through the JAX model (what every model uses).
* ours, quadrature: ``method="quad"``, Gauss–Kronrod in u = ln P.
* baseline ODE: ``scipy.integrate.solve_ivp`` on raw P, dP/dt = P^{2−q}(1−P)², default RK45 tolerances,
  one solve per (q, p0), terminal event P = δ.
* baseline quadrature: ``scipy.integrate.quad`` of u^{q−2}(1−u)^{−2} on [p0, δ] with default tolerances.

Prints the wall time of each, the speed ratio against the raw-P ODE, and the relative errors against the
closed form. (docs/spec.md §10: raw-P solves are silently wrong at small p0.)
"""

from __future__ import annotations

import sys
import time
import warnings
from pathlib import Path

import numpy as np
from scipy import integrate

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tsallis_theory._config import enable_x64  # noqa: E402
from tsallis_theory.cli import ScriptParser  # noqa: E402
from tsallis_theory.flow import escape_time  # noqa: E402
from tsallis_theory.symbolic.dynamics import sigmoid_escape_time_closed_form  # noqa: E402

TARGET = 0.5


def raw_p_ode(q, p0):
    """What a first attempt looks like: solve_ivp on P itself with default tolerances."""
    def event(t, y):
        return y[0] - TARGET

    event.terminal, event.direction = True, 1.0
    horizon = 2.0 * (np.log(1 / p0) if q == 1 else p0 ** -(1 - q) / (1 - q)) + 100.0
    with np.errstate(all="ignore"):  # the raw-P solve overflows on its way to a wrong answer at small p0
        sol = integrate.solve_ivp(lambda t, y: y ** (2 - q) * (1 - y) ** 2, (0.0, horizon), [p0], events=event)
    return float(sol.t_events[0][0]) if len(sol.t_events[0]) else float("nan")


def raw_p_quad(q, p0):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return integrate.quad(lambda u: u ** (q - 2) * (1 - u) ** -2, p0, TARGET)[0]


def rel_err(values, exact):
    e = np.abs(np.asarray(values) / exact - 1)
    return np.where(np.isnan(e), np.inf, e)


def main(argv=None) -> int:
    parser = ScriptParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="3 q × 4 p0 (smoke test)")
    args = parser.parse_args(argv)
    enable_x64()
    qs = np.array([0.0, 0.5, 1.0]) if args.quick else np.round(np.linspace(0, 1, 11), 10)
    p0s = np.logspace(-1, -12, 4 if args.quick else 23)
    exact = np.array([[sigmoid_escape_time_closed_form(q, p0, TARGET) for q in qs] for p0 in p0s])
    escape_time("sigmoid", qs, 1e-3, method="ode")  # compile outside the timing

    timings, results = {}, {}
    for name, method in (("ours (ODE in (ln P, t), rescaled)", "ode-lnp"),):
        start = time.perf_counter()
        results[name] = np.array([escape_time("sigmoid", qs, p0, method=method) for p0 in p0s])
        timings[name] = time.perf_counter() - start
    start = time.perf_counter()
    results["ours (θ-space ODE, any model)"] = np.array([escape_time("sigmoid", qs, p0, method="ode")
                                                             for p0 in p0s])
    timings["ours (θ-space ODE, any model)"] = time.perf_counter() - start
    start = time.perf_counter()
    results["ours (quadrature in ln P)"] = np.array([escape_time("sigmoid", qs, p0, method="quad") for p0 in p0s])
    timings["ours (quadrature in ln P)"] = time.perf_counter() - start
    start = time.perf_counter()
    results["baseline solve_ivp on raw P"] = np.array([[raw_p_ode(q, p0) for q in qs] for p0 in p0s])
    timings["baseline solve_ivp on raw P"] = time.perf_counter() - start
    start = time.perf_counter()
    results["baseline quad on raw P"] = np.array([[raw_p_quad(q, p0) for q in qs] for p0 in p0s])
    timings["baseline quad on raw P"] = time.perf_counter() - start

    base = timings["baseline solve_ivp on raw P"]
    print(f"sigmoid escape times to δ = {TARGET}: {len(qs)} q × {len(p0s)} p0 in [{p0s.min():.0e}, {p0s.max():.0e}]")
    print(f"{'method':<36} {'time [s]':>9} {'speed vs raw-P ODE':>19} {'max rel err':>12} {'median rel err':>15}")
    for name, t in timings.items():
        err = rel_err(results[name], exact)
        print(f"{name:<36} {t:9.3f} {base / t:18.1f}x {err.max():12.2e} {np.median(err):15.2e}")
    for name in ("baseline solve_ivp on raw P", "baseline quad on raw P"):
        err = rel_err(results[name], exact)
        worst = np.unravel_index(np.argmax(err), err.shape)
        print(f"worst case of {name}: q = {qs[worst[1]]:g}, p0 = {p0s[worst[0]]:.0e}: "
              f"{results[name][worst]:.4g} instead of {exact[worst]:.4g}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
