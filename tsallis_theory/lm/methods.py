"""Method names of the LM trainer (claims LM-COLD, LM-WARM, LM-NOISE), parsed without JAX.

    grpo          GRPO: hard reward, group-normalised advantage
    rb-rloo       GARL at q = 0 (Rao–Blackwellised REINFORCE with a leave-one-out baseline)
    garl-<q>      GARL, RLOO form (eq 12, Alg 1), q in [0, 1]
    paft-<q>      PAFT (eq 14, Alg 2), q in [0, 1]
    schedule      GARL with q = 1 before the switch step and q = 0 after (claim SCHEDULE)
    sft           supervised fine-tuning on the gold rationale
    package.module:attr[@q]   a method declared with ``estimators.Method`` (loaded by ``objectives``), at
                  order q when it needs one

``objectives`` turns a parsed ``Method`` into per-rollout coefficients; the configs, the studies and the
figures only need the names and their q, so this module imports nothing heavier than ``dataclasses``.
"""

from __future__ import annotations

import dataclasses

FIXED_METHODS = ("grpo", "rb-rloo", "schedule", "sft")
Q_METHODS = ("garl", "paft")
RL_RULES = ("garl", "paft", "grpo")  # coefficient rules selected per run inside one compiled step (rule index)
# every method the small-LM study runs, in the order its tables and figures list them
ALL_METHODS = ("garl-1", "garl-0.75", "garl-0.5", "garl-0.25", "rb-rloo", "grpo",
               "paft-1", "paft-0.75", "paft-0.25", "schedule", "sft")


@dataclasses.dataclass(frozen=True)
class Method:
    """A parsed method name: ``kind`` in grpo | garl | paft | schedule | sft and its q (None if unused)."""

    name: str
    kind: str
    q: float | None = None

    @property
    def uses_gold_rationale(self) -> bool:
        return self.kind == "sft"

    @property
    def rule(self) -> str:
        """The coefficient rule of the method: the schedule is GARL with a step-dependent q
        (``objectives.q_plan``); every other method is its own rule."""
        return "garl" if self.kind == "schedule" else self.kind

    @property
    def compiled_kind(self) -> str:
        """What the compiled train step is specialised to: "rl" for the rules in ``RL_RULES`` (GARL, PAFT,
        GRPO, and so rb-rloo and the schedule), whose rule and q are data of the run
        (``objectives.rl_coefficients``), so that all of them share one compilation and one batch; "sft"
        (another data path) and a declared method are each their own."""
        return "rl" if self.rule in RL_RULES else self.rule


def parse_method(name: str) -> Method:
    """'grpo', 'rb-rloo', 'garl-0.75', 'paft-1', 'schedule' or 'sft' → Method; ValueError otherwise."""
    if not isinstance(name, str):
        raise ValueError(f"method must be a string; got {type(name).__name__}")
    if ":" in name:  # a declared method, "package.module:attr" or "package.module:attr@q"
        spec, _, q_text = name.strip().partition("@")
        q = _parse_q(name, q_text) if q_text else None
        return Method(name.strip(), spec, q)
    key = name.strip().lower()
    if key == "rb-rloo":
        return Method(key, "garl", 0.0)
    if key in FIXED_METHODS:
        return Method(key, key)
    kind, sep, q_text = key.partition("-")
    if kind in Q_METHODS and sep:
        return Method(key, kind, _parse_q(name, q_text))
    raise ValueError(f"unknown method {name!r}; known: grpo, rb-rloo, garl-<q>, paft-<q> (q in [0, 1]), "
                     "schedule, sft, package.module:attr[@q]")


def _parse_q(name: str, q_text: str) -> float:
    try:
        q = float(q_text)
    except ValueError:
        raise ValueError(f"method {name!r}: q must be a number in [0, 1]; got {q_text!r}") from None
    if not 0.0 <= q <= 1.0:
        raise ValueError(f"method {name!r}: q must be in [0, 1]; got {q:g}")
    return q
