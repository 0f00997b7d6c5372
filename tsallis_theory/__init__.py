"""tsallis_theory: a theory-verification lab for the Tsallis loss continuum J_Q.

The q-calculus core is re-exported here; subpackages hold the symbolic proofs (``symbolic``), gradient
flows (``flow``), estimators (``estimators``) and the small-LM lab (``lm``). ``claims`` is the ledger
behind ``tsallis-lab check``.
"""

from tsallis_theory.qcalc import (
    amplification,
    amplification_from_log,
    exp_q,
    log_q,
    log_q_from_log,
    q_loss,
    q_loss_from_log,
)

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
