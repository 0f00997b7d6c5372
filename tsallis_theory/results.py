"""Result rows on disk: JSON-lines files that are written as a study goes and resumed after interruption.

Every row carries the study's config key; ``ResultsFile.done_keys()`` tells a resumed run what is already
finished. ``run_metadata()`` records versions and the git revision so that a figure can say what made it.
Figures read these files; they never rerun the computation (docs/DESIGN).
"""

from __future__ import annotations

import json
import platform
import subprocess
import time
from pathlib import Path
from typing import Any, Iterable


def git_revision() -> str:
    """The current git revision (with '+dirty' if the tree has changes), or 'unknown' outside a checkout."""
    here = Path(__file__).resolve().parent
    try:
        rev = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=here, capture_output=True, text=True,
                             timeout=5, check=True).stdout.strip()
        dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"], cwd=here,
                               capture_output=True, text=True, timeout=5).stdout.strip()
        return rev + ("+dirty" if dirty else "")
    except (OSError, subprocess.SubprocessError):
        return "unknown"


def run_metadata() -> dict[str, Any]:
    """Versions of the numerical stack, the platform and the git revision."""
    import jax
    import numpy
    import scipy

    from tsallis_theory import __version__

    return {
        "tsallis_theory": __version__,
        "git": git_revision(),
        "python": platform.python_version(),
        "jax": jax.__version__,
        "numpy": numpy.__version__,
        "scipy": scipy.__version__,
        "backend": jax.default_backend(),
        "created": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
    }


class ResultsFile:
    """An append-only JSON-lines file of result rows, one JSON object per line.

    The first line is a header ``{"meta": run_metadata(), "config": config}``. A row is flushed as soon as it
    is written, so an interrupted run loses at most the row in progress; a truncated last line (killed
    mid-write) is ignored on reading.
    """

    def __init__(self, path: str | Path, config: dict[str, Any] | None = None):
        self.path = Path(path)
        self.config = config or {}

    def _lines(self) -> list[dict[str, Any]]:
        if not self.path.exists():
            return []
        out = []
        for line in self.path.read_text().splitlines():
            try:
                out.append(json.loads(line))
            except json.JSONDecodeError:
                continue  # a line cut off by an interruption
        return out

    def rows(self) -> list[dict[str, Any]]:
        return [r for r in self._lines() if "meta" not in r]

    def header(self) -> dict[str, Any] | None:
        return next((r for r in self._lines() if "meta" in r), None)

    def made_by_this_revision(self) -> bool:
        """Whether the header's git revision is the current one and both are clean commits: only then do
        the rows on disk come from the code that would run now (a '+dirty' or 'unknown' revision cannot
        say which code made them)."""
        header = self.header()
        made = (header or {}).get("meta", {}).get("git")
        now = git_revision()
        return bool(made) and made == now and not now.endswith("+dirty") and now != "unknown"

    def done_keys(self, key_fields: Iterable[str]) -> set[tuple]:
        fields = tuple(key_fields)
        return {tuple(r.get(f) for f in fields) for r in self.rows()}

    def start(self, fresh: bool = False) -> None:
        """Create the file with its header (or keep an existing one to resume, unless ``fresh``)."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        if fresh or not self.path.exists() or self.header() is None:
            self.path.write_text(json.dumps({"meta": run_metadata(), "config": self.config}, default=float) + "\n")
        elif not self.path.read_bytes().endswith(b"\n"):
            with self.path.open("a") as fh:  # end the line cut off by an interruption
                fh.write("\n")

    def append(self, row: dict[str, Any]) -> None:
        with self.path.open("a") as fh:
            fh.write(json.dumps(row, default=float) + "\n")
            fh.flush()
