"""tsallis-lab figures: rebuild every figure from the result rows on disk (no computation).

    tsallis-lab figures                                   from the committed rows, into figures/
    tsallis-lab figures --results /tmp/rows --figures /tmp/figs
    tsallis-lab figures --format png pdf --figures /tmp/figs     PNG and PDF

A study whose rows are missing is named with the command that makes them; the others are drawn.
"""

from __future__ import annotations

import argparse
from pathlib import Path


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--results", default="experiments/results", metavar="DIR",
                        help="folder of the result rows (default: the committed rows, experiments/results)")
    parser.add_argument("--figures", default="figures", metavar="DIR", help="where the figures go (default: figures)")
    parser.add_argument("--format", nargs="+", choices=("png", "pdf"), default=["png"], metavar="FORMAT",
                        help="file types, png and/or pdf (default: png); each figure is drawn once and saved in each")


def _rows_of(study: str, results: Path) -> dict[str | None, list[dict]]:
    """prefix -> rows: one entry per row set of ``study`` (the LM study has one per folder lm_<name>: the
    cpu and gpu presets, and kept older rows such as lm_gpu_design1)."""
    from tsallis_theory.results import ResultsFile, study_path

    if study == "lm":
        from tsallis_theory.studies.lm import RUNS, figure_prefix, read_runs

        names = sorted((p.parent.name.removeprefix("lm_") for p in results.glob(f"lm_*/{RUNS}")),
                       key=lambda n: (n != "cpu", n))
        return {figure_prefix(n): read_runs(results, n) for n in names}
    path = study_path(results, study)
    return {None: ResultsFile(path).rows()} if path.exists() else {}


def run(args) -> int:
    from tsallis_theory.cli import writable_dir
    from tsallis_theory.plots import STUDIES, draw_figures

    results = Path(args.results)
    if not results.is_dir():
        raise ValueError(f"--results {results}: no such directory")
    out = writable_dir(args.figures, "--figures")
    for study in STUDIES:
        sets = _rows_of(study, results)
        if not sets:
            print(f"{study}: no rows in {results}; run: tsallis-lab {study} --out {results}")
        for prefix, rows in sets.items():
            for path in draw_figures(study, rows, out, prefix=prefix, formats=tuple(dict.fromkeys(args.format))):
                print(f"wrote {path}")
    return 0
