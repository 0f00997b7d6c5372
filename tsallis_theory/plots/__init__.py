"""Figures: result rows in, PNG files out. No computation beyond drawing, and no JAX.

Each study has a module ``tsallis_theory.plots.<study>`` with one ``fig_<name>(rows, path)`` per figure
and a registry ``FIGURES = {"<figure file name>": fig_<name>, ...}``; a figure function returns the path it
wrote, or None when the rows hold nothing for it. ``draw_figures(study, rows, out_dir)`` draws them all.
"""

from __future__ import annotations

import importlib
from pathlib import Path

# the studies that have figures, in the order `tsallis-lab figures` draws them
STUDIES = ("flow", "estimators", "atlas", "lm")  # noise and schedule still draw from their commands


def figures_of(study: str) -> dict:
    """The ``FIGURES`` registry of ``study``: figure name -> ``fig(rows, path)``."""
    if study not in STUDIES:
        raise ValueError(f"no figures for study {study!r}; studies with figures: {', '.join(STUDIES)}")
    return importlib.import_module(f"{__name__}.{study}").FIGURES


def draw_figures(study: str, rows: list[dict], out_dir: str | Path, prefix: str | None = None) -> list[Path]:
    """Draw every figure of ``study`` from ``rows`` into ``out_dir/<name>.png``; return the paths written.

    ``prefix`` replaces the study name at the front of each figure name (the LM gpu preset's figures are
    ``lm_gpu_*``)."""
    out = []
    for name, fig in figures_of(study).items():
        if prefix is not None and name.startswith(study):
            name = prefix + name[len(study):]
        path = fig(rows, Path(out_dir) / f"{name}.png")
        if path is not None:
            out.append(Path(path))
    return out
