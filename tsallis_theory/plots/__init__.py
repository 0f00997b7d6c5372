"""Figures: result rows in, PNG files out. No computation beyond drawing, and no JAX.

Each study has a module ``tsallis_theory.plots.<study>`` with one ``fig_<name>(rows, path=None, *, ax=None)``
per figure (the contract is in ``plots._style``: draw into ``ax`` or a new figure, save to ``path`` when given,
return the Figure or None when the rows hold nothing for it) and a registry
``FIGURES = {"<figure file name>": fig_<name>, ...}``. ``draw_figures(study, rows, out_dir)`` draws them all.
"""

from __future__ import annotations

import importlib
from pathlib import Path

# the studies that have figures, in the order `tsallis-lab figures` draws them
STUDIES = ("flow", "noise", "schedule", "estimators", "atlas", "lm")


def figures_of(study: str) -> dict:
    """The ``FIGURES`` registry of ``study``: figure name -> ``fig(rows, path)``."""
    if study not in STUDIES:
        raise ValueError(f"no figures for study {study!r}; studies with figures: {', '.join(STUDIES)}")
    return importlib.import_module(f"{__name__}.{study}").FIGURES


def draw_figures(study: str, rows: list[dict], out_dir: str | Path, prefix: str | None = None,
                 formats: tuple[str, ...] = ("png",)) -> list[Path]:
    """Draw every figure of ``study`` from ``rows`` into ``out_dir/<name>.<format>`` for each of ``formats``
    (``png``, ``pdf``); return the paths written.

    ``prefix`` replaces the study name at the front of each figure name (the LM gpu preset's figures are
    ``lm_gpu_*``)."""
    from tsallis_theory.plots._style import FORMATS, save_figure

    bad = [f for f in formats if f not in FORMATS]
    if bad or not formats:
        raise ValueError(f"formats: each of {', '.join(FORMATS)}; got {', '.join(bad) or 'none'}")
    out = []
    for name, fig in figures_of(study).items():
        if prefix is not None and name.startswith(study):
            name = prefix + name[len(study):]
        first, *rest = (Path(out_dir) / f"{name}.{fmt}" for fmt in formats)
        drawn = fig(rows, first)
        if drawn is None:
            continue
        out.append(first)
        for path in rest:  # the figure is closed after its first save, but can still be written again
            out.append(save_figure(drawn, path))
    return out
