"""Small-LM study (claims LM-COLD, LM-WARM, LM-NOISE): pretrain base checkpoints with measured p0, then
train every method from them; one result row per run in DIR/lm_<preset>/runs.jsonl (--out DIR), resumable.
Figures go to --figures DIR (lm_* for the cpu preset, lm_<preset>_* for the others).

Examples:
  tsallis-lab lm --preset smoke --out /tmp/lm
  tsallis-lab lm --preset cpu --out /tmp/lm           (about 30 minutes on 2 cores; rows: /tmp/lm/lm_cpu)
  tsallis-lab lm --preset cpu --methods garl-1 garl-0.75 --out /tmp/lm
  tsallis-lab lm --preset gpu --max-steps 20 --out /tmp/lm          (check the gpu preset on CPU)
  tsallis-lab lm --preset cpu --figures-only          (redraw figures/lm_*.png from the committed rows)
  tsallis-lab lm --preset gpu --rebuild-bases         (continue committed rows on a machine without checkpoints)
  tsallis-lab lm --preset cpu --time-limit 600        (stop between chunks after at most 10 minutes, saved; rerun)
  tsallis-lab lm --preset gpu --batch-runs 64 --plan  (what the study would train, in which batches; no training)
"""

from __future__ import annotations

import argparse
import dataclasses
from pathlib import Path


TIME_LIMIT_EXIT = 124  # the exit code of a study stopped by --time-limit (as timeout(1) gives)


def _study():
    from tsallis_theory.studies import lm

    return lm


def configure(parser: argparse.ArgumentParser) -> None:
    from tsallis_theory.cli._study import add_config_arguments, add_output_arguments

    parser.formatter_class = argparse.RawDescriptionHelpFormatter
    add_config_arguments(parser, _study())
    add_output_arguments(parser, "lm_<preset>/runs")
    parser.add_argument("--methods", nargs="+", metavar="METHOD",
                        help="only the runs of these methods: grpo rb-rloo garl-<q> paft-<q> schedule sft")
    parser.add_argument("--max-steps", type=int, metavar="N",
                        help="cap every training and pretraining stage at N steps (a quick check of a preset)")
    parser.add_argument("--ckpt", metavar="DIR", help="checkpoints (default: DIR/lm_<preset>/checkpoints)")
    parser.add_argument("--rebuild-bases", action="store_true",
                        help="rebuild base checkpoints missing from --ckpt (a new machine); each must reproduce its "
                             "recorded step and p0 exactly, and the study then continues from its rows")
    parser.add_argument("--time-limit", type=float, metavar="SECONDS",
                        help="stop the run or batch in progress between chunks, saved, when another chunk would end "
                             "more than SECONDS after the start; exit code 124; rerun to resume")
    parser.add_argument("--compile-ahead", action=argparse.BooleanOptionalAction, default=None,
                        help="compile the batched programs in a background thread while the bases and earlier "
                             "batches train (default: on when runs go in batches on an accelerator)")
    parser.add_argument("--plan", action="store_true",
                        help="only print the training the runs without rows still need (batches, compiled programs, "
                             "sequential steps, matmul FLOPs) and exit")
    parser.add_argument("--figures-only", action="store_true",
                        help="only redraw the figures from the rows in --out (no training)")


def _config(study, args):
    from tsallis_theory.cli._study import config_from_args
    from tsallis_theory.lm.methods import parse_method

    for m in args.methods or ():
        parse_method(m)  # ValueError names the method and the allowed forms
    if args.max_steps is not None and args.max_steps < 1:
        raise ValueError(f"--max-steps must be >= 1; got {args.max_steps}")
    if args.time_limit is not None and not args.time_limit > 0:
        raise ValueError(f"--time-limit must be > 0 seconds; got {args.time_limit}")
    cfg = config_from_args(study, args)
    if args.max_steps is not None:
        cfg = dataclasses.replace(cfg, max_steps=args.max_steps)
        cfg.validate()
    return cfg


def run(args) -> int:
    study = _study()
    cfg = _config(study, args)
    from tsallis_theory.cli import writable_dir
    from tsallis_theory.cli._study import figures_dir, output_dirs

    if args.plan:  # reads the rows, writes nothing
        methods = tuple(args.methods) if args.methods else None
        print(study.describe_work(study.work(cfg, methods, study.done_runs(cfg, Path(args.out), args.fresh)), cfg))
        return 0
    if args.figures_only:  # reads the rows (an error when there are none), then writes the figures only
        figures = figures_dir(args.out, args.figures)
        if figures is None:
            raise ValueError("--figures-only needs a figures folder (--figures DIR)")
        rows = study.read_runs(Path(args.out), cfg.name)
        figures = writable_dir(figures, "--figures")
    else:
        from tsallis_theory.results import TimeLimitReached

        out, figures = output_dirs(args.out, args.figures)
        if args.ckpt:
            writable_dir(args.ckpt, "--ckpt")
        try:
            rows = study.run(cfg, out, fresh=args.fresh, progress=not args.no_progress,
                             methods=tuple(args.methods) if args.methods else None, ckpt=args.ckpt,
                             rebuild=args.rebuild_bases, time_limit=args.time_limit,
                             compile_ahead=args.compile_ahead)
        except TimeLimitReached as exc:
            print(f"{exc} (finished runs are in {study.runs_path(out, cfg.name)})")
            return TIME_LIMIT_EXIT
        print(study.summary(rows, cfg))
        print(f"rows in {study.runs_path(out, cfg.name)}")
    if figures is not None:
        from tsallis_theory.plots import draw_figures

        for path in draw_figures("lm", rows, figures, prefix=study.figure_prefix(cfg.name)):
            print(f"wrote {path}")
    return 0
