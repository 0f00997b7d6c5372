"""Benchmark of the small-LM engine: runs/s trained as one batch (a leading run axis) against the same runs
one at a time, train-step tokens/s, sampling tokens/s and achieved FLOP/s as a fraction of a float32 matmul
peak measured in the same run.

    python experiments/bench_lm.py [--preset cpu|gpu|smoke] [--steps N] [--runs R] [--sequential-runs S]
                                   [--repeat K] [--profile]

Batched against sequential: R runs of the preset's GARL rule (q, seed and learning rate differing per run,
as in the study's batches), each ``--steps`` steps (one chunk) plus the held-out evaluation the study makes
after a chunk, from R freshly initialised models of the preset's architecture, as one batch; and the first S
of them (all by default) one at a time on the same compiled trainer. Both ways are compiled and warmed up
first; the ratio of runs/s is printed, with each way's first call (compilation included), and the share
of a batched step that is sampling (the R runs' rollouts of one step, timed alone). On a GPU,
``--runs 60 --steps 20`` compiles the program of the gpu preset's LM-COLD batches, which a persistent
compilation cache then hands to the study (experiments/gpu_study.sh).

The peak is a matmul in the model's dtype (float32 at JAX's default precision, TF32 on GPUs that have it; bfloat16 for
a bfloat16 model), 1024^3 on CPU and
8192^3 on GPU. FLOPs count matmuls only (2 per multiply-add, ``transformer.train_step_flops``): a train step is one
sampling pass (forward, KV-cached) plus a forward and a backward (x3) over the T − 1 positions of B·M
rollouts, or, for a preset that shares each prompt among its rollouts (``share_prompt``, the gpu preset),
over the B prompts once and the B·M continuations (``transformer.step_tokens``): the work done, not the
work saved. (Until 2026-12-04 it counted T positions: the MFU figures in docs/lm.md from before are 14/13
of what this count gives, for the gpu task.)
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tsallis_theory.cli import ScriptParser  # noqa: E402
import jax  # noqa: E402
import jax.numpy as jnp  # noqa: E402


def _time(fn, repeat, first=None):
    """Mean seconds of ``fn()`` over ``repeat`` calls after one untimed call (compilation and warm-up); the
    first call's seconds are appended to the list ``first`` when given."""
    t0 = time.perf_counter()
    jax.block_until_ready(fn())
    if first is not None:
        first.append(time.perf_counter() - t0)
    t0 = time.perf_counter()
    for _ in range(repeat):
        out = fn()
    jax.block_until_ready(out)
    return (time.perf_counter() - t0) / repeat


def matmul_peak(n: int, repeat: int = 10, dtype: str = "float32") -> float:
    a = jax.random.normal(jax.random.PRNGKey(0), (n, n), dtype)
    f = jax.jit(lambda x: x @ x)
    return 2 * n ** 3 / _time(lambda: f(a), repeat)


def bench_models(task, study, runs: int) -> list:
    """``runs`` freshly initialised models of ``study``'s architecture, one per run of the timed batch."""
    from tsallis_theory.lm.transformer import Transformer

    return [Transformer(jax.random.PRNGKey(100 + i), task, study.model) for i in range(runs)]


def batch_against_sequential(task, study, cfg, models: list, sequential_runs: int, repeat: int = 2,
                             first=None, profile: bool = False) -> tuple[float, float]:
    """Seconds per run to train R runs from ``models`` (one chunk each, then the held-out evaluation) as one batch,
    and the first ``sequential_runs`` of them one at a time on the same compiled trainer; both compiled and
    warmed up before timing (the first calls' seconds, compilation included, go to the list ``first``).
    With ``profile``, one more batched call is traced and where its device time went is printed
    (``trace_summary``)."""
    import dataclasses

    from tsallis_theory.lm.sharding import pad_runs, run_mesh
    from tsallis_theory.lm.trainer import make_trainer

    runs = len(models)
    qs = (0.25, 0.5, 0.75, 1.0)
    cfgs = [dataclasses.replace(cfg, method=f"garl-{qs[i % 4]}", seed=i, lr=cfg.lr * (1 + i % 3)) for i in range(runs)]
    tr = make_trainer(task, cfg, models[0], share_prompt=study.share_prompt)
    mesh = run_mesh() if len(jax.devices()) > 1 else None
    size = 1 if mesh is None else mesh.size
    pcfgs, pmodels = pad_runs(cfgs, size), pad_runs(models, size)

    def batched():
        state, metrics = tr.train_chunk_batch(tr.init_batch(pmodels, pcfgs, mesh))
        return tr.evaluate_batch(state.params, [c.seed for c in pcfgs])["eval_mean_P"], metrics["mean_P"]

    def sequential():
        out = []
        for c, mdl in zip(cfgs[:sequential_runs], models):
            state, metrics = tr.train_chunk(tr.init(mdl, c))
            out.append((tr.evaluate(state.params, c.seed)["eval_mean_P"], metrics["mean_P"]))
        return out

    batched_s = _time(batched, repeat, first) / runs
    if profile:
        from experiments import trace_summary

        print(f"profile of one batched call ({runs} runs x {cfg.chunk} steps + evaluation):\n"
              + trace_summary.report(trace_summary.profile(batched)), flush=True)
    return batched_s, _time(sequential, repeat, first) / sequential_runs


def batched_sampling(task, study, cfg, models: list, repeat: int = 2) -> float:
    """Seconds for R runs (``models``) to sample one train step's B·M rollouts each, as one program with a
    leading run axis: the sampling part of a batched train step (the rest is the forward and backward)."""
    import equinox as eqx

    from tsallis_theory.lm.policy import sample_batch
    from tsallis_theory.lm.trainer import stack_runs

    runs = len(models)
    params = stack_runs([eqx.filter(mdl, eqx.is_inexact_array) for mdl in models])
    static = eqx.partition(models[0], eqx.is_inexact_array)[1]
    b, m = cfg.batch_prompts, cfg.group_size
    keys = jax.random.split(jax.random.PRNGKey(1), runs * b * m).reshape(runs, b, m, -1)
    prompts = _prompts(task, b)
    sample = eqx.filter_jit(jax.vmap(lambda p, k: sample_batch(eqx.combine(p, static), k, prompts, study.share_prompt)))
    return _time(lambda: sample(params, keys)[1], repeat)


def _prompts(task, n: int):
    """``n`` well-formed prompts (BOS, values, SEP) for timing."""
    prompts = jnp.tile(jnp.arange(task.prompt_len) % task.modulus, (n, 1)).at[:, 0].set(task.bos)
    return prompts.at[:, -1].set(task.sep)


def main(argv=None) -> int:
    import equinox as eqx

    from tsallis_theory._config import enable_x64
    from tsallis_theory.lm.policy import sample_batch
    from tsallis_theory.lm.trainer import make_trainer
    from tsallis_theory.lm.transformer import Transformer, flops_per_token, step_tokens, train_step_flops
    from tsallis_theory.studies.lm import PRESETS

    ap = ScriptParser(description=__doc__.splitlines()[0])
    ap.add_argument("--preset", default="cpu", choices=sorted(PRESETS))
    ap.add_argument("--steps", type=int, default=20, help="steps per timed chunk")
    ap.add_argument("--runs", type=int, default=16, help="runs in the batch (batched against sequential)")
    ap.add_argument("--sequential-runs", type=int, default=0,
                    help="how many of those runs are timed one at a time (0: all; runs/s is a rate either way)")
    ap.add_argument("--repeat", type=int, default=2, help="timed repetitions of each way")
    ap.add_argument("--profile", action="store_true",
                    help="trace one more batched call and print where its device time went (busy share, matmul "
                         "share, the kernels with the most time; experiments/trace_summary.py)")
    args = ap.parse_args(argv)
    if args.steps < 1 or args.runs < 1 or args.repeat < 1:
        ap.error(f"--steps, --runs and --repeat must be >= 1; got {args.steps}, {args.runs} and {args.repeat}")
    if not 0 <= args.sequential_runs <= args.runs:
        ap.error(f"--sequential-runs must be in [0, --runs]; got {args.sequential_runs}")
    seq_runs = args.sequential_runs or args.runs
    enable_x64()  # as the CLI runs the study (parameters and activations stay float32)
    study = PRESETS[args.preset]
    import dataclasses

    cfg = dataclasses.replace(study.train, method="garl-0.75", chunk=args.steps, steps=args.steps)
    task = study.task
    model = Transformer(jax.random.PRNGKey(0), task, study.model)
    tr = make_trainer(task, cfg, model, share_prompt=study.share_prompt)
    state = tr.init(model)
    b, m, t = cfg.batch_prompts, cfg.group_size, task.seq_len
    fpt = flops_per_token(task, study.model)

    peak_n = 1024 if jax.default_backend() == "cpu" else 8192  # a size that saturates the device
    dtype = "bfloat16" if study.model.dtype == "bfloat16" else "float32"  # the peak of the model's own dtype
    peak = matmul_peak(peak_n, dtype=dtype)
    first: list[float] = []
    step_s = _time(lambda: tr.train_chunk(state)[1]["mean_P"], 3, first) / args.steps
    keys = jax.random.split(jax.random.PRNGKey(1), b * m).reshape(b, m, -1)
    prompts = _prompts(task, b)
    sample = eqx.filter_jit(lambda mdl, k: sample_batch(mdl, k, prompts, study.share_prompt))
    samp_s = _time(lambda: sample(model, keys)[1], 10)

    # positions computed per pass (shared prompts once): sampling feeds the T - 1 positions a forward computes
    train_tokens = step_tokens(task, b, m, study.share_prompt)
    train_flops = train_step_flops(task, study.model, b, m, study.share_prompt)
    print(f"device: {jax.devices()[0].device_kind} ({jax.default_backend()}), preset {args.preset}: "
          f"B={b} M={m} T={t}, {sum(x.size for x in jax.tree.leaves(state.params))} parameters, "
          f"{'each prompt shared by its rollouts' if study.share_prompt else 'every rollout computes its prompt'} "
          f"({train_tokens} positions per pass)")
    print(f"matmul peak ({dtype} {peak_n}^3 at default precision, measured now): {peak / 1e9:.1f} GFLOP/s")
    print(f"train step: {step_s * 1e3:.1f} ms, {train_tokens / step_s:,.0f} tokens/s, "
          f"{train_flops / step_s / 1e9:.2f} GFLOP/s = {train_flops / step_s / peak:.1%} of the matmul peak")
    print(f"first train chunk (compilation included): {first[0]:.1f} s", flush=True)
    if study.share_prompt:  # the baseline: the same step with every rollout computing its prompt
        plain = make_trainer(task, cfg, model)
        plain_state = plain.init(model)
        plain_s = _time(lambda: plain.train_chunk(plain_state)[1]["mean_P"], 3) / args.steps
        print(f"shared prompt: train step {step_s * 1e3:.1f} ms against {plain_s * 1e3:.1f} ms with every rollout "
              f"computing its prompt: {plain_s / step_s:.2f}x as fast (work {step_tokens(task, b, m) / train_tokens:.2f}x "
              f"less)",
              flush=True)
    models = bench_models(task, study, args.runs)
    batched_s, sequential_s = batch_against_sequential(task, study, cfg, models, seq_runs, args.repeat, first,
                                                       args.profile)
    print(f"batched runs: {args.runs} runs x {args.steps} steps + evaluation: one batch {batched_s * args.runs:.2f} s "
          f"({1 / batched_s:.2f} runs/s), one at a time ({seq_runs} timed) {sequential_s:.3f} s per run "
          f"({1 / sequential_s:.2f} runs/s): batched/sequential = {sequential_s / batched_s:.2f}x; batched train step "
          f"{train_flops / (batched_s / args.steps) / peak:.1%} of the matmul peak (evaluation included); "
          f"first calls (compilation included): batch {first[1]:.1f} s, one at a time {first[2]:.1f} s")
    print(f"sampling: {b * m / samp_s:,.0f} rollouts/s, {train_tokens * fpt / samp_s / 1e9:.2f} GFLOP/s "
          f"= {train_tokens * fpt / samp_s / peak:.1%} of the matmul peak")
    bsamp_s = batched_sampling(task, study, cfg, models, args.repeat)
    samp_flops = args.runs * train_tokens * fpt
    print(f"batched sampling: {args.runs} runs x one step's B*M rollouts in {bsamp_s * 1e3:.1f} ms = "
          f"{samp_flops / bsamp_s / peak:.1%} of the matmul peak; "
          f"{bsamp_s / (batched_s * args.runs / args.steps):.0%} of a batched train step (evaluation included)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
