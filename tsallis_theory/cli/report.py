"""tsallis-lab report: the ledger as a report to share: ``report.html`` (self-contained, figures embedded),
``report.md`` with its figures copied into ``<out>/figures/``, and ``ledger.json``.

    tsallis-lab report --out results                    run the ledger (fast tier), then write the report
    tsallis-lab report --from ledger.json --out DIR     rebuild the report from a ledger JSON, no check rerun

Exit code 1 when a check crashed (ERROR), else 0 whatever the verdicts; 2 for a bad ``--from`` or ``--out``.
"""

from __future__ import annotations

import argparse
import inspect
import re
from pathlib import Path

from tsallis_theory.cli import UsageError, writable_dir
from tsallis_theory.cli.check import add_ledger_arguments, format_ledger, ledger_context, selected_claims


def configure(parser: argparse.ArgumentParser) -> None:
    add_ledger_arguments(parser)
    parser.add_argument("--out", default="results", metavar="DIR", help="output folder (default: results)")
    parser.add_argument("--from", dest="from_json", metavar="LEDGER_JSON",
                        help="rebuild the report from this ledger JSON (tsallis-lab check --json) without "
                             "running the checks")


def figure_captions() -> dict[str, str]:
    """Figure name -> caption: the first paragraph of the figure function's docstring (its summary; a first
    sentence alone can be half a caption, "Left: ..."), for every figure of ``tsallis_theory.plots``."""
    from tsallis_theory.plots import STUDIES, figures_of

    captions = {}
    for study in STUDIES:
        for name, fig in figures_of(study).items():
            doc = inspect.getdoc(fig)
            if doc:  # reST literals read as plain text; what the figure needs to be drawn is no caption
                text = " ".join(doc.split("\n\n")[0].split()).replace("``", "")
                captions[name] = re.sub(r";\s*needs [^;.]*\.$", ".", text)
    return captions


def _caption_of(captions: dict[str, str]):
    def caption(name: str) -> str:
        if name in captions:
            return captions[name]
        if name.startswith("lm_"):  # lm_<preset>_<figure>: the LM study under another preset
            rest = name.split("_", 2)[-1]
            if f"lm_{rest}" in captions:
                return captions[f"lm_{rest}"]
        return name
    return caption


def run(args) -> int:
    from tsallis_theory.ledger import claims as L
    from tsallis_theory.ledger.report import ledger_json, load_ledger, write_report

    out = Path(args.out)
    if args.from_json:
        try:
            doc = load_ledger(args.from_json)
        except ValueError as exc:
            raise UsageError(str(exc)) from None
    else:
        selected = selected_claims(args.only)
    writable_dir(out, "--out")
    if not args.from_json:
        from tsallis_theory.ledger.runner import run_ledger

        tier = "full" if args.full else "fast"
        ctx = ledger_context(args, tier)
        rows = run_ledger(selected, ctx, progress=not args.no_progress, jobs=args.jobs)
        doc = ledger_json(rows, tier)
        print(format_ledger(rows))
    base = Path(args.from_json).resolve().parent if args.from_json else None
    command = "tsallis-lab report --from ledger.json --out ."  # run inside the report's folder, wherever it is
    page, md = write_report(doc, out, caption=_caption_of(figure_captions()), base=base, command=command)
    print(f"wrote {page} and {md} ({len(doc['claims'])} claims)")
    statuses = [c["status"] for c in doc["claims"]]
    return 1 if L.ERROR in statuses else 0
