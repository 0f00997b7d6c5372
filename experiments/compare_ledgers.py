"""Compare two ledger JSON files (``tsallis-lab check --json``): statuses, and every number up to rounding.

    python experiments/compare_ledgers.py before.json after.json [--rtol 1e-9] [--atol 1e-12]

Prints one line per difference and a summary; exits 1 when a status differs or a number differs by more
than ``rtol`` relative and ``atol`` absolute (a fitted slope of an exact zero is ~1e-14 either way), else 0. Evidence text, figures and timings are
reported but do not fail the comparison unless ``--evidence`` is given.
"""

from __future__ import annotations

import json
import math
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tsallis_theory.cli import ScriptParser  # noqa: E402


def _walk(a, b, path, out, rtol, atol):
    if isinstance(a, dict) and isinstance(b, dict):
        for k in sorted(set(a) | set(b)):
            if k not in a or k not in b:
                out.append(f"{path}.{k}: only in {'after' if k not in a else 'before'}")
            else:
                _walk(a[k], b[k], f"{path}.{k}", out, rtol, atol)
    elif isinstance(a, list) and isinstance(b, list):
        if len(a) != len(b):
            out.append(f"{path}: length {len(a)} -> {len(b)}")
        for i, (x, y) in enumerate(zip(a, b)):
            _walk(x, y, f"{path}[{i}]", out, rtol, atol)
    elif isinstance(a, bool) or isinstance(b, bool) or not (isinstance(a, (int, float)) and isinstance(b, (int, float))):
        if a != b:
            out.append(f"{path}: {a!r} -> {b!r}")
    else:
        fa, fb = float(a), float(b)
        if math.isnan(fa) and math.isnan(fb):
            return
        if not math.isclose(fa, fb, rel_tol=rtol, abs_tol=atol):
            out.append(f"{path}: {fa!r} -> {fb!r} (rel {abs(fa - fb) / max(abs(fa), abs(fb)):.1e})")


def compare(before: dict, after: dict, rtol: float, atol: float, subset: bool = False) -> tuple[list[str], list[str], list[str]]:
    """(status differences, number differences, evidence differences) between two ledgers."""
    a = {c["id"]: c for c in before["claims"]}
    b = {c["id"]: c for c in after["claims"]}
    status, numbers, evidence = [], [], []
    for cid in sorted(set(a) | set(b)):
        if cid not in b and subset:
            continue
        if cid not in a or cid not in b:
            status.append(f"{cid}: only in {'after' if cid not in a else 'before'}")
            continue
        if a[cid]["status"] != b[cid]["status"]:
            status.append(f"{cid}: {a[cid]['status']} -> {b[cid]['status']}")
        _walk(a[cid]["numbers"], b[cid]["numbers"], f"{cid}.numbers", numbers, rtol, atol)
        if a[cid]["evidence"] != b[cid]["evidence"]:
            evidence.append(f"{cid}: evidence text differs")
    return status, numbers, evidence


def _ledger(ap, name: str, path: str) -> dict:
    """The ledger JSON at ``path`` (tsallis-lab check --json), or a one-line usage error naming ``name``."""
    try:
        with open(path) as f:
            doc = json.load(f)
    except (OSError, json.JSONDecodeError) as exc:
        ap.error(f"{name} {path}: not a readable JSON file ({getattr(exc, 'strerror', None) or exc})")
    if not isinstance(doc, dict) or not isinstance(doc.get("claims"), list):
        ap.error(f"{name} {path}: not a ledger (no 'claims' list; write one with tsallis-lab check --json)")
    return doc


def main(argv=None) -> int:
    ap = ScriptParser(description=__doc__.splitlines()[0])
    ap.add_argument("before")
    ap.add_argument("after")
    ap.add_argument("--rtol", type=float, default=1e-9, help="relative tolerance for numbers (default 1e-9)")
    ap.add_argument("--atol", type=float, default=1e-12, help="absolute tolerance for numbers (default 1e-12)")
    ap.add_argument("--subset", action="store_true", help="compare only the claims in AFTER (a run with --only)")
    ap.add_argument("--evidence", action="store_true", help="also fail when an evidence text differs")
    args = ap.parse_args(argv)
    if not (args.rtol >= 0 and args.atol >= 0):  # also rejects NaN
        ap.error(f"--rtol and --atol must be >= 0; got {args.rtol} and {args.atol}")
    before, after = (_ledger(ap, name, p) for name, p in (("BEFORE", args.before), ("AFTER", args.after)))
    status, numbers, evidence = compare(before, after, args.rtol, args.atol, args.subset)
    for line in status + numbers + evidence:
        print(line)
    n = len(before["claims"])
    print(f"{n} claims: {len(status)} status differences, {len(numbers)} number differences (rtol {args.rtol:g}, atol {args.atol:g}), "
          f"{len(evidence)} evidence differences")
    return 1 if status or numbers or (args.evidence and evidence) else 0


if __name__ == "__main__":
    sys.exit(main())
