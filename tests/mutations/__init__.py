"""Planted errors for the mutation suite (tests/test_mutations.py), one table per study.

Each entry is a ``Mutation``: the claim it must turn REFUTED, and a function that plants the error with
``plant(monkeypatch, "module:name", replacement)`` (the replacement is built from the original).
"""

from __future__ import annotations

import dataclasses
import importlib
import sys
from typing import Any, Callable


@dataclasses.dataclass(frozen=True)
class Mutation:
    """A wrong formula planted in a copy of the lab, and the claim whose check must then say REFUTED.

    Attributes:
      name: short identifier (the test id).
      claim: the claim ID that must come out REFUTED.
      apply: ``apply(monkeypatch)`` plants the error.
      what: one line: the error, in the formula's terms.
      says: text the REFUTED verdict's evidence must contain (what failed: evidence is built in the branch
        that chose the status); empty for no requirement.
    """

    name: str
    claim: str
    apply: Callable[[Any], None]
    what: str
    says: str = ""


def plant(monkeypatch, target: str, make: Callable[[Any], Any]) -> None:
    """Replace ``module:name`` by ``make(original)`` in its module and in every loaded module of the lab
    that imported the same object under the same name (``from module import name`` binds a copy)."""
    module_name, _, attr = target.partition(":")
    module = importlib.import_module(module_name)
    original = getattr(module, attr)
    replacement = make(original)
    for mod in list(sys.modules.values()):
        if getattr(mod, "__name__", "").startswith("tsallis_theory") and getattr(mod, attr, None) is original:
            monkeypatch.setattr(mod, attr, replacement)
