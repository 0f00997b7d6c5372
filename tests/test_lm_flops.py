"""The matmul FLOP counts of ``transformer`` (the benchmark's MFU, ``tsallis-lab lm --plan``) against an
independent oracle: the matmuls JAX lowers, read off the StableHLO text (each dot_general's output size
times its contracted size, times 2). The formulas count every position's attention over all T positions and
its unembedding; the oracle's differences from them are enumerated here, position by position."""

import math
import re

import equinox as eqx
import jax
import jax.numpy as jnp

from tsallis_theory.lm.configs import TaskConfig, TransformerConfig
from tsallis_theory.lm.transformer import (Transformer, evaluation_flops, flops_per_token, step_tokens,
                                           train_step_flops)

TASK = TaskConfig(modulus=3, chain_length=2)  # T = 8, P = 5
CFG = TransformerConfig(d_model=64, n_layers=2, n_heads=4, d_ff=256, dtype="float32")
M = 4  # rollouts of the prompt
DOT = re.compile(r"stablehlo\.dot_general [^\n]*?contracting_dims = \[([\d, ]*)\] x \[[\d, ]*\][^\n]*?: "
                 r"\(tensor<([^>]*)>, tensor<[^>]*>\) -> tensor<([^>]*)>")


def lowered_matmul_flops(fn, *args) -> int:
    """2 × output size × contracted size, summed over the dot_general ops of ``jax.jit(fn)`` lowered."""
    total = 0
    for contracting, lhs, out in DOT.findall(jax.jit(fn).lower(*args).as_text()):
        lhs_dims = [int(x) for x in lhs.split("x")[:-1]]  # "7x64xf32" -> [7, 64]
        out_dims = [int(x) for x in out.split("x")[:-1]]
        total += 2 * math.prod(out_dims) * math.prod(lhs_dims[int(i)] for i in contracting.split(",") if i.strip())
    return total


def _overcount(queries_keys: list[tuple[int, int]], not_unembedded: int = 0) -> int:
    """What the formulas count beyond the lowered matmuls: attention (QKᵀ and the weighted values, 2 × 2 × d
    per query and key per layer) over T keys instead of each query's own, and the unembedding of positions
    whose logits are not computed."""
    t, d, v = TASK.seq_len, CFG.d_model, TASK.vocab_size
    attention = sum(q * (t - k) for q, k in queries_keys) * 4 * d * CFG.n_layers
    return attention + not_unembedded * 2 * d * v


def test_forward_and_backward_flops_equal_the_lowered_matmuls():
    """A forward over a rollout's T − 1 positions (each attending to itself and those before: the causal
    attention is computed densely over the T − 1), and the gradient of a loss on it: 3 forwards."""
    model = Transformer(jax.random.PRNGKey(0), TASK, CFG)
    n = TASK.seq_len - 1
    tokens = jnp.zeros(n, jnp.int32)
    forward = lowered_matmul_flops(lambda t: model(t), tokens)
    assert forward == step_tokens(TASK, 1, 1) * flops_per_token(TASK, CFG) - _overcount([(n, n)])
    grad = lowered_matmul_flops(lambda m: eqx.filter_grad(lambda m_: (m_(tokens) ** 2).sum())(m), model)
    assert grad == 3 * forward


def test_shared_prompt_flops_equal_the_lowered_matmuls():
    """``log_probs_group``: the prompt's P positions once (P queries over P keys, only the last one
    unembedded), then M continuations of S = T − 1 − P positions, each over P + S keys; without sharing,
    M forwards of T − 1 positions. ``train_step_flops`` adds the sampling pass (one forward's worth) to
    forward + backward, and ``evaluation_flops`` is sampling plus a forward."""
    model = Transformer(jax.random.PRNGKey(0), TASK, CFG)
    p, r = TASK.prompt_len, TASK.rationale_len
    s, n = TASK.seq_len - 1 - p, TASK.seq_len - 1
    prompt, rationale, answers = jnp.zeros(p, jnp.int32), jnp.zeros((M, r), jnp.int32), jnp.zeros((M, 2), jnp.int32)
    fpt = flops_per_token(TASK, CFG)
    shared = lowered_matmul_flops(lambda *a: model.log_probs_group(*a), prompt, rationale, answers)
    assert shared == step_tokens(TASK, 1, M, True) * fpt - _overcount([(p, p)] + [(s, p + s)] * M, p - 1)
    plain = lowered_matmul_flops(jax.vmap(lambda z, a: model.log_probs(prompt, z, a)), rationale, answers)
    assert plain == step_tokens(TASK, 1, M) * fpt - _overcount([(n, n)] * M)
    for share in (False, True):
        forward = step_tokens(TASK, 1, M, share) * fpt
        assert train_step_flops(TASK, CFG, 1, M, share) == 4 * forward
        assert train_step_flops(TASK, CFG, 1, M, share, sampled=False) == 3 * forward
        assert evaluation_flops(TASK, CFG, 1, M, share) == 2 * forward
