"""Small-LM study (claims LM-COLD, LM-WARM, LM-NOISE): pretrain base checkpoints with measured p0, then
train every method from them; one result row per run, resumable. Figures: --figures.

Examples:
  tsallis-lab lm --preset smoke
  tsallis-lab lm --preset cpu --out experiments/results/lm_cpu            (about 30 minutes on 2 cores)
  tsallis-lab lm --preset cpu --methods garl-1 garl-0.75 --out /tmp/lm
  tsallis-lab lm --preset gpu --max-steps 20                               (check the gpu preset on CPU)
  tsallis-lab lm --figures --out experiments/results/lm_cpu                (figures from the rows only)
"""

from __future__ import annotations

import argparse
from pathlib import Path


def configure(parser: argparse.ArgumentParser) -> None:
    from tsallis_theory.lm.config import PRESETS

    parser.formatter_class = argparse.RawDescriptionHelpFormatter
    parser.add_argument("--preset", default="smoke", choices=sorted(PRESETS), help="study size (default: smoke)")
    parser.add_argument("--methods", nargs="+", metavar="METHOD",
                        help="only these methods: grpo rb-rloo garl-<q> paft-<q> schedule sft")
    parser.add_argument("--out", metavar="DIR", help="result rows (default: results/lm_<preset>)")
    parser.add_argument("--ckpt", metavar="DIR", help="checkpoints (default: results/lm_<preset>/checkpoints)")
    parser.add_argument("--max-steps", type=int, metavar="N",
                        help="cap every training and pretraining stage at N steps (a quick check of a preset)")
    parser.add_argument("--figures", action="store_true", help="only (re)draw figures from existing rows")
    parser.add_argument("--figures-dir", default="figures", metavar="DIR", help="where figures go (default: figures)")
    parser.add_argument("--no-progress", action="store_true", help="no progress bars")


def run(args) -> int:
    from tsallis_theory.lm.config import PRESETS
    from tsallis_theory.lm.objectives import parse_method

    study = PRESETS[args.preset]
    if args.methods:
        for m in args.methods:
            parse_method(m)  # ValueError names the method and the allowed forms
    if args.max_steps is not None and args.max_steps < 1:
        raise ValueError(f"--max-steps must be >= 1; got {args.max_steps}")
    out = Path(args.out or f"results/lm_{study.name}")
    if args.figures:
        from tsallis_theory.plots.lm import draw_all

        for path in draw_all(out, Path(args.figures_dir), prefix=f"lm_{study.name}" if args.preset != "cpu" else "lm"):
            print(f"wrote {path}")
        return 0
    from tsallis_theory.studies.lm import run_study

    ckpt = Path(args.ckpt or f"results/lm_{study.name}/checkpoints")
    rows = run_study(study, out, ckpt, methods=tuple(args.methods) if args.methods else None,
                     max_steps=args.max_steps, progress=not args.no_progress)
    for r in rows:
        esc = r["escape_step"]
        f = r["final"]
        maj = next(v for k, v in f.items() if k.startswith("maj@"))
        print(f"{r['experiment']:<5} {r['base']:<11} p0={r['p0']:.3g} {r['method']:<10} seed={r['seed']} "
              f"escape={'-' if esc is None else esc:<5} final P={f['eval_mean_P']:.3f} maj={maj:.3f} "
              f"contamination={f['eval_contamination']:.3g}")
    print(f"rows in {out / 'runs.jsonl'}")
    return 0
