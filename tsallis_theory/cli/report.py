"""tsallis-lab report: run the ledger and write it as a Markdown report with its figures.

    tsallis-lab report --out results
"""

from __future__ import annotations

import argparse
from pathlib import Path

from tsallis_theory.cli import UsageError
from tsallis_theory.cli.check import add_ledger_arguments, format_ledger


def configure(parser: argparse.ArgumentParser) -> None:
    add_ledger_arguments(parser)
    parser.add_argument("--out", default="results", metavar="DIR", help="output folder (default: results)")


def run(args) -> int:
    from tsallis_theory.ledger import claims as L
    from tsallis_theory.ledger.report import write_report
    from tsallis_theory.ledger.runner import run_ledger

    out = Path(args.out)
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise UsageError(f"--out {out}: cannot create directory ({exc.strerror})") from None
    try:
        selected = L.select(args.only)
    except ValueError as exc:
        raise UsageError(str(exc)) from None
    ctx = L.CheckContext(tier="full" if args.full else "fast", results_dir=Path(args.results),
                         work_dir=Path(args.work))
    rows = run_ledger(selected, ctx, progress=not args.no_progress, jobs=args.jobs)
    path = write_report(rows, out)
    print(format_ledger(rows))
    print(f"wrote {path}")
    return 1 if any(r.verdict.status == L.ERROR for r in rows) else 0
