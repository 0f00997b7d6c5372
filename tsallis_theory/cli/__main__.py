"""``python -m tsallis_theory.cli``: the same as ``tsallis-lab``."""

import sys

from tsallis_theory.cli import main

sys.exit(main())
