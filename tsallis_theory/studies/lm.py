"""The small-LM study (claims LM-COLD, LM-WARM, LM-NOISE): base checkpoints with a measured p0, then every
method trained from them; one result row per base and per run (docs/lm.md).

Presets (``PRESETS``; ``DEFAULT_PRESET = "smoke"``):

    smoke   seconds: a 1-layer model on the smallest task; used by the tests
    cpu     the full small study on 2 CPU cores (about 35 minutes; resumable)
    gpu     the cpu study's experiments on a larger model, longer chains, M = 32 (on CPU only with --max-steps)

Unlike the other studies, which write one file ``<out>/<study>.jsonl``, an LM study is a folder
``<out>/lm_<preset>/`` (``study_dir``), because it has two kinds of rows and model checkpoints:

    bases.jsonl    one row per base checkpoint ("warm-<target>", "warm", "slip-<target>", "cold-<target>") with its measured
                   p0; one task per pretraining stage: A, S and B (``base_tasks``)
    runs.jsonl     one row per run, keyed by (experiment, arm, base, method, seed) (``tasks``, ``run_row``):
                   escape step, held-out metrics per chunk, per-step mean P, contamination, max advantage, ‖ĝ‖
    checkpoints/   bases/<name> (the base models) and runs/<run> (the train state of the run in progress);
                   ``--ckpt`` puts them elsewhere

Both row files go through ``results.run_tasks``: an interrupted study resumes without losing or repeating
a finished base stage or run, and the run in progress continues from its last chunk's checkpoint.
Resuming under another config raises ``ConfigMismatch`` unless ``fresh`` (which also drops the
checkpoints). Figures and the ledger read ``runs.jsonl``; they never train.
"""

from __future__ import annotations

import dataclasses
import shutil
import time
from dataclasses import field
from pathlib import Path
from typing import Any

from tsallis_theory.lm.configs import PretrainConfig, TaskConfig, TrainConfig, TransformerConfig, cold_base_name
from tsallis_theory.lm.methods import ALL_METHODS, parse_method
from tsallis_theory.results import Deadline, ResultsFile, Task, run_tasks

KEY_FIELDS = ("experiment", "arm", "base", "method", "seed")  # what identifies a run (its task key)
DESIGN = 2  # the experiment design the rows come from (rows without it are from design 1: docs/lm.md)
RUNS, BASES, CHECKPOINTS = "runs.jsonl", "bases.jsonl", "checkpoints"


def _help(text: str, **extra) -> dict:
    return {"help": text, **extra}


@dataclasses.dataclass(frozen=True)
class Config:
    """One configuration of the small-LM study; the defaults are the smoke preset."""

    name: str = field(default="smoke", metadata=_help(
        "the preset this config came from; rows go to <out>/lm_<name>/", flag=False))
    task: TaskConfig = field(default=TaskConfig(modulus=3, chain_length=2), metadata=_help(
        "the modular-chain task", flag=False))
    model: TransformerConfig = field(default=TransformerConfig(d_model=16, n_layers=1, n_heads=2, d_ff=32),
                                     metadata=_help("the transformer architecture", flag=False))
    pretrain: PretrainConfig = field(default=PretrainConfig(
        warm_steps=20, warm_max_steps=20, cold_max_steps=20, p0_targets=(0.3,), warm_p0_targets=(0.05,),
        slip_p0_targets=(0.9,), slip_max_steps=20, measure_every=10, measure_prompts=16, measure_k=2, batch=16,
        lr_cold=3e-3), metadata=_help(
        "the base-checkpoint procedure (its p0_targets name the cold bases)", flag=False))
    train: TrainConfig = field(default=TrainConfig(
        batch_prompts=4, group_size=2, lr=0.01, chunk=2, eval_prompts=8, eval_k=2, schedule_switch=2),
        metadata=_help("template of every RL run (lr, B, M, chunk, evaluation, schedule switch); method, "
                       "steps, noise_eps and seed are set per run", flag=False))
    seeds: tuple[int, ...] = field(default=(0,), metadata=_help("training seeds per (base, method)"))
    cold_methods: tuple[str, ...] = field(default=("grpo", "garl-1"), metadata=_help(
        "LM-COLD methods, run from every cold base", metavar="METHOD"))
    cold_steps: int = field(default=4, metadata=_help(
        "LM-COLD budget in steps (every run continues to it; the escape step is recorded on the way)"))
    cold_side_methods: tuple[str, ...] = field(default=(), metadata=_help(
        "further LM-COLD methods, run only from the cold_side_bases (after the rest of a seed)",
        metavar="METHOD"))
    cold_side_bases: tuple[str, ...] = field(default=(), metadata=_help(
        "the cold bases of the cold_side_methods (cold-<target>)", metavar="BASE"))
    warm_methods: tuple[str, ...] = field(default=("paft-0.75", "garl-1"), metadata=_help(
        "LM-WARM methods, run from the warm_base in every arm", metavar="METHOD"))
    warm_base: str = field(default="slip-0.9", metadata=_help(
        "the base LM-WARM starts from (slip-<target>: a reasoner that slips; warm-<target>: a partly trained "
        "reasoner)", metavar="BASE"))
    warm_steps: int = field(default=4, metadata=_help("LM-WARM budget in steps"))
    warm_lrs: tuple[float, ...] = field(default=(0.01,), metadata=_help(
        "LM-WARM learning rates of plain SGD (arms sgd-<lr>)", metavar="LR"))
    warm_adam_lrs: tuple[float, ...] = field(default=(), metadata=_help(
        "LM-WARM learning rates of Adam (arms adam-<lr>)", metavar="LR"))
    warm_update_norms: tuple[float, ...] = field(default=(0.05,), metadata=_help(
        "LM-WARM update norms matched across methods (arms norm-<τ>: SGD with every update rescaled to norm τ)",
        metavar="TAU"))
    noise_methods: tuple[str, ...] = field(default=("schedule",), metadata=_help(
        "LM-NOISE methods on the fixed training set with a fixed flipped subset (arm fixed)", metavar="METHOD"))
    noise_fresh_methods: tuple[str, ...] = field(default=("garl-1",), metadata=_help(
        "LM-NOISE methods on fresh problems flipped afresh at every draw (arm fresh)", metavar="METHOD"))
    noise_steps: int = field(default=4, metadata=_help("LM-NOISE budget in steps"))
    noise_eps: float = field(default=0.1, metadata=_help("LM-NOISE label-flip rate ε, in [0, 0.5)"))
    noise_train_set: int = field(default=16, metadata=_help(
        "LM-NOISE fixed training set size N (examples; its flipped subset is fixed)"))
    noise_base: str = field(default="warm", metadata=_help(
        "the base LM-NOISE starts from (warm or cold-<target>)", metavar="BASE"))
    share_prompt: bool = field(default=False, metadata=_help(
        "compute each prompt's part of the forward pass once for its M rollouts, in sampling, in the "
        "log-probabilities and in evaluation (make_trainer(share_prompt=True)); execution only: the same "
        "numbers to float rounding, about P/T less work per rollout; the rows record it"))
    max_steps: int | None = field(default=None, metadata=_help(
        "cap every training and pretraining stage at this many steps, and every evaluation and p0 "
        "measurement at QUICK_PROMPTS prompts (a quick check of a preset; a base not reached is stood in by "
        "the end of stage A); None: no cap", flag=False))
    batch_runs: int = field(default=4, metadata=_help(
        "most runs trained at once as one compiled program with a leading run axis (runs of one compile key "
        "and budget; the axis is sharded over every device); 1: one run at a time; 0: automatic (one at a "
        "time on a CPU, where a single run already keeps the cores busy, 64 on an accelerator). Execution "
        "only: the rows are the same either way"))

    def validate(self) -> None:
        """One-line ValueErrors naming the bad field (the nested configs validate themselves)."""
        if not self.name or any(c in self.name for c in "/\\ "):
            raise ValueError(f"name must be a non-empty word (it names the folder lm_<name>); got {self.name!r}")
        if not self.seeds or any(int(s) != s or s < 0 for s in self.seeds):
            raise ValueError(f"seeds must be one or more integers >= 0; got {self.seeds}")
        for f in ("cold_methods", "cold_side_methods", "warm_methods", "noise_methods", "noise_fresh_methods"):
            for m in getattr(self, f):
                try:
                    parse_method(m)
                except ValueError as exc:
                    raise ValueError(f"{f}: {exc}") from None
        for f in ("cold_steps", "warm_steps", "noise_steps"):
            if int(getattr(self, f)) < 1:
                raise ValueError(f"{f} must be >= 1; got {getattr(self, f)}")
        if not 0.0 <= self.noise_eps < 0.5:
            raise ValueError(f"noise_eps must be in [0, 0.5); got {self.noise_eps}")
        if int(self.noise_train_set) < 1:
            raise ValueError(f"noise_train_set must be >= 1; got {self.noise_train_set}")
        for f in ("warm_lrs", "warm_adam_lrs", "warm_update_norms"):
            if any(not 0 < float(x) <= 10 for x in getattr(self, f)):
                raise ValueError(f"{f} must hold values in (0, 10]; got {getattr(self, f)}")
        if not (self.warm_lrs or self.warm_adam_lrs or self.warm_update_norms):
            raise ValueError("warm_lrs, warm_adam_lrs and warm_update_norms are all empty; LM-WARM needs an arm")
        bases = self.pretrain.base_names()
        for f, names in (("noise_base", (self.noise_base,)), ("warm_base", (self.warm_base,)),
                         ("cold_side_bases", self.cold_side_bases)):
            allowed = [x for x in bases if x.startswith("cold-")] if f == "cold_side_bases" else bases
            for b in names:
                if b not in allowed:
                    raise ValueError(f"{f}: unknown base {b!r}; it must be one of {', '.join(allowed)}")
        if int(self.batch_runs) < 0:
            raise ValueError(f"batch_runs must be >= 0 (1: one run at a time, 0: automatic); got {self.batch_runs}")
        if self.max_steps is not None and int(self.max_steps) < 1:
            raise ValueError(f"max_steps must be >= 1 (or None: no cap); got {self.max_steps}")


DEFAULT_PRESET = "smoke"
NOISE_CHUNK = 50  # LM-NOISE evaluates every 50 steps (it reads the per-step series; held-out only gates)
WARM_P0 = 0.5  # the LM-WARM base: the first stage-S model with measured p0 <= this (docs/lm.md)
COLD_SIDE = ("paft-1", "paft-0.75")  # LM-COLD side methods: PAFT beside GARL at equal q, same seeds
# LM-NOISE and LM-WARM of the cpu and gpu presets (docs/lm.md, "Experiments"): the same design on both
EXPERIMENTS: dict[str, Any] = dict(
    warm_methods=("rb-rloo", "garl-0.25", "garl-0.75", "garl-1", "paft-0.75", "paft-1", "grpo"),
    warm_base=f"slip-{WARM_P0:g}", warm_steps=260, warm_lrs=(5e-4, 1e-3, 2e-3, 4e-3), warm_adam_lrs=(3e-5,),
    warm_update_norms=(0.01,),
    noise_methods=("rb-rloo", "garl-0.75", "garl-1", "schedule"), noise_fresh_methods=("rb-rloo", "garl-1"),
    noise_steps=1600, noise_eps=0.1, noise_train_set=128, noise_base="cold-0.3",
)
PRESETS: dict[str, Config] = {
    "smoke": Config(),
    "cpu": Config(
        name="cpu", batch_runs=0,
        task=TaskConfig(modulus=5, chain_length=3),
        model=TransformerConfig(d_model=64, n_layers=2, n_heads=4, d_ff=256),
        pretrain=PretrainConfig(cold_max_steps=5000, slip_p0_targets=(WARM_P0,), p0_targets=(0.3, 0.1, 0.01, 0.001)),
        train=TrainConfig(batch_prompts=8, group_size=8, lr=3e-4, max_grad_norm=100.0, chunk=20,
                          eval_prompts=128, eval_k=8, schedule_switch=60),
        seeds=(0, 1, 2),
        cold_methods=ALL_METHODS[:6], cold_steps=300,
        cold_side_methods=COLD_SIDE, cold_side_bases=("cold-0.01", "cold-0.001"),
        **EXPERIMENTS,
    ),
    "gpu": Config(
        # The cpu study's RL recipe (SGD, lr, clipping, budgets, switch step) on a 31x larger model, longer
        # chains (7^5 problems, 4 latent steps) and 32 rollouts per prompt as in the paper; minutes on one
        # GPU (docs/lm.md), hours on 2 CPU cores (check it there with --max-steps). Each prompt's forward pass
        # is shared by its 32 rollouts (share_prompt: 8 of 14 positions are prompt), which does not change the rows'
        # config, so the rows made before it can still be continued.
        name="gpu", batch_runs=0, share_prompt=True,
        task=TaskConfig(modulus=7, chain_length=5),
        model=TransformerConfig(d_model=512, n_layers=8, n_heads=8, d_ff=2048, dtype="bfloat16"),
        pretrain=PretrainConfig(warm_steps=1000, warm_max_steps=20000, cold_max_steps=20000, batch=256,
                                measure_prompts=512, slip_p0_targets=(WARM_P0,)),
        train=TrainConfig(batch_prompts=8, group_size=32, lr=3e-4, max_grad_norm=100.0, chunk=20,
                          eval_prompts=256, eval_k=8, schedule_switch=60),
        seeds=(0, 1, 2),
        cold_methods=ALL_METHODS[:6], cold_steps=300,
        cold_side_methods=COLD_SIDE, cold_side_bases=("cold-0.03", "cold-0.001"),
        **EXPERIMENTS,
    ),
}


# ---- where the rows live -----------------------------------------------------------------------------------
def study_dir(out, name: str) -> Path:
    """The folder of preset ``name``'s study under the results folder ``out``: ``out/lm_<name>``."""
    return Path(out) / f"lm_{name}"


def runs_path(out, name: str) -> Path:
    """The run rows of preset ``name`` under ``out`` (what the figures and the ledger read)."""
    return study_dir(out, name) / RUNS


def read_runs(out, name: str) -> list[dict[str, Any]]:
    """The finished run rows of preset ``name`` under ``out`` (ValueError naming the path if there are none)."""
    path = runs_path(out, name)
    rows = ResultsFile(path).rows()
    if not rows:
        raise ValueError(f"no LM run rows in {path}; run: tsallis-lab lm --preset {name} --out {out}")
    return rows


def figure_prefix(name: str) -> str | None:
    """The figure-name prefix of preset ``name``: None (figures ``lm_*``) for the cpu preset, which the
    ledger cites, and ``lm_<name>`` otherwise (``lm_gpu_*``)."""
    return None if name == "cpu" else f"lm_{name}"


# ---- the plan ------------------------------------------------------------------------------------------------
QUICK_PROMPTS = 32  # held-out prompts of every evaluation and p0 measurement under max_steps (a quick check)


def pretrain_of(cfg: Config) -> PretrainConfig:
    """The pretraining procedure with its stages capped at ``cfg.max_steps`` (and its p0 measurements at
    ``QUICK_PROMPTS`` prompts)."""
    pre, cap = cfg.pretrain, cfg.max_steps
    if cap is None:
        return pre
    return dataclasses.replace(pre, warm_steps=min(pre.warm_steps, cap), warm_max_steps=min(pre.warm_max_steps, cap),
                               slip_max_steps=min(pre.slip_max_steps, cap), cold_max_steps=min(pre.cold_max_steps, cap),
                               measure_prompts=min(pre.measure_prompts, QUICK_PROMPTS))


def warm_arms(cfg: Config) -> list[tuple[str, dict[str, Any]]]:
    """LM-WARM's arms as (name, TrainConfig overrides): sgd-<lr> (plain SGD), adam-<lr> (Adam) and norm-<τ>
    (SGD with every update rescaled to norm τ, matched across methods; its lr is unused)."""
    return ([(f"sgd-{lr:g}", {"lr": float(lr), "optimizer": "sgd"}) for lr in cfg.warm_lrs]
            + [(f"adam-{lr:g}", {"lr": float(lr), "optimizer": "adam"}) for lr in cfg.warm_adam_lrs]
            + [(f"norm-{t:g}", {"optimizer": "sgd", "update_norm": float(t)}) for t in cfg.warm_update_norms])


def plan(cfg: Config, methods: tuple[str, ...] | None = None) -> list[dict[str, Any]]:
    """Every run of the study, in order: its key (experiment, arm, base, method, seed), its budget ``steps``,
    ``noise_eps`` and ``train`` (the TrainConfig fields it sets beyond the template ``cfg.train``; ``train_config``).

    Arms: "" for LM-COLD; "fixed" (a fixed training set of ``noise_train_set`` examples with a fixed flipped
    subset) and "fresh" (fresh problems flipped afresh at every draw) for LM-NOISE; ``warm_arms`` for LM-WARM.
    Order: LM-COLD core methods over every cold base, LM-NOISE, LM-WARM arm by arm, then the LM-COLD side
    methods; within a group method by method and seed by seed, so that consecutive runs share a compiled
    trainer (its ``compile_key``). ``methods`` keeps only those methods (ValueError for an unknown one)."""
    keep = None if methods is None else {parse_method(m).name for m in methods}
    runs = []
    cold_bases = [cold_base_name(t) for t in cfg.pretrain.p0_targets]
    noisy = {"noise_eps": cfg.noise_eps, "chunk": NOISE_CHUNK}
    groups = [("cold", "", cold_bases, cfg.cold_methods, cfg.cold_steps, {}),
              ("noise", "fixed", [cfg.noise_base], cfg.noise_methods, cfg.noise_steps,
               {**noisy, "train_set": int(cfg.noise_train_set)}),
              ("noise", "fresh", [cfg.noise_base], cfg.noise_fresh_methods, cfg.noise_steps, noisy)]
    groups += [("warm", arm, [cfg.warm_base], cfg.warm_methods, cfg.warm_steps, over) for arm, over in warm_arms(cfg)]
    groups.append(("cold", "", list(cfg.cold_side_bases), cfg.cold_side_methods, cfg.cold_steps, {}))
    for exp, arm, bases, meths, steps, over in groups:
        for method in meths:
            if keep is not None and parse_method(method).name not in keep:
                continue
            for seed in cfg.seeds:
                for base in bases:
                    runs.append({"experiment": exp, "arm": arm, "base": base, "method": method, "seed": seed,
                                 "steps": steps, "noise_eps": over.get("noise_eps", 0.0),
                                 "train": {k: v for k, v in over.items() if k != "chunk" or v < steps}})
    return runs


def train_config(cfg: Config, spec: dict[str, Any]) -> TrainConfig:
    """The TrainConfig of the run ``spec`` (an entry of ``plan``): the template ``cfg.train`` with the run's
    method, seed, budget (capped at ``cfg.max_steps``) and its arm's fields; every run goes to its full budget."""
    steps = spec["steps"] if cfg.max_steps is None else min(spec["steps"], cfg.max_steps)
    over = {"noise_eps": spec["noise_eps"], **spec["train"]}
    chunk = min(int(over.pop("chunk", cfg.train.chunk)), steps)
    if cfg.max_steps is not None:
        over["eval_prompts"] = min(cfg.train.eval_prompts, QUICK_PROMPTS)
    return dataclasses.replace(cfg.train, method=spec["method"], steps=steps, seed=spec["seed"], chunk=chunk,
                               stop_on_escape=False, **over)


def run_key(spec: dict[str, Any]) -> dict[str, Any]:
    """A run's task key: its identifying fields (``KEY_FIELDS``)."""
    return {f: spec[f] for f in KEY_FIELDS}


GRPO_CONVENTION = "trl"  # lm.objectives.GRPO_CONVENTION, named in every GRPO row (no JAX import here)


def run_row(cfg: Config, spec: dict[str, Any], train_cfg: TrainConfig, p0: float, hist: dict[str, Any],
            wall_s: float, stand_in: str | None = None) -> dict[str, Any]:
    """The result row of a finished run: its key, design, q, the base's p0, its training settings, the escape
    step (first step whose mean P over ``escape_window`` steps reaches δ), held-out metrics per chunk
    (``evals``, ``final``) and the per-step series (mean P and contamination on the training draws, largest
    advantage, ‖ĝ‖)."""
    return {**run_key(spec), "design": DESIGN, "q": parse_method(spec["method"]).q, "p0": p0,
            "noise_eps": train_cfg.noise_eps, "train_set": train_cfg.train_set, "lr": train_cfg.lr,
            "optimizer": train_cfg.optimizer, "update_norm": train_cfg.update_norm,
            "budget": train_cfg.steps, "steps_run": len(hist["steps"]["mean_P"]),
            "escape_step": hist["escape_step"], "escape_delta": train_cfg.escape_delta,
            "escape_window": train_cfg.escape_window, "final": hist["evals"][-1], "evals": hist["evals"],
            "wall_s": round(wall_s, 2), "share_prompt": cfg.share_prompt,
            **{k: _round(hist["steps"][k]) for k in ("mean_P", "contamination", "max_advantage", "grad_norm")},
            **({"grpo_convention": GRPO_CONVENTION} if parse_method(spec["method"]).kind == "grpo" else {}),
            **({"base_stand_in": stand_in} if stand_in else {})}


def _bases_config(cfg: Config) -> dict[str, Any]:
    from tsallis_theory.studies._lm_loop import base_config

    return base_config(cfg.task, cfg.model, pretrain_of(cfg))


def _base_builder(cfg: Config, ckpt_dir, progress: bool):
    from tsallis_theory.studies._lm_loop import BaseBuilder

    return BaseBuilder(cfg.task, cfg.model, pretrain_of(cfg), ckpt_dir, strict=cfg.max_steps is None,
                       progress=progress)


def base_tasks(cfg: Config, ckpt_dir, *, progress: bool = True) -> list[Task]:
    """The pretraining stages as tasks; each writes its base checkpoints under ``ckpt_dir`` and returns
    their rows. Stages S (only with slip targets) and B start from stage A's checkpoint."""
    builder = _base_builder(cfg, ckpt_dir, progress)
    slip = [({"stage": "S"}, builder.slip)] if cfg.pretrain.slip_p0_targets else []
    return [({"stage": "A"}, builder.warm), *slip, ({"stage": "B"}, builder.cold)]


def _round(xs, digits=5):
    return [float(f"{x:.{digits}g}") for x in xs]


EXECUTION_FIELDS = ("batch_runs", "share_prompt")  # Config fields that change how runs execute, not what they compute
AUTO_BATCH = {"cpu": 1}  # batch_runs = 0 on a backend: one run at a time on CPU (bench_lm.py), else 64


def batch_size(cfg: Config) -> int:
    """The number of runs per batch: ``cfg.batch_runs``, or for 0 the automatic size for JAX's backend."""
    if int(cfg.batch_runs) > 0:
        return int(cfg.batch_runs)
    import jax

    return AUTO_BATCH.get(jax.default_backend(), 64)


def results_config(cfg: Config) -> dict[str, Any]:
    """The config stored with the run rows: every field but the ``EXECUTION_FIELDS``, so that a study resumes
    under another batch size."""
    return {k: v for k, v in dataclasses.asdict(cfg).items() if k not in EXECUTION_FIELDS}


def batches(cfg: Config, specs: list[dict[str, Any]]) -> list[tuple[list[dict[str, Any]], int]]:
    """``specs`` grouped into batches that run as one program, as (runs, width) pairs: runs of one compile
    key and budget (``trainer.compile_key``), the groups of one compile key one after another, in order of
    the key's first appearance in ``specs`` (so that a program compiling ahead has every batch of the
    programs before it to finish in, and a trainer is not dropped and compiled again). A group of n runs
    is split into k = ⌈n / batch_size⌉ batches of near-equal size (120 runs at 64 per batch: two of 60).
    Every batch of one compile key is padded to one width, the largest ⌈n / k⌉ among that key's groups, so
    that they all have one shape and share one compilation (LM-WARM's 105 SGD runs of 260 steps go in two
    batches padded to LM-COLD's 60: a compilation costs more on an accelerator than the padded runs)."""
    from tsallis_theory.lm.trainer import compile_key

    groups: dict[tuple, list[dict[str, Any]]] = {}
    for spec in specs:
        tc = train_config(cfg, spec)
        groups.setdefault((compile_key(tc), tc.steps), []).append(spec)
    size, split, widths = batch_size(cfg), [], {}
    keys = list(dict.fromkeys(key for key, _ in groups))
    for (key, _), g in sorted(groups.items(), key=lambda item: keys.index(item[0][0])):  # stable: budgets in order
        k = -(-len(g) // size)
        widths[key] = max(widths.get(key, 0), -(-len(g) // k))
        bounds = [round(i * len(g) / k) for i in range(k + 1)]
        split += [(key, g[a:b]) for a, b in zip(bounds, bounds[1:])]
    return [(runs, widths[key]) for key, runs in split]


def tasks(cfg: Config, bases: list[dict[str, Any]], ckpt_dir, *, methods: tuple[str, ...] | None = None,
          progress: bool = True, done: frozenset = frozenset(), run_mesh=None, deadline=None,
          trainers=None) -> list[Task]:
    """One task per run of ``plan(cfg, methods)`` whose base is among ``bases`` (the base rows; a base not
    reached under ``max_steps`` skips its runs); its row is the run's result.

    The runs not in ``done`` (``results.task_id`` of finished runs) are trained in ``todo_batches``: the
    first task of a batch trains all of its runs at once (``_lm_loop.train_batch``, the run axis sharded
    over ``run_mesh``), and each task returns its own run's row, so every finished run is written and
    marked on its own. With ``batch_runs`` = 1 each run trains alone (``_lm_loop.train``). A ``deadline``
    (``results.Deadline``) stops the run or batch in progress between chunks, saved
    (``results.TimeLimitReached``). ``trainers`` (``_lm_loop.Trainers``, default a new one) holds the compiled
    trainers, and any programs ``compile_ahead`` queued on it."""
    from tsallis_theory.lm.checkpoints import fingerprint
    from tsallis_theory.results import task_id
    from tsallis_theory.studies import _lm_loop as loop

    by_name = {b["name"]: b for b in bases}
    if cfg.max_steps is not None and "warm" in by_name:
        # a quick check of a preset: a base not reached within max_steps is stood in by the end of stage A, so
        # that every run of the plan still executes (its row names the stand-in)
        by_name = {**{name: {**by_name["warm"], "stand_in": "warm"} for name in cfg.pretrain.base_names()}, **by_name}
    pre = pretrain_of(cfg)
    trainers = trainers or loop.Trainers(cfg.task, share_prompt=cfg.share_prompt)
    policies: dict[str, Any] = {}
    ckpt_dir = Path(ckpt_dir)

    def policy_of(base):
        base = by_name[base].get("stand_in", base)
        if base not in policies:
            policies[base], _ = loop.load_base(loop.base_path(ckpt_dir, base), cfg.task, cfg.model, pre)
        return policies[base]

    def desc_of(spec):  # in the run checkpoints' config: a checkpoint resumes only as it was made
        return {"base": spec["base"], "study": cfg.name, "share_prompt": cfg.share_prompt}

    def name_of(spec):
        return "-".join(str(spec[f]) for f in KEY_FIELDS if spec[f] != "")

    def compute(spec):
        train_cfg = train_config(cfg, spec)
        policy = policy_of(spec["base"])
        ckpt = ckpt_dir / "runs" / name_of(spec)
        started = time.perf_counter()
        _, hist = loop.train(cfg.task, train_cfg, policy, policy_desc=desc_of(spec), checkpoint=ckpt,
                             trainer=trainers.get(train_cfg, policy), progress=progress, desc=name_of(spec),
                             deadline=deadline)
        row = run_row(cfg, spec, train_cfg, by_name[spec["base"]]["p0"], hist, time.perf_counter() - started,
                      stand_in=by_name[spec["base"]].get("stand_in"))
        loop.remove_checkpoint(ckpt)  # the row holds the run now
        return [row]

    finished: dict[str, dict[str, Any]] = {}  # rows of trained batches, until their task hands them over

    def compute_batch(batch, width, spec):
        tid = task_id(run_key(spec))
        if tid not in finished:
            cfgs = [train_config(cfg, s) for s in batch]
            pols = [policy_of(s["base"]) for s in batch]
            ckpt = ckpt_dir / "runs" / f"batch-{fingerprint([run_key(s) for s in batch])}"
            started = time.perf_counter()
            hists = loop.train_batch(cfg.task, cfgs, pols, policy_descs=[desc_of(s) for s in batch],
                                     trainer=trainers.get(cfgs[0], pols[0]), checkpoint=ckpt, run_mesh=run_mesh,
                                     width=width, progress=progress, desc=f"{len(batch)} runs: {name_of(batch[0])} ...",
                                     deadline=deadline)
            wall = (time.perf_counter() - started) / len(batch)
            for s, c, h in zip(batch, cfgs, hists):
                finished[task_id(run_key(s))] = run_row(cfg, s, c, by_name[s["base"]]["p0"], h, wall,
                                                        stand_in=by_name[s["base"]].get("stand_in"))
            loop.remove_checkpoint(ckpt)
        return [finished.pop(tid)]

    specs = [spec for spec in plan(cfg, methods) if spec["base"] in by_name]
    if batch_size(cfg) == 1:
        return [(run_key(spec), lambda spec=spec: compute(spec)) for spec in specs]
    return [(run_key(spec), lambda b=batch, w=width, spec=spec: compute_batch(b, w, spec))
            for batch, width in todo_batches(cfg, specs, done) for spec in batch]


def todo_batches(cfg: Config, specs: list[dict[str, Any]], done: frozenset) -> list[tuple[list[dict[str, Any]], int]]:
    """The ``batches`` of ``specs`` (a whole plan), less the runs in ``done`` (``results.task_id`` of finished
    runs), as (runs, width) pairs, empty batches dropped: a batch keeps its runs and its width, so its
    checkpoint and its compiled program, however much of the study is done."""
    from tsallis_theory.results import task_id

    kept = [([s for s in batch if task_id(run_key(s)) not in done], width) for batch, width in batches(cfg, specs)]
    return [(batch, width) for batch, width in kept if batch]


def compile_ahead_batches(cfg: Config, methods: tuple[str, ...] | None = None,
                          done: frozenset = frozenset()) -> list[tuple[list, list, int]]:
    """The study's ``todo_batches`` as (run configs, policies, width) for ``_lm_loop.Trainers.compile_ahead``,
    before any base exists: the policies stand in for the bases (a fresh model of the study's architecture;
    only shapes matter to a compilation)."""
    import jax

    from tsallis_theory.lm.transformer import Transformer

    like = Transformer(jax.random.PRNGKey(0), cfg.task, cfg.model)
    return [([train_config(cfg, s) for s in batch], [like] * len(batch), width)
            for batch, width in todo_batches(cfg, plan(cfg, methods), done)]


def done_runs(cfg: Config, out, fresh: bool = False) -> frozenset:
    """The task ids (``results.task_id``) of the finished runs in ``out``'s rows of ``cfg`` (none if ``fresh``);
    ``results.ConfigMismatch`` if those rows were made under another config."""
    if fresh:
        return frozenset()
    runs_file = ResultsFile(runs_path(out, cfg.name), results_config(cfg))
    runs_file.check_config()
    return frozenset(runs_file.done_tasks())


def work(cfg: Config, methods: tuple[str, ...] | None = None, done: frozenset = frozenset()) -> list[dict[str, Any]]:
    """The training the runs of ``plan(cfg, methods)`` not in ``done`` still need, as ``todo_batches`` will run
    them: one dict per (compiled program, budget), in order of first appearance, with the program's number
    (one per compile key and padded width: each is compiled once), its coefficient kind, optimiser and chunk,
    the budget ``steps``, the padded ``width``, the number of ``batches`` and of real ``runs``, and the matmul
    FLOPs of their training and of their held-out evaluations (one at step 0 and one per chunk), padded runs
    included (``transformer.train_step_flops``, ``transformer.evaluation_flops``). The bases' pretraining is
    not counted: its length depends on when the measured p0 targets are met."""
    from tsallis_theory.lm.trainer import compile_key
    from tsallis_theory.lm.transformer import evaluation_flops, train_step_flops

    programs: dict[tuple, int] = {}
    groups: dict[tuple, dict[str, Any]] = {}
    for batch, width in todo_batches(cfg, plan(cfg, methods), done):
        tc = train_config(cfg, batch[0])
        key = compile_key(tc)
        program = programs.setdefault((key, width), len(programs) + 1)
        evaluations = -(-tc.steps // tc.chunk) + 1
        g = groups.setdefault((program, tc.steps), {
            "program": program, "kind": key[0], "optimizer": tc.optimizer, "chunk": tc.chunk,
            "steps": tc.steps, "width": width, "batches": 0, "runs": 0, "train_flops": 0.0, "eval_flops": 0.0})
        g["batches"] += 1
        g["runs"] += len(batch)
        sampled = not parse_method(tc.method).uses_gold_rationale
        g["train_flops"] += width * tc.steps * train_step_flops(cfg.task, cfg.model, tc.batch_prompts, tc.group_size,
                                                                cfg.share_prompt, sampled)
        g["eval_flops"] += width * evaluations * evaluation_flops(cfg.task, cfg.model, tc.eval_prompts, tc.eval_k,
                                                                  cfg.share_prompt)
    return list(groups.values())


def describe_work(groups: list[dict[str, Any]], cfg: Config) -> str:
    """``work``'s groups as lines, then the totals: batches, programs to compile, the train steps the batches
    take one after another (a batch's steps are sequential; its runs are not), and the matmul FLOPs."""
    if not groups:
        return f"nothing to train: every run of the {cfg.name} preset's plan has its row"
    lines = [f"program {g['program']} ({g['kind']}, {g['optimizer']}, chunk {g['chunk']}), {g['steps']} steps: "
             f"{g['batches']} batch{'es' if g['batches'] > 1 else ''} of width {g['width']}, {g['runs']} runs; "
             f"{g['train_flops']:.3g} FLOP training, {g['eval_flops']:.3g} FLOP evaluation" for g in groups]
    train, evals = sum(g["train_flops"] for g in groups), sum(g["eval_flops"] for g in groups)
    lines.append(f"{sum(g['runs'] for g in groups)} runs in {sum(g['batches'] for g in groups)} batches of "
                 f"{len({g['program'] for g in groups})} compiled programs; {sum(g['batches'] * g['steps'] for g in groups):,} "
                 f"train steps one after another; {train + evals:.3g} matmul FLOP ({train:.3g} training, {evals:.3g} "
                 f"evaluation), the bases' pretraining not included")
    return "\n".join(lines)


def _missing_base_checkpoints(bases: list[dict[str, Any]], ckpt_dir) -> list[str]:
    from tsallis_theory.lm import checkpoints as C
    from tsallis_theory.studies._lm_loop import base_path

    return [b["name"] for b in bases if not C.exists(base_path(ckpt_dir, b["name"]))]


def _check_base_checkpoints(bases: list[dict[str, Any]], ckpt_dir, path: Path) -> None:
    missing = _missing_base_checkpoints(bases, ckpt_dir)
    if missing:
        raise ValueError(f"{path} lists base(s) {', '.join(missing)} but {Path(ckpt_dir) / 'bases'} has no checkpoint "
                         f"of them; pass the --ckpt they were built under, --rebuild-bases to rebuild them (each must "
                         f"reproduce its row), or --fresh to start over")


REBUILT_FIELDS = ("steps", "p0")  # what a rebuilt base must reproduce exactly (``rebuild_bases``)


def rebuild_bases(cfg: Config, recorded: list[dict[str, Any]], ckpt_dir, path: Path, *, progress: bool = True) -> None:
    """Rebuild every base checkpoint of ``cfg`` into ``ckpt_dir`` (every pretraining stage, as when the study
    began) and require each base of ``recorded`` (the rows of ``path``) to come out with the same step and
    the same measured p0, exactly (``REBUILT_FIELDS``); ValueError naming the first that differs. This lets
    a study whose checkpoints are gone (a new machine) continue from its rows without mixing runs from two
    builds of the bases. The procedure is deterministic on CPU; on a GPU it needs deterministic reductions and
    the same compiler choices as the first build (experiments/gpu_study.sh's STUDY_XLA_FLAGS), or the check
    refuses the rebuilt bases."""
    builder = _base_builder(cfg, ckpt_dir, progress)
    check_rebuilt(recorded, builder.warm() + builder.slip() + builder.cold(), path)


def check_rebuilt(recorded: list[dict[str, Any]], rebuilt: list[dict[str, Any]], path: Path) -> None:
    """ValueError naming the first base of ``recorded`` (the rows of ``path``) that ``rebuilt`` (the records
    of a new build) lacks or gives another step or p0 (``REBUILT_FIELDS``)."""
    by_name = {r["name"]: r for r in rebuilt}
    for row in recorded:
        new = by_name.get(row["name"])
        if new is None or any(new[f] != row[f] for f in REBUILT_FIELDS):
            got = "not reached" if new is None else ", ".join(f"{f} {new[f]}" for f in REBUILT_FIELDS)
            raise ValueError(f"rebuilt base {row['name']} differs from its row in {path} ("
                             + ", ".join(f"{f} {row[f]}" for f in REBUILT_FIELDS) + f"; rebuilt: {got}); its runs "
                             "cannot continue from it: use the original --ckpt, or --fresh")


def run(cfg: Config, out, *, fresh: bool = False, progress: bool = True, methods: tuple[str, ...] | None = None,
        ckpt=None, run_mesh=None, rebuild: bool = False, time_limit: float | None = None,
        compile_ahead: bool | None = None) -> list[dict[str, Any]]:
    """Build (or reuse) the bases, then run (or resume) every run of ``plan(cfg, methods)``; returns the run
    rows of ``<out>/lm_<name>/runs.jsonl``. ``ckpt``: the checkpoint folder (default ``<out>/lm_<name>/checkpoints``).
    ``rebuild``: when base checkpoints listed in the rows are missing, rebuild them (``rebuild_bases``: each
    must reproduce its row) instead of raising.
    ``run_mesh`` (``sharding.run_mesh()``): shard each batch of runs over its devices (default: every device
    when there are several, else none). ``time_limit`` (seconds from the call): the run or batch in progress
    stops between chunks when another chunk would end past it, saved, and ``results.TimeLimitReached`` is
    raised; a rerun continues from there (the pretraining stages are not interrupted). ``compile_ahead``:
    compile the batched programs in a background thread from the start, while the bases and the earlier
    batches train (``_lm_loop.Trainers.compile_ahead``; None: when runs go in batches on an accelerator, where
    a compilation takes minutes and the host's cores are idle; on a CPU they would compete with training)."""
    from tsallis_theory.studies._lm_loop import Trainers

    deadline = Deadline(time_limit)
    if run_mesh is None:
        import jax

        if len(jax.devices()) > 1:
            from tsallis_theory.lm.sharding import run_mesh as all_devices

            run_mesh = all_devices()
    cfg.validate()
    if methods is not None:
        plan(cfg, methods)  # ValueError for an unknown method, before any work
    folder = study_dir(out, cfg.name)
    ckpt_dir = Path(ckpt) if ckpt is not None else folder / CHECKPOINTS
    bases_file = ResultsFile(folder / BASES, _bases_config(cfg))
    runs_file = ResultsFile(folder / RUNS, results_config(cfg))
    if fresh:
        for sub in ("bases", "runs"):
            shutil.rmtree(ckpt_dir / sub, ignore_errors=True)
    else:
        bases_file.check_config()
    done = done_runs(cfg, out, fresh)
    trainers = Trainers(cfg.task, share_prompt=cfg.share_prompt)
    if compile_ahead is None:
        import jax

        compile_ahead = jax.default_backend() != "cpu"
    if compile_ahead and batch_size(cfg) > 1:  # beside the pretraining, or the rebuild of the bases
        from tqdm.auto import tqdm

        trainers.compile_ahead(compile_ahead_batches(cfg, methods, done), run_mesh,
                               report=tqdm.write if progress else None)
    try:
        if not fresh:
            recorded = bases_file.rows()
            if rebuild and _missing_base_checkpoints(recorded, ckpt_dir):
                rebuild_bases(cfg, recorded, ckpt_dir, bases_file.path, progress=progress)
            _check_base_checkpoints(recorded, ckpt_dir, bases_file.path)
        bases = run_tasks(bases_file.path, bases_file.config, base_tasks(cfg, ckpt_dir, progress=progress),
                          fresh=fresh, progress=progress, desc=f"lm {cfg.name} bases")
        run_list = tasks(cfg, bases, ckpt_dir, methods=methods, progress=progress, done=done, run_mesh=run_mesh,
                         deadline=deadline, trainers=trainers)
        return run_tasks(runs_file.path, runs_file.config, run_list, fresh=fresh, progress=progress,
                         desc=f"lm {cfg.name}")
    finally:
        trainers.close()


def summary(rows: list[dict[str, Any]], cfg: Config) -> str:
    """One line per run: experiment, base and its p0, method, seed, escape step, final held-out metrics."""
    lines = []
    for r in rows:
        esc, f = r["escape_step"], r["final"]
        maj = next(v for k, v in f.items() if k.startswith("maj@"))
        lines.append(f"{r['experiment']:<5} {r.get('arm', ''):<10} {r['base']:<11} p0={r['p0']:.3g} {r['method']:<10} "
                     f"seed={r['seed']} "
                     f"escape={'-' if esc is None else esc:<5} final P={f['eval_mean_P']:.3f} maj={maj:.3f} "
                     f"contamination={f['eval_contamination']:.3g}")
    lines.append(f"{len(rows)} runs of the {cfg.name} preset")
    return "\n".join(lines)
