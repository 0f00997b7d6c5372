"""tsallis-lab check: run the claims ledger and print it (optionally as JSON).

    tsallis-lab check                              the fast tier (every claim)
    tsallis-lab check --full                       the thorough tier
    tsallis-lab check --only DIR BIAS --json ledger.json
    tsallis-lab check --results DIR                read study rows (the LM runs) from DIR

Exit code 1 when a check crashed (ERROR), else 0 whatever the verdicts.
"""

from __future__ import annotations

import argparse
import os
from pathlib import Path

from tsallis_theory.cli import UsageError, writable_dir, writable_file

# The committed result rows of the studies that the ledger reads rather than recomputes (the LM runs).
DEFAULT_RESULTS = "experiments/results"
DEFAULT_WORK = "results"

DEFAULT_JOBS = min(2, os.cpu_count() or 1)


def _jobs(text: str) -> int:
    try:
        n = int(text)
    except ValueError:
        n = 0
    if n < 1:
        raise argparse.ArgumentTypeError(f"must be a whole number >= 1; got {text!r}")
    return n


def _wrap(text: str, width: int) -> list[str]:
    import textwrap

    return textwrap.wrap(text, width) or [""]


def format_ledger(rows) -> str:
    """The ledger as a plain-text table: ID, status, seconds and the evidence, wrapped."""
    from tsallis_theory.ledger.claims import STATUSES

    lines = [f"{'claim':<11} {'status':<16} {'time':>6}  evidence", "-" * 100]
    for row in rows:
        ev = _wrap(row.verdict.evidence, 64)
        lines.append(f"{row.claim.id:<11} {row.verdict.status:<16} {row.seconds:>5.1f}s  {ev[0]}")
        lines.extend(f"{'':<11} {'':<16} {'':>6}  {more}" for more in ev[1:])
        for fig in row.verdict.figures:
            lines.append(f"{'':<36}figure: {fig}")
    counts = {s: sum(r.verdict.status == s for r in rows) for s in STATUSES}
    lines.append("-" * 100)
    lines.append(", ".join(f"{n} {s}" for s, n in counts.items() if n))
    return "\n".join(lines)


def run(args) -> int:
    from tsallis_theory.ledger import claims as L
    from tsallis_theory.ledger.runner import run_ledger

    selected = selected_claims(args.only)
    if args.rules:
        print(L.rules_markdown(selected))
        return 0
    if args.json == "":
        raise UsageError("--json needs a file path; got ''")
    json_path = writable_file(args.json, "--json") if args.json else None
    ctx = ledger_context(args, "full" if args.full else "fast")
    rows = run_ledger(selected, ctx, progress=not args.no_progress, jobs=args.jobs)
    print(format_ledger(rows))
    if json_path is not None:
        from tsallis_theory.ledger.report import write_ledger_json

        write_ledger_json(rows, ctx.tier, json_path)
        print(f"wrote {json_path}")
    return 1 if any(r.verdict.status == L.ERROR for r in rows) else 0


def selected_claims(only):
    """The claims ``--only`` names (all when None), or a one-line usage error naming the flag."""
    from tsallis_theory.ledger import claims as L

    try:
        return L.select(only)
    except ValueError as exc:
        raise UsageError(f"--only: {exc}") from None


def ledger_context(args, tier: str):
    """The CheckContext of ``check`` and ``report``: an explicit ``--results`` must be a folder and an explicit
    ``--work`` a folder that can be written, both checked before any check runs."""
    from tsallis_theory.ledger.claims import CheckContext

    if args.results != DEFAULT_RESULTS and not Path(args.results).is_dir():
        raise UsageError(f"--results {args.results}: no such directory")
    if args.work != DEFAULT_WORK:
        writable_dir(args.work, "--work")
    return CheckContext(tier=tier, results_dir=Path(args.results), work_dir=Path(args.work))


def add_ledger_arguments(parser: argparse.ArgumentParser) -> None:
    """The flags that ``check`` and ``report`` share."""
    parser.add_argument("--full", action="store_true", help="thorough tier (slower, tighter evidence)")
    parser.add_argument("--only", nargs="+", metavar="ID", help="claim IDs to check (default: all)")
    parser.add_argument("--results", default=DEFAULT_RESULTS, metavar="DIR",
                        help=f"result rows the checks read (default: the committed rows, {DEFAULT_RESULTS})")
    parser.add_argument("--work", default=DEFAULT_WORK, metavar="DIR",
                        help=f"where checks write what they compute on the fly (default: {DEFAULT_WORK})")
    parser.add_argument("--no-progress", action="store_true", help="no progress bar")
    parser.add_argument("--jobs", type=_jobs, default=DEFAULT_JOBS, metavar="N",
                        help=f"worker processes for the checks (default: {DEFAULT_JOBS}; 1 runs them in this process)")


def configure(parser: argparse.ArgumentParser) -> None:
    add_ledger_arguments(parser)
    parser.add_argument("--json", metavar="PATH", help="also write the ledger as JSON to PATH")
    parser.add_argument("--rules", action="store_true",
                        help="print each selected claim's decision rule (Markdown) instead of running the checks")
