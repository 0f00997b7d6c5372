"""The machinery shared by the symbolic proofs: exact identities, exact facts, numeric spot checks, verdicts.

A proof is a function that builds sympy expressions and records each step with :meth:`Proof.identity`
(an expression that must reduce to exactly 0) or :meth:`Proof.fact` (a statement sympy must decide True,
e.g. ``expr.is_positive``). A step that does not hold raises :class:`ProofFailed` naming the step and the
residual it left, so a wrong statement (a flipped sign, a wrong exponent) fails loudly rather than passing.

A spot check evaluates the proved formula numerically against the lab's JAX code at random points and
reports the largest error next to its tolerance (:class:`SpotCheck`). :func:`verdict` turns the two into a
ledger ``Verdict``: VERIFIED only if every step reduced to 0 and the spot check is within tolerance;
REFUTED otherwise, with the failing step or error in the evidence.
"""

from __future__ import annotations

import dataclasses
from typing import Any, Callable

import sympy as sp

from tsallis_theory import claims as L


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


def verdict(prove: Callable[[], Proof], spot: Callable[[int], list[SpotCheck]], ctx: L.CheckContext) -> L.Verdict:
    """Run a proof and its spot checks and state the verdict with the numbers.

    ``spot`` receives the number of random points per comparison: few in the fast tier, more in ``full``.
    """
    try:
        proof = prove()
    except ProofFailed as exc:
        return L.Verdict(L.REFUTED, f"symbolic step failed: {exc}",
                         {"failed_step": exc.step, "residual": exc.residual})
    n = 4 if ctx.tier == "fast" else 32
    checks = spot(n)
    numbers: dict[str, Any] = {
        "residuals": dict(proof.steps),
        "sizes": dict(proof.sizes),
        "spot_checks": [dataclasses.asdict(c) for c in checks],
        "spot_max_error": max(c.max_error for c in checks),
    }
    failed = [c for c in checks if not c.passed]
    n_id = sum(v != "True" for v in proof.steps.values())
    n_fact = len(proof.steps) - n_id
    sizes = ", ".join(f"{k}={v}" for k, v in proof.sizes.items())
    exact = f"{n_id} identities reduce to exactly 0 and {n_fact} facts hold" + (f" ({sizes})" if sizes else "")
    spots = "; ".join(f"{c.what}: max err {c.max_error:.1e} (tol {c.tolerance:.2g}, {c.points} pts)" for c in checks)
    if failed:
        return L.Verdict(L.REFUTED, f"{exact}, but the spot check disagrees: {spots}", numbers)
    return L.Verdict(L.VERIFIED, f"{exact}; {spots}", numbers)


def _short(expr, limit: int = 160) -> str:
    s = str(expr)
    return s if len(s) <= limit else s[: limit - 3] + "..."
