"""The ``tsallis-lab`` command: a lazy registry of subcommands, one module each.

    tsallis-lab check [--full] [--only ID ...] [--json PATH]   run the claims ledger and print it
    tsallis-lab report [--out DIR] [--full]                    write the ledger and figures as Markdown
    tsallis-lab figures [--results DIR] [--figures DIR]        rebuild every figure from result rows
    tsallis-lab query <question> ...                           one number: escape, noise, amplification, bias
    tsallis-lab <study> ...                                    run a study (flow, noise, schedule, ...)

Exit codes: 0 when every check ran (whatever the verdicts: a REFUTED claim is a finding), 1 when a check
or a study crashed, 2 for usage errors (one line on stderr, no traceback).

Each command is a module in this package with ``configure(parser)`` and ``run(args) -> int``; a
``ValueError`` raised by ``run`` is reported as a usage error. Only the module of the command being run is
imported, so ``tsallis-lab --help`` loads neither JAX nor matplotlib.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from pathlib import Path

PROG = "tsallis-lab"

# name -> one-line help; the module is tsallis_theory.cli.<name with '-' as '_'>
COMMANDS: dict[str, str] = {
    "check": "run the claims ledger and print it",
    "report": "run the ledger and write a Markdown report with figures",
    "query": "single answers: an escape time, a noise equilibrium, an amplification, a bias (no files)",
    "figures": "rebuild every study's figures from the result rows (no computation)",
    "flow": "escape times across q: sweep, fitted slopes, figures/flow_*.png",
    "noise": "label noise: escort flows, equilibria, contamination paths, memorisation times, figures/noise_*.png",
    "schedule": "q-schedules on cold start + label noise: escape vs contamination, Pareto front, figures/schedule_*.png",
    "estimators": "exact bias and variance of GARL and PAFT (claims BIAS, VAR)",
    "atlas": "amplification atlas of every method, ceiling and escape slopes (claim ATLAS)",
    "lm": "small-LM study: cold start, warm start, label noise (LM-COLD, LM-WARM, LM-NOISE)",
}


class UsageError(Exception):
    """Bad input from the command line: reported in one line, exit code 2."""


class _Parser(argparse.ArgumentParser):
    def error(self, message):  # argparse's own usage errors: one line, exit 2
        raise UsageError(message)


class ScriptParser(argparse.ArgumentParser):
    """The parser of the scripts in experiments/: a usage error is one line on stderr and exit code 2 (plain
    argparse prints the usage block first)."""

    def error(self, message):
        print(f"{self.prog}: error: {message}", file=sys.stderr)
        sys.exit(2)


def writable_dir(path, flag: str) -> Path:
    """``path`` as a folder this process can write into, created when missing, checked before any work is
    done; else a one-line ``UsageError`` naming ``flag``."""
    import tempfile

    folder = Path(path)
    try:
        folder.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryFile(dir=folder):
            pass
    except OSError as exc:
        raise UsageError(f"{flag} {path}: not a folder that can be written ({exc.strerror or exc})") from None
    return folder


def writable_file(path, flag: str) -> Path:
    """``path`` as a file this process can write (its folder must exist; the file is not left behind when it
    did not exist), checked before any work is done; else a one-line ``UsageError`` naming ``flag``."""
    file = Path(path)
    if file.is_dir():
        raise UsageError(f"{flag} {path}: is a directory, expected a file path")
    parent = file.parent if str(file.parent) else Path(".")
    if not parent.is_dir():
        raise UsageError(f"{flag} {path}: directory {parent} does not exist")
    existed = file.exists()
    try:
        with open(file, "a"):
            pass
    except OSError as exc:
        raise UsageError(f"{flag} {path}: not writable ({exc.strerror or exc})") from None
    if not existed:
        file.unlink()
    return file


def command_module(name: str):
    """The module that implements command ``name``."""
    return importlib.import_module(f"{__name__}.{name.replace('-', '_')}")


def build_parser(command: str | None = None) -> argparse.ArgumentParser:
    """The parser; only ``command``'s own arguments are configured (all of them when ``command`` is None)."""
    parser = _Parser(prog=PROG, description="Theory-verification lab for the Tsallis loss continuum.")
    sub = parser.add_subparsers(dest="command", metavar="command", parser_class=_Parser)
    sub.required = True
    for name, help_text in COMMANDS.items():
        if command is not None and name != command:
            sub.add_parser(name, help=help_text, add_help=False)
            continue
        module = command_module(name)
        p = sub.add_parser(name, help=help_text, description=module.__doc__,
                           formatter_class=argparse.RawDescriptionHelpFormatter)
        module.configure(p)
        p.set_defaults(func=module.run)
    return parser


def _command_of(argv: list[str]) -> str | None:
    return next((a for a in argv if a in COMMANDS), None)


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    try:
        command = _command_of(argv)
        args = build_parser(command or "").parse_args(argv)
        from tsallis_theory._config import enable_x64

        enable_x64()
        try:
            return int(args.func(args) or 0)
        except ValueError as exc:
            raise UsageError(str(exc)) from None
    except UsageError as exc:
        print(f"{PROG}: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print(f"{PROG}: interrupted", file=sys.stderr)
        return 130
