"""Base checkpoints with a controlled cold start (claims LM-COLD, LM-WARM, LM-NOISE).

Procedure (docs/lm.md), all supervised (cross-entropy on gold rationale and answer, Adam):

1. Stage A ("warm", ``warm_stage``): at least ``warm_steps`` steps on gold sequences whose answer is
   written in the target digit alphabet with probability ``warm_digit_frac`` and in the letter alphabet
   otherwise, continued until the held-out rationale accuracy reaches ``warm_min_rationale_acc``. The model
   learns the reasoning (the rationale) and splits its answer mass between the alphabets: P ≈ warm_digit_frac.
   On the way, p0 is measured every ``measure_every`` steps and the first model at or above each of
   ``warm_p0_targets`` is kept as ``warm-<target>``, chosen by a measured target rather than a step count
   (on the cpu model it already reasons correctly: the final addition is learned last, docs/lm.md).
2. Stage S ("slips", ``slip_stage``; only with ``slip_p0_targets``): continue from the warm model on chains
   that hold, with probability ``slip_rate`` = r, one slip (``slip_chains``): one intermediate value s_j
   (j uniform in 1..L-1) is off by u ~ U{1..m-1}, and every later value and the answer are carried forward
   from it, so the answer is right iff the rationale is. Answers are in digits with probability
   ``warm_digit_frac``, as in stage A. The model learns to slip: p0 falls from the warm model's towards
   warm_digit_frac · (1 - r), through rationale errors, and the first model at or below each of
   ``slip_p0_targets`` is kept as ``slip-<target>``: a base with P ≈ 0.5 whose rollouts of one prompt differ
   in their rationales (the LM-WARM base; the warm targets of stage A are crossed inside a short transition
   in which the rationale is already learned, docs/lm.md).
3. Stage B ("cold", ``cold_stage``): continue from the warm model on letter-only answers. The digit mass
   decays; every ``measure_every`` steps p0 is measured on held-out prompts, and the first model at or below
   each target in ``p0_targets`` is kept as base ``cold-<target>``. The rationale skill is unchanged (same
   gold rationales), only the output format drifts, like an LM that can reason but was never told the
   answer format (the paper's cold start).

p0 is the measured mean P = E_x E_{z~p(z|x)} p(y*|x, z) on ``measure_prompts`` held-out prompts with
``measure_k`` rationales each (teacher-forced w, an unbiased estimate; ``evaluation``), never assumed.

The stages are generators of ``Progress`` events (one per step), so that whoever runs them decides about
progress display and checkpoint files; this module computes only.
"""

from __future__ import annotations

from typing import Any, Callable, Iterator, NamedTuple

import equinox as eqx
import jax
import jax.numpy as jnp
import optax

from tsallis_theory.lm.configs import (PretrainConfig, TaskConfig, TransformerConfig, cold_base_name, slip_base_name,
                                       warm_base_name)
from tsallis_theory.lm.evaluation import eval_key, make_evaluator
from tsallis_theory.lm.task import Problems, assemble, sample_problems
from tsallis_theory.lm.transformer import Transformer

WARM_MEASURE_EVERY = 100  # stage A checks its rationale accuracy every this many steps
COLD_FOLD = 10_000_000  # fold_in offset of stage B's data keys (stage A uses 1 + step)
SLIP_FOLD = 20_000_000  # fold_in offset of stage S's data keys
SLIP_DRAW = 4_000_037  # fold_in constant of a step's slip draws (fold_in(key, i) for small i is split(key)'s child i)


class Progress(NamedTuple):
    """One step of a stage.

    Attributes:
      step: steps done in this stage.
      model: the model after them.
      metrics: held-out metrics when measured at this step (``measure``), else None.
      kept: base records kept at this step, each a checkpoint of ``model``: {"name", "stage", "steps",
        "p0", "target" (the p0 target it met, except the end of stage A), ...held-out metrics}.
    """

    step: int
    model: Any
    metrics: dict[str, float] | None = None
    kept: tuple[dict[str, Any], ...] = ()


def init_model(task: TaskConfig, model_cfg: TransformerConfig, pre: PretrainConfig) -> Transformer:
    """The untrained transformer of the procedure (its initialisation is keyed by ``pre.seed``)."""
    return Transformer(jax.random.fold_in(jax.random.PRNGKey(pre.seed), 0), task, model_cfg)


def make_measure(task: TaskConfig, model, pre: PretrainConfig) -> Callable[[Any], dict[str, float]]:
    """``measure(model) -> metrics``: held-out mean P (p0), p@1, maj@k and rationale accuracy on
    ``pre.measure_prompts`` prompts × ``pre.measure_k`` samples, the same prompts at every call."""
    evaluate = make_evaluator(task, model, pre.measure_prompts, pre.measure_k)
    key = eval_key(pre.seed + 7)

    def measure(model_) -> dict[str, float]:
        return {k: float(v) for k, v in evaluate(eqx.filter(model_, eqx.is_inexact_array), key).items()}

    return measure


def slip_chains(key, task: TaskConfig, probs: Problems, rate) -> Problems:
    """The chains of ``probs`` with, each with probability ``rate``, one slip: a position j ~ U{1..L-1} and
    an offset u ~ U{1..m-1}; s_i -> (s_i + u) mod m for every i >= j, the answer included (the later values
    are carried forward from the slipped one, so the answer is right iff the rationale is)."""
    n, m, r = probs.answer.shape[0], task.modulus, task.rationale_len
    k_on, k_pos, k_off = jax.random.split(key, 3)
    slipped = jax.random.bernoulli(k_on, rate, (n,))
    pos = jax.random.randint(k_pos, (n,), 0, r)  # 0-based index of s_j in the rationale
    shift = jnp.where(slipped, jax.random.randint(k_off, (n,), 1, m), 0)
    after = jnp.arange(r)[None, :] >= pos[:, None]
    rationale = task.digit((probs.rationale - task.digit(0) + shift[:, None] * after) % m)
    return Problems(prompt=probs.prompt, rationale=rationale.astype(probs.rationale.dtype),
                    answer=(probs.answer + shift) % m)


def make_sft_step(task: TaskConfig, batch: int, digit_frac: float, optimizer, slip_rate: float = 0.0):
    """Jitted ``step(model, opt_state, key) -> (model, opt_state, loss)``: one Adam step of cross-entropy on
    the rationale, the ANS marker and the answer of ``batch`` sequences, the answer in digits with
    probability ``digit_frac`` and in letters otherwise; the chains are gold, or with ``slip_rate`` > 0 hold
    a slip with that probability (``slip_chains``)."""
    p = task.prompt_len

    def loss(model, seq_NT):
        logp_NTV = jax.nn.log_softmax(jax.vmap(model)(seq_NT[:, :-1]).astype(jnp.float32), -1)
        tok_NT = jnp.take_along_axis(logp_NTV, seq_NT[:, 1:, None], -1)[..., 0]
        supervised = jnp.arange(1, task.seq_len) >= p  # rationale, ANS marker and answer
        return -(tok_NT * supervised).sum(-1).mean()

    @eqx.filter_jit
    def step(model, opt_state, key):
        k_prob, k_fmt = jax.random.split(key)
        probs = sample_problems(k_prob, task, batch)
        if slip_rate > 0:
            probs = slip_chains(jax.random.fold_in(key, SLIP_DRAW), task, probs, slip_rate)
        digit = jax.random.bernoulli(k_fmt, digit_frac, (batch,))
        ans = jnp.where(digit, task.digit(probs.answer), task.letter(probs.answer))
        seq = assemble(task, probs.prompt, probs.rationale, ans)
        value, grads = eqx.filter_value_and_grad(loss)(model, seq)
        updates, opt_state = optimizer.update(grads, opt_state, eqx.filter(model, eqx.is_inexact_array))
        return eqx.apply_updates(model, updates), opt_state, value

    return step


def _data_key(pre: PretrainConfig, i: int):
    return jax.random.fold_in(jax.random.PRNGKey(pre.seed), i)


def warm_stage(task: TaskConfig, model, pre: PretrainConfig, measure, strict: bool = True) -> Iterator[Progress]:
    """Stage A from ``model`` (``init_model``): one ``Progress`` per step. While warm targets remain, p0 is
    measured every ``pre.measure_every`` steps and the first model at or above each of ``pre.warm_p0_targets``
    is kept as ``warm-<target>``; the last step keeps the "warm" base (the end of stage A). The end criterion
    (rationale accuracy >= ``warm_min_rationale_acc``) reads only the measurements every
    ``WARM_MEASURE_EVERY`` steps, so the fine measurements for the warm targets do not shorten stage A.

    ``strict``: raise RuntimeError if stage A ends before every warm target is reached."""
    optimizer = optax.adam(pre.lr_warm)
    step = make_sft_step(task, pre.batch, pre.warm_digit_frac, optimizer)
    opt_state = optimizer.init(eqx.filter(model, eqx.is_inexact_array))
    targets = list(pre.warm_p0_targets)
    i, acc = 0, 0.0  # acc: rationale accuracy at the last WARM_MEASURE_EVERY checkpoint (the end criterion)
    while (i < pre.warm_steps or targets or acc < pre.warm_min_rationale_acc) and i < pre.warm_max_steps:
        model, opt_state, _ = step(model, opt_state, _data_key(pre, 1 + i))
        i += 1
        if i % WARM_MEASURE_EVERY == 0 or (targets and i % pre.measure_every == 0):
            ev = measure(model)
            if i % WARM_MEASURE_EVERY == 0:
                acc = ev["rationale_acc"]
            kept = []
            while targets and ev["eval_mean_P"] >= targets[0]:
                kept.append({"name": warm_base_name(targets[0]), "stage": "A", "target": targets[0], "steps": i,
                             **ev, "p0": ev["eval_mean_P"]})
                targets.pop(0)
            yield Progress(i, model, ev, tuple(kept))
        else:
            yield Progress(i, model)
    if targets and strict:
        raise RuntimeError(f"stage A ended after {i} steps below the warm targets {targets} (raise warm_max_steps)")
    ev = measure(model)
    yield Progress(i, model, ev, ({"name": "warm", "stage": "A", "steps": i, **ev, "p0": ev["eval_mean_P"]},))


def _descend(task: TaskConfig, model, pre: PretrainConfig, measure, *, stage: str, targets, name_of, lr: float,
             digit_frac: float, slip_rate: float, fold: int, max_steps: int, start_steps: int, strict: bool,
             knobs: str) -> Iterator[Progress]:
    """A stage that drives p0 down from ``model`` (trained ``start_steps`` steps) with Adam at ``lr``: one
    ``Progress`` per step; p0 is measured every ``pre.measure_every`` steps and the first model at or below
    each of ``targets`` (decreasing) is kept as ``name_of(target)``; ends when every target is kept, or
    after ``max_steps`` (RuntimeError if ``strict`` and a target was not reached, naming the config fields
    ``knobs`` that would reach it)."""
    optimizer = optax.adam(lr)
    step = make_sft_step(task, pre.batch, digit_frac, optimizer, slip_rate)
    opt_state = optimizer.init(eqx.filter(model, eqx.is_inexact_array))
    targets = list(targets)
    ev = {"eval_mean_P": float("nan")}
    for i in range(1, max_steps + 1):
        model, opt_state, _ = step(model, opt_state, _data_key(pre, fold + i))
        if i % pre.measure_every:
            yield Progress(i, model)
            continue
        ev = measure(model)
        kept = []
        while targets and ev["eval_mean_P"] <= targets[0]:
            kept.append({"name": name_of(targets[0]), "stage": stage, "target": targets[0],
                         "steps": start_steps + i, **ev, "p0": ev["eval_mean_P"]})
            targets.pop(0)
        yield Progress(i, model, ev, tuple(kept))
        if not targets:
            return
    if targets and strict:
        raise RuntimeError(f"stage {stage} reached p0 = {ev['eval_mean_P']:.3g} after {max_steps} steps; "
                           f"targets {targets} not reached (raise {knobs})")


def slip_stage(task: TaskConfig, model, pre: PretrainConfig, measure, warm_steps: int,
               strict: bool = True) -> Iterator[Progress]:
    """Stage S from the warm base ``model`` (trained ``warm_steps`` steps): chains with a slip at rate
    ``pre.slip_rate``, answers in digits with probability ``pre.warm_digit_frac``; keeps ``slip-<target>`` at
    the first measurement at or below each of ``pre.slip_p0_targets`` (``_descend``)."""
    return _descend(task, model, pre, measure, stage="S", targets=pre.slip_p0_targets, name_of=slip_base_name,
                    lr=pre.lr_slip, digit_frac=pre.warm_digit_frac, slip_rate=pre.slip_rate, fold=SLIP_FOLD,
                    max_steps=pre.slip_max_steps, start_steps=warm_steps, strict=strict,
                    knobs="slip_max_steps, lr_slip or slip_rate")


def cold_stage(task: TaskConfig, model, pre: PretrainConfig, measure, warm_steps: int,
               strict: bool = True) -> Iterator[Progress]:
    """Stage B from the warm base ``model`` (trained ``warm_steps`` steps): gold chains with letter-only
    answers; keeps ``cold-<target>`` at the first measurement at or below each of ``pre.p0_targets``
    (``_descend``)."""
    return _descend(task, model, pre, measure, stage="B", targets=pre.p0_targets, name_of=cold_base_name,
                    lr=pre.lr_cold, digit_frac=0.0, slip_rate=0.0, fold=COLD_FOLD, max_steps=pre.cold_max_steps,
                    start_steps=warm_steps, strict=strict, knobs="cold_max_steps or lr_cold")
