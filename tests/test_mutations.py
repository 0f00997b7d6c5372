"""The mutation suite: every check can say no.

Each entry of the tables in tests/mutations/ plants one wrong formula (with monkeypatch, in this process)
and runs the ledger's own check for one claim at the fast tier, exactly as ``tsallis-lab check --only ID``
would. The claim must come out REFUTED: not PARTIAL, not ERROR (a crash is not a refutation). A check that
loses the power to refute its claim fails this suite.

Compiled JAX programs and the lab's in-process caches are cleared before and after each mutation, so the
planted error is traced into every kernel and does not leak into other tests.
"""

from __future__ import annotations

import importlib
import pkgutil
import sys

import jax
import pytest

from tests import mutations as M
from tsallis_theory.ledger import claims as L
from tsallis_theory.ledger.runner import run_claim


def _tables() -> list[M.Mutation]:
    out = []
    for info in pkgutil.iter_modules(M.__path__):
        out += importlib.import_module(f"{M.__name__}.{info.name}").MUTATIONS
    return out


MUTATIONS = _tables()


@pytest.fixture(scope="module", autouse=True)
def every_lab_module_loaded():
    """Import every module of the lab before any error is planted: ``plant`` patches the modules loaded at
    that moment, and a module first imported while a mutation is active would keep the wrong object after
    the patch is undone (and spoil later tests in this process)."""
    import tsallis_theory

    for info in pkgutil.walk_packages(tsallis_theory.__path__, "tsallis_theory."):
        if not info.name.endswith("__main__"):
            importlib.import_module(info.name)


def clear_caches() -> None:
    """Forget compiled programs and every memo of the lab (lru_caches, module-level _MEMO/_CACHE dicts)."""
    jax.clear_caches()
    for mod in list(sys.modules.values()):
        if not getattr(mod, "__name__", "").startswith("tsallis_theory"):
            continue
        for name, value in list(vars(mod).items()):
            if hasattr(value, "cache_clear"):
                value.cache_clear()
            elif isinstance(value, dict) and name.strip("_").isupper() and ("MEMO" in name or "CACHE" in name):
                value.clear()


@pytest.fixture
def fresh_lab():
    clear_caches()
    yield
    clear_caches()


def test_the_table_is_large_and_names_real_claims():
    assert len(MUTATIONS) >= 25
    assert len({(m.claim, m.name) for m in MUTATIONS}) == len(MUTATIONS)
    unknown = {m.claim for m in MUTATIONS} - set(L.CLAIMS_BY_ID)
    assert not unknown


def test_every_claim_has_a_planted_error():
    """Every claim of the ledger can say no: each has at least one mutation that must turn it REFUTED."""
    assert set(L.CLAIMS_BY_ID) - {m.claim for m in MUTATIONS} == set()


@pytest.mark.parametrize("mutation", MUTATIONS, ids=lambda m: f"{m.claim}:{m.name}")
def test_planted_error_turns_its_claim_refuted(mutation, monkeypatch, fresh_lab, tmp_path):
    mutation.apply(monkeypatch)
    row = run_claim(L.CLAIMS_BY_ID[mutation.claim], L.CheckContext(tier="fast", work_dir=tmp_path))
    assert row.verdict.status == L.REFUTED, (
        f"{mutation.what}: {mutation.claim} came out {row.verdict.status}: {row.verdict.evidence[:400]}")
    assert mutation.says in row.verdict.evidence  # the evidence names what failed


def test_a_mutation_that_crashes_its_check_is_an_error_not_a_verdict(monkeypatch, fresh_lab, tmp_path):
    """A planted error that makes the check raise (here the escort formula itself) shows as ERROR with a
    one-line reason naming the exception and where it was raised; it is never a passing verdict."""

    def broken(*args, **kwargs):
        raise FloatingPointError("planted crash")

    M.plant(monkeypatch, "tsallis_theory.estimators.bias:hard_verifier_relative_bias", lambda _: broken)
    row = run_claim(L.CLAIMS_BY_ID["BIAS"], L.CheckContext(tier="fast", work_dir=tmp_path))
    assert row.verdict.status == L.ERROR
    assert "FloatingPointError: planted crash" in row.verdict.evidence and "\n" not in row.verdict.evidence

