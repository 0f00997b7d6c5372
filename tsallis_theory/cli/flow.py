"""Escape times across the q-continuum: every model × p0 × q, result rows, fitted slopes and the figures
figures/flow_*.png (claims FLOW, ESC-LOWER, ESC-TIGHT, SIGMOID, NEAR-OPT; docs/flow.md).

    tsallis-lab flow                                  the default sweep (11 q × 23 p0 × 9 models)
    tsallis-lab flow --preset smoke --out /tmp/x.jsonl --figures /tmp/figs
    tsallis-lab flow --q 0 0.5 1 --p0 1e-3 1e-6 --models sigmoid mlp-random

Rows go to --out (JSON lines, resumed when the file exists with the same configuration); figures read
them and go to --figures.
"""

from __future__ import annotations

import dataclasses
import time
from pathlib import Path

from tsallis_theory.flow import fits
from tsallis_theory.flow.models import MODEL_NAMES
from tsallis_theory.studies.flow import PRESETS, run_sweep


def configure(parser) -> None:
    parser.add_argument("--preset", choices=sorted(PRESETS), default="default",
                        help="grid preset (default: 11 q × 23 p0 in [1e-12, 1e-1] × every model)")
    parser.add_argument("--models", nargs="+", metavar="NAME", help=f"models (default: all of {', '.join(MODEL_NAMES)})")
    parser.add_argument("--q", nargs="+", type=float, metavar="Q", help="commitments in [0, 1]")
    parser.add_argument("--p0", nargs="+", type=float, metavar="P0", help="initial success probabilities in (0, target)")
    parser.add_argument("--target", type=float, metavar="DELTA", help="escape target δ in (0, 1) (default 0.5)")
    parser.add_argument("--out", default="results/flow/sweep.jsonl", metavar="PATH", help="result rows (JSON lines)")
    parser.add_argument("--figures", default="figures", metavar="DIR", help="where flow_*.png go ('' for none)")
    parser.add_argument("--fresh", action="store_true", help="discard existing rows in --out")
    parser.add_argument("--no-progress", action="store_true", help="no progress bar")


def _config(args):
    cfg = PRESETS[args.preset]
    changes = {}
    if args.models:
        changes["models"] = tuple(args.models)
    if args.q:
        changes["qs"] = tuple(args.q)
    if args.p0:
        changes["p0s"] = tuple(args.p0)
    if args.target is not None:
        changes["target"] = args.target
    cfg = dataclasses.replace(cfg, **changes)
    cfg.validate()
    return cfg


def _summary(rows) -> str:
    qs = fits.qs_of(rows)
    win = fits.fit_window(rows)
    lines = [f"fitted slope of ln T on ln(1/p0) over p0 in [{win[0]:.0e}, {win[1]:.0e}] (theory 1 - q):",
             f"{'model':<26}" + "".join(f"{q:>7.1f}" for q in qs)]
    for m in fits.models_of(rows):
        cells = [f"{fits.slope(rows, m, q, win).slope:7.3f}" for q in qs]
        lines.append(f"{m:<26}" + "".join(cells))
    return "\n".join(lines)


def run(args) -> int:
    from tsallis_theory.flow.models import get_model

    if args.models:
        for name in args.models:
            get_model(name)  # ValueError naming the model list
    cfg = _config(args)
    start = time.perf_counter()
    rows = run_sweep(cfg, Path(args.out), progress=not args.no_progress, fresh=args.fresh)
    seconds = time.perf_counter() - start
    print(_summary(rows))
    print(f"{len(rows)} rows in {args.out} ({seconds:.1f} s)")
    if args.figures:
        from tsallis_theory.plots.flow import write_all

        for path in write_all(rows, args.figures):
            print(f"wrote {path}")
    return 0
