"""The claims ledger: every claim ID of SPEC §2–3 is registered, and each check's verdict is pinned.

EXPECTED_STATUS is the ledger as the lab currently finds it. A change of verdict (a claim newly REFUTED,
a check that starts crashing, a NOT IMPLEMENTED claim that gains a check) fails here and must be made
deliberately, with the evidence, by editing this table.
"""

import pytest

from tsallis_theory import claims as L

SPEC_IDS = [
    "DIR", "RLVR", "DISP", "ESCORT", "SHARPEN", "PROPER", "FLOW", "ESC-LOWER", "ESC-TIGHT", "SIGMOID",
    "NEAR-OPT", "NOISE-EQ", "NOISE-TIME", "SCHEDULE", "ENDPOINTS", "BIAS", "RLOO-BIAS", "PAFT-BIAS", "VAR",
    "ATLAS", "LM-COLD", "LM-WARM", "LM-NOISE",
]

EXPECTED_STATUS = {
    "DIR": L.NOT_IMPLEMENTED,
    "RLVR": L.NOT_IMPLEMENTED,
    "DISP": L.NOT_IMPLEMENTED,
    "ESCORT": L.NOT_IMPLEMENTED,
    "SHARPEN": L.NOT_IMPLEMENTED,
    "PROPER": L.NOT_IMPLEMENTED,
    "FLOW": L.NOT_IMPLEMENTED,
    "ESC-LOWER": L.NOT_IMPLEMENTED,
    "ESC-TIGHT": L.NOT_IMPLEMENTED,
    "SIGMOID": L.NOT_IMPLEMENTED,
    "NEAR-OPT": L.NOT_IMPLEMENTED,
    "NOISE-EQ": L.NOT_IMPLEMENTED,
    "NOISE-TIME": L.NOT_IMPLEMENTED,
    "SCHEDULE": L.NOT_IMPLEMENTED,
    "ENDPOINTS": L.NOT_IMPLEMENTED,
    "BIAS": L.NOT_IMPLEMENTED,
    "RLOO-BIAS": L.NOT_IMPLEMENTED,
    "PAFT-BIAS": L.NOT_IMPLEMENTED,
    "VAR": L.NOT_IMPLEMENTED,
    "ATLAS": L.NOT_IMPLEMENTED,
    "LM-COLD": L.VERIFIED,  # cpu-preset rows, docs/lm.md
    "LM-WARM": L.PARTIAL,  # cpu-preset rows, docs/lm.md
    "LM-NOISE": L.PARTIAL,  # cpu-preset rows, docs/lm.md
}


def test_registry_holds_every_spec_id_once():
    assert [c.id for c in L.CLAIMS] == SPEC_IDS
    assert set(EXPECTED_STATUS) == set(SPEC_IDS)
    for c in L.CLAIMS:
        assert c.source and c.statement


@pytest.mark.parametrize("claim_id", SPEC_IDS)
def test_verdict_is_pinned(claim_id, tmp_path):
    row = L.run_claim(L.CLAIMS_BY_ID[claim_id], L.CheckContext(tier="fast", results_dir=tmp_path))
    assert row.verdict.status == EXPECTED_STATUS[claim_id], row.verdict.evidence
    if row.verdict.status in (L.VERIFIED, L.REFUTED, L.PARTIAL):
        assert row.verdict.numbers, "a decided verdict must carry its numbers"


def test_select_is_case_insensitive_and_rejects_unknown_ids():
    assert [c.id for c in L.select(["dir", "SIGMOID"])] == ["DIR", "SIGMOID"]
    with pytest.raises(ValueError, match="unknown claim ID NOPE"):
        L.select(["NOPE"])


def test_crashing_check_becomes_error_verdict():
    claim = L.Claim("X", "test", "a check that crashes", "tsallis_theory.claims:select_missing_function")
    row = L.run_claim(claim, L.CheckContext())
    assert row.verdict.status == L.ERROR and "AttributeError" in row.verdict.evidence


def test_verdict_rejects_unknown_status():
    with pytest.raises(ValueError, match="status must be one of"):
        L.Verdict("PASSED", "no")
