"""Markdown report of a ledger run: the table of verdicts, then one section per claim with its figures."""

from __future__ import annotations

import json
import os
from pathlib import Path

from tsallis_theory import __version__


def write_report(rows, out: Path) -> Path:
    """Write ``out/report.md`` and ``out/ledger.json`` for the ledger ``rows``; return the report path."""
    out.mkdir(parents=True, exist_ok=True)
    (out / "ledger.json").write_text(json.dumps({"claims": [r.to_json() for r in rows]}, indent=2, default=float) + "\n")
    lines = [
        "# Tsallis-continuum lab: claims ledger",
        "",
        f"tsallis_theory {__version__}. Regenerate with `tsallis-lab report --out {out}`.",
        "",
        "| claim | source | status | evidence |",
        "|---|---|---|---|",
    ]
    for r in rows:
        ev = r.verdict.evidence.replace("|", "\\|").replace("\n", " ")
        lines.append(f"| {r.claim.id} | {r.claim.source} | **{r.verdict.status}** | {ev} |")
    lines.append("")
    for r in rows:
        lines += [f"## {r.claim.id}: {r.verdict.status}", "", f"*{r.claim.source}.* {r.claim.statement}", "",
                  r.verdict.evidence, ""]
        for fig in r.verdict.figures:
            rel = os.path.relpath(Path(fig).resolve(), out.resolve())
            lines += [f"![{r.claim.id}]({rel})", ""]
    path = out / "report.md"
    path.write_text("\n".join(lines) + "\n")
    return path
