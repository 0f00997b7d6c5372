"""`tsallis-lab query`: each answer against an independent oracle (mpmath quadrature, closed forms, binomial sums
written out here), the printed law and command, --json, and the one-line errors (exit 2)."""

from __future__ import annotations

import json
import math
import shlex
import subprocess
import sys

import mpmath
import pytest

from tsallis_theory.cli import main


def _ask(capsys, *argv):
    """The JSON answer of `tsallis-lab query ARGV --json` (in process)."""
    assert main(["query", *argv, "--json"]) == 0
    return json.loads(capsys.readouterr().out)


def _binomial(m, p, k):
    return math.comb(m, k) * p**k * (1 - p) ** (m - k)


@pytest.mark.parametrize("q, p0", [(0.6, 1e-5), (1.0, 1e-8), (0.0, 1e-3)])
def test_escape_sigmoid_equals_mpmath_quadrature(capsys, q, p0):
    """Sigmoid (SIGMOID): T_q = ∫_{p0}^{δ} u^{q−2}/(1−u)² du, integrated by mpmath in P (not ln P)."""
    out = _ask(capsys, "escape", "--model", "sigmoid", "--q", str(q), "--p0", str(p0))
    mpmath.mp.dps = 30
    cuts = [p0] + [10.0**e for e in range(int(math.log10(p0)) + 1, 0)] + [0.5]
    oracle = float(mpmath.quad(lambda u: u ** (q - 2) / (1 - u) ** 2, cuts))
    assert out["value"] == pytest.approx(oracle, rel=1e-9)
    law = p0 ** -(1 - q) / (1 - q) if q < 1 else math.log(1 / p0)
    assert out["law"]["value"] == pytest.approx(law, rel=1e-12)
    assert out["bracket"]["lower"] <= out["value"] <= out["bracket"]["upper"]


def test_escape_prints_value_law_and_the_command_that_reproduces_it(capsys):
    assert main(["query", "escape", "--model", "sigmoid", "--q", "0.6", "--p0", "1e-5"]) == 0
    text = capsys.readouterr().out
    assert "249.98796" in text and "p0^-(1-q)/(1-q) = 250" in text
    command = next(line for line in text.splitlines() if "reproduce:" in line).split("reproduce: ")[1]
    argv = shlex.split(command)
    assert argv[:2] == ["tsallis-lab", "query"]
    assert _ask(capsys, *argv[2:])["value"] == pytest.approx(249.98796249727, rel=1e-10)


@pytest.mark.parametrize("eps, q", [(0.05, 0.8), (0.3, 0.2), (0.1, 1.0)])
def test_noise_equilibrium_equals_the_escort_closed_form(capsys, eps, q):
    """NOISE-EQ: p̃* = ε^{1/q}/(ε^{1/q} + (1 − ε)^{1/q}); law (ε/(1 − ε))^{1/q}."""
    out = _ask(capsys, "noise", "--eps", str(eps), "--q", str(q))
    a, b = eps ** (1 / q), (1 - eps) ** (1 / q)
    assert out["value"] == pytest.approx(a / (a + b), rel=1e-12)
    assert out["law"]["value"] == pytest.approx((eps / (1 - eps)) ** (1 / q), rel=1e-12)
    if eps == 0.05 and q == 0.8:
        assert round(out["value"], 5) == 0.02459


@pytest.mark.parametrize("p, g, q", [(1e-3, 16, 0.5), (0.3, 8, 0.9), (0.02, 32, 0.25)])
def test_garl_amplification_equals_the_binomial_sum(capsys, p, g, q):
    """GARL plug-in, 0/1 verifier: f'_G(P) = E[((K'+1)/G)^{−q}], K' ~ Binomial(G−1, P) (own success adds
    (1/G)·(K/G)^{−q}); law P^{−q}."""
    out = _ask(capsys, "amplification", "--method", "garl", "--q", str(q), "--P", str(p), "--G", str(g))
    oracle = sum(_binomial(g - 1, p, k) * ((k + 1) / g) ** -q for k in range(g))
    assert out["value"] == pytest.approx(oracle, rel=1e-10)
    assert out["law"]["value"] == pytest.approx(p**-q, rel=1e-12) and out["law"]["formula"] == "P^-q"


def test_rloo_amplification_is_one_and_pass_at_k_takes_k(capsys):
    assert _ask(capsys, "amplification", "--method", "rloo", "--P", "0.01", "--G", "8")["value"] == pytest.approx(
        1.0, abs=1e-12)
    out = _ask(capsys, "amplification", "--method", "pass_at_k", "--k", "4", "--P", "0.2", "--G", "8")
    # pass@k with G >= k is unbiased for 1 − (1−P)^k: f'_G(P) = k(1−P)^{k−1} at every G
    assert out["value"] == pytest.approx(4 * 0.8**3, rel=1e-9) == out["law"]["value"]


@pytest.mark.parametrize("q, m, p", [(0.5, 16, 0.1), (0.3, 200, 0.5), (1.0, 4, 0.5), (0.7, 3, 0.01)])
def test_bias_equals_the_binomial_sum(capsys, q, m, p):
    """BIAS, 0/1 verifier: E[GARL]/∇ℓ_q − 1 = Σ_K C(M,K)P^K(1−P)^{M−K}(K/(MP))^{1−q} − 1 (K = 0 gives 0)."""
    out = _ask(capsys, "bias", "--q", str(q), "--M", str(m), "--P", str(p))
    mpmath.mp.dps = 30
    oracle = mpmath.fsum(mpmath.binomial(m, k) * mpmath.mpf(p) ** k * (1 - mpmath.mpf(p)) ** (m - k)
                         * (mpmath.mpf(k) / (m * mpmath.mpf(p))) ** (1 - q) for k in range(1, m + 1)) - 1
    assert out["value"] == pytest.approx(float(oracle), rel=1e-9, abs=1e-14)
    assert out["law"]["value"] == pytest.approx(-q * (1 - q) * (1 - p) / (2 * m * p), rel=1e-12, abs=0)


def test_queries_write_no_files(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    for argv in (["escape", "--q", "0.5", "--p0", "1e-3"], ["noise", "--eps", "0.1", "--q", "0.5"],
                 ["amplification", "--method", "rloo", "--P", "0.1", "--G", "4"],
                 ["bias", "--q", "0.5", "--M", "4", "--P", "0.5"]):
        assert main(["query", *argv]) == 0
    capsys.readouterr()
    assert not list(tmp_path.iterdir())


@pytest.mark.parametrize("argv, flag", [
    (["escape", "--q", "1.5", "--p0", "1e-5"], "--q must be in [0, 1]"),
    (["escape", "--q", "0.5", "--p0", "0.7"], "--p0 must be in (0, 0.5)"),
    (["escape", "--q", "0.5", "--p0", "1e-5", "--delta", "1"], "--delta must be in (0, 1)"),
    (["escape", "--q", "0.5", "--p0", "1e-5", "--model", "nope"], "--model must be one of"),
    (["escape", "--q", "0.5"], "--p0"),
    (["escape", "--q", "0", "--p0", "1e-310"], "--p0 must be >= 9.86e-305 at q = 0"),
    (["noise", "--eps", "0.6", "--q", "0.5"], "--eps must be in (0, 0.5)"),
    (["noise", "--eps", "0.1", "--q", "nan"], "--q must be in [0, 1]"),
    (["amplification", "--method", "garl", "--q", "0.5", "--P", "0", "--G", "16"], "--P must be in (0, 1)"),
    (["amplification", "--method", "garl", "--q", "0.5", "--P", "0.1", "--G", "1"], "--G must be an integer >= 2"),
    (["amplification", "--method", "nope", "--P", "0.1", "--G", "4"], "method must be one of"),
    (["amplification", "--method", "garl", "--q", "0.5", "--P", "0.1", "--G", "100000000"],
     "--G must be an integer in [2, 1024]"),
    (["amplification", "--method", "garl", "--P", "0.1", "--G", "4"], "needs q (in [0, 1]); none was given"),
    (["amplification", "--method", "pass_at_k", "--P", "0.1", "--G", "4"], "needs k (an integer in [1, G])"),
    (["amplification", "--method", "grpo", "--q", "0.5", "--P", "0.1", "--G", "4"], "method 'grpo' takes no --q"),
    (["bias", "--q", "0.5", "--M", "0", "--P", "0.1"], "--M must be an integer >= 1"),
    (["bias", "--q", "0.5", "--M", "4", "--P", "1.5"], "--P must be in (0, 1]"),
    (["bias", "--q", "0.5", "--M", "x", "--P", "0.1"], "not an integer"),
])
def test_out_of_range_is_exit_2_with_one_line(capsys, argv, flag):
    assert main(["query", *argv]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and flag in err[0] and "Traceback" not in err[0]


def test_query_help_loads_neither_jax_nor_matplotlib():
    code = ("import sys\nfrom tsallis_theory.cli import build_parser\n"
            "for argv in (['query', '--help'], ['query', 'escape', '--help']):\n"
            "    try:\n        build_parser('query').parse_args(argv)\n    except SystemExit:\n        pass\n"
            "print(' '.join(sys.modules))")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    loaded = set(proc.stdout.split())
    assert "escape time" in proc.stdout or "T_q" in proc.stdout
    assert "jax" not in loaded and "matplotlib" not in loaded and "scipy" not in loaded
