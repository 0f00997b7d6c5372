"""tsallis_theory: a theory-verification lab for the Tsallis loss continuum J_Q.

The q-calculus core (``qcalc``) is re-exported here, loaded on first use so that ``import tsallis_theory``
stays cheap. The layers (docs/architecture.md): the math (``qcalc``, ``symbolic``, ``flow``, ``categorical``,
``estimators``, ``atlas``, ``lm``), the result files (``results``), the ``studies``, the ``plots``, the
claims ``ledger`` and the ``cli``.
"""

__version__ = "0.1.0"

__all__ = [
    "amplification",
    "amplification_from_log",
    "exp_q",
    "log_q",
    "log_q_from_log",
    "q_loss",
    "q_loss_from_log",
]


def __getattr__(name):
    if name in __all__:
        from tsallis_theory import qcalc

        return getattr(qcalc, name)
    raise AttributeError(f"module 'tsallis_theory' has no attribute {name!r}")


def __dir__():
    return sorted([*globals(), *__all__])
