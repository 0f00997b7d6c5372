"""Gradient-flow lab: escape times across the q-continuum (claims FLOW, ESC-LOWER, ESC-TIGHT, SIGMOID,
NEAR-OPT). See docs/flow.md.

    >>> from tsallis_theory.flow import escape_time
    >>> round(escape_time("sigmoid", q=0.5, p0=1e-6), 3)        # ≈ 2 p0^{-1/2} = 2000
    2001.226

Modules: ``models`` (θ ↦ ln P and initialisers, JAX), ``escape`` (quadrature and ODE solvers), ``fits``
(analyses of escape-time rows: slopes, brackets, spreads; NumPy only). The study that makes the rows is
``tsallis_theory.studies.flow`` (``tsallis-lab flow``), its figures ``tsallis_theory.plots.flow``, its ledger
checks ``tsallis_theory.ledger.checks.flow``. The exact sigmoid escape time used as the oracle is
``tsallis_theory.symbolic.sigmoid_escape_time_closed_form`` (mpmath, hyp2f1).

The names below are loaded on first use, so that ``import tsallis_theory.flow.fits`` (the figures) does not
load JAX.
"""

import importlib

_EXPORTS = {
    "EscapeRecord": "escape", "amplification_escape_time": "escape", "FlowSolution": "escape", "Trajectory": "escape", "escape_integral": "escape",
    "escape_record": "escape", "escape_time": "escape", "passage_time": "escape", "solve_flow": "escape",
    "trajectory": "escape",
    "MLP": "models", "MODEL_NAMES": "models", "Chain": "models", "FlowModel": "models", "Sigmoid": "models",
    "LatentMixture": "models", "get_model": "models",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name):
    if name in _EXPORTS:
        return getattr(importlib.import_module(f"{__name__}.{_EXPORTS[name]}"), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__():
    return sorted(set(globals()) | set(_EXPORTS))
