"""Result rows on disk: JSON-lines files written as a study goes and resumed after an interruption.

``run_tasks(path, config, tasks)`` is the lab's one resume loop. A study is a list of tasks, each a JSON key
and a function that computes that task's rows. The rows of a task are appended as they come, then a marker
line ``{"task_done": key}``; a resumed run skips the tasks whose marker is on disk and drops the rows of a
task that was cut off, so finished work is neither lost nor repeated. The file's header holds the config:
resuming under another config is a ``ConfigMismatch`` (a ``ValueError`` naming the differing fields and the
path) unless ``fresh`` starts the file over. ``run_metadata()`` records versions and the git revision so that
a figure can say what made it. Figures read these files; they never rerun the computation. A ``Deadline``
lets a long study stop itself at a point it can resume from (``TimeLimitReached``).
"""

from __future__ import annotations

import json
import platform
import subprocess
import time
from pathlib import Path
from typing import Any, Callable, Iterable


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


def study_path(out: str | Path, study: str) -> Path:
    """Where study ``study`` keeps its rows under the results folder ``out``: ``out/<study>.jsonl``.

    >>> study_path("experiments/results", "noise").as_posix()
    'experiments/results/noise.jsonl'
    """
    return Path(out) / f"{study}.jsonl"


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
        """The result rows: every line but the header and the task markers, less the rows of any task
        (``row["task"]``) whose marker is missing because the run was cut off inside it."""
        lines = self._lines()
        done = {_key(r["task_done"]) for r in lines if "task_done" in r}
        return [r for r in lines if "meta" not in r and "task_done" not in r
                and ("task" not in r or _key(r["task"]) in done)]

    def done_tasks(self) -> set:
        """The keys of the tasks whose every row is on disk (``run_tasks``)."""
        return {_key(r["task_done"]) for r in self._lines() if "task_done" in r}

    def header(self) -> dict[str, Any] | None:
        """The header (the first line with "meta"), read without parsing the rows after it."""
        if not self.path.exists():
            return None
        with open(self.path) as f:
            for line in f:
                try:
                    row = json.loads(line)
                except json.JSONDecodeError:
                    continue
                if "meta" in row:
                    return row
        return None

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

    def drop_unfinished(self, done: set) -> None:
        """Rewrite the file without the rows of tasks that have no marker (cut off by an interruption), so
        that the rerun of such a task does not add its rows twice."""
        lines = self._lines()
        keep = [r for r in lines if "task" not in r or "meta" in r or _key(r["task"]) in done]
        if len(keep) != len(lines):
            tmp = self.path.with_suffix(self.path.suffix + ".tmp")
            tmp.write_text("".join(json.dumps(r, default=float) + "\n" for r in keep))
            tmp.replace(self.path)

    def check_config(self) -> None:
        """Raise ``ConfigMismatch`` if the header on disk holds another config than ``self.config``."""
        header = self.header()
        if header is None:
            return
        on_disk, wanted = _jsonable(header.get("config", {})), _jsonable(self.config)
        if on_disk != wanted:
            raise ConfigMismatch(self.path, _differences(on_disk, wanted))


class ConfigMismatch(ValueError):
    """A results file holds rows of another configuration than the one asked for."""

    def __init__(self, path: Path, fields: list[str]):
        self.path, self.fields = path, fields
        super().__init__(f"results file {path} holds another configuration (differs in {', '.join(fields)}); "
                         f"rerun with --fresh to start it over, or choose another --out")


class TimeLimitReached(Exception):
    """A long run stopped itself at its ``Deadline``, at a point it can resume from (the LM study's loops save
    the run in progress first, ``studies._lm_loop``): a rerun loses and repeats nothing."""


class Deadline:
    """A wall-clock limit, ``seconds`` from now (None: no limit), for loops that can stop at resumable points:
    the LM study's loops stop between chunks when their last chunk (training, evaluation, checkpoint) would not
    fit again before it, and raise ``TimeLimitReached``."""

    def __init__(self, seconds: float | None):
        if seconds is not None and not seconds > 0:
            raise ValueError(f"time_limit must be > 0 seconds (or None: no limit); got {seconds}")
        self.at = None if seconds is None else time.monotonic() + float(seconds)

    def allows(self, seconds: float) -> bool:
        """Whether ``seconds`` more of work would end before the limit."""
        return self.at is None or time.monotonic() + seconds <= self.at


def _jsonable(x):
    return json.loads(json.dumps(x, default=float))


def _key(key) -> str:
    """A task key in canonical form (lists and tuples alike), usable in a set."""
    return json.dumps(_jsonable(key), sort_keys=True)


task_id = _key  # the public name: ``task_id(key) in ResultsFile(path).done_tasks()`` says a task is finished


def _differences(a, b, prefix: str = "") -> list[str]:
    """Dotted names of the fields where two JSON configs differ, with both values for leaves."""
    if isinstance(a, dict) and isinstance(b, dict):
        out = []
        for k in sorted(set(a) | set(b), key=str):
            if k not in a or k not in b:
                out.append(f"{prefix}{k} (only {'requested' if k not in a else 'on disk'})")
            elif a[k] != b[k]:
                out.extend(_differences(a[k], b[k], f"{prefix}{k}."))
        return out
    return [f"{prefix[:-1]}: {_short(a)} on disk, {_short(b)} requested"]


def _short(x, limit: int = 40) -> str:
    s = json.dumps(x)
    return s if len(s) <= limit else s[: limit - 3] + "..."


Task = tuple[Any, Callable[[], list[dict[str, Any]]]]


def run_tasks(path: str | Path, config: dict[str, Any], tasks: Iterable[Task], *, fresh: bool = False,
              progress: bool = True, desc: str = "tasks") -> list[dict[str, Any]]:
    """Compute every task of ``tasks`` not yet finished in ``path``; return all rows of the file.

    Args:
      path: the JSON-lines file (its folder is created).
      config: the study's configuration, stored in the header; resuming under another one raises
        ``ConfigMismatch`` unless ``fresh``.
      tasks: ``(key, compute)`` pairs; ``key`` is JSON (unique within the study), ``compute()`` returns the
        task's rows. Each row is stored with ``task = key``.
      fresh: start the file over (other files in its folder are left alone).
      progress: show a progress bar over the tasks still to do.
    """
    from tqdm.auto import tqdm

    results = ResultsFile(path, config)
    if not fresh:
        results.check_config()
    results.start(fresh=fresh)
    done = results.done_tasks()
    results.drop_unfinished(done)
    todo = [(key, compute) for key, compute in tasks if _key(key) not in done]
    bar = tqdm(todo, desc=desc, unit="task", disable=not progress, leave=False)
    for key, compute in bar:
        bar.set_postfix_str(_short(key, 50))
        stored = _jsonable(key)
        for row in compute():
            results.append({**row, "task": stored})
        results.append({"task_done": stored})
    return results.rows()
