"""Gradient-flow lab: escape times across the q-continuum (claims FLOW, ESC-LOWER, ESC-TIGHT, SIGMOID,
NEAR-OPT). See docs/flow.md.

    >>> from tsallis_theory.flow import escape_time
    >>> escape_time("sigmoid", q=0.5, p0=1e-6)        # ≈ 2 p0^{-1/2}

Modules: ``models`` (θ ↦ ln P and initialisers), ``escape`` (quadrature and ODE solvers), ``sweep`` (the default grid and its fits), ``figures``,
``checks`` (ledger checks), ``cli`` (``tsallis-lab flow``). The exact sigmoid escape time used as the oracle
is ``tsallis_theory.symbolic.sigmoid_escape_time_closed_form`` (mpmath, hyp2f1).
"""

from tsallis_theory.flow.escape import (
    EscapeRecord,
    FlowSolution,
    Trajectory,
    escape_integral,
    escape_record,
    escape_time,
    passage_time,
    solve_flow,
    trajectory,
)
from tsallis_theory.flow.models import (
    MLP,
    MODEL_NAMES,
    Chain,
    FlowModel,
    Sigmoid,
    TabularLatent,
    get_model,
)

__all__ = [
    "MLP", "MODEL_NAMES", "Chain", "EscapeRecord", "FlowModel", "FlowSolution", "Sigmoid", "TabularLatent",
    "Trajectory", "escape_integral", "escape_record", "escape_time", "get_model", "passage_time", "solve_flow",
    "trajectory",
]
