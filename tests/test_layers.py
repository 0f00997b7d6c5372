"""The architecture's import rules (docs/architecture.md), checked by walking every import of the package.

Each module belongs to a layer (below); a layer may import only the layers listed for it. The walk sees every
``import`` and ``from ... import`` statement, also those inside functions, so a lazy import cannot hide a
dependency that runs against the flow config → rows → figures → verdicts.
"""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "tsallis_theory"

CORE = {"core"}
MATH = {"core", "estimators", "flow", "categorical", "symbolic", "atlas", "lm"}
# layer -> the layers it may import (itself included)
ALLOWED = {
    "core": CORE,
    "estimators": CORE | {"estimators"},
    "flow": CORE | {"flow"},
    "categorical": CORE | {"categorical"},
    "symbolic": CORE | {"symbolic", "estimators", "flow", "categorical"},
    "atlas": CORE | {"atlas", "estimators"},
    "lm": CORE | {"lm", "estimators"},
    "testing": CORE | {"testing", "estimators", "atlas"},
    "results": CORE | {"results"},
    "studies": MATH | {"results", "studies"},
    "plots": MATH | {"results", "studies", "plots"},
    "ledger": MATH | {"results", "studies", "ledger"},
    "cli": MATH | {"results", "studies", "plots", "ledger", "cli"},
}
_CORE_MODULES = {"qcalc", "_validate", "_numerics", "_config"}


def layer_of(module: str) -> str:
    """The layer of a dotted module name inside the package."""
    parts = module.split(".")
    if parts[0] != "tsallis_theory":
        raise ValueError(module)
    if len(parts) == 1 or parts[1] in _CORE_MODULES:
        return "core"
    head = parts[1]
    if head not in ALLOWED:
        raise AssertionError(f"{module}: not assigned to a layer; add it to tests/test_layers.py and "
                             f"docs/architecture.md")
    return head


def _module_name(path: Path) -> str:
    rel = path.relative_to(PACKAGE.parent).with_suffix("")
    parts = list(rel.parts)
    if parts[-1] == "__init__":
        parts = parts[:-1]
    return ".".join(parts)


def imports_of(path: Path) -> list[tuple[int, str]]:
    """(line, imported module) for every import of the package's own modules in ``path``."""
    tree = ast.parse(path.read_text(), filename=str(path))
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [(node.lineno, a.name) for a in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.append((node.lineno, node.module))
            if node.module == "tsallis_theory":  # `from tsallis_theory import flow` names a subpackage
                found += [(node.lineno, f"tsallis_theory.{a.name}") for a in node.names
                          if (PACKAGE / a.name).is_dir() or (PACKAGE / f"{a.name}.py").exists()]
    return [(line, m) for line, m in found if m == "tsallis_theory" or m.startswith("tsallis_theory.")
            or m == "experiments" or m.startswith("experiments.")]


MODULES = sorted(PACKAGE.rglob("*.py"))


@pytest.mark.parametrize("path", MODULES, ids=lambda p: _module_name(p))
def test_imports_follow_the_layers(path):
    module = _module_name(path)
    layer = layer_of(module)
    bad = []
    for line, imported in imports_of(path):
        if imported.startswith("experiments"):
            bad.append(f"line {line}: {imported} (the library never imports experiments/)")
            continue
        target = layer_of(imported)
        if target not in ALLOWED[layer]:
            bad.append(f"line {line}: {imported} ({target} layer)")
    assert not bad, f"{module} ({layer} layer) imports against the flow:\n  " + "\n  ".join(bad)


def test_every_layer_is_documented():
    text = (PACKAGE.parent / "docs" / "architecture.md").read_text()
    missing = [layer for layer in ALLOWED if f"`{layer}`" not in text]
    assert not missing, f"docs/architecture.md does not describe the layers {missing}"


def _loads(code: str) -> set[str]:
    out = subprocess.run([sys.executable, "-c", code + "\nimport sys; print(' '.join(sys.modules))"],
                         capture_output=True, text=True, check=True, cwd=PACKAGE.parent).stdout
    return set(out.split())


def test_cli_help_does_not_import_jax_or_matplotlib():
    loaded = _loads("from tsallis_theory.cli import build_parser\n"
                    "try:\n    build_parser('').parse_args(['--help'])\nexcept SystemExit:\n    pass")
    assert "jax" not in loaded and "matplotlib" not in loaded and "scipy" not in loaded


def test_plots_do_not_import_jax():
    modules = [f"tsallis_theory.plots.{p.stem}" for p in sorted((PACKAGE / "plots").glob("*.py"))
               if p.stem != "__init__"]
    loaded = _loads("\n".join(f"import {m}" for m in modules))
    assert "jax" not in loaded, "a plots module imports JAX (directly or through what it imports)"
