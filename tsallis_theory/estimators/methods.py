"""The lab's own methods, declared through the method protocol (``protocol.Method``; claim ATLAS, docs/spec.md §7).

Population amplifications f'(P) (infinite group) and the objectives f(P) they differentiate:

  rlvr / rloo / rb_reinforce: 1 (f = P)        dr_grpo: (G−1)/G         grpo: ≈ 1/√(P(1−P)) (large G)
  garl / garl_rloo / paft / jq (J_Q): P^{−q} (f = log_{2−q}... = −ℓ_q)   iwae / trice / log_likelihood: 1/P
  maxrl (truncation T): (1 − (1−P)^T)/P (f = −Σ_{j<=T} (1−P)^j/j)      pass_at_k: k(1−P)^{k−1}
  dco (coverage n): n(1−P)^{n−1}/(1 − (1−P)^n) (f = log pass@n)

PAFT and posterior SFT resample; their conditional expectations given the pool are the GARL plug-in
(claim PAFT-BIAS) and IWAE's weights, so their expected-amplification coefficients are those. ``jq`` and
``log_likelihood`` are population objectives only (no estimator). Each coefficient function looks its
estimator up by name when called, so a patched estimator (the mutation suite) is the one evaluated.
"""

from __future__ import annotations

import jax
import numpy as np

from tsallis_theory.estimators import coverage
from tsallis_theory.estimators.garl import garl_plugin, garl_rloo
from tsallis_theory.estimators.group import dr_grpo, grpo, rloo
from tsallis_theory.estimators.likelihood import iwae, rb_reinforce
from tsallis_theory.estimators.protocol import _LAB_NAMES, Method, declare


def _one(p, **_):
    return np.ones_like(np.asarray(p, float))


def _p_pow_q(p, q, **_):
    return np.asarray(p, float) ** (-float(q))


def _inv_p(p, **_):
    return 1.0 / np.asarray(p, float)


@jax.jit
def _log_q(p, q):  # one compile instead of one per primitive in eager mode
    from tsallis_theory.qcalc import log_q

    return log_q(p, q)


def _jq(p, q, **_):
    return np.asarray(_log_q(np.asarray(p, float), q))


def _dr_grpo_pop(p, g=None, **_):
    return np.full_like(np.asarray(p, float), 1.0 if g is None else (g - 1) / g)


def _grpo_pop(p, **_):
    p = np.asarray(p, float)
    return 1.0 / np.sqrt(p * (1 - p))


def _maxrl_pop(p, T, **_):
    p = np.asarray(p, float)
    return -np.expm1(T * np.log1p(-p)) / p


def _maxrl_obj(p, T, **_):
    p = np.asarray(p, float)
    return -sum((1 - p) ** j / j for j in range(1, T + 1))


def _pass_pop(p, k, **_):
    return k * (1 - np.asarray(p, float)) ** (k - 1)


def _pass_obj(p, k, **_):
    return 1 - (1 - np.asarray(p, float)) ** k


def _dco_pop(p, n, **_):
    p = np.asarray(p, float)
    return n * (1 - p) ** (n - 1) / (-np.expm1(n * np.log1p(-p)))


def _dco_obj(p, n, **_):
    return np.log(1 - (1 - np.asarray(p, float)) ** n)


def _identity(p, **_):
    return np.asarray(p, float)


def _log(p, **_):
    return np.log(np.asarray(p, float))


_Q = ("q",)
LAB_METHODS = tuple(declare(m) for m in (
    Method("rlvr", lambda lw: rb_reinforce(lw), population_amplification=_one, objective=_identity,
           label="RLVR"),
    Method("rloo", lambda r: rloo(r), inputs="rewards", population_amplification=_one, label="RLOO"),
    Method("dr_grpo", lambda r: dr_grpo(r), inputs="rewards", options=("g",),
           population_amplification=_dr_grpo_pop, label="Dr.GRPO"),
    Method("grpo", lambda r, eps=1e-6, std="population": grpo(r, eps=eps, std=std), inputs="rewards",
           options=("eps", "std"), population_amplification=_grpo_pop, label="GRPO"),
    Method("garl", lambda lw, q: garl_plugin(lw, q), needs=_Q, population_amplification=_p_pow_q, soft_ok=True,
           label="GARL"),
    Method("garl_rloo", lambda lw, q: garl_rloo(lw, q), needs=_Q, population_amplification=_p_pow_q, soft_ok=True,
           label="GARL-RLOO"),
    Method("paft", lambda lw, q: garl_plugin(lw, q), needs=_Q, population_amplification=_p_pow_q, soft_ok=True,
           label="PAFT"),
    Method("iwae", lambda lw: iwae(lw), population_amplification=_inv_p, soft_ok=True, label="IWAE"),
    Method("trice", lambda lw: iwae(lw), population_amplification=_inv_p, soft_ok=True, label="TRICE"),
    Method("maxrl", lambda r, T: coverage.maxrl(r, T), inputs="rewards", needs=("T",),
           population_amplification=_maxrl_pop, objective=_maxrl_obj, label="MaxRL"),
    Method("pass_at_k", lambda r, k: coverage.pass_at_k(r, k), inputs="rewards", needs=("k",),
           population_amplification=_pass_pop, objective=_pass_obj,
           success_gap=lambda g, k: coverage.pass_at_k_gap(g, k), label="pass@k"),
    Method("dco", lambda r, n: coverage.dco(r, n), inputs="rewards", needs=("n",),
           population_amplification=_dco_pop, objective=_dco_obj,
           success_gap=lambda g, n: coverage.dco_gap(g, n), label="DCO"),
    Method("rb_reinforce", lambda lw: rb_reinforce(lw), population_amplification=_one, soft_ok=True,
           hard_ok=False, label="RB-REINFORCE"),
    Method("jq", None, needs=_Q, population_amplification=_p_pow_q, objective=_jq, label="J_Q"),
    Method("log_likelihood", None, population_amplification=_inv_p, objective=_log, label="log-likelihood"),
))
_LAB_NAMES.update(m.name for m in LAB_METHODS)
