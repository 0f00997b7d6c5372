"""Stage A of the LM base procedure, watched: held-out p0 and rationale accuracy every N steps, until p0
reaches a level (claim LM-WARM's base: is there a model with p0 in 0.3-0.5 whose rationales are still
diverse, i.e. rationale accuracy well below 1?).

    python experiments/lm_warm_trajectory.py [--preset cpu] [--modulus M --chain-length L] [--every 25]
                                             [--until 0.6] [--max-steps 3000]

Runs in float64 mode, as the CLI runs the study (stage A's trajectory depends on the precision: docs/lm.md,
"Base checkpoints"). Prints one line per measurement: step, p0 (held-out mean P), rationale accuracy, p@1.
"""

from __future__ import annotations

import argparse
import dataclasses
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))


def main(argv=None) -> int:
    from tsallis_theory.studies.lm import PRESETS

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--preset", default="cpu", choices=sorted(PRESETS))
    ap.add_argument("--modulus", type=int, help="m of the task (default: the preset's)")
    ap.add_argument("--chain-length", type=int, help="L of the task (default: the preset's)")
    ap.add_argument("--every", type=int, default=25, help="steps between measurements")
    ap.add_argument("--until", type=float, default=0.6, help="stop once p0 reaches this, in (0, 1)")
    ap.add_argument("--max-steps", type=int, default=3000, help="stop after this many steps")
    args = ap.parse_args(argv)
    if args.every < 1 or args.max_steps < 1:
        ap.error(f"--every and --max-steps must be >= 1; got {args.every} and {args.max_steps}")
    if not 0 < args.until < 1:
        ap.error(f"--until must be in (0, 1); got {args.until}")

    from tsallis_theory._config import enable_x64
    from tsallis_theory.lm.base import init_model, make_measure, warm_stage
    from tsallis_theory.lm.configs import TaskConfig
    from tsallis_theory.studies.lm import pretrain_of

    enable_x64()
    cfg = PRESETS[args.preset]
    try:
        task = TaskConfig(modulus=args.modulus or cfg.task.modulus, chain_length=args.chain_length or cfg.task.chain_length)
    except ValueError as exc:
        ap.error(str(exc))
    # one far warm target keeps stage A measuring every --every steps; it never ends the stage early
    pre = dataclasses.replace(pretrain_of(cfg), warm_p0_targets=(min(0.999 * cfg.pretrain.warm_digit_frac, 0.99),),
                              measure_every=args.every, warm_max_steps=args.max_steps)
    model = init_model(task, cfg.model, pre)
    print(f"preset {args.preset}, task m = {task.modulus}, L = {task.chain_length}; step, p0, rationale accuracy, p@1")
    last = None
    for p in warm_stage(task, model, pre, make_measure(task, model, pre), strict=False):
        if p.metrics is not None and p.step != last:
            last = p.step
            m = p.metrics
            print(f"{p.step:6d}  {m['eval_mean_P']:.3f}  {m['rationale_acc']:.3f}  {m['p@1']:.3f}", flush=True)
            if m["eval_mean_P"] >= args.until:
                break
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
