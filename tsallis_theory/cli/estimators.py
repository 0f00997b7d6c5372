"""tsallis-lab estimators: see ``tsallis_theory.studies.estimators``."""

from tsallis_theory.studies.estimators import __doc__, configure, run  # noqa: F401
