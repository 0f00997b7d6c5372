"""The examples in the package's docstrings run: ``doctest`` over every module of ``tsallis_theory``.

A module without examples has nothing to run and passes; a module that fails to import fails here too. The
``__main__`` modules are left out: importing one runs the command line (they hold no examples).
"""

from __future__ import annotations

import doctest
import importlib
import pkgutil

import pytest

import tsallis_theory

MODULES = sorted(m.name for m in pkgutil.walk_packages(tsallis_theory.__path__, "tsallis_theory.")
                 if not m.name.endswith(".__main__"))
FLAGS = doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples(name):
    module = importlib.import_module(name)
    result = doctest.testmod(module, optionflags=FLAGS, verbose=False, report=False)
    assert result.failed == 0, f"{name}: {result.failed} of {result.attempted} docstring examples failed"


def test_the_package_has_examples():
    """The walk finds the package's modules, and some of them carry examples (so the test above runs some)."""
    finder = doctest.DocTestFinder()
    examples = sum(len(t.examples) for name in MODULES for t in finder.find(importlib.import_module(name)))
    assert len(MODULES) > 50 and examples >= 10, (len(MODULES), examples)
