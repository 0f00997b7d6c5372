"""The machinery shared by the symbolic proofs: exact identities, exact facts, numeric spot checks.

A proof is a function that builds sympy expressions and records each step with :meth:`Proof.identity`
(an expression that must reduce to exactly 0) or :meth:`Proof.fact` (a statement sympy must decide True,
e.g. ``expr.is_positive``). A step that does not hold raises :class:`ProofFailed` naming the step and the
residual it left, so a wrong statement (a flipped sign, a wrong exponent) fails loudly rather than passing.

A spot check evaluates the proved formula numerically against the lab's JAX code at random points and
reports the largest error next to its tolerance (:class:`SpotCheck`). The ledger
(``tsallis_theory.ledger.checks.symbolic.verdict``) turns the two into a verdict.
"""

from __future__ import annotations

import dataclasses
from typing import Any, Callable

import sympy as sp


class ProofFailed(AssertionError):
    """A step of a symbolic proof did not hold: the residual is not 0, or a fact is not decided True."""

    def __init__(self, claim: str, step: str, residual: str):
        self.claim, self.step, self.residual = claim, step, residual
        super().__init__(f"{claim}: step '{step}' does not hold; residual {residual}")


def reduce_exact(expr) -> sp.Expr:
    """The default reduction of a residual: combine powers of equal (positive) bases, then cancel.

    Targeted instead of ``simplify()``: powsimp merges P^{1-q}·P^{-1}·P^{q} into 1 when P is positive, and
    cancel brings a rational function (in the symbols and exp(·) generators) to canonical form, where an
    identity shows as exactly 0.
    """
    return sp.cancel(sp.powsimp(sp.together(expr), force=False))


@dataclasses.dataclass
class Proof:
    """The record of one symbolic proof: each identity's reduced residual and each fact's truth value.

    Attributes:
      claim: the claim ID proved.
      steps: step name -> the reduced residual as a string ("0" when it holds) or "True" for a fact.
      sizes: what was enumerated or how large the symbolic object is (pool size M, number of tuples, ...).
    """

    claim: str
    steps: dict[str, str] = dataclasses.field(default_factory=dict)
    sizes: dict[str, int] = dataclasses.field(default_factory=dict)

    def identity(self, step: str, residual, reduce: Callable[[Any], Any] = reduce_exact):
        """Assert that ``residual`` (lhs − rhs) reduces to exactly 0; record it. Returns the reduced form."""
        reduced = reduce(sp.sympify(residual))
        if reduced != 0:
            raise ProofFailed(self.claim, step, _short(reduced))
        self.steps[step] = "0"
        return reduced

    def identities(self, step: str, residuals, reduce: Callable[[Any], Any] = reduce_exact):
        """Assert that every residual of an iterable reduces to 0 (one step, e.g. one per gradient component)."""
        residuals = list(residuals)
        for i, r in enumerate(residuals):
            reduced = reduce(sp.sympify(r))
            if reduced != 0:
                raise ProofFailed(self.claim, f"{step}[{i}]", _short(reduced))
        self.steps[step] = "0" if len(residuals) == 1 else f"0 (all {len(residuals)} components)"

    def fact(self, step: str, truth):
        """Assert that sympy decided ``truth`` to be True (None, undecided, counts as not proved)."""
        if truth is not True and truth is not sp.true:
            raise ProofFailed(self.claim, step, f"sympy decided {truth!r}, not True")
        self.steps[step] = "True"


@dataclasses.dataclass(frozen=True)
class SpotCheck:
    """A numeric comparison of a proved formula with the lab's JAX code.

    Attributes:
      what: one phrase: what was compared with what.
      max_error: the largest error over the points (absolute or relative, as ``what`` says).
      tolerance: the bound ``max_error`` must not exceed.
      points: number of points (random parameters × q values) evaluated.
    """

    what: str
    max_error: float
    tolerance: float
    points: int

    @property
    def passed(self) -> bool:
        return bool(self.max_error <= self.tolerance)


def _short(expr, limit: int = 160) -> str:
    s = str(expr)
    return s if len(s) <= limit else s[: limit - 3] + "..."
