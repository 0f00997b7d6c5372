"""tsallis-lab atlas: amplification of every method, the finite-group ceiling, escape slopes (claim ATLAS;
docs/atlas.md).

    tsallis-lab atlas                                       the default study (G = 32, about 10 s)
    tsallis-lab atlas --preset smoke --out /tmp/atlas --figures /tmp/figs
    tsallis-lab atlas --group 64 --ceiling-groups 16 64 256 --out /tmp/atlas

Rows go to --out/atlas.jsonl (default experiments/results) and are resumed task by task; a run with another
configuration than the rows on disk stops (exit 2, naming the fields) unless --fresh. Figures
(atlas_amplification, atlas_ceiling, atlas_escape) read the rows and go to --figures.
"""

from tsallis_theory.cli._study import study_command

configure, run = study_command("atlas")
