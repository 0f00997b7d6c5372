"""A small decoder-only transformer (pre-LayerNorm, learned positions, GELU MLP) in equinox.

Shapes use suffixes: T sequence, D model width, H heads, K head width, F MLP width, V vocabulary, L layers.
``__call__(tokens_T) -> logits_TV`` is the full causal forward (training, teacher forcing);
``decode_step(token, pos, cache) -> (logits_V, cache)`` is one step with a key/value cache (sampling,
see ``sampling.py``). Both compute the same function: tests/test_lm.py checks it, and checks
causality (the gradient of position t's output w.r.t. later inputs is zero).

Precision: ``dtype="bfloat16"`` is mixed precision. The parameters stay float32 (the optimiser's master
copy: an SGD step of lr 3e-4 is far below bfloat16's resolution of a weight, so bfloat16 parameters would
not move), and every forward computes in bfloat16 on a cast copy (``compute_view``); the gradient flows
back through the cast to the float32 parameters. "float32" and "float64" store and compute in that dtype.
"""

from __future__ import annotations

import equinox as eqx
import jax
import jax.numpy as jnp

from tsallis_theory.lm.configs import TaskConfig, TransformerConfig


def _layer_norm(x_TD, scale_D, bias_D, eps=1e-5):
    mu = x_TD.mean(-1, keepdims=True)
    var = ((x_TD - mu) ** 2).mean(-1, keepdims=True)
    return (x_TD - mu) * jax.lax.rsqrt(var + eps) * scale_D + bias_D


def param_dtype(cfg: TransformerConfig):
    """The dtype the parameters are stored in: float32 under bfloat16 compute (mixed precision), else ``cfg.dtype``."""
    return jnp.dtype(jnp.float32 if cfg.dtype == "bfloat16" else cfg.dtype)


class Block(eqx.Module):
    ln1_scale: jax.Array
    ln1_bias: jax.Array
    w_qkv_D3HK: jax.Array
    w_out_HKD: jax.Array
    ln2_scale: jax.Array
    ln2_bias: jax.Array
    w_in_DF: jax.Array
    b_in_F: jax.Array
    w_out_FD: jax.Array
    b_out_D: jax.Array

    def __init__(self, key, cfg: TransformerConfig):
        dt = param_dtype(cfg)
        d, h, f = cfg.d_model, cfg.n_heads, cfg.d_ff
        k = d // h
        k1, k2, k3, k4 = jax.random.split(key, 4)
        std = 0.02
        resid_std = std / jnp.sqrt(2.0 * cfg.n_layers)
        self.ln1_scale, self.ln1_bias = jnp.ones(d, dt), jnp.zeros(d, dt)
        self.ln2_scale, self.ln2_bias = jnp.ones(d, dt), jnp.zeros(d, dt)
        self.w_qkv_D3HK = (std * jax.random.normal(k1, (d, 3, h, k))).astype(dt)
        self.w_out_HKD = (resid_std * jax.random.normal(k2, (h, k, d))).astype(dt)
        self.w_in_DF = (std * jax.random.normal(k3, (d, f))).astype(dt)
        self.b_in_F = jnp.zeros(f, dt)
        self.w_out_FD = (resid_std * jax.random.normal(k4, (f, d))).astype(dt)
        self.b_out_D = jnp.zeros(d, dt)

    def mlp(self, x_TD):
        h_TD = _layer_norm(x_TD, self.ln2_scale, self.ln2_bias)
        return jax.nn.gelu(h_TD @ self.w_in_DF + self.b_in_F) @ self.w_out_FD + self.b_out_D

    def qkv(self, x_TD):
        h_TD = _layer_norm(x_TD, self.ln1_scale, self.ln1_bias)
        qkv_T3HK = jnp.einsum("td,dchk->tchk", h_TD, self.w_qkv_D3HK)
        return qkv_T3HK[:, 0], qkv_T3HK[:, 1], qkv_T3HK[:, 2]

    def attend(self, q_THK, k_SHK, v_SHK, mask_TS):
        scale = 1.0 / jnp.sqrt(jnp.asarray(q_THK.shape[-1], q_THK.dtype))
        logits_HTS = jnp.einsum("thk,shk->hts", q_THK, k_SHK) * scale
        logits_HTS = jnp.where(mask_TS[None], logits_HTS, jnp.finfo(logits_HTS.dtype).min)
        probs_HTS = jax.nn.softmax(logits_HTS, axis=-1)
        return jnp.einsum("hts,shk,hkd->td", probs_HTS, v_SHK, self.w_out_HKD)

    def __call__(self, x_TD):
        t = x_TD.shape[0]
        q, k, v = self.qkv(x_TD)
        x_TD = x_TD + self.attend(q, k, v, jnp.tril(jnp.ones((t, t), bool)))
        return x_TD + self.mlp(x_TD)


class Transformer(eqx.Module):
    """Decoder-only LM over the task's vocabulary, implementing the ``Policy`` interface."""

    embed_VD: jax.Array
    pos_TD: jax.Array
    blocks: tuple[Block, ...]
    lnf_scale: jax.Array
    lnf_bias: jax.Array
    unembed_DV: jax.Array
    task: TaskConfig = eqx.field(static=True)
    cfg: TransformerConfig = eqx.field(static=True)

    def __init__(self, key, task: TaskConfig, cfg: TransformerConfig = TransformerConfig()):
        dt = param_dtype(cfg)
        ke, kp, ku, kb = jax.random.split(key, 4)
        v, d, t = task.vocab_size, cfg.d_model, task.seq_len
        self.embed_VD = (0.02 * jax.random.normal(ke, (v, d))).astype(dt)
        self.pos_TD = (0.02 * jax.random.normal(kp, (t, d))).astype(dt)
        self.blocks = tuple(Block(k, cfg) for k in jax.random.split(kb, cfg.n_layers))
        self.lnf_scale, self.lnf_bias = jnp.ones(d, dt), jnp.zeros(d, dt)
        self.unembed_DV = (0.02 * jax.random.normal(ku, (d, v))).astype(dt)
        self.task, self.cfg = task, cfg

    def compute_view(self) -> "Transformer":
        """This model with its parameters in the compute dtype: a bfloat16 copy under mixed precision (cast
        once per forward or per sampled rollout, not per decode step), the model itself otherwise."""
        if self.cfg.dtype != "bfloat16" or self.embed_VD.dtype == jnp.bfloat16:
            return self
        return jax.tree.map(lambda w: w.astype(jnp.bfloat16) if eqx.is_inexact_array(w) else w, self)

    def __call__(self, tokens_T):
        """Causal forward: logits_TV[t] is the next-token distribution after tokens[: t + 1]."""
        model = self.compute_view()
        return model.forward_embeddings(model.embed_VD[tokens_T])

    def forward_embeddings(self, e_TD):
        """The forward pass from token embeddings (used by the causality test)."""
        self = self.compute_view()
        x_TD = e_TD.astype(self.pos_TD.dtype) + self.pos_TD[:e_TD.shape[0]]
        for block in self.blocks:
            x_TD = block(x_TD)
        return _layer_norm(x_TD, self.lnf_scale, self.lnf_bias) @ self.unembed_DV

    # ---- key/value cache -------------------------------------------------------------------------
    def init_cache(self):
        """Zeroed cache: (k, v) each of shape (L, T, H, K), in the compute dtype."""
        self = self.compute_view()
        h = self.cfg.n_heads
        shape = (self.cfg.n_layers, self.task.seq_len, h, self.cfg.d_model // h)
        z = jnp.zeros(shape, self.embed_VD.dtype)
        return z, z

    def decode_step(self, token, pos, cache):
        """Logits after feeding ``token`` at position ``pos``, attending to cached positions <= pos (on the
        ``compute_view``, which sampling takes once per rollout)."""
        self = self.compute_view()
        k_cache, v_cache = cache
        x_1D = (self.embed_VD[token] + self.pos_TD[pos])[None]
        visible_1S = (jnp.arange(self.task.seq_len) <= pos)[None]
        for i, block in enumerate(self.blocks):
            q, k, v = block.qkv(x_1D)
            k_cache = jax.lax.dynamic_update_slice(k_cache, k[None], (i, pos, 0, 0))
            v_cache = jax.lax.dynamic_update_slice(v_cache, v[None], (i, pos, 0, 0))
            x_1D = x_1D + block.attend(q, k_cache[i], v_cache[i], visible_1S)
            x_1D = x_1D + block.mlp(x_1D)
        logits_V = (_layer_norm(x_1D, self.lnf_scale, self.lnf_bias) @ self.unembed_DV)[0]
        return logits_V, (k_cache, v_cache)

    # ---- a prompt shared by many continuations ------------------------------------------------------
    def prefix(self, prompt_P):
        """The part of a forward pass that every continuation of ``prompt_P`` shares: the prompt's keys and
        values at every layer, (L, P, H, K) each, and the logits at its last position (the next-token
        distribution of the first continuation token). Computed once per prompt instead of once per rollout."""
        self = self.compute_view()
        p = prompt_P.shape[0]
        x_PD, prefix_kv = self._blocks(self.embed_VD[prompt_P] + self.pos_TD[:p], jnp.tril(jnp.ones((p, p), bool)))
        logits_V = _layer_norm(x_PD[-1:], self.lnf_scale, self.lnf_bias) @ self.unembed_DV
        return prefix_kv, logits_V[0]

    def continuation_logits(self, prefix_kv, tokens_S):
        """Logits at the S positions after a prompt whose ``prefix`` keys and values are ``prefix_kv``: each
        attends to the whole prompt and causally to ``tokens_S``. With ``prefix``'s last logits in front,
        the logits of the full forward over prompt + tokens at positions P - 1 ... P + S - 1."""
        self = self.compute_view()
        p, s = prefix_kv[0].shape[1], tokens_S.shape[0]
        visible = jnp.concatenate([jnp.ones((s, p), bool), jnp.tril(jnp.ones((s, s), bool))], axis=1)
        x_SD, _ = self._blocks(self.embed_VD[tokens_S] + self.pos_TD[p:p + s], visible, prefix_kv)
        return _layer_norm(x_SD, self.lnf_scale, self.lnf_bias) @ self.unembed_DV

    def _blocks(self, x_SD, visible_SK, past_kv=None):
        """``x_SD`` (S new positions) through every block, each position attending to the keys and values
        ``past_kv`` of P earlier positions ((L, P, H, K) each; None: P = 0) and to the new ones, where
        ``visible_SK`` (S, P + S) allows. Returns the output and the new positions' keys and values,
        (L, S, H, K) each."""
        ks, vs = [], []
        for i, block in enumerate(self.blocks):
            q, k, v = block.qkv(x_SD)
            ks.append(k)
            vs.append(v)
            if past_kv is not None:
                k, v = jnp.concatenate([past_kv[0][i], k], axis=0), jnp.concatenate([past_kv[1][i], v], axis=0)
            x_SD = x_SD + block.attend(q, k, v, visible_SK)
            x_SD = x_SD + block.mlp(x_SD)
        return x_SD, (jnp.stack(ks), jnp.stack(vs))

    # ---- Policy interface ----------------------------------------------------------------------------
    def sample(self, key, prompt_P):
        from tsallis_theory.lm.sampling import sample_rollout

        return sample_rollout(self.compute_view(), key, prompt_P)

    def log_probs(self, prompt_P, rationale_R, answers_A):
        """log p(z|x) (sum over rationale positions) and log p(y_a|x, z) for each candidate answer."""
        task = self.task
        seq_T = jnp.concatenate([prompt_P, rationale_R.astype(prompt_P.dtype),
                                 jnp.array([task.ans, 0], prompt_P.dtype)])
        logp_TV = jax.nn.log_softmax(self(seq_T[:-1]).astype(jnp.float32), axis=-1)
        p, r = task.prompt_len, task.rationale_len
        logp_z = jnp.take_along_axis(logp_TV[p - 1:p - 1 + r], rationale_R[:, None], axis=-1).sum()
        return logp_z, logp_TV[-1][answers_A]

    def sample_group(self, keys_M2, prompt_P):
        """M rollouts of one prompt, as ``sample`` with each key, with the prompt's forward pass computed once
        (``prefix``) and only the continuation decoded (``sampling.sample_continuations``)."""
        from tsallis_theory.lm.sampling import sample_continuations

        return sample_continuations(self.compute_view(), keys_M2, prompt_P)

    def log_probs_group(self, prompt_P, rationale_MR, answers_MA):
        """``log_probs`` of M rollouts of one prompt, (logp_z_M, logp_y_MA), with the prompt's forward pass
        computed once (``prefix``, its gradient summed over the rollouts) and only the continuations run."""
        task = self.task
        prefix_kv, first_V = self.prefix(prompt_P)
        tokens_MS = jnp.concatenate([rationale_MR.astype(prompt_P.dtype),
                                     jnp.full((rationale_MR.shape[0], 1), task.ans, prompt_P.dtype)], axis=1)
        logits_MSV = jax.vmap(self.continuation_logits, in_axes=(None, 0))(prefix_kv, tokens_MS)
        r = task.rationale_len
        logits_MRV = jnp.concatenate([jnp.broadcast_to(first_V, (tokens_MS.shape[0], 1, first_V.shape[-1])),
                                      logits_MSV[:, :r - 1]], axis=1)
        logp_MRV = jax.nn.log_softmax(logits_MRV.astype(jnp.float32), axis=-1)
        logp_z_M = jnp.take_along_axis(logp_MRV, rationale_MR[..., None], axis=-1)[..., 0].sum(-1)
        logp_ans_MV = jax.nn.log_softmax(logits_MSV[:, -1].astype(jnp.float32), axis=-1)
        return logp_z_M, jnp.take_along_axis(logp_ans_MV, answers_MA, axis=-1)


def flops_per_token(task: TaskConfig, cfg: TransformerConfig) -> float:
    """Forward matmul FLOPs per token (2 per multiply-add), attention over the full sequence included."""
    d, f, v, t = cfg.d_model, cfg.d_ff, task.vocab_size, task.seq_len
    per_layer = 2 * (3 * d * d + d * d + 2 * d * f) + 2 * 2 * t * d
    return cfg.n_layers * per_layer + 2 * d * v


def step_tokens(task: TaskConfig, prompts: int, group_size: int, share_prompt: bool = False) -> int:
    """Token positions one pass over ``prompts`` × ``group_size`` rollouts computes (a forward over a
    rollout's first T − 1 tokens, or its T − 1 decode steps): B·M·(T − 1), or B·(P + M·(T − 1 − P)) when the
    M rollouts of a prompt share its P prompt positions (``Transformer.prefix``)."""
    t, p = task.seq_len - 1, task.prompt_len
    return prompts * (p + group_size * (t - p)) if share_prompt else prompts * group_size * t


def train_step_flops(task: TaskConfig, cfg: TransformerConfig, prompts: int, group_size: int,
                     share_prompt: bool = False, sampled: bool = True) -> float:
    """Matmul FLOPs of one train step over ``prompts`` × ``group_size`` rollouts: the rollouts' sampling (a
    forward's worth of decode steps, unless ``sampled`` is False: gold rationales), the surrogate's forward
    and its backward (twice a forward), each over ``step_tokens`` positions."""
    passes = 4 if sampled else 3
    return passes * step_tokens(task, prompts, group_size, share_prompt) * flops_per_token(task, cfg)


def evaluation_flops(task: TaskConfig, cfg: TransformerConfig, prompts: int, k: int,
                     share_prompt: bool = False) -> float:
    """Matmul FLOPs of one held-out evaluation (``evaluation.make_evaluator``): sampling k rollouts of each of
    ``prompts`` prompts, then a teacher-forced forward over them."""
    return 2 * step_tokens(task, prompts, k, share_prompt) * flops_per_token(task, cfg)
