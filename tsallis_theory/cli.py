"""The ``tsallis-lab`` command.

    tsallis-lab check [--full] [--only ID ...] [--json PATH]   run the claims ledger and print it
    tsallis-lab report [--out DIR] [--full]                    write the ledger and figures as Markdown
    tsallis-lab <study> ...                                    the studies listed in STUDY_COMMANDS

Exit codes: 0 when every check ran (whatever the verdicts: a REFUTED claim is a finding), 1 when a check
or a study crashed, 2 for usage errors (one line on stderr, no traceback).

A study registers itself by a line in ``STUDY_COMMANDS``: its module defines ``configure(parser)`` (add
arguments) and ``run(args) -> int``; a ``ValueError`` raised by ``run`` is reported as a usage error.
"""

from __future__ import annotations

import argparse
import importlib
import json
import os
import sys
from pathlib import Path

# name -> (one-line help, module with configure(parser) and run(args))
STUDY_COMMANDS: dict[str, tuple[str, str]] = {
    "flow": ("escape times across q: sweep, fitted slopes, figures/flow_*.png", "tsallis_theory.flow.cli"),
    "estimators": ("exact bias and variance of GARL and PAFT (claims BIAS, VAR)", "tsallis_theory.estimators.study"),
    "atlas": ("amplification atlas of every method, ceiling and escape slopes (claim ATLAS)", "tsallis_theory.atlas_study"),
    "noise": ("label-noise study: escort flows, equilibria, contamination paths, memorisation times",
              "tsallis_theory.categorical.noise_cli"),
    "schedule": ("q-schedules on cold start + label noise: escape vs contamination, Pareto front",
                 "tsallis_theory.categorical.schedule_cli"),
    "lm": ("small-LM study: cold start, warm start, label noise (LM-COLD, LM-WARM, LM-NOISE)", "tsallis_theory.lm.cli"),
}

PROG = "tsallis-lab"


class UsageError(Exception):
    """Bad input from the command line: reported in one line, exit code 2."""


class _Parser(argparse.ArgumentParser):
    def error(self, message):  # argparse's own usage errors: one line, exit 2
        raise UsageError(message)


DEFAULT_JOBS = min(2, os.cpu_count() or 1)


def _jobs(text: str) -> int:
    try:
        n = int(text)
    except ValueError:
        n = 0
    if n < 1:
        raise argparse.ArgumentTypeError(f"must be a whole number >= 1; got {text!r}")
    return n


def _writable_file(path: str) -> Path:
    p = Path(path)
    parent = p.parent if str(p.parent) else Path(".")
    if p.is_dir():
        raise UsageError(f"--json {path}: is a directory, expected a file path")
    if not parent.is_dir():
        raise UsageError(f"--json {path}: directory {parent} does not exist")
    if not os.access(parent, os.W_OK) or (p.exists() and not os.access(p, os.W_OK)):
        raise UsageError(f"--json {path}: not writable")
    return p


def _wrap(text: str, width: int) -> list[str]:
    import textwrap

    return textwrap.wrap(text, width) or [""]


def format_ledger(rows) -> str:
    """The ledger as a plain-text table: ID, status, seconds and the evidence, wrapped."""
    from tsallis_theory.claims import STATUSES

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


def _cmd_check(args) -> int:
    from tsallis_theory import claims as L

    try:
        selected = L.select(args.only)
    except ValueError as exc:
        raise UsageError(str(exc)) from None
    json_path = _writable_file(args.json) if args.json else None
    ctx = L.CheckContext(tier="full" if args.full else "fast", results_dir=Path(args.results))
    rows = L.run_ledger(selected, ctx, progress=not args.no_progress, jobs=args.jobs)
    print(format_ledger(rows))
    if json_path is not None:
        json_path.write_text(json.dumps({"claims": [r.to_json() for r in rows]}, indent=2, default=float) + "\n")
        print(f"wrote {json_path}")
    return 1 if any(r.verdict.status == L.ERROR for r in rows) else 0


def _cmd_report(args) -> int:
    from tsallis_theory import claims as L
    from tsallis_theory.report import write_report

    out = Path(args.out)
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise UsageError(f"--out {out}: cannot create directory ({exc.strerror})") from None
    try:
        selected = L.select(args.only)
    except ValueError as exc:
        raise UsageError(str(exc)) from None
    ctx = L.CheckContext(tier="full" if args.full else "fast", results_dir=out)
    rows = L.run_ledger(selected, ctx, progress=not args.no_progress, jobs=args.jobs)
    path = write_report(rows, out)
    print(format_ledger(rows))
    print(f"wrote {path}")
    return 1 if any(r.verdict.status == L.ERROR for r in rows) else 0


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog=PROG, description="Theory-verification lab for the Tsallis loss continuum.")
    sub = parser.add_subparsers(dest="command", metavar="command", parser_class=_Parser)
    sub.required = True

    check = sub.add_parser("check", help="run the claims ledger and print it")
    check.add_argument("--full", action="store_true", help="thorough tier (slower, tighter evidence)")
    check.add_argument("--only", nargs="+", metavar="ID", help="claim IDs to check (default: all)")
    check.add_argument("--json", metavar="PATH", help="also write the ledger as JSON to PATH")
    check.add_argument("--results", default="results", metavar="DIR", help="where checks write figures")
    check.add_argument("--no-progress", action="store_true", help="no progress bar")
    check.add_argument("--jobs", type=_jobs, default=DEFAULT_JOBS, metavar="N",
                       help=f"worker processes for the checks (default: {DEFAULT_JOBS}; 1 runs them in this process)")
    check.set_defaults(func=_cmd_check)

    report = sub.add_parser("report", help="run the ledger and write a Markdown report with figures")
    report.add_argument("--out", default="results", metavar="DIR", help="output folder (default: results)")
    report.add_argument("--full", action="store_true", help="thorough tier")
    report.add_argument("--only", nargs="+", metavar="ID", help="claim IDs to include (default: all)")
    report.add_argument("--no-progress", action="store_true", help="no progress bar")
    report.add_argument("--jobs", type=_jobs, default=DEFAULT_JOBS, metavar="N",
                        help=f"worker processes for the checks (default: {DEFAULT_JOBS})")
    report.set_defaults(func=_cmd_report)

    for name, (help_text, module_name) in STUDY_COMMANDS.items():
        module = importlib.import_module(module_name)
        p = sub.add_parser(name, help=help_text, description=module.__doc__)
        module.configure(p)
        p.set_defaults(func=module.run)
    return parser


def main(argv: list[str] | None = None) -> int:
    from tsallis_theory._config import enable_x64

    enable_x64()
    try:
        args = build_parser().parse_args(argv)
        try:
            return int(args.func(args) or 0)
        except ValueError as exc:
            if args.command in STUDY_COMMANDS:
                raise UsageError(str(exc)) from None
            raise
    except UsageError as exc:
        print(f"{PROG}: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print(f"{PROG}: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
