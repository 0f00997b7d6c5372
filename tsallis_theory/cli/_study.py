"""One command per study, its flags derived from the study's Config.

A study module (``tsallis_theory.studies.<name>``) defines:

* ``Config``: a frozen dataclass; every field has a default and ``metadata={"help": ...}``; fields whose
  type is a number, a string, a bool or a tuple of those get a flag ``--field-name`` (tuples take several
  values), others (nested configs) are set through presets only. ``Config.validate()`` raises a one-line
  ``ValueError`` naming the field and its allowed range.
* ``PRESETS``: name -> Config, with ``"smoke"`` among them; ``DEFAULT_PRESET`` (default ``"default"``).
* ``run(cfg, out, *, fresh=False, progress=True) -> rows``: through ``results.run_tasks``, into ``out``.
* ``summary(rows, cfg) -> str``: what the command prints.

Every study command then takes ``--preset NAME``, ``--out DIR``, ``--figures DIR`` (``''`` for none),
``--fresh`` and ``--no-progress``; figures come from ``tsallis_theory.plots.<name>.FIGURES``.
"""

from __future__ import annotations

import argparse
import dataclasses
import importlib
from pathlib import Path

DEFAULT_OUT = "experiments/results"
DEFAULT_FIGURES = "figures"

_SCALARS = {"float": float, "int": int, "str": str}


def _flag_type(annotation: str):
    """(type, nargs) for a Config field's annotation, or None when the field has no flag."""
    a = annotation.replace(" ", "")
    if a in _SCALARS:
        return _SCALARS[a], None
    if a == "bool":
        return bool, 0
    for name, t in _SCALARS.items():
        if a in (f"tuple[{name},...]", f"tuple[{name}]"):
            return t, "+"
    return None


def flag_fields(config_cls) -> list[tuple[dataclasses.Field, type, object]]:
    """The fields of ``config_cls`` that have a command-line flag, with their (type, nargs)."""
    out = []
    for f in dataclasses.fields(config_cls):
        if f.metadata.get("flag", True) is False:
            continue
        ann = f.type if isinstance(f.type, str) else getattr(f.type, "__name__", str(f.type))
        kind = _flag_type(ann)
        if kind is not None:
            out.append((f, *kind))
    return out


def add_config_arguments(parser: argparse.ArgumentParser, study) -> None:
    """``--preset`` and one flag per Config field (see the module docstring)."""
    default = getattr(study, "DEFAULT_PRESET", "default")
    parser.add_argument("--preset", choices=sorted(study.PRESETS), default=default,
                        help=f"configuration preset (default: {default}); the flags below override its fields")
    for f, typ, nargs in flag_fields(study.Config):
        flag = "--" + f.name.replace("_", "-")
        text = f.metadata.get("help", "")
        if nargs == 0:
            parser.add_argument(flag, dest=f.name, action=argparse.BooleanOptionalAction, default=None, help=text)
        else:
            parser.add_argument(flag, dest=f.name, type=typ, nargs=nargs, default=None,
                                metavar=f.metadata.get("metavar", f.name.upper()), help=text)


def config_from_args(study, args):
    """The preset named by ``--preset`` with the fields given on the command line replaced, validated."""
    cfg = study.PRESETS[args.preset]
    changes = {}
    for f, _, nargs in flag_fields(study.Config):
        value = getattr(args, f.name, None)
        if value is not None:
            changes[f.name] = tuple(value) if nargs == "+" else value
    cfg = dataclasses.replace(cfg, **changes)
    try:
        cfg.validate()
    except ValueError as exc:  # the message starts with the field's name: say the flag instead
        text = str(exc)
        for f, _, _ in flag_fields(study.Config):
            if text.startswith(f.name) and not text[len(f.name):len(f.name) + 1].isidentifier():
                text = "--" + f.name.replace("_", "-") + text[len(f.name):]
                break
        raise ValueError(text) from None
    return cfg


def add_output_arguments(parser: argparse.ArgumentParser, name: str) -> None:
    parser.add_argument("--out", default=DEFAULT_OUT, metavar="DIR",
                        help=f"folder of the result rows ({name}.jsonl there; default: {DEFAULT_OUT})")
    parser.add_argument("--figures", default=None, metavar="DIR",
                        help=f"folder for the figures ('' for none; default: {DEFAULT_FIGURES} with the default "
                             "--out, else OUT/figures, so that a run elsewhere never overwrites the committed "
                             "figures)")
    parser.add_argument("--fresh", action="store_true",
                        help="start this study's rows over (other studies' rows are kept)")
    parser.add_argument("--no-progress", action="store_true", help="no progress bar")


def figures_dir(out: str, figures: str | None) -> Path | None:
    """Where a study's figures go: ``figures`` when given ('' for none), else figures/ for the committed rows
    (the default ``--out``) and ``out/figures`` for rows elsewhere."""
    if figures is not None:
        return Path(figures) if figures else None
    return Path(DEFAULT_FIGURES) if Path(out) == Path(DEFAULT_OUT) else Path(out) / "figures"


def output_dirs(out: str, figures: str | None) -> tuple[Path, Path | None]:
    """``--out`` and the figures folder (``figures_dir``), each created and checked writable before any work."""
    from tsallis_theory.cli import writable_dir

    folder = figures_dir(out, figures)
    return writable_dir(out, "--out"), None if folder is None else writable_dir(folder, "--figures")


def study_command(name: str):
    """``(configure, run)`` of the command for study ``name``."""

    def study():
        return importlib.import_module(f"tsallis_theory.studies.{name}")

    def configure(parser: argparse.ArgumentParser) -> None:
        module = study()
        parser.description = (parser.description or "") + "\n" + (module.__doc__ or "")
        add_config_arguments(parser, module)
        add_output_arguments(parser, name)

    def run(args) -> int:
        module = study()
        cfg = config_from_args(module, args)
        out, figures = output_dirs(args.out, args.figures)
        rows = module.run(cfg, out, fresh=args.fresh, progress=not args.no_progress)
        print(module.summary(rows, cfg))
        if figures is not None:
            from tsallis_theory.plots import draw_figures

            for path in draw_figures(name, rows, figures):
                print(f"wrote {path}")
        return 0

    return configure, run
