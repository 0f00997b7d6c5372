"""The configs of the small-LM math layer (claims LM-COLD, LM-WARM, LM-NOISE): frozen dataclasses that
validate themselves on construction, with no JAX import, so that presets (``studies.lm``) and the command
line read them without building a model or a trainer.

    TaskConfig          the modular-chain task (``task``)
    TransformerConfig   the decoder-only transformer (``transformer``)
    TrainConfig         one RL run (``trainer``)
    PretrainConfig      the base-checkpoint procedure (``base``)

Bad values raise a one-line ``ValueError`` naming the field and its allowed range.
"""

from __future__ import annotations

import dataclasses

from tsallis_theory.lm.methods import parse_method


@dataclasses.dataclass(frozen=True)
class TaskConfig:
    """The modular-chain task: a prompt ``[BOS, a_0, c_1..c_L, SEP]``, a latent rationale of the L - 1
    intermediate values s_i = s_{i-1} + c_i mod m, a forced ``ANS`` marker and the answer s_L (``task``).

    Attributes:
      modulus: m, the size of Z_m (values and addends); 2 <= m <= 64.
      chain_length: L, the number of additions; the rationale holds L - 1 intermediate values; L >= 2.
    """

    modulus: int = 7
    chain_length: int = 4

    def __post_init__(self):
        if not 2 <= int(self.modulus) <= 64:
            raise ValueError(f"modulus must be in [2, 64]; got {self.modulus}")
        if not 2 <= int(self.chain_length) <= 64:
            raise ValueError(f"chain_length must be in [2, 64]; got {self.chain_length}")

    # vocabulary: digits 0..m-1 (the target alphabet), letters m..2m-1 (the same values), BOS, SEP, ANS
    @property
    def bos(self) -> int:
        return 2 * self.modulus

    @property
    def sep(self) -> int:
        return 2 * self.modulus + 1

    @property
    def ans(self) -> int:
        return 2 * self.modulus + 2

    @property
    def vocab_size(self) -> int:
        return 2 * self.modulus + 3

    def digit(self, value):
        """Token of a value in the target (digit) alphabet."""
        return value

    def letter(self, value):
        """Token of a value in the pretraining (letter) alphabet."""
        return value + self.modulus

    # layout: P = L + 3, R = L - 1, T = P + R + 2
    @property
    def prompt_len(self) -> int:
        return self.chain_length + 3

    @property
    def rationale_len(self) -> int:
        return self.chain_length - 1

    @property
    def seq_len(self) -> int:
        return self.prompt_len + self.rationale_len + 2

    @property
    def answer_pos(self) -> int:
        return self.seq_len - 1


@dataclasses.dataclass(frozen=True)
class TransformerConfig:
    """Architecture of the decoder-only transformer.

    Attributes:
      d_model: D, residual width.
      n_layers: number of blocks.
      n_heads: H; d_model must be divisible by it.
      d_ff: F, MLP hidden width.
      dtype: parameter and activation dtype ("float32", "bfloat16", or "float64" for exactness tests).
    """

    d_model: int = 64
    n_layers: int = 2
    n_heads: int = 4
    d_ff: int = 256
    dtype: str = "float32"

    def __post_init__(self):
        for name in ("d_model", "n_layers", "n_heads", "d_ff"):
            if int(getattr(self, name)) < 1:
                raise ValueError(f"{name} must be >= 1; got {getattr(self, name)}")
        if self.d_model % self.n_heads:
            raise ValueError(f"d_model ({self.d_model}) must be divisible by n_heads ({self.n_heads})")
        if self.dtype not in ("float32", "float64", "bfloat16"):
            raise ValueError(f"dtype must be float32, float64 or bfloat16; got {self.dtype!r}")


@dataclasses.dataclass(frozen=True)
class TrainConfig:
    """One training run.

    Attributes:
      method: grpo | rb-rloo | garl-<q> | paft-<q> | schedule | sft (``methods``).
      steps: number of optimiser steps (the budget).
      batch_prompts: B, fresh prompts per step (divisible by the number of devices when sharded).
      group_size: M, rollouts per prompt (the paper uses 32); M >= 2.
      lr: learning rate.
      optimizer: "sgd" (the theory's gradient flow, discretised; default) or "adam".
      max_grad_norm: clip ‖ĝ‖ to this value; 0 disables clipping.
      lr_rescale: multiply GARL/PAFT by M^{-q} as the paper's Alg 1/2 do.
      noise_eps: ε, probability that a training answer is replaced by a corrupted label (LM-NOISE).
      train_set: N, the size of a fixed training set (``task.training_batch``): each prompt slot draws an
        index i ~ U[0, N) and example i is a fixed problem whose label is flipped (to a fixed wrong value)
        iff its own coin with rate ε came up, so a fixed subset is noisy and must be memorised; 0 (default):
        fresh problems at every draw, each flipped afresh with probability ε to (y* + 1) mod m.
      update_norm: 0 (default): the optimiser's update as it is; > 0: every update rescaled to this global
        L2 norm (the LM-WARM arm with update norms matched across methods, so that stability is not a
        method's gradient scale).
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
    train_set: int = 0
    update_norm: float = 0.0
    schedule_switch: int = 50
    escape_delta: float = 0.5
    escape_window: int = 10
    stop_on_escape: bool = False
    chunk: int = 10
    eval_prompts: int = 64
    eval_k: int = 8
    seed: int = 0

    def __post_init__(self):
        parse_method(self.method)
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
        if int(self.train_set) < 0 or int(self.train_set) != self.train_set:
            raise ValueError(f"train_set must be an integer >= 0 (0: fresh problems); got {self.train_set}")
        if not self.update_norm >= 0:
            raise ValueError(f"update_norm must be >= 0 (0: off); got {self.update_norm}")


@dataclasses.dataclass(frozen=True)
class PretrainConfig:
    """The base-checkpoint procedure (``base``; docs/lm.md).

    Attributes:
      warm_steps: minimum stage A steps (mixed answer alphabets).
      warm_max_steps: stage A continues (in blocks of 100 steps) until the held-out rationale accuracy
        reaches ``warm_min_rationale_acc``, at most this many steps (the reasoning skill appears after a
        plateau whose length varies with the seed).
      warm_min_rationale_acc: rationale accuracy that ends stage A.
      warm_digit_frac: probability that a stage-A answer uses the target digit alphabet.
      warm_p0_targets: increasing p0 levels crossed on the way up in stage A: the first stage-A model whose
        measured p0 (every ``measure_every`` steps) is at or above each target is kept as base
        ``warm-<target>`` (a partly trained reasoner); () for none.
      slip_rate: r, the probability that a stage-S training chain holds one slip (``base.slip_chains``).
      slip_p0_targets: decreasing p0 levels crossed on the way down in stage S (from the warm base, chains
        with slips): the first model at or below each is kept as ``slip-<target>`` (the LM-WARM base: a
        reasoner that slips, so a prompt's rollouts differ in their rationales); () for no stage S.
      slip_max_steps: cap on stage S steps.
      lr_slip: Adam learning rate of stage S.
      cold_max_steps: cap on stage B steps (letter-only answers).
      p0_targets: decreasing p0 levels at which stage-B checkpoints are kept.
      measure_every: steps between p0 measurements in stages S and B (and in stage A while warm targets remain).
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
    warm_p0_targets: tuple[float, ...] = ()
    slip_rate: float = 0.7
    slip_p0_targets: tuple[float, ...] = ()
    slip_max_steps: int = 3000
    lr_slip: float = 1e-4
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
        w = tuple(self.warm_p0_targets)
        if any(not 0 < x < self.warm_digit_frac for x in w) or list(w) != sorted(set(w)):
            raise ValueError(f"warm_p0_targets must be increasing values in (0, warm_digit_frac); got {w}")
        if not 0.0 < self.slip_rate < 1.0:
            raise ValueError(f"slip_rate must be in (0, 1); got {self.slip_rate}")
        s = tuple(self.slip_p0_targets)
        if any(not 0 < x < 1 for x in s) or list(s) != sorted(set(s), reverse=True):
            raise ValueError(f"slip_p0_targets must be decreasing values in (0, 1); got {s}")
        for name in ("warm_steps", "warm_max_steps", "slip_max_steps", "cold_max_steps", "measure_every",
                     "measure_prompts", "measure_k", "batch"):
            if int(getattr(self, name)) < 1:
                raise ValueError(f"{name} must be >= 1; got {getattr(self, name)}")
        for name in ("lr_warm", "lr_slip", "lr_cold"):
            if not 0 < getattr(self, name) <= 1:
                raise ValueError(f"{name} must be in (0, 1]; got {getattr(self, name)}")

    def base_names(self) -> tuple[str, ...]:
        """The names of the base checkpoints the procedure keeps: "warm-<target>" per warm target, "warm" (the
        end of stage A, where stages S and B start), "slip-<target>" per slip target, then "cold-<target>"
        per target."""
        return (*(warm_base_name(t) for t in self.warm_p0_targets), "warm",
                *(slip_base_name(t) for t in self.slip_p0_targets), *(cold_base_name(t) for t in self.p0_targets))


def cold_base_name(target: float) -> str:
    """The name of the stage-B base checkpoint kept at p0 target ``target``: ``cold-<target:g>``."""
    return f"cold-{target:g}"


def slip_base_name(target: float) -> str:
    """The name of the stage-S base checkpoint kept at p0 target ``target``: ``slip-<target:g>``."""
    return f"slip-{target:g}"


def warm_base_name(target: float) -> str:
    """The name of the stage-A base checkpoint kept at warm p0 target ``target``: ``warm-<target:g>``."""
    return f"warm-{target:g}"
