"""Entry point for the small-LM study: same as ``tsallis-lab lm`` (see docs/lm.md).

    python experiments/lm_study.py --preset cpu --out /tmp/lm     (rows in /tmp/lm/lm_cpu)
"""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tsallis_theory.cli import main  # noqa: E402

if __name__ == "__main__":
    sys.exit(main(["lm", *sys.argv[1:]]))
