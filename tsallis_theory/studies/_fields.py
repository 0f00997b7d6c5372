"""The documented field of a study's Config: its default, the help text its command-line flag shows, and how
the flag is built (``tsallis_theory.cli._study``)."""

from __future__ import annotations

import dataclasses


def config_field(default, help_text: str, metavar: str | None = None, *, flag: bool = True):
    """A dataclass field with ``metadata = {"help": help_text, "metavar": metavar, "flag": flag}``; ``flag=False``
    keeps it off the command line (set through presets only)."""
    metadata = {"help": help_text, "flag": flag}
    if metavar is not None:
        metadata["metavar"] = metavar
    return dataclasses.field(default=default, metadata=metadata)
