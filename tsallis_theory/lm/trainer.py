"""The jitted trainer core for every method and every policy (claims LM-COLD, LM-WARM, LM-NOISE).

``make_trainer(task, cfg, policy)`` returns jitted pure functions over an explicit ``TrainState``:

    init(policy, cfg=None) -> TrainState
    train_chunk(state) -> (state, metrics)       cfg.chunk steps under lax.scan; metrics are (chunk,) arrays
    evaluate(params, seed=None) -> dict          held-out p@1, p@k, maj@k, mean P, contamination (``evaluation``)
    init_batch(policies, cfgs, run_mesh=None)    R runs' states stacked on a leading run axis (sharded over
                                                 ``run_mesh``'s devices, ``sharding.run_mesh``)
    train_chunk_batch(states)                    jax.vmap of train_chunk over the run axis; metrics (R, chunk)
    evaluate_batch(params, seeds) -> dict        held-out metrics of R runs, (R,) arrays
    compile_batch(states, seeds) -> dict         compile the two batched programs for that shape, running no
                                                 step; the seconds each took

What differs between the runs of a study (q, the schedule's switch step, the noise rate ε, the seed, the
learning rate, the clipping norm, the update-norm target, the training data (fresh or a fixed set), and the
coefficient rule among GARL, PAFT and GRPO) is data in the state (``RunKnobs``, the key), not a constant of
the compiled program: one trainer serves every run whose ``compile_key`` matches (garl-<q>, rb-rloo,
paft-<q>, grpo and schedule at any ε, seed, lr and training data share one compilation), one at a time or as
one batch.

One step: draw B fresh problems (with probability ε the training answer is the corrupted label), sample M
rollouts per prompt with the policy, compute log p(z|x), log p(y*|x,z), log p(ŷ|x,z) in one forward, turn
them into the method's coefficients (``objectives``), and descend the surrogate Σ c · log p (its gradient
is the estimator ĝ). Every random draw is ``fold_in(seed key, step)``, so a resumed run repeats an
uninterrupted one exactly, and sharding the batch over devices (``mesh``) does not change the draws.

Per-step metrics: mean_P (mean teacher-forced w on the clean label, an unbiased estimate of the mean
success probability P), contamination (mean w on the corrupted label), reward (hard verifier on sampled
answers, against the training label), max_advantage (largest per-rollout advantage, for GARL c_m/M^q:
the paper's Fig 3 signal), grad_norm (‖ĝ‖) and q.

This module computes and does no I/O: the host loop that runs chunks, evaluates between them, writes
checkpoints and shows progress is the study's (``tsallis_theory.studies._lm_loop.train``).
"""

from __future__ import annotations

import dataclasses
import time
from typing import Any, NamedTuple

import equinox as eqx
import jax
import jax.numpy as jnp
import optax

from tsallis_theory.lm import objectives as O
from tsallis_theory.lm.configs import TaskConfig, TrainConfig
from tsallis_theory.lm.evaluation import eval_key, make_evaluator
from tsallis_theory.lm.methods import RL_RULES, parse_method
from tsallis_theory.lm.policy import log_probs_batch, sample_batch
from tsallis_theory.lm.sharding import constrain_batch, shard_runs
from tsallis_theory.lm.task import training_batch


class RunKnobs(NamedTuple):
    """Per-run values the compiled step reads as data: the q plan (``objectives.q_plan``), ε, the
    optimiser's settings (learning rate, clipping norm, update-norm target; 0 turns the last two off), the
    coefficient rule (an index into ``methods.RL_RULES``; 0 for a method outside them) and the training
    data (``train_set``: 0 fresh problems, N a fixed set of N examples; ``task.training_batch``)."""

    q_before: jax.Array
    q_after: jax.Array
    switch: jax.Array
    noise_eps: jax.Array
    lr: jax.Array
    max_grad_norm: jax.Array
    update_norm: jax.Array
    rule: jax.Array
    train_set: jax.Array


def run_knobs(cfg: TrainConfig) -> RunKnobs:
    """The per-run values of ``cfg`` as arrays (floats in the float dtype in force, the switch step and the
    rule index as int32)."""
    method = parse_method(cfg.method)
    q_before, q_after, switch = O.q_plan(method, cfg.schedule_switch)
    rule = RL_RULES.index(method.rule) if method.rule in RL_RULES else 0
    dt = jnp.result_type(float)
    return RunKnobs(jnp.asarray(q_before, dt), jnp.asarray(q_after, dt), jnp.asarray(switch, jnp.int32),
                    jnp.asarray(cfg.noise_eps, dt), jnp.asarray(cfg.lr, dt), jnp.asarray(cfg.max_grad_norm, dt),
                    jnp.asarray(cfg.update_norm, dt), jnp.asarray(rule, jnp.int32),
                    jnp.asarray(cfg.train_set, jnp.int32))


# TrainConfig fields that are data of a run (its knobs, key or host loop), not constants of the program
RUN_FIELDS = ("steps", "noise_eps", "schedule_switch", "escape_delta", "escape_window", "stop_on_escape", "seed",
              "lr", "max_grad_norm", "update_norm", "train_set")


def compile_key(cfg: TrainConfig) -> tuple:
    """The fields that shape the compiled program: the method's coefficient rule and every TrainConfig field
    but the per-run ones (``RUN_FIELDS``, and the method's q). Runs with equal keys can share a trainer,
    and run as one batch (``Trainer.init_batch``)."""
    fields = {k: v for k, v in dataclasses.asdict(cfg).items() if k not in RUN_FIELDS and k != "method"}
    return (parse_method(cfg.method).compiled_kind, *sorted(fields.items()))


class TrainState(NamedTuple):
    params: Any
    opt_state: Any
    step: jax.Array
    key: jax.Array
    knobs: RunKnobs


class Trainer(NamedTuple):
    """The jitted functions of one compile key (``make_trainer``); ``*_batch`` take a leading run axis R."""

    init: Any
    train_chunk: Any
    evaluate: Any
    combine: Any
    init_batch: Any
    train_chunk_batch: Any
    evaluate_batch: Any
    compile_batch: Any


def make_optimizer(cfg: TrainConfig):
    """The learning-rate-free part of the optimiser: Adam's moment scaling, or the identity for SGD. The
    learning rate, clipping and update-norm target are per-run data (``RunKnobs``, ``apply_update``)."""
    return optax.scale_by_adam() if cfg.optimizer == "adam" else optax.identity()


def _scale_tree(tree, factor):
    return jax.tree.map(lambda u: u * factor.astype(u.dtype), tree)


def apply_update(optimizer, grads, opt_state, params, knobs: RunKnobs):
    """One optimiser step with the run's knobs: clip ĝ to global norm ``max_grad_norm`` (if > 0), apply the
    optimiser's scaling, multiply by −lr, then rescale the update to global norm ``update_norm`` (if > 0).
    With the knobs of ``optax.chain(clip_by_global_norm, sgd/adam)`` it is that optimiser."""
    g_norm = optax.tree.norm(grads)
    clip = jnp.where((knobs.max_grad_norm > 0) & (g_norm > knobs.max_grad_norm),
                     knobs.max_grad_norm / jnp.maximum(g_norm, 1e-30), 1.0)
    updates, opt_state = optimizer.update(_scale_tree(grads, clip), opt_state, params)
    updates = _scale_tree(updates, -knobs.lr)
    u_norm = optax.tree.norm(updates)
    to_norm = jnp.where(knobs.update_norm > 0, knobs.update_norm / jnp.maximum(u_norm, 1e-30), 1.0)
    return eqx.apply_updates(params, _scale_tree(updates, to_norm)), opt_state


def stack_runs(trees):
    """Stack pytrees of equal structure along a new leading run axis."""
    return jax.tree.map(lambda *xs: jnp.stack(xs), *trees)


def unstack_runs(tree, n: int):
    """The ``n`` per-run pytrees of a tree with a leading run axis."""
    return [jax.tree.map(lambda x: x[i], tree) for i in range(n)]


def make_trainer(task: TaskConfig, cfg: TrainConfig, policy, mesh=None, share_prompt: bool = False) -> Trainer:
    """Jitted init / train_chunk / evaluate for ``policy`` (an equinox Module implementing ``Policy``).

    With ``share_prompt`` the M rollouts of a prompt share its part of the forward pass, in sampling, in the
    surrogate's log-probabilities (whose gradient then sums over the rollouts through the shared prompt) and
    in the held-out evaluation, for policies that have the group methods (``policy.sample_batch``): the same
    numbers to float rounding, about P / T less work per rollout.

    With ``mesh`` (a 1-D ``jax.sharding.Mesh`` with axis "data", see ``sharding.py``) the prompt batch is
    sharded over devices and the parameters replicated: data-parallel training, same numbers.

    ``init(policy, other_cfg)`` starts a run of another config with the same ``compile_key`` on this trainer
    (ValueError otherwise); ``evaluate(params, seed)`` evaluates on that run's held-out prompts."""
    method = parse_method(cfg.method)
    kind = method.compiled_kind
    _, static = eqx.partition(policy, eqx.is_inexact_array)
    optimizer = make_optimizer(cfg)
    b, m = cfg.batch_prompts, cfg.group_size
    if mesh is not None and b % mesh.size:
        raise ValueError(f"batch_prompts ({b}) must be divisible by the number of devices ({mesh.size})")

    def shard(x):
        return constrain_batch(x, mesh)

    def combine(params):
        return eqx.combine(params, static)

    def init(policy_, run_cfg: TrainConfig | None = None):
        run_cfg = cfg if run_cfg is None else run_cfg
        if compile_key(run_cfg) != compile_key(cfg):
            raise ValueError(f"this trainer was compiled for {cfg.method!r} with other settings; a run of "
                             f"{run_cfg.method!r} needs its own make_trainer (compile_key differs)")
        params = eqx.filter(policy_, eqx.is_inexact_array)
        return TrainState(params, optimizer.init(params), jnp.zeros((), jnp.int32),
                          jax.random.PRNGKey(run_cfg.seed), run_knobs(run_cfg))

    def train_step(state: TrainState, _):
        key = jax.random.fold_in(state.key, state.step)
        k_prob, k_noise, k_samp, k_est = jax.random.split(key, 4)
        probs, clean_B, bad_B, flip_B, train_B = training_batch(task, state.key, k_prob, k_noise, b,
                                                                state.knobs.noise_eps, state.knobs.train_set)
        prompt_BP = shard(probs.prompt)
        policy_ = combine(state.params)
        if method.uses_gold_rationale:
            rationale_BMR = jnp.broadcast_to(probs.rationale[:, None], (b, m, task.rationale_len))
            hat_BM = jnp.broadcast_to(train_B[:, None], (b, m))
        else:
            keys = shard(jax.random.split(k_samp, b * m).reshape(b, m, -1))
            rationale_BMR, hat_BM = sample_batch(policy_, keys, prompt_BP, share_prompt)
        answers_BMA = jnp.stack([jnp.broadcast_to(clean_B[:, None], (b, m)),
                                 jnp.broadcast_to(bad_B[:, None], (b, m)), hat_BM], axis=-1)
        reward_BM = (hat_BM == train_B[:, None]).astype(jnp.float32)
        q = O.q_at(state.step, *state.knobs[:3])

        def surrogate(params):
            logp_z_BM, logp_y_BMA = log_probs_batch(combine(params), prompt_BP, rationale_BMR, answers_BMA,
                                                    share_prompt)
            logp_gold_BM = jnp.where(flip_B[:, None], logp_y_BMA[..., 1], logp_y_BMA[..., 0])
            log_w_BM = jax.lax.stop_gradient(logp_gold_BM)
            if kind == "rl":  # GARL, PAFT or GRPO, chosen by the run's knob
                coef = O.rl_coefficients(state.knobs.rule, k_est, log_w_BM, reward_BM, q, lr_rescale=cfg.lr_rescale)
            else:
                coef = O.coefficients(kind, k_est, log_w_BM, reward_BM, q, lr_rescale=cfg.lr_rescale)
            coef = jax.tree.map(jax.lax.stop_gradient, coef)
            total = (coef.c_z * logp_z_BM + coef.c_gold * logp_gold_BM + coef.c_hat * logp_y_BMA[..., 2]).sum()
            return (total / b).astype(jnp.float32), (logp_y_BMA, coef.advantage)

        grads, (logp_y_BMA, adv_BM) = jax.grad(surrogate, has_aux=True)(state.params)
        params, opt_state = apply_update(optimizer, grads, state.opt_state, state.params, state.knobs)
        w_BMA = jnp.exp(logp_y_BMA.astype(jnp.float32))
        metrics = {
            "mean_P": w_BMA[..., 0].mean(),
            "contamination": w_BMA[..., 1].mean(),
            "reward": reward_BM.mean(),
            "max_advantage": adv_BM.max().astype(jnp.float32),
            "grad_norm": optax.tree.norm(grads).astype(jnp.float32),
            "q": jnp.asarray(q, jnp.float32),
        }
        return TrainState(params, opt_state, state.step + 1, state.key, state.knobs), metrics

    @eqx.filter_jit
    def train_chunk(state: TrainState):
        return jax.lax.scan(train_step, state, None, length=cfg.chunk)

    held_out = make_evaluator(task, policy, cfg.eval_prompts, cfg.eval_k, mesh, share_prompt)

    def evaluate(params, seed: int | None = None):
        return held_out(params, eval_key(cfg.seed if seed is None else seed))

    def init_batch(policies, run_cfgs, run_mesh=None):
        """The states of R runs (one policy and one TrainConfig each, all of this trainer's compile key)
        stacked along a leading run axis, which ``run_mesh`` (``sharding.run_mesh``) shards over its
        devices (R must then be a multiple of its size)."""
        if len(policies) != len(run_cfgs) or not run_cfgs:
            raise ValueError(f"init_batch needs one policy per run config; got {len(policies)} and {len(run_cfgs)}")
        keys = {compile_key(c) for c in run_cfgs}
        if keys != {compile_key(cfg)}:
            names = sorted({c.method for c in run_cfgs})
            raise ValueError(f"runs with different compile keys cannot share a batch (methods {', '.join(names)}); "
                             f"group runs by trainer.compile_key")
        return shard_runs(stack_runs([init(p, c) for p, c in zip(policies, run_cfgs)]), run_mesh)

    @eqx.filter_jit
    def train_chunk_batch(states: TrainState):
        return jax.vmap(lambda s: jax.lax.scan(train_step, s, None, length=cfg.chunk))(states)

    batched_held_out = eqx.filter_jit(jax.vmap(held_out))

    def eval_keys(seeds):
        return jnp.stack([eval_key(s) for s in seeds])

    def evaluate_batch(params, seeds):
        """Held-out metrics of R runs (``params`` with a leading run axis, one seed each): dict of (R,) arrays."""
        return batched_held_out(params, eval_keys(seeds))

    def compile_batch(states: TrainState, seeds) -> dict[str, float]:
        """Compile ``train_chunk_batch`` and ``evaluate_batch`` for batches shaped as ``states`` (R runs, one
        seed each) without running a step: their first call with such a batch then runs at once. Safe to
        call from another thread while this trainer trains (``_lm_loop.Trainers.compile_ahead``). Returns
        the seconds each took to lower and compile: {"train_chunk": s, "evaluate": s}."""
        started = time.perf_counter()
        train_chunk_batch.lower(states).compile()
        middle = time.perf_counter()
        batched_held_out.lower(states.params, eval_keys(seeds)).compile()
        return {"train_chunk": middle - started, "evaluate": time.perf_counter() - middle}

    return Trainer(init, train_chunk, evaluate, combine, init_batch, train_chunk_batch, evaluate_batch, compile_batch)


def first_crossing(values, threshold, window: int = 1) -> int | None:
    """First index i with mean(values[i:i+window]) >= threshold (complete windows only), or None."""
    for i in range(len(values) - window + 1):
        if sum(values[i:i + window]) / window >= threshold:
            return i
    return None
