"""Argument checks that run only outside jit.

Every public numerical function validates its inputs when they are concrete (NumPy arrays, Python
numbers, committed jax Arrays) and skips validation under tracing, where values are unknown. Errors are
one-line ``ValueError``s that name the argument and the allowed range.
"""

from __future__ import annotations

import jax
import numpy as np

# The paper's range of the commitment q (J_Q, docs/spec.md §1): the estimators, the flows and the escort distributions
# take q in [0, 1]. The q-calculus itself (qcalc) is defined for every real q.
Q_RANGE = (0.0, 1.0)


def is_traced(*values) -> bool:
    """True if any value is a JAX tracer (we are inside jit/grad/vmap)."""
    return any(isinstance(v, jax.core.Tracer) for v in values)


def concrete(name: str, value) -> np.ndarray:
    """Return ``value`` as a float64 NumPy array, or raise naming ``name``."""
    try:
        arr = np.asarray(value, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"{name} must be a real number or array of reals, got {type(value).__name__}") from exc
    return arr


def check_finite(name: str, value, allowed: str = "finite reals") -> np.ndarray:
    arr = concrete(name, value)
    if np.any(np.isnan(arr)):
        raise ValueError(f"{name} must be {allowed}; got NaN")
    if np.any(np.isinf(arr)):
        raise ValueError(f"{name} must be {allowed}; got an infinite value")
    return arr


def check_not_nan(name: str, value, allowed: str) -> np.ndarray:
    arr = concrete(name, value)
    if np.any(np.isnan(arr)):
        raise ValueError(f"{name} must be {allowed}; got NaN")
    return arr


def check_range(
    name: str,
    value,
    low: float = -np.inf,
    high: float = np.inf,
    *,
    low_open: bool = False,
    high_open: bool = False,
) -> np.ndarray:
    """Raise unless every entry of ``value`` lies in the interval (or bracket) [low, high].

    >>> check_range("eps", 0.7, 0.0, 0.5, low_open=True, high_open=True)
    Traceback (most recent call last):
    ...
    ValueError: eps must be in (0, 0.5); got 0.7
    """
    lb = "(" if low_open else "["
    rb = ")" if high_open else "]"
    allowed = f"in {lb}{low:g}, {high:g}{rb}"
    arr = check_not_nan(name, value, allowed)
    below = arr <= low if low_open else arr < low
    above = arr >= high if high_open else arr > high
    if np.any(below) or np.any(above):
        bad = arr[below | above].ravel()[0] if arr.ndim else arr
        raise ValueError(f"{name} must be {allowed}; got {float(bad):g}")
    return arr


def check_broadcast(**arrays) -> tuple[int, ...]:
    """Raise unless the named arrays broadcast together; return the broadcast shape."""
    shapes = {k: np.shape(v) for k, v in arrays.items()}
    try:
        return np.broadcast_shapes(*shapes.values())
    except ValueError:
        desc = ", ".join(f"{k} has shape {s}" for k, s in shapes.items())
        raise ValueError(f"arguments must broadcast together: {desc}") from None
