"""Label noise in the two-label model: escort minimisers, stable contamination over (ε, q), contamination paths
and memorisation times, and the figures noise_*.png (claims ESCORT, SHARPEN, NOISE-EQ, NOISE-TIME;
docs/categorical.md).

    tsallis-lab noise                                     the default study (~1 min)
    tsallis-lab noise --preset smoke --out /tmp/x --figures /tmp/figs
    tsallis-lab noise --eps 0.05 --q 0.8 --out /tmp/y --figures ''     one equilibrium: prints p̃* = 0.02459

Rows go to DIR/noise.jsonl for --out DIR (default experiments/results), resumed when the file holds the same
configuration; another configuration there is an error naming the differing fields (--fresh starts this
file over and leaves the other studies' files alone). Figures read the rows and go to --figures.
"""

from tsallis_theory.cli._study import study_command

configure, run = study_command("noise")
