"""Base checkpoints with a controlled cold start (claims LM-COLD, LM-WARM, LM-NOISE).

Procedure (docs/lm.md), all supervised (cross-entropy on gold rationale and answer, Adam):

1. Stage A ("warm"): ``warm_steps`` steps on gold sequences whose answer is written in the target digit
   alphabet with probability ``warm_digit_frac`` and in the letter alphabet otherwise. The model learns
   the reasoning (the rationale) and splits its answer mass between the two alphabets: P ≈ warm_digit_frac.
2. Stage B ("cold"): continue on letter-only answers. The digit mass decays; every ``measure_every``
   steps p0 is measured on held-out prompts, and the first checkpoint at or below each target in
   ``p0_targets`` is kept. The rationale skill is unchanged (same gold rationales), only the output
   format drifts, like an LM that can reason but was never told the answer format (the paper's cold start).

p0 is the measured mean P = E_x E_{z~p(z|x)} p(y*|x, z) on ``measure_prompts`` held-out prompts with
``measure_k`` rationales each (teacher-forced w, an unbiased estimate), never assumed.
"""

from __future__ import annotations

import dataclasses
from typing import Any

import equinox as eqx
import jax
import jax.numpy as jnp
import optax

from tsallis_theory.lm import checkpoints as C
from tsallis_theory.lm.task import TaskConfig, assemble, sample_problems
from tsallis_theory.lm.trainer import TrainConfig, make_trainer
from tsallis_theory.lm.transformer import Transformer, TransformerConfig


@dataclasses.dataclass(frozen=True)
class PretrainConfig:
    """Base-checkpoint procedure.

    Attributes:
      warm_steps: minimum stage A steps (mixed answer alphabets).
      warm_max_steps: stage A continues (in blocks of 100 steps) until the held-out rationale accuracy
        reaches ``warm_min_rationale_acc``, at most this many steps (the reasoning skill appears after a
        plateau whose length varies with the seed).
      warm_min_rationale_acc: rationale accuracy that ends stage A.
      warm_digit_frac: probability that a stage-A answer uses the target digit alphabet.
      cold_max_steps: cap on stage B steps (letter-only answers).
      p0_targets: decreasing p0 levels at which stage-B checkpoints are kept.
      measure_every: stage-B steps between p0 measurements.
      measure_prompts: held-out prompts per p0 measurement.
      measure_k: rationales sampled per prompt per p0 measurement.
      batch: sequences per step.
      lr_warm: Adam learning rate of stage A.
      lr_cold: Adam learning rate of stage B (small, so that p0 decays through the targets gradually).
      seed: seed of the initialisation and the data.
    """

    warm_steps: int = 600
    warm_max_steps: int = 4000
    warm_min_rationale_acc: float = 0.95
    warm_digit_frac: float = 0.9
    cold_max_steps: int = 3000
    p0_targets: tuple[float, ...] = (0.3, 0.1, 0.03, 0.01, 0.003, 0.001)
    measure_every: int = 5
    measure_prompts: int = 256
    measure_k: int = 8
    batch: int = 64
    lr_warm: float = 1e-3
    lr_cold: float = 1e-4
    seed: int = 0

    def __post_init__(self):
        if not 0.0 < self.warm_digit_frac <= 1.0:
            raise ValueError(f"warm_digit_frac must be in (0, 1]; got {self.warm_digit_frac}")
        t = tuple(self.p0_targets)
        if not t or any(not 0 < x < 1 for x in t) or list(t) != sorted(t, reverse=True):
            raise ValueError(f"p0_targets must be decreasing values in (0, 1); got {t}")


def _sft_step_fn(task: TaskConfig, batch: int, digit_frac: float, optimizer):
    p, r = task.prompt_len, task.rationale_len

    def loss(model, seq_NT):
        logp_NTV = jax.nn.log_softmax(jax.vmap(model)(seq_NT[:, :-1]).astype(jnp.float32), -1)
        tok_NT = jnp.take_along_axis(logp_NTV, seq_NT[:, 1:, None], -1)[..., 0]
        supervised = jnp.arange(1, task.seq_len) >= p  # rationale, ANS marker and answer
        return -(tok_NT * supervised).sum(-1).mean()

    @eqx.filter_jit
    def step(model, opt_state, key):
        k_prob, k_fmt = jax.random.split(key)
        probs = sample_problems(k_prob, task, batch)
        digit = jax.random.bernoulli(k_fmt, digit_frac, (batch,))
        ans = jnp.where(digit, task.digit(probs.answer), task.letter(probs.answer))
        seq = assemble(task, probs.prompt, probs.rationale, ans)
        value, grads = eqx.filter_value_and_grad(loss)(model, seq)
        updates, opt_state = optimizer.update(grads, opt_state, eqx.filter(model, eqx.is_inexact_array))
        return eqx.apply_updates(model, updates), opt_state, value

    return step


def base_config(task: TaskConfig, model_cfg: TransformerConfig, pre: PretrainConfig) -> dict[str, Any]:
    return {"task": dataclasses.asdict(task), "model": dataclasses.asdict(model_cfg),
            "pretrain": dataclasses.asdict(pre)}


def measure(task: TaskConfig, model, pre: PretrainConfig, evaluator=None) -> dict[str, float]:
    """Held-out mean P (p0), p@1, maj@k and rationale accuracy of ``model`` on the target task."""
    if evaluator is None:
        cfg = TrainConfig(method="sft", eval_prompts=pre.measure_prompts, eval_k=pre.measure_k, seed=pre.seed + 7)
        evaluator = make_trainer(task, cfg, model).evaluate
    ev = evaluator(eqx.filter(model, eqx.is_inexact_array))
    return {k: float(v) for k, v in ev.items()}


def build_bases(task: TaskConfig, model_cfg: TransformerConfig, pre: PretrainConfig, out_dir,
                progress: bool = True, strict: bool = True) -> list[dict[str, Any]]:
    """Run (or reuse) the procedure; returns one record per base checkpoint:
    {"name", "path", "steps", "p0", ...held-out metrics}. Names: "warm", "cold-<target>".

    ``strict``: raise if stage B ends before every p0 target is reached (else return those reached)."""
    from pathlib import Path

    from tqdm.auto import tqdm

    out = Path(out_dir)
    config = base_config(task, model_cfg, pre)
    key = jax.random.PRNGKey(pre.seed)
    model = Transformer(jax.random.fold_in(key, 0), task, model_cfg)
    cfg_eval = TrainConfig(method="sft", eval_prompts=pre.measure_prompts, eval_k=pre.measure_k, seed=pre.seed + 7)
    evaluator = make_trainer(task, cfg_eval, model).evaluate
    if C.exists(out / "done"):  # reuse
        _, extra = C.load(out / "done", {}, config, kind="bases")
        return extra["records"]

    warm_opt = optax.adam(pre.lr_warm)
    step = _sft_step_fn(task, pre.batch, pre.warm_digit_frac, warm_opt)
    opt_state = warm_opt.init(eqx.filter(model, eqx.is_inexact_array))
    bar = tqdm(total=pre.warm_steps, desc="pretrain stage A", leave=False, disable=not progress)
    i, ev = 0, {"rationale_acc": 0.0}
    while i < pre.warm_steps or (ev["rationale_acc"] < pre.warm_min_rationale_acc and i < pre.warm_max_steps):
        model, opt_state, _ = step(model, opt_state, jax.random.fold_in(key, 1 + i))
        i += 1
        bar.update(1)
        if i % 100 == 0:
            ev = measure(task, model, pre, evaluator)
            bar.set_postfix(rationale_acc=f"{ev['rationale_acc']:.3f}")
    bar.close()
    rec = {"name": "warm", "path": str(out / "warm"), "stage": "A", "steps": i, **measure(task, model, pre, evaluator)}
    warm_steps = i
    rec["p0"] = rec["eval_mean_P"]
    C.save(out / "warm", model, config, kind="base", extra=rec)
    records = [rec]

    cold_opt = optax.adam(pre.lr_cold)
    step = _sft_step_fn(task, pre.batch, 0.0, cold_opt)
    opt_state = cold_opt.init(eqx.filter(model, eqx.is_inexact_array))
    targets = list(pre.p0_targets)
    bar = tqdm(range(1, pre.cold_max_steps + 1), desc="pretrain stage B", leave=False, disable=not progress)
    for i in bar:
        model, opt_state, _ = step(model, opt_state, jax.random.fold_in(key, 10_000_000 + i))
        if i % pre.measure_every:
            continue
        ev = measure(task, model, pre, evaluator)
        bar.set_postfix(p0=f"{ev['eval_mean_P']:.3g}")
        while targets and ev["eval_mean_P"] <= targets[0]:
            name = f"cold-{targets[0]:g}"
            rec = {"name": name, "path": str(out / name), "stage": "B", "target": targets[0],
                   "steps": warm_steps + i, **ev, "p0": ev["eval_mean_P"]}
            C.save(out / name, model, config, kind="base", extra=rec)
            records.append(rec)
            targets.pop(0)
        if not targets:
            break
    if targets and strict:
        raise RuntimeError(f"stage B reached p0 = {ev['eval_mean_P']:.3g} after {pre.cold_max_steps} steps; "
                           f"targets {targets} not reached (raise cold_max_steps or lr_cold)")
    C.save(out / "done", {}, config, kind="bases", extra={"records": records})
    return records


def load_base(path, task: TaskConfig, model_cfg: TransformerConfig, pre: PretrainConfig):
    """A base checkpoint as a Transformer (ValueError for another config or a corrupted file)."""
    like = Transformer(jax.random.PRNGKey(0), task, model_cfg)
    return C.load(path, like, base_config(task, model_cfg, pre), kind="base")
