"""tsallis-lab noise: see ``tsallis_theory.studies.noise``."""

from tsallis_theory.studies.noise import __doc__, configure, run  # noqa: F401
