"""One training loop for every method and every policy (claims LM-COLD, LM-WARM, LM-NOISE).

``make_trainer(task, cfg, policy)`` returns jitted pure functions over an explicit ``TrainState``:

    init(policy, cfg=None) -> TrainState
    train_chunk(state) -> (state, metrics)       cfg.chunk steps under lax.scan; metrics are (chunk,) arrays
    evaluate(params, seed=None) -> dict          held-out p@1, p@k, maj@k, mean P, contamination

What differs between the runs of a study (q, the schedule's switch step, the noise rate ε, the seed) is data
in the state (``RunKnobs``, the key), not a constant of the compiled program: one trainer serves every run
whose ``compile_key`` matches (garl-<q>, rb-rloo and schedule at any ε and seed share one compilation).

One step: draw B fresh problems (with probability ε the training answer is the corrupted label), sample M
rollouts per prompt with the policy, compute log p(z|x), log p(y*|x,z), log p(ŷ|x,z) in one forward, turn
them into the method's coefficients (``objectives``), and descend the surrogate Σ c · log p (its gradient
is the estimator ĝ). Every random draw is ``fold_in(seed key, step)``, so a resumed run repeats an
uninterrupted one exactly, and sharding the batch over devices (``mesh``) does not change the draws.

Per-step metrics: mean_P (mean teacher-forced w on the clean label, an unbiased estimate of the mean
success probability P), contamination (mean w on the corrupted label), reward (hard verifier on sampled
answers, against the training label), max_advantage (largest per-rollout advantage, for GARL c_m/M^q:
the paper's Fig 3 signal), grad_norm (‖ĝ‖) and q.
"""

from __future__ import annotations

import dataclasses
from typing import Any, NamedTuple

import equinox as eqx
import jax
import jax.numpy as jnp
import optax

from tsallis_theory.lm import objectives as O
from tsallis_theory.lm.task import TaskConfig, corrupt, rationale_correct, sample_problems, verify

EVAL_FOLD = 1_000_003  # fold_in constant separating held-out prompts from training draws


@dataclasses.dataclass(frozen=True)
class TrainConfig:
    """One training run.

    Attributes:
      method: grpo | rb-rloo | garl-<q> | paft-<q> | schedule | sft (see ``objectives``).
      steps: number of optimiser steps (the budget).
      batch_prompts: B, fresh prompts per step (divisible by the number of devices when sharded).
      group_size: M, rollouts per prompt (the paper uses 32); M >= 2.
      lr: learning rate.
      optimizer: "sgd" (the theory's gradient flow, discretised; default) or "adam".
      max_grad_norm: clip ‖ĝ‖ to this value; 0 disables clipping.
      lr_rescale: multiply GARL/PAFT by M^{-q} as the paper's Alg 1/2 do.
      noise_eps: ε, probability that a training answer is replaced by the corrupted label (LM-NOISE).
      schedule_switch: step at which the ``schedule`` method switches from q = 1 to q = 0.
      escape_delta: δ, the theory's fixed target (δ = 1/2).
      escape_window: escape = first step t whose mean_P averaged over steps t..t+window-1 reaches δ (the
        average smooths the per-step estimate; with window 1 it is the first single-step crossing).
      stop_on_escape: end the run at the end of the chunk in which it escaped.
      chunk: steps per jitted scan; held-out evaluation and checkpoints happen between chunks.
      eval_prompts: E, held-out prompts for evaluation.
      eval_k: k, samples per held-out prompt for p@k and maj@k.
      seed: seed of every random draw of the run.
    """

    method: str = "garl-1"
    steps: int = 100
    batch_prompts: int = 8
    group_size: int = 8
    lr: float = 0.1
    optimizer: str = "sgd"
    max_grad_norm: float = 0.0
    lr_rescale: bool = False
    noise_eps: float = 0.0
    schedule_switch: int = 50
    escape_delta: float = 0.5
    escape_window: int = 10
    stop_on_escape: bool = False
    chunk: int = 10
    eval_prompts: int = 64
    eval_k: int = 8
    seed: int = 0

    def __post_init__(self):
        O.parse_method(self.method)
        for name, low in (("steps", 1), ("batch_prompts", 1), ("group_size", 2), ("chunk", 1), ("escape_window", 1),
                          ("eval_prompts", 1), ("eval_k", 1)):
            if int(getattr(self, name)) < low:
                raise ValueError(f"{name} must be >= {low}; got {getattr(self, name)}")
        if not self.lr > 0:
            raise ValueError(f"lr must be > 0; got {self.lr}")
        if self.optimizer not in ("sgd", "adam"):
            raise ValueError(f"optimizer must be 'sgd' or 'adam'; got {self.optimizer!r}")
        if not 0.0 <= self.noise_eps < 0.5:
            raise ValueError(f"noise_eps must be in [0, 0.5); got {self.noise_eps}")
        if not 0.0 < self.escape_delta <= 1.0:
            raise ValueError(f"escape_delta must be in (0, 1]; got {self.escape_delta}")
        if self.max_grad_norm < 0:
            raise ValueError(f"max_grad_norm must be >= 0; got {self.max_grad_norm}")


class RunKnobs(NamedTuple):
    """Per-run values the compiled step reads as data: the q plan (``objectives.q_plan``) and ε."""

    q_before: jax.Array
    q_after: jax.Array
    switch: jax.Array
    noise_eps: jax.Array


def run_knobs(cfg: TrainConfig) -> RunKnobs:
    """The per-run values of ``cfg`` as arrays (q in the float dtype in force, the switch step as int32)."""
    q_before, q_after, switch = O.q_plan(O.parse_method(cfg.method), cfg.schedule_switch)
    dt = jnp.result_type(float)
    return RunKnobs(jnp.asarray(q_before, dt), jnp.asarray(q_after, dt), jnp.asarray(switch, jnp.int32),
                    jnp.asarray(cfg.noise_eps, dt))


RUN_FIELDS = ("steps", "noise_eps", "schedule_switch", "escape_delta", "escape_window", "stop_on_escape", "seed")


def compile_key(cfg: TrainConfig) -> tuple:
    """The fields that shape the compiled program: the method's coefficient rule and every TrainConfig field
    but the per-run ones (``RUN_FIELDS``, and the method's q). Runs with equal keys can share a trainer."""
    fields = {k: v for k, v in dataclasses.asdict(cfg).items() if k not in RUN_FIELDS and k != "method"}
    return (O.parse_method(cfg.method).compiled_kind, *sorted(fields.items()))


def eval_key(seed: int):
    """The key of a run's held-out prompts and samples (the same prompts at every evaluation of the run)."""
    return jax.random.fold_in(jax.random.PRNGKey(seed), EVAL_FOLD)


class TrainState(NamedTuple):
    params: Any
    opt_state: Any
    step: jax.Array
    key: jax.Array
    knobs: RunKnobs


class Trainer(NamedTuple):
    init: Any
    train_chunk: Any
    evaluate: Any
    combine: Any


def make_optimizer(cfg: TrainConfig):
    opt = optax.sgd(cfg.lr) if cfg.optimizer == "sgd" else optax.adam(cfg.lr)
    return optax.chain(optax.clip_by_global_norm(cfg.max_grad_norm), opt) if cfg.max_grad_norm > 0 else opt


def _rollouts(policy, keys_BM2, prompt_BP):
    return jax.vmap(jax.vmap(policy.sample, in_axes=(0, None)), in_axes=(0, 0))(keys_BM2, prompt_BP)


def _log_probs(policy, prompt_BP, rationale_BMR, answers_BMA):
    per_prompt = jax.vmap(policy.log_probs, in_axes=(None, 0, 0))
    return jax.vmap(per_prompt, in_axes=(0, 0, 0))(prompt_BP, rationale_BMR, answers_BMA)


def make_trainer(task: TaskConfig, cfg: TrainConfig, policy, mesh=None) -> Trainer:
    """Jitted init / train_chunk / evaluate for ``policy`` (an equinox Module implementing ``Policy``).

    With ``mesh`` (a 1-D ``jax.sharding.Mesh`` with axis "data", see ``sharding.py``) the prompt batch is
    sharded over devices and the parameters replicated: data-parallel training, same numbers.

    ``init(policy, other_cfg)`` starts a run of another config with the same ``compile_key`` on this trainer
    (ValueError otherwise); ``evaluate(params, seed)`` evaluates on that run's held-out prompts."""
    method = O.parse_method(cfg.method)
    kind = method.compiled_kind
    params0, static = eqx.partition(policy, eqx.is_inexact_array)
    optimizer = make_optimizer(cfg)
    b, m = cfg.batch_prompts, cfg.group_size
    if mesh is not None and b % mesh.size:
        raise ValueError(f"batch_prompts ({b}) must be divisible by the number of devices ({mesh.size})")

    def shard(x):
        if mesh is None:
            return x
        from tsallis_theory.lm.sharding import batch_sharding

        return jax.lax.with_sharding_constraint(x, batch_sharding(mesh, x.ndim))

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
        probs = sample_problems(k_prob, task, b)
        prompt_BP = shard(probs.prompt)
        clean_B = task.digit(probs.answer)
        bad_B = task.digit(corrupt(task, probs.answer))
        flip_B = jax.random.bernoulli(k_noise, state.knobs.noise_eps, (b,))
        train_B = jnp.where(flip_B, bad_B, clean_B)
        policy_ = combine(state.params)
        if method.uses_gold_rationale:
            rationale_BMR = jnp.broadcast_to(probs.rationale[:, None], (b, m, task.rationale_len))
            hat_BM = jnp.broadcast_to(train_B[:, None], (b, m))
        else:
            keys = shard(jax.random.split(k_samp, b * m).reshape(b, m, -1))
            rationale_BMR, hat_BM = _rollouts(policy_, keys, prompt_BP)
        answers_BMA = jnp.stack([jnp.broadcast_to(clean_B[:, None], (b, m)),
                                 jnp.broadcast_to(bad_B[:, None], (b, m)), hat_BM], axis=-1)
        reward_BM = (hat_BM == train_B[:, None]).astype(jnp.float32)
        q = O.q_at(state.step, *state.knobs[:3])

        def surrogate(params):
            logp_z_BM, logp_y_BMA = _log_probs(combine(params), prompt_BP, rationale_BMR, answers_BMA)
            logp_gold_BM = jnp.where(flip_B[:, None], logp_y_BMA[..., 1], logp_y_BMA[..., 0])
            coef = O.coefficients(kind, k_est, jax.lax.stop_gradient(logp_gold_BM), reward_BM, q,
                                  lr_rescale=cfg.lr_rescale)
            coef = jax.tree.map(jax.lax.stop_gradient, coef)
            total = (coef.c_z * logp_z_BM + coef.c_gold * logp_gold_BM + coef.c_hat * logp_y_BMA[..., 2]).sum()
            return (total / b).astype(jnp.float32), (logp_y_BMA, coef.advantage)

        grads, (logp_y_BMA, adv_BM) = jax.grad(surrogate, has_aux=True)(state.params)
        updates, opt_state = optimizer.update(grads, state.opt_state, state.params)
        params = eqx.apply_updates(state.params, updates)
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

    def evaluate(params, seed: int | None = None):
        return _evaluate(params, eval_key(cfg.seed if seed is None else seed))

    @eqx.filter_jit
    def _evaluate(params, key):
        policy_ = combine(params)
        e, k = cfg.eval_prompts, cfg.eval_k
        k_prob, k_samp = jax.random.split(key)
        probs = sample_problems(k_prob, task, e)
        prompt = shard(probs.prompt)
        rationale_EKR, ans_EK = _rollouts(policy_, shard(jax.random.split(k_samp, e * k).reshape(e, k, -1)), prompt)
        clean = task.digit(probs.answer)
        answers = jnp.stack([jnp.broadcast_to(clean[:, None], (e, k)),
                             jnp.broadcast_to(task.digit(corrupt(task, probs.answer))[:, None], (e, k))], -1)
        _, logp_EKA = _log_probs(policy_, prompt, rationale_EKR, answers)
        w = jnp.exp(logp_EKA.astype(jnp.float32))
        correct_EK = verify(task, ans_EK, probs.answer[:, None])
        votes_EV = jax.nn.one_hot(ans_EK, task.vocab_size).sum(1)
        maj_E = jnp.argmax(votes_EV, axis=-1)  # ties go to the lowest token id
        rat = jax.vmap(lambda r: rationale_correct(task, prompt, r), in_axes=1, out_axes=1)(rationale_EKR)
        return {
            "eval_mean_P": w[..., 0].mean(),
            "eval_contamination": w[..., 1].mean(),
            "p@1": correct_EK.mean(),
            f"p@{k}": correct_EK.max(1).mean(),
            f"maj@{k}": verify(task, maj_E, probs.answer).mean(),
            "rationale_acc": rat.mean(),
        }

    return Trainer(init, train_chunk, evaluate, combine)


def first_crossing(values, threshold, window: int = 1) -> int | None:
    """First index i with mean(values[i:i+window]) >= threshold (complete windows only), or None."""
    for i in range(len(values) - window + 1):
        if sum(values[i:i + window]) / window >= threshold:
            return i
    return None


def run_config(task: TaskConfig, cfg: TrainConfig, policy_desc: dict[str, Any]) -> dict[str, Any]:
    """What a training checkpoint must match to be resumed: task, policy and every TrainConfig field
    except the budget ``steps`` (a run may be extended)."""
    train = dataclasses.asdict(cfg)
    train.pop("steps")
    return {"task": dataclasses.asdict(task), "policy": policy_desc, "train": train}


def train(task: TaskConfig, cfg: TrainConfig, policy, *, policy_desc: dict[str, Any] | None = None,
          checkpoint=None, trainer: Trainer | None = None, mesh=None, progress: bool = True,
          desc: str = "train") -> tuple[Any, dict[str, Any]]:
    """Run ``cfg.steps`` steps (in chunks), evaluating and checkpointing between chunks.

    Resumes from ``checkpoint`` (a path without suffix) when it exists; a checkpoint from another config
    or a corrupted one raises ValueError. Returns (trained policy, history) where history holds the
    per-step metrics (lists), the held-out evaluations (one dict per chunk, with its step) and
    ``escape_step`` (1-based step at which the windowed mean_P first reaches δ, or None)."""
    from tqdm.auto import tqdm

    from tsallis_theory.lm import checkpoints as C

    trainer = trainer or make_trainer(task, cfg, policy, mesh)
    state = trainer.init(policy, cfg)
    history: dict[str, Any] = {"steps": {}, "evals": [], "escape_step": None}
    config = run_config(task, cfg, policy_desc or {"type": type(policy).__name__})
    if checkpoint is not None and C.exists(checkpoint):
        state, history = C.load(checkpoint, state, config, kind="train")
    if not history["evals"]:
        history["evals"].append({"step": 0,
                                 **{k: float(v) for k, v in trainer.evaluate(state.params, cfg.seed).items()}})
    done = int(state.step)
    bar = tqdm(total=cfg.steps, initial=min(done, cfg.steps), desc=desc, unit="step", leave=False,
               disable=not progress)
    while done < cfg.steps and not (cfg.stop_on_escape and history["escape_step"] is not None):
        state, metrics = trainer.train_chunk(state)
        for k, v in metrics.items():
            history["steps"].setdefault(k, []).extend(float(x) for x in v)
        done = int(state.step)
        history["evals"].append({"step": done,
                                 **{k: float(v) for k, v in trainer.evaluate(state.params, cfg.seed).items()}})
        if history["escape_step"] is None:
            hit = first_crossing(history["steps"]["mean_P"], cfg.escape_delta, cfg.escape_window)
            history["escape_step"] = None if hit is None else hit + 1
        if checkpoint is not None:
            C.save(checkpoint, state, config, kind="train", extra=history)
        bar.update(cfg.chunk)
        bar.set_postfix(P=f"{history['steps']['mean_P'][-1]:.3g}")
    bar.close()
    return trainer.combine(state.params), history
