"""The claims ledger: every claim of docs/spec.md §2–§8, by ID, with its source, statement and check.

A check is a function ``check(ctx: CheckContext) -> Verdict`` named by a dotted path
``"package.module:function"`` and imported only when it runs, so ``tsallis-lab check --only DIR`` does not
import the LM stack. A claim whose ``check`` is ``None`` reports NOT IMPLEMENTED; it never passes silently.

Verdicts:
  VERIFIED         the claim holds in our computation, with the evidence stated
  REFUTED          it does not hold; the evidence says where it breaks
  PARTIAL          it holds only under conditions, which the evidence names
  INCONCLUSIVE     the experiment cannot discriminate (every method saturates, say); the evidence says why
  NOT IMPLEMENTED  no check exists yet
  NOT RUN          the check needs results that have not been produced (it names the command)
  ERROR            the check crashed (the ledger exits 1)

To add a claim: append a ``Claim`` to ``CLAIMS`` and write its check (see docs/ledger.md).
"""

from __future__ import annotations

import dataclasses
import importlib
from pathlib import Path
from typing import Any, Callable, Literal

VERIFIED = "VERIFIED"
REFUTED = "REFUTED"
PARTIAL = "PARTIAL"
INCONCLUSIVE = "INCONCLUSIVE"
NOT_IMPLEMENTED = "NOT IMPLEMENTED"
NOT_RUN = "NOT RUN"
ERROR = "ERROR"
STATUSES = (VERIFIED, REFUTED, PARTIAL, INCONCLUSIVE, NOT_IMPLEMENTED, NOT_RUN, ERROR)

Tier = Literal["fast", "full"]


@dataclasses.dataclass(frozen=True)
class Verdict:
    """What a check found.

    Attributes:
      status: one of ``STATUSES``.
      evidence: one or two sentences with the numbers that decide the status.
      numbers: the same numbers, machine-readable (residuals, fitted exponents and their standard errors,
        sample sizes, tolerances).
      figures: paths of figures that show the evidence.
    """

    status: str
    evidence: str
    numbers: dict[str, Any] = dataclasses.field(default_factory=dict)
    figures: tuple[str, ...] = ()

    def __post_init__(self):
        if self.status not in STATUSES:
            raise ValueError(f"status must be one of {STATUSES}; got {self.status!r}")


@dataclasses.dataclass(frozen=True)
class CheckContext:
    """What a check may use.

    Attributes:
      tier: ``fast`` for ``tsallis-lab check``, ``full`` for ``--full``.
      results_dir: where the checks that read study rows find them (``<results_dir>/lm_cpu/runs.jsonl``, ...);
        the CLI's default is the committed rows, ``experiments/results``.
      work_dir: where a check may write what it computes on the fly (the flow sweep's rows).
      figures_dir: where the figures that show the evidence are (``tsallis-lab figures`` draws them there).
    """

    tier: Tier = "fast"
    results_dir: Path = Path("experiments/results")
    work_dir: Path = Path("results")
    figures_dir: Path = Path("figures")

    def figure(self, name: str) -> str:
        """The path of figure ``name`` (a ``FIGURES`` key of ``tsallis_theory.plots``) for a verdict."""
        return str(Path(self.figures_dir) / f"{name}.png")


# When one claim has several checks (a symbolic proof and a numerical experiment, say), the combined
# status is the weakest of theirs, in this order.
_WEAKEST_FIRST = (ERROR, REFUTED, PARTIAL, INCONCLUSIVE, NOT_RUN, NOT_IMPLEMENTED, VERIFIED)


def combine(verdicts: list[tuple[str, Verdict]]) -> Verdict:
    """One verdict from several labelled ones: the weakest status, the evidence and numbers of each kept
    under its label."""
    if len(verdicts) == 1:
        return verdicts[0][1]
    status = min((v.status for _, v in verdicts), key=_WEAKEST_FIRST.index)
    evidence = " ".join(f"[{label}] {v.evidence}" for label, v in verdicts)
    numbers = {label: v.numbers for label, v in verdicts}
    figures = tuple(f for _, v in verdicts for f in v.figures)
    return Verdict(status, evidence, numbers, figures)


def _subpackage(check_path: str) -> str:
    """``"tsallis_theory.ledger.checks.flow:f"`` → ``"flow"``: a check's label, and its claim's family."""
    return check_path.partition(":")[0].rsplit(".", 1)[-1]


@dataclasses.dataclass(frozen=True)
class Claim:
    """A claim of the paper (or of ours), with its check(s).

    ``check`` is a dotted path ``"package.module:function"``, a tuple of them (each labelled by its module's
    last name, e.g. ``symbolic`` evidence next to ``flow`` evidence; see ``combine``), or None.
    """

    id: str
    source: str
    statement: str
    check: str | tuple[str, ...] | None = None

    @property
    def check_paths(self) -> tuple[str, ...]:
        if self.check is None:
            return ()
        return (self.check,) if isinstance(self.check, str) else tuple(self.check)

    def load_checks(self) -> list[tuple[str, Callable[[CheckContext], Verdict]]]:
        loaded = []
        for path in self.check_paths:
            module_name, _, func_name = path.partition(":")
            loaded.append((_subpackage(path), getattr(importlib.import_module(module_name), func_name)))
        return loaded


CLAIMS: tuple[Claim, ...] = (
    # Gradient geometry and landscape
    Claim("DIR", "v1 Prop 4.1",
          "∇ℓ_q = P^{-q}∇ℓ_0 = P^{1-q}∇ℓ_1 with ∇ℓ_0 = -∇P: one direction for all q, a per-example scalar apart.",
          "tsallis_theory.ledger.checks.symbolic:verify_dir"),
    Claim("RLVR", "v1 Prop A.1",
          "With an exact-match verifier, expected reward E[R] = E_data[P].",
          "tsallis_theory.ledger.checks.symbolic:verify_rlvr"),
    Claim("DISP", "v1 Prop B.1, §3.1",
          "For q > 0, -log_q is strictly convex: J_Q ≥ -log_q(mean P), equality iff P is constant; "
          "second-order excess ≈ (q/2) P̄^{-q-1} Var(P).",
          ("tsallis_theory.ledger.checks.symbolic:verify_disp",
           "tsallis_theory.ledger.checks.categorical:verify_disp_numeric")),
    Claim("ESCORT", "v1 Thm 3.1",
          "Tabular categorical model, label frequencies α: the minimiser of Σ α_j(-log_q θ_j) is θ*_j ∝ α_j^{1/q} "
          "for q ∈ (0, 1]; at q = 0 any mode.",
          ("tsallis_theory.ledger.checks.symbolic:verify_escort",
           "tsallis_theory.ledger.checks.categorical:verify_escort_numeric")),
    Claim("SHARPEN", "v1 Cor B.2",
          "q = 1 recovers α; q → 0+ tends to the unique mode; ratios (α_j/α_k)^{1/q} grow as q falls.",
          ("tsallis_theory.ledger.checks.symbolic:verify_sharpen",
           "tsallis_theory.ledger.checks.categorical:verify_sharpen_numeric")),
    Claim("PROPER", "v1 Cor B.3",
          "The q-log scoring rule is strictly proper only at q = 1.",
          ("tsallis_theory.ledger.checks.symbolic:verify_proper",
           "tsallis_theory.ledger.checks.categorical:verify_proper_numeric")),
    # Dynamics under gradient flow
    Claim("FLOW", "v1 eq 6",
          "Under dθ/dt = -∇ℓ_q, dP/dt = P^{2-q}‖s‖² for any differentiable model.",
          ("tsallis_theory.ledger.checks.symbolic:verify_flow",
           "tsallis_theory.ledger.checks.flow:verify_flow_numeric")),
    Claim("ESC-LOWER", "v1 Thm 5.1",
          "If ‖s‖ ≤ C, T_q ≥ C^{-2}∫_{p0}^{δ} u^{q-2} du: Ω(1/p0) at q = 0, Ω(log 1/p0) at q = 1.",
          "tsallis_theory.ledger.checks.flow:verify_esc_lower"),
    Claim("ESC-TIGHT", "v1 Thm 5.2",
          "With c ≤ ‖s‖ ≤ C, T_q = Θ(p0^{-(1-q)}/(1-q)); log T vs log(1/p0) has slope 1 - q; "
          "T_q/T_q' = Θ(p0^{-(q'-q)}).",
          "tsallis_theory.ledger.checks.flow:verify_esc_tight"),
    Claim("SIGMOID", "v1 App C.1",
          "P = σ(θ): dP/dt = P^{2-q}(1-P)² exactly; T_q = ∫ du/(u^{2-q}(1-u)²) ~ p0^{-(1-q)}/(1-q) (q < 1), "
          "~ log(1/p0) (q = 1).",
          ("tsallis_theory.ledger.checks.symbolic:verify_sigmoid",
           "tsallis_theory.ledger.checks.flow:verify_sigmoid_numeric")),
    Claim("NEAR-OPT", "v1 Prop C.1",
          "If ‖s‖² depends on θ only through P near the optimum, the time from 1-ε0 to 1-ε1 is the same for all "
          "q up to a factor 1 + O(ε0).",
          "tsallis_theory.ledger.checks.flow:verify_near_opt"),
    # Label noise
    Claim("NOISE-EQ", "v1 eq 17",
          "Two labels, flip rate ε: stable contamination p̃* = ε^{1/q}/(ε^{1/q} + (1-ε)^{1/q}); q = 1 fits the "
          "noise exactly, q → 0 does not.",
          "tsallis_theory.ledger.checks.categorical:verify_noise_eq"),
    Claim("NOISE-TIME", "v1 Prop C.2",
          "From contamination 0+, time to reach η ≪ p̃*(q) is Θ(η^{q+1}/((q+1)ε)); never at q = 0 "
          "(assumes a score bounded below near the clean vertex).",
          "tsallis_theory.ledger.checks.categorical:verify_noise_time"),
    Claim("SCHEDULE", "v2 abstract; v1 §5.2",
          "SFT-then-RLVR is a stepwise q = 1 → 0 schedule: q = 1 escapes cold start fast, then q = 0 stops and "
          "undoes noise memorisation.",
          "tsallis_theory.ledger.checks.categorical:verify_schedule"),
    # Estimators
    Claim("ENDPOINTS", "v1 Prop D.2",
          "GARL q=0 = Rao-Blackwellised REINFORCE; GARL q=1 = IWAE gradient; PAFT q=1 = EM/TRICE posterior SFT; "
          "PAFT q=0 = w̄ × posterior-resampled SFT.",
          ("tsallis_theory.ledger.checks.symbolic:verify_endpoints",
           "tsallis_theory.ledger.checks.estimators:verify_endpoints_numeric")),
    Claim("BIAS", "v1 Thm 6.1 (rate O(q/(M P^{q+1}))); v2 abstract (rate O(q/(M P^q)))",
          "E[ĝ] - ∇ℓ_q = (q/(M P^{q+1}))[((q+1)/2)∇ℓ_1 Var(w) - Cov(g, w)] + O(M^{-2}); exactly 0 at q = 0.",
          "tsallis_theory.ledger.checks.estimators:verify_bias"),
    Claim("RLOO-BIAS", "v1 Prop D.1",
          "The leave-one-out baseline leaves the expectation of the GARL estimator unchanged for every M.",
          ("tsallis_theory.ledger.checks.symbolic:verify_rloo_bias",
           "tsallis_theory.ledger.checks.estimators:verify_rloo_bias_numeric")),
    Claim("PAFT-BIAS", "v1 Prop D.3",
          "E[PAFT | pool] equals the GARL plug-in exactly, so both share the bias for every M.",
          ("tsallis_theory.ledger.checks.symbolic:verify_paft_bias",
           "tsallis_theory.ledger.checks.estimators:verify_paft_bias_numeric")),
    Claim("VAR", "v1 Prop D.4",
          "Var(PAFT) = Var(GARL) + E[Var(PAFT | pool)] ≥ Var(GARL).", "tsallis_theory.ledger.checks.estimators:verify_var"),
    Claim("ATLAS", "ours (docs/spec.md §7)",
          "Every method is f'(P)∇P per example; finite-group hard-verifier estimators have polynomial expected "
          "amplification, capped near a constant for P ≪ 1/G; a soft verifier escapes the ceiling.",
          "tsallis_theory.ledger.checks.atlas:verify_atlas"),
    # Empirical (small LM)
    Claim("LM-COLD", "v1 §7 (Qwen3-0.6B, cold start)",
          "Cold start: GRPO, RB-RLOO and GARL q ≤ 0.5 stay at 0; GARL q = 0.75 escapes; q = 1 at once.",
          "tsallis_theory.ledger.checks.lm:verify_lm_cold"),
    Claim("LM-WARM", "v1 §7 (warm start)",
          "Warm start: low-q GARL best where stable; elsewhere GARL collapses while PAFT q = 0.75 stays stable.",
          "tsallis_theory.ledger.checks.lm:verify_lm_warm"),
    Claim("LM-NOISE", "ours (LM analogue of NOISE-EQ/NOISE-TIME)",
          "With flipped answers, q near 1 puts probability on flipped labels, q = 0 does not; the stepwise "
          "schedule escapes and stays clean.", "tsallis_theory.ledger.checks.lm:verify_lm_noise"),
)

CLAIMS_BY_ID: dict[str, Claim] = {c.id: c for c in CLAIMS}


@dataclasses.dataclass(frozen=True)
class LedgerRow:
    claim: Claim
    verdict: Verdict
    seconds: float

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.claim.id,
            "source": self.claim.source,
            "statement": self.claim.statement,
            "status": self.verdict.status,
            "evidence": self.verdict.evidence,
            "numbers": self.verdict.numbers,
            "figures": list(self.verdict.figures),
            "seconds": round(self.seconds, 3),
        }


def select(ids: list[str] | None = None) -> list[Claim]:
    """The claims named by ``ids`` (case-insensitive), in ledger order; all claims if ``ids`` is empty."""
    if not ids:
        return list(CLAIMS)
    wanted = [i.upper() for i in ids]
    unknown = [i for i in wanted if i not in CLAIMS_BY_ID]
    if unknown:
        raise ValueError(f"unknown claim ID {', '.join(unknown)}; known IDs: {', '.join(CLAIMS_BY_ID)}")
    return [c for c in CLAIMS if c.id in wanted]
