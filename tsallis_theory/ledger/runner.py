"""Running the ledger: one claim's checks (a crash becomes ERROR), or all of them, in worker processes by
family (``check_family``) so that claims sharing in-process caches run together."""

from __future__ import annotations

import time
import traceback
from pathlib import Path

from tsallis_theory.ledger.claims import (CLAIMS_BY_ID, ERROR, NOT_IMPLEMENTED, CheckContext, Claim, LedgerRow, Verdict,
                                          _subpackage, combine)


def run_claim(claim: Claim, ctx: CheckContext) -> LedgerRow:
    """Run one claim's check; a crash becomes an ERROR verdict carrying the exception."""
    start = time.perf_counter()
    try:
        checks = claim.load_checks()
        if not checks:
            verdict = Verdict(NOT_IMPLEMENTED, "no check implemented yet")
        else:
            found = []
            for label, check in checks:
                v = check(ctx)
                if not isinstance(v, Verdict):
                    raise TypeError(f"check for {claim.id} returned {type(v).__name__}, not Verdict")
                found.append((label, v))
            verdict = combine(found)
    except Exception as exc:  # noqa: BLE001 - the ledger reports, it does not stop
        tb = traceback.extract_tb(exc.__traceback__)[-1]
        verdict = Verdict(ERROR, f"{type(exc).__name__}: {exc} (at {Path(tb.filename).name}:{tb.lineno})")
    return LedgerRow(claim, verdict, time.perf_counter() - start)


def check_family(claim: Claim) -> str:
    """The subpackage of a claim's numerical check (``flow``, ``categorical``, ``estimators``, ...): claims of
    one family share in-process caches (the flow sweep, compiled kernels), so a parallel ledger keeps them
    in one worker."""
    paths = claim.check_paths
    return _subpackage(paths[-1]) if paths else "none"


def _run_family(claim_ids: list[str], ctx: CheckContext) -> list[LedgerRow]:
    """Worker side of a parallel ledger: the claims of one family, in order, in a fresh process."""
    from tsallis_theory._config import enable_x64

    enable_x64()
    return [run_claim(CLAIMS_BY_ID[i], ctx) for i in claim_ids]


def run_ledger(claims: list[Claim], ctx: CheckContext, progress: bool = True, jobs: int = 1) -> list[LedgerRow]:
    """Run the checks of ``claims``; the rows come back in ledger order.

    ``jobs`` > 1 runs the claim families (``check_family``) in that many worker processes, largest family
    first; each worker starts fresh (spawn) with float64 on, as the CLI runs."""
    from tqdm.auto import tqdm

    bar = tqdm(total=len(claims), desc=f"checking claims ({ctx.tier})", unit="claim", disable=not progress,
               leave=False)
    families: dict[str, list[str]] = {}
    for claim in claims:
        families.setdefault(check_family(claim), []).append(claim.id)
    if jobs <= 1 or len(families) <= 1:
        rows = []
        for claim in claims:
            bar.set_postfix_str(claim.id)
            rows.append(run_claim(claim, ctx))
            bar.update(1)
        bar.close()
        return rows
    import concurrent.futures as cf
    import multiprocessing

    by_id: dict[str, LedgerRow] = {}
    order = sorted(families.values(), key=len, reverse=True)
    with cf.ProcessPoolExecutor(max_workers=jobs, mp_context=multiprocessing.get_context("spawn")) as pool:
        futures = [pool.submit(_run_family, ids, ctx) for ids in order]
        for fut in cf.as_completed(futures):
            for row in fut.result():
                by_id[row.claim.id] = row
                bar.set_postfix_str(row.claim.id)
                bar.update(1)
    bar.close()
    return [by_id[c.id] for c in claims]
