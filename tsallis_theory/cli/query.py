"""Single answers, one number each, with the leading-order law beside it and the command that reproduces it.

    tsallis-lab query escape --model sigmoid --q 0.6 --p0 1e-5          escape time T_q(p0 → δ) (docs/spec.md §3)
    tsallis-lab query noise --eps 0.05 --q 0.8                          stable contamination p̃* (§4, NOISE-EQ)
    tsallis-lab query amplification --method garl --q 0.5 --P 1e-3 --G 16   f'_G(P), 0/1 verifier (§7, ATLAS)
    tsallis-lab query bias --q 0.5 --M 16 --P 0.1                       GARL's relative bias, 0/1 verifier (§6)

Each prints the value, the leading-order law (its formula and its value) and the command; ``--json`` prints one
JSON object instead: {"question", "inputs", "value", "quantity", "law": {"formula", "value", "regime"},
"command", ...}. A query computes in memory: it never reads or writes result rows or figures. An argument out
of its range is a one-line error naming the flag and the range (exit 2).
"""

from __future__ import annotations

import argparse
import json

PROG = "tsallis-lab query"


def _number(text: str) -> float:
    try:
        return float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number: {text!r}") from None


def _integer(text: str) -> int:
    try:
        return int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not an integer: {text!r}") from None


def _fmt(x: float) -> str:
    return f"{x + 0.0:.10g}"  # + 0.0: no "-0"


def _command(question: str, inputs: dict) -> str:
    """The command line that asks ``question`` with ``inputs`` again (None-valued inputs are left out)."""
    parts = [PROG, question]
    for flag, value in inputs.items():
        if value is not None:
            parts += [f"--{flag}", repr(float(value)) if isinstance(value, float) else str(value)]
    return " ".join(parts)


def _check_int(flag: str, value: int, low: int) -> int:
    if isinstance(value, bool) or int(value) != value or value < low:
        raise ValueError(f"--{flag} must be an integer >= {low}; got {value!r}")
    return int(value)


# --- escape time ------------------------------------------------------------------------------------------

MAX_GROUP = 1024  # the largest group size G of an amplification query, as in the atlas study
_LOG_T_MAX = 700.0  # ln of the largest escape time a query computes (float64 overflows at e^709.8)


def _configure_escape(p) -> None:
    p.add_argument("--model", default="sigmoid", help="flow model (tsallis_theory.flow.models.MODEL_NAMES; "
                   "default: sigmoid)")
    p.add_argument("--q", type=_number, required=True, help="commitment q in [0, 1]")
    p.add_argument("--p0", type=_number, required=True, help="initial success probability, in (0, delta)")
    p.add_argument("--delta", type=_number, default=0.5, help="escape target δ in (0, 1) (default: 0.5)")


def _escape(args) -> dict:
    """T_q(p0 → δ) under dθ/dt = −∇ℓ_q (``flow.escape.escape_record``), beside the leading order
    p0^−(1−q)/(1−q) (ln(1/p0) at q = 1) of a unit score ‖s‖ = 1 (the sigmoid's as p0 → 0; claims SIGMOID,
    ESC-TIGHT) and the bracket [I/C², I/c²] of ESC-LOWER/ESC-TIGHT, which holds for every model."""
    import numpy as np

    from tsallis_theory import _validate as V
    from tsallis_theory.flow.escape import escape_integral, escape_record
    from tsallis_theory.flow.models import MODEL_NAMES

    if args.model not in MODEL_NAMES:
        raise ValueError(f"--model must be one of {', '.join(MODEL_NAMES)}; got {args.model!r}")
    V.check_range("--q", args.q, *V.Q_RANGE)
    V.check_range("--delta", args.delta, 0.0, 1.0, low_open=True, high_open=True)
    V.check_range("--p0", args.p0, 0.0, args.delta, low_open=True, high_open=True)
    if -(1.0 - args.q) * np.log(args.p0) > _LOG_T_MAX:  # T_q ≈ p0^−(1−q)/(1−q) would overflow float64
        raise ValueError(f"--p0 must be >= {np.exp(-_LOG_T_MAX / (1.0 - args.q)):.3g} at q = {args.q:g} (below it "
                         f"the escape time p0^-(1-q)/(1-q) overflows float64); got {args.p0:g}")
    rec = escape_record(args.model, np.array([args.q]), args.p0, args.delta)
    t = float(rec.times[0])
    integral = float(escape_integral(args.q, args.p0, args.delta))
    if args.q < 1:
        formula, law = "p0^-(1-q)/(1-q)", args.p0 ** -(1.0 - args.q) / (1.0 - args.q)
    else:
        formula, law = "ln(1/p0)", float(-np.log(args.p0))
    inputs = {"model": args.model, "q": args.q, "p0": args.p0, "delta": args.delta}
    return {
        "question": "escape", "inputs": inputs, "value": t,
        "quantity": f"escape time T_q from P = p0 to δ under dθ/dt = −∇ℓ_q (flow time; solver: {rec.method})",
        "law": {"formula": formula, "value": law,
                "regime": "p0 → 0 with a unit score ‖s‖ = 1 (the sigmoid's); a model with ‖s‖ → c scales it by "
                          "1/c² (ESC-TIGHT)"},
        "bracket": {"formula": "[I/C², I/c²], I = ∫ u^(q−2) du from p0 to δ, c ≤ ‖s‖ ≤ C on the path",
                    "lower": integral / rec.score_max ** 2, "upper": integral / rec.score_min ** 2},
    }


# --- noise equilibrium ------------------------------------------------------------------------------------

def _configure_noise(p) -> None:
    p.add_argument("--eps", type=_number, required=True, help="flip rate ε in (0, 0.5)")
    p.add_argument("--q", type=_number, required=True, help="commitment q in [0, 1]")


def _noise(args) -> dict:
    """p̃* = ε^{1/q}/(ε^{1/q} + (1 − ε)^{1/q}) (``categorical.escort.noise_equilibrium``, NOISE-EQ) beside its
    small-ε leading order (ε/(1 − ε))^{1/q}; both 0 at q = 0."""
    from tsallis_theory import _validate as V
    from tsallis_theory.categorical.escort import noise_equilibrium

    V.check_range("--eps", args.eps, 0.0, 0.5, low_open=True, high_open=True)
    V.check_range("--q", args.q, *V.Q_RANGE)
    value = float(noise_equilibrium(args.eps, args.q))
    law = (args.eps / (1.0 - args.eps)) ** (1.0 / args.q) if args.q > 0 else 0.0
    return {
        "question": "noise", "inputs": {"eps": args.eps, "q": args.q}, "value": value,
        "quantity": "stable contamination p̃* of one input with flip rate ε under J_Q (two labels, NOISE-EQ)",
        "law": {"formula": "(eps/(1-eps))^(1/q)", "value": law, "regime": "ε → 0 (p̃* ≪ 1)"},
    }


# --- expected amplification -------------------------------------------------------------------------------

# the population amplification f'(P) of each method (G → ∞; docs/spec.md §7), as text
_POPULATION_LAWS = {
    "rlvr": "1", "rloo": "1", "rb_reinforce": "1", "dr_grpo": "(G-1)/G", "grpo": "1/sqrt(P(1-P))",
    "garl": "P^-q", "garl_rloo": "P^-q", "paft": "P^-q", "jq": "P^-q", "iwae": "1/P", "trice": "1/P",
    "log_likelihood": "1/P", "maxrl": "(1-(1-P)^T)/P", "pass_at_k": "k(1-P)^(k-1)",
    "dco": "n(1-P)^(n-1)/(1-(1-P)^n)",
}


def _configure_amplification(p) -> None:
    p.add_argument("--method", required=True, help="a method of tsallis_theory.atlas (garl, grpo, rloo, ...)")
    p.add_argument("--P", "--p", dest="p", type=_number, required=True, help="success probability P in (0, 1)")
    p.add_argument("--G", "--g", dest="g", type=_integer, required=True, help=f"group size G in [2, {MAX_GROUP}]")
    p.add_argument("--q", type=_number, help="commitment q in [0, 1] (garl, garl_rloo, paft)")
    p.add_argument("--k", type=_integer, help="k of pass_at_k, in [1, G]")
    p.add_argument("--T", dest="T", type=_integer, help="truncation T of maxrl, in [1, G]")
    p.add_argument("--n", type=_integer, help="coverage n of dco, in [1, G]")


def _amplification(args) -> dict:
    """f'_G(P) of ``method`` with G rollouts and a 0/1 verifier (``atlas.expected_amplification``: E[ĝ] =
    −f'_G(P)∇P, exact) beside the population amplification f'(P) (G → ∞, ``atlas.population_amplification``);
    the finite-group value caps near a constant for P ≪ 1/G (ATLAS)."""
    from tsallis_theory import _validate as V
    from tsallis_theory.atlas import expected_amplification, population_amplification

    V.check_range("--P", args.p, 0.0, 1.0, low_open=True, high_open=True)
    g = _check_int("G", args.g, 2)
    if g > MAX_GROUP:  # the exact expectation sums over every count of successes: memory grows with G
        raise ValueError(f"--G must be an integer in [2, {MAX_GROUP}] (as in the atlas study); got {g}")
    params = {"q": args.q, "k": args.k, "T": args.T, "n": args.n}
    if args.q is not None:
        V.check_range("--q", args.q, *V.Q_RANGE)
    given = {k: v for k, v in params.items() if v is not None}
    from tsallis_theory.estimators import get_method

    taken = get_method(args.method).params(given)
    if set(given) - set(taken):  # a flag the method does not read would change nothing: say so
        extra = ", ".join(f"--{k}" for k in given if k not in taken)
        raise ValueError(f"method {args.method!r} takes no {extra}")
    value = float(expected_amplification(args.method, args.p, g, **given))
    if args.method in _POPULATION_LAWS:
        law = float(population_amplification(args.method, args.p, g=g, **given))
    else:  # a method declared outside the lab may have no population form
        try:
            law = float(population_amplification(args.method, args.p, g=g, **given))
        except ValueError:
            law = None
    return {
        "question": "amplification", "inputs": {"method": args.method, "P": args.p, "G": g, **given},
        "value": value,
        "quantity": f"expected amplification f'_G(P) of {args.method}, G = {g} rollouts, 0/1 verifier (exact; "
                    "E[update] = f'_G(P)·∇P)",
        "law": {"formula": _POPULATION_LAWS.get(args.method, "population f'(P)"), "value": law,
                "regime": "G → ∞ (the population objective); for P ≪ 1/G the finite group caps it"},
    }


# --- bias -------------------------------------------------------------------------------------------------

def _configure_bias(p) -> None:
    p.add_argument("--q", type=_number, required=True, help="commitment q in [0, 1]")
    p.add_argument("--M", "--m", dest="m", type=_integer, required=True, help="pool size M >= 1")
    p.add_argument("--P", "--p", dest="p", type=_number, required=True, help="success probability P in (0, 1]")


def _bias(args) -> dict:
    """GARL's exact relative bias with a 0/1 verifier, E[GARL]/∇ℓ_q − 1 = E[(K/M)^{1−q}]/P^{1−q} − 1 with
    K ~ Binomial(M, P) (``estimators.bias.hard_verifier_relative_bias``, a finite sum; claim BIAS), beside its
    large-MP leading term −q(1 − q)(1 − P)/(2MP) (``hard_verifier_bias_asymptote``). Thm 6.1's own leading
    term needs w ≥ ε > 0, which a 0/1 verifier breaks."""
    from tsallis_theory import _validate as V
    from tsallis_theory.estimators.bias import hard_verifier_bias_asymptote, hard_verifier_relative_bias

    V.check_range("--q", args.q, *V.Q_RANGE)
    m = _check_int("M", args.m, 1)
    V.check_range("--P", args.p, 0.0, 1.0, low_open=True)
    value = float(hard_verifier_relative_bias(args.q, m, args.p))
    law = float(hard_verifier_bias_asymptote(args.q, m, args.p)) + 0.0
    return {
        "question": "bias", "inputs": {"q": args.q, "M": m, "P": args.p}, "value": value,
        "quantity": "relative bias E[GARL]/∇ℓ_q − 1 of the GARL plug-in (also RLOO, PAFT) with a 0/1 verifier: "
                    "the exact binomial sum over K ~ Binomial(M, P)",
        "law": {"formula": "-q(1-q)(1-P)/(2MP)", "value": law,
                "regime": "M·P ≫ 1 (→ −1 instead when M·P ≪ 1)"},
    }


# question -> (one-line help, configure, answer)
QUESTIONS = {
    "escape": ("escape time T_q(p0 → δ) of a flow model", _configure_escape, _escape),
    "noise": ("stable contamination p̃*(ε, q) under label noise (NOISE-EQ)", _configure_noise, _noise),
    "amplification": ("a method's exact expected amplification f'_G(P), 0/1 verifier (ATLAS)",
                      _configure_amplification, _amplification),
    "bias": ("GARL's exact relative bias at (q, M, P), 0/1 verifier (BIAS)", _configure_bias, _bias),
}


def configure(parser: argparse.ArgumentParser) -> None:
    sub = parser.add_subparsers(dest="question", metavar="question", parser_class=type(parser))
    sub.required = True
    for name, (help_text, configure_question, answer) in QUESTIONS.items():
        p = sub.add_parser(name, help=help_text, description=answer.__doc__)
        configure_question(p)
        p.add_argument("--json", action="store_true", help="print one JSON object instead of text")


def answer(args) -> dict:
    """The answer to the question in ``args`` (a dict; see the module docstring), with its ``command``."""
    out = QUESTIONS[args.question][2](args)
    out["command"] = _command(args.question, out["inputs"])
    return out


def render(out: dict) -> str:
    """The answer as text: value, law (when the method has one), bracket (escape), command."""
    law = out["law"]
    lines = [f"{out['quantity']}:", f"  value  {_fmt(out['value'])}"]
    if law["value"] is None:
        lines.append(f"  law    {law['formula']}: none declared for this method")
    else:
        ratio = f"  (value/law = {out['value'] / law['value']:.6g})" if law["value"] else ""
        lines.append(f"  law    {law['formula']} = {_fmt(law['value'])}{ratio}   [{law['regime']}]")
    if "bracket" in out:
        b = out["bracket"]
        lines.append(f"  bound  {_fmt(b['lower'])} <= value <= {_fmt(b['upper'])}   ({b['formula']})")
    lines.append(f"  reproduce: {out['command']}")
    return "\n".join(lines)


def run(args) -> int:
    out = answer(args)
    print(json.dumps(out) if args.json else render(out))
    return 0
