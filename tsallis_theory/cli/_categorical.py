"""Shared plumbing of the categorical studies: a results file keyed by the run's config, and common flags."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

from tsallis_theory.results import ResultsFile


def results_file(out_dir: str | Path, config: dict) -> ResultsFile:
    """``out_dir/rows-<hash of config>.jsonl``: a rerun with the same config resumes, another config starts anew."""
    digest = hashlib.sha1(json.dumps(config, sort_keys=True, default=float).encode()).hexdigest()[:10]
    return ResultsFile(Path(out_dir) / f"rows-{digest}.jsonl", config)


def add_common_arguments(parser, study: str) -> None:
    parser.add_argument("--out", default=f"results/{study}", metavar="DIR", help="where result rows go")
    parser.add_argument("--figures", default="figures/categorical", metavar="DIR", help="where figures go")
    parser.add_argument("--fresh", action="store_true", help="discard finished rows of this config and rerun")
    parser.add_argument("--no-progress", action="store_true", help="no progress bar")


def floats_in(name: str, values, check) -> list[float]:
    """Validate a list of floats from the command line with ``check(value, name)``."""
    for v in values:
        check(v, name)
    return [float(v) for v in values]
