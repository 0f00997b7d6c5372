"""tsallis-lab schedule: see ``tsallis_theory.studies.schedule``."""

from tsallis_theory.studies.schedule import __doc__, configure, run  # noqa: F401
