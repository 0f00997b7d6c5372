"""Numerical helpers that several layers share: one of each (NumPy only, so that the plots can use them).

* ``fit_slope(x, y)``: ordinary least squares of y on x, with the slope's standard error from the residuals;
  ``fit_power_law(x, y)``, the same on ln y against ln x.
* ``binomial_pmf(m, p)``: the Binomial(M, P) pmf at K = 0..M, in log space (exact for tiny P).
"""

from __future__ import annotations

import dataclasses

import numpy as np
from scipy.special import gammaln


@dataclasses.dataclass(frozen=True)
class SlopeFit:
    """A least-squares line y ≈ slope·x + intercept.

    Attributes:
      slope: the fitted slope.
      stderr: its standard error from the residuals with n − 2 degrees of freedom (nan when n <= 2). On
        deterministic data (escape times, exact sums) it measures curvature, not noise.
      n: the number of points.
      intercept: the fitted intercept.
    """

    slope: float
    stderr: float
    n: int
    intercept: float = float("nan")


def fit_slope(x, y) -> SlopeFit:
    """Least-squares slope of y on x (both 1-D, at least two distinct x).

    >>> fit = fit_slope([0.0, 1.0, 2.0], [1.0, 3.0, 5.0])
    >>> round(fit.slope, 12), round(fit.intercept, 12), fit.n
    (2.0, 1.0, 3)
    """
    x, y = np.asarray(x, float), np.asarray(y, float)
    n = x.size
    if n < 2 or np.ptp(x) == 0:
        raise ValueError(f"fit_slope needs at least two distinct x values; got {n} point(s)")
    xc = x - x.mean()
    slope = float(xc @ (y - y.mean()) / (xc @ xc))
    resid = y - y.mean() - slope * xc
    stderr = float(np.sqrt(resid @ resid / (n - 2) / (xc @ xc))) if n > 2 else float("nan")
    return SlopeFit(slope, stderr, n, float(y.mean() - slope * x.mean()))


def fit_power_law(x, y) -> SlopeFit:
    """The exponent of y ∝ x^slope: ``fit_slope`` of ln y on ln x (x, y > 0).

    >>> round(fit_power_law([1.0, 10.0, 100.0], [2.0, 20.0, 200.0]).slope, 12)
    1.0
    """
    return fit_slope(np.log(np.asarray(x, float)), np.log(np.asarray(y, float)))


def escape_slope(p0s, steps) -> tuple[float, float] | None:
    """(slope, standard error) of ln T on ln(1/p0), the escape-time exponent (theory 1 − q, ESC-TIGHT), or
    None without two distinct p0."""
    if len(p0s) < 2 or np.ptp(np.log(p0s)) == 0:
        return None
    fit = fit_power_law(1 / np.asarray(p0s), steps)
    return fit.slope, fit.stderr


def binomial_pmf(m: int, p) -> np.ndarray:
    """pmf of Binomial(M, P) at K = 0..M, shape (..., M+1), computed in log space.

    >>> binomial_pmf(2, 0.5).tolist()
    [0.25, 0.5, 0.25]
    """
    k = np.arange(m + 1)
    p = np.asarray(p, float)[..., None]
    with np.errstate(divide="ignore", invalid="ignore"):
        log_pmf = (gammaln(m + 1) - gammaln(k + 1) - gammaln(m - k + 1)
                   + np.where(k > 0, k * np.log(p), 0.0) + np.where(m - k > 0, (m - k) * np.log1p(-p), 0.0))
    return np.exp(log_pmf)
