"""The shareable report of a ledger run: one self-contained HTML file (figures embedded) and a Markdown file
whose figures are copied next to it, so the output folder can be moved or sent as it is.

The report opens with the run's metadata (date, git revision, tier, versions, machine) and a summary: the
verdict counts, the findings beyond the paper (claims whose source is ``ours``) and what did not reproduce
(REFUTED / PARTIAL / INCONCLUSIVE, each with the first sentence of its evidence). Then one section per claim:
statement, decision rule, status, evidence, the scalar numbers of the verdict as a table, and its figures
with captions; a figure cited by several claims is shown under the first and named under the others.

The report is built from the ledger as JSON (``ledger_json``), the same document that ``tsallis-lab check
--json`` writes, so ``tsallis-lab report --from ledger.json`` rebuilds it without rerunning a check.
"""

from __future__ import annotations

import base64
import html
import json
import os
import platform
import re
import shutil
from pathlib import Path
from typing import Any, Callable

from tsallis_theory.ledger.claims import CLAIMS_BY_ID, INCONCLUSIVE, PARTIAL, REFUTED, STATUSES, Claim, LedgerRow

NOT_REPRODUCED = (REFUTED, PARTIAL, INCONCLUSIVE)
_LONG_LIST = 6  # lists of more entries than this are left out of a claim's numbers table
_ABBREVIATIONS = ("e.g.", "i.e.", "vs.", "cf.", "et al.", "Thm.", "Prop.", "Eq.", "eq.")


# ---------------------------------------------------------------------------------------------- the ledger JSON

def ledger_metadata(tier: str) -> dict[str, Any]:
    """What made a ledger: package version, git revision, date (UTC), tier, the numerical stack's versions and
    the machine (platform, cores)."""
    from tsallis_theory.results import run_metadata

    meta = run_metadata()
    return {
        "version": meta["tsallis_theory"], "revision": meta["git"], "date": meta["created"], "tier": tier,
        "python": meta["python"], "jax": meta["jax"], "numpy": meta["numpy"], "scipy": meta["scipy"],
        "backend": meta["backend"], "platform": platform.platform(), "cores": os.cpu_count(),
    }


def decision_rule(claim: Claim) -> str | None:
    """A claim's decision rule (``Claim.rule``: the "Decision rule:" paragraph of its checks' docstrings), or
    None when none is written or its checks cannot be imported."""
    try:
        return getattr(claim, "rule", None) or None
    except (ImportError, AttributeError):
        return None


def ledger_json(rows: list[LedgerRow], tier: str) -> dict[str, Any]:
    """The ledger as one JSON document: ``{"meta": ledger_metadata(tier), "claims": [...]}``, each claim as
    ``LedgerRow.to_json()`` plus its decision rule (``rule``, null when none is written)."""
    claims = [dict(r.to_json(), rule=decision_rule(r.claim)) for r in rows]
    return {"meta": ledger_metadata(tier), "claims": claims}


def write_ledger_json(rows: list[LedgerRow], tier: str, path: Path) -> dict[str, Any]:
    """Write ``ledger_json(rows, tier)`` to ``path``; return the document."""
    doc = ledger_json(rows, tier)
    Path(path).write_text(json.dumps(doc, indent=2, default=float) + "\n")
    return doc


def load_ledger(path: str | Path) -> dict[str, Any]:
    """A ledger JSON document from ``path``; a file written before the ledger carried metadata gets
    ``meta = {}``. Raises a one-line ``ValueError`` when the file cannot be read or is not a ledger."""
    path = Path(path)
    try:
        doc = json.loads(path.read_text())
    except OSError as exc:
        raise ValueError(f"--from {path}: cannot read ({exc.strerror})") from None
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise ValueError(f"--from {path}: not valid JSON ({exc})") from None
    claims = doc.get("claims") if isinstance(doc, dict) else None
    if not isinstance(claims, list) or not all(isinstance(c, dict) and {"id", "status", "evidence"} <= set(c)
                                                for c in claims):
        raise ValueError(f"--from {path}: not a ledger JSON (expected {{\"claims\": [{{\"id\", \"status\", "
                         f"\"evidence\", ...}}]}} as written by tsallis-lab check --json)")
    doc.setdefault("meta", {})
    return doc


# --------------------------------------------------------------------------------------------- text helpers

def first_sentence(text: str) -> str:
    """The first sentence of ``text``: up to the first '.', '!' or '?' followed by white space (decimal
    points and common abbreviations do not end a sentence), whitespace collapsed."""
    text = " ".join((text or "").split())
    for m in re.finditer(r"[.!?](?=\s)", text):
        head = text[:m.end()]
        if not head.endswith(_ABBREVIATIONS):
            return head
    return text


def number_rows(numbers: dict[str, Any]) -> list[tuple[str, str]]:
    """The scalar entries of a verdict's numbers, one level of nesting flattened (``label.key``); lists of
    at most a few scalars inline, longer lists and deeper structures left out."""
    out: list[tuple[str, str]] = []

    def scalar(x) -> str | None:
        if isinstance(x, bool) or x is None or isinstance(x, str):
            return str(x)
        if isinstance(x, (int, float)):
            return f"{x:.4g}" if isinstance(x, float) else str(x)
        if isinstance(x, (list, tuple)) and len(x) <= _LONG_LIST:
            parts = [scalar(v) for v in x if not isinstance(v, (list, tuple, dict))]
            return "[" + ", ".join(parts) + "]" if len(parts) == len(x) else None
        return None

    for key, value in (numbers or {}).items():
        if isinstance(value, dict):
            for k2, v2 in value.items():
                s = scalar(v2)
                if s is not None:
                    out.append((f"{key}.{k2}", s))
        else:
            s = scalar(value)
            if s is not None:
                out.append((str(key), s))
    return out


def _md_cell(text: str) -> str:
    return str(text).replace("|", "\\|").replace("\n", " ")


def _anchor(claim_id: str) -> str:
    return "claim-" + re.sub(r"[^a-z0-9]+", "-", claim_id.lower())


# ------------------------------------------------------------------------------------------------- the report

def _figures(claims: list[dict], base: Path | None) -> tuple[dict[str, Path | None], dict[str, str]]:
    """Each figure path cited in ``claims`` -> the file it names (``None`` when missing), and -> the ID of
    the first claim that cites it. Relative paths are tried from the working folder, then from ``base``."""
    files: dict[str, Path | None] = {}
    first: dict[str, str] = {}
    for c in claims:
        for fig in c.get("figures", []):
            if fig in files:
                continue
            first[fig] = c["id"]
            candidates = [Path(fig)] + ([base / fig] if base is not None and not Path(fig).is_absolute() else [])
            files[fig] = next((p for p in candidates if p.is_file()), None)
    return files, first


def _summary(claims: list[dict]) -> dict[str, Any]:
    counts = {s: sum(c["status"] == s for c in claims) for s in STATUSES}
    ours = [c for c in claims if str(c.get("source", "")).lower().startswith("ours")]
    failed = [c for c in claims if c["status"] in NOT_REPRODUCED]
    return {"counts": {s: n for s, n in counts.items() if n}, "ours": ours, "failed": failed}


_META_FIELDS = (("date", "date (UTC)"), ("revision", "git revision"), ("tier", "tier"),
                ("version", "tsallis_theory"), ("python", "Python"), ("jax", "JAX"), ("numpy", "NumPy"),
                ("scipy", "SciPy"), ("backend", "JAX backend"), ("platform", "platform"), ("cores", "CPU cores"))


def _meta_rows(meta: dict[str, Any]) -> list[tuple[str, str]]:
    return [(label, str(meta.get(key, "unknown"))) for key, label in _META_FIELDS]


def _rule(c: dict) -> str | None:
    if c.get("rule"):
        return c["rule"]
    claim = CLAIMS_BY_ID.get(c["id"])
    return decision_rule(claim) if claim is not None else None


def _markdown(doc: dict, summary: dict, figs: dict[str, str], first: dict[str, str],
              caption: Callable[[str], str], command: str) -> str:
    claims, meta = doc["claims"], doc["meta"]
    lines = ["# Tsallis-continuum lab: claims ledger", "",
             f"Claims of Lin & Ie, *The Tsallis loss continuum* (arXiv 2604.25907), and of this lab, each checked "
             f"and given a verdict with its evidence. Rebuild with `{command}`.", "",
             "| | |", "|---|---|"]
    lines += [f"| {k} | {_md_cell(v)} |" for k, v in _meta_rows(meta)]
    lines += ["", "## Summary", "",
              "Verdicts: " + ", ".join(f"**{n} {s}**" for s, n in summary["counts"].items()) + ".", ""]
    lines += ["| claim | source | status |", "|---|---|---|"]
    lines += [f"| [{c['id']}](#{_anchor(c['id'])}) | {_md_cell(c.get('source', ''))} | **{c['status']}** |"
              for c in claims]
    lines += ["", "### Findings beyond the paper", ""]
    lines += [f"- **{c['id']}** ({c['status']}): {c.get('statement', '')}" for c in summary["ours"]] or ["- none"]
    lines += ["", "### What did not reproduce", ""]
    lines += [f"- **{c['id']}** ({c['status']}): {first_sentence(c['evidence'])}" for c in summary["failed"]] \
        or ["- every claim checked was VERIFIED"]
    lines.append("")
    for c in claims:
        lines += [f'<a id="{_anchor(c["id"])}"></a>', "", f"## {c['id']}: {c['status']}", "",
                  f"*{c.get('source', '')}.* {c.get('statement', '')}", ""]
        rule = _rule(c)
        if rule:
            lines += [f"**Decision rule.** {rule}", ""]
        lines += [f"**Evidence.** {c['evidence']}", ""]
        nums = number_rows(c.get("numbers", {}))
        if nums:
            lines += ["| number | value |", "|---|---|"] + [f"| `{_md_cell(k)}` | {_md_cell(v)} |" for k, v in nums]
            lines.append("")
        for fig in c.get("figures", []):
            name = Path(fig).stem
            if first[fig] != c["id"]:
                lines += [f"Figure `{name}`: shown under [{first[fig]}](#{_anchor(first[fig])}).", ""]
            elif figs.get(fig) is None:
                lines += [f"Figure `{name}`: not found at `{fig}` (draw it with `tsallis-lab figures`).", ""]
            else:
                lines += [f"![{name}]({figs[fig]})", "", f"*Figure `{name}`.* {caption(name)}", ""]
    return "\n".join(lines) + "\n"


_CSS = """
body { font-family: -apple-system, "Segoe UI", Helvetica, Arial, sans-serif; max-width: 980px; margin: 2em auto;
       padding: 0 1em; color: #222; line-height: 1.45; }
h1 { font-size: 1.7em; margin-bottom: .2em; } h2 { border-bottom: 1px solid #ddd; padding-bottom: .2em; margin-top: 2em; }
table { border-collapse: collapse; margin: .6em 0; font-size: .92em; }
td, th { border: 1px solid #ddd; padding: .25em .6em; text-align: left; vertical-align: top; }
th { background: #f4f4f4; }
table.meta td:first-child, table.nums td:first-child { color: #555; white-space: nowrap; }
table.nums td:first-child { font-family: monospace; }
.status { font-weight: bold; padding: .05em .4em; border-radius: 3px; color: #fff; white-space: nowrap; }
.VERIFIED { background: #2e7d32; } .PARTIAL { background: #ef6c00; } .REFUTED { background: #c62828; }
.INCONCLUSIVE { background: #6d6d6d; } .NOT-RUN, .NOT-IMPLEMENTED { background: #9e9e9e; } .ERROR { background: #000; }
.statement { font-style: italic; } .source { color: #555; }
.rule, .evidence { margin: .5em 0; }
figure { margin: 1em 0; } figure img { max-width: 100%; border: 1px solid #eee; }
figcaption { font-size: .9em; color: #444; }
"""


def _status(s: str) -> str:
    return f'<span class="status {s.replace(" ", "-")}">{html.escape(s)}</span>'


def _html(doc: dict, summary: dict, files: dict[str, Path | None], first: dict[str, str],
          caption: Callable[[str], str], command: str) -> str:
    e = html.escape
    claims, meta = doc["claims"], doc["meta"]
    out = ["<!DOCTYPE html>", '<html lang="en"><head><meta charset="utf-8">',
           "<title>Tsallis-continuum lab: claims ledger</title>", f"<style>{_CSS}</style></head><body>",
           "<h1>Tsallis-continuum lab: claims ledger</h1>",
           "<p>Claims of Lin &amp; Ie, <i>The Tsallis loss continuum</i> (arXiv 2604.25907), and of this lab, each "
           f"checked and given a verdict with its evidence. Rebuild with <code>{e(command)}</code>.</p>",
           '<table class="meta">'] + [f"<tr><td>{e(k)}</td><td>{e(v)}</td></tr>" for k, v in _meta_rows(meta)]
    out += ["</table>", "<h2>Summary</h2>",
            "<p>Verdicts: " + ", ".join(f"{n} {_status(s)}" for s, n in summary["counts"].items()) + ".</p>",
            "<table><tr><th>claim</th><th>source</th><th>status</th></tr>"]
    out += [f'<tr><td><a href="#{_anchor(c["id"])}">{e(c["id"])}</a></td><td>{e(str(c.get("source", "")))}</td>'
            f"<td>{_status(c['status'])}</td></tr>" for c in claims]
    out += ["</table>", "<h3>Findings beyond the paper</h3>", "<ul>"]
    out += [f"<li><b>{e(c['id'])}</b> {_status(c['status'])}: {e(c.get('statement', ''))}</li>"
            for c in summary["ours"]] or ["<li>none</li>"]
    out += ["</ul>", "<h3>What did not reproduce</h3>", "<ul>"]
    out += [f'<li><a href="#{_anchor(c["id"])}"><b>{e(c["id"])}</b></a> {_status(c["status"])}: '
            f"{e(first_sentence(c['evidence']))}</li>" for c in summary["failed"]] \
        or ["<li>every claim checked was VERIFIED</li>"]
    out.append("</ul>")
    for c in claims:
        out += [f'<h2 id="{_anchor(c["id"])}">{e(c["id"])} {_status(c["status"])}</h2>',
                f'<p><span class="source">{e(str(c.get("source", "")))}.</span> '
                f'<span class="statement">{e(c.get("statement", ""))}</span></p>']
        rule = _rule(c)
        if rule:
            out.append(f'<p class="rule"><b>Decision rule.</b> {e(rule)}</p>')
        out.append(f'<p class="evidence"><b>Evidence.</b> {e(c["evidence"])}</p>')
        nums = number_rows(c.get("numbers", {}))
        if nums:
            out += ['<table class="nums"><tr><th>number</th><th>value</th></tr>']
            out += [f"<tr><td>{e(k)}</td><td>{e(v)}</td></tr>" for k, v in nums]
            out.append("</table>")
        for fig in c.get("figures", []):
            name = Path(fig).stem
            if first[fig] != c["id"]:
                out.append(f'<p>Figure <code>{e(name)}</code>: shown under '
                           f'<a href="#{_anchor(first[fig])}">{e(first[fig])}</a>.</p>')
            elif files.get(fig) is None:
                out.append(f"<p>Figure <code>{e(name)}</code>: not found at <code>{e(fig)}</code> "
                           "(draw it with <code>tsallis-lab figures</code>).</p>")
            else:
                data = base64.b64encode(files[fig].read_bytes()).decode("ascii")
                out.append(f'<figure><img alt="{e(name)}" src="data:image/png;base64,{data}">'
                           f"<figcaption><b>Figure <code>{e(name)}</code>.</b> {e(caption(name))}</figcaption></figure>")
    out.append("</body></html>")
    return "\n".join(out) + "\n"


def write_report(doc: dict[str, Any], out: Path, *, caption: Callable[[str], str] | None = None,
                 base: Path | None = None, command: str = "tsallis-lab report") -> tuple[Path, Path]:
    """Write the report of the ledger document ``doc`` (``ledger_json`` / ``load_ledger``) into ``out``:
    ``report.html`` (self-contained, figures as base64 PNG), ``report.md`` with its figures copied to
    ``out/figures/`` and linked relative to it, and ``ledger.json`` (``doc`` itself). Return the two report
    paths.

    ``caption(name)`` gives a figure's caption (the figure's file name when not given); ``base`` is where
    relative figure paths are also looked for (the folder of a ``--from`` ledger)."""
    caption = caption or (lambda name: name)
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    (out / "ledger.json").write_text(json.dumps(doc, indent=2, default=float) + "\n")
    files, first = _figures(doc["claims"], base)
    links: dict[str, str] = {}
    if any(files.values()):
        (out / "figures").mkdir(exist_ok=True)
    for fig, src in files.items():
        if src is None or src.suffix.lower() != ".png":
            files[fig] = None
            continue
        dest = out / "figures" / src.name
        if dest.exists() and dest.resolve() != src.resolve() and src.name in {Path(v).name for v in links.values()}:
            dest = out / "figures" / f"{src.parent.name}_{src.name}"  # two figures of one name in two folders
        if dest.resolve() != src.resolve():
            shutil.copyfile(src, dest)
        links[fig] = dest.relative_to(out).as_posix()
    summary = _summary(doc["claims"])
    md = out / "report.md"
    md.write_text(_markdown(doc, summary, links, first, caption, command))
    page = out / "report.html"
    page.write_text(_html(doc, summary, files, first, caption, command))
    return page, md
