"""A stage of the LM base procedure, watched: held-out p0, rationale accuracy and rationale agreement every
N steps (claim LM-WARM's base: is there a model with p0 in 0.3-0.5 whose rationales are diverse, i.e.
rationale accuracy well below 1 and a prompt's sampled rationales often different?).

    python experiments/lm_warm_trajectory.py [--preset cpu] [--modulus M --chain-length L] [--every 25]
                                             [--until 0.6] [--max-steps 3000]
    python experiments/lm_warm_trajectory.py --stage S [--slip-rate 0.6] [--lr 1e-4] [--until 0.3]

Stage A (default) from the initialisation, until p0 rises to --until; stage S (slips) from the end of
stage A, until p0 falls to --until. Runs in float64 mode, as the CLI runs the study (stage A's trajectory
depends on the precision: docs/lm.md, "Base checkpoints"). Prints one line per measurement: step, p0
(held-out mean P), rationale accuracy, rationale agreement, p@1.
"""

from __future__ import annotations

import dataclasses
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tsallis_theory.cli import ScriptParser  # noqa: E402


def _given(value, default):
    """The flag's value when given (0 included, so that the config's validation judges it), else the default."""
    return default if value is None else value


def main(argv=None) -> int:
    from tsallis_theory.studies.lm import PRESETS

    ap = ScriptParser(description=__doc__.splitlines()[0])
    ap.add_argument("--preset", default="cpu", choices=sorted(PRESETS))
    ap.add_argument("--modulus", type=int, help="m of the task (default: the preset's)")
    ap.add_argument("--chain-length", type=int, help="L of the task (default: the preset's)")
    ap.add_argument("--every", type=int, default=25, help="steps between measurements")
    ap.add_argument("--stage", default="A", choices=("A", "S"), help="A: stage A from the initialisation; "
                    "S: stage S (chains with slips) from the end of stage A")
    ap.add_argument("--slip-rate", type=float, help="stage S: slip rate r in (0, 1) (default: the preset's)")
    ap.add_argument("--lr", type=float, help="stage S: Adam learning rate (default: the preset's lr_slip)")
    ap.add_argument("--until", type=float, default=0.6, help="stop once p0 reaches this (stage A: rises to, "
                    "stage S: falls to), in (0, 1)")
    ap.add_argument("--max-steps", type=int, default=3000, help="stop after this many steps")
    args = ap.parse_args(argv)
    if args.every < 1 or args.max_steps < 1:
        ap.error(f"--every and --max-steps must be >= 1; got {args.every} and {args.max_steps}")
    if not 0 < args.until < 1:
        ap.error(f"--until must be in (0, 1); got {args.until}")

    from tsallis_theory._config import enable_x64
    from tsallis_theory.lm.base import init_model, make_measure, slip_stage, warm_stage
    from tsallis_theory.lm.configs import TaskConfig
    from tsallis_theory.studies.lm import pretrain_of

    enable_x64()
    cfg = PRESETS[args.preset]
    try:
        task = TaskConfig(modulus=_given(args.modulus, cfg.task.modulus),
                          chain_length=_given(args.chain_length, cfg.task.chain_length))
        pre = pretrain_of(cfg)
        if args.stage == "A":
            # one far warm target keeps stage A measuring every --every steps; it never ends the stage early
            pre = dataclasses.replace(pre, warm_p0_targets=(min(0.999 * pre.warm_digit_frac, 0.99),),
                                      measure_every=args.every, warm_max_steps=args.max_steps)
        else:
            pre = dataclasses.replace(pre, slip_rate=_given(args.slip_rate, pre.slip_rate),
                                      lr_slip=_given(args.lr, pre.lr_slip),
                                      slip_p0_targets=(args.until,), slip_max_steps=args.max_steps,
                                      measure_every=args.every)
    except ValueError as exc:
        ap.error(str(exc))
    model = init_model(task, cfg.model, pre)
    measure = make_measure(task, model, pre)
    print(f"preset {args.preset}, task m = {task.modulus}, L = {task.chain_length}, stage {args.stage}"
          + (f" (slip rate {pre.slip_rate}, lr {pre.lr_slip})" if args.stage == "S" else ""))
    if args.stage == "S":
        warm_steps = 0
        for p in warm_stage(task, model, dataclasses.replace(pre, warm_p0_targets=()), measure, strict=False):
            model, warm_steps = p.model, p.step
        stage = slip_stage(task, model, pre, measure, warm_steps, strict=False)
    else:
        stage = warm_stage(task, model, pre, measure, strict=False)
    print("step, p0, rationale accuracy, rationale agreement, p@1")
    last = None
    for p in stage:
        if p.metrics is not None and p.step != last:
            last = p.step
            m = p.metrics
            print(f"{p.step:6d}  {m['eval_mean_P']:.3f}  {m['rationale_acc']:.3f}  {m['rationale_agree']:.3f}  "
                  f"{m['p@1']:.3f}", flush=True)
            if (m["eval_mean_P"] >= args.until) == (args.stage == "A"):
                break
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
