"""Analyses of escape-time rows (``sweep``): slopes, brackets, the q = 1 constant, ratios, NEAR-OPT spreads.

The claims (docs/spec.md §3):

* ESC-LOWER: T_q ≥ I/C² with I = ∫_{p0}^{δ} u^{q−2} du and C = max ‖s‖ on the path.
* ESC-TIGHT: with c ≤ ‖s‖ ≤ C also T_q ≤ I/c², so log T against log(1/p0) has slope 1 − q as p0 → 0;
  T_1/ln(1/p0) tends to a constant; T_q/T_q' = Θ(p0^{−(q'−q)}).
* NEAR-OPT: the time from 1 − ε0 to 1 − ε1 is the same for all q up to a factor 1 + O(ε0).

Two slope estimators over the window p0 ∈ [1e-12, 1e-6]:
``slope``: ordinary least squares of ln T on ln(1/p0) (the issue's criterion); its standard error comes from
the fit residuals (the data are deterministic, so it measures curvature, not noise). The finite-p0 bias
comes from T = A p0^{−(1−q)} + K with an O(1) constant K, which matters near q = 1.
``increment_slope``: the same fit on the increments D_i = T(p0_{i+1}) − T(p0_i) between consecutive grid
points, which removes K; it estimates the exponent of the integrand u^{q−2}/‖s‖² itself.
"""

from __future__ import annotations

import numpy as np

from tsallis_theory._numerics import SlopeFit, fit_slope

WINDOW = (1e-12, 1e-6)
SLOPE_TOL = 0.02


def escape_rows(rows, model=None, q=None):
    out = [r for r in rows if r.get("kind") == "escape"]
    if model is not None:
        out = [r for r in out if r["model"] == model]
    if q is not None:
        out = [r for r in out if abs(r["q"] - q) < 1e-12]
    return sorted(out, key=lambda r: -r["p0"])  # p0 decreasing


def models_of(rows):
    return list(dict.fromkeys(r["model"] for r in rows if r.get("kind") == "escape"))


def qs_of(rows):
    return sorted({r["q"] for r in rows if r.get("kind") == "escape"})


def in_window(rows, window=WINDOW):
    lo, hi = window
    return [r for r in rows if lo * (1 - 1e-9) <= r["p0"] <= hi * (1 + 1e-9)]


def fit_window(rows):
    """WINDOW when it holds at least 3 grid values of p0, else the whole p0 range of ``rows`` (small grids)."""
    p0s = sorted({r["p0"] for r in rows if r.get("kind") == "escape"})
    if len(in_window([{"p0": p} for p in p0s])) >= 3:
        return WINDOW
    return (p0s[0], p0s[-1])


def slope(rows, model, q, window=WINDOW) -> SlopeFit:
    rs = in_window(escape_rows(rows, model, q), window)
    return fit_slope([-np.log(r["p0"]) for r in rs], [np.log(r["T"]) for r in rs])


def increment_slope(rows, model, q, window=WINDOW) -> SlopeFit:
    rs = in_window(escape_rows(rows, model, q), window)
    t = np.array([r["T"] for r in rs])
    p = np.array([r["p0"] for r in rs])
    return fit_slope(-np.log(p[:-1]), np.log(np.diff(t)))


def ratio_slope(rows, model, q, q2, window=WINDOW) -> SlopeFit:
    """Slope of ln(T_q/T_q2) on ln(1/p0); ESC-TIGHT predicts q2 − q (for q2 < 1)."""
    a = in_window(escape_rows(rows, model, q), window)
    b = in_window(escape_rows(rows, model, q2), window)
    return fit_slope([-np.log(r["p0"]) for r in a], [np.log(ra["T"] / rb["T"]) for ra, rb in zip(a, b)])


def bracket_violations(rows, rel_tol=1e-9):
    """Rows outside [lower·(1 − tol), upper·(1 + tol)]; separately for the lower and upper bounds. A time that
    is not a number (NaN) is outside both: it cannot be shown to respect either bound."""
    lower = [r for r in rows if r.get("kind") == "escape" and not r["T"] >= r["lower"] * (1 - rel_tol)]
    upper = [r for r in rows if r.get("kind") == "escape" and not r["T"] <= r["upper"] * (1 + rel_tol)]
    return lower, upper


def score_collapse(rows, model, window=WINDOW):
    """c(p0_min)/c(p0_max) over the window, c(p0) = min ‖s‖ on the path from p0: below COLLAPSE_RATIO, the
    lower bound c of ESC-TIGHT is not uniform as p0 → 0 (the score collapses)."""
    rs = in_window(escape_rows(rows, model, qs_of(rows)[0]), window)
    return rs[-1]["score_min"] / rs[0]["score_min"]


COLLAPSE_RATIO = 0.9


def q1_constant(rows, model, window=WINDOW):
    """T_1/ln(1/p0) along the window and the spread of the per-step increments of T_1 (which converge to a
    constant when T_1 = Θ(ln 1/p0)): returns (ratio at the smallest p0, relative spread of the last three
    increments per unit ln(1/p0))."""
    rs = in_window(escape_rows(rows, model, 1.0), window)
    t = np.array([r["T"] for r in rs])
    x = -np.log([r["p0"] for r in rs])
    inc = np.diff(t) / np.diff(x)
    last = inc[-3:]
    return float(t[-1] / x[-1]), float((last.max() - last.min()) / last.mean())


def near_opt_spread(rows):
    """Per (model, ε0): max_q T / min_q T − 1, or None when the model cannot approach P = 1."""
    out = {}
    for r in rows:
        if r.get("kind") != "near_opt":
            continue
        key = (r["model"], r["eps0"])
        if not r["applicable"]:
            out[key] = None
            continue
        out.setdefault(key, []).append(r["T"])
    # np.max / np.min carry a NaN time through (Python's max and min may drop it)
    return {k: (None if v is None else float(np.max(v) / np.min(v)) - 1.0) for k, v in out.items()}
