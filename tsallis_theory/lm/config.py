"""Study presets for ``tsallis-lab lm`` (claims LM-COLD, LM-WARM, LM-NOISE): one frozen dataclass.

    smoke   seconds: a 1-layer model on the smallest task; used by the tests
    cpu     the full small study on 2 CPU cores (about 30 minutes; resumable)
    gpu     the cpu study's recipe on a larger model, longer chains, M = 32 (on CPU only with --max-steps)
"""

from __future__ import annotations

import dataclasses

from tsallis_theory.lm.base import PretrainConfig
from tsallis_theory.lm.task import TaskConfig
from tsallis_theory.lm.trainer import TrainConfig
from tsallis_theory.lm.transformer import TransformerConfig

ALL_METHODS = ("garl-1", "garl-0.75", "garl-0.5", "garl-0.25", "rb-rloo", "grpo",
               "paft-1", "paft-0.75", "paft-0.25", "schedule", "sft")


@dataclasses.dataclass(frozen=True)
class StudyConfig:
    """One preset of the small-LM study.

    Attributes:
      name: preset name (results go under results/lm_<name> unless --out says otherwise).
      task: the modular-chain task.
      model: transformer architecture.
      pretrain: the base-checkpoint procedure (its p0_targets name the cold bases).
      train: template of every RL run (lr, B, M, chunk, evaluation, schedule switch); method, steps,
        noise_eps and seed are set per run.
      seeds: training seeds per (base, method).
      cold_methods / cold_steps: LM-COLD methods and budget, run from every cold base.
      cold_side_methods / cold_side_bases: further LM-COLD methods run only from these bases (run last).
      warm_methods / warm_steps: LM-WARM methods and (long) budget, from the "warm" base.
      noise_methods / noise_steps / noise_eps / noise_base: LM-NOISE runs with label flips at rate ε.
    """

    name: str
    task: TaskConfig
    model: TransformerConfig
    pretrain: PretrainConfig
    train: TrainConfig
    seeds: tuple[int, ...] = (0,)
    cold_methods: tuple[str, ...] = ALL_METHODS
    cold_steps: int = 300
    cold_side_methods: tuple[str, ...] = ()
    cold_side_bases: tuple[str, ...] = ()
    warm_methods: tuple[str, ...] = ("grpo", "rb-rloo", "garl-0.25", "garl-0.75", "paft-0.25", "paft-0.75")
    warm_steps: int = 600
    noise_methods: tuple[str, ...] = ("rb-rloo", "garl-0.25", "garl-0.5", "garl-0.75", "garl-1", "schedule")
    noise_steps: int = 400
    noise_eps: float = 0.2
    noise_base: str = "cold-0.3"


PRESETS: dict[str, StudyConfig] = {
    "smoke": StudyConfig(
        name="smoke",
        task=TaskConfig(modulus=3, chain_length=2),
        model=TransformerConfig(d_model=16, n_layers=1, n_heads=2, d_ff=32),
        pretrain=PretrainConfig(warm_steps=20, warm_max_steps=20, cold_max_steps=20, p0_targets=(0.3,),
                                measure_every=10, measure_prompts=16, measure_k=2, batch=16, lr_cold=3e-3),
        train=TrainConfig(batch_prompts=4, group_size=2, lr=0.01, chunk=2, eval_prompts=8, eval_k=2,
                          schedule_switch=2),
        cold_methods=("grpo", "garl-1"), cold_steps=4,
        warm_methods=("paft-0.75",), warm_steps=4,
        noise_methods=("schedule",), noise_steps=4, noise_base="warm",
    ),
    "cpu": StudyConfig(
        name="cpu",
        task=TaskConfig(modulus=5, chain_length=3),
        model=TransformerConfig(d_model=64, n_layers=2, n_heads=4, d_ff=256),
        pretrain=PretrainConfig(cold_max_steps=5000),
        seeds=(0, 1, 2),
        train=TrainConfig(batch_prompts=8, group_size=8, lr=3e-4, max_grad_norm=100.0, chunk=20,
                          eval_prompts=128, eval_k=8, schedule_switch=60),
        cold_methods=ALL_METHODS[:6], cold_steps=300,
        cold_side_methods=ALL_METHODS[6:], cold_side_bases=("cold-0.03", "cold-0.001"),
        warm_steps=400, noise_steps=400,
    ),
    "gpu": StudyConfig(
        # The cpu study's RL recipe (SGD, lr, clipping, budgets, switch step) on a 31x larger model, longer
        # chains (7^5 problems, 4 latent steps) and 32 rollouts per prompt as in the paper; minutes on one
        # GPU (docs/lm.md), hours on 2 CPU cores (check it there with --max-steps).
        name="gpu",
        task=TaskConfig(modulus=7, chain_length=5),
        model=TransformerConfig(d_model=256, n_layers=4, n_heads=8, d_ff=1024),
        pretrain=PretrainConfig(warm_steps=1000, warm_max_steps=20000, cold_max_steps=20000, batch=256,
                                measure_prompts=512),
        train=TrainConfig(batch_prompts=32, group_size=32, lr=3e-4, max_grad_norm=100.0, chunk=25,
                          eval_prompts=512, eval_k=16, schedule_switch=60),
        seeds=(0, 1, 2),
        cold_methods=ALL_METHODS[:6], cold_steps=300,
        cold_side_methods=ALL_METHODS[6:], cold_side_bases=("cold-0.03", "cold-0.001"),
        warm_steps=400, noise_steps=400,
    ),
}
