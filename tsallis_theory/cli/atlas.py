"""tsallis-lab atlas: see ``tsallis_theory.studies.atlas``."""

from tsallis_theory.studies.atlas import __doc__, configure, run  # noqa: F401
